// HttpClient (providers/http_client.h) against tiny servers on 127.0.0.1: each test has its
// own io_context, and the servers are Asio coroutines on that same context, scripted byte
// by byte, so the client and the server take turns deterministically. A server that must
// wait for the client (e.g. "the test saw this chunk") polls a condition with a deadline.
#include "net/http_client.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using namespace simpleclaw::net;

// --- helpers ------------------------------------------------------------------------------

// Runs the loop until `pred` holds or the deadline passes.
bool run_until(asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = 3000ms) {
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_one_until(deadline);
  }
  return true;
}

// Every callback, plus the contract checks: on_head once and before any body, on_done
// exactly once, nothing after on_done.
struct Recorder {
  int head_calls = 0;
  HttpHead head;
  std::vector<std::string> pieces;
  std::string body;
  int done_calls = 0;
  bool ok = false;
  std::optional<HttpError> error;
  bool callback_after_done = false;
  bool body_before_head = false;
  Clock::time_point done_at;
  std::function<void(std::string_view)> on_body_hook;

  HttpCallbacks callbacks() {
    HttpCallbacks cb;
    cb.on_head = [this](const HttpHead& h) {
      if (done_calls) callback_after_done = true;
      ++head_calls;
      head = h;
    };
    cb.on_body = [this](std::string_view b) {
      if (done_calls) callback_after_done = true;
      if (!head_calls) body_before_head = true;
      pieces.emplace_back(b);
      body += b;
      if (on_body_hook) on_body_hook(b);
    };
    cb.on_done = [this](const HttpError* e) {
      ++done_calls;
      done_at = Clock::now();
      if (e)
        error = *e;
      else
        ok = true;
    };
    return cb;
  }
  bool done() const { return done_calls > 0; }
  int kind() const { return error ? static_cast<int>(error->kind) : -1; }
  std::string message() const { return error ? error->message : ""; }
};

std::string kind_name(int k) {
  switch (k) {
    case HttpError::kConnect:
      return "kConnect";
    case HttpError::kTls:
      return "kTls";
    case HttpError::kTimeout:
      return "kTimeout";
    case HttpError::kProtocol:
      return "kProtocol";
    case HttpError::kCancelled:
      return "kCancelled";
  }
  return "none";
}

struct Listener {
  explicit Listener(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  unsigned short port() const { return acceptor.local_endpoint().port(); }
  std::string url(const std::string& scheme, const std::string& path = "/",
                  const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(port()) + path;
  }
  tcp::acceptor acceptor;
};

// Reads through the blank line after a head; bytes after it stay in `buf`.
template <class Stream>
awaitable<std::string> read_head(Stream& s, std::string& buf) {
  std::size_t n =
      co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n\r\n", use_awaitable);
  std::string head = buf.substr(0, n);
  buf.erase(0, n);
  co_return head;
}

// A request head plus its Content-Length body.
template <class Stream>
awaitable<std::string> read_request(Stream& s) {
  std::string buf;
  std::string head = co_await read_head(s, buf);
  std::size_t length = 0;
  auto pos = head.find("Content-Length: ");
  if (pos != std::string::npos) length = std::stoul(head.substr(pos + 16));
  if (buf.size() < length)
    co_await asio::async_read(s, asio::dynamic_buffer(buf),
                              asio::transfer_exactly(length - buf.size()), use_awaitable);
  co_return head + buf;
}

template <class Stream>
awaitable<void> send(Stream& s, std::string bytes) {
  co_await asio::async_write(s, asio::buffer(bytes), use_awaitable);
}

// Polls `pred` every millisecond; throws when the deadline passes.
awaitable<void> wait_until(std::function<bool()> pred, std::chrono::milliseconds timeout = 2000ms) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) throw std::runtime_error("server: the client did not get there");
    timer.expires_after(1ms);
    co_await timer.async_wait(use_awaitable);
  }
}

// Reads until the peer closes; returns when it did.
template <class Stream>
awaitable<void> wait_for_close(Stream& s) {
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

// Copies bytes one way until EOF or an error, then half-closes the other side.
awaitable<void> pipe(tcp::socket& from, tcp::socket& to) {
  char buf[16384];
  for (;;) {
    boost::system::error_code ec;
    std::size_t n =
        co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(to, asio::buffer(buf, n), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  boost::system::error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

// Runs `script(socket)` on the next connection `listener` accepts; exceptions (unexpected
// server-side failures) are collected in `errors`.
template <class Script>
void serve(asio::io_context& io, Listener& listener, std::vector<std::string>& errors,
           Script script) {
  asio::co_spawn(
      io,
      [&listener, script = std::move(script)]() mutable -> awaitable<void> {
        tcp::socket s = co_await listener.acceptor.async_accept(use_awaitable);
        co_await script(s);
      },
      [&errors](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          errors.push_back(x.what());
        }
      });
}

// A self-signed ECDSA certificate with the given subjectAltName, as PEM strings and a file.
struct TestCert {
  std::string cert_pem, key_pem, path;
};

TestCert make_cert(const std::string& san) {
  static int counter = 0;
  TestCert out;
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), ++counter);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("simpleclaw test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x, key, EVP_sha256());
  auto to_pem = [](auto writer) {
    BIO* bio = BIO_new(BIO_s_mem());
    writer(bio);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return s;
  };
  out.cert_pem = to_pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  out.key_pem = to_pem(
      [&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(key);
  out.path = ::testing::TempDir() + "http_client_test_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter) + ".pem";
  std::ofstream(out.path) << out.cert_pem;
  return out;
}

std::unique_ptr<ssl::context> server_tls_context(const TestCert& cert) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->use_certificate_chain(asio::buffer(cert.cert_pem));
  ctx->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
  return ctx;
}

// Sets (or unsets, with nullptr) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

HttpOptions fast_options() {
  HttpOptions o;
  o.connect_timeout = 2000ms;
  o.first_byte_timeout = 2000ms;
  o.idle_timeout = 2000ms;
  o.total_timeout = 5000ms;
  o.proxy = "";  // never the machine's proxy
  return o;
}

class HttpFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& e : server_errors_) ADD_FAILURE() << "server: " << e;
  }

  template <class Script>
  void serve(Listener& l, Script script) {
    ::serve(io_, l, server_errors_, std::move(script));
  }

  std::shared_ptr<HttpCall> start(Recorder& rec, HttpRequest req,
                                  HttpOptions opts = fast_options()) {
    return http_start(io_, std::move(req), std::move(opts), rec.callbacks());
  }

  bool run_until_done(Recorder& rec, std::chrono::milliseconds timeout = 3000ms) {
    bool done = run_until(
        io_, [&] { return rec.done(); }, timeout);
    io_.poll();  // anything already queued would show up as a callback after on_done
    return done;
  }

  asio::io_context io_;  // first: outlives every socket and call of the test
  std::vector<std::string> server_errors_;
};

