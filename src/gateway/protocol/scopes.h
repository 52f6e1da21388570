// Operator scopes (SPEC §4): operator.read/write/admin/approvals/pairing, where admin
// implies all and write implies read. A ScopeSet stores what was granted; has() applies
// the implications. Plain value type.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::protocol {

enum class Scope : std::uint8_t {
  kNone = 0,
  kRead = 1,
  kWrite = 2,
  kAdmin = 4,
  kApprovals = 8,
  kPairing = 16
};

std::string_view scope_name(Scope s);  // "operator.read", ...; "" for kNone
std::optional<Scope> parse_scope(std::string_view name);

class ScopeSet {
 public:
  ScopeSet() = default;
  static ScopeSet all() { return ScopeSet(0x1f); }
  void add(Scope s) { bits_ |= static_cast<std::uint8_t>(s); }
  bool has(Scope s) const;  // with implications; kNone is always held
  bool empty() const { return bits_ == 0; }
  // The scopes a client gets: what it requested (unknown names ignored), capped by
  // what its credential grants; none requested = operator.read.
  static ScopeSet negotiate(const std::vector<std::string>& requested, ScopeSet granted);
  std::vector<std::string> names() const;  // granted scopes as requested, sorted

 private:
  explicit ScopeSet(std::uint8_t bits) : bits_(bits) {}
  std::uint8_t bits_ = 0;
};

}  // namespace simpleclaw::protocol
