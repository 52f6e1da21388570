// Cluster-mode integration tests (label cluster: the cluster_services fixture's
// PostgreSQL and NATS): gateways on one database with short leases (TTL 2 s, renewal
// 0.5 s), and reading that database directly.
#pragma once
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "integration/chat_helpers.h"
#include "store/db.h"
#include "support/test_store.h"

namespace sctest {

inline constexpr const char* kFailoverToken = "cluster-failover-token-0123456789abcd";
inline constexpr int kTtlMs = 2000, kRenewMs = 500;
// Slack for a takeover beyond TTL + renewal + the job's period: scheduling, the run's start.
#ifdef SIMPLECLAW_SANITIZED
inline constexpr int kSlackMs = 6000;  // ASan: every start and statement is several times slower
#else
inline constexpr int kSlackMs = 1500;
#endif

inline bool poll_until(const std::function<bool()>& done, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// Whether the instance `c` talks to reports its NATS connection as `want` within the timeout.
inline bool nats_connected(WsClient& c, bool want = true, int timeout_ms = 10000) {
  return poll_until(
      [&] {
        auto st = c.call("status");
        return st.ok() && (*st)["subsystems"]["cluster"]["nats"]["connected"] == want;
      },
      timeout_ms);
}

// The terminal chat event of run `run_id` on `c` ({} after a recorded failure if none).
inline Json final_event(WsClient& c, const std::string& run_id, int timeout_ms = 15000) {
  auto events = chat_events(c, run_id, timeout_ms);
  return events.empty() ? Json::object() : events.back();
}

struct FailoverCluster {
  std::map<std::string, std::string> env;
  std::string url, why;
  // Its own NATS subject namespace: tests running side by side on the fixture's NATS
  // server never see each other's events or forwarded sends.
  std::string name = "t" + std::to_string(::getpid()) + "-" + std::to_string(++counter());
  // The NATS server the instances use: the fixture's unless a test runs its own.
  std::string nats_url, nats_user, nats_password;
  fakes::FakeLlm llm;
  FailoverCluster() {
    url = simpleclaw::testing_support::pg_only_database(env, why);
    nats_url = env.count("SIMPLECLAW_NATS_URL") ? env.at("SIMPLECLAW_NATS_URL") : "";
    nats_user = env.count("SIMPLECLAW_NATS_USER") ? env.at("SIMPLECLAW_NATS_USER") : "";
    nats_password = env.count("SIMPLECLAW_NATS_PASSWORD") ? env.at("SIMPLECLAW_NATS_PASSWORD") : "";
  }
  static int& counter() {
    static int n = 0;
    return n;
  }

  // An instance's options; `extra` adds top-level config sections (channels).
  StartOptions start(const std::string& instance, const std::string& extra = {}) const {
    std::string yaml = config_for(llm, std::string("gateway:\n  auth:\n    token: \"") +
                                           kFailoverToken + "\"\n" + extra) +
                       "store:\n  backend: postgres\n  postgres:\n    url: " + url +
                       "\ncluster:\n  name: " + name + "\n  instance: " + instance +
                       "\n  lease_ttl_ms: " + std::to_string(kTtlMs) +
                       "\n  lease_renew_ms: " + std::to_string(kRenewMs) +
                       "\n  nats:\n    url: " + nats_url + "\n    user: " + nats_user +
                       "\n    password: " + nats_password + "\n";
    StartOptions o = with_config(yaml);
    o.token = kFailoverToken;
    return o;
  }

  // Rows of a query on the cluster's database, each column as text.
  std::vector<std::vector<std::string>> rows(const std::string& sql) const {
    std::vector<std::vector<std::string>> out;
    auto db = simpleclaw::store::Db::open_postgres(url);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    if (!db.ok()) return out;
    auto st = db->prepare(sql);
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
    if (!st.ok()) return out;
    for (;;) {
      auto r = st->step();
      if (!r.ok() || !*r) break;
      std::vector<std::string> row;
      for (int i = 0; i < st->columns(); ++i) row.push_back(st->text(i));
      out.push_back(std::move(row));
    }
    return out;
  }
  // Whether instance `id` holds the cron lead within `timeout_ms`.
  bool leads(const std::string& id, int timeout_ms) const {
    return poll_until(
        [&] {
          return count("SELECT count(*) FROM leases WHERE name = 'cron:leader' AND holder LIKE '" +
                       id + "#%'") == 1;
        },
        timeout_ms);
  }
  std::int64_t count(const std::string& sql) const {
    auto r = rows(sql);
    return r.empty() ? -1 : std::stoll(r[0][0]);
  }
};

}  // namespace sctest