using HttpClient = HttpFixture;
using HttpTimeout = HttpFixture;
using HttpCancel = HttpFixture;
using HttpProtocol = HttpFixture;
using HttpTls = HttpFixture;
using HttpProxy = HttpFixture;

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.method = "GET";
  r.url = url;
  return r;
}

HttpRequest post(const std::string& url, std::string body) {
  HttpRequest r;
  r.url = url;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return r;
}

// --- parse_url ------------------------------------------------------------------------

TEST(HttpUrl, ParseTable) {
  struct Case {
    std::string url;
    bool https;
    std::string host, port, target;
  };
  const std::vector<Case> good = {
      {"http://example.com", false, "example.com", "80", "/"},
      {"https://api.openai.com/v1/chat/completions", true, "api.openai.com", "443",
       "/v1/chat/completions"},
      {"HTTPS://API.Example.COM:8443/a?b=C", true, "api.example.com", "8443", "/a?b=C"},
      {"Http://localhost:11434/api/chat", false, "localhost", "11434", "/api/chat"},
      {"http://[::1]:11434/api/tags", false, "::1", "11434", "/api/tags"},
      {"https://[2001:DB8::1]", true, "2001:db8::1", "443", "/"},
      {"http://host?x=1", false, "host", "80", "/?x=1"},
      {"http://host/path#fragment", false, "host", "80", "/path"},
      {"http://host:/p", false, "host", "80", "/p"},
      {"http://127.0.0.1:080/", false, "127.0.0.1", "80", "/"},
      {"https://my_host.internal:65535/x/y", true, "my_host.internal", "65535", "/x/y"},
  };
  for (const auto& c : good) {
    SCOPED_TRACE(c.url);
    Url u = parse_url(c.url);
    ASSERT_TRUE(u.ok) << u.error;
    EXPECT_EQ(u.https, c.https);
    EXPECT_EQ(u.host, c.host);
    EXPECT_EQ(u.port, c.port);
    EXPECT_EQ(u.target, c.target);
    EXPECT_EQ(u.error, "");
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "empty"},
      {"ftp://host/", "unsupported scheme 'ftp'"},
      {"ws://host/", "only http and https"},
      {"example.com/path", "expected http://"},
      {"http://", "no host"},
      {"http:///path", "no host"},
      {"http://:80/", "no host"},
      {"http://host:0/", "out of range"},
      {"http://host:65536/", "out of range"},
      {"http://host:99999999/", "out of range"},
      {"http://host:8o/", "invalid port"},
      {"http://user:hunter2@host/", "credentials"},
      {"http://@host/", "credentials"},
      {"http://ho st/", "space or a control character"},
      {"http://host/a b", "space or a control character"},
      {std::string("http://host/\x01"), "space or a control character"},
      {"http://host/\x7f", "space or a control character"},
      {"http://[::1/", "missing ']'"},
      {"http://[not-v6]/", "not an IPv6 address"},
      {"http://[::1]x/", "after ']'"},
      {"http://::1/", "brackets"},
      {"http://ex%41mple.com/", "invalid character"},
  };
  for (const auto& [url, why] : bad) {
    SCOPED_TRACE(url);
    Url u = parse_url(url);
    EXPECT_FALSE(u.ok);
    EXPECT_NE(u.error.find("invalid URL"), std::string::npos) << u.error;
    EXPECT_NE(u.error.find(why), std::string::npos) << u.error;
    EXPECT_EQ(u.error.find("hunter2"), std::string::npos) << u.error;
  }
}

// --- proxy_for ------------------------------------------------------------------------

