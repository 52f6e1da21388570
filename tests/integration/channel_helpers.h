// Shared by the channel end-to-end tests (channels_*_test.cpp): scripted model answers
// and waiting for a channel account to connect.
#pragma once
#include <chrono>
#include <string>
#include <thread>

#include "chat_helpers.h"
#include "fakes/py_fake.h"

namespace sctest {

using fakes::Script;

inline Script answer(std::string text) {
  Script s;
  s.chunks = {std::move(text)};
  return s;
}

// A model turn that calls exec with `command` (the approval flows).
inline Script exec_call(const std::string& command) {
  Script s;
  s.tool_calls = {{"", "exec", Json{{"command", command}}.dump()}};
  return s;
}

// A model answer given once the tool result contains `when_result` ("" = any).
inline Script answer_after(std::string text, std::string when_result) {
  Script s;
  s.chunks = {std::move(text)};
  s.when_tool_result = std::move(when_result);
  return s;
}

// Polls channels.status until the channel's first account is connected.
inline bool wait_connected(WsClient& c, const std::string& channel, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto st = c.call("channels.status", Json::object());
    if (st.ok() && (*st)["channelAccounts"].contains(channel) &&
        (*st)["channelAccounts"][channel][0]["connected"] == true)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// ---- Telegram: the fake Bot API (tests/fakes/fake_telegram.py)

inline constexpr const char* kFakeTelegramToken = "4242:TESTTOKEN";

inline std::unique_ptr<::fakes::PyFake> start_fake_telegram() {
  auto tg = std::make_unique<::fakes::PyFake>(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_telegram.py",
                                              std::vector<std::string>{kFakeTelegramToken});
  EXPECT_TRUE(tg->ok()) << "fake Telegram did not start";
  return tg;
}

// The channels section for a bot on the fake that lets user 111 in; `extra` adds lines
// under `telegram:` (indented by four spaces).
inline std::string telegram_section(const ::fakes::PyFake& tg, const std::string& extra = {}) {
  return std::string("channels:\n  telegram:\n    token: \"") + kFakeTelegramToken +
         "\"\n    api_base: " + tg.url() + "\n    poll_timeout_s: 2\n    allow_from: [111]\n" +
         extra;
}

// The messages the fake was asked to send, once pred(them) holds (or the timeout).
inline Json wait_sent(::fakes::PyFake& tg, const std::function<bool(const Json&)>& pred,
                      int timeout_ms = 10000) {
  Json sent;
  eventually(
      [&] {
        sent = tg.get("/control/sent");
        return sent.is_array() && pred(sent);
      },
      timeout_ms);
  return sent;
}

// The messages the fake was asked to send, once `n` of them arrived (or the timeout).
inline Json telegram_sent(::fakes::PyFake& tg, std::size_t n, int timeout_ms = 10000) {
  return wait_sent(
      tg, [n](const Json& sent) { return sent.size() >= n; }, timeout_ms);
}

}  // namespace sctest
