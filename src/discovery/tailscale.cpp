#include "discovery/tailscale.h"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>

#include "proc/subprocess.h"

namespace simpleclaw::discovery {
namespace {

constexpr std::size_t kMaxIps = 16;
constexpr std::size_t kMaxName = 253;  // a DNS name

std::string string_field(const Json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>().substr(0, kMaxName);
}

bool is_ipv4(const std::string& ip) { return ip.find(':') == std::string::npos; }

}  // namespace

std::string TailscaleInfo::ipv4() const {
  for (const auto& ip : ips)
    if (is_ipv4(ip)) return ip;
  return "";
}

Json TailscaleInfo::to_json() const {
  Json j{{"state", state},
         {"backendState", backend_state},
         {"dnsName", dns_name},
         {"ips", ips},
         {"tailnet", tailnet}};
  if (!error.empty()) j["error"] = error;
  return j;
}

TailscaleInfo parse_tailscale_status(std::string_view json_text) {
  TailscaleInfo t;
  if (json_text.size() > kMaxTailscaleJson) {
    t.state = "error";
    t.error = "`tailscale status --json` printed more than 8 MiB";
    return t;
  }
  Json doc = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    t.state = "error";
    t.error = "`tailscale status --json` did not print a JSON object";
    return t;
  }
  t.backend_state = string_field(doc, "BackendState");
  const Json& self = doc.contains("Self") ? doc["Self"] : Json();
  t.dns_name = string_field(self, "DNSName");
  if (!t.dns_name.empty() && t.dns_name.back() == '.') t.dns_name.pop_back();
  auto add_ips = [&](const Json& obj) {
    if (!obj.is_object() || !obj.contains("TailscaleIPs") || !obj["TailscaleIPs"].is_array())
      return;
    for (const Json& ip : obj["TailscaleIPs"])
      if (ip.is_string() && t.ips.size() < kMaxIps && ip.get_ref<const std::string&>().size() <= 64)
        t.ips.push_back(ip.get<std::string>());
  };
  add_ips(self);
  if (t.ips.empty()) add_ips(doc);
  std::stable_sort(t.ips.begin(), t.ips.end(), [](const std::string& a, const std::string& b) {
    return is_ipv4(a) > is_ipv4(b);
  });
  const Json& tailnet = doc.contains("CurrentTailnet") ? doc["CurrentTailnet"] : Json();
  t.tailnet = string_field(tailnet, "Name");
  t.magic_dns_suffix = string_field(tailnet, "MagicDNSSuffix");
  if (t.magic_dns_suffix.empty()) t.magic_dns_suffix = string_field(doc, "MagicDNSSuffix");
  if (t.backend_state == "Running") {
    t.state = "running";
  } else {
    t.state = "not-running";
    t.error = "tailscale is not connected (BackendState " +
              (t.backend_state.empty() ? std::string("missing") : t.backend_state) +
              "); run `tailscale up`";
  }
  return t;
}

Result<std::string> tailnet_bind_address(const TailscaleInfo& t) {
  if (t.state != "running")
    return Error::make(ErrorCode::kUnavailable,
                       "gateway.bind is tailnet but " + t.error +
                           "; or set gateway.bind to loopback, all or an address");
  std::string ip = t.ipv4();
  if (ip.empty())
    return Error::make(ErrorCode::kUnavailable,
                       "gateway.bind is tailnet but `tailscale status --json` lists no IPv4 "
                       "address for this machine; set gateway.bind to its tailnet IPv6 address");
  return ip;
}

std::string find_on_path(std::string_view name) {
  if (name.find('/') != std::string_view::npos)
    return ::access(std::string(name).c_str(), X_OK) == 0 ? std::string(name) : "";
  const char* path = std::getenv("PATH");
  std::string_view p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    std::size_t colon = p.find(':');
    std::string dir(p.substr(0, colon));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    p.remove_prefix(colon + 1);
  }
  return "";
}

TailscaleInfo query_tailscale(int timeout_ms) {
  TailscaleInfo t;
  std::string bin = find_on_path("tailscale");
  if (bin.empty()) {
    t.state = "missing";
    t.error =
        "the tailscale binary is not on PATH; install Tailscale "
        "(https://tailscale.com/download/linux) and run `tailscale up`";
    return t;
  }
  // A private loop: this runs before the gateway's loop starts, and must finish first.
  // stdout only: tailscale prints version-skew warnings on stderr.
  boost::asio::io_context io(1);
  std::string out, err;
  bool truncated = false, timed_out = false;
  proc::ExitStatus status;
  boost::asio::steady_timer timer(io);
  proc::ProcessCallbacks cb;
  cb.on_stdout = [&](std::string_view d) {
    if (out.size() + d.size() > kMaxTailscaleJson)
      truncated = true;
    else
      out.append(d);
  };
  cb.on_stderr = [&](std::string_view d) {
    err.append(d.substr(0, 4096 - std::min<std::size_t>(err.size(), 4096)));
  };
  cb.on_exit = [&](const proc::ExitStatus& s) {
    status = s;
    timer.cancel();
  };
  proc::ProcessSpec spec{{bin, "status", "--json"}, proc::scrubbed_env(), "", false, false};
  auto proc = proc::Process::spawn(io, spec, cb);
  if (!proc.ok()) {
    t.state = "error";
    t.error = proc.error().message;
    return t;
  }
  timer.expires_after(std::chrono::milliseconds(timeout_ms));
  std::shared_ptr<proc::Process> p = *proc;
  timer.async_wait([&timed_out, p](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    p->kill_group();
    p->close_output();
  });
  io.run();
  if (timed_out || truncated || status.exit_code != 0) {
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    std::string why = timed_out   ? "timed out after " + std::to_string(timeout_ms) + " ms"
                      : truncated ? std::string("printed more than 8 MiB")
                                  : "exited with code " + std::to_string(status.exit_code) +
                                        (err.empty() ? "" : " (" + err.substr(0, 300) + ")");
    // A stopped tailscaled still prints the status JSON but exits non-zero on some
    // versions: use it when it parses.
    if (!timed_out && !truncated && !out.empty()) {
      TailscaleInfo parsed = parse_tailscale_status(out);
      if (parsed.state != "error") return parsed;
    }
    t.state = "error";
    t.error = "`" + bin + " status --json` " + why +
              "; is tailscaled running? (systemctl start tailscaled)";
    return t;
  }
  return parse_tailscale_status(out);
}

}  // namespace simpleclaw::discovery
