// HttpClient: one outbound HTTP/1.1 request with a streamed response body, fully async
// on the caller's io_context (no thread per request). Used by the LLM providers, the
// channels' platform APIs (Telegram, Discord, Slack) and web_fetch.
//
// * http:// and https:// (OpenSSL: certificate chain verified against the system store
//   or SSL_CERT_FILE / SSL_CERT_DIR, host name checked, SNI sent).
// * Proxies from the standard environment variables: https_proxy/HTTPS_PROXY (CONNECT
//   tunnel), http_proxy/HTTP_PROXY (absolute-form request), no_proxy/NO_PROXY (comma
//   list of hosts/domain suffixes, "*" = all). Loopback targets never use a proxy.
// * Response bodies: Content-Length, chunked, or read-until-close; the body reaches
//   on_body in pieces as they arrive (chunk framing removed), so SSE/NDJSON streams can
//   be decoded incrementally.
// * Timeouts: connect (TCP+proxy+TLS), first byte (request sent -> response head), idle
//   (no bytes for this long while reading the body) and total. Each ends the call with a
//   kTimeout error naming which one fired.
// * cancel() stops the call at once (socket closed); on_done then gets kCancelled.
//
// Threading: start() and cancel() on the io_context's thread; every callback runs on it.
// The call keeps itself alive until on_done has run; on_done runs exactly once, and no
// callback runs after it. on_done is always posted (it never runs inside http_start() or
// cancel()). If the io_context is destroyed with the call in flight, the call is freed
// without on_done; callbacks must therefore not own the HttpCall (they are dropped after
// on_done, which breaks such a cycle only on the normal path).
//
// Keep-alive: with HttpOptions::pool, a connection whose response completed cleanly
// (HTTP/1.1 keep-alive, nothing left unread) goes back to the pool, and the next call to
// the same origin (scheme, host, port, proxy, CA file) reuses it: no TCP connect, no TLS
// handshake. A pooled connection the server has closed meanwhile is noticed when it is
// taken (readable = EOF or junk) or when the request on it gets no response byte; the
// request then goes out once more on a fresh connection. Without a pool: one request
// per connection (Connection: close).
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/url.h"
#include "simpleclaw/http_request.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::net {

// Idle keep-alive connections, owned by the caller (one per io_context; destroy it
// before the io_context). At most 8 idle per origin and 64 in all; one idle for 30 s is
// closed. Loop thread only.
class ConnectionPool {
 public:
  ConnectionPool();
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;
  std::size_t idle() const;  // connections waiting for reuse
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The request (simpleclaw/http_request.h: method, url, headers, body). The client adds
// Host, Content-Length (when there is a body, and always for POST/PUT/PATCH), User-Agent
// (unless given) and, without a pool, Connection: close; a caller's Host, Content-Length,
// Transfer-Encoding or Connection header is dropped. Header values with CR/LF/NUL are
// refused (kProtocol). Header values never appear in error messages.
using HttpRequest = sdk::HttpRequest;

// Timeouts <= 0 mean "no limit". first_byte runs from the start of the request write
// until the response head is complete; idle restarts on every read after the head.
struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds first_byte_timeout{120000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds total_timeout{600000};
  std::size_t max_header_bytes = 64 * 1024;  // response head larger than this = kProtocol
  // PEM file of the CAs this call trusts instead of the shared context's store (a private
  // CA for one provider; tests). "" = the shared context (system store, SSL_CERT_FILE/DIR).
  std::string ca_file;
  // nullopt = from the environment (proxy_for); "" = direct; else this proxy URL
  // ("http://[user:pass@]host[:port]" or "host:port"), used even for loopback targets.
  std::optional<std::string> proxy;
  // Reuse connections through this pool (see above); nullptr = one per request.
  std::shared_ptr<ConnectionPool> pool;
  // Called with each address the target resolved to (textual IP) before connecting; a
  // non-empty answer refuses that address with that reason, and a target left with no
  // address fails (kConnect). Only the checked addresses are connected to, so a DNS
  // answer cannot change between check and connect. Not applied through a proxy.
  std::function<std::string(const std::string& ip)> address_check;
};

struct HttpHead {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  // Case-insensitive lookup; "" when absent.
  std::string header(std::string_view name) const;
};

// kConnect: invalid URL or proxy setting, DNS, TCP connect, a proxy refusing the tunnel,
//           the connection failing or closing before any response byte.
// kTls: CA store, handshake or certificate verification (the message says how to trust a
//       private CA). kTimeout: one of the four timeouts, named in the message.
// kProtocol: malformed or truncated response, head over max_header_bytes, invalid request
//            header. kCancelled: cancel(). An HTTP error status is not an HttpError.
struct HttpError {
  enum Kind { kConnect, kTls, kTimeout, kProtocol, kCancelled };
  Kind kind = kConnect;
  std::string message;  // human-readable, names host:port and the cause, never secrets
};

struct HttpCallbacks {
  std::function<void(const HttpHead&)> on_head;   // once, before any body bytes
  std::function<void(std::string_view)> on_body;  // zero or more times
  // Exactly once. nullptr = the body completed normally.
  std::function<void(const HttpError*)> on_done;
};

class HttpCall {
 public:
  virtual ~HttpCall() = default;
  virtual void cancel() = 0;  // idempotent; a no-op after on_done ran
};

std::shared_ptr<HttpCall> http_start(boost::asio::io_context& io, HttpRequest req, HttpOptions opts,
                                     HttpCallbacks cb);

// https calls share one TLS client context per process, created by the first one (it
// loads the CA store: SSL_CERT_FILE / SSL_CERT_DIR as they are then, else the system's).
// This drops it, so the next call loads the store again (tests after setenv, a CA bundle
// update). Calls in flight keep the context they started with. Loop thread only.
void reset_shared_tls_context();

}  // namespace simpleclaw::net
