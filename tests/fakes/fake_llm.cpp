// FakeLlm's server: one io_context run by FakeOptions::threads threads, an accept loop
// and one C++20 coroutine per connection (HTTP/1.1 keep-alive, chunked streaming,
// timers for the delays), so thousands of slow streams cost no threads. The bytes of
// each reply come from fake_llm_wire.h. Shutdown stops the io_context, joins the
// threads and destroys it, which destroys every suspended coroutine and so closes every
// socket, hanging streams included.
#include "fakes/fake_llm.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "fakes/fake_llm_wire.h"

namespace sctest::fakes {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using Request = http::request<http::string_body>;
using wire::Api;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::uint64_t kMaxBody = 32ull * 1024 * 1024;
constexpr std::uint32_t kMaxHeader = 64 * 1024;

// --- the self-signed certificate ---------------------------------------------------------

template <typename T, void (*F)(T*)>
using Owned = std::unique_ptr<T, std::integral_constant<decltype(F), F>>;

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// An EC P-256 key and a certificate for 127.0.0.1, ::1 and localhost, as PEM.
std::pair<std::string, std::string> make_self_signed() {
  Owned<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
  Owned<X509, X509_free> x(X509_new());
  if (!key || !x) throw std::runtime_error("fake LLM: cannot generate a TLS key");
  X509_set_version(x.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial number
  Owned<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sc fake llm"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  Owned<X509_EXTENSION, X509_EXTENSION_free> san(X509V3_EXT_conf_nid(
      nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost,IP:::1"));
  if (!san || !X509_add_ext(x.get(), san.get(), -1) || !X509_sign(x.get(), key.get(), EVP_sha256()))
    throw std::runtime_error("fake LLM: cannot sign the TLS certificate");
  Owned<BIO, BIO_free_all> cert_bio(BIO_new(BIO_s_mem()));
  Owned<BIO, BIO_free_all> key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), x.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1)
    throw std::runtime_error("fake LLM: cannot encode the TLS certificate");
  return {bio_string(cert_bio.get()), bio_string(key_bio.get())};
}

// --- small helpers -----------------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 3339 UTC with nanoseconds, like Ollama's created_at.
std::string rfc3339_now() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

struct StreamGuard {
  explicit StreamGuard(std::atomic<int>& n) : n_(n) { ++n_; }
  ~StreamGuard() { --n_; }
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;
  std::atomic<int>& n_;
};

