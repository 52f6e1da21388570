#include "cluster/bus.h"

#include <boost/asio/post.hpp>
#include <cctype>
#include <random>

#include "cluster/nats_lib.h"

namespace simpleclaw::cluster {

namespace {

// What a libnats delivery thread needs to hand a message to the loop. Freed by libnats'
// on-complete callback, once the subscription is closed and its handler has returned
// for the last time (so it never outlives a running callback).
struct Delivery {
  boost::asio::io_context* loop;
  std::weak_ptr<const int> alive;  // the Bus's
  std::size_t prefix;              // length of "sc.<cluster>."
  std::shared_ptr<Bus::Handler> handler;
  const NatsLib* lib;
};

const NatsLib& nats() { return **load_nats(); }

Error nats_error(const NatsLib& lib, natsStatus s, const std::string& what) {
  const char* last = lib.nats_GetLastError(nullptr);
  std::string msg = what + ": " + lib.natsStatus_GetText(s);
  if (last && *last && std::string_view(last) != lib.natsStatus_GetText(s))
    msg += " (" + std::string(last) + ")";
  if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED)
    return Error::make(ErrorCode::kUnauthenticated, msg + ": check cluster.nats.user and password",
                       "NATS_AUTH");
  return Error::unavailable(msg, 1000);
}

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* d = static_cast<Delivery*>(closure);
  const NatsLib& lib = *d->lib;
  BusMessage m;
  const char* subject = lib.natsMsg_GetSubject(msg);
  m.subject = subject ? subject : "";
  m.subject = m.subject.size() >= d->prefix ? m.subject.substr(d->prefix) : m.subject;
  if (const char* data = lib.natsMsg_GetData(msg))
    m.data.assign(data, static_cast<std::size_t>(lib.natsMsg_GetDataLength(msg)));
  if (const char* reply = lib.natsMsg_GetReply(msg)) m.reply = reply;
  m.no_responders = lib.natsMsg_IsNoResponders(msg);
  lib.natsMsg_Destroy(msg);
  boost::asio::post(*d->loop, [alive = d->alive, h = d->handler, m = std::move(m)] {
    if (alive.expired()) return;
    (*h)(m);
  });
}

void on_complete(void* closure) { delete static_cast<Delivery*>(closure); }

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

}  // namespace

