#include "agents/context.h"

#include <algorithm>
#include <map>

namespace simpleclaw::agents {

using sessions::Role;

std::int64_t estimate_tokens(std::string_view text) {
  return static_cast<std::int64_t>((text.size() + 3) / 4);
}

namespace {
constexpr std::int64_t kPerMessageOverhead = 4;

// A user entry's text as the model sees it: the images it is not sent named at the end.
std::string user_text(const sessions::Entry& e) {
  std::string text = e.text;
  for (const sessions::ImageRef& img : e.images) {
    if (img.data) continue;
    if (!text.empty()) text += "\n";
    text += "[image not re-sent: " + (img.file_name.empty() ? img.mime_type : img.file_name) + "]";
  }
  return text;
}

std::vector<sdk::Image> sent_images(const sessions::Entry& e) {
  std::vector<sdk::Image> out;
  for (const sessions::ImageRef& img : e.images)
    if (img.data) out.push_back(sdk::Image{img.mime_type, img.data});
  return out;
}

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
  if (in.upto_seq > 0) std::erase_if(turns, [&](const Turn& t) { return t.order > in.upto_seq; });
  for (Turn& t : turns) {
    // The run's (first) user message leads; the rest keep commit order, so a message
    // that joined the run (steer) stays after the tool round it interrupted.
    auto first_user = std::find_if(t.entries.begin(), t.entries.end(),
                                   [](auto* e) { return e->role == Role::kUser; });
    if (first_user != t.entries.end()) std::rotate(t.entries.begin(), first_user, first_user + 1);
    for (const sessions::Entry* e : t.entries) {
      t.tokens += estimate_tokens(e->text) + kPerMessageOverhead;
      for (const sessions::ImageRef& img : e->images)
        t.tokens += img.data ? kImageTokens : kPerMessageOverhead;
      if (e->tool_calls.is_array())
        for (const Json& c : e->tool_calls)
          t.tokens += estimate_tokens(c.value("arguments", "")) + kPerMessageOverhead;
    }
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
  // drop leading assistant messages. Every tool call is followed by its result: results
  // are taken from the turn by call id (a result without its call is dropped; a call
  // without a stored result, which only old or damaged data can have, gets an error
  // result), so a provider never sees a dangling call.
  for (std::size_t i = first; i < turns.size(); ++i) {
    const auto& es = turns[i].entries;
    std::vector<bool> used(es.size(), false);
    for (std::size_t k = 0; k < es.size(); ++k) {
      const sessions::Entry* e = es[k];
      if (e->role == Role::kTool) continue;  // emitted right after its call, or an orphan
      bool has_calls =
          e->role == Role::kAssistant && e->tool_calls.is_array() && !e->tool_calls.empty();
      if (e->text.empty() && !has_calls && e->images.empty()) continue;
      if (out.messages.empty() && e->role != Role::kUser) continue;
      if (!has_calls) {
        std::string text = e->role == Role::kUser ? user_text(*e) : e->text;
        std::vector<sdk::Image> images = sent_images(*e);
        if (!out.messages.empty() && out.messages.back().role == e->role &&
            out.messages.back().tool_calls.empty()) {
          sdk::Message& prev = out.messages.back();
          if (!text.empty()) prev.text += prev.text.empty() ? text : "\n\n" + text;
          for (auto& img : images) prev.images.push_back(std::move(img));
        } else {
          sdk::Message m{e->role, std::move(text)};
          m.images = std::move(images);
          out.messages.push_back(std::move(m));
        }
        continue;
      }
      sdk::Message call_msg{Role::kAssistant, e->text};
      for (const Json& c : e->tool_calls)
        call_msg.tool_calls.push_back(
            sdk::ToolCall{c.value("id", ""), c.value("name", ""), c.value("arguments", "{}")});
      std::vector<sdk::Message> results;
      for (const sdk::ToolCall& c : call_msg.tool_calls) {
        sdk::Message r{Role::kTool, ""};
        r.tool_call_id = c.id;
        r.tool_name = c.name;
        bool found = false;
        for (std::size_t j = k + 1; j < es.size() && !found; ++j) {
          if (used[j] || es[j]->role != Role::kTool || es[j]->tool_call_id != c.id) continue;
          used[j] = true;
          found = true;
          r.text = es[j]->text;
          r.is_error = es[j]->is_error;
        }
        if (!found) {
          r.text = "error: the tool result was not recorded (the run was interrupted)";
          r.is_error = true;
        }
        results.push_back(std::move(r));
      }
      out.messages.push_back(std::move(call_msg));
      for (auto& r : results) out.messages.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<sessions::ImageRef*> images_to_send(std::vector<sessions::Entry>& entries,
                                                std::int64_t upto_seq, int max_images) {
  std::vector<sessions::ImageRef*> out;
  for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
    if (e->role != Role::kUser || (upto_seq > 0 && e->seq > upto_seq)) continue;
    for (auto img = e->images.rbegin(); img != e->images.rend(); ++img) {
      if (static_cast<int>(out.size()) >= max_images) return out;
      out.push_back(&*img);
    }
  }
  return out;
}

}  // namespace simpleclaw::agents
