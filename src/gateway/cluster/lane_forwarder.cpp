#include "gateway/cluster/lane_forwarder.h"

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "gateway/agent_tools.h"

namespace simpleclaw::gateway {

using agents::SendAck;
using agents::SendParams;

namespace {

// Below a client's usual 10 s call timeout, so the caller hears why.
constexpr std::chrono::milliseconds kForwardTimeout{5000};
// Only the instance that has the run or approval answers an op: silence for this long
// means none has it.
constexpr std::chrono::milliseconds kOpsTimeout{1000};

// Errors keep their exact code across the hop (the wire codes of SPEC §3 would merge some).
Json error_wire(const Error& e) {
  Json j{{"code", static_cast<int>(e.code)}, {"message", e.message}};
  if (!e.details.is_null()) j["details"] = e.details;
  if (e.retry_after_ms) j["retryAfterMs"] = *e.retry_after_ms;
  return j;
}

Error error_back(const Json& j) {
  Error e;
  const int code = j.value("code", static_cast<int>(ErrorCode::kInternal));
  e.code = code >= 0 && code <= static_cast<int>(ErrorCode::kApprovalNotFound)
               ? static_cast<ErrorCode>(code)
               : ErrorCode::kInternal;
  e.message = j.value("message", "error from another gateway instance");
  if (j.contains("details")) e.details = j["details"];
  if (j.contains("retryAfterMs") && j["retryAfterMs"].is_number_integer())
    e.retry_after_ms = j["retryAfterMs"].get<long long>();
  return e;
}

}  // namespace

Json send_params_json(const SendParams& p) {
  Json j{{"sessionKey", p.session_key},         {"message", p.message},
         {"idempotencyKey", p.idempotency_key}, {"agentId", p.agent_id},
         {"extraSystem", p.extra_system},       {"replyRoute", p.reply_route}};
  if (p.queue_mode) j["queueMode"] = agents::queue_mode_name(*p.queue_mode);
  if (p.timeout_ms) j["timeoutMs"] = *p.timeout_ms;
  if (p.images) {
    Json images = Json::array();
    for (const sessions::NewImage& img : *p.images)
      images.push_back({{"data", base64(img.bytes)}, {"fileName", img.file_name}});
    j["images"] = std::move(images);
  }
  return j;
}

Result<SendParams> send_params_from(const Json& j) {
  if (!j.is_object() || !j["sessionKey"].is_string() || !j["idempotencyKey"].is_string())
    return Error::invalid("a forwarded send without sessionKey and idempotencyKey");
  SendParams p;
  p.session_key = j.value("sessionKey", "");
  p.message = j.value("message", "");
  p.idempotency_key = j.value("idempotencyKey", "");
  p.agent_id = j.value("agentId", "");
  p.extra_system = j.value("extraSystem", "");
  p.reply_route = j.value("replyRoute", "");
  if (j.contains("queueMode")) p.queue_mode = agents::parse_queue_mode(j.value("queueMode", ""));
  if (j.contains("timeoutMs") && j["timeoutMs"].is_number_integer())
    p.timeout_ms = j["timeoutMs"].get<int>();
  if (j.contains("images") && j["images"].is_array()) {
    auto images = std::make_shared<std::vector<sessions::NewImage>>();
    for (const Json& i : j["images"]) {
      auto bytes = base64_decode(i.value("data", ""));
      auto format = bytes ? sessions::sniff_image(*bytes) : std::nullopt;
      if (!format) return Error::invalid("a forwarded send with an unreadable image");
      images->push_back({*format, std::move(*bytes), i.value("fileName", "")});
    }
    p.images = std::move(images);
  }
  p.forwarded = true;
  return p;
}

Json send_answer_json(const Result<SendAck>& r) {
  if (!r.ok()) return Json{{"ok", false}, {"error", error_wire(r.error())}};
  const char* kind = r->kind == SendAck::Kind::kStarted    ? "started"
                     : r->kind == SendAck::Kind::kInFlight ? "in_flight"
                                                           : "done";
  Json j{{"ok", true}, {"kind", kind}, {"runId", r->run_id}};
  if (r->kind == SendAck::Kind::kDone) {
    const agents::RunOutcome& o = r->outcome;
    j["status"] = sessions::run_status_name(o.status);
    j["error"] = o.error;
    j["text"] = o.reply ? o.reply->text : o.text;
    j["startedAt"] = o.started_at;
  }
  return j;
}

Result<SendAck> send_answer_from(const Json& j) {
  if (!j.is_object()) return Error::internal("a malformed answer from another gateway instance");
  if (!j.value("ok", false)) return error_back(j.value("error", Json::object()));
  SendAck a;
  const std::string kind = j.value("kind", "");
  a.kind = kind == "started"     ? SendAck::Kind::kStarted
           : kind == "in_flight" ? SendAck::Kind::kInFlight
                                 : SendAck::Kind::kDone;
  a.run_id = j.value("runId", "");
  if (a.kind == SendAck::Kind::kDone) {
    a.outcome.run_id = a.run_id;
    a.outcome.status = sessions::parse_run_status(j.value("status", "error"));
    a.outcome.error = j.value("error", "");
    a.outcome.text = j.value("text", "");
    a.outcome.started_at = j.value("startedAt", std::int64_t{0});
  }
  return a;
}

LaneForwarder::LaneForwarder(agents::RunEngine& runs, tools::ApprovalManager& approvals,
                             sessions::DbWorker& db, cluster::Bus& bus, std::string instance,
                             std::chrono::milliseconds lease_ttl)
    : runs_(runs),
      approvals_(approvals),
      db_(db),
      bus_(bus),
      instance_(std::move(instance)),
      ttl_(lease_ttl) {
  auto sub =
      bus_.subscribe("lane." + instance_, [this](const cluster::BusMessage& m) { serve(m); });
  if (!sub.ok()) log::warn("cluster: NATS subscribe (lane): {}", sub.error().message);
  sub = bus_.subscribe("ops", [this](const cluster::BusMessage& m) { serve_op(m); });
  if (!sub.ok()) log::warn("cluster: NATS subscribe (ops): {}", sub.error().message);
  runs_.set_forwarder(
      [this](SendParams p, const std::string& to, std::function<void(Result<SendAck>)> done) {
        forward(std::move(p), to, std::move(done));
      });
}

LaneForwarder::~LaneForwarder() { runs_.set_forwarder(nullptr); }

void LaneForwarder::forward(SendParams p, const std::string& to,
                            std::function<void(Result<SendAck>)> done) {
  const std::string key = p.session_key;
  auto unreachable = [to, key, retry = ttl_.count()](const std::string& why) {
    Error e = Error::unavailable("session " + key + " is being served by gateway instance " + to +
                                     ", which cannot be reached (" + why +
                                     "); retry shortly: the message was not taken",
                                 retry);
    e.details = Json{{"code", "LANE_UNREACHABLE"}, {"instance", to}};
    return e;
  };
  // Without NATS a request would only wait for its timeout: say so at once.
  if (!bus_.connected()) return done(unreachable("the cluster's NATS connection is down"));
  ++forwarded_;
  bus_.request("lane." + to, send_params_json(p).dump(), kForwardTimeout,
               [done = std::move(done), unreachable](Result<std::string> r) {
                 if (!r.ok()) return done(unreachable(r.error().message));
                 done(send_answer_from(Json::parse(*r, nullptr, false)));
               });
}

void LaneForwarder::serve(const cluster::BusMessage& m) {
  if (m.reply.empty()) return;
  auto p = send_params_from(Json::parse(m.data, nullptr, false));
  if (!p.ok()) {
    (void)bus_.respond(m, send_answer_json(p.error()).dump());
    return;
  }
  ++served_;
  runs_.send(std::move(*p), alive_.guard([this, m](Result<SendAck> r) {
    if (auto st = bus_.respond(m, send_answer_json(r).dump()); !st.ok())
      log::warn("cluster: could not answer a forwarded send: {}", st.error().message);
  }));
}

void LaneForwarder::ask(const Json& op, std::function<void(std::optional<Json>)> done) {
  if (!bus_.connected()) return done(std::nullopt);
  bus_.request("ops", op.dump(), kOpsTimeout, [done = std::move(done)](Result<std::string> r) {
    if (!r.ok()) return done(std::nullopt);
    Json j = Json::parse(*r, nullptr, false);
    done(j.is_object() ? std::optional<Json>(std::move(j)) : std::nullopt);
  });
}

void LaneForwarder::abort(const std::string& session_key, const std::string& run_id,
                          std::function<void(std::vector<std::string>)> done) {
  ask(Json{{"op", "abort"}, {"from", instance_}, {"sessionKey", session_key}, {"runId", run_id}},
      [done = std::move(done)](std::optional<Json> j) {
        std::vector<std::string> ids;
        if (j && (*j)["runIds"].is_array())
          for (const Json& id : (*j)["runIds"])
            if (id.is_string()) ids.push_back(id.get<std::string>());
        done(std::move(ids));
      });
}

void LaneForwarder::resolve(const std::string& id, const std::string& decision,
                            const std::string& by,
                            std::function<void(std::optional<Result<Json>>)> done) {
  ask(Json{{"op", "resolve"}, {"from", instance_}, {"id", id}, {"decision", decision}, {"by", by}},
      [done = std::move(done)](std::optional<Json> j) {
        if (!j) return done(std::nullopt);
        if (!j->value("ok", false)) return done(Result<Json>(error_back((*j)["error"])));
        done(Result<Json>((*j)["result"]));
      });
}

void LaneForwarder::stored_approvals(std::function<void(Json)> done) {
  db_.post([](sessions::SessionStore& s) { return s.pending_approvals(); },
           alive_.guard([done = std::move(done)](Result<std::vector<sessions::ApprovalRow>> rows) {
             Json list = Json::array();
             if (!rows.ok()) return done(std::move(list));  // the local ones still answer
             const std::int64_t now = wall_now_ms();
             for (const tools::ApprovalRecord& r : approval_records(*rows))
               if (r.expires_ms > now) list.push_back(r.pending_json());
             done(std::move(list));
           }));
}

void LaneForwarder::serve_op(const cluster::BusMessage& m) {
  Json op = Json::parse(m.data, nullptr, false);
  if (m.reply.empty() || !op.is_object() || op.value("from", "") == instance_) return;
  const std::string what = op.value("op", "");
  if (what == "abort") {
    agents::AbortResult r = runs_.abort(op.value("sessionKey", ""), op.value("runId", ""));
    if (r.run_ids.empty()) return;  // not here: the one that has it answers
    (void)bus_.respond(m, Json{{"runIds", r.run_ids}}.dump());
    return;
  }
  if (what == "resolve") {
    const std::string id = op.value("id", "");
    if (!approvals_.get(id).ok()) return;  // not here
    Result<Json> r = approvals_.resolve(id, op.value("decision", ""), op.value("by", ""));
    Json answer = r.ok() ? Json{{"ok", true}, {"result", *r}}
                         : Json{{"ok", false}, {"error", error_wire(r.error())}};
    (void)bus_.respond(m, answer.dump());
  }
}

}  // namespace simpleclaw::gateway
