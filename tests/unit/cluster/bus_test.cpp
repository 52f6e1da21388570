// The cluster's NATS bus (cluster/bus.h) against a real nats-server (tests/fakes/
// nats_server.h): events reach the same cluster's subscribers on the loop and never
// another cluster's; requests are answered or time out; a wrong password is refused
// without showing it; a server that comes late or restarts is reconnected and events
// flow again.
#include "cluster/bus.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include "fakes/nats_server.h"

using namespace simpleclaw;
using namespace simpleclaw::cluster;
using namespace std::chrono_literals;

namespace {

BusOptions opts(const fakes::NatsServer& s, const std::string& cluster, const std::string& name) {
  return BusOptions{s.url(), s.user(), s.password(), cluster, name, 50};
}

// Runs the loop until `done` or the deadline.
template <typename Pred>
bool run_until(boost::asio::io_context& io, Pred done, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return done();
}

}  // namespace

TEST(Bus, EventsReachTheSameClustersSubscribersOnTheLoopAndNoOtherCluster) {
  fakes::NatsServer server;
  ASSERT_TRUE(server.start());
  boost::asio::io_context io;
  auto a = Bus::connect(io, opts(server, "blue", "a"));
  auto b = Bus::connect(io, opts(server, "blue", "b"));
  auto c = Bus::connect(io, opts(server, "green", "c"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << (a.ok() ? "" : a.error().message);
  ASSERT_TRUE(run_until(io, [&] { return (*a)->connected() && (*b)->connected(); }));
  std::vector<BusMessage> got_b, got_c;
  std::thread::id handler_thread;
  ASSERT_TRUE((*b)->subscribe("events.>",
                              [&](const BusMessage& m) {
                                handler_thread = std::this_thread::get_id();
                                got_b.push_back(m);
                              })
                  .ok());
  ASSERT_TRUE((*c)->subscribe("events.>", [&](const BusMessage& m) { got_c.push_back(m); }).ok());
  std::this_thread::sleep_for(100ms);  // subscriptions reach the server
  ASSERT_TRUE((*a)->publish("events.chat", std::string("hello\0bytes", 11)).ok());
  ASSERT_TRUE(run_until(io, [&] { return !got_b.empty(); }));
  EXPECT_EQ(got_b[0].subject, "events.chat") << "the cluster prefix is not the caller's business";
  EXPECT_EQ(got_b[0].data, std::string("hello\0bytes", 11));
  EXPECT_EQ(handler_thread, std::this_thread::get_id()) << "handlers run on the loop";
  run_until(
      io, [] { return false; }, 300ms);
  EXPECT_TRUE(got_c.empty()) << "another cluster on the same server sees nothing";
}

TEST(Bus, ARequestIsAnsweredByItsSubscriberOrTimesOutWhenNobodyListens) {
  fakes::NatsServer server;
  ASSERT_TRUE(server.start());
  boost::asio::io_context io;
  auto a = Bus::connect(io, opts(server, "blue", "a"));
  auto b = Bus::connect(io, opts(server, "blue", "b"));
  ASSERT_TRUE(a.ok() && b.ok());
  Bus& bb = **b;
  ASSERT_TRUE(bb.subscribe("lane.agent:main:main", [&](const BusMessage& m) {
                  EXPECT_TRUE(bb.respond(m, "pong:" + m.data).ok());
                }).ok());
  ASSERT_TRUE(run_until(io, [&] { return (*a)->connected() && bb.connected(); }));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(bb.subscribe("lane.silent", [](const BusMessage&) {}).ok());
  std::this_thread::sleep_for(100ms);
  std::optional<Result<std::string>> answer, nobody, silent;
  (*a)->request("lane.agent:main:main", "ping", 2000ms, [&](Result<std::string> r) { answer = r; });
  (*a)->request("lane.agent:main:other", "ping", 5000ms,
                [&](Result<std::string> r) { nobody = r; });
  (*a)->request("lane.silent", "ping", 300ms, [&](Result<std::string> r) { silent = r; });
  ASSERT_TRUE(run_until(io, [&] { return answer && nobody && silent; }));
  ASSERT_TRUE(answer->ok()) << answer->error().message;
  EXPECT_EQ(**answer, "pong:ping");
  ASSERT_FALSE(nobody->ok());
  EXPECT_EQ(nobody->error().code, ErrorCode::kUnavailable) << "told at once, not after 5 s";
  ASSERT_FALSE(silent->ok());
  EXPECT_EQ(silent->error().code, ErrorCode::kTimeout);
  BusMessage not_a_request;
  EXPECT_FALSE(bb.respond(not_a_request, "x").ok());
}

TEST(Bus, AWrongPasswordIsRefusedAndTheErrorDoesNotShowIt) {
  fakes::NatsServer server;
  ASSERT_TRUE(server.start());
  boost::asio::io_context io;
  BusOptions o = opts(server, "blue", "a");
  o.password = "Wrong-Secret-77";
  auto bus = Bus::connect(io, o);
  ASSERT_FALSE(bus.ok()) << "refused at once, not retried forever";
  EXPECT_NE(bus.error().message.find("Authorization"), std::string::npos) << bus.error().message;
  EXPECT_EQ(bus.error().message.find("Wrong-Secret-77"), std::string::npos);
  o.cluster = "bad name!";
  o.password = server.password();
  EXPECT_FALSE(Bus::connect(io, o).ok());
}

TEST(Bus, AServerThatStartsLateOrRestartsIsReconnectedAndEventsFlowAgain) {
  fakes::NatsServer server;
  boost::asio::io_context io;
  auto a = Bus::connect(io, opts(server, "blue", "a"));  // nothing listens yet
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = Bus::connect(io, opts(server, "blue", "b"));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE((*a)->connected());
  int got = 0;
  ASSERT_TRUE((*b)->subscribe("events.x", [&](const BusMessage&) { ++got; }).ok());
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(run_until(io, [&] { return (*a)->connected() && (*b)->connected(); }));
  auto publish_until_seen = [&] {
    const int before = got;
    return run_until(io, [&] {
      (void)(*a)->publish("events.x", "hi");
      return got > before;
    });
  };
  EXPECT_TRUE(publish_until_seen());
  server.stop();
  ASSERT_TRUE(run_until(io, [&] { return !(*a)->connected(); }));
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(run_until(io, [&] { return (*a)->connected() && (*b)->connected(); }));
  EXPECT_TRUE(publish_until_seen()) << "the subscription came back with the connection";
}

TEST(Bus, AUrlIsShownWithoutTheCredentialsItCarries) {
  EXPECT_EQ(shown_url("nats://user:Pass-1@10.0.0.1:4222"), "nats://10.0.0.1:4222");
  EXPECT_EQ(shown_url("nats://a:b@h1:4222,tls://token@h2:4222,nats://h3:4222"),
            "nats://h1:4222,tls://h2:4222,nats://h3:4222");
  EXPECT_EQ(shown_url("h4:4222"), "h4:4222");
  EXPECT_EQ(shown_url("u:p@h5:4222"), "h5:4222");
}

// TLS (cluster.nats.tls): a server that requires it is reached over tls:// with the CA
// that signed its certificate, and events flow; a client trusting another CA, or one that
// does not speak TLS, is refused at once with an error that never shows the password.
TEST(Bus, TlsWithTheRightAuthorityConnectsAndAnyOtherIsRefusedAtOnce) {
  fakes::NatsServer server;
  const std::string certs = server.dir() + "/certs";
  ASSERT_EQ(std::system(("bash " SIMPLECLAW_SOURCE_DIR "/scripts/test-certs.sh " + certs).c_str()),
            0);
  ASSERT_TRUE(server.start(
      {"--tls", "--tlscert", certs + "/server.pem", "--tlskey", certs + "/server.key"}));
  boost::asio::io_context io;
  const std::string tls_url = "tls://127.0.0.1:" + std::to_string(server.port());
  BusOptions good = opts(server, "blue", "a");
  good.url = tls_url;
  good.tls_ca = certs + "/ca.pem";
  auto a = Bus::connect(io, good);
  ASSERT_TRUE(a.ok()) << a.error().message;
  BusOptions good_b = good;
  good_b.instance = "b";
  auto b = Bus::connect(io, good_b);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE(run_until(io, [&] { return (*a)->connected() && (*b)->connected(); }));
  std::vector<BusMessage> got;
  ASSERT_TRUE((*b)->subscribe("events.>", [&](const BusMessage& m) { got.push_back(m); }).ok());
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE((*a)->publish("events.tls", "secret payload").ok());
  ASSERT_TRUE(run_until(io, [&] { return !got.empty(); }));
  EXPECT_EQ(got[0].data, "secret payload");

  BusOptions untrusted = good;
  untrusted.tls_ca = certs + "/other-ca.pem";
  auto refused = Bus::connect(io, untrusted);
  ASSERT_FALSE(refused.ok()) << "a server signed by another authority is not trusted";
  EXPECT_EQ(refused.error().message.find(server.password()), std::string::npos);

  auto plain = Bus::connect(io, opts(server, "blue", "c"));  // nats://, no TLS
  ASSERT_FALSE(plain.ok()) << "the server requires TLS";
  EXPECT_EQ(plain.error().message.find(server.password()), std::string::npos);
}
