#include "discovery/txt_record.h"

#include <algorithm>
#include <cctype>

#include "base/utf8.h"

namespace simpleclaw::discovery {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "key=value" cut to one TXT string; a value is never cut inside a UTF-8 sequence.
void add(std::vector<std::string>& out, std::string_view key, std::string_view value) {
  std::string s = std::string(key) + "=";
  s += utf8_prefix(value, kMaxTxtString - s.size());
  out.push_back(std::move(s));
}

// Records come from anyone on the LAN: printable, valid UTF-8 only (no terminal escapes
// in the table, no JSON encoder exceptions), and bounded.
std::string clean(std::string_view s, std::size_t max = kMaxTxtString) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < max;) {
    int n = utf8_sequence_length(s, i);
    if (n <= 0) {
      out += '?';
      ++i;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 1 && (c < 0x20 || c == 0x7f))
      out += '?';
    else
      out.append(s.substr(i, static_cast<std::size_t>(n)));
    i += static_cast<std::size_t>(n);
  }
  return out;
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

MdnsMode parse_mdns_mode(std::string_view s) {
  if (s == "minimal") return MdnsMode::kMinimal;
  if (s == "full") return MdnsMode::kFull;
  return MdnsMode::kOff;
}

const char* mdns_mode_name(MdnsMode m) {
  switch (m) {
    case MdnsMode::kMinimal:
      return "minimal";
    case MdnsMode::kFull:
      return "full";
    case MdnsMode::kOff:
      break;
  }
  return "off";
}

std::string default_display_name(std::string_view hostname) {
  std::string h = trim(hostname);
  if (auto dot = h.find('.'); dot != std::string::npos) h.resize(dot);
  return instance_name(h.empty() ? std::string("simpleclaw") : "simpleclaw on " + h);
}

std::string instance_name(std::string_view display_name) {
  std::string n = trim(display_name);
  if (n.empty()) return "simpleclaw";
  return std::string(utf8_prefix(n, kMaxInstanceName));
}

std::vector<std::string> build_txt(const TxtInput& in, MdnsMode mode) {
  std::vector<std::string> out;
  if (mode == MdnsMode::kOff) return out;
  add(out, "role", "gateway");
  add(out, "displayName", instance_name(in.display_name));
  add(out, "port", std::to_string(in.port));
  add(out, "tls", in.tls ? "1" : "0");
  if (in.tls && !in.tls_sha256.empty()) add(out, "tlsSha256", in.tls_sha256);
  if (mode == MdnsMode::kFull) {
    if (!in.version.empty()) add(out, "version", in.version);
    if (in.protocol > 0) add(out, "protocol", std::to_string(in.protocol));
    // Only the mode's name: tells a client whether to ask for a token or a password.
    if (in.auth_mode == "token" || in.auth_mode == "password" || in.auth_mode == "none")
      add(out, "authMode", in.auth_mode);
    if (!in.lan_host.empty()) add(out, "lanHost", in.lan_host);
    if (!in.tailnet_dns.empty()) add(out, "tailnetDns", in.tailnet_dns);
  }
  return out;
}

std::map<std::string, std::string> parse_txt(const std::vector<std::string>& strings) {
  std::map<std::string, std::string> out;
  std::size_t n = 0;
  for (const std::string& s : strings) {
    if (++n > kMaxTxtEntries) break;
    std::string_view v(s);
    v = v.substr(0, kMaxTxtString);
    std::size_t eq = v.find('=');
    std::string key = lower(v.substr(0, eq));
    if (key.empty()) continue;
    std::string value = eq == std::string_view::npos ? std::string() : clean(v.substr(eq + 1));
    out.emplace(clean(key), std::move(value));  // emplace keeps the first occurrence
  }
  return out;
}

std::vector<Gateway> collect_gateways(const std::vector<FoundService>& found) {
  std::map<std::string, Gateway> by_name;
  for (const FoundService& f : found) {
    auto txt = parse_txt(f.txt);
    auto role = txt.find("role");
    if (role == txt.end() || role->second != "gateway") continue;
    std::string name = clean(f.name, kMaxInstanceName * 4);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      if (by_name.size() >= kMaxGateways) continue;
      Gateway g;
      g.name = name;
      auto dn = txt.find("displayname");
      g.display_name = dn != txt.end() && !dn->second.empty() ? dn->second : name;
      g.host = clean(f.host);
      g.port = f.port;
      auto tls = txt.find("tls");
      g.tls = tls != txt.end() && tls->second == "1";
      auto fp = txt.find("tlssha256");
      if (g.tls && fp != txt.end() && is_sha256_hex(fp->second)) g.tls_sha256 = lower(fp->second);
      g.role = role->second;
      g.txt = std::move(txt);
      it = by_name.emplace(name, std::move(g)).first;
    }
    std::string addr = clean(f.address, 64);
    auto& addrs = it->second.addresses;
    if (!addr.empty() && addrs.size() < 16 &&
        std::find(addrs.begin(), addrs.end(), addr) == addrs.end()) {
      addrs.push_back(addr);
      // IPv4 first: the address most clients can reach without a scope id.
      std::stable_sort(addrs.begin(), addrs.end(), [](const std::string& a, const std::string& b) {
        return (a.find(':') == std::string::npos) > (b.find(':') == std::string::npos);
      });
    }
  }
  std::vector<Gateway> out;
  out.reserve(by_name.size());
  for (auto& [_, g] : by_name) out.push_back(std::move(g));
  return out;
}

Json gateway_to_json(const Gateway& g) {
  Json txt = Json::object();
  for (const auto& [k, v] : g.txt) txt[k] = v;
  Json j{{"name", g.name}, {"displayName", g.display_name},
         {"host", g.host}, {"addresses", g.addresses},
         {"port", g.port}, {"tls", g.tls},
         {"role", g.role}, {"txt", txt}};
  j["address"] = g.addresses.empty() ? Json(nullptr) : Json(g.addresses.front());
  j["tlsSha256"] = g.tls_sha256.empty() ? Json(nullptr) : Json(g.tls_sha256);
  std::string scheme = g.tls ? "wss://" : "ws://";
  if (!g.host.empty()) j["url"] = scheme + g.host + ":" + std::to_string(g.port);
  return j;
}

std::string format_table(const std::vector<Gateway>& gateways) {
  std::vector<std::vector<std::string>> rows{
      {"NAME", "HOST", "ADDRESS:PORT", "TLS", "FINGERPRINT"}};
  for (const Gateway& g : gateways) {
    std::string addr = g.addresses.empty() ? "-" : g.addresses.front();
    if (addr.find(':') != std::string::npos) addr = "[" + addr + "]";
    rows.push_back({g.display_name, g.host.empty() ? "-" : g.host,
                    addr + ":" + std::to_string(g.port), g.tls ? "yes" : "no",
                    g.tls_sha256.empty() ? "-" : g.tls_sha256});
  }
  std::vector<std::size_t> width(5, 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace simpleclaw::discovery
