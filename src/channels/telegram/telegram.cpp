// Telegram: the Bot API over HTTPS with long polling (SPEC §9).
//
// start(): getMe (checks the token, learns the bot's username for mentions) -> a first
// getUpdates with timeout 0 (answered at once) -> connected("@name") ->
// getUpdates?offset=N&timeout=T in a loop. connected() waits for that first poll
// because getMe proves only the token: a 409 Conflict (another poller on the same
// token, or a webhook set) or a 429 comes from getUpdates, and an account shown healthy
// between the two would flap healthy/reconnecting through such a fault.
//
// Each update is handed to the host one at a time; the offset moves past it (and is
// saved to <account state>/offset) only once the host says the message is durable, so
// a crash loses nothing: Telegram sends the update again and the run id (channel +
// update id) makes the second delivery a no-op. Every answered poll, even an empty one,
// is alive(); the liveness window is the poll timeout plus a grace, so a poll that never
// returns is seen as a stall by the health monitor even while sendMessage still works.
//
// Flood control: a getMe/getUpdates refused with 429 and parameters.retry_after is
// reported as a failure like any other, and the next start() waits until retry_after has
// passed before calling Telegram again (asking earlier only earns another 429). The
// manager's backoff may be shorter than that; the liveness window is stretched by the
// wait so the health monitor does not take the wait for a stall.
//
// Threading: loop thread; all HTTP through net::http_start.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "base/alive.h"
#include "base/fs.h"
#include "channels/platform_http.h"
#include "channels/telegram/telegram_update.h"
#include "net/http_client.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::channels {
namespace {

constexpr std::size_t kMaxBody = 8 << 20;  // a getUpdates answer larger than this is refused

struct Call {
  int status = 0;
  std::string body;
};

class TelegramChannel final : public sdk::Channel {
 public:
  explicit TelegramChannel(sdk::ChannelHost& host) : host_(host) {
    const Json& s = host.settings();
    token_ = s.value("token", "");
    api_base_ = s.value("api_base", "https://api.telegram.org");
    while (!api_base_.empty() && api_base_.back() == '/') api_base_.pop_back();
    poll_timeout_s_ = s.value("poll_timeout_s", 30);
    offset_file_ = host.state_dir() + "/offset";
    if (auto raw = read_file(offset_file_)) {
      try {
        offset_ = std::stoll(*raw);
        saved_offset_ = offset_;
      } catch (...) {
        offset_ = 0;  // unreadable: Telegram resends what is unconfirmed
      }
    }
  }
  ~TelegramChannel() override { stop(); }

  void start() override {
    stop();
    running_ = true;
    if (token_.empty()) return fail("no bot token: set channels.telegram.token");
    // Window = poll timeout + half of it (>= 1 s): a stall is caught and recovered
    // within 2x the poll timeout.
    int grace = std::max(1, poll_timeout_s_ / 2);
    auto window = std::chrono::milliseconds(std::chrono::seconds(poll_timeout_s_ + grace));
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        not_before_ - std::chrono::steady_clock::now());
    if (wait.count() <= 0) {
      host_.set_liveness_window(window);
      return get_me();
    }
    // Telegram said when to come back (429 retry_after): not a moment earlier.
    host_.set_liveness_window(window + wait);
    host_.diagnostic("rate_limited", {{"reason", "retry_after"}, {"waiting_ms", wait.count()}});
    wait_timer_.expires_after(wait);
    wait_timer_.async_wait(alive_.guard([this, window](const boost::system::error_code& ec) {
      if (ec || !running_) return;
      host_.set_liveness_window(window);
      get_me();
    }));
  }

  void stop() override {
    running_ = false;
    wait_timer_.cancel();
    alive_.renew();  // every pending completion is dropped
    save_offset();
    pending_.clear();  // not confirmed: Telegram sends them again on the next poll
    for (auto& c : calls_)
      if (auto p = c.lock()) p->cancel();
    calls_.clear();
    send_alive_.renew();  // the account waited for its send's answer before stopping
    for (auto& c : sends_)
      if (auto p = c.lock()) p->cancel();
    sends_.clear();
  }

  void send(sdk::OutboundMessage m, std::function<void(Status)> done) override {
    Json body{{"chat_id", m.peer.chat_id}, {"text", m.text}};
    if (!m.peer.thread_id.empty()) body["message_thread_id"] = to_num(m.peer.thread_id);
    if (!m.reply_to.empty())
      body["reply_parameters"] = {{"message_id", to_num(m.reply_to)},
                                  {"allow_sending_without_reply", true}};
    if (!m.buttons.empty()) {
      Json row = Json::array();
      for (const auto& b : m.buttons) row.push_back({{"text", b.label}, {"callback_data", b.data}});
      body["reply_markup"] = {{"inline_keyboard", Json::array({row})}};
    }
    api(
        "sendMessage", std::move(body), 30,
        [done = std::move(done)](Result<Json> r) {
          if (!r) return done(r.error());
          done(Ok{});
        },
        /*outbound=*/true);
  }

