#include "discovery/service.h"

#include <unistd.h>

#include <boost/asio/post.hpp>

#include "base/log.h"

namespace simpleclaw::discovery {
namespace {

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

DiscoveryService::DiscoveryService(boost::asio::io_context& io, Publish publish)
    : io_(io), publish_(std::move(publish)) {}

DiscoveryService::~DiscoveryService() {
  advertiser_.reset();  // withdraws the record, joins Avahi's thread
}

std::string DiscoveryService::start(const config::Config& cfg, bool loopback, TxtInput txt) {
  std::string summary;
  bool tailnet_bind = cfg.gateway.bind == "tailnet";
  if (cfg.discovery.tailscale || tailnet_bind) {
    if (!tailscale_) tailscale_ = query_tailscale();
    const TailscaleInfo& t = *tailscale_;
    if (t.state == "running") {
      summary = "tailscale " + t.dns_name + " (" + t.ipv4() + ")";
      txt.tailnet_dns = t.dns_name;
    } else {
      summary = "tailscale " + t.state;
      log::warn("discovery.tailscale: {}; status shows no tailnet address until then", t.error);
    }
  }
  mode_ = parse_mdns_mode(cfg.discovery.mdns);
  if (mode_ == MdnsMode::kOff)
    off_reason_ = "discovery.mdns: off";
  else if (loopback)
    off_reason_ = "bound to loopback";
  else if (tailnet_bind)
    off_reason_ = "bound to the tailnet address";
  std::string mdns_summary;
  if (!off_reason_.empty()) {
    mdns_ = MdnsStatus{"off", "", ""};
    mdns_summary = "mDNS off (" + off_reason_ + ")";
  } else {
    std::string host = host_name();
    std::string name = cfg.discovery.display_name.empty()
                           ? default_display_name(host)
                           : instance_name(cfg.discovery.display_name);
    txt.display_name = name;
    if (!host.empty()) txt.lan_host = host.substr(0, host.find('.')) + ".local";
    // Avahi's thread reports; the loop, which owns everything here, acts (and does
    // nothing once this service is gone).
    auto on_loop = alive_.guard([this](const MdnsStatus& s) { on_mdns(s); });
    auto adv = MdnsAdvertiser::start(
        name, txt.port, build_txt(txt, mode_), [this, on_loop](const MdnsStatus& s) {
          boost::asio::post(io_, [on_loop, s]() mutable { on_loop(s); });
        });
    if (!adv.ok()) {
      mdns_ = MdnsStatus{"failed", name, adv.error().message};
      log::warn("mDNS: {}; the gateway runs without it", adv.error().message);
    } else {
      advertiser_ = std::move(*adv);
      if (mdns_.state.empty()) mdns_ = MdnsStatus{"starting", name, ""};
    }
    mdns_summary = std::string("mDNS ") + mdns_mode_name(mode_) + " '" + name + "'";
  }
  publish();
  return summary.empty() ? mdns_summary : mdns_summary + ", " + summary;
}

void DiscoveryService::on_mdns(const MdnsStatus& s) {
  MdnsStatus before = mdns_;
  mdns_ = s;
  if (s.state == "no-daemon" && before.state != "no-daemon") {
    log::warn(
        "avahi-daemon not running: mDNS off ({}); apt install avahi-daemon / systemctl "
        "start avahi-daemon, or set discovery.mdns: off. The gateway keeps running and "
        "advertises once the daemon is up.",
        s.error);
  } else if (s.state == "advertised") {
    log::info("mDNS: advertising '{}' as {}", s.service_name, kServiceType);
  } else if (s.state == "failed") {
    log::warn("mDNS: advertising '{}' failed: {}", s.service_name, s.error);
  }
  if (!before.service_name.empty() && s.service_name != before.service_name)
    log::info("mDNS: the name '{}' is taken on the network; using '{}'", before.service_name,
              s.service_name);
  publish();
}

Json DiscoveryService::status() const {
  Json mdns{{"mode", mdns_mode_name(mode_)}, {"state", mdns_.state}};
  if (!mdns_.service_name.empty()) mdns["serviceName"] = mdns_.service_name;
  if (!off_reason_.empty()) mdns["reason"] = off_reason_;
  if (!mdns_.error.empty()) mdns["error"] = mdns_.error;
  Json j{{"mdns", mdns}};
  if (tailscale_) j["tailscale"] = tailscale_->to_json();
  return j;
}

void DiscoveryService::publish() {
  if (publish_) publish_(status());
}

}  // namespace simpleclaw::discovery
