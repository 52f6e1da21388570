#include "agents/context.h"

#include <algorithm>
#include <map>

namespace simpleclaw::agents {

std::int64_t estimate_tokens(std::string_view text) {
  return static_cast<std::int64_t>((text.size() + 3) / 4);
}

namespace {
constexpr std::int64_t kPerMessageOverhead = 4;

struct Turn {
  std::int64_t order = 0;  // seq of the turn's first user message (or of the entry)
  std::vector<const sessions::Entry*> entries;
  std::int64_t tokens = 0;
};
}  // namespace

ContextOutput build_context(const ContextInput& in) {
  // Group by run: a run's user message(s) and its reply form one turn, ordered by the
  // user message. Entries without a run (injected) are turns of their own.
  std::map<std::string, std::size_t> turn_of_run;
  std::vector<Turn> turns;
  for (const sessions::Entry& e : in.entries) {
    if (!e.run_id.empty()) {
      auto it = turn_of_run.find(e.run_id);
      if (it != turn_of_run.end()) {
        turns[it->second].entries.push_back(&e);
        continue;
      }
      turn_of_run.emplace(e.run_id, turns.size());
    }
    turns.push_back(Turn{e.seq, {&e}, 0});
  }
  // A run's reply without its user message (trimmed by the caller's row limit) still
  // orders by its own seq, which is later than the user message would be: harmless.
  std::stable_sort(turns.begin(), turns.end(),
                   [](const Turn& a, const Turn& b) { return a.order < b.order; });
  if (in.upto_seq > 0)
    std::erase_if(turns, [&](const Turn& t) { return t.order > in.upto_seq; });
  for (Turn& t : turns) {
    std::stable_sort(t.entries.begin(), t.entries.end(), [](auto* a, auto* b) {
      return (a->role == "user") > (b->role == "user");  // user first, then replies
    });
    for (const sessions::Entry* e : t.entries)
      t.tokens += estimate_tokens(e->text) + kPerMessageOverhead;
  }

  ContextOutput out;
  std::int64_t budget = std::int64_t{in.context_window} - in.max_tokens -
                        estimate_tokens(in.system) - kPerMessageOverhead;
  std::int64_t total = 0;
  for (const Turn& t : turns) total += t.tokens;
  std::size_t first = 0;
  while (first + 1 < turns.size() && total > budget) {
    total -= turns[first].tokens;
    ++first;
    ++out.dropped_turns;
  }
  out.estimated_tokens = total + estimate_tokens(in.system);

  // Providers want user first and alternating roles: merge neighbours of the same role,
  // drop leading assistant messages.
  for (std::size_t i = first; i < turns.size(); ++i) {
    for (const sessions::Entry* e : turns[i].entries) {
      if (e->text.empty()) continue;
      if (out.messages.empty() && e->role != "user") continue;
      if (!out.messages.empty() && out.messages.back().role == e->role) {
        out.messages.back().text += "\n\n" + e->text;
      } else {
        out.messages.push_back(providers::Message{e->role, e->text});
      }
    }
  }
  return out;
}

}  // namespace simpleclaw::agents
