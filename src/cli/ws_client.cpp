#include "cli/ws_client.h"

#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <variant>

#include "base/ids.h"
#include "gateway/protocol/codec.h"
#include "gateway/protocol/errors.h"

namespace simpleclaw::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

namespace {

struct Url {
  bool tls = false;
  std::string host, port, target = "/";
};

Result<Url> parse_url(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("ws://", 0) == 0)
    rest = url.substr(5);
  else if (url.rfind("wss://", 0) == 0) {
    u.tls = true;
    rest = url.substr(6);
  } else
    return Error::invalid("invalid URL '" + url + "': expected ws://host:port or wss://host:port");
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) u.target = rest.substr(slash);
  if (!hostport.empty() && hostport.front() == '[') {
    auto e = hostport.find(']');
    if (e == std::string::npos) return Error::invalid("invalid URL '" + url + "'");
    u.host = hostport.substr(1, e - 1);
    u.port = e + 1 < hostport.size() && hostport[e + 1] == ':' ? hostport.substr(e + 2) : "";
  } else {
    auto c = hostport.rfind(':');
    u.host = hostport.substr(0, c);
    u.port = c == std::string::npos ? "" : hostport.substr(c + 1);
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (u.host.empty()) return Error::invalid("invalid URL '" + url + "': no host");
  return u;
}

// The gateway could not be reached (see WsClient::open).
Error unreachable(const std::string& what, const beast::error_code& ec) {
  Error e = Error::io(what + ": " + ec.message());
  e.retry_after_ms = 1000;
  return e;
}

Error transport_error(const std::string& what, const beast::error_code& ec) {
  return Error::unavailable(what + ": " + ec.message(), 1000);
}

}  // namespace

struct WsClient::Impl {
  asio::io_context io;
  std::unique_ptr<ssl::context> tls_ctx;
  std::variant<std::monostate, std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> ws;
  beast::flat_buffer buf;
  std::string subprotocol;

  template <class F>
  auto with_ws(F&& f) {
    if (auto* p = std::get_if<std::unique_ptr<PlainWs>>(&ws)) return f(**p);
    return f(*std::get<std::unique_ptr<TlsWs>>(ws));
  }

  // Runs the io_context until `done` or the timeout; on timeout closes the socket so the
  // pending operation completes with an error.
  bool run_until(const bool& done, int timeout_ms) {
    io.restart();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        with_ws([](auto& w) {
          beast::error_code ec;
          beast::get_lowest_layer(w).socket().close(ec);
        });
        io.restart();
        io.run_for(std::chrono::milliseconds(200));
        return false;
      }
      if (io.run_one_for(left) == 0 && io.stopped()) io.restart();
    }
    return true;
  }
};

WsClient::WsClient() : impl_(new Impl) {}
WsClient::~WsClient() = default;

