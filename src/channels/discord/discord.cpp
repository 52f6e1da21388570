// discord: a bot account over the Discord gateway (WebSocket, API v10, JSON encoding)
// for inbound events and the REST API for sends, typing and interaction answers.
//
// Gateway life: GET /gateway/bot (once, cached) or the configured gateway_url ->
// HELLO -> heartbeats every heartbeat_interval (the first after interval * jitter) ->
// IDENTIFY -> READY (session id, resume URL, our user) = connected. A heartbeat due
// while the previous one is un-ACKed means a zombie connection: it is closed (with
// 4000, so the session stays resumable) and reported. start() after a failure resumes
// the session when there is one (RESUME on resume_gateway_url, missed events replayed,
// RESUMED = connected), else identifies. The session (id, seq, resume URL) lives across
// stop()/start() on this object, as the manager expects.
//
// Gateway frames are parsed by discord_events.h (pure, table-tested, fuzzed); this file
// only acts on what it returns.
//
// Threading: loop thread only. Every completion (WebSocket, HTTP, timers) is guarded by
// `alive_` (base/alive.h), renewed by stop(), and WebSocket callbacks also by a generation
// number, so an old connection still closing never touches the new one. No host
// callback runs inside start(), stop() or send().
//
// A DM addressed by user (Peer::user_id, e.g. an approval re-offered after a restart)
// goes to the DM channel POST /users/@me/channels answers for that user; the mapping is
// remembered for the object's life (a DM channel's id never changes). If it cannot be
// opened the send fails and the host's outbound queue retries it.
//
// Secrets: the token goes only into the Authorization header and IDENTIFY/RESUME; the
// interaction token only into its callback URL. Neither appears in errors or diagnostics.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "base/alive.h"
#include "base/json_fields.h"
#include "channels/discord/discord_events.h"
#include "channels/platform_http.h"
#include "net/http_client.h"
#include "net/ws_client.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::channels {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using discord::clip;
using discord::GatewayEvent;
using discord::is_snowflake;
using net::HttpCall;
using net::HttpError;
using net::HttpHead;

// GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT.
constexpr std::int64_t kDefaultIntents = 1 | 512 | 4096 | 32768;
constexpr std::size_t kMaxFrame = discord::kMaxFrameBytes;
constexpr std::size_t kMaxRestBody = 64 * 1024;
constexpr std::size_t kDiscordMaxText = 2000;
constexpr auto kDiscordHelloTimeout = 30s;
constexpr auto kMaxRetryWait = 10s;  // a longer 429 wait fails the send (the host retries)
constexpr std::size_t kRecentIds = 512;
constexpr std::size_t kDiscordMaxDmChannels = 4096;  // user -> DM channel ids remembered

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ws:// is only for loopback (tests, a local proxy): the token travels in IDENTIFY.
bool acceptable_gateway_url(const std::string& url) {
  if (url.rfind("wss://", 0) == 0) return net::parse_url("https://" + url.substr(6)).ok;
  if (url.rfind("ws://", 0) != 0) return false;
  auto u = net::parse_url("http://" + url.substr(5));
  return u.ok && (u.host == "localhost" || u.host.rfind("127.", 0) == 0 || u.host == "::1");
}

std::string with_query(std::string url) {
  if (url.find('?') != std::string::npos) return url;
  auto scheme_end = url.find("://");
  if (url.find('/', scheme_end + 3) == std::string::npos) url += '/';
  return url + "?v=10&encoding=json";
}

