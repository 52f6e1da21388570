#include "gateway/protocol/scopes.h"

#include "base/enum_names.h"

namespace simpleclaw::protocol {
namespace {
constexpr EnumName<Scope> kScopes[] = {{Scope::kAdmin, "operator.admin"},
                                       {Scope::kApprovals, "operator.approvals"},
                                       {Scope::kPairing, "operator.pairing"},
                                       {Scope::kRead, "operator.read"},
                                       {Scope::kWrite, "operator.write"}};
}  // namespace

std::string_view scope_name(Scope s) { return enum_name(kScopes, s); }  // kNone -> ""
std::optional<Scope> parse_scope(std::string_view name) { return enum_parse(kScopes, name); }

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
  for (const auto& row : kScopes)  // in the table's (alphabetical) order
    if (bits_ & static_cast<std::uint8_t>(row.value)) out.emplace_back(row.name);
  return out;
}

}  // namespace simpleclaw::protocol
