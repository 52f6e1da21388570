// Process-wide counters for /metrics (Prometheus text format). Owned by the Gateway,
// loop thread only; gauges are read from the live state when rendering.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace simpleclaw::gateway {

// Per-method RPC counts and a latency histogram. One slot per method-table entry plus
// one for unknown methods, sized once: recording a request never allocates, and the
// label set stays bounded whatever method names clients send.
struct RpcStats {
  // Upper bounds in seconds: 0.1, 0.5, 1, 5, 10, 50, 100, 500 ms.
  static constexpr std::array<double, 8> kBounds{0.0001, 0.0005, 0.001, 0.005,
                                                 0.01,   0.05,   0.1,   0.5};
  std::uint64_t ok = 0;
  std::uint64_t error = 0;
  std::array<std::uint64_t, kBounds.size() + 1> buckets{};  // per bucket, not cumulative
  double sum_seconds = 0;
  void record(bool success, std::chrono::steady_clock::duration took) {
    (success ? ok : error)++;
    double s = std::chrono::duration<double>(took).count();
    std::size_t i = 0;
    while (i < kBounds.size() && s > kBounds[i]) ++i;
    ++buckets[i];
    sum_seconds += s;
  }
};

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
  std::uint64_t session_resets = 0;   // by the session.reset policy (maintenance)
  std::uint64_t wal_checkpoints = 0;  // maintenance passes that checkpointed the WAL
  // rpc[slot] for method_table()[slot]; rpc.back() = unknown methods.
  std::vector<RpcStats> rpc;
  // Runs that ended, by terminal state (final | aborted | error), and the errorKind of
  // those that failed (refusal | timeout | rate_limit | context_length | unknown). Keys
  // come from a closed set, so the maps stay tiny.
  std::map<std::string, std::uint64_t, std::less<>> runs_ended;
  std::map<std::string, std::uint64_t, std::less<>> run_errors;
  // HTTP API requests answered, by route (a registered path, so the set is closed) and
  // status class: [0] = 1xx ... [4] = 5xx.
  std::map<std::string, std::array<std::uint64_t, 5>, std::less<>> http_requests;

  // Counts one answered request of method-table slot `slot` (out of range = unknown).
  void record_rpc(std::size_t slot, bool ok, std::chrono::steady_clock::duration took) {
    if (rpc.empty()) return;
    if (slot >= rpc.size()) slot = rpc.size() - 1;
    rpc[slot].record(ok, took);
  }
};

}  // namespace simpleclaw::gateway
