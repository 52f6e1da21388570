// Shared by the channel end-to-end tests (channels_*_test.cpp): scripted model answers
// and waiting for a channel account to connect.
#pragma once
#include <chrono>
#include <string>
#include <thread>

#include "chat_helpers.h"

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

}  // namespace sctest