Result<std::unique_ptr<WsClient>> WsClient::open(const ClientOptions& opts) {
  auto url = parse_url(opts.url);
  if (!url.ok()) return url.error();
  std::unique_ptr<WsClient> c(new WsClient);
  c->opts_ = opts;
  Impl& im = *c->impl_;
  tcp::resolver resolver(im.io);
  beast::error_code ec;
  auto results = resolver.resolve(url->host, url->port, ec);
  if (ec) return unreachable("cannot resolve " + url->host, ec);

  auto decorate = [&](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "simpleclaw-cli/" SIMPLECLAW_VERSION);
    if (opts.msgpack)
      req.set(beast::http::field::sec_websocket_protocol, protocol::kMsgpackSubprotocol);
    if (!opts.origin.empty()) req.set(beast::http::field::origin, opts.origin);
    for (const auto& [name, value] : opts.headers) req.insert(name, value);
  };
  // An IPv6 literal keeps its brackets in the Host header (RFC 7230 §5.4).
  bool v6 = url->host.find(':') != std::string::npos;
  std::string host_header = (v6 ? "[" + url->host + "]" : url->host) + ":" + url->port;
  websocket::response_type res;
  bool done = false;
  beast::error_code op_ec;
  // TCP to the first resolved address that answers, within the timeout.
  auto connect_any = [&](auto& ws) {
    beast::get_lowest_layer(ws).expires_after(std::chrono::milliseconds(opts.timeout_ms));
    ec = asio::error::host_not_found;
    for (auto it = results.begin(); ec && it != results.end(); ++it) {
      beast::get_lowest_layer(ws).socket().close();
      beast::get_lowest_layer(ws).socket().connect(*it, ec);
    }
  };
  // The WebSocket upgrade; completes in run_until below.
  auto upgrade = [&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator(decorate));
    ws.read_message_max(64 * 1024 * 1024);
    ws.async_handshake(res, host_header, url->target, [&](beast::error_code e) {
      op_ec = e;
      done = true;
    });
  };
  if (!url->tls) {
    auto ws = std::make_unique<PlainWs>(im.io);
    connect_any(*ws);
    if (ec) return unreachable("cannot connect to " + opts.url, ec);
    upgrade(*ws);
    im.ws = std::move(ws);
  } else {
    im.tls_ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    if (opts.tls_fingerprint.empty()) {
      im.tls_ctx->set_default_verify_paths();
      im.tls_ctx->set_verify_mode(ssl::verify_peer);
    } else {
      // Pinned: accept exactly the certificate whose SHA-256 we were given.
      std::string pin = opts.tls_fingerprint;
      im.tls_ctx->set_verify_mode(ssl::verify_peer);
      im.tls_ctx->set_verify_callback([pin](bool, ssl::verify_context& vc) {
        X509_STORE_CTX* x = vc.native_handle();
        if (X509_STORE_CTX_get_error_depth(x) != 0) return true;
        X509* cert = X509_STORE_CTX_get_current_cert(x);
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        X509_digest(cert, EVP_sha256(), md, &n);
        return hex(std::string_view(reinterpret_cast<char*>(md), n)) == pin;
      });
    }
    auto ws = std::make_unique<TlsWs>(im.io, *im.tls_ctx);
    connect_any(*ws);
    if (ec) return unreachable("cannot connect to " + opts.url, ec);
    SSL_set_tlsext_host_name(ws->next_layer().native_handle(), url->host.c_str());
    ws->next_layer().handshake(ssl::stream_base::client, ec);
    if (ec) return unreachable("TLS handshake with " + opts.url + " failed", ec);
    upgrade(*ws);
    im.ws = std::move(ws);
  }
  if (!im.run_until(done, opts.timeout_ms))
    return unreachable("WebSocket upgrade to " + opts.url, beast::error::timeout);
  if (op_ec) {
    std::string what = "WebSocket upgrade to " + opts.url + " refused";
    if (res.result_int() != 0 && res.result_int() != 101)
      what += " (HTTP " + std::to_string(res.result_int()) + ")";
    return unreachable(what, op_ec);
  }
  im.with_ws([](auto& w) { beast::get_lowest_layer(w).expires_never(); });
  im.subprotocol = std::string(res[beast::http::field::sec_websocket_protocol]);
  return c;
}

std::string WsClient::negotiated_subprotocol() const { return impl_->subprotocol; }

Status WsClient::send_text(const std::string& text) { return send_message(text, false); }
Status WsClient::send_binary(const std::string& bytes) { return send_message(bytes, true); }

Status WsClient::send_message(const std::string& bytes, bool binary) {
  beast::error_code ec;
  impl_->with_ws([&](auto& w) {
    w.binary(binary);
    w.write(asio::buffer(bytes), ec);
  });
  if (ec) return transport_error("send failed", ec);
  return Ok{};
}

Status WsClient::send_frame(const Json& frame) {
  if (impl_->subprotocol == protocol::kMsgpackSubprotocol)
    return send_binary(protocol::encode(frame, protocol::Encoding::kMsgpack));
  return send_text(protocol::encode(frame, protocol::Encoding::kJson));
}

