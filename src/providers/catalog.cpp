#include "providers/catalog.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "base/clock.h"
#include "base/log.h"
#include "config/implicit_providers.h"
#include "providers/ollama_tags.h"

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
  if (models.ollama_probe_url != ollama_.url) {  // turned on, off, or moved
    ++ollama_gen_;
    ollama_ = LocalOllama{models.ollama_probe_url};
  }
  if (ollama_.state == LocalState::kFound)
    add_found_ollama();
  else if (!ollama_.url.empty() && ollama_.state != LocalState::kProbing)
    detect_ollama();
  settle();  // a detection turned off here may have had waiters
}

void Catalog::add_found_ollama() {
  if (ollama_.models.empty()) return;  // running, but nothing pulled: nothing to call
  for (const config::ProviderConfig& p : models_.providers)
    if (p.name == "ollama") return;
  config::ProviderConfig p;
  p.name = "ollama";
  p.api = "ollama";
  p.base_url = ollama_.url;
  p.models = ollama_.models;
  p.implicit_from = "Ollama at " + ollama_.url;
  models_.providers.push_back(std::move(p));
  std::sort(models_.providers.begin(), models_.providers.end(),
            [](const config::ProviderConfig& a, const config::ProviderConfig& b) {
              return a.name < b.name;
            });
  if (models_.default_model.empty())
    models_.default_model = config::pick_default_model(models_.providers);
  ProbeState& st = probes_["ollama"];  // it just answered its model list
  st.probed = true;
  st.ok = true;
  st.at_ms = clock_.wall_ms();
  st.error.clear();
}

void Catalog::detect_ollama() {
  const WireFormat* wire = wire_for("ollama");
  if (!wire || ollama_.url.empty() || ollama_.state == LocalState::kProbing) return;
  ollama_.state = LocalState::kProbing;
  config::ProviderConfig probe_target;
  probe_target.name = "ollama";
  probe_target.base_url = ollama_.url;
  HttpOptions opts;  // a local server answers at once or is not there
  opts.connect_timeout = std::chrono::milliseconds(1500);
  opts.first_byte_timeout = std::chrono::milliseconds(1500);
  opts.idle_timeout = std::chrono::milliseconds(1500);
  opts.total_timeout = std::chrono::milliseconds(3000);
  auto status = std::make_shared<int>(0);
  auto body = std::make_shared<std::string>();
  HttpCallbacks cb;
  cb.on_head = [status](const HttpHead& h) { *status = h.status; };
  cb.on_body = [body](std::string_view chunk) {
    if (body->size() + chunk.size() <= kMaxModelListBody) body->append(chunk);
  };
  std::uint64_t gen = ollama_gen_;
  cb.on_done = alive_.guard([this, status, body, gen](const HttpError* err) {
    if (gen != ollama_gen_) return;  // the URL changed meanwhile; a newer probe owns the state
    ollama_.state = LocalState::kNotFound;
    if (err) {
      ollama_.error = err->message;
    } else if (*status != 200) {
      ollama_.error = "HTTP " + std::to_string(*status);
    } else if (auto models = parse_ollama_tags(*body); !models.ok()) {
      ollama_.error = models.error().message;
    } else {
      ollama_.state = LocalState::kFound;
      ollama_.error.clear();
      ollama_.models = std::move(models).value();
      if (ollama_.models.empty()) ollama_.error = "no model pulled (ollama pull llama3.2)";
      add_found_ollama();
      log::info("implicit provider ollama: {} model(s) at {}", ollama_.models.size(), ollama_.url);
    }
    settle();
  });
  net::http_start(io_, wire->probe_request(endpoint_of(probe_target)), opts, std::move(cb));
}

void Catalog::settle() {
  if (in_flight_ > 0 || ollama_.state == LocalState::kProbing) return;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters) w();
}

Result<ResolvedModel> Catalog::resolve(const std::string& ref) const {
  auto slash = ref.find('/');
  if (ref.empty())
    return Error::invalid(
        "no model configured: run `simpleclaw onboard`, or set OPENAI_API_KEY or "
        "ANTHROPIC_API_KEY where the gateway runs, or start Ollama, or add a provider under "
        "models.providers in config.yaml",
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
    Json tags;
    if (!p.implicit_from.empty())
      tags = Json::array(
          {"implicit", p.api == "ollama" ? "detected:" + p.base_url : "env:" + p.implicit_from});
    for (const config::ModelEntry& m : listed) {
      Json row{{"id", p.name + "/" + m.id}, {"name", m.name.empty() ? m.id : m.name},
               {"provider", p.name},        {"contextWindow", m.context_window},
               {"reasoning", m.reasoning},  {"available", available}};
      if (!tags.is_null()) row["tags"] = tags;
      models.push_back(std::move(row));
    }
  }
  return Json{{"models", std::move(models)}};
}

Json Catalog::source_json() const {
  Json providers = Json::array();
  bool any_config = false, any_implicit = false;
  for (const config::ProviderConfig& p : models_.providers) {
    Json e{{"name", p.name}, {"api", p.plugin.empty() ? p.api : "plugin"}};
    if (p.implicit_from.empty()) {
      any_config = true;
      e["source"] = "config";
    } else {
      any_implicit = true;
      e["source"] = "implicit";
      e["from"] = p.implicit_from;
    }
    providers.push_back(std::move(e));
  }
  Json out{{"source", any_config     ? "config"
                      : any_implicit ? "implicit"
                                     : "none"},
           {"default", models_.default_model},
           {"providers", std::move(providers)}};
  if (!ollama_.url.empty()) {
    const char* state = ollama_.state == LocalState::kFound      ? "found"
                        : ollama_.state == LocalState::kNotFound ? "not-found"
                                                                 : "probing";
    Json o{{"url", ollama_.url}, {"state", state}, {"models", ollama_.models.size()}};
    if (!ollama_.error.empty()) o["error"] = ollama_.error;
    out["ollama"] = std::move(o);
  }
  return out;
}

void Catalog::probe(std::function<void()> done) {
  if (done) waiters_.push_back(std::move(done));
  // A local Ollama not there at start may have been started since.
  if (ollama_.state == LocalState::kNotFound) detect_ollama();
  if (in_flight_ > 0) return;
  auto finish_one = [this]() {
    --in_flight_;
    settle();
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
  settle();
}

}  // namespace simpleclaw::providers
