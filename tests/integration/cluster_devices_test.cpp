// Cluster mode: device pairing is one shared store. A device that asked through one
// instance is approved through another; the token one instance hands out works on every
// other at once; a removal closes the device's sockets everywhere; a sign-in link from one
// instance pairs a browser on another, once; instances pairing devices at the same moment
// lose none of them. Real gateways on the fixture's
// PostgreSQL and NATS, real Ed25519 device keys, the real handshake.
#include <atomic>
#include <filesystem>
#include <thread>

#include "integration/cluster_helpers.h"
#include "nodes/device_identity.h"

namespace sctest {
namespace {

// An operator's browser on `gw` with a device identity (OpenClaw's Control UI).
ClientOptions device_client(const GatewayProcess& gw,
                            std::shared_ptr<const simpleclaw::nodes::DeviceKey> key) {
  ClientOptions o = gw.options();
  o.client_id = "openclaw-control-ui";
  o.client_mode = "webchat";
  o.origin = "http://127.0.0.1:" + std::to_string(gw.port());
  o.scopes = {"operator.read", "operator.write"};
  o.device = std::move(key);
  return o;
}

// The device's token alone, as the UI presents it on its next visit.
ClientOptions with_device_token(ClientOptions o, const std::string& token) {
  o.token.clear();
  o.device_token = token;
  return o;
}

// A sign-in link's token alone (what the dashboard URL carries).
ClientOptions with_sign_in_link(ClientOptions o, const std::string& token) {
  o.token.clear();
  o.bootstrap_token = token;
  return o;
}

bool lists_paired(WsClient& c, const std::string& device_id) {
  auto list = c.call("device.pair.list");
  if (!list.ok()) return false;
  for (const Json& d : (*list)["paired"])
    if (d["deviceId"] == device_id) return true;
  return false;
}

TEST(ClusterDevices, ARequestFiledOnOneInstanceIsApprovedOnAnotherAndTheTokenWorksEverywhere) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a", kNoAutoPair));
  START_GATEWAY(b, cl.start("b", kNoAutoPair));
  auto op_a = a->connect();
  auto op_b = b->connect();
  ASSERT_TRUE(op_a && op_b);
  ASSERT_TRUE(nats_connected(*op_a) && nats_connected(*op_b));

  // The device asks through b: refused with a request, which a's operator hears of.
  auto key = new_device_key();
  auto first = WsClient::connect(device_client(*b, key));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, simpleclaw::ErrorCode::kNotPaired);
  const std::string request_id = first.error().details.value("requestId", "");
  ASSERT_FALSE(request_id.empty()) << first.error().message;
  auto ev = wait_event(*op_a, "device.pair.requested", 5000);
  ASSERT_TRUE(ev.has_value()) << "the request was not announced on a";
  EXPECT_EQ((*ev)["payload"]["requestId"], request_id);
  Json pending;
  ASSERT_TRUE(poll_until(
      [&] {
        auto list = op_a->call("device.pair.list");
        if (!list.ok()) return false;
        pending = (*list)["pending"];
        return pending.size() == 1 && pending[0]["requestId"] == request_id;
      },
      5000))
      << pending.dump();

  // Approved through a: b lets the device in and hands it its token.
  auto approved = op_a->call("device.pair.approve", Json{{"requestId", request_id}});
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  Json hello;
  auto on_b = WsClient::connect(device_client(*b, key), &hello);
  ASSERT_TRUE(on_b.ok()) << on_b.error().message;
  const std::string token = hello["auth"].value("deviceToken", "");
  ASSERT_GE(token.size(), 40u) << hello["auth"].dump();

  // That token alone, on a at once: a's copy may not have it yet, and a looks again.
  auto on_a = WsClient::connect(with_device_token(device_client(*a, key), token));
  ASSERT_TRUE(on_a.ok()) << on_a.error().message;
  EXPECT_TRUE((*on_a)->call("sessions.list").ok());
  // It is one document in the database, not a file per instance.
  EXPECT_EQ(cl.count("SELECT count(*) FROM shared_docs WHERE name = 'devices' AND doc LIKE '%" +
                     key->device_id() + "%'"),
            1);
  EXPECT_FALSE(std::filesystem::exists(a->state_dir() + "/devices.json"));
  EXPECT_FALSE(std::filesystem::exists(b->state_dir() + "/devices.json"));

