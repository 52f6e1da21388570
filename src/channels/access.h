// Who may talk to the bot on a channel account (SPEC §9 Access), and the pairing codes
// of `dm_policy: pairing`.
//
// * DMs: a sender in allow_from ("*" = anyone) or approved through pairing may talk;
//   otherwise dm_policy decides: allowlist = ignored, pairing = answered with a
//   one-time code, open = allowed, disabled = no DMs at all (even from allow_from).
// * Groups: only groups listed in `groups` ("*" = any) or joined by configuration (the
//   channels an IRC account is told to join), only senders who pass the DM rule's
//   allow_from/pairing check, and, with activation: mention, only when the bot was
//   addressed.
// * Approving exec requests from chat needs more: the sender must be listed by id in
//   allow_from or approved through pairing ("*" and dm_policy open never grant it).
//
// Ids are compared exactly as the platform gives them (stable ids, never names).
// PairingStore: one per account, a small JSON file in the account's state dir, written
// atomically on every change (rare: a code issued or approved). Loop thread.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "channels/account_settings.h"
#include "simpleclaw/channel.h"
#include "simpleclaw/result.h"

namespace simpleclaw::channels {

enum class Access { kAllow, kDeny, kPair, kIgnore };
struct AccessDecision {
  Access what = Access::kDeny;
  std::string reason;  // for the log: "sender not in allow_from", "not mentioned", ...
};

AccessDecision decide_access(const AccountSettings& a, const sdk::InboundMessage& m, bool paired);
bool may_approve(const AccountSettings& a, const std::string& sender_id, bool paired);

class PairingStore {
 public:
  static constexpr std::size_t kMaxPending = 20;       // oldest code dropped beyond this
  static constexpr std::int64_t kCodeTtlMs = 3600000;  // a code is valid for an hour
  static constexpr std::size_t kMaxApproved = 10000;

  explicit PairingStore(std::string file);  // loads it; a missing/bad file = empty
  PairingStore() = default;                 // no file (a copy to apply changes to)
  bool approved(const std::string& sender_id) const;
  // The sender's pending code (the same one again while valid) or a new one; `fresh` is
  // set when it was just issued (the bot answers only then, so a spammer gets one reply).
  // chat_id: the conversation the request came from, where the approval notice goes
  // (on Discord a DM channel id differs from the user id); empty = the sender id.
  std::string code_for(const std::string& sender_id, const std::string& sender_name,
                       std::int64_t now_ms, bool* fresh, const std::string& chat_id = {});
  struct Pending {
    std::string code, sender_id, sender_name;
    std::int64_t created_ms = 0;
    std::string chat_id;  // where to answer; "" in files written before it existed
    const std::string& reply_to() const { return chat_id.empty() ? sender_id : chat_id; }
  };
  // Approves a pending code: the sender is allowed from now on. Errors: unknown or
  // expired code (INVALID_REQUEST).
  Result<Pending> approve(const std::string& code, std::int64_t now_ms);
  // Drops a pending code without approving its sender (same errors as approve).
  Result<Pending> dismiss(const std::string& code, std::int64_t now_ms);
  bool revoke(const std::string& sender_id);
  std::vector<Pending> pending(std::int64_t now_ms) const;
  const std::vector<std::string>& approved_ids() const { return approved_; }
  const std::string& error() const { return error_; }  // the last write failure, if any

  // The state as the file holds it ({approved, pending}), and back.
  Json to_json() const;
  void load_json(const Json& j);
  // One change, as data: cluster mode stores the state as a shared document and applies
  // each change to the newest copy of it (sessions/shared_doc_store.h), so changes made
  // through two instances at once both hold.
  struct Op {
    enum class Kind { kPending, kApprove, kDismiss, kRevoke } kind = Kind::kPending;
    Pending pending;        // kPending: the request (its code, sender, conversation)
    std::string code;       // kApprove, kDismiss
    std::string sender_id;  // kApprove (the sender the code was for), kRevoke
  };
  void apply(const Op& op, std::int64_t now_ms);
  // Cluster mode: each change goes to `sink` (which stores it) instead of the file.
  void set_sink(std::function<void(const Op&)> sink) { sink_ = std::move(sink); }

 private:
  void changed(const Op& op);  // to the sink, else the file
  void expire(std::int64_t now_ms);
  // Removes and returns the pending request with `code` (any case).
  Result<Pending> take(const std::string& code, std::int64_t now_ms);
  void save();
  std::string file_;
  std::vector<Pending> pending_;
  std::vector<std::string> approved_;
  std::string error_;
  std::function<void(const Op&)> sink_;
};

}  // namespace simpleclaw::channels
