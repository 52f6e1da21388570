// MdnsAdvertiser: publishes one _simpleclaw-gw._tcp service through avahi-daemon (D-Bus
// system bus, $DBUS_SYSTEM_BUS_ADDRESS honoured) on Avahi's own thread (AvahiThreadedPoll).
//
// * No daemon is not an error: the client is created with AVAHI_CLIENT_NO_FAIL and waits
//   for the daemon to appear; when even the bus is missing, creation is retried every
//   kRetryMs. A daemon restart (AVAHI_ERR_DISCONNECTED) recreates the client, which
//   registers the service again.
// * A name collision picks avahi_alternative_service_name ("name #2") and re-registers.
// * The destructor stops the thread and frees the client, which withdraws the record.
//
// Threading: on_status runs on Avahi's thread, for each state change; the caller posts it
// to whatever thread owns its state. Nothing else is shared.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::discovery {

struct MdnsStatus {
  // "starting" | "no-daemon" (waiting for avahi-daemon) | "registering" | "advertised" |
  // "failed"
  std::string state;
  std::string service_name;  // the name registered (differs from the wish after a collision)
  std::string error;         // Avahi's message when state is no-daemon or failed
};

class MdnsAdvertiser {
 public:
  static constexpr int kRetryMs = 10000;
  using OnStatus = std::function<void(const MdnsStatus&)>;

  // Starts the thread. Fails only when Avahi's poll thread cannot be created.
  static Result<std::unique_ptr<MdnsAdvertiser>> start(std::string name, int port,
                                                       std::vector<std::string> txt,
                                                       OnStatus on_status);
  ~MdnsAdvertiser();
  MdnsAdvertiser(const MdnsAdvertiser&) = delete;
  MdnsAdvertiser& operator=(const MdnsAdvertiser&) = delete;

  struct Impl;

 private:
  explicit MdnsAdvertiser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace simpleclaw::discovery
