// sc_loadgen: the benchmark's load generator (docs/benchmarks.md).
//
// One io_context on one thread drives every connection (the machine has 2 cores: the
// server under test gets one, this process the other). Modes:
//
//   rpc          N connections do the protocol-v4 handshake (connect.challenge -> req
//                connect -> res hello-ok), then each keeps --pipeline K `health` requests
//                in flight; after --warmup S the per-request latency (send -> matching
//                res) goes into a histogram for --duration S. Prints req/s, p50/p99/max.
//   echo         the same traffic against sc_echo_server: no handshake, the request
//                frame comes back unchanged and is matched by its id.
//   idle         opens N authenticated connections (paced: fewer than --max-pending
//                handshakes in flight, below the gateway's 32 pre-auth sockets per IP),
//                reports when all are up, holds them --hold S. With --rss-pid, prints the
//                server's VmRSS before and after and the per-connection delta.
//   chat         like rpc, but each in-flight slot is a chat session: chat.send, then the
//                latency until that run's terminal `chat` event (final = success); the
//                next message on the slot's session follows at once, or --pause-ms P
//                later (jittered 0.5P..1.5P; first sends spread over P): a paced load
//                below saturation, where latency is the gateway's, not a queue's. Run it against a
//                gateway whose model is sc_fake_llm answering instantly, so the figure
//                is the gateway's own overhead (commit, queue, stream, commit, events).
//   first-hello  spawns the gateway itself (fresh state dir, free port, pinned with
//                --gateway-cpu), polls TCP connect every 100 us and times exec -> first
//                hello-ok received; --repeat times; median and max.
//
// Every run is bounded in time and only talks to 127.0.0.1. A `RESULT key=value ...` line
// at the end is what bench/run.sh parses.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "nodes/device_identity.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------- options

struct Options {
  std::string mode;
  int port = 0;
  std::string token;
  std::string state_dir;  // rpc/idle: read gateway.json + gateway.token; first-hello: work dir
  int conns = 8;
  int pipeline = 1;
  double duration = 5;
  double warmup = 1;
  double hold = 5;
  double settle = 2;     // idle: wait this long after the last hello-ok before reading RSS
  int max_pending = 16;  // handshakes in flight at once (gateway allows 32 per IP)
  std::string role = "operator";
  std::string scope = "operator.read";
  int rss_pid = 0;
  int server_pid = 0;       // rpc/echo: report this process's CPU use during the window
  std::string gateway_bin;  // first-hello
  int repeat = 10;
  int gateway_cpu = -1;
  std::string seed_state;      // first-hello: each run starts from a copy of this state dir
  double setup_timeout = 120;  // connecting phase cap (seconds)
  int pause_ms = 0;            // chat: pause between a final and the slot's next message
  bool subscribe_all = false;  // chat: each connection calls sessions.subscribe (gets every
                               // session's deltas: the fan-out before per-session routing)
  int watch_port = 0;  // chat: one more connection, to this port (another cluster instance),
                       // subscribed to every session: when each run's final arrives there
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "sc_loadgen: %s\n", msg.c_str());
  std::exit(2);
}

void usage() {
  std::fputs(
      "usage: sc_loadgen MODE [options]\n"
      "modes: rpc | echo | idle | first-hello\n"
      "  --port P            target port on 127.0.0.1 (or --state-dir DIR to read gateway.json)\n"
      "  --state-dir DIR     gateway state dir (port from gateway.json, token from "
      "gateway.token);\n"
      "                      first-hello: a scratch dir where fresh state dirs are made\n"
      "  --token T           gateway token (default: DIR/gateway.token)\n"
      "  --conns N           connections (default 8)\n"
      "  --pipeline K        requests in flight per connection (default 1)\n"
      "  --duration S        measured seconds (default 5)    --warmup S (default 1)\n"
      "  --hold S            idle: seconds to hold the connections (default 5)\n"
      "  --settle S          idle: seconds after the last hello-ok before reading RSS (2)\n"
      "  --max-pending M     idle/rpc: handshakes in flight at once (default 16, < 32)\n"
      "  --role R            operator (default) | node\n"
      "  --rss-pid PID       idle: report this process's VmRSS before/after\n"
      "  --server-pid PID    rpc/echo: report this process's CPU use while measuring\n"
      "  --gateway BIN       first-hello: the simpleclaw binary\n"
      "  --repeat N          first-hello: runs (default 10)\n"
      "  --gateway-cpu C     first-hello: pin the spawned gateway to CPU C\n"
      "  --seed-state DIR    first-hello: start each run from a copy of DIR (e.g. 10,000 cron\n"
      "                      jobs in its sessions.db; its gateway.json is not copied)\n"
      "  --pause-ms P        chat: each session pauses ~P ms before its next message\n"
      "  --subscribe-all     chat: every connection subscribes to every session's stream\n"
      "  --watch-port P      chat: also time each run's final on the gateway at port P (another\n"
      "                      instance of the same cluster): remote_p50_us/remote_p99_us\n",
      stderr);
}

