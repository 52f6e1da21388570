// WsConnection against a real WebSocket server (tests/fakes/ws_echo.py, python3-websockets):
// open, send and echo, our close and the server's close with their codes, upgrade
// headers, an oversize incoming message, a full send queue, connect refused, upgrade
// refused, a bad URL, and cancel() silencing every callback.
#include "net/ws_client.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fakes/py_fake.h"
#include "simpleclaw/result.h"

namespace simpleclaw::net {
namespace {

// A Python fake started in its own process group; prints one JSON line with its ports.
struct PyFake : ::fakes::PyFake {
  using ::fakes::PyFake::port;
  using ::fakes::PyFake::PyFake;
  int port() const { return ::fakes::PyFake::port("port"); }
};

std::string echo_script() { return SIMPLECLAW_SOURCE_DIR "/tests/fakes/ws_echo.py"; }

// What a connection reported.
struct Events {
  int opens = 0, closes = 0;
  std::vector<std::string> messages;
  int code = 0;
  std::string reason;
  WsClientCallbacks callbacks() {
    WsClientCallbacks cb;
    cb.on_open = [this] { ++opens; };
    cb.on_message = [this](std::string_view d, bool) { messages.emplace_back(d); };
    cb.on_close = [this](int c, const std::string& r) {
      ++closes;
      code = c;
      reason = r;
    };
    return cb;
  }
};

bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               int timeout_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return pred();
}

void run_for(boost::asio::io_context& io, int ms) {
  io.restart();
  io.run_for(std::chrono::milliseconds(ms));
}

std::string url(const PyFake& f, const std::string& path) {
  return "ws://127.0.0.1:" + std::to_string(f.port()) + path;
}

TEST(WsClient, OpenSendEchoAndOurClose) {
  PyFake fake(echo_script());
  ASSERT_GT(fake.port(), 0);
  boost::asio::io_context io;
  Events ev;
  auto c = ws_connect(io, {url(fake, "/echo")}, ev.callbacks());
  c->send("queued before open");
  EXPECT_EQ(ev.opens, 0) << "no callback inside ws_connect";
  ASSERT_TRUE(run_until(io, [&] { return ev.opens == 1; }));
  c->send("hello");
  c->send(std::string(100000, 'y'));
  ASSERT_TRUE(run_until(io, [&] { return ev.messages.size() == 3; }));
  EXPECT_EQ(ev.messages[0], "queued before open");
  EXPECT_EQ(ev.messages[1], "hello");
  EXPECT_EQ(ev.messages[2].size(), 100000u);
  c->close(1000, "done");
  EXPECT_EQ(ev.closes, 0) << "no callback inside close()";
  ASSERT_TRUE(run_until(io, [&] { return ev.closes == 1; }));
  EXPECT_EQ(ev.code, 1000);
  c->send("after close is a no-op");
  run_for(io, 50);
  EXPECT_EQ(ev.closes, 1);
}

TEST(WsClient, HeadersReachTheServer) {
  PyFake fake(echo_script());
  boost::asio::io_context io;
  Events ev;
  WsClientOptions o{url(fake, "/echo")};
  o.headers = {{"X-Test", "abc123"}};
  auto c = ws_connect(io, o, ev.callbacks());
  c->send("headers?");
  ASSERT_TRUE(run_until(io, [&] { return ev.messages.size() == 1; }));
  EXPECT_EQ(ev.messages[0], "abc123");
  c->cancel();
}

TEST(WsClient, ServerCloseCodeAndReason) {
  PyFake fake(echo_script());
  boost::asio::io_context io;
  Events ev;
  auto c = ws_connect(io, {url(fake, "/echo")}, ev.callbacks());
  c->send("close-me");
  ASSERT_TRUE(run_until(io, [&] { return ev.closes == 1; }));
  EXPECT_EQ(ev.opens, 1);
  EXPECT_EQ(ev.code, 4001);
  EXPECT_EQ(ev.reason, "bye");
}

TEST(WsClient, OversizeIncomingMessageCloses1009) {
  PyFake fake(echo_script());
  boost::asio::io_context io;
  Events ev;
  WsClientOptions o{url(fake, "/big")};
  o.max_message = 64 * 1024;
  auto c = ws_connect(io, o, ev.callbacks());
  ASSERT_TRUE(run_until(io, [&] { return ev.closes == 1; }));
  EXPECT_EQ(ev.code, 1009);
  EXPECT_TRUE(ev.messages.empty());
}

TEST(WsClient, FullSendQueueCloses1008) {
  PyFake fake(echo_script());
  boost::asio::io_context io;
  Events ev;
  auto c = ws_connect(io, {url(fake, "/echo")}, ev.callbacks());
  ASSERT_TRUE(run_until(io, [&] { return ev.opens == 1; }));
  for (int i = 0; i < 9; ++i) c->send(std::string(1 << 20, 'z'));
  ASSERT_TRUE(run_until(
      io, [&] { return ev.closes == 1; }, 10000));
  EXPECT_EQ(ev.code, 1008);
  EXPECT_LE(ev.messages.size(), 1u) << "the queue was dropped, at most the write in flight";
}

TEST(WsClient, ConnectRefusedReportsAnError) {
  boost::asio::io_context io;
  int port;
  {
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  Events ev;
  auto c = ws_connect(io, {"ws://127.0.0.1:" + std::to_string(port) + "/"}, ev.callbacks());
  ASSERT_TRUE(run_until(io, [&] { return ev.closes == 1; }));
  EXPECT_EQ(ev.opens, 0);
  EXPECT_EQ(ev.code, 1006);
  EXPECT_NE(ev.reason.find("refused"), std::string::npos) << ev.reason;
}

TEST(WsClient, UpgradeRefusedAndBadUrl) {
  PyFake fake(echo_script());
  boost::asio::io_context io;
  Events ev;
  auto c = ws_connect(io, {url(fake, "/reject")}, ev.callbacks());
  ASSERT_TRUE(run_until(io, [&] { return ev.closes == 1; }));
  EXPECT_EQ(ev.opens, 0);
  EXPECT_NE(ev.reason.find("HTTP 403"), std::string::npos) << ev.reason;

  Events bad;
  auto b = ws_connect(io, {"http://example.com/"}, bad.callbacks());
  EXPECT_EQ(bad.closes, 0) << "posted, never inline";
  ASSERT_TRUE(run_until(io, [&] { return bad.closes == 1; }));
  EXPECT_EQ(bad.code, 1006);
}

TEST(WsClient, CancelSilencesEveryCallback) {
  PyFake fake(echo_script());
  boost::asio::io_context io;
  // While connecting.
  Events a;
  auto c1 = ws_connect(io, {url(fake, "/echo")}, a.callbacks());
  c1->cancel();
  // While open, with a message in flight.
  Events b;
  auto c2 = ws_connect(io, {url(fake, "/echo")}, b.callbacks());
  ASSERT_TRUE(run_until(io, [&] { return b.opens == 1; }));
  c2->send("ping");
  c2->cancel();
  // After close() started.
  Events d;
  auto c3 = ws_connect(io, {url(fake, "/echo")}, d.callbacks());
  c3->close();
  c3->cancel();
  run_for(io, 300);
  EXPECT_EQ(a.opens + a.closes + int(a.messages.size()), 0);
  EXPECT_EQ(b.closes + int(b.messages.size()), 0);
  EXPECT_EQ(d.opens + d.closes, 0);
}

// wss:// against a self-signed certificate for "localhost": trusted through ca_file it
// works; through the system store it fails verification; for another name (the IP) the
// host-name check fails even with the CA trusted.
TEST(WsClient, TlsVerifiesChainAndHostName) {
  std::string dir =
      (std::filesystem::temp_directory_path() / ("sc-ws-tls-" + std::to_string(::getpid())))
          .string();
  std::filesystem::create_directories(dir);
  std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl command";
  {
    PyFake fake(echo_script(), {cert, key});
    ASSERT_GT(fake.port(), 0);
    std::string port = std::to_string(fake.port());
    boost::asio::io_context io;

    Events ok;
    WsClientOptions o{"wss://localhost:" + port + "/echo"};
    o.ca_file = cert;
    auto c = ws_connect(io, o, ok.callbacks());
    c->send("over tls");
    ASSERT_TRUE(run_until(io, [&] { return ok.messages.size() == 1 || ok.closes; }));
    EXPECT_EQ(ok.opens, 1) << ok.reason;
    ASSERT_EQ(ok.messages.size(), 1u);
    EXPECT_EQ(ok.messages[0], "over tls");
    c->close();
    ASSERT_TRUE(run_until(io, [&] { return ok.closes == 1; }));
    EXPECT_EQ(ok.code, 1000);

    Events untrusted;
    auto c2 = ws_connect(io, {"wss://localhost:" + port + "/echo"}, untrusted.callbacks());
    ASSERT_TRUE(run_until(io, [&] { return untrusted.closes == 1; }));
    EXPECT_EQ(untrusted.opens, 0);
    EXPECT_NE(untrusted.reason.find("could not be verified"), std::string::npos)
        << untrusted.reason;

    Events wrong_name;
    WsClientOptions o3{"wss://127.0.0.1:" + port + "/echo"};
    o3.ca_file = cert;
    auto c3 = ws_connect(io, o3, wrong_name.callbacks());
    ASSERT_TRUE(run_until(io, [&] { return wrong_name.closes == 1; }));
    EXPECT_EQ(wrong_name.opens, 0) << "the certificate does not name 127.0.0.1";
    EXPECT_NE(wrong_name.reason.find("could not be verified"), std::string::npos)
        << wrong_name.reason;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(WsClient, ConnectTimeout) {
  // A listener that never accepts: the TCP connect succeeds (backlog), the upgrade never
  // gets an answer.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  Events ev;
  WsClientOptions o{"ws://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/"};
  o.connect_timeout = std::chrono::milliseconds(200);
  auto c = ws_connect(io, o, ev.callbacks());
  ASSERT_TRUE(run_until(
      io, [&] { return ev.closes == 1; }, 3000));
  EXPECT_EQ(ev.code, 1006);
  EXPECT_NE(ev.reason.find("timed out"), std::string::npos) << ev.reason;
}

}  // namespace
}  // namespace simpleclaw::net
