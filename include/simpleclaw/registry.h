// Registry of compiled-in extensions: channels, LLM wire formats and tools. Each
// extension adds itself through one register_<name>(sdk::Registry&) call in
// src/plugins/builtin.cpp, the one visible list, and each is behind a CMake option
// (SIMPLECLAW_CHANNEL_<NAME>, SIMPLECLAW_PROVIDER_<NAME>, SIMPLECLAW_TOOL_<NAME>), so a
// build without one is just a shorter list: the gateway creates channels, accepts `api:`
// values and offers tools only from here. Out-of-process plugins (plugin.yaml) are not
// here: the plugin host adapts them to the same interfaces at run time.
//
// Threading: filled once at start-up before the loop runs; read-only afterwards.
// Part of the SDK: standard library and the SDK only.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/channel.h"
#include "simpleclaw/provider.h"
#include "simpleclaw/result.h"
#include "simpleclaw/tool.h"

namespace simpleclaw::sdk {

struct ChannelExtension {
  std::string name;         // config key under channels.<name>, e.g. "telegram"
  std::string description;  // one line, for plugins.list and docs
  ChannelFactory factory;
};

// An LLM wire format: what `models.providers.<p>.api` may name (wire->name()).
struct ProviderExtension {
  std::string description;
  std::shared_ptr<const WireFormat> wire;
  std::string name() const { return wire ? std::string(wire->name()) : std::string(); }
};

// A tool provider the gateway builds for its agents (the tool names it offers are the
// provider's business; `name` identifies the extension).
struct ToolExtension {
  std::string name;  // e.g. "web_fetch"
  std::string description;
  std::function<std::unique_ptr<ToolProvider>(ToolServices&)> factory;
};

class Registry {
 public:
  // Two extensions of one kind with one name is a build mistake: refused with kConflict
  // (builtin.cpp treats that as a broken invariant; the registry test checks it).
  Status add_channel(ChannelExtension ext) { return add(channels_, std::move(ext), "channel"); }
  Status add_provider(ProviderExtension ext) {
    if (!ext.wire) return Error::invalid("provider extension without a wire format");
    return add(providers_, std::move(ext), "provider");
  }
  Status add_tool(ToolExtension ext) { return add(tools_, std::move(ext), "tool"); }

  const ChannelExtension* channel(std::string_view name) const { return find(channels_, name); }
  const ProviderExtension* provider(std::string_view name) const { return find(providers_, name); }
  const ToolExtension* tool(std::string_view name) const { return find(tools_, name); }

  const std::vector<ChannelExtension>& channels() const { return channels_; }
  const std::vector<ProviderExtension>& providers() const { return providers_; }
  const std::vector<ToolExtension>& tools() const { return tools_; }

 private:
  static std::string name_of(const ProviderExtension& e) { return e.name(); }
  template <typename T>
  static std::string name_of(const T& e) {
    return e.name;
  }
  template <typename T>
  static const T* find(const std::vector<T>& list, std::string_view name) {
    for (const auto& e : list)
      if (name_of(e) == name) return &e;
    return nullptr;
  }
  template <typename T>
  static Status add(std::vector<T>& list, T ext, const char* kind) {
    if (find(list, name_of(ext)))
      return Error::conflict(std::string(kind) + " registered twice: " + name_of(ext));
    list.push_back(std::move(ext));
    return Ok{};
  }

  std::vector<ChannelExtension> channels_;
  std::vector<ProviderExtension> providers_;
  std::vector<ToolExtension> tools_;
};

}  // namespace simpleclaw::sdk