TEST(HttpProxyFor, Table) {
  struct Case {
    std::string url;
    std::map<std::string, std::string> env;
    std::string want;
  };
  const std::string p = "http://proxy:3128";
  const std::vector<Case> cases = {
      {"https://api.example.com/", {}, ""},
      {"https://api.example.com/", {{"HTTPS_PROXY", p}}, p},
      {"https://api.example.com/",
       {{"https_proxy", "lower:1"}, {"HTTPS_PROXY", "upper:2"}},
       "lower:1"},
      {"https://api.example.com/", {{"https_proxy", ""}, {"HTTPS_PROXY", "upper:2"}}, "upper:2"},
      {"https://api.example.com/", {{"http_proxy", p}}, ""},  // scheme-specific
      {"http://api.example.com/", {{"https_proxy", p}}, ""},
      {"http://api.example.com/", {{"HTTP_PROXY", p}}, p},
      {"http://api.example.com/", {{"http_proxy", "a:1"}, {"HTTP_PROXY", "b:2"}}, "a:1"},
      {"http://api.example.com/", {{"http_proxy", "  host:8080 "}}, "host:8080"},
      // no_proxy: exact, domain suffix, leading dot optional, "*", lists with spaces.
      {"https://api.example.com/", {{"https_proxy", p}, {"no_proxy", "example.com"}}, ""},
      {"https://example.com/", {{"https_proxy", p}, {"no_proxy", "example.com"}}, ""},
      {"https://example.com/", {{"https_proxy", p}, {"no_proxy", ".example.com"}}, ""},
      {"https://a.b.example.com/", {{"https_proxy", p}, {"no_proxy", ".example.com"}}, ""},
      {"https://notexample.com/", {{"https_proxy", p}, {"no_proxy", "example.com"}}, p},
      {"https://example.com.evil/", {{"https_proxy", p}, {"no_proxy", "example.com"}}, p},
      {"https://api.example.com/",
       {{"https_proxy", p}, {"NO_PROXY", "other.org, example.com"}},
       ""},
      {"https://API.Example.com/", {{"https_proxy", p}, {"no_proxy", "EXAMPLE.COM"}}, ""},
      {"https://api.example.com/", {{"https_proxy", p}, {"no_proxy", "example.com:443"}}, ""},
      {"https://api.example.com/", {{"https_proxy", p}, {"no_proxy", "*"}}, ""},
      {"https://api.example.com/", {{"https_proxy", p}, {"no_proxy", "other.org,*"}}, ""},
      {"https://api.example.com/", {{"https_proxy", p}, {"no_proxy", "other.org"}}, p},
      {"https://api.example.com/",
       {{"https_proxy", p}, {"no_proxy", "other.org"}, {"NO_PROXY", "example.com"}},
       p},  // lowercase wins
      // IP literals match exactly, never as a suffix.
      {"http://10.0.0.1/", {{"http_proxy", p}, {"no_proxy", "10.0.0.1"}}, ""},
      {"http://10.0.0.12/", {{"http_proxy", p}, {"no_proxy", "10.0.0.1"}}, p},
      {"http://10.0.0.1/", {{"http_proxy", p}, {"no_proxy", "0.0.1"}}, p},
      {"http://[2001:db8::1]/", {{"http_proxy", p}, {"no_proxy", "[2001:db8::1]"}}, ""},
      {"http://[2001:db8::1]/", {{"http_proxy", p}, {"no_proxy", "2001:db8:0::1"}}, ""},
      {"http://[2001:db8::2]/", {{"http_proxy", p}, {"no_proxy", "2001:db8::1"}}, p},
      // Loopback never goes through a proxy.
      {"http://127.0.0.1:8080/", {{"http_proxy", p}}, ""},
      {"http://127.9.9.9/", {{"http_proxy", p}}, ""},
      {"http://localhost:11434/", {{"http_proxy", p}, {"HTTP_PROXY", p}}, ""},
      {"https://LOCALHOST/", {{"https_proxy", p}}, ""},
      {"http://[::1]:11434/", {{"http_proxy", p}}, ""},
      {"http://[::ffff:127.0.0.1]/", {{"http_proxy", p}}, ""},
      {"http://128.0.0.1/", {{"http_proxy", p}}, p},
  };
  for (const auto& c : cases) {
    std::string trace = c.url;
    for (const auto& [k, v] : c.env) trace += " " + k + "=" + v;
    SCOPED_TRACE(trace);
    Url u = parse_url(c.url);
    ASSERT_TRUE(u.ok) << u.error;
    auto env = [&](const char* name) -> const char* {
      auto it = c.env.find(name);
      return it == c.env.end() ? nullptr : it->second.c_str();
    };
    EXPECT_EQ(proxy_for(u, env), c.want);
  }
}

TEST(HttpHeadLookup, IsCaseInsensitive) {
  HttpHead h;
  h.headers = {{"Content-Type", "text/event-stream"}, {"retry-after", "7"}};
  EXPECT_EQ(h.header("content-type"), "text/event-stream");
  EXPECT_EQ(h.header("CONTENT-TYPE"), "text/event-stream");
  EXPECT_EQ(h.header("Retry-After"), "7");
  EXPECT_EQ(h.header("x-missing"), "");
  EXPECT_EQ(h.header("content-typ"), "");
}

// --- requests and bodies --------------------------------------------------------------

TEST_F(HttpClient, GetWithContentLength) {
  Listener l(io_);
  std::string seen;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    seen = co_await read_request(s);
    co_await send(s,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r1\r\n"
                  "Content-Length: 11\r\n\r\n{\"ok\":true}");
    co_await wait_for_close(s);
  });
  Recorder rec;
  HttpRequest req = get(l.url("http", "/v1/models?limit=2"));
  req.headers = {{"Accept", "application/json"}};
  auto call = start(rec, req);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.head_calls, 1);
  EXPECT_EQ(rec.head.status, 200);
  EXPECT_EQ(rec.head.header("content-type"), "application/json");
  EXPECT_EQ(rec.head.header("x-request-id"), "r1");
  EXPECT_EQ(rec.body, "{\"ok\":true}");
  EXPECT_EQ(rec.done_calls, 1);
  EXPECT_FALSE(rec.callback_after_done);
  EXPECT_FALSE(rec.body_before_head);

  EXPECT_EQ(seen.rfind("GET /v1/models?limit=2 HTTP/1.1\r\n", 0), 0u) << seen;
  EXPECT_NE(seen.find("\r\nHost: 127.0.0.1:" + std::to_string(l.port()) + "\r\n"),
            std::string::npos)
      << seen;
  EXPECT_NE(seen.find("\r\nAccept: application/json\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nUser-Agent: simpleclaw/" SIMPLECLAW_VERSION "\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_EQ(seen.find("Content-Length"), std::string::npos);  // GET without a body
  call->cancel();                                             // after on_done: a no-op
  io_.poll();
  EXPECT_EQ(rec.done_calls, 1);
}

TEST_F(HttpClient, PostSendsBodyWithContentLength) {
  Listener l(io_);
  std::string seen;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    seen = co_await read_request(s);
    co_await send(s, "HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\ndone");
  });
  Recorder rec;
  HttpRequest req;
  req.url = l.url("http", "/v1/chat/completions");
  req.headers = {{"Content-Type", "application/json"},
                 {"Authorization", "Bearer sk-secret"},
                 {"User-Agent", "custom/1"},
                 {"Host", "ignored.example"}};
  req.body = "{\"model\":\"m\"}";
  auto call = start(rec, req);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.head.status, 201);
  EXPECT_EQ(rec.body, "done");
  EXPECT_EQ(seen.rfind("POST /v1/chat/completions HTTP/1.1\r\n", 0), 0u) << seen;
  EXPECT_NE(seen.find("\r\nContent-Length: 13\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer sk-secret\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nUser-Agent: custom/1\r\n"), std::string::npos);  // caller's wins
  EXPECT_EQ(seen.find("simpleclaw/"), std::string::npos);
  EXPECT_EQ(seen.find("ignored.example"), std::string::npos);  // Host is ours
  EXPECT_EQ(seen.substr(seen.size() - 13), "{\"model\":\"m\"}");
}

