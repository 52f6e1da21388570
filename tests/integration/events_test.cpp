// Events (SPEC §3, §6) and MessagePack framing (SPEC §2): tick cadence and per-socket
// seq, presence with stateVersion on connect/disconnect, the same events in both
// encodings.
#include <set>

#include "gateway/protocol/codec.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

constexpr const char* kFastTicks = "gateway:\n  timers:\n    tick_ms: 60\n";

// Reads frames until `n` events arrived (or the timeout); returns the events.
std::vector<Json> read_events(WsClient& c, std::size_t n, int timeout_ms = kTimeoutMs) {
  std::vector<Json> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (auto& e : c.events())
    if (e.value("type", "") == "event") out.push_back(e);
  c.events().clear();
  while (out.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    auto in = c.read(static_cast<int>(left));
    if (!in.ok() || in->closed) break;
    if (in->frame.value("type", "") == "event") out.push_back(std::move(in->frame));
  }
  return out;
}

// The presence event whose list matches `pred`, reading as long as needed.
std::optional<Json> wait_presence(WsClient& c, const std::function<bool(const Json&)>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    auto ev = wait_event(c, "presence", static_cast<int>(std::max<long long>(left, 1)));
    if (!ev) return std::nullopt;
    if (pred((*ev)["payload"]["presence"])) return ev;
  }
  return std::nullopt;
}

bool has_host(const Json& list, const std::string& host) {
  for (const auto& e : list)
    if (e.value("host", "") == host) return true;
  return false;
}

TEST(Events, TickArrivesWithPerSocketSeqStartingAtOne) {
  START_GATEWAY(gw, with_config(kFastTicks));
  auto a = gw->connect();
  ASSERT_TRUE(a);
  auto evs = read_events(*a, 6);
  ASSERT_EQ(evs.size(), 6u) << "expected ticks every 60 ms";
  int ticks = 0;
  for (std::size_t i = 0; i < evs.size(); ++i) {
    ASSERT_TRUE(evs[i]["seq"].is_number_integer()) << evs[i].dump();
    EXPECT_EQ(evs[i]["seq"].get<long long>(), static_cast<long long>(i + 1))
        << "seq must start at 1 and grow by 1 per event on this socket";
    if (evs[i]["event"] == "tick") {
      ++ticks;
      ASSERT_TRUE(evs[i]["payload"].is_object());
      EXPECT_EQ(evs[i]["payload"].size(), 1u) << "tick payload is exactly {ts}";
      EXPECT_TRUE(evs[i]["payload"]["ts"].is_number_integer());
      EXPECT_FALSE(evs[i].contains("stateVersion"));
    }
  }
  EXPECT_GE(ticks, 4);

  // A second socket counts on its own, from 1.
  auto b = gw->connect();
  ASSERT_TRUE(b);
  auto bevs = read_events(*b, 3);
  ASSERT_EQ(bevs.size(), 3u);
  for (std::size_t i = 0; i < bevs.size(); ++i)
    EXPECT_EQ(bevs[i]["seq"].get<long long>(), static_cast<long long>(i + 1));
  // ... while the first keeps going where it was.
  auto more = read_events(*a, 1);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_GT(more[0]["seq"].get<long long>(), 6);
}

TEST(Events, TicksAreSpacedByTheConfiguredPeriod) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    tick_ms: 200\n"));
  auto a = gw->connect();
  ASSERT_TRUE(a);
  ASSERT_TRUE(wait_event(*a, "tick", 2000));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_event(*a, "tick", 2000));
  ASSERT_TRUE(wait_event(*a, "tick", 2000));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GE(ms, 300) << "two periods of 200 ms";
  EXPECT_LE(ms, 1500);
}

TEST(Events, PresenceEventsOnConnectAndDisconnectCarryStateVersion) {
  START_GATEWAY(gw);
  ClientOptions oa = gw->options();
  oa.client_id = "watcher";
  Json hello;
  auto a = gw->connect(oa, &hello);
  ASSERT_TRUE(a);
  long long v0 = hello["snapshot"]["stateVersion"]["presence"];

  ClientOptions ob = gw->options();
  ob.client_id = "visitor";
  auto b = gw->connect(ob);
  ASSERT_TRUE(b);
  auto joined = wait_presence(*a, [](const Json& l) { return has_host(l, "visitor"); });
  ASSERT_TRUE(joined) << "no presence event for the new client";
  ASSERT_TRUE((*joined)["stateVersion"].is_object()) << joined->dump();
  long long v1 = (*joined)["stateVersion"]["presence"];
  EXPECT_GT(v1, v0);
  EXPECT_TRUE((*joined)["stateVersion"]["health"].is_number_integer());
  EXPECT_TRUE((*joined)["seq"].is_number_integer());
  EXPECT_TRUE(has_host((*joined)["payload"]["presence"], "watcher"));

  b->close();
  b.reset();
  auto left = wait_presence(*a, [](const Json& l) { return !has_host(l, "visitor"); });
  ASSERT_TRUE(left) << "no presence event after the client left";
  EXPECT_GT((*left)["stateVersion"]["presence"].get<long long>(), v1);
  EXPECT_EQ((*left)["payload"]["presence"][0]["mode"], "gateway");

  // system-presence agrees.
  auto p = a->call("system-presence");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(has_host(*p, "visitor"));
  EXPECT_TRUE(has_host(*p, "watcher"));
}

