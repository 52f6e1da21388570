// The cluster's event bus on NATS (docs/cluster.md): how gateway instances tell each other
// that something happened (a run's stream, sessions.changed, an approval) and forward a
// request to the instance that holds a session's lane. The database stays the log: a
// message lost while NATS is down loses no data, only speed (clients catch up from the
// store), so the bus is plain NATS publish/subscribe, no JetStream.
//
// Every subject is namespaced per cluster ("sc.<cluster>.<subject>"): two clusters on one
// NATS server never see each other's events, and NATS permissions can confine a cluster's
// credentials to its own prefix. A lost connection is reconnected by libnats forever
// (reconnect_wait between tries); publishing meanwhile is buffered by libnats up to its
// limit, then refused with a clear error.
//
// Threading: libnats delivers on its own threads; every handler and request callback
// here runs on the loop (io_context). Call the methods from the loop thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/alive.h"
#include "simpleclaw/result.h"

struct __natsConnection;
struct __natsSubscription;

namespace simpleclaw::cluster {

struct BusOptions {
  std::string url;             // nats://host:4222 (several, comma-separated)
  std::string user, password;  // NATS user/password authentication
  std::string cluster;         // the subject namespace: [a-z0-9_-]{1,64}
  std::string instance;        // this instance's name (connection name, inbox)
  int reconnect_wait_ms = 250;
  // TLS: on when tls_ca or tls_cert is set or the url is tls://; the server's certificate
  // must be signed by tls_ca (else a system authority); tls_cert + tls_key: mutual TLS.
  std::string tls_ca, tls_cert, tls_key;
};

struct BusMessage {
  std::string subject;  // without the cluster prefix
  std::string data;
  std::string reply;           // where respond() answers a request ("" for a plain publish)
  bool no_responders = false;  // the server's answer to a request nobody subscribes to
};

// A NATS URL as it may be shown: without the user and password it may carry
// (nats://user:pass@host:4222 -> nats://host:4222), each of a comma-separated list.
std::string shown_url(std::string_view url);

class Bus {
 public:
  using Handler = std::function<void(const BusMessage&)>;
  using Reply = std::function<void(Result<std::string>)>;

  // Connects; when the server is not reachable yet it keeps trying in the background
  // (connected() says when it is). A refused login or a bad option is an error now.
  static Result<std::unique_ptr<Bus>> connect(boost::asio::io_context& loop, BusOptions o);
  ~Bus();
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  Status publish(std::string_view subject, std::string_view data);
  // `subject` may end in NATS wildcards ("runs.*", "events.>").
  Status subscribe(std::string_view subject, Handler h);
  // Asks whoever subscribed to `subject`; `done` gets the first answer, a kUnavailable
  // error at once when nobody subscribes to it, or a kTimeout error after `timeout` (the
  // subscriber did not answer, or NATS is down).
  void request(std::string_view subject, std::string_view data, std::chrono::milliseconds timeout,
               Reply done);
  Status respond(const BusMessage& request, std::string_view data);

  bool connected() const;
  const BusOptions& options() const { return o_; }

 private:
  Bus(boost::asio::io_context& loop, BusOptions o) : loop_(loop), o_(std::move(o)) {}
  std::string full(std::string_view subject) const;
  Status add_subscription(const std::string& full_subject, Handler h);
  void on_reply(const BusMessage& m);

  boost::asio::io_context& loop_;
  BusOptions o_;
  __natsConnection* nc_ = nullptr;
  std::vector<__natsSubscription*> subs_;
  std::string inbox_;  // this instance's reply subjects: <inbox>.<n>
  std::uint64_t next_request_ = 0;
  struct Pending {
    Reply done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  std::map<std::uint64_t, Pending> pending_;
  Alive alive_;  // last: handlers posted by libnats threads do nothing once the Bus is gone
};

}  // namespace simpleclaw::cluster