Options parse_args(int argc, char** argv) {
  if (argc < 2) {
    usage();
    std::exit(2);
  }
  Options o;
  o.mode = argv[1];
  if (o.mode == "-h" || o.mode == "--help") {
    usage();
    std::exit(0);
  }
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port")
      o.port = std::stoi(val());
    else if (a == "--token")
      o.token = val();
    else if (a == "--state-dir")
      o.state_dir = val();
    else if (a == "--conns")
      o.conns = std::stoi(val());
    else if (a == "--pipeline")
      o.pipeline = std::stoi(val());
    else if (a == "--duration")
      o.duration = std::stod(val());
    else if (a == "--warmup")
      o.warmup = std::stod(val());
    else if (a == "--hold")
      o.hold = std::stod(val());
    else if (a == "--settle")
      o.settle = std::stod(val());
    else if (a == "--max-pending")
      o.max_pending = std::stoi(val());
    else if (a == "--role")
      o.role = val();
    else if (a == "--rss-pid")
      o.rss_pid = std::stoi(val());
    else if (a == "--server-pid")
      o.server_pid = std::stoi(val());
    else if (a == "--gateway")
      o.gateway_bin = val();
    else if (a == "--repeat")
      o.repeat = std::stoi(val());
    else if (a == "--gateway-cpu")
      o.gateway_cpu = std::stoi(val());
    else if (a == "--seed-state")
      o.seed_state = val();
    else if (a == "--setup-timeout")
      o.setup_timeout = std::stod(val());
    else if (a == "--subscribe-all")
      o.subscribe_all = true;
    else if (a == "--pause-ms")
      o.pause_ms = std::stoi(val());
    else if (a == "--watch-port")
      o.watch_port = std::stoi(val());
    else if (a == "-h" || a == "--help") {
      usage();
      std::exit(0);
    } else {
      die("unknown option " + a);
    }
  }
  // Bounded runs only.
  if (o.conns < 1 || o.conns > 60000) die("--conns must be 1..60000");
  if (o.pipeline < 1 || o.pipeline > 4096) die("--pipeline must be 1..4096");
  if (o.duration <= 0 || o.duration > 600) die("--duration must be in (0, 600]");
  if (o.warmup < 0 || o.warmup > 60) die("--warmup must be in [0, 60]");
  if (o.hold < 0 || o.hold > 600) die("--hold must be in [0, 600]");
  if (o.max_pending < 1 || o.max_pending > 31) die("--max-pending must be 1..31");
  if (o.repeat < 1 || o.repeat > 100) die("--repeat must be 1..100");
  if (o.pause_ms < 0 || o.pause_ms > 60000) die("--pause-ms must be 0..60000");
  if (o.role != "operator" && o.role != "node") die("--role must be operator or node");
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

long vm_rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