  void typing(const sdk::Peer& peer) override {
    Json body{{"chat_id", peer.chat_id}, {"action", "typing"}};
    if (!peer.thread_id.empty()) body["message_thread_id"] = to_num(peer.thread_id);
    api("sendChatAction", std::move(body), 15, [](Result<Json>) {});
  }

  std::size_t max_text() const override { return 4096; }
  bool supports_buttons() const override { return true; }
  bool redelivers() const override { return true; }  // unconfirmed updates come again

  Status logout() override {
    // The bot token lives in config.yaml; what this account holds is the poll offset.
    std::error_code ec;
    std::filesystem::remove(offset_file_, ec);
    offset_ = 0;
    return Ok{};
  }

  Json status_extra() const override {
    Json j{{"offset", offset_}};
    if (!username_.empty()) j["botUsername"] = username_;
    return j;
  }

 private:
  static Json to_num(const std::string& s) {
    try {
      return std::stoll(s);
    } catch (...) {
      return s;
    }
  }

  // A failed getMe/getUpdates: what the next start() must respect (429 retry_after), then
  // the failure itself.
  void fail(const Error& e) {
    if (e.retry_after_ms && *e.retry_after_ms > 0)
      not_before_ = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(std::min<long long>(*e.retry_after_ms, 3600000));
    fail(e.message);
  }

  void fail(const std::string& why) {
    if (!running_) return;
    running_ = false;
    wait_timer_.cancel();
    alive_.renew();
    for (auto& c : calls_)
      if (auto p = c.lock()) p->cancel();
    calls_.clear();
    host_.disconnected(why);
  }

  // One Bot API call: POST JSON, parse {ok, result} / {ok:false, description}. An
  // `outbound` call (a message sent) outlives a failure of the poll: cancelling it would
  // leave unknown whether Telegram took the message, and it would be sent again. Only
  // stop() ends it.
  void api(const std::string& method, Json body, int timeout_s,
           std::function<void(Result<Json>)> done, bool outbound = false) {
    if (!running_) {
      boost::asio::post(host_.io(),
                        [done] { done(Error::cancelled("telegram: channel stopped")); });
      return;
    }
    net::HttpRequest req;
    req.method = "POST";
    req.url = api_base_ + "/bot" + token_ + "/" + method;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    // A long poll answers within its timeout; the margin covers the network.
    net::HttpOptions opts =
        platform_call(std::chrono::seconds(timeout_s), std::chrono::seconds(timeout_s + 10), pool_);
    auto out = std::make_shared<Call>();
    std::string what = method;
    net::HttpCallbacks cb;
    cb.on_head = [out](const net::HttpHead& h) { out->status = h.status; };
    cb.on_body = [out](std::string_view b) {
      if (out->body.size() + b.size() <= kMaxBody) out->body.append(b);
    };
    // Stopped meanwhile: the guard drops the answer, nothing may reach the host.
    cb.on_done =
        (outbound ? send_alive_ : alive_)
            .guard([out, what, done = std::move(done)](const net::HttpError* e) {
              if (e) {
                if (e->kind == net::HttpError::kCancelled) return;
                // The URL holds the token: say which call failed, not where it went.
                return done(Error::unavailable("telegram " + what + ": " + redact(e->message)));
              }
              Json j = Json::parse(out->body, nullptr, false);
              if (!j.is_object())
                return done(Error::unavailable("telegram " + what + ": HTTP " +
                                               std::to_string(out->status) +
                                               ", not a Bot API answer"));
              // Typed checks: a field of the wrong type from the network must not throw.
              if (!(j.contains("ok") && j["ok"].is_boolean() && j["ok"].get<bool>())) {
                std::string desc = j.contains("description") && j["description"].is_string()
                                       ? j["description"].get<std::string>()
                                       : "error";
                std::string msg = "telegram " + what + ": " + desc;
                if (out->status == 401 || out->status == 404)
                  return done(Error::unauthenticated(msg + " (check channels.telegram.token)"));
                const Json& params = j.contains("parameters") ? j["parameters"] : Json();
                if (params.is_object() && params.contains("retry_after") &&
                    params["retry_after"].is_number_integer())
                  return done(Error::unavailable(
                      msg + " (retry after " + params["retry_after"].dump() + " s)",
                      params["retry_after"].get<long long>() * 1000));
                if (out->status >= 500) return done(Error::unavailable(msg));
                if (out->status == 409)
                  return done(Error::unavailable(msg + " (HTTP 409: another program is polling "
                                                       "this bot token, or a webhook is set)"));
                return done(Error::invalid(msg));
              }
              done(j.contains("result") ? j["result"] : Json());
            });
    auto call = net::http_start(host_.io(), std::move(req), std::move(opts), std::move(cb));
    auto& calls = outbound ? sends_ : calls_;
    std::erase_if(calls, [](const std::weak_ptr<net::HttpCall>& c) { return c.expired(); });
    calls.push_back(call);
  }

