#include "channels/slack/slack_api.h"

#include <charconv>

#include "channels/slack/slack_events.h"

namespace simpleclaw::channels::slack {

bool ApiResult::ok() const {
  if (cancelled || !transport_error.empty() || status < 200 || status >= 300) return false;
  auto it = body.is_object() ? body.find("ok") : body.end();
  return body.is_object() && it != body.end() && it->is_boolean() && it->get<bool>();
}

bool ApiResult::ratelimited() const { return status == 429 || slack_error() == "ratelimited"; }

std::string ApiResult::slack_error() const {
  if (cancelled) return "cancelled";
  if (!transport_error.empty()) return transport_error;
  if (body.is_object()) {
    auto it = body.find("error");
    // Slack's error codes are short snake_case words; anything else is not quoted.
    if (it != body.end() && it->is_string()) {
      const auto& s = it->get_ref<const std::string&>();
      bool word = !s.empty() && s.size() <= 64;
      for (char c : s)
        word = word && ((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'));
      if (word) return s;
    }
  }
  if (status < 200 || status >= 300) return "http " + std::to_string(status);
  return "unexpected answer";
}

std::shared_ptr<net::HttpCall> api_call(boost::asio::io_context& io, const std::string& base,
                                        const std::string& method, const std::string& token,
                                        std::optional<Json> json_body, net::HttpOptions opts,
                                        std::function<void(ApiResult)> done) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = base + "/" + method;
  req.headers.emplace_back("Authorization", "Bearer " + token);
  if (json_body) {
    req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
    req.body = json_body->dump(-1, ' ', false, Json::error_handler_t::replace);
  } else {
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  struct State {
    ApiResult r;
    std::string raw;
    bool too_big = false;
    std::weak_ptr<net::HttpCall> call;  // to stop reading an oversized answer
  };
  auto st = std::make_shared<State>();
  net::HttpCallbacks cb;
  cb.on_head = [st](const net::HttpHead& h) {
    st->r.status = h.status;
    std::string ra = h.header("Retry-After");
    long long secs = 0;
    auto [p, ec] = std::from_chars(ra.data(), ra.data() + ra.size(), secs);
    if (ec == std::errc() && secs >= 0)
      st->r.retry_after = std::chrono::seconds(std::min<long long>(secs, 3600));
  };
  cb.on_body = [st](std::string_view piece) {
    if (st->raw.size() + piece.size() > kMaxApiReplyBytes) {
      st->too_big = true;
      if (auto c = st->call.lock()) c->cancel();
      return;
    }
    st->raw.append(piece);
  };
  cb.on_done = [st, done = std::move(done), method](const net::HttpError* err) {
    ApiResult r = std::move(st->r);
    if (st->too_big) {
      r.transport_error = method + ": answer over " + std::to_string(kMaxApiReplyBytes) + " bytes";
    } else if (err) {
      if (err->kind == net::HttpError::kCancelled)
        r.cancelled = true;
      else
        r.transport_error = method + ": " + err->message;
    } else {
      r.body = Json::parse(st->raw, nullptr, /*allow_exceptions=*/false);
      if (r.body.is_discarded()) r.body = nullptr;
      if (r.status >= 200 && r.status < 300 && !r.body.is_object())
        r.transport_error = method + ": answer is not a JSON object";
    }
    done(std::move(r));
  };
  auto call = net::http_start(io, std::move(req), std::move(opts), std::move(cb));
  st->call = call;
  return call;
}

}  // namespace simpleclaw::channels::slack