awaitable<void> sleep_ms(int ms) {
  if (ms <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(kAwait);
}

// --- shared state --------------------------------------------------------------------------

// Everything the connections share. The coroutines hold a reference; it outlives them
// (the destructor destroys the io_context, and so every coroutine, first).
struct Server {
  explicit Server(FakeOptions o);
  ~Server();

  Received make_received(const Request& req, std::string api) const;
  void record(Received r);  // chat requests and probes (api "probe")
  Script pick(const std::string& text, const std::optional<std::string>& tool_result,
              const std::string& model);
  std::vector<std::string> model_ids() const;
  wire::ReplyContext context(Api api, const nlohmann::json& body);

  FakeOptions opts;
  int port = 0;
  std::string cert_pem, key_pem;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<Script> scripts;            // guarded by mu
  Script fallback;                       // guarded by mu
  std::vector<Received> chats;           // guarded by mu
  std::vector<Received> probe_list;      // guarded by mu
  std::vector<std::string> seen_models;  // guarded by mu

  std::atomic<int> open_streams{0};
  std::atomic<std::uint64_t> next_id{1};

  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<asio::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
};

Received Server::make_received(const Request& req, std::string api) const {
  Received r;
  r.method = std::string(req.method_string());
  r.path = std::string(req.target());
  for (const auto& f : req) {
    std::string name = lower(f.name_string());
    auto [it, inserted] = r.headers.emplace(name, std::string(f.value()));
    if (!inserted) it->second += ", " + std::string(f.value());
  }
  r.body = nlohmann::json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (r.body.is_discarded()) r.body = nullptr;
  r.api = std::move(api);
  r.at = std::chrono::steady_clock::now();
  return r;
}

void Server::record(Received r) {
  {
    std::lock_guard lk(mu);
    if (r.api == "probe") {
      probe_list.push_back(std::move(r));
      return;
    }
    if (r.body.is_object()) {
      auto m = r.body.find("model");
      if (m != r.body.end() && m->is_string() && !m->get<std::string>().empty() &&
          std::find(seen_models.begin(), seen_models.end(), m->get<std::string>()) ==
              seen_models.end())
        seen_models.push_back(m->get<std::string>());
    }
    chats.push_back(std::move(r));
  }
  cv.notify_all();
}

Script Server::pick(const std::string& text, const std::optional<std::string>& tool_result,
                    const std::string& model) {
  std::lock_guard lk(mu);
  for (auto it = scripts.begin(); it != scripts.end(); ++it) {
    if (!it->when.empty() && text.find(it->when) == std::string::npos) continue;
    if (!it->when_tool_result.empty() &&
        (!tool_result || tool_result->find(it->when_tool_result) == std::string::npos))
      continue;
    if (!it->model.empty() && it->model != model) continue;
    Script s = *it;
    if (it->times > 0 && --it->times == 0) scripts.erase(it);
    return s;
  }
  return fallback;
}

std::vector<std::string> Server::model_ids() const {
  std::vector<std::string> ids = wire::fixed_model_ids();
  std::lock_guard lk(mu);
  for (const auto& m : seen_models)
    if (std::find(ids.begin(), ids.end(), m) == ids.end()) ids.push_back(m);
  return ids;
}

wire::ReplyContext Server::context(Api api, const nlohmann::json& body) {
  wire::ReplyContext ctx;
  char id[32];
  std::snprintf(id, sizeof id, "%s%012llx", api == Api::kAnthropic ? "msg_fake" : "chatcmpl-fake",
                static_cast<unsigned long long>(next_id.fetch_add(1)));
  ctx.id = id;
  ctx.model = wire::request_model(body);
  ctx.created = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  ctx.created_at = rfc3339_now();
  auto so = body.is_object() ? body.value("stream_options", nlohmann::json()) : nlohmann::json();
  ctx.include_usage = so.is_object() && so.value("include_usage", nlohmann::json()) == true;
  return ctx;
}

// --- the HTTP side (coroutines) ------------------------------------------------------------

http::response<http::string_body> make_response(const Request& req, int status,
                                                std::string_view content_type, std::string body) {
  http::response<http::string_body> res;
  res.version(req.version() >= 11 ? 11 : 10);
  res.result(static_cast<unsigned>(status));
  res.reason(wire::reason_for(status));
  res.set(http::field::server, "sc-fake-llm");
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

template <class Stream>
awaitable<bool> send(Stream& s, http::response<http::string_body>& res) {
  auto [ec, n] = co_await http::async_write(s, res, kAwait);
  co_return !ec && res.keep_alive();
}

template <class Stream>
awaitable<bool> send_json(Stream& s, const Request& req, int status, std::string body) {
  auto res = make_response(req, status, "application/json", std::move(body));
  co_return co_await send(s, res);
}

// One SSE event / NDJSON line: an HTTP chunk (HTTP/1.1) or raw bytes (HTTP/1.0, where the
// body ends when the connection closes).
template <class Stream>
awaitable<bool> send_piece(Stream& s, const std::string& data, bool chunked) {
  if (data.empty()) co_return true;  // an empty HTTP chunk would end the body
  if (chunked) {
    auto [ec, n] = co_await asio::async_write(s, http::make_chunk(asio::buffer(data)), kAwait);
    co_return !ec;
  }
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), kAwait);
  co_return !ec;
}

// `data` as send_piece does, or with drip_ms > 0 one byte at a time, each after drip_ms.
template <class Stream>
awaitable<bool> send_body(Stream& s, const std::string& data, bool chunked, int drip_ms) {
  if (drip_ms <= 0) co_return co_await send_piece(s, data, chunked);
  for (char c : data) {
    co_await sleep_ms(drip_ms);
    if (!co_await send_piece(s, std::string(1, c), chunked)) co_return false;
  }
  co_return true;
}