void raise_nofile() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// CPU seconds (user + system) used so far by a process (pid 0 = this one).
double cpu_seconds(int pid) {
  if (pid == 0) {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  }
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto rp = stat.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream in(stat.substr(rp + 2));
  std::string f;
  double ut = 0, st = 0;
  for (int i = 3; i <= 15 && in >> f; ++i) {  // fields 14 utime, 15 stime
    if (i == 14) ut = std::atof(f.c_str());
    if (i == 15) st = std::atof(f.c_str());
  }
  return (ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// ---------------------------------------------------------------- histogram

// Log-linear histogram of nanoseconds: 64 sub-buckets per power of two (<1.6% error).
class Histogram {
 public:
  void record(std::uint64_t ns) {
    ++counts_[index(ns)];
    ++count_;
    max_ = std::max(max_, ns);
  }
  void reset() { *this = Histogram(); }
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // Upper edge of the bucket holding the q-quantile (q in [0,1]).
  std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    auto target = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= target) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kBits = 7;             // 2^7 = 128 linear buckets below 128 ns
  static constexpr std::uint64_t kHalf = 64;  // sub-buckets per octave above that
  static std::size_t index(std::uint64_t v) {
    if (v < 2 * kHalf) return static_cast<std::size_t>(v);
    int msb = 63 - __builtin_clzll(v);
    int e = msb - (kBits - 1);    // >= 1
    std::uint64_t mant = v >> e;  // [64, 128)
    return static_cast<std::size_t>((e + 1) * kHalf + (mant - kHalf));
  }
  static std::uint64_t upper(std::size_t i) {
    if (i < 2 * kHalf) return i;
    std::uint64_t e = i / kHalf - 1, mant = i % kHalf + kHalf;
    return ((mant + 1) << e) - 1;
  }
  std::array<std::uint64_t, (64 + 2) * kHalf> counts_{};
  std::uint64_t count_ = 0, max_ = 0;
};

// ---------------------------------------------------------------- the async client

enum class Mode { kRpc, kEcho, kIdle, kChat };

class Conn;

struct Bench {
  asio::io_context io{1};
  Options opt;
  Mode mode = Mode::kRpc;
  tcp::endpoint ep;
  std::string host_header;
  std::string connect_frame;  // the req connect text (same for every socket)
  // Role node: the connect params and the device key; each socket signs its own
  // challenge nonce (nodes must prove a device identity).
  Json connect_params;
  std::unique_ptr<simpleclaw::nodes::DeviceKey> device;
  std::string device_token;  // the newest one a hello-ok gave; sent so no more are minted
  std::vector<std::shared_ptr<Conn>> conns;
  int started = 0, pending = 0, ready = 0, failed = 0, closed_after_ready = 0;
  std::string first_error;
  bool sending = false, measuring = false, finishing = false;
  Histogram hist;
  // --watch-port: when each run was sent, and its final's latency on the other instance.
  tcp::endpoint watch_ep;
  std::unordered_map<std::string, Clock::time_point> sent_at;
  Histogram remote_hist;
  std::uint64_t remote_seen = 0;
  int total() const { return opt.conns + (opt.watch_port ? 1 : 0); }
  std::uint64_t completed = 0, errors = 0, events = 0, event_bytes = 0, outstanding = 0;
  Clock::time_point t_setup, t_all_ready, t_measure_start, t_measure_end;
  double cpu_self0 = 0, cpu_self1 = 0, cpu_srv0 = 0, cpu_srv1 = 0;
  asio::steady_timer timer{io}, watchdog{io};
  std::function<void()> on_all_ready;

  void start_more();
  void conn_ready();
  void conn_failed(const std::string& why, bool was_ready);
};

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(Bench& b) : b_(b), ws_(b.io) {}

  void start() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(15));
    beast::get_lowest_layer(ws_).async_connect(
        watcher ? b_.watch_ep : b_.ep,
        [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
  }

  bool watcher = false;  // --watch-port: only listens

  // Fills the pipeline (rpc/echo traffic start).
  void fill() {
    if (watcher) return;
    if (b_.mode == Mode::kChat && b_.opt.pause_ms > 0) {
      for (int i = 0; i < b_.opt.pipeline; ++i) send_chat_after(next_slot_++, 0.0, 1.0);
      return;
    }
    while (inflight_ < static_cast<std::uint64_t>(b_.opt.pipeline) && b_.sending) send_request();
  }
  std::uint64_t inflight() const { return inflight_; }

 private:
  enum class State { kConnecting, kChallenge, kHello, kReady, kDead };

  void fail(const std::string& why) {
    if (state_ == State::kDead) return;
    bool was_ready = state_ == State::kReady;
    state_ = State::kDead;
    b_.outstanding -= inflight_;
    inflight_ = 0;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    b_.conn_failed(why, was_ready);
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect: " + ec.message());
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    ws_.auto_fragment(false);
    ws_.secure_prng(false);  // masking keys need no CSPRNG here; keeps the client cheap
    ws_.read_message_max(256u << 20);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "sc_loadgen/" SIMPLECLAW_VERSION);
    }));
    ws_.async_handshake(b_.host_header, "/", [self = shared_from_this()](beast::error_code ec) {
      self->on_handshake(ec);
    });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("upgrade: " + ec.message());
    // The WebSocket has its own (here: none) timeouts; the server pings us after auth and
    // Beast answers while a read is pending.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(15);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    if (b_.mode == Mode::kEcho) {
      state_ = State::kReady;
      b_.conn_ready();
    } else {
      state_ = State::kChallenge;
    }
    do_read();
  }

  void do_read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (state_ == State::kDead || b_.finishing) return;
      return fail("read: " + ec.message());
    }
    auto d = buf_.cdata();
    std::string_view msg(static_cast<const char*>(d.data()), d.size());
    switch (state_) {
      case State::kChallenge: {
        Json j = Json::parse(msg, nullptr, false);
        if (j.is_discarded() || j.value("event", "") != "connect.challenge")
          return fail("expected connect.challenge, got: " + std::string(msg.substr(0, 200)));
        state_ = State::kHello;
        if (!b_.device) {
          write(b_.connect_frame);
          break;
        }
        std::string nonce = j["payload"].value("nonce", "");
        simpleclaw::nodes::SignedFields f{"sc-loadgen",
                                          b_.connect_params["client"]["mode"],
                                          "node",
                                          {},
                                          b_.opt.token,
                                          "linux",
                                          ""};
        auto proof = b_.device->prove(f, nonce, wall_ms());
        Json params = b_.connect_params;
        if (!b_.device_token.empty()) params["auth"]["deviceToken"] = b_.device_token;
        params["device"] = Json{{"id", proof.id},
                                {"publicKey", proof.public_key},
                                {"signature", proof.signature},
                                {"signedAt", proof.signed_at_ms},
                                {"nonce", proof.nonce}};
        write(Json{{"type", "req"}, {"id", "c"}, {"method", "connect"}, {"params", params}}.dump());
        break;
      }
      case State::kHello: {
        Json j = Json::parse(msg, nullptr, false);
        if (j.is_discarded()) return fail("undecodable frame before hello-ok");
        if (j.value("type", "") == "event") break;  // not expected, but harmless
        if (j.value("type", "") != "res" || !j.value("ok", false))
          return fail("connect refused: " + std::string(msg.substr(0, 300)));
        if (b_.device) {
          std::string t = j["payload"]["auth"].value("deviceToken", "");
          if (!t.empty()) b_.device_token = std::move(t);
        }
        state_ = State::kReady;
        if (b_.mode == Mode::kChat && (b_.opt.subscribe_all || watcher))  // ack: a chat ack
          write(Json{{"type", "req"}, {"id", "s"}, {"method", "sessions.subscribe"}}.dump());
        b_.conn_ready();
        break;
      }
      case State::kReady:
        on_traffic(msg);
        break;
      default:
        break;
    }
    buf_.consume(buf_.size());
    if (state_ != State::kDead) do_read();
  }

  // A frame after the handshake: a res (or the echoed req) matched by id, or an event.
  void on_traffic(std::string_view msg) {
    constexpr std::string_view kEvent = R"({"type":"event")";
    if (msg.substr(0, kEvent.size()) == kEvent) {
      ++b_.events;
      b_.event_bytes += msg.size();
      if (b_.mode == Mode::kChat) on_chat_event(msg);
      return;
    }
    if (b_.mode == Mode::kChat) {  // chat.send acks: only failures matter
      if (msg.find(R"("ok":false)") != std::string_view::npos) {
        ++b_.errors;
        if (b_.first_error.empty()) b_.first_error = std::string(msg.substr(0, 300));
      }
      return;
    }
    constexpr std::string_view kId = R"("id":")";
    auto p = msg.substr(0, 64).find(kId);
    if (p == std::string_view::npos) {
      ++b_.errors;
      return;
    }
    p += kId.size();
    std::uint64_t id = 0;
    std::size_t q = p;
    while (q < msg.size() && msg[q] >= '0' && msg[q] <= '9') id = id * 10 + (msg[q++] - '0');
    if (q == p || q >= msg.size() || msg[q] != '"') {
      ++b_.errors;
      return;
    }
    bool ok = b_.mode == Mode::kEcho || msg.substr(q, 11) == R"(","ok":true)";
    if (inflight_ == 0 || id >= next_id_ ||
        next_id_ - id > static_cast<std::uint64_t>(b_.opt.pipeline)) {
      ++b_.errors;  // not one of ours
      return;
    }
    auto now = Clock::now();
    Clock::time_point sent = sent_[id % sent_.size()];
    --inflight_;
    --b_.outstanding;
    if (b_.measuring) {
      if (ok) {
        ++b_.completed;
        b_.hist.record(static_cast<std::uint64_t>((now - sent).count()));
      } else {
        ++b_.errors;
      }
    }
    if (b_.sending)
      send_request();
    else if (b_.finishing && b_.outstanding == 0)
      b_.io.stop();
  }

  // chat: a run ends with a terminal `chat` event for one of our runIds ("<conn>-<id>").
  void on_chat_event(std::string_view msg) {
    if (msg.find(R"("event":"chat")") == std::string_view::npos) return;
    bool final = msg.find(R"("state":"final")") != std::string_view::npos;
    bool failed = msg.find(R"("state":"error")") != std::string_view::npos ||
                  msg.find(R"("state":"aborted")") != std::string_view::npos;
    if (!final && !failed) return;
    Json j = Json::parse(msg, nullptr, false);
    if (j.is_discarded()) return;
    std::string run = j["payload"].value("runId", "");
    if (watcher) {
      auto at = b_.sent_at.find(run);
      if (at == b_.sent_at.end()) return;
      if (b_.measuring && final) {
        ++b_.remote_seen;
        b_.remote_hist.record(static_cast<std::uint64_t>((Clock::now() - at->second).count()));
      }
      b_.sent_at.erase(at);
      return;
    }
    auto it = runs_.find(run);
    if (it == runs_.end()) return;  // another connection's run
    auto now = Clock::now();
    Clock::time_point sent = it->second.first;
    int slot = it->second.second;
    runs_.erase(it);
    --inflight_;
    --b_.outstanding;
    if (b_.measuring) {
      if (final) {
        ++b_.completed;
        b_.hist.record(static_cast<std::uint64_t>((now - sent).count()));
      } else {
        ++b_.errors;
        if (b_.first_error.empty()) b_.first_error = std::string(msg.substr(0, 300));
      }
    }
    if (b_.sending && b_.opt.pause_ms > 0)
      send_chat_after(slot, 0.5, 1.5);
    else if (b_.sending)
      send_chat(slot);
    else if (b_.finishing && b_.outstanding == 0)
      b_.io.stop();
  }

  // Sends the slot's next message after a pause drawn uniformly from [lo, hi] x pause_ms.
  void send_chat_after(int slot, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    auto t = std::make_shared<asio::steady_timer>(b_.io);
    t->expires_after(
        std::chrono::microseconds(static_cast<std::int64_t>(d(rng_) * b_.opt.pause_ms * 1000.0)));
    ++b_.outstanding;  // the finishing phase waits for paused slots too
    t->async_wait([self = shared_from_this(), t, slot](beast::error_code ec) {
      --self->b_.outstanding;
      if (!ec && self->b_.sending) return self->send_chat(slot);
      if (self->b_.finishing && self->b_.outstanding == 0) self->b_.io.stop();
    });
  }

  void send_chat(int slot) {
    std::uint64_t id = next_id_++;
    // runIds are idempotency keys: unique per process, or a rerun would get cached results.
    static const std::string prefix =
        std::to_string(::getpid()) + "." + std::to_string(Clock::now().time_since_epoch().count());
    std::string run = prefix + "-" + std::to_string(index_) + "-" + std::to_string(id);
    runs_[run] = {Clock::now(), slot};
    if (b_.opt.watch_port) b_.sent_at[run] = runs_[run].first;
    ++inflight_;
    ++b_.outstanding;
    Json req{{"type", "req"},
             {"id", std::to_string(id)},
             {"method", "chat.send"},
             {"params",
              // A fresh session per message: the figure is the gateway's per-turn overhead,
              // not the cost of an ever-growing history.
              {{"sessionKey", "bench-" + run},
               {"message", "hello from the benchmark"},
               {"idempotencyKey", run}}}};
    write(req.dump());
  }

 public:
  int index_ = 0;
  int next_slot_ = 0;

 private:
  std::unordered_map<std::string, std::pair<Clock::time_point, int>> runs_;
  std::mt19937_64 rng_{std::random_device{}()};

  void send_request() {
    if (b_.mode == Mode::kChat) return send_chat(next_slot_++);
    if (sent_.empty()) sent_.resize(2 * static_cast<std::size_t>(b_.opt.pipeline));
    std::uint64_t id = next_id_++;
    sent_[id % sent_.size()] = Clock::now();
    ++inflight_;
    ++b_.outstanding;
    char frame[96];
    int n = std::snprintf(frame, sizeof frame,
                          R"({"type":"req","id":"%)" PRIu64 R"(","method":"health"})", id);
    write(std::string(frame, static_cast<std::size_t>(n)));
  }

  void write(std::string frame) {
    out_.push_back(std::move(frame));
    if (!writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(out_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->out_.pop_front();
                      if (ec) {
                        if (!self->b_.finishing) self->fail("write: " + ec.message());
                        return;
                      }
                      if (!self->out_.empty()) self->do_write();
                    });
  }

  Bench& b_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  State state_ = State::kConnecting;
  std::deque<std::string> out_;
  bool writing_ = false;
  std::uint64_t next_id_ = 1;
  std::uint64_t inflight_ = 0;
  std::vector<Clock::time_point> sent_;
};

