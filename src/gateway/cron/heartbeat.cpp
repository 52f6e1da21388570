#include "gateway/cron/heartbeat.h"

#include <algorithm>
#include <cctype>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "base/clock.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "base/utf8.h"
#include "config/config.h"
#include "cron/durations.h"
#include "gateway/cron/delivery.h"
#include "gateway/live_config.h"
#include "gateway/run_waiters.h"

namespace simpleclaw::gateway {

namespace {

constexpr std::size_t kPreviewChars = 200;
constexpr std::int64_t kWaitGrace = 30'000;  // beyond the run's own timeout

std::string default_prompt(const std::string& token) {
  return "Read HEARTBEAT.md in your workspace if it exists and follow it strictly. Do not "
         "repeat tasks or topics from earlier conversations unless HEARTBEAT.md asks for them. "
         "If nothing needs attention, reply " +
         token + " and nothing else.";
}

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Markdown emphasis a model likes to put around the token: **HEARTBEAT_OK**, `HEARTBEAT_OK`.
bool is_markup(char c) { return c == '*' || c == '_' || c == '`' || c == '~'; }

}  // namespace

HeartbeatSettings heartbeat_settings(const config::HeartbeatConfig& c) {
  HeartbeatSettings s;
  s.ack_token = c.ack_token.empty() ? std::string("HEARTBEAT_OK") : c.ack_token;
  s.ack_max_chars = std::max(0, c.ack_max_chars);
  s.prompt = c.prompt.empty() ? default_prompt(s.ack_token) : c.prompt;
  s.target = c.target.empty() ? std::string("last") : c.target;
  s.to = c.to;
  s.account_id = c.account_id;
  s.every = "disabled";
  if (c.every.empty() || c.every == "0" || c.every == "off") return s;
  auto ms = cron::parse_duration_ms(c.every);
  if (!ms.ok() || *ms <= 0) return s;
  s.enabled = true;
  s.every_ms = std::max(*ms, HeartbeatRunner::kMinEvery);
  s.every = cron::format_duration(s.every_ms);
  return s;
}

Json heartbeat_health_block(const HeartbeatSettings& s) {
  return Json{{"enabled", s.enabled},
              {"every", s.every},
              {"everyMs", s.enabled ? Json(s.every_ms) : Json(nullptr)},
              {"prompt", s.prompt},
              {"target", s.target},
              {"ackMaxChars", s.ack_max_chars}};
}

bool is_heartbeat_ack(std::string_view reply, std::string_view token, int max_chars) {
  std::string_view r = trim_ws(reply);
  if (r.empty()) return true;
  if (token.empty()) return false;
  auto strip = [](std::string_view s) {
    while (!s.empty() && is_markup(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_markup(s.back())) s.remove_suffix(1);
    return s;
  };
  std::string_view rest;
  std::string_view head = strip(r);
  if (head.substr(0, token.size()) == token) {
    rest = head.substr(token.size());
  } else if (head.size() >= token.size() && head.substr(head.size() - token.size()) == token) {
    rest = head.substr(0, head.size() - token.size());
  } else {
    return false;
  }
  rest = trim_ws(strip(trim_ws(rest)));
  // Characters, not bytes: every byte that does not continue a UTF-8 sequence.
  const auto chars = std::count_if(rest.begin(), rest.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  return chars <= max_chars;
}

HeartbeatRunner::HeartbeatRunner(Deps d) : d_(std::move(d)), timer_(d_.io) {}

void HeartbeatRunner::configure() {
  if (stopped_) return;
  const std::int64_t now = d_.clock.wall_ms();
  std::map<std::string, Agent> next;
  for (const config::AgentConfig& a : d_.config.cfg().agents.list) {
    HeartbeatSettings s = heartbeat_settings(a.heartbeat);
    if (!a.heartbeat.every.empty() && a.heartbeat.every != "0" && a.heartbeat.every != "off") {
      if (!s.enabled)
        log::warn("heartbeat: agent {}: heartbeat.every '{}' is not a duration (30m, 1h); off",
                  a.id, a.heartbeat.every);
    }
    if (!s.enabled) continue;
    Agent ag;
    auto old = agents_.find(a.id);
    if (old != agents_.end()) {
      ag = std::move(old->second);
      if (ag.s.every_ms != s.every_ms) ag.next_ms = now + s.every_ms;
    } else {
      ag.next_ms = now + s.every_ms;
    }
    ag.s = std::move(s);
    next.emplace(a.id, std::move(ag));
  }
  agents_ = std::move(next);
  arm();
}

void HeartbeatRunner::set_enabled(bool enabled) {
  if (enabled == !paused_) return;
  paused_ = !enabled;
  const std::int64_t now = d_.clock.wall_ms();
  if (enabled)
    for (auto& entry : agents_) entry.second.next_ms = now + entry.second.s.every_ms;
  log::info("heartbeat: {}", enabled ? "resumed" : "paused (set-heartbeats)");
  arm();
}

void HeartbeatRunner::stop() {
  stopped_ = true;
  timer_.cancel();
}

std::int64_t HeartbeatRunner::next_ms() const {
  if (paused_) return 0;
  std::int64_t best = 0;
  for (const auto& entry : agents_)
    if (best == 0 || entry.second.next_ms < best) best = entry.second.next_ms;
  return best;
}

bool HeartbeatRunner::queue_event(const std::string& agent_id, std::string text) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return false;
  auto& pending = it->second.pending;
  if (text.size() > kMaxEventChars) text = std::string(utf8_prefix(text, kMaxEventChars)) + "…";
  if (pending.size() == kMaxPendingEvents) pending.erase(pending.begin());
  pending.push_back(std::move(text));
  return true;
}

void HeartbeatRunner::arm() {
  timer_.cancel();
  const std::int64_t next = next_ms();
  if (stopped_ || paused_ || standby_ || next == 0) return;
  // Short sleeps: the wall clock may jump (NTP, suspend, the tests' shifted clock).
  const std::int64_t max_sleep = is_shifted_clock() ? 100 : 60'000;
  const std::int64_t wait = std::clamp<std::int64_t>(next - d_.clock.wall_ms(), 0, max_sleep);
  timer_.expires_after(std::chrono::milliseconds(wait));
  timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  }));
}

