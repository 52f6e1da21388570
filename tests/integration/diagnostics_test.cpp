// Diagnostics (issue 6): /metrics read by a Prometheus parser nobody here wrote
// (Debian python3-prometheus-client), health and presence versions, instanceId
// de-duplication and presence TTL, log rotation seen by logs.tail, the maintenance
// timer's session reset policy and WAL checkpoint, TLS fingerprint pinning over https.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "integration/chat_helpers.h"
#include "nodes/device_identity.h"
#include "store/db.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;

// ---- /metrics through prometheus_client

constexpr const char* kParserPy = R"PY(
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        v = s.value
        out.append({"family": fam.name, "type": fam.type, "name": s.name,
                    "labels": s.labels, "value": v if math.isfinite(v) else str(v)})
print(json.dumps(out))
)PY";

// Parses Prometheus text with prometheus_client; [{family, type, name, labels, value}].
// A parse error fails the test with the parser's message.
Json parse_metrics(const std::string& text, const TempDir& dir) {
  std::string py = dir.path() + "/parse_metrics.py", in = dir.path() + "/metrics.txt";
  write_text(py, kParserPy);
  write_text(in, text);
  std::string python = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
  std::string cmd = python + " " + py + " " + in + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run " << cmd;
    return Json::array();
  }
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (rc != 0) {
    ADD_FAILURE() << "prometheus_client could not parse /metrics (is python3-prometheus-client "
                     "installed? scripts/deps.sh installs it):\n"
                  << out << "\n--- input ---\n"
                  << text;
    return Json::array();
  }
  Json j = Json::parse(out, nullptr, false);
  EXPECT_TRUE(j.is_array()) << out;
  return j.is_array() ? j : Json::array();
}

// The value of the sample `name` whose labels include `labels`; NaN when absent.
double value_of(const Json& samples, const std::string& name, const Json& labels = Json::object()) {
  for (const Json& s : samples) {
    if (s["name"] != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels.items())
      if (!s["labels"].contains(k) || s["labels"][k] != v) match = false;
    if (match && s["value"].is_number()) return s["value"].get<double>();
  }
  return std::nan("");
}

std::string family_type(const Json& samples, const std::string& family) {
  for (const Json& s : samples)
    if (s["family"] == family) return s["type"];
  return "";
}

Json scrape(const GatewayProcess& gw, const TempDir& dir) {
  HttpResponse r = http_request(gw.port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.headers["content-type"].find("text/plain; version=0.0.4"), std::string::npos);
  return parse_metrics(r.body, dir);
}