double jitter() {
  static std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

class DiscordChannel final : public sdk::Channel {
 public:
  explicit DiscordChannel(sdk::ChannelHost& host)
      : host_(host),
        io_(host.io()),
        hb_timer_(io_),
        pool_(std::make_shared<net::ConnectionPool>()) {
    const Json& s = host.settings();
    token_ = json_str(s, "token");
    api_base_ = json_str(s, "api_base");
    if (api_base_.empty()) api_base_ = "https://discord.com/api/v10";
    while (!api_base_.empty() && api_base_.back() == '/') api_base_.pop_back();
    gateway_setting_ = json_str(s, "gateway_url");
    if (s.is_object() && s.contains("intents") && s["intents"].is_number_integer())
      intents_ = s["intents"].get<std::int64_t>();
    if (intents_ <= 0) intents_ = kDefaultIntents;
  }
  ~DiscordChannel() override { stop(); }

  void start() override {
    if (running_) return;
    running_ = true;
    failed_ = false;
    if (token_.empty())
      return post_fail("discord: no bot token configured (set channels." + host_.channel_name() +
                       ".token)");
    if (!session_id_.empty() && !resume_url_.empty()) return open_gateway(resume_url_, true);
    if (!gateway_setting_.empty()) return open_gateway(gateway_setting_, false);
    if (!gateway_cache_.empty()) return open_gateway(gateway_cache_, false);
    fetch_gateway();
  }

  void stop() override {
    running_ = false;
    teardown_gateway();
    if (gateway_call_) gateway_call_->cancel();
    gateway_call_.reset();
    for (auto& [id, r] : rest_) {
      if (r.call) r.call->cancel();
      if (r.timer) r.timer->cancel();
      if (r.done)
        asio::post(io_, [done = std::move(r.done)] {
          done(Error::unavailable("discord: the channel stopped before the send completed", 0));
        });
    }
    rest_.clear();
    alive_.renew();  // every pending completion is now ignored
  }

  void send(sdk::OutboundMessage m, std::function<void(Status)> done) override {
    auto fail_now = [&](std::string why) {
      asio::post(io_, [done = std::move(done), why = std::move(why)] {
        done(Error::invalid(std::move(why)));
      });
    };
    // Addressed by user: the DM channel has an id of its own, found below.
    std::string user = m.peer.group ? std::string() : m.peer.user_id;
    if (!user.empty() && !is_snowflake(user)) return fail_now("discord: user_id is not a user id");
    if (user.empty() && !is_snowflake(m.peer.chat_id))
      return fail_now("discord: chat_id is not a channel id");
    Json body{{"content", clip(m.text, kDiscordMaxText)},
              {"allowed_mentions", {{"parse", Json::array({"users"})}}}};
    if (is_snowflake(m.reply_to))
      body["message_reference"] = {{"message_id", m.reply_to}, {"fail_if_not_exists", false}};
    if (!m.buttons.empty()) {
      // Up to 5 rows of 5 buttons (Discord's limits); custom_id <= 100, label <= 80.
      Json rows = Json::array();
      for (std::size_t i = 0; i < m.buttons.size() && i < 25; ++i) {
        if (i % 5 == 0) rows.push_back({{"type", 1}, {"components", Json::array()}});
        const auto& b = m.buttons[i];
        std::string l = lower(b.label + " " + b.data);
        bool danger = l.find("deny") != std::string::npos ||
                      l.find("reject") != std::string::npos ||
                      l.find("cancel") != std::string::npos;
        rows.back()["components"].push_back(
            {{"type", 2},
             {"style", danger ? 4 : 1},
             {"label", clip(b.label.empty() ? b.data : b.label, 80)},
             {"custom_id", clip(b.data, 100)}});
      }
      body["components"] = std::move(rows);
    }
    std::uint64_t id = ++next_rest_;
    rest_[id].done = std::move(done);
    std::string channel = m.peer.chat_id;
    if (!user.empty()) {
      auto known = dm_channels_.find(user);
      if (known == dm_channels_.end()) return open_dm(id, user, body.dump());
      channel = known->second;
    }
    post_message(id, "/channels/" + channel + "/messages", body.dump(), 0);
  }

  void typing(const sdk::Peer& peer) override {
    std::string channel = peer.chat_id;
    if (!peer.group && !peer.user_id.empty()) {
      auto known = dm_channels_.find(peer.user_id);
      if (known == dm_channels_.end()) return;  // not worth opening a DM for
      channel = known->second;
    }
    if (!is_snowflake(channel) || token_.empty()) return;
    std::uint64_t id = ++next_rest_;
    rest_[id];
    rest(id, "POST", "/channels/" + channel + "/typing", "",
         [this, id](int, const std::string&, const HttpHead*, const HttpError*) {
           rest_.erase(id);
         });
  }

  std::size_t max_text() const override { return kDiscordMaxText; }
  bool supports_buttons() const override { return true; }

  Status logout() override {
    drop_session();
    return Ok{};
  }

  Json status_extra() const override {
    Json j = Json::object();
    if (!username_.empty()) j["botUsername"] = username_;
    if (!user_id_.empty()) j["botUserId"] = user_id_;
    j["resumable"] = !session_id_.empty();
    return j;
  }

 private:
  struct Rest {
    std::shared_ptr<HttpCall> call;
    std::unique_ptr<asio::steady_timer> timer;
    std::function<void(Status)> done;  // sends only
  };
  using RestDone =
      std::function<void(int status, const std::string& body, const HttpHead*, const HttpError*)>;

  // Wraps a completion so that it runs only while this start()..stop() is current.
  template <typename F>
  auto guarded(F f) {
    return alive_.guard(std::move(f));
  }

  void post_fail(std::string error) {
    asio::post(io_, guarded([this, error = std::move(error)] { fail(error); }));
  }

  // Reports the failure once and goes idle until the manager's stop()/start().
  void fail(const std::string& error) {
    if (failed_ || !running_) return;
    failed_ = true;
    teardown_gateway();
    if (gateway_call_) gateway_call_->cancel();
    gateway_call_.reset();
    host_.disconnected(error);
  }

  void drop_session() {
    session_id_.clear();
    resume_url_.clear();
    seq_.reset();
  }

  void teardown_gateway() {
    ++gen_;
    hb_timer_.cancel();
    if (ws_) ws_->close(4000, "reconnecting");  // not 1000: that would end the session
    ws_.reset();
  }

  // --- REST --------------------------------------------------------------------------

  void rest(std::uint64_t id, const std::string& method, const std::string& path, std::string body,
            RestDone done) {
    net::HttpRequest req;
    req.method = method;
    req.url = api_base_ + path;
    req.headers = {{"Authorization", "Bot " + token_}};
    if (!body.empty() || method == "POST")
      req.headers.push_back({"Content-Type", "application/json"});
    req.body = std::move(body);
    net::HttpOptions opts = platform_call(20s, 30s, pool_);
    struct Acc {
      HttpHead head;
      std::string body;
      bool have_head = false;
    };
    auto acc = std::make_shared<Acc>();
    net::HttpCallbacks cb;
    cb.on_head = [acc](const HttpHead& h) {
      acc->head = h;
      acc->have_head = true;
    };
    cb.on_body = [acc](std::string_view s) {
      if (acc->body.size() < kMaxRestBody)
        acc->body.append(s.substr(0, kMaxRestBody - acc->body.size()));
    };
    cb.on_done = guarded([acc, done = std::move(done)](const HttpError* e) {
      done(acc->have_head ? acc->head.status : 0, acc->body, acc->have_head ? &acc->head : nullptr,
           e);
    });
    auto call = net::http_start(io_, std::move(req), opts, std::move(cb));
    if (id != 0) {
      auto it = rest_.find(id);
      if (it != rest_.end()) it->second.call = call;
    } else {
      gateway_call_ = call;
    }
  }

  static std::string discord_message(const std::string& body) {
    Json j = Json::parse(body, nullptr, false);
    std::string m = json_str(j, "message");
    return m.empty() ? std::string() : ": " + clip(m, 200);
  }

  // A send's outcome: its entry goes, then `done` runs (inside an HTTP completion, so
  // never inline to send()).
  void finish_send(std::uint64_t id, Status s) {
    auto it = rest_.find(id);
    if (it == rest_.end()) return;
    auto done = std::move(it->second.done);
    rest_.erase(it);
    if (done) done(std::move(s));
  }

  // How long a 429 asks us to wait: the body's retry_after, else Retry-After, else 1 s.
  static std::chrono::milliseconds retry_after(const Json& j, const HttpHead* head) {
    double secs = 1.0;
    if (j.is_object() && j.contains("retry_after") && j["retry_after"].is_number())
      secs = j["retry_after"].get<double>();
    else if (head && !head->header("Retry-After").empty())
      secs = std::atof(head->header("Retry-After").c_str());
    secs = std::clamp(secs, 0.0, 3600.0);
    return std::chrono::milliseconds(static_cast<long long>(secs * 1000));
  }

  // POST /users/@me/channels {recipient_id}: the DM channel with `user` (200, a channel
  // object; Discord answers the existing one when there is one), then the message to it.
  // Any failure fails the send: the host's queue retries it later.
  void open_dm(std::uint64_t id, const std::string& user, std::string message) {
    rest(id, "POST", "/users/@me/channels", Json{{"recipient_id", user}}.dump(),
         [this, id, user, message = std::move(message)](int status, const std::string& rbody,
                                                        const HttpHead* head,
                                                        const HttpError* e) mutable {
           if (!rest_.count(id)) return;
           std::string what = "discord could not open a DM with user " + user;
           if (e) return finish_send(id, Error::unavailable(what + ": " + e->message, 1000));
           Json j = Json::parse(rbody, nullptr, false);
           if (status >= 200 && status < 300) {
             std::string channel = json_str(j, "id");
             if (!is_snowflake(channel))
               return finish_send(id,
                                  Error::unavailable(what + ": no channel id in the answer", 1000));
             if (dm_channels_.size() >= kDiscordMaxDmChannels)
               dm_channels_.erase(dm_channels_.begin());
             dm_channels_[user] = channel;
             return post_message(id, "/channels/" + channel + "/messages", std::move(message), 0);
           }
           if (status == 429) {
             auto wait = retry_after(j, head);
             host_.diagnostic("rate_limited", {{"channel", "discord"},
                                               {"route", "/users/@me/channels"},
                                               {"retry_after_ms", wait.count()}});
             return finish_send(id, Error::unavailable(what + ": rate limited", wait.count()));
           }
           what += " (HTTP " + std::to_string(status) + discord_message(rbody) + ")";
           if (status == 401)
             return finish_send(id, Error::unauthenticated(what + "; check the bot token"));
           finish_send(id, status >= 500 ? Error::unavailable(what, 1000) : Error::invalid(what));
         });
  }

  void post_message(std::uint64_t id, const std::string& path, std::string body, int attempt) {
    std::string copy = body;
    rest(id, "POST", path, std::move(body),
         [this, id, path, copy = std::move(copy), attempt](int status, const std::string& rbody,
                                                           const HttpHead* head,
                                                           const HttpError* e) mutable {
           auto it = rest_.find(id);
           if (it == rest_.end()) return;
           auto finish = [this, id](Status s) { finish_send(id, std::move(s)); };
           if (e) return finish(Error::unavailable("discord send failed: " + e->message, 1000));
           if (status >= 200 && status < 300) return finish(Ok{});
           if (status == 429) {
             Json j = Json::parse(rbody, nullptr, false);
             auto wait = retry_after(j, head);
             // Not j.value("global", false): that throws when "global" is not a boolean.
             bool global = j.is_object() && j.contains("global") && j["global"].is_boolean() &&
                           j["global"].get<bool>();
             host_.diagnostic("rate_limited", {{"channel", "discord"},
                                               {"retry_after_ms", wait.count()},
                                               {"global", global},
                                               {"attempt", attempt}});
             if (attempt > 0 || wait > kMaxRetryWait)
               return finish(Error::unavailable(
                   "discord rate limit: retry after " + std::to_string(wait.count()) + " ms",
                   wait.count()));
             auto& r = it->second;
             r.call.reset();
             r.timer = std::make_unique<asio::steady_timer>(io_, wait);
             r.timer->async_wait(
                 guarded([this, id, path, copy](const boost::system::error_code& ec) {
                   if (ec || !rest_.count(id)) return;
                   post_message(id, path, copy, 1);
                 }));
             return;
           }
           std::string what = "discord refused the message (HTTP " + std::to_string(status) +
                              discord_message(rbody) + ")";
           if (status == 401) return finish(Error::unauthenticated(what + "; check the bot token"));
           if (status >= 500) return finish(Error::unavailable(what, 1000));
           finish(Error::invalid(what));
         });
  }

  // --- gateway -----------------------------------------------------------------------

  void fetch_gateway() {
    rest(0, "GET", "/gateway/bot", "",
         [this](int status, const std::string& body, const HttpHead*, const HttpError* e) {
           gateway_call_.reset();
           if (!running_) return;
           if (e) return fail("discord: GET /gateway/bot failed: " + e->message);
           if (status == 401)
             return fail(
                 "discord rejected the bot token (HTTP 401 from /gateway/bot): check "
                 "channels." +
                 host_.channel_name() + ".token");
           if (status != 200)
             return fail("discord: GET /gateway/bot answered HTTP " + std::to_string(status) +
                         discord_message(body));
           std::string url = json_str(Json::parse(body, nullptr, false), "url");
           if (!acceptable_gateway_url(url))
             return fail("discord: GET /gateway/bot gave no usable wss:// URL");
           gateway_cache_ = url;
           open_gateway(url, false);
         });
  }

  void open_gateway(const std::string& url, bool resume) {
    if (!acceptable_gateway_url(url)) {
      if (resume) {
        drop_session();
        return post_fail("discord: the resume URL was not usable; will identify again");
      }
      return post_fail("discord: gateway_url must be wss:// (ws:// only for loopback)");
    }
    resuming_ = resume;
    hb_acked_ = true;
    hb_interval_ = 0ms;
    std::uint64_t gen = ++gen_;
    net::WsClientOptions o;
    o.url = with_query(url);
    o.max_message = kMaxFrame;
    o.connect_timeout = 15s;
    net::WsClientCallbacks cb;
    cb.on_message = guarded([this, gen](std::string_view data, bool binary) {
      if (gen != gen_) return;
      if (binary) return bad_frame("binary frame");
      on_frame(data);
    });
    cb.on_close = guarded([this, gen](int code, const std::string& reason) {
      if (gen != gen_) return;
      ws_.reset();
      on_gateway_close(code, reason);
    });
    ws_ = net::ws_connect(io_, std::move(o), std::move(cb));
    // HELLO must come (connect included) within this; heartbeats reuse the timer.
    hb_timer_.expires_after(kDiscordHelloTimeout);
    hb_timer_.async_wait(guarded([this, gen](const boost::system::error_code& ec) {
      if (ec || gen != gen_) return;
      fail("discord gateway sent no HELLO within " +
           std::to_string(std::chrono::seconds(kDiscordHelloTimeout).count()) + " s");
    }));
  }

  void on_gateway_close(int code, const std::string& reason) {
    std::string why = clip(reason, 200);
    std::string cfg = "channels." + host_.channel_name() + ".token";
    switch (code) {
      case 4004:
        drop_session();
        return fail(
            "discord rejected the bot token (gateway close 4004, authentication "
            "failed): check " +
            cfg);
      case 4014:
        drop_session();
        return fail(
            "discord refused a privileged intent (gateway close 4014): enable the "
            "MESSAGE CONTENT intent for the bot in the Discord developer portal, or "
            "set intents");
      case 4013:
        drop_session();
        return fail("discord: invalid intents (gateway close 4013): check intents");
      case 4010:
      case 4011:
      case 4012:
        drop_session();
        return fail("discord gateway close " + std::to_string(code) + " (" + why + ")");
      case 4007:
      case 4009:
        drop_session();
        return fail("discord gateway session expired (close " + std::to_string(code) +
                    "); will identify again");
      default:
        break;
    }
    if (code == 1006) return fail("discord gateway: " + why);
    fail("discord gateway closed (" + std::to_string(code) + (why.empty() ? "" : ": " + why) + ")");
  }

  void bad_frame(const std::string& why) {
    host_.diagnostic("discord_bad_frame", {{"reason", why}});
  }

  void send_gateway(const Json& j) {
    if (ws_) ws_->send(j.dump());
  }

  void send_heartbeat() { send_gateway({{"op", 1}, {"d", seq_ ? Json(*seq_) : Json(nullptr)}}); }

  void schedule_heartbeat(std::chrono::milliseconds delay) {
    std::uint64_t gen = gen_;
    hb_timer_.expires_after(delay);
    hb_timer_.async_wait(guarded([this, gen](const boost::system::error_code& ec) {
      if (ec || gen != gen_) return;
      if (!hb_acked_)
        return fail("discord gateway heartbeat ACK missing (zombie connection); reconnecting");
      send_heartbeat();
      hb_acked_ = false;
      schedule_heartbeat(hb_interval_);
    }));
  }

  void on_frame(std::string_view data) {
    GatewayEvent e = discord::parse_gateway(data, {user_id_});
    if (e.seq) seq_ = *e.seq;
    if (e.op == 0) host_.alive();  // any dispatch, even one we cannot use
    switch (e.kind) {
      case GatewayEvent::kHello:
        return on_hello(e.heartbeat_interval);
      case GatewayEvent::kHeartbeatAck:
        hb_acked_ = true;
        host_.alive();
        return;
      case GatewayEvent::kHeartbeatRequest:
        return send_heartbeat();  // the server asks for one now
      case GatewayEvent::kReconnect:
        return fail("discord gateway asked to reconnect (op 7); will resume");
      case GatewayEvent::kInvalidSession:
        if (!e.resumable) drop_session();
        return fail(std::string("discord gateway invalidated the session (op 9); will ") +
                    (e.resumable ? "resume" : "identify again"));
      case GatewayEvent::kReady:
        return on_ready(e.ready);
      case GatewayEvent::kResumed:
        return host_.connected("@" + username_ + " (resumed)");
      case GatewayEvent::kMessage:
        if (seen(e.message.message_id)) return;  // a RESUME replay
        return host_.inbound(std::move(e.message), [] {});
      case GatewayEvent::kButton:
        return on_button(std::move(e));
      case GatewayEvent::kNoContent:
        // Usually the MESSAGE CONTENT intent is missing (content arrives empty).
        return host_.diagnostic("discord_empty_message", {{"message_id", e.message.message_id},
                                                          {"channel_id", e.message.peer.chat_id}});
      case GatewayEvent::kIgnored:
        return;
      case GatewayEvent::kMalformed:
        // Without a session nothing else can work: that is a failure, not a bad frame.
        if (e.op == 0 && e.type == "READY") return fail("discord: malformed READY");
        return bad_frame(e.reason);
    }
  }

  void on_hello(std::chrono::milliseconds iv) {
    hb_interval_ = iv;
    hb_acked_ = true;
    host_.set_liveness_window(2 * iv + 1000ms);
    host_.alive();
    schedule_heartbeat(std::chrono::milliseconds(static_cast<long long>(iv.count() * jitter())));
    if (resuming_) {
      send_gateway({{"op", 6},
                    {"d",
                     {{"token", token_},
                      {"session_id", session_id_},
                      {"seq", seq_ ? Json(*seq_) : Json(nullptr)}}}});
    } else {
      send_gateway({{"op", 2},
                    {"d",
                     {{"token", token_},
                      {"intents", intents_},
                      {"properties",
                       {{"os", "linux"}, {"browser", "simpleclaw"}, {"device", "simpleclaw"}}}}}});
    }
  }

  void on_ready(const discord::Ready& r) {
    session_id_ = r.session_id;
    resume_url_ = acceptable_gateway_url(r.resume_gateway_url) ? r.resume_gateway_url : "";
    user_id_ = r.user_id;
    username_ = r.username;
    host_.connected("@" + username_);
  }

  bool seen(const std::string& id) {
    if (recent_set_.count(id)) return true;
    recent_set_.insert(id);
    recent_.push_back(id);
    if (recent_.size() > kRecentIds) {
      recent_set_.erase(recent_.front());
      recent_.pop_front();
    }
    return false;
  }

  void on_button(GatewayEvent ev) {
    // Acknowledge first (Discord wants it within 3 s): a deferred update, nothing shown.
    std::uint64_t rid = ++next_rest_;
    rest_[rid];
    rest(rid, "POST",
         "/interactions/" + ev.interaction_id + "/" + ev.interaction_token + "/callback",
         Json{{"type", 6}}.dump(),
         [this, rid](int status, const std::string&, const HttpHead*, const HttpError* e) {
           rest_.erase(rid);
           if (e || status < 200 || status >= 300)
             host_.diagnostic("discord_interaction_ack_failed",
                              {{"status", status}, {"error", e ? e->message : ""}});
         });
    host_.button(std::move(ev.button));
  }

  sdk::ChannelHost& host_;
  asio::io_context& io_;
  std::string token_, api_base_, gateway_setting_;
  std::int64_t intents_ = 0;
  // Kept across stop()/start(): the session to resume and what we know of ourselves.
  std::string session_id_, resume_url_, gateway_cache_, user_id_, username_;
  std::optional<std::int64_t> seq_;
  std::deque<std::string> recent_;  // message ids delivered (a RESUME replay is not new)
  std::set<std::string> recent_set_;
  std::map<std::string, std::string> dm_channels_;  // user id -> their DM channel's id
  // This run.
  Alive alive_;
  std::uint64_t gen_ = 0;  // gateway connection generation
  bool running_ = false, failed_ = false, resuming_ = false, hb_acked_ = true;
  std::chrono::milliseconds hb_interval_{0};
  asio::steady_timer hb_timer_;
  std::shared_ptr<net::WsConnection> ws_;
  std::shared_ptr<HttpCall> gateway_call_;
  std::shared_ptr<net::ConnectionPool> pool_;
  std::map<std::uint64_t, Rest> rest_;
  std::uint64_t next_rest_ = 0;
};

}  // namespace

Status register_discord(sdk::Registry& r) {
  return r.add_channel({"discord", "Discord bot (gateway WebSocket + REST API v10)",
                        [](sdk::ChannelHost& h) { return std::make_unique<DiscordChannel>(h); }});
}

}  // namespace simpleclaw::channels