void HeartbeatRunner::set_standby(bool standby) {
  if (standby_ == standby) return;
  standby_ = standby;
  if (standby) {
    timer_.cancel();
    return;
  }
  const std::int64_t now = d_.clock.wall_ms();
  for (auto& entry : agents_) entry.second.next_ms = now + entry.second.s.every_ms;
  arm();
}

void HeartbeatRunner::on_timer() {
  const std::int64_t now = d_.clock.wall_ms();
  std::vector<std::string> due;
  for (auto& entry : agents_) {
    // A heartbeat is never more than one interval away. Its next time is wall time, so a
    // wall clock set back by two hours would otherwise postpone it by those two hours
    // (nothing is persisted: the interval just counts again from now).
    Agent& ag = entry.second;
    if (ag.next_ms > now + ag.s.every_ms) ag.next_ms = now + ag.s.every_ms;
    if (ag.next_ms <= now) due.push_back(entry.first);
  }
  for (const auto& id : due) beat(id, now);
  arm();
}

void HeartbeatRunner::beat(const std::string& agent_id, std::int64_t now) {
  Agent& ag = agents_.at(agent_id);
  // The next one counts from now: a gateway that slept through several intervals beats
  // once, not once per interval missed.
  ag.next_ms = now + ag.s.every_ms;
  if (ag.running)
    return report(agent_id, Json{{"ts", now},
                                 {"status", "skipped"},
                                 {"reason", "in-flight"},
                                 {"message", "the last heartbeat is still running"},
                                 {"durationMs", 0}});
  auto key = d_.agents.parse_key("main", agent_id);
  if (!key.ok())
    return report(agent_id, Json{{"ts", now},
                                 {"status", "failed"},
                                 {"reason", "bad-session"},
                                 {"message", key.error().message},
                                 {"durationMs", 0}});
  std::string message = ag.s.prompt;
  if (!ag.pending.empty()) {
    message += "\n\nSystem events since the last heartbeat:";
    for (const auto& e : ag.pending) message += "\n- " + e;
    ag.pending.clear();
  }
  agents::SendParams sp;
  sp.session_key = key->key;
  sp.agent_id = agent_id;
  sp.message = std::move(message);
  sp.idempotency_key = "heartbeat:" + agent_id + ":" + std::to_string(now);
  ag.running = true;
  const std::int64_t wait_ms = d_.config.cfg().sessions.run_timeout_ms + kWaitGrace;
  const std::string run_id = sp.idempotency_key;
  d_.runs.send(std::move(sp), alive_.guard([this, agent_id, now, run_id,
                                            wait_ms](Result<agents::SendAck> ack) {
    if (!ack.ok()) return ended(agent_id, now, run_id, "failed", "", ack.error().message);
    bool waiting = d_.waiters.wait(
        ack->run_id, wait_ms, alive_.guard([this, agent_id, now, run_id](const RunEnd* end) {
          if (!end) return ended(agent_id, now, run_id, "failed", "", "the run did not end");
          if (end->status != sessions::RunStatus::kFinal)
            return ended(agent_id, now, run_id, "failed", "",
                         end->error.empty() ? std::string("the run was aborted") : end->error);
          ended(agent_id, now, run_id, "ok", end->text, "");
        }));
    if (!waiting) ended(agent_id, now, run_id, "failed", "", "too many runs are being waited for");
  }));
}

