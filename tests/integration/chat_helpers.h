// Shared by the chat and agents integration tests: a config with three providers (one
// per wire format) on one fake LLM, and helpers to send a message and read its events.
#pragma once
#include <string>
#include <vector>

#include "fakes/fake_llm.h"
#include "helpers.h"

namespace sctest {

// Providers: fake (openai, with a key), claude (anthropic), local (ollama); default
// fake/gpt-test. `extra` is appended (more top-level YAML); `models_extra` adds keys
// under models (each line indented by two spaces, e.g. "  idle_timeout_ms: 300\n").
inline std::string config_for(const fakes::FakeLlm& llm, const std::string& extra = {},
                              const std::string& models_extra = {}) {
  return "models:\n" + models_extra +
         "  default: fake/gpt-test\n"
         "  retry: {attempts: 2, base_ms: 10, max_ms: 50}\n"
         "  providers:\n"
         "    fake:\n"
         "      api: openai\n"
         "      base_url: " +
         llm.url() +
         "/v1\n"
         "      api_key: sk-test\n"
         "      models: [{id: gpt-test, context_window: 8192, max_tokens: 256}]\n"
         "    claude:\n"
         "      api: anthropic\n"
         "      base_url: " +
         llm.url() +
         "\n"
         "      models: [{id: claude-test}]\n"
         "    local:\n"
         "      api: ollama\n"
         "      base_url: " +
         llm.url() +
         "\n"
         "      models: [{id: llama-test}]\n" +
         extra;
}

inline Json send(WsClient& c, const std::string& key, const std::string& text,
                 const std::string& idem) {
  auto r =
      c.call("chat.send", Json{{"sessionKey", key}, {"message", text}, {"idempotencyKey", idem}});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

// Reads chat events of `run_id` until a terminal one; returns them all. Other runs'
// events stay stashed on the client for their own chat_events call.
inline std::vector<Json> chat_events(WsClient& c, const std::string& run_id,
                                     int timeout_ms = 10000) {
  std::vector<Json> out;
  for (;;) {
    auto ev = wait_event_if(
        c, "chat", [&](const Json& f) { return f["payload"].value("runId", "") == run_id; },
        timeout_ms);
    if (!ev) {
      ADD_FAILURE() << "no terminal chat event for " << run_id;
      return out;
    }
    out.push_back((*ev)["payload"]);
    if (out.back()["state"] != "delta") return out;
  }
}

}  // namespace sctest
