// The one visible list of compiled-in extensions. Each line is behind the CMake option
// that compiles the extension (SIMPLECLAW_CHANNEL_<NAME>, all ON by default).
#include "plugins/registry.h"

namespace simpleclaw::channels {
void register_webchat(plugins::Registry& r);
void register_telegram(plugins::Registry& r);
void register_irc(plugins::Registry& r);
void register_discord(plugins::Registry& r);
void register_slack(plugins::Registry& r);
}  // namespace simpleclaw::channels

namespace simpleclaw::plugins {

const Registry& builtin_registry() {
  static const Registry registry = [] {
    Registry r;
    channels::register_webchat(r);
#ifdef SIMPLECLAW_WITH_TELEGRAM
    channels::register_telegram(r);
#endif
#ifdef SIMPLECLAW_WITH_IRC
    channels::register_irc(r);
#endif
#ifdef SIMPLECLAW_WITH_DISCORD
    channels::register_discord(r);
#endif
#ifdef SIMPLECLAW_WITH_SLACK
    channels::register_slack(r);
#endif
    return r;
  }();
  return registry;
}

}  // namespace simpleclaw::plugins
