// slack: one Slack app account. Inbound over Socket Mode (no public URL needed): the app
// token (xapp-) opens a WebSocket with apps.connections.open, Slack pushes envelopes on
// it and each is acknowledged at once. Outbound over the Web API with the bot token
// (xoxb-): chat.postMessage, with Block Kit buttons for approvals.
//
// Life of a connection: start() -> auth.test (who are we: our user id is how mentions
// and our own messages are recognised) -> apps.connections.open -> WebSocket -> `hello`
// = connected("@name"). Any failure, a socket close or a `disconnect` envelope (Slack
// rotates connections every few hours) is reported once as disconnected() and the
// channel sits idle until the manager's stop()+start(), which opens a fresh connection.
// A setup call refused for a passing reason (Slack down, rate limited) says so rather
// than blaming a token, and a Retry-After it carried delays the next start() (fail_setup).
//
// Acknowledging: Slack redelivers an envelope not acknowledged within 3 s. A message
// envelope is acked only once the host says the message is durable (`handled`: one
// group commit, a few ms), so a message the gateway could not store (disk full; the host
// then fails the connection) or lost to a crash before the commit is delivered again.
// Every other envelope (hello, buttons, ignored events) is acked when it arrives. A
// redelivered message (after a slow ack or a reconnect) is acked and dropped by its
// message id here (RecentIds, once stored; `inflight_` while being stored) and by the
// host's idempotent run id.
//
// Liveness: Socket Mode has no app-level heartbeat; Slack's server sends WebSocket pings
// and drops a socket whose pongs stop. Our WebSocket client (channels/ws_client.h) answers
// those pings itself and neither reports them nor sends its own, so: every frame calls
// alive(), and while the socket is open the channel also calls alive() every
// ping_interval_ms (window = 2x), trusting the open socket. Without that, a quiet
// workspace would look stuck every window and the manager would reopen the connection
// each time (apps.connections.open is rate-limited). The cost: a half-open TCP
// connection is noticed only when Slack's side closes it or the OS gives up; once the
// client can report pongs (a ping_interval option with an on_pong callback), alive()
// belongs there instead of on the timer.
//
// A DM addressed by user (Peer::user_id, e.g. an approval re-offered after a restart)
// goes to the DM channel (D...) that conversations.open answers for that user (the bot
// token needs the im:write scope); the mapping is remembered for the object's life. If
// it cannot be opened the send fails and the host's outbound queue retries it.
//
// Threading: loop thread only. `alive_` guards the object's completions (renewed by stop(), so
// nothing reaches the host after stop() returns); `session_` is one start()'s token, so
// a stale socket or HTTP completion from an earlier connection is ignored.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <map>
#include <unordered_set>

#include "base/alive.h"
#include "base/log.h"
#include "channels/platform_http.h"
#include "channels/slack/slack_api.h"
#include "channels/slack/slack_events.h"
#include "net/ws_client.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::channels {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

constexpr std::size_t kSlackMaxText = 4000;  // Slack truncates text over 40k; 4k reads well
constexpr std::chrono::milliseconds kSlackHelloTimeout = 15s;
constexpr std::chrono::milliseconds kMaxRetryAfter = 30s;   // longer: fail, host retries
constexpr std::chrono::milliseconds kMaxSetupWait = 10min;  // a setup call's Retry-After, capped
constexpr std::size_t kMaxPendingSends = 64;
constexpr std::size_t kMaxReasonBytes = 120;  // a peer's close reason quoted in an error
constexpr std::size_t kMaxUrlBytes = 4096;
constexpr std::size_t kSlackMaxDmChannels = 4096;  // user -> DM channel ids remembered

std::string setting(const Json& s, const char* key, std::string def = {}) {
  auto it = s.is_object() ? s.find(key) : s.end();
  if (it == s.end() || !it->is_string()) return def;
  return it->get<std::string>();
}

long long setting_int(const Json& s, const char* key, long long def, long long lo, long long hi) {
  auto it = s.is_object() ? s.find(key) : s.end();
  if (it == s.end() || !it->is_number_integer()) return def;
  return std::clamp(it->get<long long>(), lo, hi);
}

