// DiscoveryService: step 7 of the gateway's start-up (SPEC §1): Tailscale status and the
// mDNS advertisement, and the status.discovery object the `status` method reports:
//   {mdns: {mode, state, serviceName, error?}, tailscale?: {state, dnsName, ips, ...}}
//
// Missing pieces are warnings, never start-up failures: no avahi-daemon (one warning with
// the fix; advertised as soon as a daemon appears), no tailscale binary. The exception is
// gateway.bind: tailnet, which cannot listen without a tailnet address
// (tailnet_bind_address in tailscale.h).
//
// Threading: constructed, used and destroyed on the loop thread. Avahi's thread only posts
// status changes to the loop; the destructor withdraws the record and joins that thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/alive.h"
#include "config/config.h"
#include "discovery/mdns_advertiser.h"
#include "discovery/tailscale.h"
#include "discovery/txt_record.h"
#include "simpleclaw/result.h"

namespace simpleclaw::discovery {

class DiscoveryService {
 public:
  using Publish = std::function<void(Json status)>;  // runs on the loop thread
  DiscoveryService(boost::asio::io_context& io, Publish publish);
  ~DiscoveryService();

  // Tailscale's status when it was already read (for gateway.bind: tailnet): not read again.
  void set_tailscale(TailscaleInfo t) { tailscale_ = std::move(t); }

  // Starts what the config asks for; returns the one-line summary for the start-up log.
  // `bind` is the configured bind (loopback and tailnet keep mDNS off); txt.port and the
  // TLS fields must be final.
  std::string start(const config::Config& cfg, bool loopback, TxtInput txt);

  Json status() const;

 private:
  void on_mdns(const MdnsStatus& s);  // loop thread
  void publish();

  boost::asio::io_context& io_;
  Publish publish_;
  MdnsMode mode_ = MdnsMode::kOff;
  std::string off_reason_;
  MdnsStatus mdns_;
  std::optional<TailscaleInfo> tailscale_;
  std::unique_ptr<MdnsAdvertiser> advertiser_;
  Alive alive_;  // last: Avahi reports reaching the loop after destruction are dropped
};

}  // namespace simpleclaw::discovery
