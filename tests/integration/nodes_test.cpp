// Nodes end to end: real Ed25519 keys, the real handshake over real sockets, pairing by
// a second operator, device tokens, revocation, node.invoke round trips with timeouts and
// idempotency, bad proofs refused, and `simpleclaw node` itself as the node host.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "helpers.h"
#include "nodes/device_identity.h"

extern char** environ;

namespace sctest {
namespace {

using simpleclaw::nodes::DeviceKey;
using simpleclaw::nodes::SignedFields;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ClientOptions node_options(const GatewayProcess& gw, std::shared_ptr<const DeviceKey> key) {
  ClientOptions o = gw.options();
  o.role = "node";
  o.scopes = {};
  o.client_id = "test-node";
  o.client_mode = "node";
  o.display_name = "test node";
  o.commands = {"system.info", "system.run"};
  o.device = std::move(key);
  return o;
}

TEST(Nodes, UnknownDeviceNeedsApprovalThenGetsATokenAndRevocationClosesIt) {
  START_GATEWAY(gw, with_config(kNoAutoPair));
  ClientOptions po = gw->options();
  po.scopes = {"operator.pairing"};
  auto op = gw->connect(po);
  ASSERT_NE(op, nullptr);
  auto key = new_device_key();
  ClientOptions no = node_options(*gw, key);
  auto first = WsClient::connect(no);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().details["code"], "PAIRING_REQUIRED");
  std::string request_id = first.error().details.value("requestId", "");
  ASSERT_FALSE(request_id.empty());
  auto ev = wait_event(*op, "node.pair.requested", 5000);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ((*ev)["payload"]["requestId"], request_id);
  EXPECT_EQ((*ev)["payload"]["deviceId"], key->device_id());
  auto pending = op->call("node.pair.list");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ((*pending)["pending"].size(), 1u);
  // A read-only operator cannot approve.
  ClientOptions ro = gw->options();
  ro.scopes = {"operator.read"};
  auto reader = gw->connect(ro);
  auto forbidden = reader->call("node.pair.approve", Json{{"requestId", request_id}});
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().code, simpleclaw::ErrorCode::kForbidden);

  ASSERT_TRUE(op->call("node.pair.approve", Json{{"requestId", request_id}}).ok());
  Json hello;
  auto node = WsClient::connect(no, &hello);
  ASSERT_TRUE(node.ok()) << node.error().message;
  std::string device_token = hello["auth"].value("deviceToken", "");
  ASSERT_GE(device_token.size(), 40u);
  EXPECT_EQ(hello["auth"]["role"], "node");
  // The device token alone (no gateway token) works, with the device's proof.
  ClientOptions by_token = no;
  by_token.token.clear();
  by_token.device_token = device_token;
  Json hello2;
  auto node2 = WsClient::connect(by_token, &hello2);
  ASSERT_TRUE(node2.ok()) << node2.error().message;
  // With the gateway token and its valid device token: no new token (no write per connect).
  ClientOptions both = no;
  both.device_token = device_token;
  Json hello3;
  auto node3 = WsClient::connect(both, &hello3);
  ASSERT_TRUE(node3.ok()) << node3.error().message;
  EXPECT_FALSE(hello3["auth"].contains("deviceToken")) << hello3["auth"].dump();
  // ...but not with another key.
  ClientOptions stolen = by_token;
  stolen.device = new_device_key();
  EXPECT_FALSE(WsClient::connect(stolen).ok());
  auto listed = reader->call("node.list");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ((*listed)["nodes"].size(), 1u);
  EXPECT_EQ((*listed)["nodes"][0]["connected"], true);
  EXPECT_EQ((*listed)["nodes"][0]["displayName"], "test node");

  // Revoking closes the node's sockets and its token stops working.
  ASSERT_TRUE(op->call("node.pair.reject", Json{{"deviceId", key->device_id()}}).ok());
  Incoming closed = wait_close(**node2, 5000);
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1008);
  EXPECT_FALSE(WsClient::connect(by_token).ok());
}