TEST(Metrics, PrometheusClientParsesThemAndCountersMoveWithRpcsRunsAndAuthFailures) {
  FakeLlm llm;
  Script ok;
  ok.chunks = {"fine"};
  llm.push(ok);
  START_GATEWAY(gw, with_config(config_for(llm)));
  TempDir tmp;
  auto c = gw->connect();
  ASSERT_TRUE(c);
  Json m0 = scrape(*gw, tmp);
  ASSERT_FALSE(m0.empty());

  // Every family the issue lists, with the type a scraper needs.
  EXPECT_EQ(family_type(m0, "simpleclaw_connections"), "gauge");
  EXPECT_EQ(family_type(m0, "simpleclaw_events_sent"), "counter");
  EXPECT_EQ(family_type(m0, "simpleclaw_events_dropped"), "counter");
  EXPECT_EQ(family_type(m0, "simpleclaw_runs"), "counter");
  EXPECT_EQ(family_type(m0, "simpleclaw_runs_in_progress"), "gauge");
  EXPECT_EQ(family_type(m0, "simpleclaw_provider_errors"), "counter");
  EXPECT_EQ(family_type(m0, "simpleclaw_resident_memory_bytes"), "gauge");
  EXPECT_EQ(family_type(m0, "simpleclaw_event_loop_delay_p99_seconds"), "gauge");
  EXPECT_EQ(family_type(m0, "simpleclaw_event_loop_delay_max_seconds"), "gauge");
  EXPECT_EQ(family_type(m0, "simpleclaw_channel_inbound"), "counter");  // the channel manager's
  EXPECT_GT(value_of(m0, "simpleclaw_resident_memory_bytes"), 1e5);
  EXPECT_EQ(value_of(m0, "simpleclaw_connections"), 1);
  for (const char* k : {"refusal", "timeout", "rate_limit", "context_length", "unknown"})
    EXPECT_EQ(value_of(m0, "simpleclaw_provider_errors_total", {{"kind", k}}), 0) << k;

  // RPCs: ok and error, a method nobody knows counted as "unknown" (bounded labels).
  ASSERT_TRUE(c->call("health").ok());
  ASSERT_TRUE(c->call("health").ok());
  ASSERT_TRUE(c->call("status").ok());
  EXPECT_FALSE(c->call("no.such.method").ok());
  EXPECT_FALSE(c->call("logs.tail", Json{{"limit", 0}}).ok());  // invalid params
  // An auth failure.
  ClientOptions bad = gw->options();
  bad.token = "wrong-token";
  EXPECT_FALSE(WsClient::connect(bad).ok());
  // A run that ends final, and one the provider refuses with 429 (rate_limit).
  send(*c, "main", "hello", "run-ok");
  ASSERT_EQ(chat_events(*c, "run-ok").back()["state"], "final");
  Script limited;
  limited.status = 429;
  llm.push(limited);
  llm.push(limited);
  send(*c, "main", "again", "run-429");
  auto evs = chat_events(*c, "run-429");
  ASSERT_EQ(evs.back()["state"], "error") << evs.back().dump();
  ASSERT_EQ(evs.back()["errorKind"], "rate_limit") << evs.back().dump();

  Json m1 = scrape(*gw, tmp);
  // Labelled RPC families have samples once a method was called.
  EXPECT_EQ(family_type(m1, "simpleclaw_rpc_requests"), "counter");  // _total is the sample
  EXPECT_EQ(family_type(m1, "simpleclaw_rpc_duration_seconds"), "histogram");
  EXPECT_EQ(value_of(m1, "simpleclaw_rpc_requests_total", {{"method", "health"}, {"result", "ok"}}),
            2);
  EXPECT_EQ(value_of(m1, "simpleclaw_rpc_requests_total", {{"method", "status"}, {"result", "ok"}}),
            1);
  EXPECT_EQ(
      value_of(m1, "simpleclaw_rpc_requests_total", {{"method", "unknown"}, {"result", "error"}}),
      1);
  EXPECT_EQ(
      value_of(m1, "simpleclaw_rpc_requests_total", {{"method", "logs.tail"}, {"result", "error"}}),
      1);
  EXPECT_EQ(
      value_of(m1, "simpleclaw_rpc_requests_total", {{"method", "chat.send"}, {"result", "ok"}}),
      2);
  for (const Json& s : m1) {
    if (s["name"] == "simpleclaw_rpc_requests_total") {
      EXPECT_NE(s["labels"]["method"], "no.such.method") << "unknown names must not become labels";
    }
  }
  // The latency histogram: +Inf bucket == count, buckets cumulative.
  EXPECT_EQ(value_of(m1, "simpleclaw_rpc_duration_seconds_count", {{"method", "health"}}), 2);
  EXPECT_EQ(value_of(m1, "simpleclaw_rpc_duration_seconds_bucket",
                     {{"method", "health"}, {"le", "+Inf"}}),
            2);
  double prev = 0;
  int buckets = 0;
  for (const Json& s : m1) {
    if (s["name"] != "simpleclaw_rpc_duration_seconds_bucket" || s["labels"]["method"] != "status")
      continue;
    EXPECT_GE(s["value"].get<double>(), prev) << s.dump();
    prev = s["value"].get<double>();
    ++buckets;
  }
  EXPECT_EQ(buckets, 9) << "8 bounds + +Inf";
  EXPECT_GE(value_of(m1, "simpleclaw_rpc_duration_seconds_sum", {{"method", "health"}}), 0);
  // Auth failures, runs by state, provider errors by kind, events.
  EXPECT_EQ(value_of(m1, "simpleclaw_auth_failures_total") -
                value_of(m0, "simpleclaw_auth_failures_total"),
            1);
  EXPECT_EQ(value_of(m1, "simpleclaw_runs_total", {{"state", "final"}}), 1);
  EXPECT_EQ(value_of(m1, "simpleclaw_runs_total", {{"state", "error"}}), 1);
  EXPECT_EQ(value_of(m1, "simpleclaw_provider_errors_total", {{"kind", "rate_limit"}}), 1);
  EXPECT_GT(value_of(m1, "simpleclaw_events_sent_total"),
            value_of(m0, "simpleclaw_events_sent_total"));
  EXPECT_EQ(value_of(m1, "simpleclaw_runs_in_progress", {{"state", "active"}}), 0);
}

