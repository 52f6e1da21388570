// The checks of `simpleclaw doctor` (see doctor_checks.h). Each only reads (config,
// modes, databases opened read-only) or probes (a bind() test, a plain GET to each
// provider without any credential), and never puts a secret value in its text.
#include "cli/doctor_checks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "base/env.h"
#include "base/fs.h"
#include "channels/account_settings.h"
#include "cluster/bus.h"
#include "config/config.h"
#include "gateway/runtime.h"
#include "gateway/server/server.h"
#include "net/http_client.h"
#include "plugins/builtin.h"
#include "providers/ollama_tags.h"
#include "sessions/store.h"
#include "store/db.h"

namespace simpleclaw::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMinExposedToken = 32;  // same bar as the gateway's start-up warning
constexpr std::size_t kMaxProbes = 32;        // providers probed per run
constexpr std::size_t kMaxDatabases = 16;     // *.db files checked in the state dir

std::string mode_text(mode_t m) {
  char buf[8];
  snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

const Json* at(const Json& doc, std::initializer_list<const char*> path) {
  const Json* cur = &doc;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}
std::string str_at(const Json& doc, std::initializer_list<const char*> path, std::string def) {
  const Json* v = at(doc, path);
  return v && v->is_string() ? v->get<std::string>() : def;
}

}  // namespace

DoctorContext load_doctor_context(const DoctorOptions& o) {
  DoctorContext c;
  c.state_dir = gateway::resolve_state_dir(o.state_dir);
  c.config_path = gateway::resolve_config_path(o.config_path, c.state_dir);
  c.file = config::read_state(c.config_path);
  if (c.file.error.empty()) {
    c.parsed = config::parse(c.file.raw);
    c.config_ok = c.parsed.ok();
    if (c.config_ok) {
      c.doc = c.parsed.config.doc;
    } else if (auto raw = config::yaml_to_json(c.file.raw); raw.ok() && raw->is_object()) {
      c.doc = *raw;  // unvalidated, for the exposure and channel checks
    }
  }
  if (c.config_ok) {
    c.port = c.parsed.config.gateway.port;
    c.bind = c.parsed.config.gateway.bind;
  } else if (c.doc.is_object()) {
    if (const Json* p = at(c.doc, {"gateway", "port"}); p && p->is_number_integer())
      c.port = p->get<int>();
    c.bind = str_at(c.doc, {"gateway", "bind"}, "loopback");
  }
  if (std::string p = env_var("SIMPLECLAW_PORT"); !p.empty()) c.port = std::atoi(p.c_str());
  if (o.port >= 0) c.port = o.port;

  // A running gateway holds <state>/gateway.lock (base/fs DirLock). Probing takes the lock
  // for an instant when nobody holds it; never create the file (doctor only reads).
  std::string lock_path = c.state_dir + "/gateway.lock";
  if (::access(lock_path.c_str(), F_OK) == 0) {
    auto lock = DirLock::acquire(lock_path);
    if (!lock.ok() && lock.error().is_conflict()) {
      c.running = true;
      const std::string& m = lock.error().message;
      std::size_t p = m.find("pid ");
      c.running_pid = p == std::string::npos ? "unknown" : m.substr(p + 4, m.find(')', p) - p - 4);
      Json j = read_runtime_file(c.state_dir);
      if (j.contains("port") && j["port"].is_number_integer())
        c.running_port = j["port"].get<int>();
      if (j.contains("url") && j["url"].is_string()) c.running_url = j["url"].get<std::string>();
    }
  }
  return c;
}

