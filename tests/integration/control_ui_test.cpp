// gateway.control_ui: a built UI directory served on the gateway's port the way OpenClaw
// serves its Control UI (SPA fallback, stamped index.html, bootstrap config behind bearer
// auth, immutable precompressed assets, strict headers), and nothing outside its root.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/crypto.h"
#include "base/ids.h"
#include "helpers.h"

namespace sctest {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

const char* kInline = "globalThis.booted = 1;";
const char* kIndex = R"(<!doctype html>
<html data-openclaw-control-ui-build-id="b-42" lang="en">
<head>
<link rel="icon" href="./favicon.svg" />
<script>globalThis.booted = 1;</script>
<script type="module" crossorigin src="./assets/app-abc.js"></script>
<link rel="stylesheet" href="./assets/app-abc.css">
</head><body><openclaw-app></openclaw-app></body></html>
)";

// A UI build: index, an asset with precompressed siblings, a root asset, a secret next
// to the root and a symlink pointing at it.
struct UiDir {
  TempDir dir;
  std::string root = dir.path() + "/ui";
  UiDir() {
    write(root + "/index.html", kIndex);
    write(root + "/assets/app-abc.js", "console.log('plain')");
    write(root + "/assets/app-abc.js.br", "BROTLI-BYTES");
    write(root + "/assets/app-abc.js.gz", "GZIP-BYTES");
    write(root + "/assets/app-abc.css", "body{}");
    write(root + "/favicon.svg", "<svg/>");
    write(root + "/.env", "SECRET=1");
    write(dir.path() + "/secret.txt", "TOP SECRET");
    fs::create_symlink(dir.path() + "/secret.txt", root + "/link-out.txt");
    fs::create_symlink(root + "/favicon.svg", root + "/link-in.svg");
  }
};

std::string csp_hash(const std::string& script) {
  return "'sha256-" + simpleclaw::base64(simpleclaw::sha256_raw(script)) + "'";
}

TEST(ControlUi, ServesABuiltUiUnderItsBasePathLikeOpenClaw) {
  UiDir ui;
  START_GATEWAY(
      gw, with_config("gateway:\n  control_ui:\n    root: " + ui.root + "\n    base_path: /ui\n"));
  const int port = gw->port();

  HttpResponse bare = http_request(port, "GET", "/ui");
  EXPECT_EQ(bare.status, 302);
  EXPECT_EQ(bare.headers["location"], "/ui/");

  HttpResponse index = http_request(port, "GET", "/ui/");
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(index.body.find("data-openclaw-control-ui-base-path=\"/ui\""), std::string::npos)
      << index.body;
  EXPECT_NE(index.body.find("data-openclaw-terminal-enabled=\"false\""), std::string::npos);
  EXPECT_NE(index.body.find("src=\"/ui/assets/app-abc.js\""), std::string::npos);
  EXPECT_NE(index.body.find("href=\"/ui/assets/app-abc.css\""), std::string::npos);
  EXPECT_NE(index.body.find("href=\"/ui/favicon.svg?v=b-42\""), std::string::npos);
  EXPECT_EQ(index.body.find("./assets/"), std::string::npos);
  const std::string csp = index.headers["content-security-policy"];
  EXPECT_NE(csp.find("script-src 'self' " + csp_hash(kInline)), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(index.headers["x-frame-options"], "DENY");
  EXPECT_EQ(index.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(index.headers["referrer-policy"], "no-referrer");
  EXPECT_EQ(index.headers["cache-control"], "no-cache");

  // SPA routes a browser navigates to are index.html; missing assets are not.
  HttpResponse deep = http_request(port, "GET", "/ui/chat/main", {"Accept: text/html"});
  EXPECT_EQ(deep.status, 200);
  EXPECT_NE(deep.body.find("openclaw-app"), std::string::npos);
  EXPECT_EQ(http_request(port, "GET", "/ui/assets/gone-123.js", {"Accept: text/html"}).status, 404);
  EXPECT_EQ(http_request(port, "GET", "/ui/nope.js").status, 404);
  EXPECT_EQ(http_request(port, "GET", "/ui/api/users/x/avatar", {"Accept: text/html"}).status, 404);
  EXPECT_EQ(http_request(port, "GET", "/elsewhere", {"Accept: text/html"}).status, 404);

  // Precompressed siblings chosen by Accept-Encoding; immutable caching for assets/.
  HttpResponse br =
      http_request(port, "GET", "/ui/assets/app-abc.js", {"Accept-Encoding: gzip, br"});
  EXPECT_EQ(br.status, 200);
  EXPECT_EQ(br.body, "BROTLI-BYTES");
  EXPECT_EQ(br.headers["content-encoding"], "br");
  EXPECT_EQ(br.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(br.headers["cache-control"], "public, max-age=31536000, immutable");
  EXPECT_NE(br.headers["content-type"].find("text/javascript"), std::string::npos);
  HttpResponse gz =
      http_request(port, "GET", "/ui/assets/app-abc.js", {"Accept-Encoding: br;q=0, gzip"});
  EXPECT_EQ(gz.body, "GZIP-BYTES");
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  HttpResponse plain = http_request(port, "GET", "/ui/assets/app-abc.js");
  EXPECT_EQ(plain.body, "console.log('plain')");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  EXPECT_EQ(plain.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(http_request(port, "GET", "/ui/assets/app-abc.js.br").status, 404);
  HttpResponse head = http_request(port, "HEAD", "/ui/assets/app-abc.css");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());

  // Root assets, also under /__openclaw__/.
  EXPECT_EQ(http_request(port, "GET", "/ui/favicon.svg").body, "<svg/>");
  EXPECT_EQ(http_request(port, "GET", "/__openclaw__/favicon.svg").body, "<svg/>");
  EXPECT_EQ(http_request(port, "GET", "/ui/link-in.svg").body, "<svg/>");

  // Nothing outside the root, however the path is spelled; no dotfiles.
  for (const char* path :
       {"/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/assets/..%2f..%2fsecret.txt",
        "/ui/assets/%2e%2e/%2e%2e/secret.txt", "/ui/link-out.txt", "/ui/.env", "/ui/%2eenv",
        "/ui/a%00b", "/ui/..%5csecret.txt", "/ui/%zz"}) {
    SCOPED_TRACE(path);
    HttpResponse r = http_request(port, "GET", path);
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos) << r.body;
    EXPECT_EQ(r.status, 404) << r.body;
  }
}

TEST(ControlUi, TheBootstrapConfigNeedsTheBearerToken) {
  UiDir ui;
  START_GATEWAY(gw, with_config("gateway:\n  control_ui:\n    root: " + ui.root + "\n"));
  const int port = gw->port();
  HttpResponse anon = http_request(port, "GET", "/control-ui-config.json");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(Json::parse(anon.body, nullptr, false)["error"]["type"], "unauthorized");
  HttpResponse wrong =
      http_request(port, "GET", "/control-ui-config.json", {"Authorization: Bearer not-the-token"});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body.find(gw->token()), std::string::npos);
  for (const char* path : {"/control-ui-config.json", "/__openclaw__/control-ui-config.json",
                           "/__openclaw/control-ui-config.json"}) {
    SCOPED_TRACE(path);
    HttpResponse ok = http_request(port, "GET", path, {"Authorization: Bearer " + gw->token()});
    ASSERT_EQ(ok.status, 200) << ok.body;
    Json j = Json::parse(ok.body, nullptr, false);
    EXPECT_EQ(j["basePath"], "");
    EXPECT_EQ(j["assistantAgentId"], "main");
    EXPECT_EQ(j["serverVersion"], SIMPLECLAW_VERSION);
    EXPECT_EQ(j["terminalEnabled"], false);
    EXPECT_EQ(ok.body.find(gw->token()), std::string::npos) << "the token leaked";
  }
  // At / with no base path.
  HttpResponse index = http_request(port, "GET", "/", {"Accept: text/html"});
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("data-openclaw-control-ui-base-path=\"\""), std::string::npos);
  EXPECT_NE(index.body.find("src=\"/assets/app-abc.js\""), std::string::npos);
}

