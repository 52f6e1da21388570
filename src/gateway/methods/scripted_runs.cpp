// Scripted runs, as OpenClaw's CLI makes them (`openclaw agent --message`, `openclaw
// message send`):
//
//   agent       a chat.send that answers twice under the same request id: first
//               {status:"accepted", runId, sessionKey, agentId, acceptedAt} (the client
//               reads it as progress), then, when the run has ended, the final
//               {runId, status:"ok"|"error"|"timeout", summary, result:{payloads, meta}}.
//   agent.wait  blocks until a run ends (or timeoutMs): {runId, status, startedAt, endedAt}.
//   send        direct delivery of a text to a channel target, no agent involved;
//               idempotent per idempotencyKey (SendLedger).
//   message.action {action: "send"}: the same delivery as `openclaw message send` asks
//               for it.
//
// Runs end through RunFrames -> RunWaiters; a duplicate `agent` of a run that already
// ended is answered from the run engine's idempotency cache.
#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "base/json_fields.h"
#include "channels/channel_manager.h"
#include "gateway/attachments.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/run_waiters.h"
#include "gateway/send_ledger.h"

namespace simpleclaw::gateway {
namespace {

// agent.wait's default and longest wait (OpenClaw's CLI passes its own timeoutMs).
constexpr std::int64_t kDefaultWaitMs = 30'000;
constexpr std::int64_t kMaxWaitMs = 24LL * 3600 * 1000;

// OpenClaw's run status words: ok | error | timeout (an aborted run is an error).
const char* wait_status(sessions::RunStatus status, bool timed_out) {
  if (status == sessions::RunStatus::kFinal) return "ok";
  return timed_out ? "timeout" : "error";
}

std::string error_text(sessions::RunStatus status, const std::string& error) {
  if (status == sessions::RunStatus::kAborted) return error.empty() ? "aborted" : error;
  return error;
}

// The final answer of `agent`.
Json agent_final(const std::string& run_id, const std::string& agent_id, const RunEnd& end) {
  const char* status = wait_status(end.status, end.timed_out);
  Json payloads = Json::array();
  if (!end.text.empty()) payloads.push_back(Json{{"text", end.text}, {"mediaUrl", nullptr}});
  Json agent_meta{{"sessionKey", end.session_key}, {"agentId", agent_id}};
  if (!end.model.empty()) agent_meta["model"] = end.model;
  if (end.input_tokens || end.output_tokens)
    agent_meta["usage"] = Json{{"input", end.input_tokens},
                               {"output", end.output_tokens},
                               {"total", end.input_tokens + end.output_tokens}};
  Json j{
      {"runId", run_id},
      {"status", status},
      {"summary", end.status == sessions::RunStatus::kFinal ? std::string("completed")
                                                            : error_text(end.status, end.error)},
      {"result",
       Json{{"payloads", std::move(payloads)},
            {"meta", Json{{"durationMs", std::max<std::int64_t>(0, end.ended_at - end.started_at)},
                          {"agentMeta", std::move(agent_meta)}}}}}};
  if (end.status != sessions::RunStatus::kFinal) j["error"] = error_text(end.status, end.error);
  return j;
}

// A duplicate `agent` of a run that ended: its remembered outcome.
RunEnd end_of(const agents::RunOutcome& o, const std::string& key) {
  RunEnd end{o.run_id, key, o.status, o.error, false, o.started_at, o.started_at};
  if (o.reply) {
    end.text = o.reply->text;
    end.model = o.reply->model;
    end.ended_at = o.reply->created_at;
    end.input_tokens = o.reply->input_tokens;
    end.output_tokens = o.reply->output_tokens;
  } else {
    end.text = o.text;
  }
  return end;
}

struct Delivery {
  std::string channel, account, to;
  bool best_effort = false;
};

// The reply was handed to the channel (or not): recorded in the final answer; a failed
// delivery fails the call unless bestEffortDeliver.
void deliver_outcome(Json& final, const Delivery& d, const Result<std::string>& sent) {
  Json info{{"channel", d.channel}, {"to", d.to}, {"delivered", sent.ok()}};
  if (sent.ok()) {
    info["messageId"] = *sent;
  } else {
    info["error"] = sent.error().message;
    if (!d.best_effort) {
      final["status"] = "error";
      final["summary"] = "delivery failed: " + sent.error().message;
      final["error"] = final["summary"];
    }
  }
  final["result"]["meta"]["delivery"] = std::move(info);
}

}  // namespace

void method_agent(MethodCall& call) {
  const Json& p = call.params;
  const std::string agent_id = json_str(p, "agentId");
  std::string raw = json_str(p, "sessionKey");
  if (raw.empty()) {
    // The agent's main session, as OpenClaw's CLI means it. A shared-mode user names a
    // session of their own (the dispatcher moved a given key into their namespace).
    if (!call.client.user.empty())
      return call.respond(Error::invalid("agent: sessionKey is required for a shared-mode user"));
    raw = "main";
  }
  auto key = call.svc.agents.parse_key(raw, agent_id);
  if (!key.ok()) return call.respond(key.error());
  // deliver: the reply also goes to a channel target (checked before the run starts).
  Delivery delivery;
  if (json_bool(p, "deliver", false)) {
    delivery.channel = json_str(p, "replyChannel");
    if (delivery.channel.empty()) delivery.channel = json_str(p, "channel");
    delivery.account = json_str(p, "replyAccountId");
    if (delivery.account.empty()) delivery.account = json_str(p, "accountId");
    delivery.to = json_str(p, "replyTo");
    if (delivery.to.empty()) delivery.to = json_str(p, "to");
    delivery.best_effort = json_bool(p, "bestEffortDeliver", false);
    if (delivery.channel.empty() || delivery.to.empty())
      return call.respond(Error::invalid("agent: deliver needs channel and to"));
    if (delivery.channel == "webchat" || !call.svc.channels.has_channel(delivery.channel))
      return call.respond(Error::invalid("agent: cannot deliver to channel " + delivery.channel +
                                         " (see channels.status)"));
  }
  auto images = parse_attachments(p, call.svc.config.cfg().sessions.attachments);
  if (!images.ok()) return call.respond(images.error());
  call.client.watch(key->key);  // the caller sees its reply stream
  agents::SendParams sp;
  sp.images = std::move(images).value();
  sp.session_key = key->key;
  sp.message = json_str(p, "message");
  sp.idempotency_key = json_str(p, "idempotencyKey");
  sp.agent_id = key->agent_id;
  // `timeout` is in seconds; 0 = the configured run timeout.
  if (std::int64_t s = json_int(p, "timeout", 0); s > 0)
    sp.timeout_ms = static_cast<int>(std::min<std::int64_t>(s, 24 * 3600) * 1000);
  call.svc.runs.send(std::move(sp), [respond = call.respond, &svc = call.svc, key = *key,
                                     delivery](Result<agents::SendAck> r) {
    if (!r.ok()) return respond(r.error());
    using Kind = agents::SendAck::Kind;
    if (r->kind == Kind::kInFlight)  // OpenClaw's answer: the CLI says so and stops
      return respond(Json{{"runId", r->run_id}, {"status", "in_flight"}});
    if (r->kind == Kind::kDone)
      return respond(agent_final(r->run_id, key.agent_id, end_of(r->outcome, key.key)));
    respond.interim(Json{{"runId", r->run_id},
                         {"sessionKey", key.key},
                         {"agentId", key.agent_id},
                         {"status", "accepted"},
                         {"acceptedAt", svc.clock.wall_ms()}});
    bool waiting = svc.run_waiters.wait(
        r->run_id, 0,
        [respond, &svc, delivery, run_id = r->run_id, agent = key.agent_id](const RunEnd* end) {
          if (!end) return;
          Json final = agent_final(run_id, agent, *end);
          if (delivery.channel.empty() || end->status != sessions::RunStatus::kFinal ||
              end->text.empty())
            return respond(std::move(final));
          svc.channels.deliver(delivery.channel, delivery.account, delivery.to, end->text,
                               [respond, delivery, final](Result<std::string> sent) mutable {
                                 deliver_outcome(final, delivery, sent);
                                 respond(std::move(final));
                               });
        });
    if (!waiting)
      respond(Error::unavailable("agent: too many callers are waiting for runs; use agent.wait"));
  });
}

void method_agent_wait(MethodCall& call) {
  const std::string run_id = json_str(call.params, "runId");
  const std::int64_t timeout =
      std::clamp<std::int64_t>(json_int(call.params, "timeoutMs", kDefaultWaitMs), 0, kMaxWaitMs);
  // Shared mode: a user may wait only for runs of their own sessions.
  const std::string user = call.client.user;
  bool waiting = call.svc.run_waiters.wait(
      run_id, timeout == 0 ? 1 : timeout,
      [respond = call.respond, run_id, user, &agents = call.svc.agents](const RunEnd* end) {
        if (!end) return respond(Json{{"runId", run_id}, {"status", "timeout"}});
        if (!user.empty()) {
          auto key = agents.parse_key(end->session_key);
          if (!key.ok() || key->owner != user)
            return respond(Json{{"runId", run_id}, {"status", "timeout"}});
        }
        Json j{{"runId", run_id},
               {"status", wait_status(end->status, end->timed_out)},
               {"startedAt", end->started_at},
               {"endedAt", end->ended_at}};
        if (end->status != sessions::RunStatus::kFinal)
          j["error"] = error_text(end->status, end->error);
        respond(std::move(j));
      });
  if (!waiting) call.respond(Error::unavailable("agent.wait: too many callers are waiting; retry"));
}

namespace {

// A text for a channel target, from `send` or `message.action`.
struct Outbound {
  std::string channel, account, to, text, idempotency_key;
};
using AnswerShape = Json (*)(const Outbound& o, const std::string& message_id);

// Checks the target, then delivers once per idempotency key (a retry answers the first
// delivery's result; the ledger keys are per method, whose answers differ).
void deliver_once(MethodCall& call, std::string_view method, Outbound o, AnswerShape shape) {
  const std::string m(method);
  if (o.text.empty()) return call.respond(Error::invalid(m + ": message is empty"));
  if (o.channel.empty()) {
    // The one channel that can deliver, when there is exactly one.
    std::vector<std::string> targets = call.svc.channels.channel_names();
    std::erase(targets, "webchat");
    if (targets.size() != 1)
      return call.respond(Error::invalid(m + ": name the channel (channel: telegram, irc, ...)"));
    o.channel = targets.front();
  }
  if (o.channel == "webchat")
    return call.respond(
        Error::invalid(m + ": webchat has no delivery target; use chat.send to talk in a session"));
  if (!call.svc.channels.has_channel(o.channel))
    return call.respond(Error::not_found(m + ": channel " + o.channel +
                                         " is not configured (see channels.status)"));
  if (o.to.empty()) return call.respond(Error::invalid(m + ": no target (to)"));
  const std::string key = m + ":" + o.idempotency_key;
  auto answer = [respond = call.respond](const Result<Json>& r) {
    if (!r.ok()) return respond(r.error());
    respond(*r);
  };
  if (!call.svc.send_ledger.begin(key, answer)) return;
  Services& svc = call.svc;
  svc.channels.deliver(o.channel, o.account, o.to, o.text,
                       [answer, &ledger = svc.send_ledger, key, o, shape](Result<std::string> r) {
                         Result<Json> out =
                             r.ok() ? Result<Json>(shape(o, *r)) : Result<Json>(r.error());
                         ledger.end(key, out);
                         answer(out);
                       });
}

Json send_answer(const Outbound& o, const std::string& message_id) {
  return Json{{"runId", o.idempotency_key}, {"messageId", message_id}, {"channel", o.channel}};
}

// What OpenClaw's channel actions answer for a send (its CLI reads ok and messageId).
Json action_answer(const Outbound& o, const std::string& message_id) {
  return Json{{"ok", true},
              {"messageId", message_id},
              {"chatId", o.to},
              {"channel", o.channel},
              {"to", o.to}};
}

}  // namespace

void method_send(MethodCall& call) {
  const Json& p = call.params;
  for (const char* media : {"mediaUrl", "mediaUrls", "buffer"})
    if (p.contains(media))
      return call.respond(Error::invalid(std::string("send: ") + media +
                                         " is not supported (text only); send the text alone"));
  deliver_once(call, "send",
               Outbound{json_str(p, "channel"), json_str(p, "accountId"), json_str(p, "to"),
                        json_str(p, "message"), json_str(p, "idempotencyKey")},
               send_answer);
}

// `openclaw message send`: {channel, action: "send", params: {message, to: "<channel>:<id>"
// | target}, idempotencyKey}. Other channel actions (react, pin, poll, ...) are refused.
void method_message_action(MethodCall& call) {
  const Json& p = call.params;
  const std::string action = json_str(p, "action");
  if (action != "send")
    return call.respond(
        Error::invalid("message.action: only the send action is supported, not " + action));
  static const Json kNone = Json::object();
  const Json& a = p.contains("params") && p["params"].is_object() ? p["params"] : kNone;
  for (const char* media : {"media", "mediaUrl", "mediaUrls", "buffer", "presentation"})
    if (a.contains(media) && !a[media].is_null())
      return call.respond(Error::invalid(std::string("message.action: ") + media +
                                         " is not supported (text only)"));
  Outbound o{json_str(p, "channel"), json_str(p, "accountId"), json_str(a, "target"),
             json_str(a, "message"), json_str(p, "idempotencyKey")};
  if (o.account.empty()) o.account = json_str(a, "accountId");
  // `to` is "<channel>:<id>" when the CLI resolved it; `target` is what the user typed.
  if (std::string to = json_str(a, "to"); !to.empty())
    o.to = to.rfind(o.channel + ":", 0) == 0 ? to.substr(o.channel.size() + 1) : to;
  deliver_once(call, "message.action", std::move(o), action_answer);
}

}  // namespace simpleclaw::gateway