// Regression (bench: 800 operators drove the gateway to 16 GB): a burst of connects must
// produce a bounded number of presence broadcasts (coalesced, at most one per 250 ms),
// and the last one must still list everybody.
TEST(Events, PresenceBroadcastsAreCoalescedDuringAConnectBurst) {
  START_GATEWAY(gw);
  ClientOptions ow = gw->options();
  ow.client_id = "watcher";
  auto watcher = gw->connect(ow);
  ASSERT_TRUE(watcher);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<ClientPtr> crowd;
  for (int i = 0; i < 40; ++i) {
    ClientOptions o = gw->options();
    o.client_id = "crowd-" + std::to_string(i);
    crowd.push_back(gw->connect(o));
    ASSERT_TRUE(crowd.back());
  }
  auto burst_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  // Collect presence events until one lists all 41 clients (+ the gateway itself).
  int presence_events = 0;
  bool complete = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!complete && std::chrono::steady_clock::now() < deadline) {
    auto ev = wait_event(*watcher, "presence", 2000);
    if (!ev) break;
    ++presence_events;
    complete = (*ev)["payload"]["presence"].size() == 42u;
  }
  EXPECT_TRUE(complete) << "the newest presence list reaches the watcher";
  auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LE(presence_events, elapsed_ms / 250 + 2)
      << presence_events << " presence events for 40 connects in " << burst_ms << " ms";
  EXPECT_LT(presence_events, 40) << "one broadcast per connect is the O(N^2) behaviour";
}

TEST(Events, PresenceNeedsReadScopeButTickGoesToEveryone) {
  START_GATEWAY(gw, with_config(kFastTicks));
  ClientOptions o = gw->options();
  o.scopes = {"operator.approvals"};
  auto a = gw->connect(o);
  ASSERT_TRUE(a);
  auto b = gw->connect();  // triggers a presence broadcast
  ASSERT_TRUE(b);
  auto evs = read_events(*a, 5);
  ASSERT_EQ(evs.size(), 5u);
  for (const auto& e : evs) EXPECT_EQ(e["event"], "tick") << e.dump();
}

TEST(MessagePack, SubprotocolNegotiatedAndFramesAreBinaryMessagePack) {
  START_GATEWAY(gw, with_config(kFastTicks));
  ClientOptions o = gw->options();
  o.msgpack = true;
  auto c = WsClient::open(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)->negotiated_subprotocol(), "simpleclaw.msgpack");
  auto ch = (*c)->read(kTimeoutMs);
  ASSERT_TRUE(ch.ok());
  ASSERT_FALSE(ch->closed);
  EXPECT_TRUE(ch->binary) << "msgpack sockets get binary frames";
  EXPECT_EQ(ch->frame["event"], "connect.challenge");
  auto res = (*c)->send_connect(ch->frame["payload"]["nonce"]);
  ASSERT_TRUE(res.ok()) << res.error().message;
  ASSERT_EQ((*res)["ok"], true) << res->dump();
  const Json& hello = (*res)["payload"];
  EXPECT_EQ(hello["type"], "hello-ok");
  EXPECT_EQ(hello["protocol"], 4);
  EXPECT_EQ(hello["policy"]["maxPayload"], 26214400);

  // The same objects as JSON: compare against a JSON client's view.
  auto j = gw->connect();
  ASSERT_TRUE(j);
  auto hm = (*c)->call("health");
  auto hj = j->call("health");
  ASSERT_TRUE(hm.ok()) << hm.error().message;
  ASSERT_TRUE(hj.ok());
  EXPECT_EQ(*hm, *hj) << "cached health snapshot must decode to the same object";
  auto sm = (*c)->call("protocol.schema", Json{{"name", "frames/req"}});
  auto sj = j->call("protocol.schema", Json{{"name", "frames/req"}});
  ASSERT_TRUE(sm.ok());
  ASSERT_TRUE(sj.ok());
  EXPECT_EQ(*sm, *sj);

  // Errors and events arrive as binary MessagePack too.
  auto err = (*c)->call("nope");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().message, "unknown method: nope");
  auto in = (*c)->read(kTimeoutMs);
  ASSERT_TRUE(in.ok());
  ASSERT_FALSE(in->closed);
  EXPECT_TRUE(in->binary);
  auto tick = wait_event(**c, "tick");
  ASSERT_TRUE(tick);
  EXPECT_TRUE((*tick)["seq"].is_number_integer());
  EXPECT_TRUE((*tick)["payload"]["ts"].is_number_integer());

  // A raw MessagePack frame is understood by the server.
  ASSERT_TRUE((*c)->send_binary(simpleclaw::protocol::encode(
                                    Json{{"type", "req"}, {"id", "raw1"}, {"method", "status"}},
                                    simpleclaw::protocol::Encoding::kMsgpack))
                  .ok());
  bool answered = false;
  for (int i = 0; i < 50 && !answered; ++i) {
    auto f = (*c)->read(kTimeoutMs);
    ASSERT_TRUE(f.ok());
    ASSERT_FALSE(f->closed);
    if (f->frame.value("id", "") == "raw1") {
      answered = true;
      EXPECT_EQ(f->frame["ok"], true);
      EXPECT_EQ(f->frame["payload"]["pid"], gw->pid());
    }
  }
  EXPECT_TRUE(answered);
}

