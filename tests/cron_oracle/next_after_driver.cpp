// Reads "expr|tz|after_ms" lines on stdin and prints next_after's answer (epoch ms,
// "never", or "ERR message") per line: the C++ side of next_after_oracle.py.
#include <iostream>
#include <string>

#include "cron/schedule.h"

using namespace simpleclaw;

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    const auto a = line.find('|'), b = line.rfind('|');
    if (a == std::string::npos || a == b) {
      std::cout << "ERR malformed line\n";
      continue;
    }
    const std::string expr = line.substr(0, a), tz = line.substr(a + 1, b - a - 1);
    const long long after = std::stoll(line.substr(b + 1));
    auto s = cron::parse_schedule(Json{{"kind", "cron"}, {"expr", expr}, {"tz", tz}});
    if (!s) {
      std::cout << "ERR " << s.error().message << "\n";
      continue;
    }
    auto n = cron::next_after(*s, after, "UTC");
    std::cout << (n ? std::to_string(*n) : "never") << "\n";
  }
}
