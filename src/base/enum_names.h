// Enums that are stored or sent as words (a run's status in SQLite, a queue mode in a
// request, a scope on the wire): one table of {value, word} per enum, read both ways, so
// the name and the parse of a value cannot disagree.
//
//   constexpr EnumName<QueueMode> kQueueModes[] = {{QueueMode::kFollowup, "followup"}, ...};
//   enum_name(kQueueModes, m)        -> "followup" ("" when the value is not listed)
//   enum_parse(kQueueModes, "x")     -> std::nullopt when no row has that word
//
// constexpr, no allocation; any thread.
#pragma once
#include <cstddef>
#include <optional>
#include <string_view>

namespace simpleclaw {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

template <typename E, std::size_t N>
constexpr std::string_view enum_name(const EnumName<E> (&table)[N], E value) {
  for (const auto& row : table)
    if (row.value == value) return row.name;
  return {};
}

template <typename E, std::size_t N>
constexpr std::optional<E> enum_parse(const EnumName<E> (&table)[N], std::string_view name) {
  for (const auto& row : table)
    if (row.name == name) return row.value;
  return std::nullopt;
}

}  // namespace simpleclaw
