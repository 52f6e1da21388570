// The one visible list of compiled-in extensions. Each line is behind the CMake
// option that builds the extension (SIMPLECLAW_CHANNEL_<NAME>,
// SIMPLECLAW_PROVIDER_<NAME>, SIMPLECLAW_TOOL_<NAME>; all ON by default). A
// channel or tool left out here is not linked into the binary either (nothing
// else refers to it); a provider left out is refused by the model catalog with
// the option to turn on (its wire code stays in sc_providers, which the
// provider tests and the fake LLM use whole).
#include "plugins/builtin.h"

#include "base/check.h"

namespace simpleclaw::channels {
Status register_webchat(sdk::Registry& r);
Status register_telegram(sdk::Registry& r);
Status register_irc(sdk::Registry& r);
Status register_discord(sdk::Registry& r);
Status register_slack(sdk::Registry& r);
}  // namespace simpleclaw::channels

namespace simpleclaw::providers {
Status register_openai(sdk::Registry& r);
Status register_anthropic(sdk::Registry& r);
Status register_ollama(sdk::Registry& r);
}  // namespace simpleclaw::providers

namespace simpleclaw::tools {
Status register_exec(sdk::Registry& r);
Status register_web_fetch(sdk::Registry& r);
Status register_message(sdk::Registry& r);
}  // namespace simpleclaw::tools

namespace simpleclaw::plugins {

const sdk::Registry& builtin_registry() {
  static const sdk::Registry registry = [] {
    sdk::Registry r;
    // Two extensions of one kind with one name is a build mistake (registry_test).
    auto add = [](Status s) { SC_CHECK(s.ok(), s.ok() ? "" : s.error().message); };
    // Channels. webchat is the gateway's own and always there.
    add(channels::register_webchat(r));
#ifdef SIMPLECLAW_WITH_TELEGRAM
    add(channels::register_telegram(r));
#endif
#ifdef SIMPLECLAW_WITH_IRC
    add(channels::register_irc(r));
#endif
#ifdef SIMPLECLAW_WITH_DISCORD
    add(channels::register_discord(r));
#endif
#ifdef SIMPLECLAW_WITH_SLACK
    add(channels::register_slack(r));
#endif
    // LLM providers (wire formats).
#ifdef SIMPLECLAW_WITH_PROVIDER_OPENAI
    add(providers::register_openai(r));
#endif
#ifdef SIMPLECLAW_WITH_PROVIDER_ANTHROPIC
    add(providers::register_anthropic(r));
#endif
#ifdef SIMPLECLAW_WITH_PROVIDER_OLLAMA
    add(providers::register_ollama(r));
#endif
    // Tools (the file tools and MCP servers are the tool runner's own).
#ifdef SIMPLECLAW_WITH_TOOL_EXEC
    add(tools::register_exec(r));
#endif
#ifdef SIMPLECLAW_WITH_TOOL_WEB_FETCH
    add(tools::register_web_fetch(r));
#endif
#ifdef SIMPLECLAW_WITH_TOOL_MESSAGE
    add(tools::register_message(r));
#endif
    return r;
  }();
  return registry;
}

}  // namespace simpleclaw::plugins