Check check_config(const DoctorContext& c) {
  Check k{"config", CheckStatus::kOk, "config", "", ""};
  if (!c.file.error.empty()) {
    k.status = CheckStatus::kFail;
    k.detail = "cannot read " + c.config_path + ": " + c.file.error;
    k.fix = "make the file readable by this user (chmod 600 " + c.config_path + ")";
    return k;
  }
  if (!c.file.exists) {
    k.detail = "no " + c.config_path + "; the embedded default config is used";
    return k;
  }
  if (c.config_ok && !c.parsed.migrated.empty()) {
    // Valid, but only through migrations: say what the gateway reads instead.
    k.status = CheckStatus::kWarn;
    k.detail = c.config_path + " is config version " + std::to_string(c.parsed.file_version) +
               "; this build reads it with " + std::to_string(c.parsed.migrated.size()) + " key" +
               (c.parsed.migrated.size() == 1 ? "" : "s") + " migrated in memory:";
    for (const auto& m : c.parsed.migrated) k.detail += "\n  " + m.message;
    k.fix = "`simpleclaw doctor --fix` shows the change to the file and writes it";
    return k;
  }
  if (c.config_ok) {
    k.detail = c.config_path + " is valid";
    return k;
  }
  k.status = CheckStatus::kFail;
  k.detail = c.config_path + " is invalid (" + std::to_string(c.parsed.issues.size()) + " problem" +
             (c.parsed.issues.size() == 1 ? "" : "s") + "):";
  std::size_t shown = 0;
  for (const auto& i : c.parsed.issues) {
    if (++shown > 10) {
      k.detail += "\n  ... and " + std::to_string(c.parsed.issues.size() - 10) + " more";
      break;
    }
    k.detail += "\n  " + i.to_string();
  }
  k.fix = "edit " + c.config_path +
          " at the lines named above, then re-check with "
          "`simpleclaw config validate " +
          c.config_path + "`";
  // What the gateway does meanwhile (gateway/config_apply.h: kLastGoodConfig).
  const std::string lkg = c.state_dir + "/config.last-good.yaml";
  if (::access(lkg.c_str(), R_OK) == 0)
    k.detail += "\n  the gateway runs DEGRADED on the last-known-good copy " + lkg +
                " until this file is fixed (then SIGHUP or `simpleclaw gateway restart`)";
  else
    k.detail +=
        "\n  the gateway will not start on it (no last-known-good copy in " + c.state_dir + ")";
  return k;
}

Check check_state_dir(const DoctorContext& c) {
  Check k{"state-dir", CheckStatus::kOk, "state directory", "", ""};
  struct stat st {};
  if (::stat(c.state_dir.c_str(), &st) != 0) {
    k.detail = c.state_dir + " does not exist yet; the gateway creates it (mode 0700) at start";
    return k;
  }
  if (!S_ISDIR(st.st_mode)) {
    k.status = CheckStatus::kFail;
    k.detail = c.state_dir + " is not a directory";
    k.fix = "move it away or point --state-dir / SIMPLECLAW_HOME at a directory";
    return k;
  }
  if (st.st_uid != ::geteuid()) {
    k.status = CheckStatus::kWarn;
    k.detail = c.state_dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to you (uid " +
               std::to_string(::geteuid()) + ")";
    k.fix = "run doctor and the gateway as the directory's owner, or chown it";
    return k;
  }
  if (st.st_mode & 077) {
    k.status = CheckStatus::kFail;
    k.detail = c.state_dir + " has mode " + mode_text(st.st_mode) +
               ": other users can read the sessions, logs and credentials in it";
    k.fix = "chmod 700 " + c.state_dir;
    return k;
  }
  k.detail = c.state_dir + " (mode " + mode_text(st.st_mode) + ")";
  return k;
}

namespace {

// True when the config text holds a secret itself (token, password, api_key, ... with a
// literal value rather than a ${ENV} reference).
bool holds_literal_secret(const Json& v, int depth = 0) {
  if (depth > 32) return false;
  if (v.is_object()) {
    for (const auto& [key, val] : v.items()) {
      if (config::is_secret_key(key) && val.is_string() &&
          !val.get_ref<const std::string&>().empty() &&
          val.get_ref<const std::string&>().find("${") == std::string::npos)
        return true;
      if (holds_literal_secret(val, depth + 1)) return true;
    }
  } else if (v.is_array()) {
    for (const auto& e : v)
      if (holds_literal_secret(e, depth + 1)) return true;
  }
  return false;
}

}  // namespace

Check check_secret_files(const DoctorContext& c) {
  Check k{"secret-files", CheckStatus::kOk, "secret file modes", "", ""};
  std::vector<std::string> files{c.state_dir + "/gateway.token", c.state_dir + "/tls/key.pem"};
  bool config_secret = false;
  if (c.file.exists) {
    auto raw = config::yaml_to_json(c.file.raw);
    config_secret = raw.ok() && holds_literal_secret(*raw);
    files.push_back(c.config_path);
  }
  std::vector<std::string> bad, fixes, seen;
  bool warn_only = true;
  for (const auto& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) continue;
    seen.push_back(f);
    if (st.st_mode & 077) {
      // A config without secrets in it (only ${ENV} references) is merely untidy.
      bool secret = f != c.config_path || config_secret;
      if (secret) warn_only = false;
      bad.push_back(
          f + " has mode " + mode_text(st.st_mode) + " (readable by other users" +
          (f == c.config_path ? secret ? "; it holds secrets" : "; no literal secret in it" : "") +
          ")");
      fixes.push_back("chmod 600 " + f);
    }
  }
  if (!bad.empty()) {
    k.status = warn_only ? CheckStatus::kWarn : CheckStatus::kFail;
    for (std::size_t i = 0; i < bad.size(); ++i) k.detail += (i ? "; " : "") + bad[i];
    for (std::size_t i = 0; i < fixes.size(); ++i) k.fix += (i ? " && " : "") + fixes[i];
    return k;
  }
  k.detail = seen.empty() ? "no token, key or config file yet"
                          : std::to_string(seen.size()) + " file(s) private (0600 or stricter)";
  return k;
}