// ---- health and presence versions

TEST(Health, ProbeRereadsSessionsAndEveryChangeBumpsTheVersionAndBroadcasts) {
  START_GATEWAY(gw);
  Json hello;
  auto c = gw->connect(gw->options(), &hello);
  ASSERT_TRUE(c);
  long long v0 = hello["snapshot"]["stateVersion"]["health"];
  EXPECT_EQ(hello["snapshot"]["health"]["sessions"]["count"], 0);
  EXPECT_EQ(hello["snapshot"]["health"]["sessions"]["path"], gw->state_dir() + "/sessions.db");

  // No change: a probe answers without bumping anything.
  auto same = c->call("health", Json{{"probe", true}});
  ASSERT_TRUE(same.ok()) << same.error().message;
  auto st = c->call("status");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["stateVersion"]["health"].get<long long>(), v0);

  // A session appears: the probe sees it, the version goes up, `health` is broadcast.
  ASSERT_TRUE(c->call("chat.inject", Json{{"sessionKey", "main"}, {"message", "note"}}).ok());
  auto h = c->call("health", Json{{"probe", true}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ((*h)["sessions"]["count"], 1) << h->dump();
  ASSERT_EQ((*h)["sessions"]["recent"].size(), 1u);
  EXPECT_EQ((*h)["sessions"]["recent"][0]["key"], "agent:main:main");
  auto ev = wait_event(*c, "health");
  ASSERT_TRUE(ev) << "a changed snapshot is broadcast";
  long long v1 = (*ev)["stateVersion"]["health"];
  EXPECT_GT(v1, v0);
  EXPECT_EQ((*ev)["payload"]["sessions"]["count"], 1);

  // Another change (a second session): another bump.
  ASSERT_TRUE(
      c->call("chat.inject", Json{{"sessionKey", "agent:main:other"}, {"message", "x"}}).ok());
  auto probe2 = c->call("health", Json{{"probe", true}});
  ASSERT_TRUE(probe2.ok());
  auto ev2 = wait_event_if(
      *c, "health", [&](const Json& f) { return f["payload"]["sessions"]["count"] == 2; },
      kTimeoutMs);
  ASSERT_TRUE(ev2);
  EXPECT_GT((*ev2)["stateVersion"]["health"].get<long long>(), v1);
}

// Every configured agent is in the snapshot with its own sessions; the default agent is
// the configured one.
TEST(Health, EveryConfiguredAgentIsListedWithItsOwnSessions) {
  START_GATEWAY(gw, with_config("agents:\n  default: ops\n  list: [{id: ops}, {id: writer}]\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  for (const char* key : {"agent:ops:a", "agent:ops:b", "agent:writer:a"})
    ASSERT_TRUE(c->call("chat.inject", Json{{"sessionKey", key}, {"message", "note"}}).ok());
  auto h = c->call("health", Json{{"probe", true}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ((*h)["defaultAgentId"], "ops");
  EXPECT_EQ((*h)["sessions"]["count"], 3);
  std::map<std::string, Json> agents;
  for (const Json& a : (*h)["agents"]) agents[a["agentId"].get<std::string>()] = a;
  // The loader always keeps "main" (the key "main" resolves to it): it is listed too.
  ASSERT_EQ(agents.size(), 3u) << (*h)["agents"].dump();
  EXPECT_EQ(agents["main"]["isDefault"], false);
  EXPECT_EQ(agents["main"]["sessions"]["count"], 0);
  EXPECT_EQ(agents["ops"]["isDefault"], true);
  EXPECT_EQ(agents["writer"]["isDefault"], false);
  EXPECT_EQ(agents["ops"]["sessions"]["count"], 2);
  EXPECT_EQ(agents["writer"]["sessions"]["count"], 1);
  ASSERT_EQ(agents["writer"]["sessions"]["recent"].size(), 1u);
  EXPECT_EQ(agents["writer"]["sessions"]["recent"][0]["key"], "agent:writer:a");
}

TEST(Health, TheMaintenanceTimerRefreshesTheSnapshotWithoutAProbe) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    maintenance_ms: 100\n"));
  Json hello;
  auto c = gw->connect(gw->options(), &hello);
  ASSERT_TRUE(c);
  long long v0 = hello["snapshot"]["stateVersion"]["health"];
  ASSERT_TRUE(c->call("chat.inject", Json{{"sessionKey", "main"}, {"message", "note"}}).ok());
  auto ev = wait_event_if(
      *c, "health", [](const Json& f) { return f["payload"]["sessions"]["count"] == 1; },
      kTimeoutMs);
  ASSERT_TRUE(ev) << "the maintenance pass never broadcast the new session count";
  EXPECT_GT((*ev)["stateVersion"]["health"].get<long long>(), v0);
}

bool lists(const Json& presence, const std::string& host) {
  for (const Json& e : presence)
    if (e.value("host", "") == host) return true;
  return false;
}

int count_instance(const Json& presence, const std::string& instance) {
  int n = 0;
  for (const Json& e : presence) n += e.value("instanceId", "") == instance ? 1 : 0;
  return n;
}

TEST(Presence, SocketsOfOneInstanceAreOneEntryThatLeavesWithTheLastSocket) {
  START_GATEWAY(gw);
  auto watcher = gw->connect();
  ASSERT_TRUE(watcher);
  long long v = (*watcher->call("status"))["stateVersion"]["presence"];

  ClientOptions app = gw->options();
  app.client_id = "desktop-app";
  app.instance_id = "inst-42";
  auto a1 = gw->connect(app);
  auto a2 = gw->connect(app);  // a second tab / a reconnect racing the old socket
  ASSERT_TRUE(a1 && a2);
  auto p = watcher->call("system-presence");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(count_instance(*p, "inst-42"), 1) << p->dump();
  long long v1 = (*watcher->call("status"))["stateVersion"]["presence"];
  EXPECT_GT(v1, v);

  // One socket leaves: the instance is still present, nothing changed.
  a1->close();
  a1.reset();
  ASSERT_TRUE(eventually([&] {
    auto s = watcher->call("status");
    return s.ok() && (*s)["connections"]["total"] == 2;
  }));
  p = watcher->call("system-presence");
  EXPECT_EQ(count_instance(*p, "inst-42"), 1) << p->dump();

  // The last one leaves: a presence broadcast without it, with a higher version.
  a2->close();
  a2.reset();
  auto ev = wait_event_if(
      *watcher, "presence",
      [&](const Json& f) {
        return f["stateVersion"]["presence"].get<long long>() > v1 &&
               count_instance(f["payload"]["presence"], "inst-42") == 0;
      },
      kTimeoutMs);
  ASSERT_TRUE(ev) << "no presence event when the instance left";
  EXPECT_GT((*ev)["stateVersion"]["presence"].get<long long>(), v1);

  // Without an instanceId every socket is its own entry (as before).
  ClientOptions plain = gw->options();
  plain.client_id = "plain-cli";
  plain.display_name = "plain-cli";
  auto b1 = gw->connect(plain);
  auto b2 = gw->connect(plain);
  ASSERT_TRUE(b1 && b2);
  p = watcher->call("system-presence");
  int plain_entries = 0;
  for (const Json& e : *p) plain_entries += e.value("host", "") == "plain-cli";
  EXPECT_EQ(plain_entries, 2);
}

TEST(Presence, NodesArePresentAndSocketlessReportsExpireAfterTheTtl) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    maintenance_ms: 100\n"
                                "    presence_ttl_ms: 600\n"));
  auto watcher = gw->connect();
  ASSERT_TRUE(watcher);
  ClientOptions o = gw->options();
  o.role = "node";
  o.scopes = {};
  o.client_id = "node-host";
  o.client_mode = "node";
  o.display_name = "node-host";
  o.device = std::make_shared<const simpleclaw::nodes::DeviceKey>(
      simpleclaw::nodes::DeviceKey::generate());
  auto node = gw->connect(o);
  ASSERT_TRUE(node);
  auto joined = wait_event_if(
      *watcher, "presence",
      [](const Json& f) { return lists(f["payload"]["presence"], "node-host"); }, kTimeoutMs);
  ASSERT_TRUE(joined) << "a node joining is a presence change";
  for (const Json& e : (*joined)["payload"]["presence"])
    if (e.value("host", "") == "node-host") {
      EXPECT_EQ(e["roles"], Json::array({"node"}));
      EXPECT_TRUE(e["scopes"].empty());
    }
  long long v1 = (*joined)["stateVersion"]["presence"];

  // The node reports a phone behind it: present until the TTL passes without a report.
  auto r = node->call(
      "node.event",
      Json{{"event", "presence"},
           {"payload", {{"instanceId", "phone-1"}, {"host", "phone"}, {"text", "on the desk"}}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto seen = wait_event_if(
      *watcher, "presence",
      [&](const Json& f) {
        return f["stateVersion"]["presence"].get<long long>() > v1 &&
               lists(f["payload"]["presence"], "phone");
      },
      kTimeoutMs);
  ASSERT_TRUE(seen);
  long long v2 = (*seen)["stateVersion"]["presence"];
  EXPECT_GT(v2, v1);
  auto t0 = std::chrono::steady_clock::now();
  auto gone = wait_event_if(
      *watcher, "presence",
      [&](const Json& f) {
        return f["stateVersion"]["presence"].get<long long>() > v2 &&
               !lists(f["payload"]["presence"], "phone");
      },
      kTimeoutMs);
  ASSERT_TRUE(gone) << "the socketless entry never expired";
  auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GE(waited, 300) << "it must live about presence_ttl_ms";
  EXPECT_GT((*gone)["stateVersion"]["presence"].get<long long>(), v2);
  EXPECT_TRUE(lists((*gone)["payload"]["presence"], "node-host")) << "the node itself stays";

  // A bad report is a clear error.
  auto bad = node->call("node.event", Json{{"event", "presence"}, {"payload", {{"host", "x"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("instanceId"), std::string::npos) << bad.error().message;

  // The node leaving is a presence change too.
  node->close();
  node.reset();
  ASSERT_TRUE(wait_event_if(
      *watcher, "presence",
      [&](const Json& f) {
        return f["stateVersion"]["presence"].get<long long>() > v2 &&
               !lists(f["payload"]["presence"], "node-host");
      },
      kTimeoutMs));
}

// ---- logs: structured records, rotation seen by logs.tail

TEST(Logs, LifecycleEventsAreStructuredRecordsAndRotationResetsTheCursor) {
  START_GATEWAY(gw, with_config("logging:\n  max_bytes: 4096\n  max_files: 2\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  // Structured records: startup steps, the connection, an auth failure.
  ClientOptions bad = gw->options();
  bad.token = "wrong-token";
  EXPECT_FALSE(WsClient::connect(bad).ok());
  auto first = c->call("logs.tail", Json{{"cursor", 0}, {"limit", 5000}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  std::set<std::string> events;
  for (const Json& l : (*first)["lines"]) {
    Json rec = Json::parse(l.get<std::string>(), nullptr, false);
    ASSERT_TRUE(rec.is_object()) << l;
    if (rec.contains("event")) events.insert(rec["event"].get<std::string>());
    if (rec.value("event", "") == "auth.failed") {
      EXPECT_EQ(rec["ip"], "127.0.0.1");
      EXPECT_EQ(l.get<std::string>().find("wrong-token"), std::string::npos) << "never the secret";
    }
    if (rec.value("event", "") == "startup.step") {
      EXPECT_TRUE(rec.contains("ms")) << l;
    }
  }
  for (const char* e : {"startup.step", "gateway.ready", "client.connect", "auth.failed"})
    EXPECT_TRUE(events.count(e)) << e << " record missing";

  // Follow the log while connections fill it past max_bytes: the reader whose cursor
  // points past the end of the new file is told `reset` and reads it from the start.
  long long cursor = (*first)["cursor"];
  bool reset = false;
  for (int i = 0; i < 100 && !reset; ++i) {
    ClientOptions o = gw->options();
    o.client_id = "filler-" + std::to_string(i);
    { auto f = gw->connect(o); }
    auto r = c->call("logs.tail", Json{{"cursor", cursor}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (r->value("reset", false)) {
      reset = true;
      EXPECT_LE((*r)["cursor"].get<long long>(), (*r)["size"].get<long long>());
      EXPECT_LT((*r)["size"].get<long long>(), cursor);
      for (const Json& l : (*r)["lines"])
        EXPECT_TRUE(Json::parse(l.get<std::string>(), nullptr, false).is_object())
            << "a reset reads whole lines from the new file's start: " << l;
    }
    cursor = (*r)["cursor"];
  }
  EXPECT_TRUE(reset) << "logs.tail never reported the rotation";
  // spdlog names the rotated file gateway.1.log (the index before the extension).
  EXPECT_TRUE(file_exists(gw->state_dir() + "/logs/gateway.1.log")) << "the rotated file is kept";
  struct stat st {};
  ASSERT_EQ(::stat(gw->log_file().c_str(), &st), 0);
  EXPECT_LE(st.st_size, 4096 + 1024) << "the live file stays near logging.max_bytes";
}

// ---- maintenance: session reset policy, WAL checkpoint

long long count_entries(const std::string& db_path, const std::string& session_id) {
  auto db = simpleclaw::store::Db::open(db_path);
  if (!db.ok()) return -1;
  auto q = db->prepare("SELECT count(*) FROM entries WHERE session_id = ?1");
  if (!q.ok()) return -1;
  q->bind(1, session_id);
  auto row = q->step();
  return row.ok() && *row ? q->int64(0) : -1;
}

TEST(Maintenance, IdleSessionsStartOverKeepingTheOldTranscript) {
  FakeLlm llm;
  START_GATEWAY(gw,
                with_config(config_for(llm,
                                       "gateway:\n  timers:\n    maintenance_ms: 100\n"
                                       "sessions:\n  reset: {mode: idle, idle_minutes: 0.01}\n")));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->call("sessions.subscribe").ok());
  send(*c, "main", "remember the word pelican", "run-1");
  ASSERT_EQ(chat_events(*c, "run-1").back()["state"], "final");
  auto before = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(before.ok());
  std::string old_id = (*before)["sessionId"];
  ASSERT_EQ((*before)["messages"].size(), 2u);

  // 0.01 minutes = 600 ms idle: the maintenance pass resets it as sessions.reset does.
  auto changed = wait_event_if(
      *c, "sessions.changed",
      [](const Json& f) { return f["payload"].value("reason", "") == "reset"; }, 5000);
  ASSERT_TRUE(changed) << "the idle session was never reset";
  auto after = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(after.ok());
  EXPECT_NE((*after)["sessionId"], old_id);
  EXPECT_TRUE((*after)["messages"].empty()) << after->dump();
  // The old transcript is still there, readable in the store.
  EXPECT_EQ(count_entries(gw->state_dir() + "/sessions.db", old_id), 2);

  // An empty session is not reset again and again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  HttpResponse m = http_request(gw->port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("simpleclaw_session_resets_total 1\n"), std::string::npos) << m.body;
  EXPECT_EQ((*c->call("chat.history", Json{{"sessionKey", "main"}}))["sessionId"],
            (*after)["sessionId"]);

  // The next message starts a fresh context: the model does not see the old turn.
  llm.clear_requests();
  send(*c, "main", "what word?", "run-2");
  ASSERT_EQ(chat_events(*c, "run-2").back()["state"], "final");
  auto reqs = llm.requests();
  ASSERT_EQ(reqs.size(), 1u);
  std::string body = reqs[0].body.dump();
  EXPECT_EQ(body.find("pelican"), std::string::npos) << body;
  EXPECT_NE(body.find("what word?"), std::string::npos) << body;
}

// Idempotency results are forgotten after sessions.dedupe_ttl_ms by the maintenance pass
// itself, not only when the next chat.send happens to prune: an idle gateway's memory goes
// back down.
TEST(Maintenance, IdempotencyResultsExpireWithoutAnotherRequest) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm,
                                           "gateway:\n  timers:\n    maintenance_ms: 100\n"
                                           "sessions:\n  dedupe_ttl_ms: 1000\n")));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  send(*c, "main", "one", "run-a");
  ASSERT_EQ(chat_events(*c, "run-a").back()["state"], "final");
  send(*c, "main", "two", "run-b");
  ASSERT_EQ(chat_events(*c, "run-b").back()["state"], "final");
  auto entries = [&] {
    std::string body = http_request(gw->port(), "GET", "/metrics").body;
    auto at = body.find("\nsimpleclaw_idempotency_entries ");
    return at == std::string::npos ? -1 : std::atoi(body.c_str() + at + 32);
  };
  EXPECT_EQ(entries(), 2);
  EXPECT_TRUE(eventually([&] { return entries() == 0; }, 5000))
      << "idempotency results still held: " << entries();
}

TEST(Maintenance, NoResetPolicyKeepsSessionsAndAnIdlePolicyNeedsItsMinutes) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm, "gateway:\n  timers:\n    maintenance_ms: 100\n")));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  send(*c, "main", "hello", "run-1");
  ASSERT_EQ(chat_events(*c, "run-1").back()["state"], "final");
  std::string id = (*c->call("chat.history", Json{{"sessionKey", "main"}}))["sessionId"];
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ((*c->call("chat.history", Json{{"sessionKey", "main"}}))["sessionId"], id);

  // mode idle without idle_minutes is refused with the fix.
  auto r = c->call("config.get");
  ASSERT_TRUE(r.ok());
  auto set =
      c->call("config.patch", Json{{"raw", "{\"sessions\": {\"reset\": {\"mode\": \"idle\"}}}"},
                                   {"baseHash", (*r)["hash"]}});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("idle_minutes"), std::string::npos) << set.error().message;
}

TEST(Maintenance, TheWalIsCheckpointedAndTruncated) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    maintenance_ms: 150\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(c->call("chat.inject",
                        Json{{"sessionKey", "main"}, {"message", "note " + std::to_string(i)}})
                    .ok());
  std::string wal = gw->state_dir() + "/sessions.db-wal";
  auto wal_size = [&] {
    struct stat st {};
    return ::stat(wal.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
  };
  // The maintenance pass checkpoints and truncates it (SQLite alone would only reuse it).
  EXPECT_TRUE(eventually(
      [&] {
        HttpResponse m = http_request(gw->port(), "GET", "/metrics");
        return m.body.find("simpleclaw_wal_checkpoints_total 0\n") == std::string::npos &&
               wal_size() == 0;
      },
      5000))
      << "the -wal file was never truncated (size " << wal_size() << ")";
  // The data is all there.
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}, {"limit", 100}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)["messages"].size(), 20u);
}

// Deleted sessions give their pages back: the maintenance pass vacuums (incrementally)
// before it checkpoints, so sessions.db shrinks instead of keeping its high-water mark.
TEST(Maintenance, ADeletedSessionsSpaceIsGivenBackToTheFileSystem) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    maintenance_ms: 150\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  std::string big(16000, 'x');
  for (int i = 0; i < 120; ++i)
    ASSERT_TRUE(
        c->call("chat.inject", Json{{"sessionKey", "bulky"}, {"message", big + std::to_string(i)}})
            .ok());
  std::string db = gw->state_dir() + "/sessions.db";
  auto db_size = [&] {
    struct stat st {};
    return ::stat(db.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
  };
  // Checkpointed into the main file: about 2 MB of transcript.
  ASSERT_TRUE(eventually([&] { return db_size() > 1'500'000; }, 5000)) << db_size();
  long long peak = db_size();
  ASSERT_TRUE(c->call("sessions.delete", Json{{"key", "bulky"}}).ok());
  EXPECT_TRUE(eventually([&] { return db_size() < peak / 4; }, 5000))
      << "sessions.db stayed at " << db_size() << " bytes after the session was deleted (peak "
      << peak << ")";
  // What is left still works.
  ASSERT_TRUE(c->call("chat.inject", Json{{"sessionKey", "main"}, {"message", "after"}}).ok());
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ((*h)["messages"].size(), 1u);
}

// ---- TLS: the fingerprint a client pins over https, and in status/gateway.json/the log

std::string hex(const unsigned char* md, unsigned n) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += d[md[i] >> 4];
    out += d[md[i] & 15];
  }
  return out;
}