TEST_F(HttpClient, ChunkedBodyIsDeliveredAsItArrives) {
  Listener l(io_);
  Recorder rec;
  bool finished_sending = false;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s,
                  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n5\r\nhel");
    // The next bytes go out only after the client has handed the first ones to on_body:
    // a client that buffered the body would never get here.
    co_await wait_until([&] { return rec.body == "hel"; });
    co_await send(s, "lo\r\n");
    co_await wait_until([&] { return rec.body == "hello"; });
    co_await send(s, "1");  // a chunk-size line cut in two (0x10 bytes follow)
    co_await send(s, "0\r\ndata: world!!!\n\n\r\n0\r\n\r\n");
    finished_sending = true;
    co_await wait_for_close(s);
  });
  auto call = start(rec, get(l.url("http", "/stream")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_TRUE(finished_sending);
  EXPECT_EQ(rec.head_calls, 1);
  EXPECT_EQ(rec.head.header("Transfer-Encoding"), "chunked");
  ASSERT_GE(rec.pieces.size(), 3u);
  EXPECT_EQ(rec.pieces[0], "hel");
  EXPECT_EQ(rec.pieces[1], "lo");
  EXPECT_EQ(rec.body, "hellodata: world!!!\n\n");
  EXPECT_FALSE(rec.body_before_head);
  EXPECT_FALSE(rec.callback_after_done);
}

TEST_F(HttpClient, CloseDelimitedBodyEndsAtEof) {
  Listener l(io_);
  Recorder rec;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\r\n{\"a\":1}\n");
    co_await wait_until([&] { return !rec.body.empty(); });
    co_await send(s, "{\"b\":2}\n");
    s.shutdown(tcp::socket::shutdown_send);
    co_await wait_for_close(s);
  });
  auto call = start(rec, get(l.url("http", "/api/chat")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(rec.pieces.size(), 2u);
}

TEST_F(HttpClient, InterimResponseIsSkipped) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    co_await wait_for_close(s);
  });
  Recorder rec;
  auto call = start(rec, get(l.url("http")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.head_calls, 1);
  EXPECT_EQ(rec.head.status, 200);
  EXPECT_EQ(rec.body, "ok");
}

TEST_F(HttpClient, ErrorStatusIsAResponseNotAnError) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s,
                  "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 9\r\n\r\n"
                  "slow down");
  });
  Recorder rec;
  auto call = start(rec, get(l.url("http")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.head.status, 429);
  EXPECT_EQ(rec.head.header("retry-after"), "3");
  EXPECT_EQ(rec.body, "slow down");
}

TEST_F(HttpClient, HeadRequestHasNoBody) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    co_await wait_for_close(s);
  });
  Recorder rec;
  HttpRequest req = get(l.url("http"));
  req.method = "HEAD";
  auto call = start(rec, req);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.head.header("content-length"), "100");
  EXPECT_EQ(rec.body, "");
}

TEST_F(HttpClient, ConnectionRefusedIsConnectError) {
  unsigned short port;
  {
    Listener l(io_);
    port = l.port();
  }  // closed: nothing listens there now
  Recorder rec;
  HttpRequest req = get("http://127.0.0.1:" + std::to_string(port) + "/");
  req.headers = {{"Authorization", "Bearer sk-do-not-leak"}};
  auto call = start(rec, req);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kConnect) << kind_name(rec.kind()) << " " << rec.message();
  EXPECT_NE(rec.message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << rec.message();
  EXPECT_NE(rec.message().find("refused"), std::string::npos) << rec.message();
  EXPECT_EQ(rec.message().find("sk-do-not-leak"), std::string::npos);
  EXPECT_EQ(rec.head_calls, 0);
  EXPECT_EQ(rec.done_calls, 1);
}

TEST_F(HttpClient, InvalidUrlAndHeaderFailWithoutConnecting) {
  Recorder bad_url;
  auto c1 = start(bad_url, get("ftp://example.com/"));
  EXPECT_FALSE(bad_url.done());  // on_done is posted, never run inside http_start
  Recorder bad_header;
  HttpRequest req = get("http://127.0.0.1:9/");
  req.headers = {{"Authorization", "Bearer sk-x\r\nX-Injected: 1"}};
  auto c2 = start(bad_header, req);
  ASSERT_TRUE(run_until_done(bad_url));
  ASSERT_TRUE(run_until_done(bad_header));
  EXPECT_EQ(bad_url.kind(), HttpError::kConnect);
  EXPECT_NE(bad_url.message().find("unsupported scheme"), std::string::npos);
  EXPECT_EQ(bad_header.kind(), HttpError::kProtocol);
  EXPECT_NE(bad_header.message().find("Authorization"), std::string::npos);
  EXPECT_EQ(bad_header.message().find("sk-x"), std::string::npos) << bad_header.message();
}

// --- timeouts ---------------------------------------------------------------------------

