// Operator devices as OpenClaw's apps and Control UI use them: a browser on the gateway's
// machine with the token is paired at once and reuses its device token; elsewhere a device
// waits for device.pair.approve; tokens rotate and revoke; removal closes the device.
// Real Ed25519 keys, the real handshake, real sockets.
#include "helpers.h"
#include "nodes/device_identity.h"

namespace sctest {
namespace {

using simpleclaw::nodes::DeviceKey;

// What OpenClaw's Control UI sends: its client id, webchat mode, a browser Origin of the
// page the gateway served, every operator scope.
ClientOptions browser(const GatewayProcess& gw, std::shared_ptr<const DeviceKey> key) {
  ClientOptions o = gw.options();
  o.client_id = "openclaw-control-ui";
  o.client_mode = "webchat";
  o.origin = "http://127.0.0.1:" + std::to_string(gw.port());
  o.scopes = {"operator.admin", "operator.read", "operator.write", "operator.approvals",
              "operator.pairing"};
  o.device = std::move(key);
  return o;
}

const Json* find_device(const Json& list, const std::string& id) {
  for (const Json& d : list["paired"])
    if (d["deviceId"] == id) return &d;
  return nullptr;
}

TEST(Devices, ABrowserOnLoopbackWithTheTokenIsPairedAtOnceAndReusesItsDeviceToken) {
  START_GATEWAY(gw);
  auto key = new_device_key();
  Json hello;
  auto ui = WsClient::connect(browser(*gw, key), &hello);
  ASSERT_TRUE(ui.ok()) << ui.error().message;
  std::string device_token = hello["auth"].value("deviceToken", "");
  ASSERT_GE(device_token.size(), 40u) << hello["auth"].dump();

  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  auto list = admin->call("device.pair.list");
  ASSERT_TRUE(list.ok()) << list.error().message;
  const Json* d = find_device(*list, key->device_id());
  ASSERT_NE(d, nullptr) << list->dump();
  EXPECT_EQ((*d)["approvedVia"], "silent");
  EXPECT_EQ((*d)["clientId"], "openclaw-control-ui");
  EXPECT_EQ((*d)["clientMode"], "webchat");
  EXPECT_EQ((*d)["connected"], true);
  EXPECT_EQ((*d)["roles"], Json::array({"operator"}));
  ASSERT_EQ((*d)["tokens"].size(), 1u);
  EXPECT_EQ((*d)["tokens"][0]["role"], "operator");
  EXPECT_EQ(list->dump().find(device_token), std::string::npos) << "a token leaked";
  EXPECT_EQ(list->dump().find("\"hash\""), std::string::npos) << "a token hash leaked";

  // The next visit presents the device token alone (OpenClaw's UI keeps it in storage).
  ClientOptions again = browser(*gw, key);
  again.token.clear();
  again.device_token = device_token;
  Json hello2;
  auto ui2 = WsClient::connect(again, &hello2);
  ASSERT_TRUE(ui2.ok()) << ui2.error().message;
  EXPECT_FALSE(hello2["auth"].contains("deviceToken"));
  EXPECT_TRUE((*ui2)->call("sessions.list").ok());

  // A wrong gateway token pairs nothing.
  ClientOptions wrong = browser(*gw, new_device_key());
  wrong.token = "not-the-token-not-the-token";
  EXPECT_FALSE(WsClient::connect(wrong).ok());
  auto after = admin->call("device.pair.list");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["paired"].size(), (*list)["paired"].size());
  EXPECT_EQ((*after)["pending"].size(), 0u);
}

TEST(Devices, ElsewhereADeviceWaitsForApprovalAndEveryDecisionIsAnnounced) {
  START_GATEWAY(gw, with_config(kNoAutoPair));
  ClientOptions po = gw->options();
  po.scopes = {"operator.pairing"};
  auto op = gw->connect(po);
  ASSERT_NE(op, nullptr);

  auto key = new_device_key();
  auto first = WsClient::connect(browser(*gw, key));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, simpleclaw::ErrorCode::kNotPaired);
  EXPECT_EQ(first.error().details["code"], "PAIRING_REQUIRED");
  std::string request_id = first.error().details.value("requestId", "");
  ASSERT_FALSE(request_id.empty());
  auto ev = wait_event(*op, "device.pair.requested", 5000);
  ASSERT_TRUE(ev.has_value());
  const Json& req = (*ev)["payload"];
  EXPECT_EQ(req["requestId"], request_id);
  EXPECT_EQ(req["deviceId"], key->device_id());
  EXPECT_EQ(req["clientId"], "openclaw-control-ui");
  EXPECT_EQ(req["browserOrigin"], "http://127.0.0.1:" + std::to_string(gw->port()));
  EXPECT_TRUE(req["ts"].is_number_integer());
  EXPECT_FALSE(req.contains("createdAtMs")) << "OpenClaw's event is closed";