void HeartbeatRunner::ended(const std::string& agent_id, std::int64_t started,
                            const std::string& run_id, std::string status, std::string text,
                            std::string error) {
  auto it = agents_.find(agent_id);
  const std::int64_t now = d_.clock.wall_ms();
  Json ev{{"ts", now}, {"durationMs", std::max<std::int64_t>(0, now - started)}, {"runId", run_id}};
  if (it == agents_.end()) {  // the heartbeat was configured away meanwhile
    ev["status"] = status == "ok" ? "skipped" : "failed";
    ev["reason"] = "not-configured";
    ev["message"] = "the agent's heartbeat was turned off during the run";
    return report(agent_id, std::move(ev));
  }
  it->second.running = false;
  if (status != "ok") {
    ev["status"] = "failed";
    ev["reason"] = "run-failed";
    ev["message"] = error;
    return report(agent_id, std::move(ev));
  }
  const HeartbeatSettings& s = it->second.s;
  if (is_heartbeat_ack(text, s.ack_token, s.ack_max_chars)) {
    ev["status"] = trim_ws(text).empty() ? "ok-empty" : "ok-token";
    return report(agent_id, std::move(ev));
  }
  ev["preview"] = std::string(utf8_prefix(text, kPreviewChars));
  if (s.target == "none") {
    ev["status"] = "skipped";
    ev["reason"] = "target-none";
    ev["message"] = "heartbeat.target is none: the reply stays in the transcript";
    return report(agent_id, std::move(ev));
  }
  if (s.target != "last") {
    ev["channel"] = s.target;
    if (!s.to.empty()) ev["to"] = s.to;
    if (!s.account_id.empty()) ev["accountId"] = s.account_id;
  }
  CronDelivery what;
  what.spec = Json{
      {"delivery",
       {{"mode", "announce"}, {"channel", s.target}, {"to", s.to}, {"accountId", s.account_id}}}};
  what.job_id = "heartbeat";
  what.job_name = "heartbeat";
  what.agent_id = agent_id;
  what.run_id = run_id;
  what.scheduled_ms = started;
  what.text = std::move(text);
  deliver_cron_result(
      CronDeliveryDeps{d_.io, d_.channels, d_.clock, d_.config.cfg().cron.webhook_secret}, what,
      alive_.guard([this, agent_id, ev](DeliveryResult r) mutable {
        if (r.status == "delivered") {
          ev["status"] = "sent";
        } else {
          ev["status"] = "failed";
          ev["reason"] = "delivery-failed";
          ev["message"] = r.error;
        }
        report(agent_id, std::move(ev));
      }));
}

void HeartbeatRunner::report(const std::string& agent_id, Json ev) {
  ev["agentId"] = agent_id;
  const std::string status = json_str(ev, "status");
  // How a client shows it: an ack is quiet, a delivered reply an alert, a failure an error.
  const bool ack = status == "ok-token" || status == "ok-empty";
  ev["silent"] = ack;
  ev["indicatorType"] = status == "failed" ? "error" : status == "sent" ? "alert" : "ok";
  if (status == "failed")
    log::warn("heartbeat: agent {}: {}: {}", agent_id, json_str(ev, "reason"),
              json_str(ev, "message"));
  else
    log::debug("heartbeat: agent {}: {}", agent_id, status);
  last_ = ev;
  if (d_.emit) d_.emit(std::move(ev));
}

}  // namespace simpleclaw::gateway