Check check_gateway(const DoctorContext& c) {
  Check k{"gateway", CheckStatus::kOk, "running gateway", "", ""};
  if (c.running) {
    k.detail = "a gateway is running on this state dir, pid " + c.running_pid +
               (c.running_url.empty() ? "" : ", " + c.running_url);
  } else {
    k.detail = "no gateway is running on this state dir";
  }
  return k;
}

namespace {

// 0 free, else errno of bind().
int try_bind(const std::string& host, int port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  if (host.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return EINVAL;
    family = AF_INET6;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) return EINVAL;
    len = sizeof *a;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the server does
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 ? 0 : errno;
  if (rc == 0 && ::listen(fd, 1) != 0) rc = errno;
  ::close(fd);
  return rc;
}

// "" when the port is free on every host the bind setting means; else why not.
std::string port_problem(const std::string& bind, int port, bool* in_use) {
  *in_use = false;
  std::vector<std::string> hosts = gateway::bind_hosts(bind);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    int err = try_bind(hosts[i], port);
    if (err == 0) continue;
    // A machine without IPv6: the second loopback/any address is optional, as in the server.
    if (i > 0 && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)) continue;
    if (err == EADDRINUSE) {
      *in_use = true;
      return "port " + std::to_string(port) + " on " + hosts[i] + " is in use by another program";
    }
    return "cannot listen on " + hosts[i] + " port " + std::to_string(port) + ": " +
           std::strerror(err);
  }
  return "";
}

}  // namespace

Check check_port(const DoctorContext& c) {
  Check k{"port", CheckStatus::kOk, "port", "", ""};
  std::string p = std::to_string(c.port);
  if (c.port == 0) {
    k.detail = "port 0: any free port is picked at start";
    return k;
  }
  if (c.port < 0 || c.port > 65535) {
    k.status = CheckStatus::kFail;
    k.detail = "port " + p + " is out of range";
    k.fix = "set gateway.port to 1-65535";
    return k;
  }
  if (c.running && c.running_port == c.port) {
    k.detail = "port " + p + " is in use by the running gateway (pid " + c.running_pid + ")";
    return k;
  }
  bool in_use = false;
  std::string why = port_problem(c.bind, c.port, &in_use);
  if (why.empty()) {
    k.detail = "port " + p + " is free on " + c.bind +
               (c.running ? " (the running gateway, pid " + c.running_pid + ", uses port " +
                                std::to_string(c.running_port) + ")"
                          : "");
    return k;
  }
  // The running gateway listens elsewhere (a --port override): the configured port only
  // matters at the next start without that override.
  k.status = c.running ? CheckStatus::kWarn : CheckStatus::kFail;
  k.detail = why;
  if (in_use)
    k.fix = "find the program with `ss -ltnp 'sport = :" + p +
            "'` and stop it, or use another "
            "port: `simpleclaw config set gateway.port <port>` (or --port / SIMPLECLAW_PORT)";
  else
    k.fix = "check gateway.bind (" + c.bind + "): the address must belong to this machine";
  return k;
}

