#include "gateway/http/hooks.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/text_template.h"
#include "base/utf8.h"
#include "base/webhook_signature.h"
#include "config/config.h"
#include "gateway/cron/delivery.h"
#include "gateway/cron/heartbeat.h"
#include "gateway/http/http_router.h"
#include "gateway/live_config.h"
#include "gateway/run_waiters.h"
#include "sessions/db_worker.h"
#include "sessions/hook_store.h"

namespace simpleclaw::gateway {

// What passed every check and is about to run.
struct Hooks::Verified {
  std::string name;        // wake | agent | a mapping's name
  std::string webhook_id;  // "" when a bearer token stood in for the signature
  std::int64_t timestamp_s = 0;
  std::string message;
  std::string session_key;  // canonical
  std::string agent_id;     // the session's agent
  std::string mode;         // wake's mode
  bool wait = false;
  int timeout_ms = 0;  // 0 = sessions.run_timeout_ms
  std::optional<config::HookDeliverConfig> deliver;
  std::string peer_ip;
};

namespace {

// A JSON body nested deeper than this is refused before parsing: the template renderer
// and the JSON dumper recurse.
constexpr int kHookMaxJsonDepth = 64;
// Headers a template may never read: credentials must not end up in a transcript.
constexpr std::string_view kHookHiddenHeaders[] = {"authorization", "proxy-authorization", "cookie",
                                                   "x-openclaw-token", "webhook-signature"};

// Our answers are JSON; text from the request (a path, a header) may be any bytes.
HttpAnswer hook_answer(int status, const Json& body) {
  return HttpAnswer{status, "application/json",
                    body.dump(-1, ' ', false, Json::error_handler_t::replace), ""};
}

HttpAnswer hook_refusal(int status, std::string why) {
  return hook_answer(status, Json{{"ok", false}, {"error", std::move(why)}});
}

// Every line of header `name` (lower-case), joined by ", " ("" = absent).
std::string hook_header(const HttpRequest& r, std::string_view name) {
  std::string out;
  for (const auto& h : r.headers) {
    if (h.first != name) continue;
    if (!out.empty()) out += ", ";
    out += h.second;
  }
  return out;
}

// {"<lowercased name>": value} for the template, credentials left out.
Json hook_header_context(const HttpRequest& r) {
  Json out = Json::object();
  for (const auto& h : r.headers) {
    const std::string& name = h.first;
    if (std::find(std::begin(kHookHiddenHeaders), std::end(kHookHiddenHeaders), name) !=
        std::end(kHookHiddenHeaders))
      continue;
    if (!valid_utf8(h.second)) continue;
    std::string& v = out[name].is_string() ? out[name].get_ref<std::string&>()
                                           : (out[name] = std::string()).get_ref<std::string&>();
    if (!v.empty()) v += ", ";
    v += h.second;
  }
  return out;
}

// The deepest nesting of arrays and objects in JSON text (strings skipped); a cheap scan
// that runs before the parser.
int hook_json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

bool hook_blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// A run error as an HTTP status: the caller's mistake, busy, or ours.
int hook_status_of(const Error& e) {
  if (e.is_invalid() || e.is_not_found()) return 400;
  if (e.is_unavailable()) return 503;
  if (e.is_conflict()) return 409;
  return 500;
}

}  // namespace

void Hooks::handle(const HttpRequest& req, const PeerInfo& peer, Done done) {
  const config::HooksConfig& cfg = d_.config.cfg().hooks;
  const std::string path(req.path());
  const std::string where = req.method + " " + path + " from " + peer.remote_ip;
  auto refuse = [&](int status, std::string why) {
    if (status == 404)
      log::debug("hooks: refused {}: {}", where, why);
    else
      log::warn("hooks: refused {}: {}", where, why);
    done(hook_refusal(status, std::move(why)));
  };
  if (!cfg.enabled)
    return refuse(404, "webhooks are not enabled on this gateway (hooks.enabled: false)");
  const std::string name = path.substr(std::min(path.size(), kPrefix.size()));
  const config::HookMappingConfig* mapping = nullptr;
  if (name != "wake" && name != "agent") {
    for (const config::HookMappingConfig& m : cfg.mappings)
      if (m.name == name) mapping = &m;
    if (!mapping)
      return refuse(404, "no hook named '" + name +
                             "': POST /hooks/wake, /hooks/agent, or a name under hooks.mappings");
  }
  if (req.method != "POST") {
    log::debug("hooks: refused {}: not POST", where);
    HttpAnswer a = hook_refusal(405, "hooks take POST only");
    a.allow = "POST";
    return done(std::move(a));
  }
  if (static_cast<long long>(req.body.size()) > cfg.max_body_bytes)
    return refuse(413, "the body is " + std::to_string(req.body.size()) +
                           " bytes; hooks.max_body_bytes allows " +
                           std::to_string(cfg.max_body_bytes));

  // Who sent it: the signature (or, when allowed, the bearer token) with this hook's secret.
  const std::string& secret = mapping && !mapping->secret.empty() ? mapping->secret : cfg.secret;
  Verified v;
  v.name = name;
  v.peer_ip = peer.remote_ip;
  const std::string signature = hook_header(req, "webhook-signature");
  const std::string authorization = hook_header(req, "authorization");
  if (signature.empty() && cfg.allow_bearer && authorization.rfind("Bearer ", 0) == 0) {
    if (!secret_equal(std::string_view(authorization).substr(7), secret))
      return refuse(401, "the bearer token is not this hook's secret");
  } else {
    auto key = webhook_key(secret);
    if (!key) return refuse(500, "this hook's secret is not valid whsec_<base64>; fix the config");
    const std::string id = hook_header(req, "webhook-id");
    const std::string ts = hook_header(req, "webhook-timestamp");
    Status ok = webhook_verify(*key, id, ts, signature, req.body, d_.clock.wall_ms() / 1000,
                               kToleranceSeconds);
    if (!ok.ok()) {
      std::string why = ok.error().message;
      if (signature.empty() && !authorization.empty())
        why += "; a bearer token is accepted only with hooks.allow_bearer: true";
      else if (signature.empty())
        why += " (sign the request: docs/webhooks.md)";
      return refuse(401, std::move(why));
    }
    v.webhook_id = id;
    (void)std::from_chars(ts.data(), ts.data() + ts.size(), v.timestamp_s);  // verified above
  }

  // What to run.
  if (hook_json_depth(req.body) > kHookMaxJsonDepth)
    return refuse(
        400, "the body is nested deeper than " + std::to_string(kHookMaxJsonDepth) + " levels");
  Json body = mapping && hook_blank(req.body) ? Json() : Json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    return refuse(400, "the body is not valid JSON (send Content-Type: application/json)");
  std::string raw_key, agent_override;
  if (name == "wake") {
    if (!body.is_object() || !body.contains("text") || !body["text"].is_string() ||
        hook_blank(body["text"].get<std::string>()))
      return refuse(400, "/hooks/wake needs a JSON object with a non-empty \"text\"");
    v.message = body["text"].get<std::string>();
    v.mode = "now";
    if (body.contains("mode")) {
      if (body["mode"] != "now" && body["mode"] != "next-heartbeat")
        return refuse(400, "\"mode\" must be \"now\" or \"next-heartbeat\"");
      v.mode = body["mode"].get<std::string>();
    }
    raw_key = "main";
  } else if (name == "agent") {
    if (!body.is_object() || !body.contains("message") || !body["message"].is_string() ||
        hook_blank(body["message"].get<std::string>()))
      return refuse(400, "/hooks/agent needs a JSON object with a non-empty \"message\"");
    v.message = body["message"].get<std::string>();
    for (const char* field : {"agentId", "sessionKey"})
      if (body.contains(field) && !body[field].is_string())
        return refuse(400, std::string("\"") + field + "\" must be a string");
    if (body.contains("wait") && !body["wait"].is_boolean())
      return refuse(400, "\"wait\" must be true or false");
    if (body.contains("timeoutSeconds") &&
        (!body["timeoutSeconds"].is_number() || body["timeoutSeconds"].get<double>() < 1 ||
         body["timeoutSeconds"].get<double>() > 86400))
      return refuse(400, "\"timeoutSeconds\" must be a number from 1 to 86400");
    agent_override = body.value("agentId", "");
    raw_key = body.value("sessionKey", "");
    if (raw_key.empty()) raw_key = "hook:" + uuid_v4();
    v.wait = body.value("wait", false);
    v.timeout_ms =
        static_cast<int>(std::clamp(body.value("timeoutSeconds", 0.0), 0.0, 86'400.0) * 1000);
  } else {
    Json context{{"body", body}, {"headers", hook_header_context(req)}, {"name", name}};
    v.message = render_template(mapping->message, context);
    if (hook_blank(v.message))
      return refuse(400, "hooks.mappings." + name +
                             ".message rendered empty from this request (the fields it names "
                             "are not in the body or headers)");
    agent_override = mapping->agent;
    raw_key = mapping->session.empty() ? "hook:" + name : mapping->session;
    v.wait = mapping->wait;
    v.timeout_ms = mapping->timeout_ms;
    v.deliver = mapping->deliver;
  }
  auto key = d_.agents.parse_key(raw_key, agent_override);
  if (!key.ok()) {
    if (mapping)
      return refuse(500,
                    "hooks.mappings." + name + ": " + key.error().message + "; fix the config");
    return refuse(400, key.error().message);
  }
  // A caller picks its session only among hook sessions: a hook secret must not be a way
  // to write into an operator's or a channel's conversation.
  if (name == "agent" && key->rest.rfind("hook:", 0) != 0)
    return refuse(400,
                  "\"sessionKey\" must name a hook session (hook:<anything>), got " + key->key);
  v.session_key = key->key;
  v.agent_id = key->agent_id;

  if (v.webhook_id.empty()) return run(std::move(v), std::move(done));
  // Replays: the id is recorded (durably) before anything runs.
  const std::int64_t expires_ms = (v.timestamp_s + kToleranceSeconds) * 1000;
  const std::int64_t now_ms = d_.clock.wall_ms();
  std::string id = v.webhook_id;
  d_.db.post(
      [id, name, expires_ms, now_ms](sessions::SessionStore& s) {
        return sessions::record_webhook_id(s, id, name, expires_ms, now_ms, kMaxRememberedIds);
      },
      alive_.guard([this, v = std::move(v), done = std::move(done),
                    where](Result<sessions::WebhookIdVerdict> r) mutable {
        auto no = [&](int status, std::string why) {
          log::warn("hooks: refused {}: {}", where, why);
          done(hook_refusal(status, std::move(why)));
        };
        if (!r.ok())
          return no(500, "cannot record the webhook-id: " + r.error().message + "; retry later");
        if (*r == sessions::WebhookIdVerdict::kReplay)
          return no(409, "webhook-id " + v.webhook_id +
                             " was already received: a replay (or a retry of a delivered "
                             "message) is not run again");
        if (*r == sessions::WebhookIdVerdict::kFull)
          return no(503, "more than " + std::to_string(kMaxRememberedIds) +
                             " webhooks in 5 minutes; retry later");
        run(std::move(v), std::move(done));
      }));
}

void Hooks::run(Verified v, Done done) {
  // next-heartbeat: the agent's next heartbeat carries the text (an agent without one
  // runs it now, as the wake method does).
  if (v.name == "wake" && v.mode == "next-heartbeat" &&
      d_.heartbeats.queue_event(v.agent_id, v.message)) {
    log::info("hooks: wake from {} (webhook-id {}) queued for agent {}'s next heartbeat", v.peer_ip,
              v.webhook_id.empty() ? "-" : v.webhook_id, v.agent_id);
    return done(hook_answer(
        200,
        Json{{"ok", true}, {"queued", true}, {"mode", v.mode}, {"sessionKey", v.session_key}}));
  }
  agents::SendParams sp;
  sp.session_key = v.session_key;
  sp.agent_id = v.agent_id;
  sp.message = v.message;
  sp.idempotency_key = "hook:" + v.name + ":" + uuid_v4();
  if (v.timeout_ms > 0) sp.timeout_ms = v.timeout_ms;
  const std::int64_t run_timeout_ms =
      v.timeout_ms > 0 ? std::int64_t{v.timeout_ms} : d_.config.cfg().sessions.run_timeout_ms;
  d_.runs.send(std::move(sp), alive_.guard([this, v, done = std::move(done),
                                            run_timeout_ms](Result<agents::SendAck> ack) mutable {
    if (!ack.ok()) {
      log::warn("hooks: {} from {}: the run was not started: {}", v.name, v.peer_ip,
                ack.error().message);
      return done(hook_refusal(hook_status_of(ack.error()), ack.error().message));
    }
    const std::string run_id = ack->run_id;
    log::info("hooks: {} from {} (webhook-id {}) started run {} in {}", v.name, v.peer_ip,
              v.webhook_id.empty() ? "-" : v.webhook_id, run_id, v.session_key);
    Json started{{"ok", true}, {"runId", run_id}, {"sessionKey", v.session_key}};
    if (v.name == "wake") started["mode"] = v.mode;
    const int started_status = v.name == "wake" ? 200 : 202;
    if (!v.wait && !v.deliver) return done(hook_answer(started_status, started));
    if (!v.wait) {  // deliver in the background; the sender has its answer
      done(hook_answer(started_status, started));
      done = [](HttpAnswer) {};
    }
    const std::string key = v.session_key;
    bool waiting =
        d_.waiters.wait(run_id, run_timeout_ms + kWaitGraceMs,
                        alive_.guard([this, v, run_id, key, done](const RunEnd* end) mutable {
                          ended(v, run_id, key, end, std::move(done));
                        }));
    if (!waiting) {
      log::warn("hooks: {}: too many callers wait for runs; run {} is not waited for", v.name,
                run_id);
      started["status"] = "running";
      done(hook_answer(202, started));
    }
  }));
}

void Hooks::ended(const Verified& v, const std::string& run_id, const std::string& session_key,
                  const RunEnd* end, Done done) {
  Json out{{"ok", false}, {"runId", run_id}, {"sessionKey", session_key}};
  int status = 502;
  std::string text;
  if (!end) {
    // Past its own timeout and the grace: stop it, as cron does.
    d_.runs.abort(session_key, run_id);
    status = 504;
    out["status"] = "timeout";
    out["error"] = "the run did not end within its timeout and was aborted";
  } else if (end->status == sessions::RunStatus::kFinal) {
    status = 200;
    out["ok"] = true;
    out["status"] = "ok";
    out["reply"] = end->text;
    text = end->text;
  } else if (end->timed_out) {
    status = 504;
    out["status"] = "timeout";
    out["error"] = end->error.empty() ? "the run exceeded its timeout" : end->error;
  } else {
    out["status"] = end->status == sessions::RunStatus::kAborted ? "aborted" : "error";
    out["error"] = end->error.empty() ? std::string("the run was aborted") : end->error;
  }
  if (!v.deliver || status != 200) return done(hook_answer(status, out));

  static const std::string kUnsigned;  // announce deliveries sign nothing
  CronDelivery what;
  what.spec = Json{{"delivery",
                    {{"mode", "announce"},
                     {"channel", v.deliver->channel},
                     {"to", v.deliver->to},
                     {"accountId", v.deliver->account_id}}}};
  what.job_id = "hook:" + v.name;
  what.job_name = v.name;
  what.agent_id = v.agent_id;
  what.run_id = run_id;
  what.session_key = session_key;
  what.text = text;
  deliver_cron_result(CronDeliveryDeps{d_.io, d_.channels, d_.clock, kUnsigned}, what,
                      alive_.guard([v, out = std::move(out), status,
                                    done = std::move(done)](DeliveryResult dr) mutable {
                        if (dr.status != "delivered")
                          log::warn("hooks: {}: the reply was not delivered: {}", v.name, dr.error);
                        out["delivery"] = Json{{"status", dr.status}};
                        if (!dr.error.empty()) out["delivery"]["error"] = dr.error;
                        done(hook_answer(status, out));
                      }));
}

void register_hook_routes(HttpRouter& router, Hooks& hooks) {
  // Every method reaches the hooks, so a disabled hook is 404 whatever the method.
  for (const char* method : {"POST", "GET", "PUT", "PATCH", "DELETE"}) {
    HttpRoute route;
    route.method = method;
    route.path = std::string(Hooks::kPrefix);
    route.auth = HttpRoute::Auth::kNone;
    route.handler = [&hooks](HttpCall& call) {
      hooks.handle(call.req, call.peer,
                   [reply = call.reply](HttpAnswer a) { reply->answer(std::move(a)); });
    };
    router.add(std::move(route));
  }
}

}  // namespace simpleclaw::gateway
