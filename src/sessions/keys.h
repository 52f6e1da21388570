// Session keys (SPEC §5 Sessions): which conversation a message belongs to.
//
//   agent:<agentId>:main                                 the operator's main chat
//   agent:<agentId>:<channel>:direct:<peer>              a DM on a channel
//   agent:<agentId>:<channel>:group:<groupId>[:thread:<id>]
//
// Shared mode (gateway.mode: shared) gives every user a namespace inside each agent:
//
//   agent:<agentId>:user:<user>:<rest>                   <rest> as above, owned by <user>
//
// Keys are lowercased. A bare "main" (or any key without the "agent:" prefix) belongs
// to the default agent: "main" -> "agent:<default>:main", "foo" -> "agent:<default>:foo".
// Pure functions; any thread.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::sessions {

inline constexpr std::size_t kMaxKeyLength = 512;

struct SessionKey {
  std::string key;       // canonical, lowercased, always "agent:<id>:..."
  std::string agent_id;  // the <agentId> part
  std::string rest;      // what follows "agent:<id>:", e.g. "main", "telegram:direct:42"
  std::string channel;   // "telegram" for channel keys, "" otherwise
  std::string kind;      // "direct" (main and DMs) | "group" | "unknown"
  std::string owner;     // <user> of "agent:<id>:user:<user>:...", "" = the admin's
};

// Canonicalises `raw`. Errors (INVALID_REQUEST, message starts "invalid session key: " and
// says what is wrong): empty, longer than kMaxKeyLength bytes once canonicalised, control
// characters or whitespace anywhere (nothing is trimmed; Unicode spaces and C1 controls
// count too), not valid UTF-8, an empty segment ("agent::main", trailing ':'), "agent:<id>"
// with nothing after it, an agent id that is not a valid slug. Only ASCII letters are
// lowercased; other bytes are kept as they are.
//
// kind/channel: rest "main" -> direct, no channel; "<channel>:direct:<peer>" -> direct;
// "<channel>:group:<groupId>" with an optional ":thread:<threadId>" -> group; anything else
// (including peers that contain ':') -> unknown, no channel.
Result<SessionKey> parse_session_key(std::string_view raw, std::string_view default_agent);

// The bare main key ("main") and an agent's main session, "agent:<id>:main": what
// hello-ok's sessionDefaults and agents.list name.
inline constexpr std::string_view kMainKey = "main";
std::string main_session_key(std::string_view agent_id);

// The key of a conversation on a channel: agent:<agent>[:user:<user>]:<channel>:direct:
// <conversation> (a DM: the sender's id) or :group:<conversation>[:thread:<thread>].
// Platform ids become key segments (':', whitespace and control bytes turn into '_', at
// most 128 bytes each) and the key is lowercased. `user` (shared mode) puts the
// conversation in that user's namespace.
std::string channel_key(std::string_view agent_id, std::string_view user, std::string_view channel,
                        bool group, std::string_view conversation, std::string_view thread = {});

// The owner of a canonical key: <user> when the key is "agent:<id>:user:<user>:<more>",
// else "" (the admin's / local mode). Cheap (no allocation): the event fan-out calls it.
std::string_view key_owner(std::string_view canonical_key);
// The key `k` as seen from `user`'s namespace: k itself when k already belongs to
// `user`, else "agent:<id>:user:<user>:<k.rest>". So a user can only ever name keys
// inside their own namespace: another user's key (or a guess) becomes a fresh key of
// theirs, indistinguishable from any unknown key. Errors when the result is too long.
Result<SessionKey> in_user_namespace(const SessionKey& k, std::string_view user);
// User names (users.<name> in shared mode): [a-z0-9][a-z0-9_-]{0,31}.
bool valid_user_name(std::string_view name);

// Agent ids: [a-z0-9][a-z0-9_-]{0,63}.
bool valid_agent_id(std::string_view id);
// The id agents.create derives from a name: lowercased, runs of other characters become
// one '-', trimmed of '-', cut to 64; "" when nothing usable is left. ASCII letters,
// digits and '_' are kept; every other byte (including each byte of a non-ASCII
// character) is an "other character". Leading '_' is trimmed too, so a non-empty result
// always satisfies valid_agent_id: "My Agent!" -> "my-agent", "Ünïcode" -> "n-code".
std::string slugify(std::string_view name);

}  // namespace simpleclaw::sessions