// A printable, bounded excerpt of a string that came from the network.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxReasonBytes))
    out +=
        (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) ? '?' : c;
  return out;
}

// A user id as Slack spells it (upper case: a session key, where Peer::user_id may come
// from, is lower-cased), or "" when it cannot be one.
std::string slack_user_id(const std::string& id) {
  std::string out;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return {};
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out.size() <= slack::kMaxIdBytes ? out : std::string();
}

// Slack errors worth retrying later; anything else (channel_not_found, not_in_channel,
// invalid_auth, msg_too_long ...) will fail the same way again.
bool retryable(const slack::ApiResult& r) {
  if (!r.transport_error.empty() || r.ratelimited() || r.status >= 500) return true;
  std::string e = r.slack_error();
  return e == "internal_error" || e == "fatal_error" || e == "service_unavailable" ||
         e == "request_timeout";
}

class SlackChannel final : public sdk::Channel {
 public:
  explicit SlackChannel(sdk::ChannelHost& host)
      : host_(host), pool_(std::make_shared<net::ConnectionPool>()) {}
  ~SlackChannel() override { stop(); }

  void start() override;
  void stop() override;
  void send(sdk::OutboundMessage m, std::function<void(Status)> done) override;
  std::size_t max_text() const override { return kSlackMaxText; }
  bool supports_buttons() const override { return true; }
  bool redelivers() const override { return true; }  // unacked envelopes come again
  Json status_extra() const override {
    Json j = Json::object();
    if (!me_.user_id.empty()) j["botUserId"] = me_.user_id;
    if (!me_.user.empty()) j["botUsername"] = me_.user;
    return j;
  }

 private:
  struct Session {};
  struct SendOp {
    Json body;
    std::string open_user;  // addressed by user: the DM to open before posting
    std::function<void(Status)> done;
    int attempts = 0;
    std::shared_ptr<net::HttpCall> call;
    std::unique_ptr<asio::steady_timer> retry;
  };

  void read_settings();
  net::HttpOptions http_options() const;
  void auth_test();
  void connections_open();
  void connect_socket(const std::string& url);
  void on_frame(std::string_view data, bool binary);
  void keepalive();
  void fail_setup(const char* method, const slack::ApiResult& r);
  void fail(std::string why);
  void teardown(bool graceful);
  void open_dm(std::uint64_t id);
  void post_send(std::uint64_t id);
  void finish_send(std::uint64_t id, Status st);

  sdk::ChannelHost& host_;
  std::shared_ptr<net::ConnectionPool> pool_;
  Alive alive_;
  std::shared_ptr<Session> session_;  // null = idle (stopped, or failed and reported)

  // Settings, read by start() (and by a send() before any start()).
  std::string app_token_, bot_token_, api_base_;
  std::chrono::milliseconds ping_interval_{30000};

  slack::Identity me_;
  bool ready_ = false;                         // hello seen on the current socket
  std::shared_ptr<net::HttpCall> setup_call_;  // auth.test / connections.open
  // Not before this may the next start() call Slack (a setup call's Retry-After); kept
  // across stop()/start(), which is when it matters.
  std::chrono::steady_clock::time_point not_before_{};
  std::unique_ptr<asio::steady_timer> wait_timer_;
  std::shared_ptr<net::WsConnection> ws_;
  std::unique_ptr<asio::steady_timer> hello_timer_, keepalive_timer_;
  slack::RecentIds recent_{2048};  // kept across reconnects: redeliveries span them
  // Messages handed to the host and not yet durable (acked once they are). Cleared by
  // teardown: a message the host could not store comes again on the next connection.
  std::unordered_set<std::string> inflight_;

  std::uint64_t next_send_ = 1;
  std::map<std::uint64_t, SendOp> sends_;
  std::map<std::string, std::string> dm_channels_;  // user id -> their DM channel (D...)
};