TEST(MessagePack, JsonAndMsgpackClientsGetTheSameEvents) {
  START_GATEWAY(gw, with_config(kFastTicks));
  ClientOptions oj = gw->options();
  oj.client_id = "json-client";
  auto j = gw->connect(oj);
  ASSERT_TRUE(j);
  ClientOptions om = gw->options();
  om.client_id = "msgpack-client";
  om.msgpack = true;
  auto m = gw->connect(om);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->negotiated_subprotocol(), "simpleclaw.msgpack");
  EXPECT_EQ(j->negotiated_subprotocol(), "");

  // A third client joins: both see the same presence payload and stateVersion.
  ClientOptions o3 = gw->options();
  o3.client_id = "third";
  auto t = gw->connect(o3);
  ASSERT_TRUE(t);
  auto pj = wait_presence(*j, [](const Json& l) { return has_host(l, "third"); });
  auto pm = wait_presence(*m, [](const Json& l) { return has_host(l, "third"); });
  ASSERT_TRUE(pj);
  ASSERT_TRUE(pm);
  EXPECT_EQ((*pj)["payload"], (*pm)["payload"]);
  EXPECT_EQ((*pj)["stateVersion"], (*pm)["stateVersion"]);

  auto tj = wait_event(*j, "tick");
  auto tm = wait_event(*m, "tick");
  ASSERT_TRUE(tj);
  ASSERT_TRUE(tm);
  std::set<std::string> kj, km;
  for (auto it = tj->begin(); it != tj->end(); ++it) kj.insert(it.key());
  for (auto it = tm->begin(); it != tm->end(); ++it) km.insert(it.key());
  EXPECT_EQ(kj, km);
  EXPECT_EQ(kj, (std::set<std::string>{"type", "event", "payload", "seq"}));
}

TEST(MessagePack, JsonTextFrameOnAMsgpackSocketIsStillUnderstood) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.msgpack = true;
  auto c = gw->connect(o);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_text(R"({"type":"req","id":"t1","method":"health"})").ok());
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    auto f = c->read(kTimeoutMs);
    ASSERT_TRUE(f.ok());
    ASSERT_FALSE(f->closed);
    if (f->frame.value("id", "") == "t1") {
      answered = true;
      EXPECT_EQ(f->frame["ok"], true);
      EXPECT_TRUE(f->binary) << "answers stay in the negotiated encoding";
    }
  }
  EXPECT_TRUE(answered);
}

TEST(MessagePack, BinaryJsonFramesOnAJsonSocketAreAccepted) {
  // Without the subprotocol, inbound binary frames carry JSON (SPEC §2).
  START_GATEWAY(gw);
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_binary(connect_req(gw->options(), "bin-connect").dump()).ok());
  auto in = c->read(kTimeoutMs);
  ASSERT_TRUE(in.ok());
  ASSERT_FALSE(in->closed) << in->close_code << " " << in->close_reason;
  EXPECT_EQ(in->frame["id"], "bin-connect");
  EXPECT_EQ(in->frame["ok"], true);
  EXPECT_FALSE(in->binary) << "answers to a JSON socket are text";
  ASSERT_TRUE(c->send_binary(R"({"type":"req","id":"b2","method":"health"})").ok());
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    auto f = c->read(kTimeoutMs);
    ASSERT_TRUE(f.ok());
    ASSERT_FALSE(f->closed);
    if (f->frame.value("id", "") == "b2") {
      answered = true;
      EXPECT_EQ(f->frame["ok"], true);
    }
  }
  EXPECT_TRUE(answered);
}

}  // namespace
}  // namespace sctest