TEST_F(HttpTimeout, IdleAfterHead) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nping\r\n");
    co_await wait_for_close(s);  // then nothing
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.idle_timeout = 150ms;
  auto t0 = Clock::now();
  auto call = start(rec, get(l.url("http")), o);
  ASSERT_TRUE(run_until_done(rec));
  auto elapsed = rec.done_at - t0;
  EXPECT_EQ(rec.kind(), HttpError::kTimeout) << kind_name(rec.kind()) << " " << rec.message();
  EXPECT_EQ(rec.message(), "timed out waiting for the response from 127.0.0.1:" +
                               std::to_string(l.port()) + " (idle 150 ms)");
  EXPECT_EQ(rec.head_calls, 1);
  EXPECT_EQ(rec.body, "ping");
  EXPECT_GE(elapsed, 140ms);
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(HttpTimeout, IdleRestartsOnEveryRead) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    asio::steady_timer t(s.get_executor());
    for (int i = 0; i < 8; ++i) {  // 8 x 50 ms: longer than the idle limit, in small gaps
      t.expires_after(50ms);
      co_await t.async_wait(use_awaitable);
      co_await send(s, "1\r\nx\r\n");
    }
    co_await send(s, "0\r\n\r\n");
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.idle_timeout = 300ms;
  auto call = start(rec, get(l.url("http")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "xxxxxxxx");
}

TEST_F(HttpTimeout, FirstByte) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\n");  // part of a head is not the head
    co_await wait_for_close(s);
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.first_byte_timeout = 150ms;
  auto t0 = Clock::now();
  auto call = start(rec, get(l.url("http")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kTimeout) << rec.message();
  EXPECT_EQ(rec.message(), "timed out waiting for the response from 127.0.0.1:" +
                               std::to_string(l.port()) + " (first byte 150 ms)");
  EXPECT_EQ(rec.head_calls, 0);
  EXPECT_GE(rec.done_at - t0, 140ms);
  EXPECT_LT(rec.done_at - t0, 1000ms);
}

TEST_F(HttpTimeout, Total) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    asio::steady_timer t(s.get_executor());
    for (;;) {  // a trickle that never trips the idle limit; ends when the client closes
      t.expires_after(20ms);
      co_await t.async_wait(use_awaitable);
      boost::system::error_code ec;
      co_await asio::async_write(s, asio::buffer("1\r\nx\r\n", 6),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.idle_timeout = 1000ms;
  o.total_timeout = 200ms;
  auto call = start(rec, get(l.url("http")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kTimeout) << rec.message();
  EXPECT_NE(rec.message().find("(total 200 ms)"), std::string::npos) << rec.message();
  EXPECT_FALSE(rec.body.empty());
}

TEST_F(HttpTimeout, ConnectCoversTlsHandshake) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await wait_for_close(s);  // accepts TCP, never answers the ClientHello
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.connect_timeout = 150ms;
  auto call = start(rec, get(l.url("https")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kTimeout) << rec.message();
  EXPECT_EQ(rec.message(),
            "timed out connecting to 127.0.0.1:" + std::to_string(l.port()) + " (connect 150 ms)");
}

// --- cancellation ---------------------------------------------------------------------

TEST_F(HttpCancel, MidStreamIsPromptAndReportedOnce) {
  Listener l(io_);
  bool server_saw_close = false;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n");
    co_await wait_for_close(s);
    server_saw_close = true;
  });
  Recorder rec;
  auto call = start(rec, get(l.url("http")));
  ASSERT_TRUE(run_until(io_, [&] { return rec.body == "first"; }));
  auto t0 = Clock::now();
  call->cancel();
  call->cancel();            // idempotent
  EXPECT_FALSE(rec.done());  // posted, not run inside cancel()
  ASSERT_TRUE(run_until_done(rec, 1000ms));
  EXPECT_LT(rec.done_at - t0, 250ms);
  EXPECT_EQ(rec.kind(), HttpError::kCancelled);
  EXPECT_NE(rec.message().find("cancelled"), std::string::npos);
  ASSERT_TRUE(run_until(
      io_, [&] { return server_saw_close; }, 1000ms));  // socket closed
  call->cancel();
  io_.poll();
  EXPECT_EQ(rec.done_calls, 1);
  EXPECT_FALSE(rec.callback_after_done);
}

TEST_F(HttpCancel, FromInsideOnBodyStopsTheStream) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s,
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nfirst\r\n6\r\nsecond\r\n");
    co_await wait_for_close(s);
  });
  Recorder rec;
  std::shared_ptr<HttpCall> call;
  rec.on_body_hook = [&](std::string_view) { call->cancel(); };
  call = start(rec, get(l.url("http")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kCancelled);
  EXPECT_EQ(rec.pieces, std::vector<std::string>{"first"});
  EXPECT_EQ(rec.done_calls, 1);
  EXPECT_FALSE(rec.callback_after_done);
}

TEST_F(HttpCancel, BeforeConnecting) {
  Listener l(io_);
  Recorder rec;
  auto call = start(rec, get(l.url("http")));
  call->cancel();
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kCancelled);
  EXPECT_EQ(rec.head_calls, 0);
  EXPECT_EQ(rec.done_calls, 1);
}

TEST(HttpLifetime, DestroyingTheIoContextMidCallFreesIt) {
  auto io = std::make_unique<asio::io_context>();
  std::vector<std::string> errors;
  auto l = std::make_unique<Listener>(*io);
  serve(*io, *l, errors, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    co_await wait_for_close(s);
  });
  Recorder rec;
  std::weak_ptr<HttpCall> weak;
  {
    auto call = http_start(*io, get(l->url("http")), fast_options(), rec.callbacks());
    weak = call;
  }
  ASSERT_TRUE(run_until(*io, [&] { return rec.head_calls == 1; }));
  EXPECT_FALSE(weak.expired());  // kept alive by its pending read
  l.reset();
  io.reset();  // pending handlers are destroyed, and with them the call (ASan: no leak)
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(rec.done_calls, 0);
  EXPECT_TRUE(errors.empty());
}

// --- malformed responses --------------------------------------------------------------

