// web_fetch against a real local HTTP server (tests/fakes/http_server.py): text and HTML,
// redirects and their cap, the size cap, the deadline, binary bodies, HTTP errors, and
// the private-address refusal (which is why most tests here set allow_private).
#include "tools/web_fetch.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "proc/subprocess.h"

namespace simpleclaw::tools {

using proc::Process;
using proc::ProcessCallbacks;
using proc::ProcessSpec;
using proc::scrubbed_env;
namespace {

struct Server {
  boost::asio::io_context io;
  std::shared_ptr<Process> proc;
  std::string out;
  int port = 0;
  Server() {
    ProcessSpec spec;
    spec.argv = {"python3", SIMPLECLAW_SOURCE_DIR "/tests/fakes/http_server.py"};
    spec.env = scrubbed_env();
    spec.pipe_stdin = true;
    spec.merge_stderr = false;
    ProcessCallbacks cb;
    cb.on_stdout = [this](std::string_view s) { out.append(s); };
    auto p = Process::spawn(io, spec, cb);
    if (!p.ok()) return;
    proc = *p;
    for (int i = 0; i < 200 && out.find('\n') == std::string::npos; ++i)
      io.run_for(std::chrono::milliseconds(20));
    port = std::atoi(out.c_str());
  }
  ~Server() {
    if (proc) proc->kill_group();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

struct FetchRun {
  std::optional<ToolOutcome> out;
};

ToolOutcome fetch(
    Server& s, const std::string& url, config::WebFetchConfig cfg = [] {
      config::WebFetchConfig c;
      c.allow_private = true;
      return c;
    }()) {
  WebFetchTool tool(s.io);
  ToolContext ctx;
  ctx.policy.web_fetch = cfg;
  std::optional<ToolOutcome> out;
  auto task = tool.start(ctx, "web_fetch", Json{{"url", url}}, [&](ToolOutcome o) { out = o; });
  for (int i = 0; i < 1000 && !out; ++i) s.io.run_for(std::chrono::milliseconds(20));
  return out.value_or(ToolOutcome{"(no answer)", true});
}

TEST(WebFetch, TextHtmlAndJson) {
  Server s;
  ASSERT_GT(s.port, 0);
  ToolOutcome page = fetch(s, s.url("/page"));
  EXPECT_FALSE(page.is_error) << page.text;
  EXPECT_NE(page.text.find("HTTP 200"), std::string::npos);
  EXPECT_NE(page.text.find("Title\nHello & welcome"), std::string::npos) << page.text;
  EXPECT_EQ(page.text.find("var x"), std::string::npos) << "scripts are dropped";
  EXPECT_EQ(page.text.find("color:red"), std::string::npos) << "styles are dropped";
  ToolOutcome json = fetch(s, s.url("/json"));
  EXPECT_NE(json.text.find("{\"ok\":true}"), std::string::npos);
  ToolOutcome bin = fetch(s, s.url("/binary"));
  EXPECT_NE(bin.text.find("[binary content image/png, 108 bytes not shown]"), std::string::npos);
  ToolOutcome missing = fetch(s, s.url("/missing"));
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("HTTP 404"), std::string::npos);
}

TEST(WebFetch, RedirectsAreFollowedUpToTheCap) {
  Server s;
  ToolOutcome ok = fetch(s, s.url("/redirect/3"));
  EXPECT_FALSE(ok.is_error) << ok.text;
  EXPECT_NE(ok.text.find("/page"), std::string::npos);
  EXPECT_NE(ok.text.find("Hello & welcome"), std::string::npos);
  ToolOutcome too_many = fetch(s, s.url("/redirect/9"));
  EXPECT_TRUE(too_many.is_error);
  EXPECT_NE(too_many.text.find("more than 5 redirects"), std::string::npos) << too_many.text;
}

TEST(WebFetch, SizeAndTimeAreCapped) {
  Server s;
  config::WebFetchConfig cfg;
  cfg.allow_private = true;
  cfg.max_bytes = 10000;
  ToolOutcome big = fetch(s, s.url("/big/50000000"), cfg);
  EXPECT_FALSE(big.is_error) << big.text.substr(0, 200);
  EXPECT_NE(big.text.find(std::string(10000, 'x')), std::string::npos);
  EXPECT_EQ(big.text.find(std::string(10001, 'x')), std::string::npos);
  EXPECT_NE(big.text.find("cut at 10000 bytes"), std::string::npos);
  cfg.timeout_ms = 300;
  auto t0 = std::chrono::steady_clock::now();
  ToolOutcome slow = fetch(s, s.url("/slow"), cfg);
  EXPECT_TRUE(slow.is_error);
  EXPECT_NE(slow.text.find("timed out"), std::string::npos) << slow.text;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(WebFetch, PrivateTargetsAreRefusedByDefault) {
  Server s;
  config::WebFetchConfig cfg;  // allow_private = false
  for (const std::string& url : {s.url("/page"), std::string("http://localhost:9/"),
                                 std::string("http://169.254.169.254/latest/meta-data/"),
                                 std::string("http://[::1]:9/"), std::string("http://10.1.2.3/")}) {
    ToolOutcome r = fetch(s, url, cfg);
    EXPECT_TRUE(r.is_error) << url;
    EXPECT_NE(r.text.find("refused"), std::string::npos) << url << ": " << r.text;
  }
  ToolOutcome bad = fetch(s, "file:///etc/passwd", cfg);
  EXPECT_TRUE(bad.is_error);
  EXPECT_EQ(bad.text.find("root:"), std::string::npos);
}

TEST(WebFetch, AddressClassification) {
  for (const char* ip :
       {"127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1"})
    EXPECT_NE(private_address_reason(ip), "") << ip;
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111"})
    EXPECT_EQ(private_address_reason(ip), "") << ip;
}

}  // namespace
}  // namespace simpleclaw::tools
