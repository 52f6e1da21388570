#include "gateway/http/http_router.h"

#include "base/log.h"

namespace simpleclaw::gateway {
namespace {

bool path_matches(const HttpRoute& r, std::string_view path) {
  if (!r.path.empty() && r.path.back() == '/') return path.substr(0, r.path.size()) == r.path;
  return path == r.path;
}

bool method_matches(const HttpRoute& r, std::string_view method) {
  return r.method == method || (r.method == "GET" && method == "HEAD");
}

// The session's reply, counting its status class once in its route's counters
// (metrics.http_requests) when the answer (or a stream's head) goes out. The counters
// outlive every reply: Gateway declares its Metrics first, and map nodes do not move.
class CountedReply final : public HttpReply {
 public:
  CountedReply(std::shared_ptr<HttpReply> inner, std::array<std::uint64_t, 5>& by_class)
      : inner_(std::move(inner)), by_class_(by_class) {}
  void answer(HttpAnswer a) override {
    count(a.status);
    inner_->answer(std::move(a));
  }
  void stream(int status, std::string content_type,
              std::vector<std::pair<std::string, std::string>> headers) override {
    count(status);
    inner_->stream(status, std::move(content_type), std::move(headers));
  }
  bool write(std::string chunk) override { return inner_->write(std::move(chunk)); }
  void end() override { inner_->end(); }
  void on_cancel(std::function<void()> fn) override { inner_->on_cancel(std::move(fn)); }
  bool is_open() const override { return inner_->is_open(); }

 private:
  void count(int status) {
    if (counted_ || !inner_->is_open() || status < 100 || status > 599) return;
    counted_ = true;
    ++by_class_[static_cast<std::size_t>(status / 100 - 1)];
  }
  std::shared_ptr<HttpReply> inner_;
  std::array<std::uint64_t, 5>& by_class_;
  bool counted_ = false;
};

}  // namespace

HttpAnswer http_error(int status, std::string_view message, std::string_view type,
                      std::string_view code) {
  Json err{{"message", message}, {"type", type}};
  if (!code.empty()) err["code"] = code;
  return HttpAnswer{status, "application/json", Json{{"error", std::move(err)}}.dump(), ""};
}

HttpAnswer http_auth_error(const Error& e) {
  if (e.retry_after_ms) {
    HttpAnswer a = http_error(429, e.message, "rate_limit_error", e.detail_code());
    a.headers.emplace_back("Retry-After", std::to_string((*e.retry_after_ms + 999) / 1000));
    return a;
  }
  HttpAnswer a = http_error(401, e.message, "authentication_error", e.detail_code());
  a.headers.emplace_back("WWW-Authenticate", "Bearer");
  return a;
}

void HttpRouter::add(HttpRoute route) {
  for (HttpRoute& r : routes_)
    if (r.method == route.method && r.path == route.path) {
      r = std::move(route);
      return;
    }
  routes_.push_back(std::move(route));
}

bool HttpRouter::route(const HttpRequest& req, const PeerInfo& peer,
                       const std::shared_ptr<HttpReply>& session_reply) {
  const std::string_view path = req.path();
  const HttpRoute* found = nullptr;
  std::string allow;
  const HttpRoute* same_path = nullptr;  // for a 405's label
  for (const HttpRoute& r : routes_) {
    if (!path_matches(r, path)) continue;
    same_path = &r;
    if (method_matches(r, req.method)) {
      // The longest matching path wins (an exact route over a prefix).
      if (!found || r.path.size() > found->path.size()) found = &r;
    } else if (allow.find(r.method) == std::string::npos) {
      allow += (allow.empty() ? "" : ", ") + r.method;
    }
  }
  if (!found && allow.empty()) return false;
  // A prefix route is counted as "<prefix>*": the label set stays the routes'.
  std::string label = (found ? found : same_path)->path;
  if (!label.empty() && label.back() == '/') label += '*';
  auto reply = std::make_shared<CountedReply>(session_reply, metrics_.http_requests[label]);
  if (!found) {
    HttpAnswer a = http_error(405, "method not allowed: use " + allow, "invalid_request_error");
    a.allow = allow;
    reply->answer(std::move(a));
    return true;
  }
  if (found->enabled && !found->enabled()) {
    reply->answer(http_error(404,
                             "not found: " + std::string(path) + " is switched off" +
                                 (found->off_hint.empty() ? "" : " (" + found->off_hint + ")"),
                             "invalid_request_error", "endpoint_disabled"));
    return true;
  }
  HttpCall call{req, peer, reply, Admission{}};
  if (found->auth == HttpRoute::Auth::kBearer) {
    if (!peer.origin.empty() && origin_allowed_ && !origin_allowed_(peer, req.host)) {
      log::warn("refused HTTP {} {} from origin {} ({}): not in gateway.allowed_origins",
                req.method, path, peer.origin, peer.remote_ip);
      reply->answer(http_error(403, "origin not allowed: add it to gateway.allowed_origins",
                               "permission_error"));
      return true;
    }
    auto who = auth_.admit_bearer(req.authorization, peer);
    if (!who.ok()) {
      reply->answer(http_auth_error(who.error()));
      return true;
    }
    if (!who->granted.has(found->scope)) {
      reply->answer(http_error(403,
                               "missing scope: " + std::string(protocol::scope_name(found->scope)),
                               "permission_error", "MISSING_SCOPE"));
      return true;
    }
    call.caller = std::move(who).value();
  }
  // A copy: a handler may add routes (the table may grow while this one runs).
  auto handler = found->handler;
  handler(call);
  return true;
}

}  // namespace simpleclaw::gateway