// Silence until the peer goes away (whatever it sends is dropped).
template <class Stream>
awaitable<void> hang(Stream& s) {
  std::array<char, 1024> scratch;
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(scratch), kAwait);
    if (ec) co_return;
  }
}

template <class Stream>
void abort_connection(Stream& s) {
  beast::error_code ec;
  s.lowest_layer().close(ec);
}

// A 200 reply as one JSON body.
template <class Stream>
awaitable<bool> reply_whole(Stream& s, const Request& req, Api api, const Script& sc,
                            const wire::ReplyContext& ctx, const std::vector<std::string>& pieces) {
  std::string text;
  for (const auto& p : pieces) text += p;
  co_await sleep_ms(sc.chunk_delay_ms * static_cast<int>(pieces.size()));
  if (sc.disconnect_after >= 0) {
    abort_connection(s);
    co_return false;
  }
  std::string body = sc.malformed ? "{\"id\":\"" + ctx.id + "\",{not json"
                     : sc.in_stream_error
                         ? wire::error_body(api, 500, sc.error_message, sc.error_type)
                         : wire::full_body(api, ctx, sc, text);
  auto res = make_response(req, 200, "application/json", std::move(body));
  if (!sc.hang_after_head) co_return co_await send(s, res);
  http::response_serializer<http::string_body> sr(res);
  auto [ec, n] = co_await http::async_write_header(s, sr, kAwait);
  if (!ec) co_await hang(s);
  co_return false;
}

// A 200 reply as a stream of events (see the order in fake_llm.h).
template <class Stream>
awaitable<bool> reply_stream(Stream& s, const Request& req, Api api, const Script& sc,
                             const wire::ReplyContext& ctx,
                             const std::vector<std::string>& pieces) {
  wire::StreamPlan plan = wire::plan_stream(api, ctx, sc, pieces);
  bool chunked = req.version() >= 11;
  http::response<http::empty_body> res;
  res.version(chunked ? 11 : 10);
  res.result(http::status::ok);
  res.set(http::field::server, "sc-fake-llm");
  res.set(http::field::content_type, plan.content_type);
  res.set(http::field::cache_control, "no-cache");
  res.keep_alive(chunked && req.keep_alive());
  if (chunked) res.chunked(true);
  http::response_serializer<http::empty_body> sr(res);
  if (auto [ec, n] = co_await http::async_write_header(s, sr, kAwait); ec) co_return false;

  const int drip = sc.drip_ms;
  for (const auto& e : plan.preamble)
    if (!co_await send_body(s, e, chunked, drip)) co_return false;
  for (std::size_t i = 0; i < plan.chunks.size(); ++i) {
    if (sc.disconnect_after >= 0 && static_cast<std::size_t>(sc.disconnect_after) == i) {
      abort_connection(s);
      co_return false;
    }
    co_await sleep_ms(sc.chunk_delay_ms);
    if (!co_await send_body(s, plan.chunks[i], chunked, drip)) co_return false;
  }
  if (sc.disconnect_after >= 0) {
    abort_connection(s);
    co_return false;
  }
  if (sc.malformed && !co_await send_body(s, plan.malformed, chunked, drip)) co_return false;
  if (sc.in_stream_error && !co_await send_body(s, plan.error, chunked, drip)) co_return false;
  if (sc.hang_after_head) {
    co_await hang(s);
    co_return false;
  }
  if (!sc.in_stream_error)
    for (const auto& e : plan.finish)
      if (!co_await send_body(s, e, chunked, drip)) co_return false;
  if (!chunked) co_return false;  // HTTP/1.0: the close ends the body
  auto [ec, n] = co_await asio::async_write(s, http::make_chunk_last(), kAwait);
  co_return !ec && res.keep_alive();
}