void SlackChannel::read_settings() {
  const Json& s = host_.settings();
  app_token_ = setting(s, "app_token");
  bot_token_ = setting(s, "bot_token");
  api_base_ = setting(s, "api_base", "https://slack.com/api");
  while (!api_base_.empty() && api_base_.back() == '/') api_base_.pop_back();
  ping_interval_ = std::chrono::milliseconds(setting_int(s, "ping_interval_ms", 30000, 50, 600000));
}

net::HttpOptions SlackChannel::http_options() const { return platform_call(30s, 60s, pool_); }

void SlackChannel::start() {
  if (session_) return;  // already running
  session_ = std::make_shared<Session>();
  ready_ = false;
  read_settings();
  // Check what a user can get wrong before touching the network, and say which key.
  if (bot_token_.empty()) return fail("slack: bot_token is not set (the xoxb-... bot token)");
  if (app_token_.empty())
    return fail("slack: app_token is not set (the xapp-... app-level token for Socket Mode)");
  if (app_token_.rfind("xapp-", 0) != 0)
    return fail("slack: app_token is not an app-level token (xapp-...): check app_token");
  if (bot_token_.rfind("xoxb-", 0) != 0 && bot_token_.rfind("xoxp-", 0) != 0)
    return fail("slack: bot_token is not a bot token (xoxb-...): check bot_token");
  if (!net::parse_url(api_base_ + "/").ok) return fail("slack: api_base is not an http(s) URL");
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      not_before_ - std::chrono::steady_clock::now());
  if (wait.count() <= 0) {
    host_.set_liveness_window(2 * ping_interval_);
    return auth_test();
  }
  // Slack said when to come back (Retry-After): the wait is not a stall.
  host_.set_liveness_window(2 * ping_interval_ + wait);
  std::weak_ptr<Session> w = session_;
  wait_timer_ = std::make_unique<asio::steady_timer>(host_.io(), wait);
  wait_timer_->async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || !w.lock()) return;
    host_.set_liveness_window(2 * ping_interval_);
    auth_test();
  });
}

void SlackChannel::auth_test() {
  std::weak_ptr<Session> w = session_;
  setup_call_ = slack::api_call(host_.io(), api_base_, "auth.test", bot_token_, std::nullopt,
                                http_options(), [this, w](slack::ApiResult r) {
                                  if (!w.lock() || r.cancelled) return;
                                  setup_call_.reset();
                                  if (!r.ok()) {
                                    if (retryable(r)) return fail_setup("auth.test", r);
                                    return fail("slack auth.test refused the bot token (" +
                                                r.slack_error() + "): check bot_token (xoxb-...)");
                                  }
                                  auto str = [&](const char* k) {
                                    auto it = r.body.find(k);
                                    return it != r.body.end() && it->is_string() &&
                                                   it->size() <= slack::kMaxIdBytes
                                               ? it->get<std::string>()
                                               : std::string();
                                  };
                                  me_.user_id = str("user_id");
                                  me_.user = excerpt(str("user"));
                                  me_.bot_id = str("bot_id");
                                  if (me_.user_id.empty())
                                    return fail("slack auth.test answered without a user_id");
                                  connections_open();
                                });
}

void SlackChannel::connections_open() {
  std::weak_ptr<Session> w = session_;
  setup_call_ = slack::api_call(
      host_.io(), api_base_, "apps.connections.open", app_token_, std::nullopt, http_options(),
      [this, w](slack::ApiResult r) {
        if (!w.lock() || r.cancelled) return;
        setup_call_.reset();
        if (!r.ok()) {
          if (retryable(r)) return fail_setup("apps.connections.open", r);
          return fail("slack apps.connections.open refused the app token (" + r.slack_error() +
                      "): check app_token (xapp-..., with the connections:write scope)");
        }
        auto it = r.body.find("url");
        std::string url = it != r.body.end() && it->is_string() ? it->get<std::string>() : "";
        if (url.empty() || url.size() > kMaxUrlBytes ||
            (url.rfind("wss://", 0) != 0 && url.rfind("ws://", 0) != 0))
          return fail("slack apps.connections.open answered without a WebSocket url");
        connect_socket(url);
      });
}

