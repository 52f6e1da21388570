// HttpRouter: the table of the gateway port's HTTP API routes (the OpenAI-compatible API,
// /tools/invoke, webhooks), consulted before the probes and the Control UI. A route is a
// method and a path (exact, or a prefix when it ends in '/'), how the caller
// authenticates and what scope it needs, and a handler:
//
//   Auth::kBearer  `Authorization: Bearer <secret>` through Authenticator::admit_bearer
//                  (gateway token or password, a shared-mode user's token, a paired
//                  device's operator token), behind the same failed-attempt limiter as a
//                  WebSocket connect. Missing or wrong: 401 with `WWW-Authenticate: Bearer`;
//                  locked out: 429 with Retry-After; a credential without the route's scope:
//                  403. A browser request (with an Origin header) must come from an origin
//                  the WebSocket would accept (gateway.allowed_origins), else 403.
//   Auth::kNone    the handler checks the request itself (a webhook's signature).
//
// Errors are JSON `{"error":{"message","type"}}` (OpenAI's shape, which the API's clients
// parse). A path that matches with another method answers 405 with Allow; a path no route
// matches is not the router's (route() returns false). A route switched off in config
// answers 404.
//
// The handler runs on the loop thread with an HttpCall; `req` is valid only during the
// call (copy what a later answer needs), `reply` may be kept and answered later.
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/authenticator.h"
#include "gateway/state/metrics.h"
#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

struct HttpCall {
  const HttpRequest& req;
  PeerInfo peer;
  std::shared_ptr<HttpReply> reply;
  Admission caller;  // who authenticated (kBearer); empty for Auth::kNone
};

struct HttpRoute {
  enum class Auth { kBearer, kNone };
  std::string method;  // "POST", "GET" (GET also answers HEAD)
  std::string path;    // exact, or a prefix when it ends in '/'
  Auth auth = Auth::kBearer;
  protocol::Scope scope = protocol::Scope::kNone;  // needed beyond authenticating
  std::function<void(HttpCall&)> handler;
  // Unset = always on. Returning false: the route is switched off in config and answers
  // 404 before any authentication (`off_hint` names the setting).
  std::function<bool()> enabled;
  std::string off_hint;
};

// `{"error":{"message":..,"type":..}}` with `status`; `code` adds error.code when set.
HttpAnswer http_error(int status, std::string_view message, std::string_view type,
                      std::string_view code = {});
// The answer for a failed bearer check (401, or 429 when locked out).
HttpAnswer http_auth_error(const Error& e);

class HttpRouter {
 public:
  // `origin_allowed(peer, host)`: the WebSocket's browser-origin rule (Connections).
  using OriginCheck = std::function<bool(const PeerInfo&, std::string_view host)>;
  // Counts every answer in metrics.http_requests.
  HttpRouter(Authenticator& auth, Metrics& metrics) : auth_(auth), metrics_(metrics) {}

  void set_origin_check(OriginCheck check) { origin_allowed_ = std::move(check); }
  // Adds a route; a later route with the same method and path replaces the earlier one.
  void add(HttpRoute route);
  // Answers `req` if a route's path matches it (true), else false (the probes and the
  // Control UI's).
  bool route(const HttpRequest& req, const PeerInfo& peer, const std::shared_ptr<HttpReply>& reply);

 private:
  Authenticator& auth_;
  Metrics& metrics_;
  OriginCheck origin_allowed_;
  std::vector<HttpRoute> routes_;
};

}  // namespace simpleclaw::gateway