template <class Stream>
awaitable<bool> reply_chat(Server& impl, Stream& s, const Request& req, Api api) {
  Received received = impl.make_received(req, wire::api_name(api));
  nlohmann::json body = received.body;
  impl.record(std::move(received));
  StreamGuard guard(impl.open_streams);
  if (!body.is_object()) {
    co_return co_await send_json(
        s, req, 400,
        wire::error_body(api, 400, "fake LLM: the request body is not a JSON object", ""));
  }
  std::string text = wire::last_user_text(body);
  auto model_it = body.find("model");
  std::string model =
      model_it != body.end() && model_it->is_string() ? model_it->get<std::string>() : "";
  Script sc = impl.pick(text, wire::last_tool_result(body), model);

  co_await sleep_ms(sc.head_delay_ms);
  if (sc.status != 200) {
    auto res = make_response(req, sc.status, "application/json",
                             wire::error_body(api, sc.status, sc.error_message, sc.error_type));
    if (sc.retry_after_s >= 0) res.set(http::field::retry_after, std::to_string(sc.retry_after_s));
    co_return co_await send(s, res);
  }
  std::vector<std::string> pieces = sc.chunks;
  if (pieces.empty() && sc.tool_calls.empty()) pieces = wire::split_words("echo: " + text);
  wire::ReplyContext ctx = impl.context(api, body);
  if (!wire::wants_stream(api, body)) co_return co_await reply_whole(s, req, api, sc, ctx, pieces);
  co_return co_await reply_stream(s, req, api, sc, ctx, pieces);
}

// Answers one request; false when the connection must end.
template <class Stream>
awaitable<bool> respond(Server& impl, Stream& s, const Request& req) {
  std::string target(req.target());
  std::string path = target.substr(0, target.find('?'));
  std::string method(req.method_string());
  wire::Route route = wire::route_for(path);
  bool get = req.method() == http::verb::get;
  switch (route) {
    case wire::Route::kModels:
    case wire::Route::kTags: {
      if (!get) break;
      impl.record(impl.make_received(req, "probe"));
      Api api = route == wire::Route::kTags                  ? Api::kOllama
                : req.find("anthropic-version") != req.end() ? Api::kAnthropic
                                                             : Api::kOpenAI;
      co_return co_await send_json(s, req, 200, wire::models_body(api, impl.model_ids()));
    }
    case wire::Route::kOpenAI:
      if (req.method() == http::verb::post)
        co_return co_await reply_chat(impl, s, req, Api::kOpenAI);
      break;
    case wire::Route::kAnthropic:
      if (req.method() == http::verb::post)
        co_return co_await reply_chat(impl, s, req, Api::kAnthropic);
      break;
    case wire::Route::kOllama:
      if (req.method() == http::verb::post)
        co_return co_await reply_chat(impl, s, req, Api::kOllama);
      break;
    case wire::Route::kUnknown:
      co_return co_await send_json(s, req, 404, wire::not_found_body(method, target));
  }
  co_return co_await send_json(s, req, 405, wire::not_found_body(method, target));
}

// HTTP/1.1 requests on one connection until it closes or a reply ends it.
template <class Stream>
awaitable<void> serve(Server& impl, Stream& s) {
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeader);
    parser.body_limit(kMaxBody);
    if (auto [ec, n] = co_await http::async_read_header(s, buf, parser, kAwait); ec) co_return;
    if (!parser.is_done() && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      if (auto [ec, n] = co_await asio::async_write(s, asio::buffer(kContinue), kAwait); ec)
        co_return;
    }
    if (!parser.is_done()) {
      auto [ec, n] = co_await http::async_read(s, buf, parser, kAwait);
      if (ec == http::error::body_limit) {
        Request head;
        head.base() = parser.get().base();
        head.keep_alive(false);
        co_await send_json(s, head, 413,
                           wire::error_body(Api::kOpenAI, 413, "request body over 32 MiB", ""));
        co_return;
      }
      if (ec) co_return;
    }
    Request req = parser.release();
    if (!co_await respond(impl, s, req)) co_return;
  }
}

awaitable<void> plain_session(Server& impl, tcp::socket sock) {
  beast::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  co_await serve(impl, sock);
  sock.shutdown(tcp::socket::shutdown_send, ec);
  sock.close(ec);
}