std::string shown_url(std::string_view url) {
  std::string out;
  for (;;) {
    std::size_t comma = url.find(',');
    std::string_view one = url.substr(0, comma);
    std::size_t scheme = one.find("://");
    std::size_t host = scheme == std::string_view::npos ? 0 : scheme + 3;
    std::size_t at = one.rfind('@');
    if (at != std::string_view::npos && at >= host) {
      out.append(one.substr(0, host));  // the scheme stays, the credentials go
      one.remove_prefix(at + 1);
    }
    out.append(one);
    if (comma == std::string_view::npos) break;
    out += ',';
    url.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::unique_ptr<Bus>> Bus::connect(boost::asio::io_context& loop, BusOptions o) {
  auto lib = load_nats();
  if (!lib.ok()) return lib.error();
  const NatsLib& n = **lib;
  if (!valid_name(o.cluster))
    return Error::invalid("cluster name '" + o.cluster + "' must be 1-64 of a-z 0-9 _ -");
  std::unique_ptr<Bus> bus(new Bus(loop, std::move(o)));
  natsOptions* opts = nullptr;
  if (auto s = n.natsOptions_Create(&opts); s != NATS_OK)
    return nats_error(n, s, "cannot create NATS options");
  struct Free {
    const NatsLib& n;
    natsOptions* o;
    ~Free() { n.natsOptions_Destroy(o); }
  } free_opts{n, opts};
  const BusOptions& bo = bus->o_;
  natsStatus s = n.natsOptions_SetURL(opts, bo.url.c_str());
  if (s == NATS_OK && !bo.user.empty())
    s = n.natsOptions_SetUserInfo(opts, bo.user.c_str(), bo.password.c_str());
  if (s == NATS_OK)
    s = n.natsOptions_SetName(opts, ("simpleclaw " + bo.cluster + "/" + bo.instance).c_str());
  const bool secure = !bo.tls_ca.empty() || !bo.tls_cert.empty() ||
                      bo.url.rfind("tls://", 0) == 0 || bo.url.find(",tls://") != std::string::npos;
  if (s == NATS_OK && secure) s = n.natsOptions_SetSecure(opts, true);
  if (s == NATS_OK && !bo.tls_ca.empty())
    s = n.natsOptions_LoadCATrustedCertificates(opts, bo.tls_ca.c_str());
  if (s == NATS_OK && !bo.tls_cert.empty())
    s = n.natsOptions_LoadCertificatesChain(opts, bo.tls_cert.c_str(), bo.tls_key.c_str());
  if (s != NATS_OK && secure)
    return nats_error(n, s, "cannot load the TLS files of cluster.nats.tls");
  if (s == NATS_OK) s = n.natsOptions_SetMaxReconnect(opts, -1);  // forever
  if (s == NATS_OK) s = n.natsOptions_SetReconnectWait(opts, bo.reconnect_wait_ms);
  if (s != NATS_OK) return nats_error(n, s, "bad NATS option (check cluster.nats.url)");
  // Once now, so that a refused login is an error at once. Only when no server answers
  // (not started yet) does the connection go on trying in the background: libnats'
  // retry-on-failed-connect would also retry a refused login, forever, inside Connect.
  s = n.natsConnection_Connect(&bus->nc_, opts);
  if (s == NATS_NO_SERVER) {
    // With a callback (connected() asks libnats itself), Connect returns at once.
    s = n.natsOptions_SetRetryOnFailedConnect(
        opts, true, [](natsConnection*, void*) {}, nullptr);
    if (s == NATS_OK) s = n.natsConnection_Connect(&bus->nc_, opts);
  }
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED)
    return nats_error(n, s, "cannot connect to NATS at " + shown_url(bo.url));
  // Replies to this instance's requests come to its own inbox.
  std::random_device rd;
  bus->inbox_ = bus->full("inbox." + bo.instance + "." + std::to_string(rd()));
  if (auto st = bus->add_subscription(bus->inbox_ + ".*",
                                      [b = bus.get()](const BusMessage& m) { b->on_reply(m); });
      !st.ok())
    return st.error();
  return bus;
}

Bus::~Bus() {
  const NatsLib& n = nats();
  for (natsSubscription* sub : subs_) {
    n.natsSubscription_Unsubscribe(sub);  // its Delivery goes in on_complete
    n.natsSubscription_Destroy(sub);
  }
  if (nc_) {
    n.natsConnection_Close(nc_);
    n.natsConnection_Destroy(nc_);
  }
}

std::string Bus::full(std::string_view subject) const {
  return "sc." + o_.cluster + "." + std::string(subject);
}

bool Bus::connected() const {
  return nc_ && nats().natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

Status Bus::publish(std::string_view subject, std::string_view data) {
  const NatsLib& n = nats();
  natsStatus s = n.natsConnection_Publish(nc_, full(subject).c_str(), data.data(),
                                          static_cast<int>(data.size()));
  if (s != NATS_OK) return nats_error(n, s, "cannot publish " + std::string(subject));
  return Ok{};
}

Status Bus::subscribe(std::string_view subject, Handler h) {
  return add_subscription(full(subject), std::move(h));
}

Status Bus::add_subscription(const std::string& full_subject, Handler h) {
  const NatsLib& n = nats();
  auto* d = new Delivery{&loop_, alive_.token(), o_.cluster.size() + 4,
                         std::make_shared<Handler>(std::move(h)), &n};
  natsSubscription* sub = nullptr;
  natsStatus s = n.natsConnection_Subscribe(&sub, nc_, full_subject.c_str(), on_message, d);
  if (s != NATS_OK) {
    delete d;
    return nats_error(n, s, "cannot subscribe to " + full_subject);
  }
  if (n.natsSubscription_SetOnCompleteCB(sub, on_complete, d) != NATS_OK)
    on_complete(d);  // never reached for an open asynchronous subscription
  subs_.push_back(sub);
  return Ok{};
}

void Bus::request(std::string_view subject, std::string_view data,
                  std::chrono::milliseconds timeout, Reply done) {
  const std::uint64_t id = ++next_request_;
  const std::string reply = inbox_ + "." + std::to_string(id);
  const NatsLib& n = nats();
  natsStatus s = n.natsConnection_PublishRequest(nc_, full(subject).c_str(), reply.c_str(),
                                                 data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) {
    boost::asio::post(
        loop_,
        [done = std::move(done),
         e = nats_error(n, s, "cannot send a request to " + std::string(subject))] { done(e); });
    return;
  }
  Pending& p = pending_[id];
  p.done = std::move(done);
  p.timer = std::make_unique<boost::asio::steady_timer>(loop_, timeout);
  p.timer->async_wait(
      alive_.guard([this, id, what = std::string(subject)](boost::system::error_code ec) {
        if (ec) return;  // answered first
        auto it = pending_.find(id);
        if (it == pending_.end()) return;
        Reply cb = std::move(it->second.done);
        pending_.erase(it);
        cb(Error::timeout("no answer to " + what + " over NATS in time"));
      }));
}

void Bus::on_reply(const BusMessage& m) {
  // "inbox.<instance>.<random>.<n>" with the prefix already cut: <n> is after the last dot.
  const auto dot = m.subject.rfind('.');
  if (dot == std::string::npos) return;
  std::uint64_t id = 0;
  for (char c : m.subject.substr(dot + 1)) {
    if (c < '0' || c > '9') return;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // late: it timed out already
  Reply cb = std::move(it->second.done);
  it->second.timer->cancel();
  pending_.erase(it);
  if (m.no_responders)
    cb(Error::unavailable("nobody in the cluster answers that request (no instance subscribes)",
                          1000));
  else
    cb(m.data);
}

Status Bus::respond(const BusMessage& request, std::string_view data) {
  if (request.reply.empty()) return Error::invalid("that message was not a request");
  const NatsLib& n = nats();
  natsStatus s = n.natsConnection_Publish(nc_, request.reply.c_str(), data.data(),
                                          static_cast<int>(data.size()));
  if (s != NATS_OK) return nats_error(n, s, "cannot answer a request");
  return Ok{};
}

}  // namespace simpleclaw::cluster
