// What the model is sent for a run: the transcript entries turned into provider
// messages, in turn order, trimmed to the model's context window.
//
// Turn order: entries are stored in commit order, so with queued messages a transcript
// can read u1, u2, a1 (u2 was committed while run 1 streamed). The model must see
// u1, a1, u2: each run's reply follows its own user message. Entries are grouped by
// run and ordered by their user message; a run sees only turns up to its own user
// message (`upto_seq`), so a queued message never leaks into an earlier run.
//
// Trimming: whole turns are dropped from the oldest end until the estimate (bytes / 4
// per message + overhead, and the system prompt) fits context_window - max_tokens; the
// newest turn is always kept. A turn (user message + its replies, tool calls and their
// results) is dropped or kept as a unit so pairs never split; within a turn each tool
// call is followed by its result (see build_context).
//
// Images: a user message's images go to the model after its text. Only the newest
// kMaxContextImages of the context (up to the run's own message) are re-sent with their
// bytes; an older one is named in its message's text instead ("[image not re-sent: ...]"),
// so a long illustrated chat does not send every picture again on every turn. Each sent
// image counts kImageTokens toward the window.
//
// Pure functions; any thread.
#pragma once
#include <cstdint>
#include <vector>

#include "sessions/types.h"
#include "simpleclaw/provider.h"

namespace simpleclaw::agents {

// Rough token estimate of a text (4 bytes per token, rounded up).
std::int64_t estimate_tokens(std::string_view text);

struct ContextInput {
  std::vector<sessions::Entry> entries;  // eligible entries, commit order
  std::int64_t upto_seq = 0;             // the run's (last) user message seq; 0 = all
  std::string system;                    // system prompt
  int context_window = 128000;
  int max_tokens = 4096;
};

struct ContextOutput {
  std::vector<sdk::Message> messages;  // starts with a user message, roles alternate
  int dropped_turns = 0;
  std::int64_t estimated_tokens = 0;
};

ContextOutput build_context(const ContextInput& in);

inline constexpr int kMaxContextImages = 8;         // = the most one message may carry
inline constexpr std::int64_t kImageTokens = 1600;  // a large image's cost at most providers
// The images whose bytes the context should carry: the newest `max_images` attached to
// user entries with seq <= upto_seq (0 = all), newest first. The caller loads their
// `data`; build_context sends those that have it.
std::vector<sessions::ImageRef*> images_to_send(std::vector<sessions::Entry>& entries,
                                                std::int64_t upto_seq,
                                                int max_images = kMaxContextImages);

}  // namespace simpleclaw::agents