// A connect whose device fields are built by hand, so each can be wrong.
Json device_connect(const GatewayProcess& gw, const DeviceKey& key, const std::string& nonce,
                    std::int64_t signed_at, const std::string& signed_nonce, bool flip_sig,
                    const std::string& id_override = {}) {
  ClientOptions o = gw.options();
  o.role = "node";
  o.scopes = {};
  o.client_id = "test-node";
  o.client_mode = "node";
  Json req = connect_req(o);
  SignedFields f{o.client_id, o.client_mode, "node", {}, o.token, "linux", ""};
  auto proof = key.prove(f, signed_nonce, signed_at);
  std::string sig = proof.signature;
  if (flip_sig) sig[5] = sig[5] == 'A' ? 'B' : 'A';
  req["params"]["device"] = Json{{"id", id_override.empty() ? proof.id : id_override},
                                 {"publicKey", proof.public_key},
                                 {"signature", sig},
                                 {"signedAt", signed_at},
                                 {"nonce", nonce}};
  return req;
}

TEST(Nodes, BadSignatureStaleSignedAtWrongNonceAndMissingIdentityAreRefused) {
  START_GATEWAY(gw);
  DeviceKey key = DeviceKey::generate();
  struct Case {
    const char* name;
    const char* code;
  };
  for (const Case& k : {Case{"bad signature", "DEVICE_AUTH_SIGNATURE_INVALID"},
                        Case{"stale", "DEVICE_AUTH_SIGNATURE_EXPIRED"},
                        Case{"wrong nonce", "DEVICE_AUTH_NONCE_MISMATCH"},
                        Case{"signed another nonce", "DEVICE_AUTH_SIGNATURE_INVALID"},
                        Case{"id of another key", "DEVICE_AUTH_DEVICE_ID_MISMATCH"}}) {
    Json challenge;
    ClientPtr c = open_raw(gw->options(), &challenge);
    ASSERT_NE(c, nullptr);
    std::string nonce = challenge["payload"]["nonce"];
    std::string name = k.name;
    Json req = name == "bad signature" ? device_connect(*gw, key, nonce, now_ms(), nonce, true)
               : name == "stale" ? device_connect(*gw, key, nonce, now_ms() - 121000, nonce, false)
               : name == "wrong nonce"
                   ? device_connect(*gw, key, "other-nonce", now_ms(), "other-nonce", false)
               : name == "signed another nonce"
                   ? device_connect(*gw, key, nonce, now_ms(), "other-nonce", false)
                   : device_connect(*gw, key, nonce, now_ms(), nonce, false, std::string(64, 'a'));
    ASSERT_TRUE(c->send_frame(req).ok());
    auto res = read_one(*c, 5000);
    ASSERT_TRUE(res.ok()) << name;
    ASSERT_FALSE(res->closed) << name;
    EXPECT_EQ(res->frame["ok"], false) << name;
    EXPECT_EQ(res->frame["error"]["details"]["code"], k.code) << name << ": " << res->frame.dump();
    Incoming cl = wait_close(*c, 5000);
    EXPECT_EQ(cl.close_code, 1008) << name;
  }
  // A node without any device identity.
  ClientOptions o = gw->options();
  o.role = "node";
  o.scopes = {};
  auto r = WsClient::connect(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details["code"], "DEVICE_IDENTITY_REQUIRED");
  // The properly signed one passes (auto-paired from loopback).
  Json challenge;
  ClientPtr c = open_raw(gw->options(), &challenge);
  std::string nonce = challenge["payload"]["nonce"];
  ASSERT_TRUE(c->send_frame(device_connect(*gw, key, nonce, now_ms() - 119000, nonce, false)).ok());
  auto ok = read_one(*c, 5000);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->frame["ok"], true) << ok->frame.dump();
}

