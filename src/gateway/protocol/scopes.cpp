#include "gateway/protocol/scopes.h"

namespace simpleclaw::protocol {
namespace {
constexpr Scope kAll[] = {Scope::kAdmin, Scope::kApprovals, Scope::kPairing, Scope::kRead,
                          Scope::kWrite};
}

std::string_view scope_name(Scope s) {
  switch (s) {
    case Scope::kRead:
      return "operator.read";
    case Scope::kWrite:
      return "operator.write";
    case Scope::kAdmin:
      return "operator.admin";
    case Scope::kApprovals:
      return "operator.approvals";
    case Scope::kPairing:
      return "operator.pairing";
    case Scope::kNone:
      return "";
  }
  return "";
}

std::optional<Scope> parse_scope(std::string_view name) {
  for (Scope s : kAll)
    if (scope_name(s) == name) return s;
  return std::nullopt;
}

bool ScopeSet::has(Scope s) const {
  if (s == Scope::kNone) return true;
  auto bit = [&](Scope x) { return (bits_ & static_cast<std::uint8_t>(x)) != 0; };
  if (bit(Scope::kAdmin) || bit(s)) return true;
  return s == Scope::kRead && bit(Scope::kWrite);
}

ScopeSet ScopeSet::negotiate(const std::vector<std::string>& requested, ScopeSet granted) {
  ScopeSet out;
  for (const auto& name : requested)
    if (auto s = parse_scope(name); s && granted.has(*s)) out.add(*s);
  if (requested.empty() && granted.has(Scope::kRead)) out.add(Scope::kRead);
  return out;
}

std::vector<std::string> ScopeSet::names() const {
  std::vector<std::string> out;
  for (Scope s : kAll)
    if (bits_ & static_cast<std::uint8_t>(s)) out.emplace_back(scope_name(s));
  return out;
}

}  // namespace simpleclaw::protocol
