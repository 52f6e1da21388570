#include "providers/catalog.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "base/clock.h"

namespace simpleclaw::providers {

using net::HttpCallbacks;
using net::HttpError;
using net::HttpOptions;

namespace {
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

const WireFormat* Catalog::wire_for(std::string_view api) const {
  for (const WireFormat* w : wires_)
    if (w->name() == api) return w;
  return nullptr;
}

void Catalog::set_config(const config::ModelsConfig& models) {
  std::map<std::string, ProbeState> kept;
  for (const config::ProviderConfig& p : models.providers) {
    auto it = probes_.find(p.name);
    bool same = false;
    for (const config::ProviderConfig& old : models_.providers)
      if (old.name == p.name && old.base_url == p.base_url && old.api == p.api &&
          old.api_key == p.api_key)
        same = true;
    if (it != probes_.end() && same) kept[p.name] = it->second;
  }
  models_ = models;
  probes_ = std::move(kept);
  ++generation_;
}

Result<ResolvedModel> Catalog::resolve(const std::string& ref) const {
  auto slash = ref.find('/');
  if (ref.empty())
    return Error::invalid(
        "no model configured: add a provider under models.providers in config.yaml "
        "(and models.default)",
        "NO_MODEL");
  if (slash == std::string::npos || slash == 0 || slash + 1 == ref.size())
    return Error::invalid("invalid model '" + ref + "': expected provider/model", "NO_MODEL");
  std::string provider = ref.substr(0, slash), id = ref.substr(slash + 1);
  for (const config::ProviderConfig& p : models_.providers) {
    if (p.name != provider) continue;
    if (!p.plugin.empty()) {
      ResolvedModel r;
      r.ref = ref;
      r.provider = &p;
      r.plugin = p.plugin;
      r.plugins = plugins_;
      r.model.id = id;
      std::vector<config::ModelEntry> listed = p.models;
      if (listed.empty() && plugins_) listed = plugins_->models(p.plugin);
      for (const config::ModelEntry& m : listed)
        if (m.id == id) r.model = m;
      if (r.model.name.empty()) r.model.name = r.model.id;
      return r;
    }
    const WireFormat* wire = wire_for(p.api);
    if (!wire)
      return Error::invalid(
          "provider " + p.name + ": api " + p.api +
              " is not built into this simpleclaw (rebuild with -DSIMPLECLAW_PROVIDER_" +
              upper(p.api) + "=ON)",
          "NO_MODEL");
    ResolvedModel r;
    r.ref = ref;
    r.provider = &p;
    r.wire = wire;
    r.model.id = id;
    for (const config::ModelEntry& m : p.models)
      if (m.id == id) r.model = m;
    if (r.model.name.empty()) r.model.name = r.model.id;
    return r;
  }
  return Error::not_found("unknown provider '" + provider + "' in model '" + ref +
                              "': add it under models.providers in config.yaml",
                          "NO_MODEL");
}

Json Catalog::list_json() const {
  Json models = Json::array();
  for (const config::ProviderConfig& p : models_.providers) {
    auto pr = probes_.find(p.name);
    bool available = pr != probes_.end() && pr->second.ok;
    std::vector<config::ModelEntry> listed = p.models;
    if (!p.plugin.empty()) {
      available = plugins_ && plugins_->available(p.plugin);
      if (listed.empty() && plugins_) listed = plugins_->models(p.plugin);
    }
    for (const config::ModelEntry& m : listed) {
      models.push_back(Json{{"id", p.name + "/" + m.id},
                            {"name", m.name.empty() ? m.id : m.name},
                            {"provider", p.name},
                            {"contextWindow", m.context_window},
                            {"reasoning", m.reasoning},
                            {"available", available}});
    }
  }
  return Json{{"models", std::move(models)}};
}

void Catalog::probe(std::function<void()> done) {
  if (done) waiters_.push_back(std::move(done));
  if (in_flight_ > 0) return;
  auto finish_one = [this]() {
    if (--in_flight_ > 0) return;
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& w : waiters) w();
  };
  std::uint64_t gen = generation_;
  for (const config::ProviderConfig& p : models_.providers) {
    if (!p.plugin.empty()) continue;  // available while the plugin runs: nothing to probe
    const WireFormat* wire = wire_for(p.api);
    if (!wire) continue;
    ++in_flight_;
    HttpOptions opts;
    opts.pool = pool_;
    opts.connect_timeout = std::chrono::milliseconds(models_.connect_timeout_ms);
    opts.first_byte_timeout = std::chrono::milliseconds(models_.connect_timeout_ms);
    opts.idle_timeout = std::chrono::milliseconds(models_.connect_timeout_ms);
    opts.total_timeout = std::chrono::milliseconds(2 * models_.connect_timeout_ms);
    auto status = std::make_shared<int>(0);
    std::string name = p.name;
    HttpCallbacks cb;
    cb.on_head = [status](const HttpHead& h) { *status = h.status; };
    cb.on_body = [](std::string_view) {};
    // Guarded: the catalog may be gone (shutdown) when a probe answers.
    cb.on_done = alive_.guard([this, status, name, gen, finish_one](const HttpError* err) {
      if (gen == generation_) {  // not an answer about a provider since reconfigured
        ProbeState& st = probes_[name];
        st.probed = true;
        st.at_ms = clock_.wall_ms();
        st.ok = !err && *status >= 200 && *status < 300;
        st.error = err ? err->message : (st.ok ? std::string() : "HTTP " + std::to_string(*status));
      }
      finish_one();
    });
    net::http_start(io_, wire->probe_request(endpoint_of(p)), opts, std::move(cb));
  }
  if (in_flight_ == 0) {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (auto& w : waiters) w();
  }
}

}  // namespace simpleclaw::providers
