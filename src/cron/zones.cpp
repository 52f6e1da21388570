#include "cron/zones.h"

#include <date/tz.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace simpleclaw::cron {

std::string host_zone_name() {
  if (const char* tz = std::getenv("TZ")) {
    std::string s = tz;
    if (!s.empty() && s.front() == ':') s.erase(0, 1);
    if (s.rfind("/usr/share/zoneinfo/", 0) == 0) s.erase(0, 20);
    return s.empty() ? std::string("UTC") : s;
  }
  // SIMPLECLAW_LOCALTIME: another link to read instead of /etc/localtime (the tests change
  // "the host's zone" under a running gateway without touching the machine's).
  const char* link_path = std::getenv("SIMPLECLAW_LOCALTIME");
  char buf[512];
  ssize_t n =
      ::readlink(link_path && *link_path ? link_path : "/etc/localtime", buf, sizeof buf - 1);
  if (n > 0) {
    std::string link(buf, static_cast<std::size_t>(n));
    auto at = link.find("zoneinfo/");
    if (at != std::string::npos) return link.substr(at + 9);
  }
  std::ifstream in("/etc/timezone");
  std::string line;
  if (std::getline(in, line) && !line.empty() && line.size() < 256) return line;
  return std::string("UTC");
}

const date::time_zone* find_zone(std::string_view name) {
  if (name.empty() || name.size() > 128) return nullptr;
  // locate_zone throws for an unknown name, get_tzdb when tzdata cannot be read: both are
  // "no such zone" here. The database is loaded once (a static inside date/tz).
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

bool is_known_zone(std::string_view name) { return find_zone(name) != nullptr; }

std::int64_t local_to_instant(const date::time_zone& zone, std::int64_t local_s) {
  using namespace std::chrono;
  const date::local_seconds local{seconds{local_s}};
  const date::local_info info = zone.get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      // The gap ends where the second period begins: the first valid instant after it.
      return info.second.begin.time_since_epoch().count();
    case date::local_info::ambiguous:
    case date::local_info::unique:
    default:
      return local_s - info.first.offset.count();
  }
}

}  // namespace simpleclaw::cron
