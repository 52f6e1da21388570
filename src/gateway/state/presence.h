// Presence (SPEC §6): the gateway itself plus every connected operator client, one
// entry each, with a version that bumps on every change. Loop thread only.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "base/result.h"

namespace simpleclaw::gateway {

class Presence {
 public:
  explicit Presence(Json self_entry);
  // Adds or replaces the entry for a connection; returns the new version.
  std::uint64_t upsert(const std::string& conn_id, Json entry);
  // Removes the entry if present; returns true if something changed.
  bool remove(const std::string& conn_id);
  Json list() const;  // [self, clients... in connect order]
  std::uint64_t version() const { return version_; }
  std::size_t size() const { return entries_.size() + 1; }

 private:
  Json self_;
  std::map<std::string, std::pair<std::uint64_t, Json>> entries_;  // conn -> (order, entry)
  std::uint64_t order_ = 0;
  std::uint64_t version_ = 1;
};

}  // namespace simpleclaw::gateway