void Bench::start_more() {
  while (started < total() && pending < opt.max_pending) {
    ++started;
    ++pending;
    conns.push_back(std::make_shared<Conn>(*this));
    conns.back()->index_ = started;
    conns.back()->watcher = opt.watch_port && started == total();
    conns.back()->start();
  }
}

void Bench::conn_ready() {
  --pending;
  ++ready;
  if (ready + failed == total()) {
    t_all_ready = Clock::now();
    if (on_all_ready) on_all_ready();
  } else {
    start_more();
  }
}

void Bench::conn_failed(const std::string& why, bool was_ready) {
  if (first_error.empty()) first_error = why;
  if (was_ready) {
    ++closed_after_ready;
    --ready;
    ++failed;
    return;
  }
  --pending;
  ++failed;
  if (ready + failed == total()) {
    t_all_ready = Clock::now();
    if (on_all_ready) on_all_ready();
  } else {
    start_more();
  }
}

void resolve_target(Options& o) {
  if (o.port == 0 && !o.state_dir.empty()) {
    Json rt = Json::parse(read_file(o.state_dir + "/gateway.json"), nullptr, false);
    if (rt.is_discarded() || !rt.contains("port"))
      die("cannot read " + o.state_dir + "/gateway.json");
    o.port = rt["port"].get<int>();
  }
  if (o.port <= 0 || o.port > 65535) die("no target: pass --port or --state-dir");
  if (o.token.empty() && !o.state_dir.empty())
    o.token = trim(read_file(o.state_dir + "/gateway.token"));
}