// A pinning HTTPS client: no CA check (self-signed), but the peer certificate's SHA-256
// must equal `pin`, else it hangs up before sending anything. Returns the response, or
// "" when refused or failed; *seen gets the fingerprint it saw.
std::string pinned_https_get(int port, const std::string& target, const std::string& pin,
                             std::string* seen) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      X509* cert = SSL_get1_peer_certificate(ssl);
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned n = 0;
      if (cert && X509_digest(cert, EVP_sha256(), md, &n) == 1) *seen = hex(md, n);
      X509_free(cert);
      if (*seen == pin) {
        std::string req =
            "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        SSL_write(ssl, req.data(), static_cast<int>(req.size()));
        char buf[4096];
        int k;
        while ((k = SSL_read(ssl, buf, sizeof buf)) > 0)
          out.append(buf, static_cast<std::size_t>(k));
      }
    }
    SSL_free(ssl);
  }
  ::close(fd);
  SSL_CTX_free(ctx);
  return out;
}

TEST(Tls, TheFingerprintInStatusGatewayJsonAndTheLogIsWhatAPinningClientSees) {
  START_GATEWAY(gw, with_config("gateway:\n  tls:\n    enabled: true\n"));
  std::string fp = gw->runtime().value("tlsSha256", "");
  ASSERT_EQ(fp.size(), 64u);
  ClientOptions o = gw->options();
  o.tls_fingerprint = fp;
  auto c = gw->connect(o);  // wss:// with the pin from gateway.json
  ASSERT_TRUE(c);
  auto s = c->call("status");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["gateway"]["tls"]["sha256"], fp);
  // The JSON log has it as a structured field.
  bool logged = false;
  std::ifstream log(gw->log_file());
  for (std::string line; std::getline(log, line);) {
    Json rec = Json::parse(line, nullptr, false);
    if (rec.is_object() && rec.value("event", "") == "tls.certificate") {
      EXPECT_EQ(rec["sha256"], fp);
      EXPECT_EQ(rec["generated"], true);
      logged = true;
    }
  }
  EXPECT_TRUE(logged) << "no tls.certificate record in " << gw->log_file();

  // https:// on the same port: the certificate the client sees has that fingerprint.
  std::string seen;
  std::string ok = pinned_https_get(gw->port(), "/metrics", fp, &seen);
  EXPECT_EQ(seen, fp);
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
  EXPECT_NE(ok.find("simpleclaw_connections"), std::string::npos);
  // A wrong pin: the client refuses before sending the request.
  std::string wrong = std::string(63, '0') + "1";
  std::string refused = pinned_https_get(gw->port(), "/healthz", wrong, &seen);
  EXPECT_TRUE(refused.empty());
  EXPECT_EQ(seen, fp);
  // And over wss:// the same wrong pin is refused by WsClient.
  o.tls_fingerprint = wrong;
  EXPECT_FALSE(WsClient::connect(o).ok());
}

}  // namespace
}  // namespace sctest