TEST_F(HttpProtocol, HeadOverTheCap) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    boost::system::error_code ec;
    std::string head = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n";
    co_await asio::async_write(s, asio::buffer(head), asio::redirect_error(use_awaitable, ec));
    co_await wait_for_close(s);
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.max_header_bytes = 1024;
  auto call = start(rec, get(l.url("http")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kProtocol) << kind_name(rec.kind()) << " " << rec.message();
  EXPECT_NE(rec.message().find("larger than 1024 bytes"), std::string::npos) << rec.message();
  EXPECT_EQ(rec.head_calls, 0);
}

TEST_F(HttpProtocol, MalformedResponses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"HTTP/1.1 2x0 OK\r\n\r\n", "malformed HTTP response"},
      {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "malformed HTTP response"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed HTTP response"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
       "closed before the response was complete"},
      {"HTTP/1.1 200 OK\r\nContent-Le", "closed before the response was complete"},
  };
  for (const auto& [reply, why] : cases) {
    SCOPED_TRACE(reply);
    Listener l(io_);
    serve(l, [reply = reply](tcp::socket& s) -> awaitable<void> {
      co_await read_request(s);
      co_await send(s, reply);
      s.shutdown(tcp::socket::shutdown_send);
      co_await wait_for_close(s);
    });
    Recorder rec;
    auto call = start(rec, get(l.url("http")));
    ASSERT_TRUE(run_until_done(rec));
    EXPECT_EQ(rec.kind(), HttpError::kProtocol) << kind_name(rec.kind()) << " " << rec.message();
    EXPECT_NE(rec.message().find(why), std::string::npos) << rec.message();
    EXPECT_EQ(rec.done_calls, 1);
  }
}

TEST_F(HttpProtocol, CloseWithoutAnyResponseIsConnectError) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    s.close();
  });
  Recorder rec;
  auto call = start(rec, get(l.url("http")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kConnect) << rec.message();
  EXPECT_NE(rec.message().find("without a response"), std::string::npos) << rec.message();
}

// --- TLS ------------------------------------------------------------------------------

// A TLS server that answers one request and records the SNI and the request head.
struct TlsServer {
  TlsServer(asio::io_context& io, const TestCert& cert)
      : listener(io), ctx(server_tls_context(cert)) {}
  Listener listener;
  std::unique_ptr<ssl::context> ctx;
  std::string sni, request;
  bool handshake_failed = false;
};

awaitable<void> tls_script(TlsServer& srv, tcp::socket& s) {
  ssl::stream<tcp::socket&> tls(s, *srv.ctx);
  boost::system::error_code ec;
  co_await tls.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    srv.handshake_failed = true;
    co_return;
  }
  const char* sni = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name);
  srv.sni = sni ? sni : "";
  srv.request = co_await read_request(tls);
  co_await send(tls, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure");
}

TEST_F(HttpTls, SelfSignedIsRejectedByDefault) {
  TestCert cert = make_cert("DNS:localhost,IP:127.0.0.1");
  ScopedEnv no_file("SSL_CERT_FILE", nullptr);  // the system store only
  reset_shared_tls_context();
  TlsServer srv(io_, cert);
  serve(srv.listener, [&](tcp::socket& s) { return tls_script(srv, s); });
  Recorder rec;
  auto call = start(rec, get(srv.listener.url("https", "/", "localhost")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kTls) << kind_name(rec.kind()) << " " << rec.message();
  EXPECT_NE(rec.message().find("could not be verified"), std::string::npos) << rec.message();
  EXPECT_NE(rec.message().find("SSL_CERT_FILE"), std::string::npos);
  EXPECT_NE(rec.message().find("localhost:" + std::to_string(srv.listener.port())),
            std::string::npos);
  reset_shared_tls_context();
}

TEST_F(HttpTls, SslCertFileTrustsAPrivateCa) {
  TestCert cert = make_cert("DNS:localhost,IP:127.0.0.1");
  ScopedEnv file("SSL_CERT_FILE", cert.path.c_str());
  reset_shared_tls_context();  // the shared context reads SSL_CERT_FILE when it is created
  TlsServer srv(io_, cert);
  serve(srv.listener, [&](tcp::socket& s) { return tls_script(srv, s); });
  Recorder rec;
  auto call = start(rec, get(srv.listener.url("https", "/v1/models", "localhost")));
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "secure");
  EXPECT_EQ(srv.sni, "localhost");
  EXPECT_EQ(srv.request.rfind("GET /v1/models HTTP/1.1\r\n", 0), 0u) << srv.request;
  EXPECT_NE(srv.request.find("\r\nHost: localhost:" + std::to_string(srv.listener.port())),
            std::string::npos);
  reset_shared_tls_context();
}

TEST_F(HttpTls, CaFileOptionAndIpAddressVerification) {
  TestCert cert = make_cert("IP:127.0.0.1");
  TlsServer srv(io_, cert);
  serve(srv.listener, [&](tcp::socket& s) { return tls_script(srv, s); });
  Recorder rec;
  HttpOptions o = fast_options();
  o.ca_file = cert.path;
  auto call = start(rec, get(srv.listener.url("https")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "secure");
  EXPECT_EQ(srv.sni, "");  // no SNI for an IP address
}

TEST_F(HttpTls, CloseDelimitedBodyWithoutCloseNotify) {
  TestCert cert = make_cert("IP:127.0.0.1");
  Listener l(io_);
  auto ctx = server_tls_context(cert);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    ssl::stream<tcp::socket&> tls(s, *ctx);
    co_await tls.async_handshake(ssl::stream_base::server, use_awaitable);
    co_await read_request(tls);
    co_await send(tls, "HTTP/1.1 200 OK\r\n\r\n{\"done\":true}\n");
    s.close();  // TCP close, no TLS close_notify (as many servers do)
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.ca_file = cert.path;
  auto call = start(rec, get(l.url("https")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "{\"done\":true}\n");
}

TEST_F(HttpTls, NameMismatchIsRejected) {
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    SCOPED_TRACE(host);
    TestCert cert = make_cert("DNS:other.example");  // trusted, but for another name
    TlsServer srv(io_, cert);
    serve(srv.listener, [&](tcp::socket& s) { return tls_script(srv, s); });
    Recorder rec;
    HttpOptions o = fast_options();
    o.ca_file = cert.path;
    auto call = start(rec, get(srv.listener.url("https", "/", host)), o);
    ASSERT_TRUE(run_until_done(rec));
    EXPECT_EQ(rec.kind(), HttpError::kTls) << kind_name(rec.kind()) << " " << rec.message();
    EXPECT_NE(rec.message().find("could not be verified"), std::string::npos) << rec.message();
    EXPECT_NE(rec.message().find("mismatch"), std::string::npos) << rec.message();
  }
}

TEST_F(HttpTls, MissingCaFileIsTlsError) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> { co_await wait_for_close(s); });
  Recorder rec;
  HttpOptions o = fast_options();
  o.ca_file = ::testing::TempDir() + "no-such-ca.pem";
  auto call = start(rec, get(l.url("https")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kTls) << rec.message();
  EXPECT_NE(rec.message().find("no-such-ca.pem"), std::string::npos) << rec.message();
}

