// The HTTP options of one call to a platform's API (Telegram Bot API, Discord REST, Slack
// Web API), one policy for every connector: connect within 10 s; the answer's head within
// `wait` and no silence longer than that while it streams; the whole call within
// `total`; over the account's keep-alive pool (no TCP + TLS set-up per message).
// Header-only; any thread.
#pragma once
#include <chrono>
#include <memory>
#include <utility>

#include "net/http_client.h"

namespace simpleclaw::channels {

inline net::HttpOptions platform_call(std::chrono::seconds wait, std::chrono::seconds total,
                                      std::shared_ptr<net::ConnectionPool> pool) {
  net::HttpOptions o;
  o.connect_timeout = std::chrono::seconds(10);
  o.first_byte_timeout = wait;
  o.idle_timeout = wait;
  o.total_timeout = total;
  o.pool = std::move(pool);
  return o;
}

}  // namespace simpleclaw::channels
