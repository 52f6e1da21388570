// Registry of compiled-in extensions: channels, LLM providers (wire formats)
// and tools. Each extension adds itself through one explicit
// register_<name>(Registry&) call in src/plugins/builtin.cpp, the one visible
// list, and each is behind a CMake option (SIMPLECLAW_CHANNEL_<NAME>,
// SIMPLECLAW_PROVIDER_<NAME>, SIMPLECLAW_TOOL_<NAME>), so a build without one
// is just a shorter list: the gateway creates channels, accepts `api:` values
// and offers tools only from here. Out-of-process plugins (plugin.yaml) are not
// here: the plugin host (src/plugins/plugin_host.h) adapts them to the same
// interfaces at run time.
//
// Header-only, with only declarations of the providers/tools types it names, so
// the extensions' own libraries can register without linking back to this one.
//
// Threading: filled once at start-up before the loop runs; read-only
// afterwards.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/channel.h"

namespace simpleclaw::providers {
enum class Api;  // providers/provider.h
}
namespace simpleclaw::tools {
class ToolProvider;   // tools/tool_runner.h
struct ToolServices;  // tools/tool_services.h
}  // namespace simpleclaw::tools

namespace simpleclaw::plugins {

struct ChannelExtension {
  std::string name;         // config key under channels.<name>, e.g. "telegram"
  std::string description;  // one line, for plugins.list and docs
  sdk::ChannelFactory factory;
};

// An LLM wire format: what `models.providers.<p>.api` may name.
struct ProviderExtension {
  std::string name;  // the `api:` value, e.g. "anthropic"
  std::string description;
  providers::Api api;  // the wire format's code (providers/provider.h)
};

// A tool provider the gateway builds for its agents (the tool names it offers
// are the provider's business; `name` identifies the extension).
struct ToolExtension {
  std::string name;  // e.g. "web_fetch"
  std::string description;
  std::function<std::unique_ptr<tools::ToolProvider>(tools::ToolServices &)> factory;
};

class Registry {
 public:
  // Two extensions of one kind with one name is a build mistake, caught by the
  // registry test.
  void add_channel(ChannelExtension ext) { add(channels_, std::move(ext), "channel"); }
  void add_provider(ProviderExtension ext) { add(providers_, std::move(ext), "provider"); }
  void add_tool(ToolExtension ext) { add(tools_, std::move(ext), "tool"); }

  const ChannelExtension *channel(std::string_view name) const { return find(channels_, name); }
  const ProviderExtension *provider(std::string_view name) const { return find(providers_, name); }
  const ToolExtension *tool(std::string_view name) const { return find(tools_, name); }

  const std::vector<ChannelExtension> &channels() const { return channels_; }
  const std::vector<ProviderExtension> &providers() const { return providers_; }
  const std::vector<ToolExtension> &tools() const { return tools_; }

 private:
  template <typename T>
  static const T *find(const std::vector<T> &list, std::string_view name) {
    for (const auto &e : list)
      if (e.name == name) return &e;
    return nullptr;
  }
  template <typename T>
  static void add(std::vector<T> &list, T ext, const char *kind) {
    if (find(list, ext.name))
      throw std::logic_error(std::string(kind) + " registered twice: " + ext.name);
    list.push_back(std::move(ext));
  }

  std::vector<ChannelExtension> channels_;
  std::vector<ProviderExtension> providers_;
  std::vector<ToolExtension> tools_;
};

// The registry with every compiled-in extension (built on first use, from
// builtin.cpp).
const Registry &builtin_registry();

}  // namespace simpleclaw::plugins
