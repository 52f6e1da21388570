// ControlUi: the browser dashboard on the gateway's own port (SPEC §2).
//
// Without gateway.control_ui.root, simpleclaw's own Control UI (web/control-ui, built by
// esbuild and compiled into the binary) is served at /, with a CSP that allows no inline
// script or style and connections to its own origin only. With a root (a built UI directory such as
// OpenClaw's dist/control-ui), that directory is served under gateway.control_ui.base_path the way
// OpenClaw's gateway serves it, so its UI works unchanged:
//
//   * index.html for / and, as an SPA fallback, for any path a browser asks as HTML, with
//     the <html> attributes OpenClaw's UI reads (data-openclaw-control-ui-base-path,
//     -terminal-enabled) and ./assets/ and root-asset URLs rewritten under the base path;
//   * <base>/control-ui-config.json (and OpenClaw's aliases) behind
//     `Authorization: Bearer <gateway token | device token>`: the UI's bootstrap facts;
//   * files under the root; assets/ (fingerprinted) immutable for a year, a precompressed
//     .br / .gz sibling chosen by Accept-Encoding (a direct .br/.gz request is 404);
//   * every answer nosniff and no-referrer; HTML with a strict CSP carrying the SHA-256 of
//     each inline script, frame denial (X-Frame-Options and frame-ancestors) and no cache.
//
// Paths are percent-decoded and refused (404) with a `..` or dot segment, a backslash or
// a NUL; the resolved file must lie inside the root's real path, so a symlink out of it
// is refused too. Files are read on the BlockingPool, never on the loop.
//
// Threading: answer() on the loop thread; serve_file() is blocking and thread-safe.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "base/blocking_pool.h"
#include "gateway/authenticator.h"
#include "gateway/live_config.h"
#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

class ControlUi {
 public:
  // `bootstrap` makes the body of control-ui-config.json.
  ControlUi(const LiveConfig& config, Authenticator& auth, BlockingPool& files,
            std::function<Json()> bootstrap)
      : config_(config), auth_(auth), files_(files), bootstrap_(std::move(bootstrap)) {}

  // GET/HEAD of a path that is not a probe. Calls `answer` once (maybe later).
  void answer(const HttpRequest& req, const PeerInfo& peer, std::function<void(HttpAnswer)> answer);

 private:
  const LiveConfig& config_;
  Authenticator& auth_;
  BlockingPool& files_;
  std::function<Json()> bootstrap_;
};

namespace control_ui {

// "/ui/" -> "/ui", "/" -> "".
std::string normalize_base_path(std::string_view base);
// Serves `path` (decoded, relative to the base path, starting with "/") from `root`.
// Blocking (file system). `build_id` stamps root-asset URLs.
HttpAnswer serve_file(const std::string& root, const std::string& base, std::string_view path,
                      const HttpRequest& req);
// simpleclaw's own UI (compiled in): index.html for / and SPA routes, assets with the
// precompressed copy the client accepts. Non-blocking (memory only).
HttpAnswer serve_embedded(std::string_view path, const HttpRequest& req);
// index.html as served: <html> attributes and URLs rewritten for `base`.
std::string stamp_index(std::string_view html, const std::string& base);
// The Content-Security-Policy for an HTML page: its inline scripts' hashes allowed.
std::string content_security_policy(std::string_view html);
// Security headers on an HTML answer (CSP included), and on every answer.
void add_html_headers(HttpAnswer& a, std::string_view html);
void add_common_headers(HttpAnswer& a);

}  // namespace control_ui
}  // namespace simpleclaw::gateway
