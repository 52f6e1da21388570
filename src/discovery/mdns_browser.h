// browse_gateways: what `simpleclaw discover` sees. Browses _simpleclaw-gw._tcp through
// avahi-daemon for up to timeout_ms, resolving each instance (host, address, port, TXT).
// Returns early once Avahi reports it has seen everything cached and every resolver has
// answered. Runs an AvahiSimplePoll on the calling thread; bounded to kMaxResolvers.
#pragma once
#include <vector>

#include "discovery/txt_record.h"
#include "simpleclaw/result.h"

namespace simpleclaw::discovery {

inline constexpr std::size_t kMaxResolvers = 512;

// Error (with the fix) when avahi-daemon cannot be reached.
Result<std::vector<FoundService>> browse_services(int timeout_ms);

}  // namespace simpleclaw::discovery