TEST(ControlUi, WithoutARootTheGatewaysOwnPageIsServedWithTheSameHeaders) {
  START_GATEWAY(gw);
  HttpResponse r = http_request(gw->port(), "GET", "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_NE(r.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r.headers["x-frame-options"], "DENY");
  EXPECT_EQ(r.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(http_request(gw->port(), "GET", "/assets/x.js").status, 404);
  // Its own UI allows no inline script or style and connects only to its own origin.
  const std::string csp = r.headers["content-security-policy"];
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  // Assets: precompressed copies by Accept-Encoding, a year of cache (the URL has ?v=).
  HttpResponse br =
      http_request(gw->port(), "GET", "/assets/app.js", {"Accept-Encoding: gzip, br"});
  EXPECT_EQ(br.status, 200);
  EXPECT_EQ(br.headers["content-encoding"], "br");
  EXPECT_NE(br.headers["cache-control"].find("immutable"), std::string::npos);
  HttpResponse gz = http_request(gw->port(), "GET", "/assets/app.js", {"Accept-Encoding: gzip"});
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  HttpResponse plain = http_request(gw->port(), "GET", "/assets/app.js");
  EXPECT_EQ(plain.headers.count("content-encoding"), 0u);
  EXPECT_GT(plain.body.size(), br.body.size());
  EXPECT_NE(plain.headers["content-type"].find("text/javascript"), std::string::npos);
  EXPECT_EQ(http_request(gw->port(), "GET", "/assets/app.js.br").status, 404);
  // A deep link is the page (the UI routes it); an API path is not.
  HttpResponse deep =
      http_request(gw->port(), "GET", "/chat/agent:main:main", {"Accept: text/html"});
  EXPECT_EQ(deep.status, 200);
  EXPECT_NE(deep.body.find("<sc-app>"), std::string::npos);
  EXPECT_EQ(http_request(gw->port(), "GET", "/v1/nothing").status, 404);
}

}  // namespace
}  // namespace sctest