  auto list = op->call("device.pair.list");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["pending"].size(), 1u);
  EXPECT_EQ((*list)["pending"][0]["requestId"], request_id);

  auto approved = op->call("device.pair.approve", Json{{"requestId", request_id}});
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  EXPECT_EQ((*approved)["requestId"], request_id);
  EXPECT_EQ((*approved)["device"]["deviceId"], key->device_id());
  EXPECT_EQ((*approved)["device"]["approvedVia"], "operator");
  auto resolved = wait_event(*op, "device.pair.resolved", 5000);
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ((*resolved)["payload"]["decision"], "approved");
  EXPECT_EQ((*resolved)["payload"]["requestId"], request_id);
  EXPECT_TRUE(WsClient::connect(browser(*gw, key)).ok());

  // Another device is rejected; approving its request afterwards finds nothing.
  auto other = new_device_key();
  auto refused = WsClient::connect(browser(*gw, other));
  ASSERT_FALSE(refused.ok());
  std::string other_id = refused.error().details.value("requestId", "");
  auto rejected = op->call("device.pair.reject", Json{{"requestId", other_id}});
  ASSERT_TRUE(rejected.ok()) << rejected.error().message;
  EXPECT_EQ((*rejected)["deviceId"], other->device_id());
  auto resolved2 = wait_event(*op, "device.pair.resolved", 5000);
  ASSERT_TRUE(resolved2.has_value());
  EXPECT_EQ((*resolved2)["payload"]["decision"], "rejected");
  auto late = op->call("device.pair.approve", Json{{"requestId", other_id}});
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("unknown pairing request"), std::string::npos);
  // Bad input is refused and changes nothing.
  auto bad = op->call("device.pair.approve", Json{{"requestId", ""}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  auto extra = op->call("device.pair.list", Json{{"surprise", 1}});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().code, simpleclaw::ErrorCode::kInvalidArgument);

  // A read-only operator can neither see nor change pairing.
  ClientOptions ro = gw->options();
  ro.scopes = {"operator.read"};
  auto reader = gw->connect(ro);
  auto forbidden = reader->call("device.pair.list");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().code, simpleclaw::ErrorCode::kForbidden);
}

TEST(Devices, TokensRotateAndRevokeAndRemovingADeviceClosesIt) {
  START_GATEWAY(gw);
  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  auto key = new_device_key();
  Json hello;
  ClientOptions bo = browser(*gw, key);
  bo.scopes = {"operator.read", "operator.write"};
  auto ui = WsClient::connect(bo, &hello);
  ASSERT_TRUE(ui.ok()) << ui.error().message;
  std::string t1 = hello["auth"].value("deviceToken", "");
  ASSERT_FALSE(t1.empty());

  // Rotation: a new token with fewer scopes; the old one stops working at once.
  auto rotated = admin->call(
      "device.token.rotate",
      Json{{"deviceId", key->device_id()}, {"role", "operator"}, {"scopes", {"operator.read"}}});
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  std::string t2 = (*rotated).value("token", "");
  ASSERT_FALSE(t2.empty());
  EXPECT_NE(t2, t1);
  EXPECT_EQ((*rotated)["tokenDelivery"], "in-band");
  EXPECT_EQ((*rotated)["scopes"], Json::array({"operator.read"}));
  ClientOptions by_token = bo;
  by_token.token.clear();
  by_token.device_token = t1;
  auto old = WsClient::connect(by_token);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().details["code"], "AUTH_DEVICE_TOKEN_MISMATCH");
  by_token.device_token = t2;
  Json hello2;
  auto ui2 = WsClient::connect(by_token, &hello2);
  ASSERT_TRUE(ui2.ok()) << ui2.error().message;
  EXPECT_EQ(hello2["auth"]["scopes"], Json::array({"operator.read"}));
  auto denied = (*ui2)->call(
      "chat.send", Json{{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "k1"}});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, simpleclaw::ErrorCode::kForbidden);
  // More than the device was granted is refused, and nothing changes.
  auto wider = admin->call(
      "device.token.rotate",
      Json{{"deviceId", key->device_id()}, {"role", "operator"}, {"scopes", {"operator.admin"}}});
  ASSERT_FALSE(wider.ok());
  EXPECT_EQ(wider.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_TRUE(WsClient::connect(by_token).ok()) << "a refused rotation kept t2 working";

  // Rename: the label shows in the list, and watchers hear of the change.
  ASSERT_TRUE(admin
                  ->call("device.pair.rename",
                         Json{{"deviceId", key->device_id()}, {"label", "kitchen tablet"}})
                  .ok());
  EXPECT_TRUE(wait_event(*admin, "device.pair.changed", 5000).has_value());
  auto list = admin->call("device.pair.list");
  ASSERT_TRUE(list.ok());
  const Json* d = find_device(*list, key->device_id());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ((*d)["operatorLabel"], "kitchen tablet");
  EXPECT_EQ((*d)["tokens"][0]["scopes"], Json::array({"operator.read"}));
  EXPECT_TRUE((*d)["tokens"][0]["rotatedAtMs"].is_number_integer());

  // Revoking the token closes the sockets of that role; the token is refused after.
  auto revoked = admin->call("device.token.revoke",
                             Json{{"deviceId", key->device_id()}, {"role", "operator"}});
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  Incoming closed = wait_close(**ui2, 5000);
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1008);
  EXPECT_FALSE(WsClient::connect(by_token).ok());
  auto again = admin->call("device.token.revoke",
                           Json{{"deviceId", key->device_id()}, {"role", "operator"}});
  ASSERT_FALSE(again.ok());

  // Still paired: the gateway token over loopback gets it a new device token.
  Json hello3;
  auto ui3 = WsClient::connect(bo, &hello3);
  ASSERT_TRUE(ui3.ok()) << ui3.error().message;
  EXPECT_FALSE(hello3["auth"].value("deviceToken", "").empty());

  // Removal: the device's sockets close and it is gone from the list.
  ASSERT_TRUE(admin->call("device.pair.remove", Json{{"deviceId", key->device_id()}}).ok());
  EXPECT_TRUE(wait_close(**ui3, 5000).closed);
  auto gone = admin->call("device.pair.list");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(find_device(*gone, key->device_id()), nullptr);
  auto unknown = admin->call("device.pair.remove", Json{{"deviceId", key->device_id()}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown device"), std::string::npos);
}

}  // namespace
}  // namespace sctest

