// PluginHost: the out-of-process plugins of one gateway (SPEC §9, docs/plugins.md).
// Executables that speak JSON-RPC 2.0 over stdio, declared by plugin.yaml in
// <state_dir>/plugins/*/ and in each config plugins.dirs entry. The host discovers them,
// checks each one's config against its manifest's config_schema, runs, health-checks,
// restarts (backoff + jitter) and stops them (PluginRuntime), and adapts them to the
// gateway's interfaces:
//
//   * channel plugins: channel_factory(name) makes a PluginChannel (sdk::Channel) per
//     account configured under channels.<name>, for the channel manager;
//   * tool plugins: tool_provider() offers their tools as "<plugin>__<tool>";
//   * provider plugins: provider_models() serves models.providers.<id>: {plugin: <name>}
//     for the model catalog (PluginProviders, plugin_provider.h);
//   * plugins.list: list_json().
//
// A plugin that crashes, hangs, floods or writes garbage is killed and restarted; it
// never affects the gateway or another plugin.
//
// Use (gateway): construct; configure(plugins, channels) with the config's sections;
// start(); on config reload configure() again (new plugins start, removed or disabled
// ones stop, changed ones restart); stop(done) at shutdown and wait for done before
// destroying the io_context.
//
// Threading: loop thread only. The host owns the runtimes; channels and in-flight calls
// hold them weakly, so the host may be destroyed after stop()'s done even if a channel
// object lives on (it then reports "not configured").
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/manifest.h"
#include "plugins/plugin_channel.h"
#include "plugins/plugin_provider.h"
#include "plugins/plugin_runtime.h"
#include "simpleclaw/channel.h"
#include "simpleclaw/result.h"
#include "tools/tool_runner.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::plugins {

class PluginHost {
 public:
  PluginHost(boost::asio::io_context& io, std::string state_dir, PluginHostOptions opts = {});
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Discovers manifests and reconciles the running set with the config:
  // plugins: {enabled, dirs, entries: {<name>: {enabled, config}}} (null = defaults);
  // channels: the config's channels section (for channel plugins' accounts).
  // Problems (a bad manifest, a duplicate name, a config that fails the schema) are
  // logged, kept for list_json() and returned; they never stop the other plugins.
  std::vector<std::string> configure(const Json& plugins_section, const Json& channels_section);
  // The same from the whole config (its `plugins` and `channels` sections).
  std::vector<std::string> configure(const config::Config& cfg);
  // Starts every enabled, valid plugin (and, after this, each one configure() adds).
  void start();
  // Stops every plugin (shutdown, SIGTERM, SIGKILL after the grace); posts done.
  void stop(std::function<void()> done);

  // plugins.list: {plugins: [{name, version, kind, state, restarts, lastError?, pid?, path,
  // description?, startedAtMs?, tools?, accounts?}], errors: [{path, message}]}.
  Json list_json() const;
  struct Counts {
    int count = 0, running = 0, failed = 0;
  };
  Counts counts() const;  // status.subsystems.plugins

  // Channel plugins configured now (enabled or not), by name.
  std::vector<std::string> channel_names() const;
  // A factory for a channel plugin's accounts; null when no channel plugin has the name.
  sdk::ChannelFactory channel_factory(std::string_view name) const;
  // The tools of all tool plugins ("<plugin>__<tool>"). Owned by the host.
  tools::ToolProvider* tool_provider();
  // The provider plugins, for Catalog::set_plugins. Shared: model calls in flight may
  // outlive the host (they then fail with "not a configured provider plugin").
  std::shared_ptr<providers::PluginModels> provider_models() const { return providers_; }

  // Tests and diagnostics.
  std::shared_ptr<PluginRuntime> runtime(std::string_view name) const;

 private:
  class Tools;
  boost::asio::io_context& io_;
  std::string state_dir_;
  PluginHostOptions opts_;
  std::shared_ptr<PluginDirectory> dir_ = std::make_shared<PluginDirectory>();
  std::vector<DiscoveryError> errors_;
  std::unique_ptr<Tools> tools_;
  std::shared_ptr<PluginProviders> providers_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace simpleclaw::plugins
