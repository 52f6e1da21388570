// Cluster mode's shared documents: small JSON texts every instance reads and any may
// change, one row each in `shared_docs` (migration 13). A change is one read-modify-write
// in one transaction, the row locked meanwhile (PostgreSQL: SELECT ... FOR UPDATE), so two
// instances changing the same document at once both land: the second applies its change
// to the first's result. The caller's change is therefore a function of the current text,
// not a new text (a channel account's pairing: "add this pending code", "approve that
// code"), applied on the DbWorker thread.
//
// Threading: the DbWorker thread, like SessionStore.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sessions/store.h"

namespace simpleclaw::sessions {

struct SharedDoc {
  std::string text;
  std::int64_t version = 0;  // up by one per change
};

Result<std::optional<SharedDoc>> read_shared_doc(SessionStore& s, const std::string& name);
// `change` gets the current text ("" while there is none) and returns the new one, or
// nullopt to leave it as it is (a change refused: nothing is written, the current
// document is returned).
using DocChange = std::function<std::optional<std::string>(const std::string&)>;
Result<SharedDoc> change_shared_doc(SessionStore& s, const std::string& name,
                                    const DocChange& change, std::int64_t now_ms);

}  // namespace simpleclaw::sessions