int run_traffic(Options o, Mode mode) {
  resolve_target(o);
  if (mode != Mode::kEcho && o.token.empty()) die("no token: pass --token or --state-dir");
  Bench b;
  b.opt = o;
  b.mode = mode;
  b.ep = tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(o.port));
  b.host_header = "127.0.0.1:" + std::to_string(o.port);
  b.watch_ep = tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"),
                             static_cast<unsigned short>(o.watch_port));
  Json params{{"minProtocol", 4},
              {"maxProtocol", 4},
              {"client",
               {{"id", "sc-loadgen"},
                {"version", SIMPLECLAW_VERSION},
                {"platform", "linux"},
                {"mode", mode == Mode::kIdle ? "probe" : "cli"}}},
              {"role", o.role},
              {"auth", {{"token", o.token}}}};
  if (o.role == "operator")
    params["scopes"] = Json::array({mode == Mode::kChat ? std::string("operator.write") : o.scope});
  b.connect_frame =
      Json{{"type", "req"}, {"id", "c"}, {"method", "connect"}, {"params", params}}.dump();
  if (o.role == "node") {  // one identity for every socket (a device may hold many)
    b.connect_params = params;
    b.device =
        std::make_unique<simpleclaw::nodes::DeviceKey>(simpleclaw::nodes::DeviceKey::generate());
  }

  const char* mode_name = mode == Mode::kRpc    ? "rpc"
                          : mode == Mode::kEcho ? "echo"
                          : mode == Mode::kChat ? "chat"
                                                : "idle";
  long rss_before = o.rss_pid ? vm_rss_kb(o.rss_pid) : -1;
  long rss_ready = -1, rss_after = -1;

  // Setup cap: the connecting phase must finish in time.
  b.watchdog.expires_after(std::chrono::milliseconds(static_cast<long>(o.setup_timeout * 1000)));
  b.watchdog.async_wait([&](beast::error_code ec) {
    if (ec) return;
    std::fprintf(stderr, "sc_loadgen: setup timed out after %.0f s: %d/%d connected, %d failed\n",
                 o.setup_timeout, b.ready, o.conns, b.failed);
    std::exit(3);
  });

  b.on_all_ready = [&] {
    b.watchdog.cancel();
    double setup = secs(b.t_all_ready - b.t_setup);
    std::printf("%s: %d/%d connections ready in %.2f s (%d failed%s%s)\n", mode_name, b.ready,
                o.conns, setup, b.failed,
                b.first_error.empty() ? "" : "; first error: ", b.first_error.c_str());
    std::fflush(stdout);
    if (b.ready == 0) {
      b.io.stop();
      return;
    }
    if (mode == Mode::kIdle) {
      if (o.rss_pid) rss_ready = vm_rss_kb(o.rss_pid);
      b.timer.expires_after(std::chrono::milliseconds(static_cast<long>(o.settle * 1000)));
      b.timer.async_wait([&](beast::error_code) {
        if (o.rss_pid) rss_after = vm_rss_kb(o.rss_pid);
        double rest = std::max(0.0, o.hold - o.settle);
        b.timer.expires_after(std::chrono::milliseconds(static_cast<long>(rest * 1000)));
        b.timer.async_wait([&](beast::error_code) {
          b.finishing = true;
          b.io.stop();
        });
      });
      return;
    }
    // rpc / echo: warm-up, measure, drain.
    b.sending = true;
    for (auto& c : b.conns) c->fill();
    b.timer.expires_after(std::chrono::milliseconds(static_cast<long>(o.warmup * 1000)));
    b.timer.async_wait([&](beast::error_code) {
      b.hist.reset();
      b.remote_hist.reset();
      b.remote_seen = 0;
      b.completed = 0;
      b.errors = 0;
      b.measuring = true;
      b.t_measure_start = Clock::now();
      b.cpu_self0 = cpu_seconds(0);
      if (o.server_pid) b.cpu_srv0 = cpu_seconds(o.server_pid);
      b.timer.expires_after(std::chrono::milliseconds(static_cast<long>(o.duration * 1000)));
      b.timer.async_wait([&](beast::error_code) {
        b.t_measure_end = Clock::now();
        b.cpu_self1 = cpu_seconds(0);
        if (o.server_pid) b.cpu_srv1 = cpu_seconds(o.server_pid);
        b.sending = false;
        b.measuring = false;
        b.finishing = true;
        if (b.outstanding == 0) return b.io.stop();
        b.timer.expires_after(std::chrono::seconds(2));  // drain cap
        b.timer.async_wait([&](beast::error_code) { b.io.stop(); });
      });
    });
  };

  b.t_setup = Clock::now();
  b.start_more();
  b.io.run();

  if (b.ready == 0) {
    std::fprintf(stderr, "sc_loadgen: no connection came up: %s\n", b.first_error.c_str());
    return 1;
  }
  if (mode == Mode::kIdle) {
    std::printf("idle: held %d connections (%d dropped while held)\n", b.ready,
                b.closed_after_ready);
    if (o.rss_pid) {
      double per = rss_after > 0 && rss_before > 0 ? double(rss_after - rss_before) / b.ready : 0;
      std::printf(
          "server VmRSS: %ld KB before, %ld KB when all ready, %ld KB after %.1f s settle; "
          "%.2f KB per connection\n",
          rss_before, rss_ready, rss_after, o.settle, per);
      std::printf(
          "RESULT mode=idle conns=%d ready=%d failed=%d setup_s=%.2f rss_before_kb=%ld "
          "rss_after_kb=%ld per_conn_kb=%.2f events=%" PRIu64 " event_bytes=%" PRIu64 "\n",
          o.conns, b.ready, b.failed, secs(b.t_all_ready - b.t_setup), rss_before, rss_after, per,
          b.events, b.event_bytes);
    } else {
      std::printf("RESULT mode=idle conns=%d ready=%d failed=%d setup_s=%.2f\n", o.conns, b.ready,
                  b.failed, secs(b.t_all_ready - b.t_setup));
    }
    std::fflush(stdout);
    std::_Exit(0);  // the kernel closes the sockets; no need to tear 10k sessions down
  }
  double dur = secs(b.t_measure_end - b.t_measure_start);
  double rps = dur > 0 ? static_cast<double>(b.completed) / dur : 0;
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  std::printf("%s: %d conns x pipeline %d, %.2f s measured: %" PRIu64
              " responses, %.0f req/s; "
              "latency p50 %.1f us, p99 %.1f us, max %.1f us; errors %" PRIu64 ", events %" PRIu64
              "\n",
              mode_name, b.ready, o.pipeline, dur, b.completed, rps, us(b.hist.quantile(0.5)),
              us(b.hist.quantile(0.99)), us(b.hist.max()), b.errors, b.events);
  double cpu_self = dur > 0 ? 100 * (b.cpu_self1 - b.cpu_self0) / dur : 0;
  double cpu_srv = dur > 0 && o.server_pid ? 100 * (b.cpu_srv1 - b.cpu_srv0) / dur : -1;
  std::printf("CPU while measuring: load generator %.0f%%, server %.0f%%\n", cpu_self, cpu_srv);
  std::printf("RESULT mode=%s conns=%d pipeline=%d duration_s=%.2f responses=%" PRIu64
              " rps=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%" PRIu64
              " failed=%d cpu_client=%.0f cpu_server=%.0f\n",
              mode_name, b.ready, o.pipeline, dur, b.completed, rps, us(b.hist.quantile(0.5)),
              us(b.hist.quantile(0.99)), us(b.hist.max()), b.errors, b.failed, cpu_self, cpu_srv);
  if (o.watch_port)
    std::printf("RESULT_REMOTE seen=%" PRIu64 " remote_p50_us=%.1f remote_p99_us=%.1f\n",
                b.remote_seen, us(b.remote_hist.quantile(0.5)), us(b.remote_hist.quantile(0.99)));
  std::fflush(stdout);
  std::_Exit(b.errors == 0 && b.failed == 0 ? 0 : 1);
}