Check check_exposure(const DoctorContext& c) {
  Check k{"exposure", CheckStatus::kOk, "network exposure", "", ""};
  if (c.doc.is_null()) {
    k.status = CheckStatus::kWarn;
    k.detail = "not checked: the config cannot be read";
    k.fix = "fix the config first (see the config check)";
    return k;
  }
  std::string mode = str_at(c.doc, {"gateway", "auth", "mode"}, "token");
  const Json* tls_v = at(c.doc, {"gateway", "tls", "enabled"});
  bool tls = tls_v && tls_v->is_boolean() && tls_v->get<bool>();
  bool loopback = config::is_loopback_bind(c.bind);
  if (loopback) {
    if (mode == "none") {
      k.status = CheckStatus::kWarn;
      k.detail = "bind " + c.bind +
                 " with auth mode none: every local user and program can "
                 "control the gateway";
      k.fix = "simpleclaw config set gateway.auth.mode token";
      return k;
    }
    k.detail = "bound to loopback only (" + c.bind + "), auth " + mode;
    return k;
  }
  if (mode == "none") {
    k.status = CheckStatus::kFail;
    k.detail = "bind " + c.bind +
               " with auth mode none: anyone on the network could control "
               "the gateway (it refuses to start like this)";
    k.fix = "set gateway.bind: loopback, or gateway.auth.mode: token";
    return k;
  }
  std::vector<std::string> fails, warns, fixes;
  if (mode == "token") {
    std::string token = str_at(c.doc, {"gateway", "auth", "token"}, "");
    std::string source = "gateway.auth.token in " + c.config_path;
    if (token.empty()) {
      token = env_var("SIMPLECLAW_GATEWAY_TOKEN");
      source = "SIMPLECLAW_GATEWAY_TOKEN";
    }
    if (token.empty()) {
      source = c.state_dir + "/gateway.token";
      if (auto f = read_file(source); f.ok()) {
        token = *f;
        while (!token.empty() &&
               (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
          token.pop_back();
      }
    }
    if (!token.empty() && token.size() < kMinExposedToken) {
      fails.push_back("the token (" + source + ") is only " + std::to_string(token.size()) +
                      " characters on a network-reachable bind");
      fixes.push_back("use a token of at least " + std::to_string(kMinExposedToken) +
                      " characters: `simpleclaw config set gateway.auth.token \"$(openssl rand "
                      "-base64 32)\"`, or remove it so a 256-bit one is generated");
    }
  } else if (mode == "password") {
    std::string pw = str_at(c.doc, {"gateway", "auth", "password"}, "");
    if (pw.size() < 16) {
      fails.push_back("the password is shorter than 16 characters on a network-reachable bind");
      fixes.push_back("set a long random gateway.auth.password, or use auth mode token");
    }
  }
  if (!tls) {
    warns.push_back(
        "TLS is off: the credential and every message cross the network in clear "
        "text");
    fixes.push_back("simpleclaw config set gateway.tls.enabled true (a certificate is generated)");
  }
  k.detail = "bind " + c.bind + " is reachable from the network";
  for (const auto& f : fails) k.detail += "; " + f;
  for (const auto& w : warns) k.detail += "; " + w;
  for (std::size_t i = 0; i < fixes.size(); ++i) k.fix += (i ? "; " : "") + fixes[i];
  k.status = !fails.empty() ? CheckStatus::kFail : CheckStatus::kWarn;
  if (fails.empty() && warns.empty())
    k.fix =
        "use bind: loopback unless clients on other "
        "machines need it";
  return k;
}

namespace {

// The implicit local Ollama (config/implicit_providers.h): GET <url>/api/tags, as the
// gateway does at start. Its check is appended to `out` and completed when `io` runs.
// `needed`: no other provider exists, so a missing Ollama is a warning.
void probe_local_ollama(boost::asio::io_context& io, const std::string& url, int timeout_ms,
                        bool needed, std::vector<Check>& out,
                        std::vector<std::shared_ptr<net::HttpCall>>& calls) {
  out.push_back({"provider:ollama", CheckStatus::kOk, "provider ollama",
                 "implicit, Ollama at " + url + ": ", ""});
  std::size_t idx = out.size() - 1;
  net::HttpRequest req;
  req.method = "GET";
  req.url = url + "/api/tags";
  net::HttpOptions opts;
  auto ms = std::chrono::milliseconds(timeout_ms);
  opts.connect_timeout = opts.first_byte_timeout = opts.idle_timeout = opts.total_timeout = ms;
  auto status = std::make_shared<int>(0);
  auto body = std::make_shared<std::string>();
  net::HttpCallbacks cb;
  cb.on_head = [status](const net::HttpHead& h) { *status = h.status; };
  cb.on_body = [body](std::string_view b) {
    if (body->size() + b.size() <= providers::kMaxModelListBody) body->append(b);
  };
  cb.on_done = [&out, idx, status, body, needed](const net::HttpError* e) {
    Check& k = out[idx];
    auto models = *status == 200 ? providers::parse_ollama_tags(*body)
                                 : Result<std::vector<config::ModelEntry>>(Error::invalid(""));
    if (models.ok() && !models->empty()) {
      std::string names;
      for (std::size_t i = 0; i < models->size() && i < 5; ++i)
        names += (i ? ", " : "") + (*models)[i].id;
      k.detail += std::to_string(models->size()) + " model(s) (" + names +
                  (models->size() > 5 ? ", ..." : "") + ")";
      return;
    }
    k.status = needed ? CheckStatus::kWarn : CheckStatus::kOk;
    if (models.ok()) {
      k.detail += "answers, but has no model";
      k.fix = "pull one: ollama pull llama3.2";
    } else {
      k.detail += "not found (" +
                  (e         ? e->message
                   : *status ? "HTTP " + std::to_string(*status)
                             : std::string("no answer")) +
                  ")";
      k.fix =
          "start Ollama (ollama serve) or point OLLAMA_HOST at it; not needed when another "
          "provider answers";
    }
  };
  calls.push_back(net::http_start(io, std::move(req), opts, std::move(cb)));
}

}  // namespace

std::vector<Check> check_providers(const DoctorContext& c, int timeout_ms) {
  std::vector<Check> out;
  if (!c.config_ok) {
    out.push_back({"providers", CheckStatus::kWarn, "model providers",
                   "not checked: the config is "
                   "invalid",
                   "fix the config first (see the config check)"});
    return out;
  }
  const config::ModelsConfig& models = c.parsed.config.models;
  const auto& providers = models.providers;
  const std::string& ollama_url = models.ollama_probe_url;  // set: implicit providers in use
  if (providers.empty() && ollama_url.empty()) {
    out.push_back({"providers", CheckStatus::kWarn, "model providers",
                   "no model provider is configured: agents cannot answer",
                   "run `simpleclaw onboard`, or add one under models.providers (see the "
                   "README, \"Configuration\")"});
    return out;
  }
  if (!ollama_url.empty())
    out.push_back({"models", CheckStatus::kOk, "models",
                   "no provider configured: implicit providers from the environment "
                   "(OPENAI_API_KEY, ANTHROPIC_API_KEY, a local Ollama); default " +
                       (models.default_model.empty() ? std::string("ollama/<first model found>")
                                                     : models.default_model),
                   ""});
  boost::asio::io_context io;
  struct Probe {
    std::size_t index;
    std::string where;
  };
  std::vector<std::shared_ptr<net::HttpCall>> calls;
  for (std::size_t i = 0; i < providers.size(); ++i) {
    const auto& p = providers[i];
    Check k{"provider:" + p.name, CheckStatus::kOk, "provider " + p.name, "", ""};
    // Where it came from, never the key: "implicit, from OPENAI_API_KEY".
    std::string origin = p.implicit_from.empty() ? "" : "implicit, from " + p.implicit_from + "; ";
    if (i >= kMaxProbes) {
      k.detail = "not probed (only the first " + std::to_string(kMaxProbes) + " are)";
      out.push_back(k);
      continue;
    }
    if (!p.plugin.empty()) {
      k.detail = "served by plugin " + p.plugin + " (not probed)";
      out.push_back(k);
      continue;
    }
    const sdk::ProviderExtension* ext = plugins::builtin_registry().provider(p.api);
    std::string base = !p.base_url.empty() ? p.base_url
                       : ext               ? std::string(ext->wire->default_base_url())
                                           : std::string();
    net::Url url = net::parse_url(base);
    if (!url.ok) {
      k.status = CheckStatus::kFail;
      k.detail = "base_url is not a valid http(s) URL: " + url.error;
      k.fix = "fix models.providers." + p.name + ".base_url";
      out.push_back(k);
      continue;
    }
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    k.detail = origin + (url.https ? "https://" : "http://") + host + ":" + url.port;
    out.push_back(k);
    // A plain GET of the base URL, no API key or custom header: any HTTP answer (401 and
    // 404 included) proves the endpoint is reachable.
    net::HttpRequest req;
    req.method = "GET";
    req.url = base;
    net::HttpOptions opts;
    auto ms = std::chrono::milliseconds(timeout_ms);
    opts.connect_timeout = opts.first_byte_timeout = opts.idle_timeout = opts.total_timeout = ms;
    std::size_t idx = out.size() - 1;
    net::HttpCallbacks cb;
    auto status = std::make_shared<int>(0);
    cb.on_head = [status](const net::HttpHead& h) { *status = h.status; };
    // An implicit provider's URL comes from OPENAI_BASE_URL / ANTHROPIC_BASE_URL.
    std::string url_key = p.implicit_from.empty() ? "models.providers." + p.name + ".base_url"
                          : p.api == "anthropic"  ? std::string("ANTHROPIC_BASE_URL")
                                                  : std::string("OPENAI_BASE_URL");
    cb.on_done = [&out, idx, status, url_key](const net::HttpError* e) {
      Check& k = out[idx];
      if (*status > 0) {
        k.detail += " answered (HTTP " + std::to_string(*status) + ")";
        return;
      }
      k.status = CheckStatus::kWarn;
      k.detail += " is unreachable: " + (e ? e->message : std::string("no response"));
      k.fix = "check the network/proxy (https_proxy) and " + url_key +
              "; replies fail until the provider is reachable";
    };
    calls.push_back(net::http_start(io, std::move(req), opts, std::move(cb)));
  }
  if (!ollama_url.empty())
    probe_local_ollama(io, ollama_url, timeout_ms, providers.empty(), out, calls);
  io.run();
  if (!ollama_url.empty() && providers.empty() &&
      std::none_of(out.begin(), out.end(), [](const Check& k) {
        return k.id == "provider:ollama" && k.status == CheckStatus::kOk;
      }))
    out.push_back({"providers", CheckStatus::kWarn, "model providers",
                   "no model provider: none configured, OPENAI_API_KEY and ANTHROPIC_API_KEY "
                   "are not set and no Ollama answered: agents cannot answer",
                   "run `simpleclaw onboard`, or export OPENAI_API_KEY (or ANTHROPIC_API_KEY) "
                   "where the gateway runs, or start Ollama (OLLAMA_HOST), or add a provider "
                   "under models.providers"});
  return out;
}

namespace {

// The keys each built-in connector cannot start without. Plugin channels: not known here.
std::vector<std::string> required_keys(const std::string& channel) {
  if (channel == "telegram" || channel == "discord") return {"token"};
  if (channel == "slack") return {"bot_token", "app_token"};
  if (channel == "irc") return {"server", "nick"};
  return {};
}

}  // namespace

std::vector<Check> check_channels(const DoctorContext& c) {
  std::vector<Check> out;
  const Json* section = c.doc.is_object() ? at(c.doc, {"channels"}) : nullptr;
  if (!section || !section->is_object() || section->empty()) {
    out.push_back({"channels", CheckStatus::kOk, "channels", "no channel configured", ""});
    return out;
  }
  for (const auto& a : channels::parse_accounts(*section)) {
    std::string key = a.channel + "/" + a.account_id;
    Check k{"channel:" + key, CheckStatus::kOk, "channel " + key, "", ""};
    std::string prefix =
        "channels." + a.channel + (a.account_id == "default" ? "" : ".accounts." + a.account_id);
    if (!a.enabled) {
      k.detail = "disabled";
      out.push_back(k);
      continue;
    }
    bool builtin = a.channel == "telegram" || a.channel == "discord" || a.channel == "slack" ||
                   a.channel == "irc" || a.channel == "webchat";
    if (!builtin) {
      k.detail = "plugin channel: its credentials are checked by the plugin at start";
      out.push_back(k);
      continue;
    }
    std::vector<std::string> missing;
    for (const auto& req : required_keys(a.channel)) {
      auto it = a.raw.find(req);
      bool present =
          it != a.raw.end() &&
          ((it->is_string() && !it->get_ref<const std::string&>().empty()) || it->is_number());
      if (!present) missing.push_back(prefix + "." + req);
    }
    if (missing.empty()) {
      k.detail = "credentials present";  // never their values
    } else {
      k.status = CheckStatus::kFail;
      k.detail = "missing or empty: ";
      for (std::size_t i = 0; i < missing.size(); ++i) k.detail += (i ? ", " : "") + missing[i];
      k.fix = "set " + missing[0] +
              " (preferably as ${ENV_VAR} so the secret stays out of the "
              "file), or set " +
              prefix + ".enabled: false";
    }
    out.push_back(k);
  }
  return out;
}

std::vector<Check> check_databases(const DoctorContext& c) {
  std::vector<std::string> dbs{c.state_dir + "/sessions.db"};
  std::error_code ec;
  for (fs::directory_iterator it(c.state_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (dbs.size() >= kMaxDatabases) break;
    std::string p = it->path().string();
    if (it->path().extension() == ".db" && p != dbs[0] && it->is_regular_file(ec)) dbs.push_back(p);
  }
  std::vector<Check> out;
  for (const auto& path : dbs) {
    std::string name = fs::path(path).filename().string();
    Check k{"db:" + name, CheckStatus::kOk, "database " + name, "", ""};
    if (!fs::exists(path, ec)) {
      k.detail = path + " not created yet (the gateway creates it at start)";
      out.push_back(k);
      continue;
    }
    std::string fix = "stop the gateway, keep a copy, then recover the data: `sqlite3 " + path +
                      " .recover | sqlite3 " + path +
                      ".recovered` and move that into place; or "
                      "move the file aside (mv " +
                      path + " " + path +
                      ".corrupt) so a new, "
                      "empty one is created at start";
    sqlite3* db = nullptr;
    std::vector<std::string> problems;
    int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      problems.push_back(db ? sqlite3_errmsg(db) : "cannot open");
    } else {
      sqlite3_busy_timeout(db, 3000);
      sqlite3_stmt* st = nullptr;
      rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(5)", -1, &st, nullptr);
      if (rc != SQLITE_OK) {
        problems.push_back(sqlite3_errmsg(db));
      } else {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
          const unsigned char* t = sqlite3_column_text(st, 0);
          std::string row = t ? reinterpret_cast<const char*>(t) : "";
          // The first message starts with "*** in database main ***\n"; one line each.
          if (row.rfind("*** in database", 0) == 0 && row.find('\n') != std::string::npos)
            row.erase(0, row.find('\n') + 1);
          std::replace(row.begin(), row.end(), '\n', ' ');
          if (row.size() > 300) row.resize(300);
          if (row != "ok") problems.push_back(row);
        }
        if (rc != SQLITE_DONE) problems.push_back(sqlite3_errmsg(db));
        sqlite3_finalize(st);
      }
    }
    sqlite3_close(db);
    if (problems.empty()) {
      k.detail = path + ": integrity ok";
    } else {
      k.status = CheckStatus::kFail;
      k.detail = path + " is damaged: " + problems[0];
      if (problems.size() > 1) k.detail += " (+" + std::to_string(problems.size() - 1) + " more)";
      k.fix = fix;
    }
    out.push_back(k);
  }
  return out;
}

Check check_postgres(const DoctorContext& c) {
  Check k{"db:postgres", CheckStatus::kOk, "PostgreSQL store", "", ""};
  const config::StoreConfig& s = c.parsed.config.store;
  auto url = config::postgres_url(s);
  if (!url.ok()) {
    k.status = CheckStatus::kFail;
    k.detail = url.error().message;
    k.fix = "set store.postgres.url (e.g. ${SIMPLECLAW_PG_URL}) or a readable url_file";
    return k;
  }
  auto db = store::Db::open_postgres(*url);
  if (!db.ok()) {
    k.status = CheckStatus::kFail;
    k.detail = db.error().message;  // names the server, never the password
    k.fix = "start PostgreSQL or fix store.postgres.url (host, port, database, user, password)";
    return k;
  }
  // Read only: doctor never migrates (the gateway does at start, under its lock).
  auto st = db->prepare("SELECT version FROM simpleclaw_schema");
  std::int64_t version = 0;
  if (st.ok()) {
    auto row = st->step();
    if (row.ok() && *row) version = st->int64(0);
  }
  const int latest = sessions::SessionStore::latest_schema_version();
  const std::string where = db->path();
  if (version > latest) {
    k.status = CheckStatus::kFail;
    k.detail = where + ": schema version " + std::to_string(version) +
               ", newer than this simpleclaw supports (" + std::to_string(latest) + ")";
    k.fix = "upgrade simpleclaw to the version the other gateways on this database run";
  } else if (version < latest) {
    k.status = CheckStatus::kWarn;
    k.detail = where + ": reachable, schema version " + std::to_string(version) + " of " +
               std::to_string(latest) + (version == 0 ? " (empty database)" : "");
    k.fix = "nothing to do: the gateway creates or migrates the schema at start";
  } else {
    k.detail = where + ": reachable, schema version " + std::to_string(version) + " (current)";
  }
  return k;
}

Check check_nats(const DoctorContext& c) {
  const config::ClusterConfig& cl = c.parsed.config.cluster;
  Check k{"cluster:nats", CheckStatus::kOk, "NATS (cluster " + cl.name + ")", "", ""};
  const std::string where = cluster::shown_url(cl.nats.url);
  auto password = config::nats_password(cl.nats);
  if (!password.ok()) {
    k.status = CheckStatus::kFail;
    k.detail = password.error().message;
    k.fix = "make cluster.nats.password_file readable, or set cluster.nats.password";
    return k;
  }
  boost::asio::io_context io;
  auto bus = cluster::Bus::connect(
      io, cluster::BusOptions{cl.nats.url, cl.nats.user, *password, cl.name, "doctor", 250,
                              cl.nats.tls.ca, cl.nats.tls.cert, cl.nats.tls.key});
  if (!bus.ok()) {
    k.status = CheckStatus::kFail;
    k.detail = bus.error().message;  // names the server, never the password
    k.fix = bus.error().code == ErrorCode::kUnauthenticated
                ? "fix cluster.nats.user and password (they must match the NATS server's)"
                : "start nats-server or fix cluster.nats.url";
    return k;
  }
  // A server that does not answer yet is retried in the background: give it 3 s.
  for (int i = 0; i < 60 && !(*bus)->connected(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!(*bus)->connected()) {
    k.status = CheckStatus::kFail;
    k.detail = "cannot reach NATS at " + where;
    k.fix = "start nats-server or fix cluster.nats.url (host and port)";
    return k;
  }
  k.detail = where + ": connected" + (cl.nats.user.empty() ? "" : " as " + cl.nats.user) +
             " (subjects sc." + cl.name + ".*)";
  return k;
}

Check check_disk(const DoctorContext& c) {
  Check k{"disk", CheckStatus::kOk, "disk space", "", ""};
  fs::path p = c.state_dir;
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path())
    p = p.parent_path();
  struct statvfs vfs {};
  if (::statvfs(p.c_str(), &vfs) != 0) {
    k.status = CheckStatus::kWarn;
    k.detail = "cannot stat the file system of " + p.string() + ": " + std::strerror(errno);
    return k;
  }
  unsigned long long avail = static_cast<unsigned long long>(vfs.f_bavail) * vfs.f_frsize;
  return disk_check(p.string(), avail);
}

const char* status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::kOk:
      return "OK";
    case CheckStatus::kWarn:
      return "WARN";
    case CheckStatus::kFail:
      return "FAIL";
  }
  return "FAIL";
}

Check disk_check(const std::string& path, unsigned long long avail_bytes) {
  constexpr unsigned long long kMiB = 1024ull * 1024;
  Check k{"disk", CheckStatus::kOk, "disk space", "", ""};
  char buf[64];
  snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(avail_bytes) / (1024.0 * kMiB));
  if (avail_bytes < 1024 * kMiB) snprintf(buf, sizeof buf, "%llu MiB", avail_bytes / kMiB);
  k.detail = std::string(buf) + " free on the file system of " + path;
  if (avail_bytes < kDiskFailBytes) {
    k.status = CheckStatus::kFail;
    k.detail += ": the session database and logs cannot grow much longer";
  } else if (avail_bytes < kDiskWarnBytes) {
    k.status = CheckStatus::kWarn;
  }
  if (k.status != CheckStatus::kOk)
    k.fix = "free space on that file system (old logs: " + path +
            "/logs), or move the state dir to a larger one (--state-dir)";
  return k;
}

}  // namespace simpleclaw::cli
