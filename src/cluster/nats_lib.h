// The NATS client library (libnats), loaded on first use (dlopen) instead of linked: only
// a gateway in cluster mode talks to NATS, and one on its own maps nothing of it (the
// reason and pattern of discovery/avahi_lib.h and store/libpq_lib.h). Each entry has the
// exact type of the libnats function it stands for.
//
// Threading: load_nats() loads once (thread-safe static); the table is immutable after.
#pragma once
#include <nats/nats.h>

#include "simpleclaw/result.h"

namespace simpleclaw::cluster {

// One function per line (clang-format 14 would staircase a packed X-macro list).
#define SC_NATS_FUNCTIONS(X)               \
  X(natsOptions_Create)                    \
  X(natsOptions_Destroy)                   \
  X(natsOptions_SetURL)                    \
  X(natsOptions_SetUserInfo)               \
  X(natsOptions_SetName)                   \
  X(natsOptions_SetMaxReconnect)           \
  X(natsOptions_SetReconnectWait)          \
  X(natsOptions_SetRetryOnFailedConnect)   \
  X(natsOptions_SetSecure)                 \
  X(natsOptions_LoadCATrustedCertificates) \
  X(natsOptions_LoadCertificatesChain)     \
  X(natsConnection_Connect)                \
  X(natsConnection_Close)                  \
  X(natsConnection_Destroy)                \
  X(natsConnection_Status)                 \
  X(natsConnection_Publish)                \
  X(natsConnection_PublishRequest)         \
  X(natsConnection_Subscribe)              \
  X(natsConnection_Flush)                  \
  X(natsSubscription_Unsubscribe)          \
  X(natsSubscription_Destroy)              \
  X(natsSubscription_SetOnCompleteCB)      \
  X(natsMsg_GetSubject)                    \
  X(natsMsg_GetReply)                      \
  X(natsMsg_GetData)                       \
  X(natsMsg_GetDataLength)                 \
  X(natsMsg_Destroy)                       \
  X(natsMsg_IsNoResponders)                \
  X(natsStatus_GetText)                    \
  X(nats_GetLastError)

struct NatsLib {
#define SC_NATS_MEMBER(name) decltype(&::name) name = nullptr;
  SC_NATS_FUNCTIONS(SC_NATS_MEMBER)
#undef SC_NATS_MEMBER
};

// The loaded library, or an error that says what to install.
Result<const NatsLib*> load_nats();

}  // namespace simpleclaw::cluster