// --- proxies --------------------------------------------------------------------------

TEST_F(HttpProxy, ConnectTunnelCarriesTls) {
  TestCert cert = make_cert("DNS:localhost,IP:127.0.0.1");
  TlsServer srv(io_, cert);
  serve(srv.listener, [&](tcp::socket& s) { return tls_script(srv, s); });
  Listener proxy(io_);
  std::string proxy_head;
  const tcp::endpoint target(asio::ip::make_address("127.0.0.1"), srv.listener.port());
  serve(proxy, [&](tcp::socket& client) -> awaitable<void> {
    using namespace boost::asio::experimental::awaitable_operators;
    std::string buf;
    proxy_head = co_await read_head(client, buf);
    tcp::socket upstream(client.get_executor());
    co_await upstream.async_connect(target, use_awaitable);
    co_await send(client, "HTTP/1.1 200 Connection established\r\n\r\n");
    co_await (pipe(client, upstream) && pipe(upstream, client));
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.ca_file = cert.path;
  o.proxy = "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());
  auto call = start(rec, get(srv.listener.url("https", "/v1/messages", "localhost")), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "secure");
  const std::string authority = "localhost:" + std::to_string(srv.listener.port());
  EXPECT_EQ(proxy_head.rfind("CONNECT " + authority + " HTTP/1.1\r\n", 0), 0u) << proxy_head;
  EXPECT_NE(proxy_head.find("\r\nHost: " + authority + "\r\n"), std::string::npos);
  // base64("user:p@ss")
  EXPECT_NE(proxy_head.find("\r\nProxy-Authorization: Basic dXNlcjpwQHNz\r\n"), std::string::npos)
      << proxy_head;
  EXPECT_EQ(srv.sni, "localhost");  // TLS is end to end, with the target's name
  EXPECT_EQ(srv.request.rfind("GET /v1/messages HTTP/1.1\r\n", 0), 0u) << srv.request;
  EXPECT_EQ(srv.request.find("Proxy-Authorization"), std::string::npos);  // not inside
}

TEST_F(HttpProxy, ConnectRefusedNamesTheProxyStatus) {
  Listener proxy(io_);
  serve(proxy, [&](tcp::socket& client) -> awaitable<void> {
    std::string buf;
    co_await read_head(client, buf);
    co_await send(client,
                  "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
    co_await wait_for_close(client);
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.proxy = "127.0.0.1:" + std::to_string(proxy.port());
  auto call = start(rec, get("https://api.example.test/v1/messages"), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kConnect) << kind_name(rec.kind()) << " " << rec.message();
  EXPECT_NE(rec.message().find("407"), std::string::npos) << rec.message();
  EXPECT_NE(rec.message().find("proxy 127.0.0.1:" + std::to_string(proxy.port())),
            std::string::npos)
      << rec.message();
  EXPECT_NE(rec.message().find("api.example.test:443"), std::string::npos) << rec.message();
}

TEST_F(HttpProxy, PlainHttpUsesAbsoluteForm) {
  Listener proxy(io_);
  std::string seen;
  serve(proxy, [&](tcp::socket& client) -> awaitable<void> {
    seen = co_await read_request(client);
    co_await send(client, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nproxied");
  });
  Recorder rec;
  HttpOptions o = fast_options();
  o.proxy = "http://bob:builder@127.0.0.1:" + std::to_string(proxy.port()) + "/";
  HttpRequest req = get("http://models.example.test:8080/api/tags?x=1");
  auto call = start(rec, req, o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.body, "proxied");
  EXPECT_EQ(seen.rfind("GET http://models.example.test:8080/api/tags?x=1 HTTP/1.1\r\n", 0), 0u)
      << seen;
  EXPECT_NE(seen.find("\r\nHost: models.example.test:8080\r\n"), std::string::npos);
  EXPECT_NE(seen.find("\r\nProxy-Authorization: Basic Ym9iOmJ1aWxkZXI=\r\n"), std::string::npos)
      << seen;
}

TEST_F(HttpProxy, FromTheEnvironment) {
  Listener proxy(io_);
  std::string seen;
  serve(proxy, [&](tcp::socket& client) -> awaitable<void> {
    seen = co_await read_request(client);
    co_await send(client, "HTTP/1.1 204 No Content\r\n\r\n");
    co_await wait_for_close(client);
  });
  const std::string proxy_url = "127.0.0.1:" + std::to_string(proxy.port());
  ScopedEnv a("http_proxy", proxy_url.c_str());
  ScopedEnv b("HTTP_PROXY", nullptr);
  ScopedEnv c("no_proxy", "other.test");
  ScopedEnv d("NO_PROXY", nullptr);
  Recorder rec;
  HttpOptions o = fast_options();
  o.proxy.reset();  // from the environment
  auto call = start(rec, get("http://api.example.test/v1/models"), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_TRUE(rec.ok) << rec.message();
  EXPECT_EQ(rec.head.status, 204);
  EXPECT_EQ(seen.rfind("GET http://api.example.test/v1/models HTTP/1.1\r\n", 0), 0u) << seen;
}

TEST_F(HttpProxy, UnsupportedProxySettingIsConnectError) {
  for (const std::string proxy : {"socks5://u:pw@127.0.0.1:1080", "http://u:p/w@:3128"}) {
    SCOPED_TRACE(proxy);
    Recorder rec;
    HttpOptions o = fast_options();
    o.proxy = proxy;
    auto call = start(rec, get("https://api.example.test/"), o);
    ASSERT_TRUE(run_until_done(rec));
    EXPECT_EQ(rec.kind(), HttpError::kConnect) << rec.message();
    EXPECT_NE(rec.message().find("proxy"), std::string::npos) << rec.message();
    EXPECT_EQ(rec.message().find("pw"), std::string::npos) << rec.message();
    EXPECT_EQ(rec.message().find("p/w"), std::string::npos) << rec.message();
  }
}

TEST_F(HttpProxy, UnreachableProxyIsConnectErrorNamingIt) {
  unsigned short port;
  {
    Listener l(io_);
    port = l.port();
  }
  Recorder rec;
  HttpOptions o = fast_options();
  o.proxy = "http://u:secretpw@127.0.0.1:" + std::to_string(port);
  auto call = start(rec, get("https://api.example.test/"), o);
  ASSERT_TRUE(run_until_done(rec));
  EXPECT_EQ(rec.kind(), HttpError::kConnect) << rec.message();
  EXPECT_NE(rec.message().find("proxy 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << rec.message();
  EXPECT_EQ(rec.message().find("secretpw"), std::string::npos);
}

}  // namespace

// --- keep-alive pool --------------------------------------------------------------------

namespace {

using HttpKeepAlive = HttpFixture;

HttpOptions pooled_options(std::shared_ptr<ConnectionPool> pool) {
  HttpOptions o = fast_options();
  o.pool = std::move(pool);
  return o;
}

constexpr const char* kOkBody =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

TEST_F(HttpKeepAlive, TheNextCallToTheSameOriginReusesTheConnection) {
  Listener l(io_);
  std::vector<std::string> seen;
  // One accept only: a second connection would never be answered.
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      seen.push_back(co_await read_request(s));
      co_await send(s, kOkBody);
    }
    co_await wait_for_close(s);
  });
  auto pool = std::make_shared<ConnectionPool>();
  HttpOptions o = pooled_options(pool);
  for (int i = 0; i < 3; ++i) {
    Recorder rec;
    auto call = start(rec, post(l.url("http", "/v1/chat"), "{\"n\":" + std::to_string(i) + "}"), o);
    ASSERT_TRUE(run_until_done(rec)) << "call " << i;
    EXPECT_TRUE(rec.ok) << rec.message();
    EXPECT_EQ(rec.body, "ok");
    EXPECT_EQ(pool->idle(), 1u);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].find("Connection: close"), std::string::npos) << seen[0];
  EXPECT_NE(seen[2].find("{\"n\":2}"), std::string::npos);
}

TEST_F(HttpKeepAlive, AConnectionTheServerClosedWhileIdleIsNotUsed) {
  Listener l(io_);
  bool closed = false;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, kOkBody);
    s.close();  // the server's idle timeout, right away
    closed = true;
  });
  auto pool = std::make_shared<ConnectionPool>();
  HttpOptions o = pooled_options(pool);
  Recorder first;
  auto c1 = start(first, post(l.url("http", "/v1/chat"), "{}"), o);
  ASSERT_TRUE(run_until_done(first));
  ASSERT_TRUE(run_until(io_, [&] { return closed; }));
  EXPECT_EQ(pool->idle(), 1u);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {  // the second connection
    co_await read_request(s);
    co_await send(s, kOkBody);
    co_await wait_for_close(s);
  });
  Recorder second;
  auto c2 = start(second, post(l.url("http", "/v1/chat"), "{}"), o);
  ASSERT_TRUE(run_until_done(second));
  EXPECT_TRUE(second.ok) << second.message();
}

TEST_F(HttpKeepAlive, ARequestThatDiesOnAReusedConnectionGoesOutAgainOnAFreshOne) {
  Listener l(io_);
  std::string retried;
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, kOkBody);
    co_await read_request(s);  // the second request arrives as the server gives up
    s.close();
  });
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    retried = co_await read_request(s);
    co_await send(s, kOkBody);
    co_await wait_for_close(s);
  });
  auto pool = std::make_shared<ConnectionPool>();
  HttpOptions o = pooled_options(pool);
  Recorder first;
  auto c1 = start(first, post(l.url("http", "/v1/chat"), "{\"first\":1}"), o);
  ASSERT_TRUE(run_until_done(first));
  Recorder second;
  auto c2 = start(second, post(l.url("http", "/v1/chat"), "{\"second\":2}"), o);
  ASSERT_TRUE(run_until_done(second));
  EXPECT_TRUE(second.ok) << second.message();
  EXPECT_EQ(second.body, "ok");
  EXPECT_NE(retried.find("{\"second\":2}"), std::string::npos) << "the whole request again";
}

TEST_F(HttpKeepAlive, ConnectionCloseAndUnreadBytesAreNeverPooled) {
  Listener l(io_);
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    co_await wait_for_close(s);
  });
  serve(l, [&](tcp::socket& s) -> awaitable<void> {
    co_await read_request(s);
    co_await send(s, std::string(kOkBody) + "HTTP/1.1 200 OK\r\n");  // junk after it
    co_await wait_for_close(s);
  });
  auto pool = std::make_shared<ConnectionPool>();
  HttpOptions o = pooled_options(pool);
  for (int i = 0; i < 2; ++i) {
    Recorder rec;
    auto call = start(rec, post(l.url("http", "/v1/chat"), "{}"), o);
    ASSERT_TRUE(run_until_done(rec));
    EXPECT_TRUE(rec.ok) << rec.message();
    EXPECT_EQ(pool->idle(), 0u) << "response " << i;
  }
}

}  // namespace