  // Removed through b: its sockets on both instances close; its token opens nothing.
  auto removed = op_b->call("device.pair.remove", Json{{"deviceId", key->device_id()}});
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_TRUE(wait_close(**on_b, 5000).closed) << "b kept the removed device's socket";
  EXPECT_TRUE(wait_close(**on_a, 5000).closed) << "a kept the removed device's socket";
  auto refused = WsClient::connect(with_device_token(device_client(*a, key), token));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().details.value("code", ""), "AUTH_DEVICE_TOKEN_MISMATCH")
      << refused.error().message;
  EXPECT_TRUE(poll_until([&] { return !lists_paired(*op_a, key->device_id()); }, 5000));

  // Bad input through either instance is refused and changes nothing.
  auto late = op_a->call("device.pair.approve", Json{{"requestId", request_id}});
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("unknown pairing request"), std::string::npos);
  auto unknown =
      op_b->call("device.token.revoke", Json{{"deviceId", "nope"}, {"role", "operator"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown device: nope"), std::string::npos)
      << unknown.error().message;
}

// `simpleclaw dashboard` asks one instance for a sign-in link; behind a load balancer the
// browser may reach another.
TEST(ClusterDevices, ASignInLinkFromOneInstancePairsABrowserOnAnotherOnce) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a", kNoAutoPair));
  START_GATEWAY(b, cl.start("b", kNoAutoPair));
  auto op_a = a->connect();
  ASSERT_NE(op_a, nullptr);
  auto link = op_a->call("dashboard.bootstrap", Json{{"ttlSeconds", 60}});
  ASSERT_TRUE(link.ok()) << link.error().message;
  const std::string token = link->value("bootstrapToken", "");
  ASSERT_GE(token.size(), 40u);

  auto key = new_device_key();
  Json hello;
  auto ui = WsClient::connect(with_sign_in_link(device_client(*b, key), token),
                              &hello);  // at once: b looks the link up
  ASSERT_TRUE(ui.ok()) << ui.error().message;
  EXPECT_FALSE(hello["auth"].value("deviceToken", "").empty());
  EXPECT_TRUE(poll_until([&] { return lists_paired(*op_a, key->device_id()); }, 5000));

  // Used once, on every instance.
  for (const GatewayProcess* gw : {a.get(), b.get()}) {
    auto second = WsClient::connect(with_sign_in_link(device_client(*gw, new_device_key()), token));
    ASSERT_FALSE(second.ok());
    EXPECT_NE(second.error().message.find("used or expired"), std::string::npos)
        << second.error().message;
  }
}

TEST(ClusterDevices, TwoInstancesPairingDevicesAtTheSameMomentKeepEveryOne) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a"));  // loopback with the token: paired at once
  START_GATEWAY(b, cl.start("b"));
  constexpr int kEach = 8;
  struct Paired {
    std::shared_ptr<const simpleclaw::nodes::DeviceKey> key;
    std::string token;
    bool on_a = false;
  };
  std::vector<Paired> got(2 * kEach);
  std::atomic<int> failed{0};
  auto pair_on = [&](const GatewayProcess& gw, int from, bool on_a) {
    for (int i = from; i < from + kEach; ++i) {
      got[i].key = new_device_key();
      got[i].on_a = on_a;
      Json hello;
      auto c = WsClient::connect(device_client(gw, got[i].key), &hello);
      if (!c.ok()) {
        ++failed;
        continue;
      }
      got[i].token = hello["auth"].value("deviceToken", "");
    }
  };
  std::thread ta([&] { pair_on(*a, 0, true); });
  std::thread tb([&] { pair_on(*b, kEach, false); });
  ta.join();
  tb.join();
  ASSERT_EQ(failed.load(), 0);
  auto op = a->connect();
  ASSERT_NE(op, nullptr);
  Json list;
  ASSERT_TRUE(poll_until(
      [&] {
        auto r = op->call("device.pair.list");
        if (!r.ok()) return false;
        list = *r;
        return list["paired"].size() == static_cast<std::size_t>(2 * kEach);
      },
      5000))
      << "paired at once through two instances, some were lost: " << list["paired"].size();
  // Each device's token works on the other instance.
  for (const Paired& p : got) {
    ASSERT_FALSE(p.token.empty());
    const GatewayProcess& other = p.on_a ? *b : *a;
    auto c = WsClient::connect(with_device_token(device_client(other, p.key), p.token));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  }
}

}  // namespace
}  // namespace sctest
