// Avahi's client library, loaded on first use (dlopen) instead of linked.
//
// Why: libavahi-client pulls libdbus, which pulls libsystemd and its compression and
// crypto libraries: eight shared libraries, ~1.3 MB of RSS and ~1 ms of start-up in every
// gateway, although mDNS is off by default (bound to loopback). Loaded lazily, only a
// gateway that advertises (or `simpleclaw discover`) pays for it. The API is still Avahi's
// own headers: each entry below has the exact type of the function it stands for.
//
// Threading: avahi() loads once (thread-safe static); the table is immutable afterwards.
#pragma once
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>

#include "simpleclaw/result.h"

namespace simpleclaw::discovery {

// One function per line (clang-format 14 would staircase a packed X-macro list).
#define SC_AVAHI_FUNCTIONS(X)       \
  X(client_new)                     \
  X(client_free)                    \
  X(client_errno)                   \
  X(strerror)                       \
  X(free)                           \
  X(entry_group_new)                \
  X(entry_group_reset)              \
  X(entry_group_is_empty)           \
  X(entry_group_commit)             \
  X(entry_group_get_client)         \
  X(entry_group_add_service_strlst) \
  X(alternative_service_name)       \
  X(threaded_poll_new)              \
  X(threaded_poll_get)              \
  X(threaded_poll_start)            \
  X(threaded_poll_stop)             \
  X(threaded_poll_free)             \
  X(simple_poll_new)                \
  X(simple_poll_get)                \
  X(simple_poll_iterate)            \
  X(simple_poll_free)               \
  X(service_browser_new)            \
  X(service_browser_free)           \
  X(service_resolver_new)           \
  X(service_resolver_free)          \
  X(string_list_add)                \
  X(string_list_free)               \
  X(string_list_get_next)           \
  X(string_list_get_text)           \
  X(string_list_get_size)           \
  X(elapse_time)                    \
  X(address_snprint)

struct AvahiLib {
#define SC_AVAHI_MEMBER(name) decltype(&::avahi_##name) name = nullptr;
  SC_AVAHI_FUNCTIONS(SC_AVAHI_MEMBER)
#undef SC_AVAHI_MEMBER
};

// The loaded library, or an error that says what to install.
Result<const AvahiLib*> load_avahi();
// The loaded table; only after load_avahi() succeeded.
const AvahiLib& av();

}  // namespace simpleclaw::discovery
