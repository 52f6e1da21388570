// PostgreSQL's client library, loaded on first use (dlopen) instead of linked.
//
// Why: libpq pulls Kerberos, LDAP, GnuTLS and SASL: twenty shared libraries mapped into
// every gateway, although one on SQLite (the default) never talks to PostgreSQL. Loaded
// lazily, only a gateway with `store.backend: postgres` pays for them (the same reason
// as discovery/avahi_lib.h). The API is libpq's own header: each entry below has the
// exact type of the function it stands for.
//
// Threading: load_libpq() loads once (thread-safe static); the table is immutable after.
#pragma once
#include <libpq-fe.h>

#include "simpleclaw/result.h"

namespace simpleclaw::store {

// One function per line (clang-format 14 would staircase a packed X-macro list).
#define SC_PQ_FUNCTIONS(X) \
  X(connectdbParams)       \
  X(status)                \
  X(errorMessage)          \
  X(finish)                \
  X(reset)                 \
  X(exec)                  \
  X(prepare)               \
  X(execPrepared)          \
  X(resultStatus)          \
  X(resultErrorField)      \
  X(resultErrorMessage)    \
  X(clear)                 \
  X(ntuples)               \
  X(nfields)               \
  X(fname)                 \
  X(getvalue)              \
  X(getlength)             \
  X(getisnull)             \
  X(cmdTuples)             \
  X(cmdStatus)             \
  X(unescapeBytea)         \
  X(freemem)               \
  X(transactionStatus)     \
  X(setNoticeProcessor)    \
  X(db)                    \
  X(user)                  \
  X(host)                  \
  X(port)                  \
  X(serverVersion)

struct PqLib {
#define SC_PQ_MEMBER(name) decltype(&::PQ##name) name = nullptr;
  SC_PQ_FUNCTIONS(SC_PQ_MEMBER)
#undef SC_PQ_MEMBER
};

// The loaded library, or an error that says what to install.
Result<const PqLib*> load_libpq();

}  // namespace simpleclaw::store