void SlackChannel::connect_socket(const std::string& url) {
  std::weak_ptr<Session> w = session_;
  net::WsClientOptions opts;
  opts.url = url;  // holds a one-use ticket: never logged
  opts.max_message = slack::kMaxFrameBytes;
  opts.connect_timeout = 10s;
  net::WsClientCallbacks cb;
  cb.on_message = [this, w](std::string_view data, bool binary) {
    if (w.lock()) on_frame(data, binary);
  };
  cb.on_close = [this, w](int code, const std::string& reason) {
    if (!w.lock()) return;
    ws_.reset();
    fail("slack socket closed (" + std::to_string(code) +
         (reason.empty() ? std::string() : " " + excerpt(reason)) + ")");
  };
  ws_ = net::ws_connect(host_.io(), std::move(opts), std::move(cb));
  hello_timer_ = std::make_unique<asio::steady_timer>(host_.io(), kSlackHelloTimeout);
  hello_timer_->async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || !w.lock() || ready_) return;
    fail("slack socket sent no hello within " + std::to_string(kSlackHelloTimeout.count()) + " ms");
  });
}

void SlackChannel::on_frame(std::string_view data, bool binary) {
  host_.alive();  // any frame: the inbound path works
  if (binary) {
    host_.diagnostic("slack_binary_frame", {{"bytes", data.size()}});
    return;
  }
  slack::Envelope e = slack::parse_envelope(data, me_);
  auto ack = [this](const std::string& envelope_id) {
    if (!envelope_id.empty() && ws_) ws_->send(Json{{"envelope_id", envelope_id}}.dump());
  };
  if (e.kind != slack::Envelope::kMessage) ack(e.envelope_id);  // nothing to store first
  switch (e.kind) {
    case slack::Envelope::kHello:
      if (!ready_) {
        ready_ = true;
        if (hello_timer_) hello_timer_->cancel();
        host_.connected("@" + (me_.user.empty() ? me_.user_id : me_.user));
        keepalive();
      }
      break;
    case slack::Envelope::kMessage:
      // `message` and `app_mention` both arrive for a mention, and Slack redelivers what
      // was acked late: deliver the first only, ack the others at once.
      if (recent_.contains(e.dedupe_key) || !inflight_.insert(e.dedupe_key).second) {
        ack(e.envelope_id);
        break;
      }
      host_.inbound(std::move(e.message),
                    alive_.guard([this, ack, key = e.dedupe_key, id = e.envelope_id] {
                      inflight_.erase(key);
                      recent_.insert(key);
                      ack(id);  // durable now (on a new socket, if the old one is gone)
                    }));
      break;
    case slack::Envelope::kButton:
      host_.button(std::move(e.button));
      break;
    case slack::Envelope::kDisconnect:
      fail("slack asked to reconnect" + (e.reason.empty() ? std::string() : " (" + e.reason + ")"));
      break;
    case slack::Envelope::kIgnored:
      log::debug("slack: envelope ignored: {}", e.reason);
      break;
    case slack::Envelope::kMalformed:
      host_.diagnostic("slack_malformed_envelope",
                       {{"reason", e.reason}, {"acked", !e.envelope_id.empty()}});
      break;
  }
}

// A setup call that failed for a reason that will pass (Slack down, rate limited, a
// network error): said as such, not as a token to check. A rate limit's Retry-After is
// kept for the next start(), which waits for it (opening earlier only earns another 429).
void SlackChannel::fail_setup(const char* method, const slack::ApiResult& r) {
  std::string why = "slack " + std::string(method) + " failed: ";
  if (!r.transport_error.empty()) return fail(why + r.transport_error);
  if (r.ratelimited()) {
    auto wait = r.retry_after.count() > 0 ? r.retry_after : std::chrono::milliseconds(1000);
    not_before_ = std::chrono::steady_clock::now() + std::min(wait, kMaxSetupWait);
    host_.diagnostic("rate_limited", {{"method", method}, {"retry_after_ms", wait.count()}});
    return fail(why + "ratelimited (retry after " + std::to_string(wait.count()) + " ms)");
  }
  std::string err = r.slack_error();
  if ((r.status < 200 || r.status >= 300) && err.rfind("http ", 0) != 0)
    err += ", HTTP " + std::to_string(r.status);
  fail(why + err + " (Slack is unavailable; retrying)");
}

