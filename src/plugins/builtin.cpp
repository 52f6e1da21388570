// The one visible list of compiled-in extensions. Each line is behind the CMake
// option that builds the extension (SIMPLECLAW_CHANNEL_<NAME>,
// SIMPLECLAW_PROVIDER_<NAME>, SIMPLECLAW_TOOL_<NAME>; all ON by default). A
// channel or tool left out here is not linked into the binary either (nothing
// else refers to it); a provider left out is refused by the model catalog with
// the option to turn on (its wire code stays in sc_providers, which the
// provider tests and the fake LLM use whole).
#include "plugins/registry.h"

namespace simpleclaw::channels {
void register_webchat(plugins::Registry &r);
void register_telegram(plugins::Registry &r);
void register_irc(plugins::Registry &r);
void register_discord(plugins::Registry &r);
void register_slack(plugins::Registry &r);
}  // namespace simpleclaw::channels

namespace simpleclaw::providers {
void register_openai(plugins::Registry &r);
void register_anthropic(plugins::Registry &r);
void register_ollama(plugins::Registry &r);
}  // namespace simpleclaw::providers

namespace simpleclaw::tools {
void register_exec(plugins::Registry &r);
void register_web_fetch(plugins::Registry &r);
void register_message(plugins::Registry &r);
}  // namespace simpleclaw::tools

namespace simpleclaw::plugins {

const Registry &builtin_registry() {
  static const Registry registry = [] {
    Registry r;
    // Channels. webchat is the gateway's own and always there.
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
    // LLM providers (wire formats).
#ifdef SIMPLECLAW_WITH_PROVIDER_OPENAI
    providers::register_openai(r);
#endif
#ifdef SIMPLECLAW_WITH_PROVIDER_ANTHROPIC
    providers::register_anthropic(r);
#endif
#ifdef SIMPLECLAW_WITH_PROVIDER_OLLAMA
    providers::register_ollama(r);
#endif
    // Tools (the file tools and MCP servers are the tool runner's own).
#ifdef SIMPLECLAW_WITH_TOOL_EXEC
    tools::register_exec(r);
#endif
#ifdef SIMPLECLAW_WITH_TOOL_WEB_FETCH
    tools::register_web_fetch(r);
#endif
#ifdef SIMPLECLAW_WITH_TOOL_MESSAGE
    tools::register_message(r);
#endif
    return r;
  }();
  return registry;
}

}  // namespace simpleclaw::plugins
