// Shared by the scheduled-jobs integration tests (cron_test.cpp, automations_test.cpp):
// a wall clock the test moves (SIMPLECLAW_TEST_CLOCK_FILE, base/clock.h), a gateway
// started on it, and helpers to read a job's runs and what the fake LLM was asked.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "base/clock.h"
#include "fakes/fake_llm.h"
#include "integration/chat_helpers.h"
#include "integration/helpers.h"

namespace sctest {

inline constexpr std::int64_t kHour = 3'600'000;

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
inline std::string iso_utc_ms(std::int64_t ms) { return simpleclaw::iso_utc(ms); }

// The gateway's clock: real time plus an offset the test writes.
class TestClock {
 public:
  TestClock() : path_(dir_.path() + "/clock") { write_text(path_, "0"); }
  const std::string& path() const { return path_; }
  void advance(std::int64_t ms) {
    offset_ += ms;
    write_text(path_, std::to_string(offset_));
  }
  // The gateway's clock reads `wall_ms` now (and runs on from there).
  void set_to(std::int64_t wall_ms) {
    offset_ = wall_ms - now_ms();
    write_text(path_, std::to_string(offset_));
  }
  // What was last written: the gateway's wall time is real time plus this.
  std::int64_t offset() const { return offset_; }

 private:
  TempDir dir_;
  std::string path_;
  std::int64_t offset_ = 0;
};

inline StartOptions cron_gateway(const fakes::FakeLlm& llm, const TestClock& clock,
                                 const std::string& extra = {}, const std::string& state_dir = {}) {
  StartOptions o = with_config(config_for(llm, extra));
  o.env["SIMPLECLAW_TEST_CLOCK_FILE"] = clock.path();
  o.state_dir = state_dir;
  return o;
}

// An hourly isolated agent turn that answers nowhere (delivery none).
inline Json hourly(const std::string& name, const std::string& message,
                   const std::string& policy = {}) {
  Json j{{"name", name},
         {"schedule", {{"kind", "every"}, {"everyMs", kHour}}},
         {"sessionTarget", "isolated"},
         {"payload", {{"kind", "agentTurn"}, {"message", message}}},
         {"delivery", {{"mode", "none"}}}};
  if (!policy.empty()) j["missedPolicy"] = policy;
  return j;
}

// The `cron` finished event of job `id` (skipped ones excluded unless asked).
inline std::optional<Json> finished(WsClient& c, const std::string& id, int timeout_ms = 15000,
                                    bool skipped_too = false) {
  auto ev = wait_event_if(
      c, "cron",
      [&](const Json& f) {
        const Json& p = f["payload"];
        return p.value("jobId", "") == id && p.value("action", "") == "finished" &&
               (skipped_too || p.value("status", "") != "skipped");
      },
      timeout_ms);
  if (!ev) return std::nullopt;
  return (*ev)["payload"];
}

inline Json runs_of(WsClient& c, const std::string& id) {
  return call_ok(c, "cron.runs", Json{{"id", id}, {"sortDir", "asc"}, {"limit", 200}});
}

// The gateway's wall clock now, as it reads it (cron.preview's nowMs).
inline std::int64_t gateway_now(WsClient& c) {
  Json r = call_ok(c, "cron.preview", Json{{"schedule", {{"kind", "every"}, {"everyMs", kHour}}}});
  return r.value("nowMs", std::int64_t{0});
}

// Waits until the gateway reads the offset the test last wrote (it re-reads the file at
// most every 10 ms): its clock within a minute of real time plus the offset.
inline bool gateway_sees(WsClient& c, const TestClock& clock, int timeout_ms = 10000) {
  return eventually(
      [&] {
        const std::int64_t diff = gateway_now(c) - (now_ms() + clock.offset());
        return diff > -60'000 && diff < 60'000;
      },
      timeout_ms);
}

// How many chat requests the fake LLM got whose last user message contains `text`.
inline int asked(const fakes::FakeLlm& llm, const std::string& text) {
  int n = 0;
  for (const auto& r : llm.requests()) {
    const Json& msgs = r.body.value("messages", Json::array());
    for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
      if (it->value("role", "") != "user") continue;
      const Json& content = (*it)["content"];
      std::string t = content.is_string() ? content.get<std::string>() : content.dump();
      if (t.find(text) != std::string::npos) ++n;
      break;
    }
  }
  return n;
}

}  // namespace sctest
