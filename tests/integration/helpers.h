// Integration-test fixture: starts the real `simpleclaw gateway` binary as a child
// process on 127.0.0.1 port 0 with a fresh temp state dir (and an optional config.yaml),
// waits for <state>/gateway.json, and talks to it over real sockets with cli::WsClient.
//
// Every test owns its own gateway, so ctest can run them in parallel. The child dies with
// the test process (PR_SET_PDEATHSIG) and is stopped at teardown: SIGTERM, then SIGKILL
// after 5 s, always reaped. A gateway that died on its own (a crash) fails the test.
//
// Single-threaded, like the tests.
#pragma once
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/ws_client.h"

namespace sctest {

using simpleclaw::Error;
using simpleclaw::Json;
using simpleclaw::Result;
using simpleclaw::cli::ClientOptions;
using simpleclaw::cli::Incoming;
using simpleclaw::cli::WsClient;
using ClientPtr = std::unique_ptr<WsClient>;

// Default wait for anything the gateway should answer at once.
inline constexpr int kTimeoutMs = 5000;
// OLLAMA_HOST for every gateway and CLI a test starts (unless its env says otherwise):
// a port nothing listens on, so a developer's own Ollama never becomes an implicit
// provider. The provider key variables (OPENAI_API_KEY, ...) are cleared likewise.
inline constexpr const char* kNoOllama = "127.0.0.1:1";

std::string read_text(const std::string& path);  // "" when missing
void write_text(const std::string& path, const std::string& text);
bool file_exists(const std::string& path);
std::string sha256_hex(const std::string& data);

// A directory under $TMPDIR (or /tmp), removed with its contents at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  void keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

struct StartOptions {
  std::string config_yaml;                 // non-empty: written to <dir>/config.yaml first
  std::string state_dir;                   // empty: <dir>/state (fresh)
  std::vector<std::string> args;           // extra command-line arguments
  std::map<std::string, std::string> env;  // extra environment; "" = unset it
  std::string token;       // the token clients use; empty: read <state>/gateway.token
  bool port_zero = true;   // pass --port 0
  bool wait_ready = true;  // wait for gateway.json (false: for start-up failures)
};

// A fresh Ed25519 device identity (nodes, paired apps and browsers in the tests).
inline std::shared_ptr<const simpleclaw::nodes::DeviceKey> new_device_key() {
  return std::make_shared<const simpleclaw::nodes::DeviceKey>(
      simpleclaw::nodes::DeviceKey::generate());
}
// Config that turns loopback auto-pairing off: every device waits for approval.
inline constexpr const char* kNoAutoPair = "nodes:\n  auto_approve_loopback: false\n";

inline StartOptions with_config(std::string yaml) {
  StartOptions o;
  o.config_yaml = std::move(yaml);
  return o;
}

class GatewayProcess {
 public:
  // Starts the gateway; on failure records a gtest failure (with the child's stderr) and
  // returns nullptr.
  static std::unique_ptr<GatewayProcess> start(const StartOptions& opts = {});
  ~GatewayProcess();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  const Json& runtime() const { return runtime_; }  // gateway.json
  const std::string& dir() const { return dir_.path(); }
  const std::string& state_dir() const { return state_dir_; }
  const std::string& config_path() const { return config_path_; }
  std::string log_file() const { return state_dir_ + "/logs/gateway.log"; }
  std::string stderr_text() const;

  // Client options for this gateway (url, token, short timeout, admin scope).
  ClientOptions options() const;
  // connect + hello-ok; records a failure and returns nullptr when it fails.
  ClientPtr connect(const ClientOptions& o, Json* hello = nullptr) const;
  ClientPtr connect(Json* hello = nullptr) const { return connect(options(), hello); }

  void signal(int sig) const;
  // Waits for the child to exit: its exit code (128+N when killed by signal N), or
  // nullopt on timeout. Reaps it.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  // SIGTERM, SIGKILL after 5 s; reaps. Called by the destructor.
  void stop();

 private:
  GatewayProcess() = default;
  bool spawn(const StartOptions& opts);
  bool wait_ready(std::string* why);

  TempDir dir_;
  std::string state_dir_, config_path_, stdout_path_, stderr_path_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  bool expected_exit_ = false;  // the test waited for the exit itself
  int port_ = 0;
  std::string url_, token_;
  Json runtime_;
};

// Starts a gateway that is expected to fail at start-up (into `gw`, for its stderr) and
// waits for its exit: the exit code, or nullopt when it did not start or did not exit.
std::optional<int> start_and_wait_exit(std::unique_ptr<GatewayProcess>& gw, StartOptions o);

// Starts a gateway into `var` or fails the test (fatal).
#define START_GATEWAY(var, ...)                            \
  auto var = ::sctest::GatewayProcess::start(__VA_ARGS__); \
  ASSERT_NE(var, nullptr) << "gateway did not start"

// ---- reading frames

// Reads the next frame (or close). A timeout is an error result.
Result<Incoming> read_one(WsClient& c, int timeout_ms = kTimeoutMs);
// The first event named `name`: taken from c.events() (stashed by call()) if there, else
// read from the socket, keeping the other events in c.events(). nullopt on timeout or
// close.
std::optional<Json> wait_event(WsClient& c, const std::string& name, int timeout_ms = kTimeoutMs);
// The first event named `name` ("" = any event) for which `match(frame)` holds; every other frame
// read meanwhile (other events, other runs' events) stays in c.events() for later waits.
std::optional<Json> wait_event_if(WsClient& c, const std::string& name,
                                  const std::function<bool(const Json&)>& match, int timeout_ms);
// Reads until the server closes the socket; the close (closed=false on timeout). Frames
// read meanwhile are appended to `seen` when given.
Incoming wait_close(WsClient& c, int timeout_ms = kTimeoutMs, std::vector<Json>* seen = nullptr);

// Checks a refused connect: ok:false, INVALID_REQUEST, "unauthorized: ..." and the
// given details.code.
void expect_unauthorized(const Json& res, const std::string& detail_code);

// The result of `method`, or null after recording a failure with the error's message.
inline Json call_ok(WsClient& c, const std::string& method, const Json& params = nullptr) {
  auto r = c.call(method, params);
  EXPECT_TRUE(r.ok()) << method << " " << params.dump() << ": "
                      << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

// ---- raw handshakes

// WsClient::open + the connect.challenge frame; nullptr (and a failure) if either fails.
ClientPtr open_raw(const ClientOptions& o, Json* challenge = nullptr);
// The connect req a client would send, with `auth` and protocol range from the options.
Json connect_req(const ClientOptions& o, const std::string& id = "c1");
// open_raw + connect; the raw res frame (null on transport failure). The client stays
// open in *out when given.
Json handshake(const ClientOptions& o, ClientPtr* out = nullptr);

// ---- plain HTTP

struct HttpResponse {
  int status = 0;                              // 0: no (complete) answer
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  Json json() const { return Json::parse(body, nullptr, false); }
};
// One request on a fresh TCP connection (Connection: close unless extra_headers set a
// Connection header). status 0 on failure. headers_only: stop after the response head
// (for upgrades, which keep the socket open).
HttpResponse http_request(int port, const std::string& method, const std::string& target,
                          const std::vector<std::string>& extra_headers = {},
                          bool headers_only = false);

// Polls `pred` every 10 ms until true or the timeout.
bool eventually(const std::function<bool()>& pred, int timeout_ms = kTimeoutMs);

}  // namespace sctest
