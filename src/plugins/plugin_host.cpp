// PluginHost and its ToolProvider (see plugin_host.h).
#include "plugins/plugin_host.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>

#include "base/fs.h"
#include "base/log.h"

namespace simpleclaw::plugins {

namespace asio = boost::asio;

namespace {

bool enabled_flag(const Json& obj) {
  if (!obj.is_object()) return true;
  auto it = obj.find("enabled");
  return it == obj.end() || !it->is_boolean() || it->get<bool>();
}

std::string expand_home(const std::string& d) {
  if (d == "~") return home_dir();
  if (d.rfind("~/", 0) == 0) return home_dir() + d.substr(1);
  return d;
}

}  // namespace

// ---- tools ----

class PluginHost::Tools final : public tools::ToolProvider {
 public:
  explicit Tools(PluginHost& host) : host_(host) {}

  std::vector<providers::ToolSpec> specs() const override {
    std::vector<providers::ToolSpec> out;
    for (const auto& [name, rt] : host_.dir_->runtimes) {
      if (rt->kind() != PluginKind::kTool) continue;
      // A restarting plugin keeps its last list, so the model's tool set does not flap.
      for (const auto& t : rt->tools())
        out.push_back(providers::ToolSpec{name + "__" + t.name, t.description, t.input_schema});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  bool handles(const std::string& name) const override {
    std::string tool;
    auto rt = route(name, &tool);
    if (!rt) return false;
    for (const auto& t : rt->tools())
      if (t.name == tool) return true;
    return false;
  }

  std::shared_ptr<tools::ToolTask> start(const tools::ToolContext&, const std::string& name,
                                         const Json& args, tools::ToolDone done) override {
    auto task = std::make_shared<Task>();
    task->done = std::move(done);
    task->io = &host_.io_;
    std::string tool;
    auto rt = route(name, &tool);
    if (!rt) {
      task->finish({"error: unknown plugin tool " + name.substr(0, 200), true});
      return task;
    }
    task->rt = rt;
    std::weak_ptr<Task> weak = task;
    task->id = rt->request(
        "tools/call", Json{{"name", tool}, {"arguments", args.is_object() ? args : Json::object()}},
        rt->options().call_timeout, [weak](Result<Json> r) {
          auto t = weak.lock();
          if (!t) return;
          if (!r.ok()) return t->finish({"error: " + r.error().message, true});
          t->finish(to_outcome(*r));
        });
    return task;
  }

 private:
  struct Task final : tools::ToolTask {
    tools::ToolDone done;
    asio::io_context* io = nullptr;
    std::weak_ptr<PluginRuntime> rt;
    std::uint64_t id = 0;
    void finish(tools::ToolOutcome o) {
      if (!done) return;
      // Always posted: start() must not call done inline.
      asio::post(*io, [d = std::move(done), o = std::move(o)]() mutable { d(std::move(o)); });
      done = nullptr;
    }
    void cancel() override {
      if (auto r = rt.lock()) r->forget(id);
      finish({"error: cancelled", true});
    }
  };

  static tools::ToolOutcome to_outcome(const Json& r) {
    tools::ToolOutcome o;
    if (!r.is_object()) return {"error: the plugin answered tools/call with a non-object", true};
    auto e = r.find("isError");
    o.is_error = e != r.end() && e->is_boolean() && e->get<bool>();
    auto c = r.find("content");
    if (c != r.end() && c->is_array()) {
      for (const auto& part : *c) {
        if (!o.text.empty()) o.text += "\n";
        if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
            part["text"].is_string())
          o.text += part["text"].get<std::string>();
        else
          o.text += "[" +
                    (part.is_object() ? part.value("type", std::string("unknown"))
                                      : std::string("unknown")) +
                    " content]";
      }
    }
    o.text = tools::cap_tool_text(std::move(o.text));
    return o;
  }

  // The longest plugin name that prefixes "<plugin>__" wins (names may contain '_').
  std::shared_ptr<PluginRuntime> route(const std::string& full, std::string* tool) const {
    std::shared_ptr<PluginRuntime> best;
    for (const auto& [name, rt] : host_.dir_->runtimes) {
      if (rt->kind() != PluginKind::kTool) continue;
      if (full.size() > name.size() + 2 && full.compare(0, name.size(), name) == 0 &&
          full.compare(name.size(), 2, "__") == 0 && (!best || name.size() > best->name().size())) {
        best = rt;
        *tool = full.substr(name.size() + 2);
      }
    }
    return best;
  }

  PluginHost& host_;
};

// ---- host ----

PluginHost::PluginHost(asio::io_context& io, std::string state_dir, PluginHostOptions opts)
    : io_(io),
      state_dir_(std::move(state_dir)),
      opts_(opts),
      tools_(std::make_unique<Tools>(*this)),
      providers_(std::make_shared<PluginProviders>(io, dir_)) {}

PluginHost::~PluginHost() {
  // Without a finished stop(), whatever runs is killed (each runtime's destructor).
  for (auto& [name, rt] : dir_->runtimes) rt->stop();
  dir_->runtimes.clear();
}

std::vector<std::string> PluginHost::configure(const Json& plugins_section,
                                               const Json& channels_section) {
  const Json ps = plugins_section.is_object() ? plugins_section : Json::object();
  const Json chs = channels_section.is_object() ? channels_section : Json::object();
  bool all_enabled = enabled_flag(ps);
  std::vector<std::string> dirs;
  if (!state_dir_.empty()) dirs.push_back(state_dir_ + "/plugins");
  if (auto it = ps.find("dirs"); it != ps.end() && it->is_array())
    for (const auto& d : *it)
      if (d.is_string() && !d.get<std::string>().empty())
        dirs.push_back(expand_home(d.get<std::string>()));
  Discovery found = discover(dirs);
  errors_ = std::move(found.errors);
  const Json entries =
      ps.contains("entries") && ps["entries"].is_object() ? ps["entries"] : Json::object();

  std::map<std::string, PluginSetup> wanted;
  for (auto& m : found.plugins) {
    PluginSetup s;
    const Json entry =
        entries.contains(m.name) && entries[m.name].is_object() ? entries[m.name] : Json::object();
    s.enabled = all_enabled && enabled_flag(entry);
    bool has_config = entry.contains("config") && entry["config"].is_object();
    s.config = has_config ? entry["config"] : Json::object();
    const Json& schema = m.config_schema;
    // Tool and provider plugins: entries.<name>.config always meets the schema (absent
    // = {}, so required keys are reported). Channel plugins: the schema describes an
    // account's own settings; entries.<name>.config is checked only when written.
    if (schema.is_object() && (m.kind != PluginKind::kChannel || has_config)) {
      auto st = validate_json(schema, s.config);
      if (!st.ok())
        s.config_error = "plugins.entries." + m.name + ".config: " + st.error().message +
                         " (schema in " + m.path + ")";
    }
    if (m.kind == PluginKind::kChannel) {
      const Json ch = chs.contains(m.name) ? chs[m.name] : Json();
      std::vector<std::pair<std::string, Json>> accounts;
      if (ch.is_object() && ch.contains("accounts") && ch["accounts"].is_object()) {
        for (auto it = ch["accounts"].begin(); it != ch["accounts"].end(); ++it)
          accounts.emplace_back(it.key(), it.value());
      } else if (ch.is_object()) {
        accounts.emplace_back("default", ch);
      }
      for (const auto& [id, acc] : accounts) {
        if (!enabled_flag(ch) || !enabled_flag(acc)) continue;
        s.accounts.push_back(id);
        if (schema.is_object() && s.config_error.empty()) {
          auto st = validate_json(schema, plugin_account_settings(acc));
          if (!st.ok()) {
            std::string where = ch.contains("accounts") ? "channels." + m.name + ".accounts." + id
                                                        : "channels." + m.name;
            s.config_error = where + ": " + st.error().message + " (schema in " + m.path + ")";
          }
        }
      }
    }
    if (!s.config_error.empty()) log::warn("plugin {}: {}", m.name, s.config_error);
    std::string name = m.name;
    s.manifest = std::move(m);
    wanted.emplace(name, std::move(s));
  }
  for (const auto& e : errors_) log::warn("plugins: {}", e.message);

  // Reconcile: unchanged plugins keep running; the rest are replaced.
  auto& rts = dir_->runtimes;
  for (auto it = rts.begin(); it != rts.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second.fingerprint() != it->second->setup().fingerprint()) {
      log::info("plugin {}: {}", it->first,
                w == wanted.end() ? "removed from the config" : "config changed; restarting");
      const PluginRuntime* old = it->second.get();
      dir_->retiring.emplace(old, it->second);
      std::weak_ptr<PluginDirectory> dir = dir_;
      it->second->stop([dir, old] {
        if (auto d = dir.lock()) d->retiring.erase(old);
      });
      it = rts.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [name, setup] : wanted) {
    if (rts.count(name)) continue;
    auto rt = std::make_shared<PluginRuntime>(io_, std::move(setup), opts_);
    rts[name] = rt;
    if (started_ && !stopped_) rt->start();
  }

  std::vector<std::string> problems;
  for (const auto& e : errors_) problems.push_back(e.message);
  for (const auto& [name, rt] : rts)
    if (!rt->setup().config_error.empty()) problems.push_back(rt->setup().config_error);
  return problems;
}

std::vector<std::string> PluginHost::configure(const config::Config& cfg) {
  return configure(cfg.object_section("plugins"), cfg.object_section("channels"));
}

void PluginHost::start() {
  if (started_ || stopped_) return;
  started_ = true;
  for (auto& [name, rt] : dir_->runtimes) rt->start();
}

void PluginHost::stop(std::function<void()> done) {
  stopped_ = true;
  auto left = std::make_shared<std::size_t>(dir_->runtimes.size() + dir_->retiring.size() + 1);
  auto shared_done = std::make_shared<std::function<void()>>(std::move(done));
  auto one = [left, shared_done] {
    if (--*left == 0 && *shared_done) (*shared_done)();
  };
  // Runtimes stay in the directory (state "stopped" in plugins.list).
  for (auto& [name, rt] : dir_->runtimes) rt->stop(one);
  // A finished stop erases itself from `retiring` only later, by a post.
  for (auto& [ptr, rt] : dir_->retiring) rt->stop(one);
  asio::post(io_, one);
}

Json PluginHost::list_json() const {
  Json list = Json::array();
  for (const auto& [name, rt] : dir_->runtimes) list.push_back(rt->status());
  Json errors = Json::array();
  for (const auto& e : errors_) errors.push_back(Json{{"path", e.path}, {"message", e.message}});
  return Json{{"plugins", std::move(list)}, {"errors", std::move(errors)}};
}

PluginHost::Counts PluginHost::counts() const {
  Counts n;
  for (const auto& [name, rt] : dir_->runtimes) {
    ++n.count;
    n.running += rt->state() == PluginState::kRunning ? 1 : 0;
    n.failed += rt->state() == PluginState::kFailed ? 1 : 0;
  }
  return n;
}

std::vector<std::string> PluginHost::channel_names() const {
  std::vector<std::string> out;
  for (const auto& [name, rt] : dir_->runtimes)
    if (rt->kind() == PluginKind::kChannel) out.push_back(name);
  return out;
}

sdk::ChannelFactory PluginHost::channel_factory(std::string_view name) const {
  auto rt = runtime(name);
  if (!rt || rt->kind() != PluginKind::kChannel) return nullptr;
  std::weak_ptr<PluginDirectory> dir = dir_;
  std::string n(name);
  return [dir, n](sdk::ChannelHost& host) -> std::unique_ptr<sdk::Channel> {
    return std::make_unique<PluginChannel>(host, dir, n);
  };
}

tools::ToolProvider* PluginHost::tool_provider() { return tools_.get(); }

std::shared_ptr<PluginRuntime> PluginHost::runtime(std::string_view name) const {
  auto it = dir_->runtimes.find(name);
  return it == dir_->runtimes.end() ? nullptr : it->second;
}

}  // namespace simpleclaw::plugins
