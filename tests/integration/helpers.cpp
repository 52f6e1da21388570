#include "integration/helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/crypto.h"
#include "integration/http_conn.h"
#include "support/test_store.h"

#ifndef SIMPLECLAW_BIN
#error "SIMPLECLAW_BIN must be defined by tests/CMakeLists.txt"
#endif

namespace sctest {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string sha256_hex(const std::string& data) { return simpleclaw::sha256_hex(data); }

bool eventually(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// ------------------------------------------------------------------ TempDir

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/simpleclaw-it-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return;
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (path_.empty() || keep_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// ------------------------------------------------------------------ GatewayProcess

std::unique_ptr<GatewayProcess> GatewayProcess::start(const StartOptions& opts) {
  std::unique_ptr<GatewayProcess> g(new GatewayProcess);
  if (g->dir_.path().empty()) return nullptr;
  if (!g->spawn(opts)) return nullptr;
  if (!opts.wait_ready) return g;
  std::string why;
  if (!g->wait_ready(&why)) {
    ADD_FAILURE() << "gateway not ready: " << why << "\n--- gateway stderr ---\n"
                  << g->stderr_text();
    return nullptr;
  }
  return g;
}

bool GatewayProcess::spawn(const StartOptions& opts) {
  const std::string& dir = dir_.path();
  state_dir_ = opts.state_dir.empty() ? dir + "/state" : opts.state_dir;
  config_path_ = dir + "/config.yaml";
  stdout_path_ = dir + "/stdout.log";
  stderr_path_ = dir + "/stderr.log";
  // The cluster.pg.* copies of these tests (SIMPLECLAW_TEST_PG_ENV): the same gateway on
  // PostgreSQL, a fresh database per state directory (kept for a restart on the same one).
  std::string yaml = opts.config_yaml;
  if (yaml.find("\nstore:") == std::string::npos && !yaml.starts_with("store:") &&
      !simpleclaw::testing_support::state_pg_url(state_dir_).empty()) {
    if (!yaml.empty() && yaml.back() != '\n') yaml += '\n';
    yaml +=
        "store:\n  backend: postgres\n  postgres:\n    url_file: " + state_dir_ + "/test-pg-url\n";
  }
  if (!yaml.empty()) {
    write_text(config_path_, yaml);
    if (testing::Test::HasFatalFailure()) return false;
  }
  token_ = opts.token;

  std::vector<std::string> args = {SIMPLECLAW_BIN, "gateway",  "--state-dir",
                                   state_dir_,     "--config", config_path_};
  if (opts.port_zero) {
    args.push_back("--port");
    args.push_back("0");
  }
  args.insert(args.end(), opts.args.begin(), opts.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec (the parent is single-threaded, but
    // stay careful anyway).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Do not leak the test's sockets (other clients, a port-holding socket) into the child.
    ::close_range(3, ~0U, 0);
    for (const char* v :
         {"SIMPLECLAW_GATEWAY_TOKEN", "SIMPLECLAW_GATEWAY_PASSWORD", "SIMPLECLAW_PORT",
          "SIMPLECLAW_CONFIG", "SIMPLECLAW_HOME", "OPENAI_API_KEY", "OPENAI_BASE_URL",
          "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"})
      ::unsetenv(v);
    ::setenv("OLLAMA_HOST", kNoOllama, 1);  // opts.env may point it at a fake
    for (const auto& [k, v] : opts.env) {
      if (v.empty())
        ::unsetenv(k.c_str());
      else
        ::setenv(k.c_str(), v.c_str(), 1);
    }
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  return true;
}

bool GatewayProcess::wait_ready(std::string* why) {
  const std::string runtime_file = state_dir_ + "/gateway.json";
  auto deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    std::string text = read_text(runtime_file);
    if (!text.empty()) {
      Json j = Json::parse(text, nullptr, false);
      if (j.is_object() && j.value("pid", 0) == pid_ && j.value("port", 0) > 0) {
        runtime_ = j;
        port_ = j["port"].get<int>();
        url_ = j.value("url", "ws://127.0.0.1:" + std::to_string(port_));
        break;
      }
    }
    if (!running()) {
      *why = "exited with code " + std::to_string(exit_code_.value_or(-1)) + " before ready";
      return false;
    }
    if (Clock::now() >= deadline) {
      *why = "no " + runtime_file + " after 10 s";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (token_.empty()) {
    std::string t = read_text(state_dir_ + "/gateway.token");
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    token_ = t;
  }
  return true;
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && !exit_code_ && !running() && !expected_exit_) {
    ADD_FAILURE() << "the gateway exited on its own (code " << exit_code_.value_or(-1)
                  << ") before teardown\n--- gateway stderr ---\n"
                  << stderr_text();
  }
  stop();
  if (testing::Test::HasFailure()) {
    std::string err = stderr_text();
    if (err.size() > 6000) err = "...\n" + err.substr(err.size() - 6000);
    std::cerr << "--- gateway stderr (" << dir_.path() << ") ---\n" << err << "---\n";
  }
}

std::string GatewayProcess::stderr_text() const { return read_text(stderr_path_); }

bool GatewayProcess::running() {
  if (pid_ <= 0 || exit_code_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    exit_code_ = -1;
  }
  return false;
}

std::optional<int> GatewayProcess::wait_exit(std::chrono::milliseconds timeout) {
  expected_exit_ = true;
  auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

void GatewayProcess::signal(int sig) const {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

void GatewayProcess::stop() {
  if (pid_ <= 0 || !running()) return;
  ::kill(pid_, SIGTERM);
  if (wait_exit(std::chrono::seconds(5))) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exit_code_ = 128 + SIGKILL;
}

ClientOptions GatewayProcess::options() const {
  ClientOptions o;
  o.url = url_;
  o.token = token_;
  o.timeout_ms = kTimeoutMs;
  o.client_id = "integration-test";
  return o;
}

ClientPtr GatewayProcess::connect(const ClientOptions& o, Json* hello) const {
  auto c = WsClient::connect(o, hello);
  if (!c.ok()) {
    ADD_FAILURE() << "connect to " << o.url << " failed: " << c.error().message << " "
                  << c.error().details.dump();
    return nullptr;
  }
  return std::move(*c);
}

// ------------------------------------------------------------------ frames

Result<Incoming> read_one(WsClient& c, int timeout_ms) { return c.read(timeout_ms); }

std::optional<Json> wait_event(WsClient& c, const std::string& name, int timeout_ms) {
  return wait_event_if(
      c, name, [](const Json&) { return true; }, timeout_ms);
}

std::optional<Json> wait_event_if(WsClient& c, const std::string& name,
                                  const std::function<bool(const Json&)>& match, int timeout_ms) {
  auto is_it = [&](const Json& f) {
    return f.value("type", "") == "event" && (name.empty() || f.value("event", "") == name) &&
           match(f);
  };
  auto& stash = c.events();
  for (auto it = stash.begin(); it != stash.end(); ++it) {
    if (is_it(*it)) {
      Json e = std::move(*it);
      stash.erase(it);
      return e;
    }
  }
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto in = c.read(static_cast<int>(left.count()));
    if (!in.ok() || in->closed) return std::nullopt;
    if (is_it(in->frame)) return std::move(in->frame);
    stash.push_back(std::move(in->frame));
  }
}

Incoming wait_close(WsClient& c, int timeout_ms, std::vector<Json>* seen) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Incoming{};
    auto in = c.read(static_cast<int>(left.count()));
    if (!in.ok()) {
      // A timeout, or an undecodable frame: only the former ends the wait.
      if (in.error().message.find("timed out") != std::string::npos) return Incoming{};
      continue;
    }
    if (in->closed) return *in;
    if (seen) seen->push_back(std::move(in->frame));
  }
}

// ------------------------------------------------------------------ handshakes

void expect_unauthorized(const Json& res, const std::string& detail_code) {
  EXPECT_EQ(res["ok"], false) << res.dump();
  EXPECT_EQ(res["error"]["code"], "INVALID_REQUEST") << res.dump();
  EXPECT_EQ(res["error"].value("message", "").rfind("unauthorized: ", 0), 0u) << res.dump();
  EXPECT_EQ(res["error"]["details"]["code"], detail_code) << res.dump();
}

ClientPtr open_raw(const ClientOptions& o, Json* challenge) {
  auto c = WsClient::open(o);
  if (!c.ok()) {
    ADD_FAILURE() << "open " << o.url << " failed: " << c.error().message;
    return nullptr;
  }
  auto first = (*c)->read(kTimeoutMs);
  if (!first.ok() || first->closed) {
    ADD_FAILURE() << "no connect.challenge: "
                  << (first.ok() ? "closed " + std::to_string(first->close_code)
                                 : first.error().message);
    return nullptr;
  }
  if (challenge) *challenge = first->frame;
  return std::move(*c);
}

Json connect_req(const ClientOptions& o, const std::string& id) {
  Json auth = Json::object();
  if (!o.token.empty()) auth["token"] = o.token;
  if (!o.password.empty()) auth["password"] = o.password;
  return Json{{"type", "req"},
              {"id", id},
              {"method", "connect"},
              {"params",
               {{"minProtocol", o.min_protocol},
                {"maxProtocol", o.max_protocol},
                {"client",
                 {{"id", o.client_id},
                  {"version", "1.0.0"},
                  {"platform", "linux"},
                  {"mode", o.client_mode}}},
                {"role", o.role},
                {"scopes", o.scopes},
                {"auth", auth}}}};
}

Json handshake(const ClientOptions& o, ClientPtr* out) {
  Json challenge;
  ClientPtr c = open_raw(o, &challenge);
  if (!c) return nullptr;
  auto res = c->send_connect(challenge["payload"].value("nonce", ""));
  Json frame = res.ok() ? *res : Json();
  if (!res.ok()) ADD_FAILURE() << "no connect res: " << res.error().message;
  if (out) *out = std::move(c);
  return frame;
}

// ------------------------------------------------------------------ HTTP

HttpResponse http_request(int port, const std::string& method, const std::string& target,
                          const std::vector<std::string>& extra_headers, bool headers_only) {
  std::vector<std::string> headers = extra_headers;
  bool has_connection = false;
  for (const auto& h : headers) has_connection |= h.rfind("Connection:", 0) == 0;
  if (!has_connection) headers.push_back("Connection: close");
  HttpConn c(port);
  if (!c.send(method, target, {}, headers)) return {};
  return c.read_to_close(headers_only);
}

std::optional<int> start_and_wait_exit(std::unique_ptr<GatewayProcess>& gw, StartOptions o) {
  o.wait_ready = false;
  gw = GatewayProcess::start(o);
  if (!gw) return std::nullopt;
  return gw->wait_exit(std::chrono::seconds(10));
}

}  // namespace sctest