void SlackChannel::keepalive() {
  std::weak_ptr<Session> w = session_;
  keepalive_timer_ = std::make_unique<asio::steady_timer>(host_.io(), ping_interval_);
  keepalive_timer_->async_wait([this, w](const boost::system::error_code& ec) {
    if (ec || !w.lock() || !ws_) return;
    // The socket is open and Slack's pings are being answered (else Slack closes it).
    host_.alive();
    keepalive();
  });
}

void SlackChannel::teardown(bool graceful) {
  session_.reset();
  ready_ = false;
  inflight_.clear();
  if (setup_call_) std::exchange(setup_call_, nullptr)->cancel();
  if (auto ws = std::exchange(ws_, nullptr)) {
    // Graceful: the closing handshake runs on its own (the connection keeps itself
    // alive); its callbacks see the expired session and do nothing.
    if (graceful)
      ws->close(1000);
    else
      ws->cancel();
  }
  if (hello_timer_) hello_timer_->cancel();
  if (keepalive_timer_) keepalive_timer_->cancel();
  if (wait_timer_) wait_timer_->cancel();
}

void SlackChannel::fail(std::string why) {
  if (!session_) return;  // reported already; idle until stop()+start()
  teardown(/*graceful=*/true);
  log::warn("slack account {}: {}", host_.account_id(), why);
  asio::post(host_.io(), alive_.guard([this, why = std::move(why)] { host_.disconnected(why); }));
}

void SlackChannel::stop() {
  teardown(/*graceful=*/false);
  alive_.renew();  // nothing queued for the host runs after this
  // Sends in flight fail (posted, never inline); their HTTP completions find no entry.
  for (auto& [id, op] : sends_) {
    if (op.call) op.call->cancel();
    if (op.retry) op.retry->cancel();
    asio::post(host_.io(), [done = std::move(op.done)] {
      done(Error::unavailable("slack channel stopped before the message was sent", 1000));
    });
  }
  sends_.clear();
}

void SlackChannel::send(sdk::OutboundMessage m, std::function<void(Status)> done) {
  if (bot_token_.empty()) read_settings();
  auto fail_now = [&](Error e) {
    asio::post(host_.io(), [done = std::move(done), e = std::move(e)] { done(e); });
  };
  std::string user = m.peer.group ? std::string() : m.peer.user_id;
  if (!user.empty()) {
    user = slack_user_id(user);
    if (user.empty()) return fail_now(Error::invalid("slack: user_id is not a Slack user id"));
  }
  if (user.empty() && m.peer.chat_id.empty())
    return fail_now(Error::invalid("slack: no channel to send to"));
  // Session keys are lower-case, so a conversation rebuilt from one after a restart
  // arrives as "c024be91l". Slack's conversation ids are upper-case (C.., G.., D..), and
  // this connector only ever sends to ids Slack gave it, never to channel names.
  if (std::string upper = slack_user_id(m.peer.chat_id); !upper.empty()) m.peer.chat_id = upper;
  if (bot_token_.empty()) return fail_now(Error::invalid("slack: bot_token is not set"));
  if (sends_.size() >= kMaxPendingSends)
    return fail_now(Error::unavailable("slack: too many sends in flight", 1000));
  std::uint64_t id = next_send_++;
  auto& op = sends_[id];
  op.body = slack::build_post_message(m);
  op.done = std::move(done);
  if (!user.empty()) {
    auto known = dm_channels_.find(user);
    if (known == dm_channels_.end()) {
      op.open_user = user;
      return open_dm(id);
    }
    op.body["channel"] = known->second;
  }
  post_send(id);
}

