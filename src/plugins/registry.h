// Registry of compiled-in extensions: channels (and, as they move behind the SDK,
// providers and tools). Each extension adds itself through one explicit
// register_<name>(Registry&) call in src/plugins/builtin.cpp, the one visible list, and
// each is behind a CMake option (SIMPLECLAW_CHANNEL_<NAME>), so a build without one is
// just a shorter list. Out-of-process plugins (plugin.yaml) are not here: the plugin
// host (src/plugins/plugin_host.h) adapts them to the same SDK interfaces at run time.
//
// Threading: filled once at start-up before the loop runs; read-only afterwards.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/channel.h"

namespace simpleclaw::plugins {

struct ChannelExtension {
  std::string name;         // config key under channels.<name>, e.g. "telegram"
  std::string description;  // one line, for plugins.list and docs
  sdk::ChannelFactory factory;
};

// Header-only so that extensions can register without linking back to this library.
class Registry {
 public:
  void add_channel(ChannelExtension ext) {
    // Two extensions with one name is a build mistake, caught by the registry test.
    if (channel(ext.name)) throw std::logic_error("channel registered twice: " + ext.name);
    channels_.push_back(std::move(ext));
  }
  const ChannelExtension* channel(std::string_view name) const {
    for (const auto& c : channels_)
      if (c.name == name) return &c;
    return nullptr;
  }
  const std::vector<ChannelExtension>& channels() const { return channels_; }

 private:
  std::vector<ChannelExtension> channels_;
};

// The registry with every compiled-in extension (built on first use, from builtin.cpp).
const Registry& builtin_registry();

}  // namespace simpleclaw::plugins