awaitable<void> tls_session(Server& impl, tcp::socket sock) {
  beast::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  ssl::stream<tcp::socket> s(std::move(sock), *impl.tls);
  auto [hs] = co_await s.async_handshake(ssl::stream_base::server, kAwait);
  if (!hs) co_await serve(impl, s);
  s.lowest_layer().close(ec);
}

awaitable<void> accept_loop(Server& impl) {
  for (;;) {
    auto [ec, sock] = co_await impl.acceptor->async_accept(kAwait);
    if (ec == asio::error::operation_aborted || !impl.acceptor->is_open()) co_return;
    if (ec) {  // e.g. out of file descriptors: let some connections end first
      co_await sleep_ms(20);
      continue;
    }
    if (impl.tls)
      asio::co_spawn(*impl.ioc, tls_session(impl, std::move(sock)), asio::detached);
    else
      asio::co_spawn(*impl.ioc, plain_session(impl, std::move(sock)), asio::detached);
  }
}

Server::Server(FakeOptions o) : opts(o) {
  if (opts.threads < 1) opts.threads = 1;
  if (opts.tls) {
    std::tie(cert_pem, key_pem) = make_self_signed();
    tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls->use_certificate_chain(asio::buffer(cert_pem));
    tls->use_private_key(asio::buffer(key_pem), ssl::context::pem);
  }
  ioc = std::make_unique<asio::io_context>(opts.threads);
  acceptor = std::make_unique<tcp::acceptor>(*ioc);
  tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(opts.port));
  acceptor->open(ep.protocol());
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  acceptor->bind(ep);
  acceptor->listen(asio::socket_base::max_listen_connections);
  port = acceptor->local_endpoint().port();
  asio::co_spawn(*ioc, accept_loop(*this), asio::detached);
  for (int i = 0; i < opts.threads; ++i) {
    threads.emplace_back([this] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "fake LLM: %s\n", e.what());
        }
      }
    });
  }
}

Server::~Server() {
  ioc->stop();
  for (auto& t : threads) t.join();
  // The acceptor before the io_context (it unregisters from the io_context's reactor);
  // destroying the io_context then destroys every suspended coroutine and its socket.
  acceptor.reset();
  ioc.reset();
}

}  // namespace

// --- the public API ------------------------------------------------------------------------

struct FakeLlm::Impl : Server {
  using Server::Server;
};

FakeLlm::FakeLlm(FakeOptions opts) : impl_(std::make_unique<Impl>(opts)) {}
FakeLlm::~FakeLlm() = default;

int FakeLlm::port() const { return impl_->port; }

std::string FakeLlm::url() const {
  return std::string(impl_->opts.tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->port);
}

const std::string& FakeLlm::cert_pem() const { return impl_->cert_pem; }

void FakeLlm::push(Script s) {
  if (s.times == 0) return;
  std::lock_guard lk(impl_->mu);
  impl_->scripts.push_back(std::move(s));
}

void FakeLlm::set_default(Script s) {
  std::lock_guard lk(impl_->mu);
  impl_->fallback = std::move(s);
}

void FakeLlm::clear() {
  std::lock_guard lk(impl_->mu);
  impl_->scripts.clear();
  impl_->fallback = Script{};
}

std::vector<Received> FakeLlm::requests() const {
  std::lock_guard lk(impl_->mu);
  return impl_->chats;
}

std::vector<Received> FakeLlm::probes() const {
  std::lock_guard lk(impl_->mu);
  return impl_->probe_list;
}

std::size_t FakeLlm::request_count() const {
  std::lock_guard lk(impl_->mu);
  return impl_->chats.size();
}

void FakeLlm::clear_requests() {
  std::lock_guard lk(impl_->mu);
  impl_->chats.clear();
  impl_->probe_list.clear();
}

bool FakeLlm::wait_requests(std::size_t n, int timeout_ms) const {
  std::unique_lock lk(impl_->mu);
  return impl_->cv.wait_for(lk, std::chrono::milliseconds(timeout_ms),
                            [&] { return impl_->chats.size() >= n; });
}

int FakeLlm::open_streams() const { return impl_->open_streams.load(); }

}  // namespace sctest::fakes