// ---------------------------------------------------------------- first-hello

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    die("cannot find a free port");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct HelloRun {
  double listen_ms = 0, hello_ms = 0;
  long rss_kb = 0;
};

// One spawn: fork, pin, exec the gateway; poll connect; handshake; SIGTERM; reap.
std::optional<HelloRun> first_hello_once(const Options& o, int run) {
  std::string dir = o.state_dir + "/run-" + std::to_string(run);
  ::mkdir(dir.c_str(), 0700);
  if (!o.seed_state.empty()) {
    std::error_code ec;
    std::filesystem::copy(o.seed_state, dir,
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing,
                          ec);
    if (ec) die("cannot copy --seed-state " + o.seed_state + ": " + ec.message());
    std::filesystem::remove(dir + "/gateway.json", ec);  // written anew once listening
  }
  int port = free_port();
  std::string port_s = std::to_string(port), log = dir + "/gateway.out";
  std::vector<const char*> argv{o.gateway_bin.c_str(), "gateway",   "--port", port_s.c_str(),
                                "--state-dir",         dir.c_str(), nullptr};

  auto t0 = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    if (o.gateway_cpu >= 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(o.gateway_cpu, &set);
      ::sched_setaffinity(0, sizeof set, &set);
    }
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::unsetenv("SIMPLECLAW_GATEWAY_TOKEN");
    ::unsetenv("SIMPLECLAW_PORT");
    ::unsetenv("SIMPLECLAW_CONFIG");
    ::execv(argv[0], const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }

  auto kill_child = [&] {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  };

  // Poll TCP connect every 100 us until the listener exists (10 s cap).
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  int fd = -1;
  while (true) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
    ::close(fd);
    fd = -1;
    if (::waitpid(pid, nullptr, WNOHANG) == pid) {
      std::fprintf(stderr, "first-hello: the gateway exited early; see %s\n", log.c_str());
      return std::nullopt;
    }
    if (Clock::now() - t0 > std::chrono::seconds(10)) {
      std::fprintf(stderr, "first-hello: no listener after 10 s; see %s\n", log.c_str());
      kill_child();
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  auto t_listen = Clock::now();

  HelloRun r;
  try {
    asio::io_context io;
    tcp::socket sock(io);
    sock.assign(tcp::v4(), fd);
    sock.set_option(tcp::no_delay(true));
    websocket::stream<tcp::socket> ws(std::move(sock));
    ws.read_message_max(64u << 20);
    ws.handshake("127.0.0.1:" + port_s, "/");
    beast::flat_buffer buf;
    ws.read(buf);  // connect.challenge
    Json ch = Json::parse(beast::buffers_to_string(buf.cdata()), nullptr, false);
    if (ch.is_discarded() || ch.value("event", "") != "connect.challenge")
      throw std::runtime_error("expected connect.challenge");
    buf.consume(buf.size());
    // The token file is written at start-up before the listener opens.
    std::string token = trim(read_file(dir + "/gateway.token"));
    Json req{{"type", "req"},
             {"id", "c"},
             {"method", "connect"},
             {"params",
              {{"minProtocol", 4},
               {"maxProtocol", 4},
               {"client",
                {{"id", "sc-loadgen"},
                 {"version", SIMPLECLAW_VERSION},
                 {"platform", "linux"},
                 {"mode", "cli"}}},
               {"role", "operator"},
               {"scopes", {"operator.read"}},
               {"auth", {{"token", token}}}}}};
    ws.text(true);
    ws.write(asio::buffer(req.dump()));
    while (true) {
      ws.read(buf);
      Json j = Json::parse(beast::buffers_to_string(buf.cdata()), nullptr, false);
      buf.consume(buf.size());
      if (j.is_discarded()) throw std::runtime_error("undecodable frame");
      if (j.value("type", "") != "res") continue;
      if (!j.value("ok", false) || j["payload"].value("type", "") != "hello-ok")
        throw std::runtime_error("connect refused: " + j.dump().substr(0, 300));
      break;
    }
    auto t_hello = Clock::now();
    r.listen_ms = secs(t_listen - t0) * 1000;
    r.hello_ms = secs(t_hello - t0) * 1000;
    r.rss_kb = vm_rss_kb(pid);
    beast::error_code ec;
    ws.next_layer().close(ec);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "first-hello: %s (see %s)\n", e.what(), log.c_str());
    kill_child();
    return std::nullopt;
  }
  kill_child();
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run_first_hello(const Options& o) {
  if (o.gateway_bin.empty()) die("first-hello needs --gateway BIN");
  if (o.state_dir.empty()) die("first-hello needs --state-dir DIR (scratch)");
  ::mkdir(o.state_dir.c_str(), 0700);
  std::vector<double> hello, listen;
  std::vector<long> rss;
  for (int i = 0; i < o.repeat; ++i) {
    auto r = first_hello_once(o, i);
    if (!r) return 1;
    std::printf("first-hello run %d: listening after %.2f ms, hello-ok after %.2f ms, RSS %ld KB\n",
                i + 1, r->listen_ms, r->hello_ms, r->rss_kb);
    hello.push_back(r->hello_ms);
    listen.push_back(r->listen_ms);
    rss.push_back(r->rss_kb);
  }
  std::printf(
      "RESULT mode=first-hello runs=%d median_ms=%.2f max_ms=%.2f min_ms=%.2f "
      "listen_median_ms=%.2f "
      "rss_after_hello_kb=%ld\n",
      o.repeat, median(hello), *std::max_element(hello.begin(), hello.end()),
      *std::min_element(hello.begin(), hello.end()), median(listen), rss.back());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  raise_nofile();
  ::signal(SIGPIPE, SIG_IGN);
  if (o.mode == "rpc") return run_traffic(o, Mode::kRpc);
  if (o.mode == "chat") return run_traffic(o, Mode::kChat);
  if (o.mode == "echo") return run_traffic(o, Mode::kEcho);
  if (o.mode == "idle") return run_traffic(o, Mode::kIdle);
  if (o.mode == "first-hello") return run_first_hello(o);
  usage();
  return 2;
}
