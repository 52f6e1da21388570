// Process-wide counters for /metrics (Prometheus text format). Owned by the Gateway,
// loop thread only; gauges are read from the live state when rendering.
#pragma once
#include <cstdint>
#include <string>

namespace simpleclaw::gateway {

struct Metrics {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_rejected = 0;  // 403 origin, 503 over a cap
  std::uint64_t handshakes_ok = 0;
  std::uint64_t handshakes_failed = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t auth_lockouts = 0;
  std::uint64_t requests = 0;
  std::uint64_t request_errors = 0;
  std::uint64_t frames_invalid = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t events_dropped = 0;
  std::uint64_t deltas_coalesced = 0;  // streaming deltas held back and merged
  std::uint64_t slow_consumer_closes = 0;
  std::uint64_t config_reloads = 0;
};

}  // namespace simpleclaw::gateway