  // Anything that might echo the URL (and with it the token) is cut at "/bot".
  static std::string redact(std::string s) {
    for (auto p = s.find("/bot"); p != std::string::npos; p = s.find("/bot", p + 1)) {
      auto end = s.find_first_of(" /\"'", p + 4);
      s.replace(p, (end == std::string::npos ? s.size() : end) - p, "/bot<token>");
    }
    return s;
  }

  // Saved once per answered batch, not per update, and without fsync: the file only
  // spares Telegram resending updates after a restart. Losing it (a crash before the
  // next poll confirmed the batch) is harmless: the updates come again and their run
  // ids (channel + update id) make them no-ops. The rename keeps the file whole.
  void save_offset() {
    if (offset_ == saved_offset_) return;
    std::string tmp = offset_file_ + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << offset_ << "\n";
      if (!f) return;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, offset_file_, ec);
    if (!ec) saved_offset_ = offset_;
  }

  void get_me() {
    api("getMe", Json::object(), 15, [this](Result<Json> r) {
      if (!r)
        return fail(Error{r.error().code, "getMe failed: " + r.error().message, nullptr,
                          r.error().retry_after_ms});
      const Json& name = r->is_object() && r->contains("username") ? (*r)["username"] : Json();
      username_ = name.is_string() ? name.get<std::string>() : "";
      bot_id_ = telegram::id_text((*r)["id"]);
      first_poll_ = true;
      poll();
    });
  }

  void poll() {
    if (!running_) return;
    // The first poll after start() does not wait: it proves the inbound path at once.
    int timeout = first_poll_ ? 0 : poll_timeout_s_;
    Json body{{"timeout", timeout},
              {"allowed_updates", Json::array({"message", "edited_message", "callback_query"})}};
    if (offset_ > 0) body["offset"] = offset_;
    api("getUpdates", std::move(body), timeout + 5, [this](Result<Json> r) {
      if (!r) return fail(r.error());
      if (std::exchange(first_poll_, false)) host_.connected("@" + username_);
      host_.alive();
      if (r->is_array())
        for (Json& u : *r) pending_.push_back(std::move(u));
      next_update();
    });
  }

  // Hands the received updates over one at a time, in order; polls again when done.
  void next_update() {
    if (!running_) return;
    if (pending_.empty()) {
      save_offset();
      return poll();
    }
    Json u = std::move(pending_.front());
    pending_.pop_front();
    long long id = u.is_object() && u.contains("update_id") && u["update_id"].is_number_integer()
                       ? u["update_id"].get<long long>()
                       : 0;
    auto advance = alive_.guard([this, id] {
      if (id >= offset_) offset_ = id + 1;
      next_update();
    });
    telegram::Update up = telegram::parse_update(u, {username_, bot_id_});
    switch (up.kind) {
      case telegram::Update::kMessage:
        return host_.inbound(std::move(up.message), advance);
      case telegram::Update::kButton:
        if (!up.callback_id.empty())
          api("answerCallbackQuery", {{"callback_query_id", up.callback_id}}, 15,
              [](Result<Json>) {});
        host_.button(std::move(up.button));
        break;
      case telegram::Update::kSkip:
        break;
    }
    boost::asio::post(host_.io(), advance);
  }

  sdk::ChannelHost& host_;
  std::string token_, api_base_, username_, bot_id_, offset_file_;
  int poll_timeout_s_ = 30;
  long long offset_ = 0;
  long long saved_offset_ = -1;  // what the file holds
  std::deque<Json> pending_;
  std::vector<std::weak_ptr<net::HttpCall>> calls_;  // polls and the rest
  std::vector<std::weak_ptr<net::HttpCall>> sends_;  // sendMessage: only stop() ends them
  bool running_ = false;                             // between start() and stop() or a failure
  bool first_poll_ = false;  // the next getUpdates is the first since start()
  // Not before this may Telegram be called again (429 retry_after); kept across
  // stop()/start(), which is when it matters.
  std::chrono::steady_clock::time_point not_before_{};
  boost::asio::steady_timer wait_timer_{host_.io()};
  // Idle keep-alive connections to the Bot API (one account, closed with it).
  std::shared_ptr<net::ConnectionPool> pool_ = std::make_shared<net::ConnectionPool>();
  Alive send_alive_;  // renewed by stop() only
  Alive alive_;       // last; renewed by stop() and fail()
};

}  // namespace

Status register_telegram(sdk::Registry& r) {
  return r.add_channel({"telegram", "Telegram Bot API (long polling)",
                        [](sdk::ChannelHost& h) { return std::make_unique<TelegramChannel>(h); }});
}

}  // namespace simpleclaw::channels