// conversations.open {users}: the DM channel with the user (the existing one, or a new
// one), then the message goes there. A failure fails the send; the host retries it.
void SlackChannel::open_dm(std::uint64_t id) {
  auto& op = sends_.at(id);
  op.call = slack::api_call(
      host_.io(), api_base_, "conversations.open", bot_token_, Json{{"users", op.open_user}},
      http_options(), alive_.guard([this, id](slack::ApiResult r) {
        if (r.cancelled) return;
        auto it = sends_.find(id);
        if (it == sends_.end()) return;
        auto& op = it->second;
        op.call.reset();
        std::string what = "slack conversations.open for user " + op.open_user;
        if (r.ok()) {
          const Json& ch = r.body.contains("channel") ? r.body["channel"] : Json();
          std::string channel = ch.is_object() && ch.contains("id") && ch["id"].is_string()
                                    ? ch["id"].get<std::string>()
                                    : std::string();
          if (channel.empty() || channel.size() > slack::kMaxIdBytes)
            return finish_send(id,
                               Error::unavailable(what + ": no channel id in the answer", 5000));
          if (dm_channels_.size() >= kSlackMaxDmChannels) dm_channels_.erase(dm_channels_.begin());
          dm_channels_[op.open_user] = channel;
          op.body["channel"] = channel;
          return post_send(id);
        }
        std::string err = r.slack_error();
        if (r.ratelimited()) {
          auto wait = r.retry_after.count() > 0 ? r.retry_after : std::chrono::milliseconds(1000);
          host_.diagnostic("rate_limited",
                           {{"method", "conversations.open"}, {"retry_after_ms", wait.count()}});
          return finish_send(id, Error::unavailable(what + ": ratelimited", wait.count()));
        }
        if (retryable(r))
          return finish_send(id, Error::unavailable(what + " failed: " + err, 5000));
        if (err == "missing_scope") err += " (the bot token needs the im:write scope)";
        finish_send(id, Error::invalid(what + " failed: " + err, r.slack_error()));
      }));
}

void SlackChannel::post_send(std::uint64_t id) {
  auto& op = sends_.at(id);
  ++op.attempts;
  op.call = slack::api_call(
      host_.io(), api_base_, "chat.postMessage", bot_token_, op.body, http_options(),
      alive_.guard([this, id](slack::ApiResult r) {
        if (r.cancelled) return;
        auto it = sends_.find(id);
        if (it == sends_.end()) return;
        auto& op = it->second;
        op.call.reset();
        if (r.ok()) return finish_send(id, Ok{});
        std::string err = r.slack_error();
        if (r.ratelimited()) {
          auto wait = r.retry_after.count() > 0 ? r.retry_after : std::chrono::milliseconds(1000);
          host_.diagnostic("rate_limited", {{"method", "chat.postMessage"},
                                            {"retry_after_ms", wait.count()},
                                            {"attempt", op.attempts}});
          // Honour Retry-After once; a second limit (or a long wait) goes back to the
          // host, whose queue retries on its own schedule.
          if (op.attempts == 1 && wait <= kMaxRetryAfter) {
            op.retry = std::make_unique<asio::steady_timer>(host_.io(), wait);
            op.retry->async_wait(alive_.guard([this, id](const boost::system::error_code& ec) {
              if (ec || !sends_.count(id)) return;
              post_send(id);
            }));
            return;
          }
          return finish_send(
              id, Error::unavailable("slack chat.postMessage: ratelimited", wait.count()));
        }
        if (retryable(r))
          return finish_send(id, Error::unavailable("slack chat.postMessage failed: " + err, 5000));
        finish_send(id, Error::invalid("slack chat.postMessage failed: " + err, err));
      }));
}

void SlackChannel::finish_send(std::uint64_t id, Status st) {
  auto it = sends_.find(id);
  if (it == sends_.end()) return;
  auto done = std::move(it->second.done);
  sends_.erase(it);
  done(std::move(st));  // inside an HTTP completion: already not inline to send()
}

}  // namespace

Status register_slack(sdk::Registry& r) {
  return r.add_channel({"slack", "Slack app over Socket Mode (inbound) and the Web API (outbound)",
                        [](sdk::ChannelHost& h) { return std::make_unique<SlackChannel>(h); }});
}

}  // namespace simpleclaw::channels