Result<Incoming> WsClient::read(int timeout_ms) {
  if (timeout_ms < 0) timeout_ms = opts_.timeout_ms;
  Impl& im = *impl_;
  bool done = false;
  beast::error_code ec;
  im.buf.clear();
  im.with_ws([&](auto& w) {
    w.async_read(im.buf, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
  });
  if (!im.run_until(done, timeout_ms))
    return Error::unavailable("timed out waiting for the gateway", 1000);
  Incoming in;
  if (ec) {
    // The server's close frame counts even when echoing it failed: a server that closes
    // with unread input (e.g. after an oversize frame, 1009) resets the connection before
    // our echo lands, and the read then ends with "broken pipe" instead of `closed`.
    int received = 0;
    im.with_ws([&](auto& w) { received = w.reason().code; });
    if (ec == websocket::error::closed || received != 0) {
      in.closed = true;
      im.with_ws([&](auto& w) {
        in.close_code = w.reason().code;
        in.close_reason = std::string(w.reason().reason.c_str());
      });
      return in;
    }
    in.closed = true;
    in.close_code = 1006;
    in.close_reason = ec.message();
    return in;
  }
  auto data = im.buf.cdata();
  std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  im.with_ws([&](auto& w) { in.binary = w.got_binary(); });
  auto enc = im.subprotocol == protocol::kMsgpackSubprotocol ? protocol::Encoding::kMsgpack
                                                             : protocol::Encoding::kJson;
  auto frame = protocol::decode(bytes, in.binary, enc);
  if (!frame.ok()) return frame.error();
  in.frame = std::move(*frame);
  return in;
}

Result<Json> WsClient::send_connect(const std::string& nonce) {
  Json auth = Json::object();
  if (!opts_.token.empty()) auth["token"] = opts_.token;
  if (!opts_.password.empty()) auth["password"] = opts_.password;
  if (!opts_.device_token.empty()) auth["deviceToken"] = opts_.device_token;
  if (!opts_.bootstrap_token.empty()) auth["bootstrapToken"] = opts_.bootstrap_token;
  Json params{{"minProtocol", opts_.min_protocol},
              {"maxProtocol", opts_.max_protocol},
              {"client",
               {{"id", opts_.client_id},
                {"version", SIMPLECLAW_VERSION},
                {"platform", "linux"},
                {"mode", opts_.client_mode}}},
              {"role", opts_.role},
              {"scopes", opts_.scopes},
              {"auth", auth}};
  if (!opts_.display_name.empty()) params["client"]["displayName"] = opts_.display_name;
  if (!opts_.instance_id.empty()) params["client"]["instanceId"] = opts_.instance_id;
  if (!opts_.commands.empty()) params["commands"] = opts_.commands;
  if (!opts_.caps.empty()) params["caps"] = opts_.caps;
  if (opts_.device) {
    nodes::SignedFields f;
    f.client_id = opts_.client_id;
    f.client_mode = opts_.client_mode;
    f.role = opts_.role;
    f.scopes = opts_.scopes;
    f.token = !opts_.token.empty()          ? opts_.token
              : !opts_.device_token.empty() ? opts_.device_token
                                            : opts_.bootstrap_token;
    f.platform = "linux";
    using namespace std::chrono;
    std::int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    nodes::DeviceProof p = opts_.device->prove(f, nonce, now);
    params["device"] = Json{{"id", p.id},
                            {"publicKey", p.public_key},
                            {"signature", p.signature},
                            {"signedAt", p.signed_at_ms},
                            {"nonce", p.nonce}};
  }
  std::string id = "c" + std::to_string(next_id_++);
  if (auto s =
          send_frame(Json{{"type", "req"}, {"id", id}, {"method", "connect"}, {"params", params}});
      !s.ok())
    return s.error();
  return await_res(id);
}

Result<Json> WsClient::await_res(const std::string& id) {
  for (;;) {
    auto in = read();
    if (!in.ok()) return in.error();
    if (in->closed)
      return Error::unavailable("gateway closed the connection (" + std::to_string(in->close_code) +
                                    " " + in->close_reason + ")",
                                1000);
    const Json& f = in->frame;
    // A two-phase method (`agent`) answers {status: "accepted"} first: progress, kept with
    // the events; the answer is the res frame after it.
    const bool interim = f.value("ok", false) && f.contains("payload") &&
                         f["payload"].is_object() && f["payload"].value("status", "") == "accepted";
    if (f.value("type", "") == "res" && f.value("id", "") == id && !interim) return in->frame;
    events_.push_back(std::move(in->frame));
  }
}

Result<std::unique_ptr<WsClient>> WsClient::connect(const ClientOptions& opts, Json* hello) {
  auto c = open(opts);
  if (!c.ok()) return c.error();
  auto first = (*c)->read();
  if (!first.ok()) return first.error();
  if (first->closed || first->frame.value("event", "") != "connect.challenge")
    return Error::unavailable("gateway did not send connect.challenge", 1000);
  auto res = (*c)->send_connect(first->frame["payload"].value("nonce", ""));
  if (!res.ok()) return res.error();
  if (!res->value("ok", false)) return protocol::error_from_json((*res)["error"]);
  if (hello) *hello = (*res)["payload"];
  return std::move(*c);
}

Result<Json> WsClient::call(const std::string& method, const Json& params) {
  std::string id = "r" + std::to_string(next_id_++);
  Json req{{"type", "req"}, {"id", id}, {"method", method}};
  if (!params.is_null()) req["params"] = params;
  if (auto s = send_frame(req); !s.ok()) return s.error();
  auto res = await_res(id);
  if (!res.ok()) return res.error();
  if (res->value("ok", false)) return res->value("payload", Json());
  return protocol::error_from_json((*res)["error"]);
}

void WsClient::close(int code) {
  bool done = false;
  impl_->with_ws([&](auto& w) {
    w.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                  [&](beast::error_code) { done = true; });
  });
  impl_->run_until(done, 2000);
}

}  // namespace simpleclaw::cli
