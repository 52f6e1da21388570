#include "channels/access.h"

#include <openssl/rand.h>

#include <algorithm>

#include "base/fs.h"

namespace simpleclaw::channels {
namespace {

bool listed(const std::vector<std::string>& v, const std::string& id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

AccessDecision decide_access(const AccountSettings& a, const sdk::InboundMessage& m, bool paired) {
  bool allowed = paired || listed(a.allow_from, m.sender_id) || listed(a.allow_from, "*");
  if (!m.peer.group) {
    if (a.dm_policy == "disabled") return {Access::kDeny, "direct messages are disabled"};
    if (allowed || a.dm_policy == "open") return {Access::kAllow, {}};
    if (a.dm_policy == "pairing") return {Access::kPair, "unknown sender: pairing code"};
    return {Access::kDeny, "sender not in allow_from"};
  }
  if (!listed(a.groups, m.peer.chat_id) && !listed(a.groups, "*") &&
      !listed(a.joined_groups, m.peer.chat_id))
    return {Access::kDeny, "group not in groups"};
  if (!allowed) return {Access::kDeny, "sender not in allow_from"};
  if (a.activation != "always" && !m.mentioned) return {Access::kIgnore, "not mentioned"};
  return {Access::kAllow, {}};
}

bool may_approve(const AccountSettings& a, const std::string& sender_id, bool paired) {
  return paired || listed(a.allow_from, sender_id);
}

PairingStore::PairingStore(std::string file) : file_(std::move(file)) {
  auto raw = read_file(file_);
  if (!raw) return;
  load_json(Json::parse(*raw, nullptr, false));
}

void PairingStore::load_json(const Json& j) {
  approved_.clear();
  pending_.clear();
  if (!j.is_object()) return;
  if (auto it = j.find("approved"); it != j.end() && it->is_array())
    for (const Json& v : *it)
      if (v.is_string() && approved_.size() < kMaxApproved)
        approved_.push_back(v.get<std::string>());
  if (auto it = j.find("pending"); it != j.end() && it->is_array())
    for (const Json& p : *it)
      if (p.is_object() && pending_.size() < kMaxPending)
        pending_.push_back({p.value("code", ""), p.value("senderId", ""), p.value("senderName", ""),
                            p.value("createdAtMs", std::int64_t{0}), p.value("chatId", "")});
}

bool PairingStore::approved(const std::string& sender_id) const {
  return listed(approved_, sender_id);
}

void PairingStore::expire(std::int64_t now_ms) {
  std::erase_if(pending_, [&](const Pending& p) { return now_ms - p.created_ms > kCodeTtlMs; });
}

std::string PairingStore::code_for(const std::string& sender_id, const std::string& sender_name,
                                   std::int64_t now_ms, bool* fresh, const std::string& chat_id) {
  expire(now_ms);
  *fresh = false;
  for (Pending& p : pending_) {
    if (p.sender_id != sender_id) continue;
    if (!chat_id.empty() && p.chat_id != chat_id) {
      p.chat_id = chat_id.substr(0, 200);  // the latest conversation gets the notice
      changed(Op{Op::Kind::kPending, p, {}, {}});
    }
    return p.code;
  }
  // 8 characters from an alphabet without look-alikes (0/O, 1/I/L): ~40 bits.
  static constexpr char kAlphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  unsigned char rnd[8];
  RAND_bytes(rnd, sizeof rnd);
  std::string code;
  for (unsigned char b : rnd) code += kAlphabet[b % (sizeof kAlphabet - 1)];
  if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
  pending_.push_back({code, sender_id, sender_name.substr(0, 200), now_ms, chat_id.substr(0, 200)});
  *fresh = true;
  changed(Op{Op::Kind::kPending, pending_.back(), {}, {}});
  return code;
}

Result<PairingStore::Pending> PairingStore::take(const std::string& code, std::int64_t now_ms) {
  expire(now_ms);
  std::string want = code;
  std::transform(want.begin(), want.end(), want.begin(), ::toupper);
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const Pending& p) { return p.code == want; });
  if (it == pending_.end())
    return Error::invalid("unknown or expired pairing code: " + code +
                          " (codes last an hour; ask the sender to message the bot again)");
  Pending p = *it;
  pending_.erase(it);
  return p;
}

Result<PairingStore::Pending> PairingStore::approve(const std::string& code, std::int64_t now_ms) {
  auto p = take(code, now_ms);
  if (!p.ok()) return p;
  if (!approved(p->sender_id) && approved_.size() < kMaxApproved) approved_.push_back(p->sender_id);
  changed(Op{Op::Kind::kApprove, {}, p->code, p->sender_id});
  return p;
}

Result<PairingStore::Pending> PairingStore::dismiss(const std::string& code, std::int64_t now_ms) {
  auto p = take(code, now_ms);
  if (p.ok()) changed(Op{Op::Kind::kDismiss, {}, p->code, {}});
  return p;
}

bool PairingStore::revoke(const std::string& sender_id) {
  auto n = std::erase(approved_, sender_id);
  if (n) changed(Op{Op::Kind::kRevoke, {}, {}, sender_id});
  return n > 0;
}

void PairingStore::changed(const Op& op) {
  if (sink_) return sink_(op);
  save();
}

void PairingStore::apply(const Op& op, std::int64_t now_ms) {
  switch (op.kind) {
    case Op::Kind::kPending: {
      expire(now_ms);
      for (Pending& p : pending_)
        if (p.sender_id == op.pending.sender_id) {
          p.chat_id = op.pending.chat_id;  // one request per sender: the newest details
          return;
        }
      if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
      pending_.push_back(op.pending);
      return;
    }
    case Op::Kind::kApprove:
      // The sender is approved even if the code went meanwhile (dismissed elsewhere):
      // approving is what was asked, and it was this sender's code.
      (void)take(op.code, now_ms);
      if (!op.sender_id.empty() && !approved(op.sender_id) && approved_.size() < kMaxApproved)
        approved_.push_back(op.sender_id);
      return;
    case Op::Kind::kDismiss:
      (void)take(op.code, now_ms);
      return;
    case Op::Kind::kRevoke:
      std::erase(approved_, op.sender_id);
      return;
  }
}

std::vector<PairingStore::Pending> PairingStore::pending(std::int64_t now_ms) const {
  std::vector<Pending> out;
  for (const Pending& p : pending_)
    if (now_ms - p.created_ms <= kCodeTtlMs) out.push_back(p);
  return out;
}

Json PairingStore::to_json() const {
  Json j{{"approved", approved_}, {"pending", Json::array()}};
  for (const Pending& p : pending_)
    j["pending"].push_back({{"code", p.code},
                            {"senderId", p.sender_id},
                            {"senderName", p.sender_name},
                            {"createdAtMs", p.created_ms},
                            {"chatId", p.chat_id}});
  return j;
}

void PairingStore::save() {
  auto st = write_file_atomic(file_, to_json().dump(2) + "\n", 0600);
  error_ = st ? "" : st.error().message;
}

}  // namespace simpleclaw::channels