namespace sctest {
namespace {

// `simpleclaw dashboard`'s sign-in link: a one-time token that pairs the device presenting
// it where the gateway token alone would wait for an approval.
TEST(Devices, ASignInLinkPairsOneDeviceOnceAndOnlyAnOperatorsDevice) {
  START_GATEWAY(gw, with_config(kNoAutoPair));
  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  auto link = admin->call("dashboard.bootstrap", Json{{"ttlSeconds", 60}});
  ASSERT_TRUE(link.ok()) << link.error().message;
  const std::string token = (*link).value("bootstrapToken", "");
  ASSERT_GE(token.size(), 40u);
  EXPECT_GT((*link)["expiresAtMs"].get<std::int64_t>(), 0);

  // Without a device identity the link is refused and stays usable.
  ClientOptions bare = gw->options();
  bare.token.clear();
  bare.bootstrap_token = token;
  auto no_device = WsClient::connect(bare);
  ASSERT_FALSE(no_device.ok());
  EXPECT_EQ(no_device.error().details.value("code", ""), "AUTH_BOOTSTRAP_TOKEN_INVALID");

  auto key = new_device_key();
  ClientOptions o = browser(*gw, key);
  o.token.clear();
  o.bootstrap_token = token;
  Json hello;
  auto ui = WsClient::connect(o, &hello);
  ASSERT_TRUE(ui.ok()) << ui.error().message;
  const std::string device_token = hello["auth"].value("deviceToken", "");
  EXPECT_FALSE(device_token.empty());
  EXPECT_TRUE((*ui)->call("config.get").ok()) << "the link grants the admin's operator scopes";
  auto list = admin->call("device.pair.list");
  ASSERT_TRUE(list.ok());
  EXPECT_NE(find_device(*list, key->device_id()), nullptr);
  EXPECT_EQ((*list)["pending"].size(), 0u);

  // Used once: a second device with the same link is refused, and is not even queued.
  ClientOptions again = browser(*gw, new_device_key());
  again.token.clear();
  again.bootstrap_token = token;
  auto second = WsClient::connect(again);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("used or expired"), std::string::npos);
  EXPECT_EQ((*admin->call("device.pair.list"))["pending"].size(), 0u);

  // The paired browser comes back with its device token alone.
  ClientOptions back = browser(*gw, key);
  back.token.clear();
  back.device_token = device_token;
  EXPECT_TRUE(WsClient::connect(back).ok());

  // Bad input: a TTL out of range, and a link from a non-admin.
  EXPECT_FALSE(admin->call("dashboard.bootstrap", Json{{"ttlSeconds", 5}}).ok());
  ClientOptions ro = gw->options();
  ro.scopes = {"operator.read", "operator.pairing"};
  auto reader = gw->connect(ro);
  auto refused = reader->call("dashboard.bootstrap");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, simpleclaw::ErrorCode::kForbidden);
}

}  // namespace
}  // namespace sctest