// A node written in the test: answers invokes as told.
TEST(Nodes, InvokeRoundTripTimeoutErrorsAndIdempotency) {
  START_GATEWAY(gw);
  auto key = new_device_key();
  Json hello;
  auto node = WsClient::connect(node_options(*gw, key), &hello);
  ASSERT_TRUE(node.ok()) << node.error().message;
  auto op = gw->connect();
  ASSERT_NE(op, nullptr);
  std::string nid = key->device_id();
  auto d = op->call("node.describe", Json{{"nodeId", nid}});
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)["connected"], true);
  EXPECT_EQ((*d)["paired"], true);
  EXPECT_EQ((*d)["commands"], (Json{"system.info", "system.run"}));
  auto nd = op->call("node.describe", Json{{"nodeId", "no-such-node"}});
  ASSERT_FALSE(nd.ok());
  EXPECT_EQ(nd.error().details["code"], "NODE_NOT_FOUND");

  // The operator's call blocks until answered, so the node answers from a thread.
  std::vector<std::string> seen_keys;
  auto answer_next = [&](Json result_fields) {
    return std::thread([&node, &seen_keys, result_fields] {
      auto ev = wait_event(**node, "node.invoke.request", 10000);
      if (!ev) return;
      // The next request is always the newest key: a cached duplicate never reaches the node.
      EXPECT_NE((*ev)["payload"]["idempotencyKey"], "") << "every invoke carries its key";
      seen_keys.push_back((*ev)["payload"]["idempotencyKey"]);
      Json r = result_fields;
      r["id"] = (*ev)["payload"]["id"];
      (void)(*node)->call("node.invoke.result", r);
    });
  };
  std::thread t1 = answer_next(Json{{"ok", true}, {"payload", {{"hostname", "fake"}}}});
  auto r1 = op->call("node.invoke",
                     Json{{"nodeId", nid}, {"command", "system.info"}, {"idempotencyKey", "k1"}});
  t1.join();
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  EXPECT_EQ((*r1)["payload"]["hostname"], "fake");
  // Same key again: the cached answer, the node is not asked twice.
  auto r1b = op->call("node.invoke",
                      Json{{"nodeId", nid}, {"command", "system.info"}, {"idempotencyKey", "k1"}});
  ASSERT_TRUE(r1b.ok());
  EXPECT_EQ(*r1b, *r1);

  std::thread t2 =
      answer_next(Json{{"ok", false}, {"error", {{"code", "EPERM"}, {"message", "no camera"}}}});
  auto r2 = op->call("node.invoke", Json{{"nodeId", nid},
                                         {"command", "system.run"},
                                         {"params", {{"command", "x"}}},
                                         {"idempotencyKey", "k2"}});
  t2.join();
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().details["code"], "NODE_INVOKE_FAILED");
  EXPECT_NE(r2.error().message.find("no camera"), std::string::npos);
  // The node saw k1 once and then k2: the duplicate k1 was answered from the cache.
  EXPECT_EQ(seen_keys, (std::vector<std::string>{"k1", "k2"}));

  auto t0 = std::chrono::steady_clock::now();
  auto r3 = op->call("node.invoke", Json{{"nodeId", nid},
                                         {"command", "system.info"},
                                         {"timeoutMs", 300},
                                         {"idempotencyKey", "k3"}});
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().details["code"], "NODE_INVOKE_TIMEOUT");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  // A late answer to the timed-out invoke is refused, not crashed on.
  auto late_ev = wait_event(**node, "node.invoke.request", 1000);
  ASSERT_TRUE(late_ev.has_value());
  auto late =
      (*node)->call("node.invoke.result", Json{{"id", (*late_ev)["payload"]["id"]}, {"ok", true}});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().details["code"], "NODE_INVOKE_NOT_FOUND");

  auto bad = op->call("node.invoke",
                      Json{{"nodeId", nid}, {"command", "camera.snap"}, {"idempotencyKey", "k4"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().details["code"], "NODE_COMMAND_NOT_ALLOWED");
  auto unknown =
      op->call("node.invoke",
               Json{{"nodeId", "nope"}, {"command", "system.info"}, {"idempotencyKey", "k5"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().details["code"], "NODE_NOT_FOUND");
  // Operators cannot call node-role methods.
  auto not_node = op->call("node.invoke.result", Json{{"id", "x"}, {"ok", true}});
  ASSERT_FALSE(not_node.ok());
  EXPECT_EQ(not_node.error().code, simpleclaw::ErrorCode::kForbidden);
  // A node's event reaches operators.
  ASSERT_TRUE(
      (*node)->call("node.event", Json{{"event", "battery.low"}, {"payload", {{"pct", 5}}}}).ok());
  auto ne = wait_event(*op, "node.event", 5000);
  ASSERT_TRUE(ne.has_value());
  EXPECT_EQ((*ne)["payload"]["nodeId"], nid);
  EXPECT_EQ((*ne)["payload"]["payload"]["pct"], 5);
}

// `simpleclaw node` as a child process.
struct NodeProcess {
  pid_t pid = -1;
  ~NodeProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

TEST(Nodes, SimpleclawNodeHostRunsSystemInfoAndApprovedCommands) {
  START_GATEWAY(gw);
  TempDir node_state;
  NodeProcess np;
  std::vector<std::string> args{SIMPLECLAW_BIN, "node",      "--url",       gw->url(),
                                "--token",      gw->token(), "--state-dir", node_state.path()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  std::string log = node_state.path() + "/node.log";
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_EQ(posix_spawn(&np.pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);

  auto op = gw->connect();
  ASSERT_NE(op, nullptr);
  std::string nid;
  ASSERT_TRUE(eventually(
      [&] {
        auto l = op->call("node.list");
        if (!l.ok() || (*l)["nodes"].empty() || !(*l)["nodes"][0].value("connected", false))
          return false;
        nid = (*l)["nodes"][0]["nodeId"];
        return true;
      },
      10000))
      << read_text(log);
  auto info = op->call("node.invoke",
                       Json{{"nodeId", nid}, {"command", "system.info"}, {"idempotencyKey", "i1"}});
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ((*info)["payload"]["platform"], "linux");
  EXPECT_FALSE((*info)["payload"]["hostname"].get<std::string>().empty());

  // system.run goes through the node's exec policy: not allowlisted -> operators approve.
  ClientOptions ao = gw->options();
  ao.scopes = {"operator.approvals"};
  auto approver = gw->connect(ao);
  ASSERT_NE(approver, nullptr);
  std::thread resolver([&] {
    auto ev = wait_event(*approver, "exec.approval.requested", 10000);
    if (!ev) return;
    EXPECT_EQ((*ev)["payload"]["request"]["command"], "echo from-the-node");
    EXPECT_EQ((*ev)["payload"]["request"]["host"], nid);
    (void)approver->call("exec.approval.resolve",
                         Json{{"id", (*ev)["payload"]["id"]}, {"decision", "allow-once"}});
  });
  auto run = op->call("node.invoke", Json{{"nodeId", nid},
                                          {"command", "system.run"},
                                          {"params", {{"command", "echo from-the-node"}}},
                                          {"timeoutMs", 20000},
                                          {"idempotencyKey", "r1"}});
  resolver.join();
  ASSERT_TRUE(run.ok()) << run.error().message << "\n" << read_text(log);
  EXPECT_EQ((*run)["payload"]["output"], "from-the-node\n");
  EXPECT_EQ((*run)["payload"]["exitCode"], 0);
  // The device token was kept for the next start.
  EXPECT_FALSE(read_text(node_state.path() + "/node/device-token").empty());

  // The node goes away: invokes fail at once.
  ::kill(np.pid, SIGKILL);
  ::waitpid(np.pid, nullptr, 0);
  np.pid = -1;
  ASSERT_TRUE(eventually(
      [&] {
        auto l = op->call("node.list");
        return l.ok() && !(*l)["nodes"][0].value("connected", true);
      },
      5000));
  auto gone = op->call("node.invoke",
                       Json{{"nodeId", nid}, {"command", "system.info"}, {"idempotencyKey", "i2"}});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().details["code"], "NODE_NOT_CONNECTED");
}

}  // namespace
}  // namespace sctest
