#include "nodes/pairing_store.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/crypto.h"
#include "base/fs.h"
#include "base/ids.h"
#include "nodes/device_identity.h"

namespace simpleclaw::nodes {
namespace {

constexpr int kFileVersion = 1;

void add_unique(std::vector<std::string>& into, const std::vector<std::string>& from) {
  for (const std::string& s : from)
    if (std::find(into.begin(), into.end(), s) == into.end()) into.push_back(s);
}

Error request_not_found(std::string_view id) {
  return Error::not_found("unknown pairing request: " + std::string(id) +
                              " (it was already approved or rejected, or expired after 1 h; "
                              "run node.pair.list to see the pending requests)",
                          "PAIRING_REQUEST_NOT_FOUND");
}

// Checks the input and turns it into a request with a canonical public key.
Result<PairingRequest> make_request(const PairingInput& in, std::int64_t now_ms) {
  Result<std::string> raw = raw_public_key(in.public_key);
  if (!raw) return raw.error();
  if (sha256_hex(*raw) != in.device_id)
    return Error::invalid("device id " + in.device_id + " does not belong to its public key",
                          kDeviceIdMismatch);
  if (in.role.empty()) return Error::invalid("pairing request without a role");
  PairingRequest r;
  r.request_id = uuid_v4();
  r.device_id = in.device_id;
  r.public_key = base64url(*raw);
  r.display_name = in.display_name;
  r.platform = in.platform;
  r.client_id = in.client_id;
  r.role = in.role;
  r.scopes = in.scopes;
  r.remote_ip = in.remote_ip;
  r.user = in.user;
  r.created_at_ms = now_ms;
  return r;
}

// ---- file format (devices.json) ----
// {"version":1, "pending":[request...], "paired":[device + "tokens":[{role,hash,createdAtMs}]]}

Json token_to_file(const DeviceToken& t) {
  return Json{{"role", t.role}, {"hash", t.hash}, {"createdAtMs", t.created_at_ms}};
}

// nlohmann::json throws on a wrong type; load() catches and reports it with the path.
PairingRequest request_from_file(const Json& j) {
  PairingRequest r;
  r.request_id = j.at("requestId").get<std::string>();
  r.device_id = j.at("deviceId").get<std::string>();
  r.public_key = j.at("publicKey").get<std::string>();
  r.display_name = j.value("displayName", std::string());
  r.platform = j.value("platform", std::string());
  r.client_id = j.value("clientId", std::string());
  r.role = j.at("role").get<std::string>();
  r.scopes = j.value("scopes", std::vector<std::string>());
  r.remote_ip = j.value("remoteIp", std::string());
  r.user = j.value("user", std::string());
  r.created_at_ms = j.at("createdAtMs").get<std::int64_t>();
  return r;
}

PairedDevice device_from_file(const Json& j) {
  PairedDevice d;
  d.device_id = j.at("deviceId").get<std::string>();
  d.public_key = j.at("publicKey").get<std::string>();
  d.display_name = j.value("displayName", std::string());
  d.platform = j.value("platform", std::string());
  d.roles = j.value("roles", std::vector<std::string>());
  d.scopes = j.value("scopes", std::vector<std::string>());
  d.approved_at_ms = j.value("approvedAtMs", std::int64_t{0});
  d.last_seen_ms = j.value("lastSeenMs", std::int64_t{0});
  d.user = j.value("user", std::string());
  if (j.contains("tokens")) {
    for (const Json& t : j.at("tokens")) {
      DeviceToken tok;
      tok.role = t.at("role").get<std::string>();
      tok.hash = t.at("hash").get<std::string>();
      tok.created_at_ms = t.value("createdAtMs", std::int64_t{0});
      if (tok.hash.size() != 64) throw std::invalid_argument("a token hash is not SHA-256 hex");
      d.tokens.push_back(std::move(tok));
    }
  }
  return d;
}

}  // namespace

Json PairingRequest::to_json() const {
  Json j{{"requestId", request_id},
         {"deviceId", device_id},
         {"publicKey", public_key},
         {"displayName", display_name},
         {"platform", platform},
         {"clientId", client_id},
         {"role", role},
         {"scopes", scopes},
         {"remoteIp", remote_ip},
         {"createdAtMs", created_at_ms}};
  if (!user.empty()) j["user"] = user;
  return j;
}

Json PairedDevice::to_json() const {
  Json tok = Json::array();
  for (const DeviceToken& t : tokens)
    tok.push_back(Json{{"role", t.role}, {"createdAtMs", t.created_at_ms}});
  Json j{{"deviceId", device_id},
         {"publicKey", public_key},
         {"displayName", display_name},
         {"platform", platform},
         {"roles", roles},
         {"scopes", scopes},
         {"approvedAtMs", approved_at_ms},
         {"lastSeenMs", last_seen_ms},
         {"tokens", std::move(tok)}};
  if (!user.empty()) j["user"] = user;
  return j;
}

bool PairedDevice::has_role(std::string_view r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

Result<PairingStore> PairingStore::open(std::string path) {
  PairingStore store(std::move(path));
  const std::string& p = store.path_;
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    if (errno == ENOENT) return store;  // first start: nothing paired yet
    return errno_error("cannot read the pairing store " + p, errno);
  }
  Result<std::string> text = read_file(p);
  if (!text) return text.error();
  auto corrupt = [&](const std::string& why) {
    // A damaged file on disk, not a bad request.
    return Error::io("the pairing store " + p + " is corrupt (" + why +
                     "); repair the JSON by hand, or move the file aside to start with "
                     "no paired devices (every device must then be paired again)");
  };
  Json doc = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("not valid JSON");
  if (!doc.is_object()) return corrupt("not a JSON object");
  try {
    int version = doc.value("version", kFileVersion);
    if (version > kFileVersion)
      return Error::io("the pairing store " + p + " was written by a newer simpleclaw (format " +
                       std::to_string(version) + "); upgrade simpleclaw to use it");
    if (doc.contains("pending"))
      for (const Json& r : doc.at("pending")) store.pending_.push_back(request_from_file(r));
    if (doc.contains("paired"))
      for (const Json& d : doc.at("paired")) store.paired_.push_back(device_from_file(d));
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
  std::stable_sort(store.pending_.begin(), store.pending_.end(),
                   [](const PairingRequest& a, const PairingRequest& b) {
                     return a.created_at_ms < b.created_at_ms;
                   });
  return store;
}

Status PairingStore::commit(State next) {
  Json pending = Json::array();
  for (const PairingRequest& r : next.pending) pending.push_back(r.to_json());
  Json paired = Json::array();
  for (const PairedDevice& d : next.paired) {
    Json j = d.to_json();
    Json tokens = Json::array();
    for (const DeviceToken& t : d.tokens) tokens.push_back(token_to_file(t));
    j["tokens"] = std::move(tokens);
    paired.push_back(std::move(j));
  }
  Json doc{
      {"version", kFileVersion}, {"pending", std::move(pending)}, {"paired", std::move(paired)}};
  std::filesystem::path target(path_);
  if (target.has_parent_path()) {
    if (Status s = make_dirs(target.parent_path().string(), 0700); !s) return s;
  }
  if (Status s = write_file_atomic(path_, doc.dump(2) + "\n", 0600); !s)
    return Error::make(s.error().code, "cannot save the pairing store: " + s.error().message);
  pending_ = std::move(next.pending);
  paired_ = std::move(next.paired);
  return Ok{};
}

void PairingStore::drop_expired(State& s, std::int64_t now_ms) {
  std::erase_if(s.pending,
                [&](const PairingRequest& r) { return now_ms - r.created_at_ms >= kPendingTtlMs; });
}

PairedDevice& PairingStore::upsert_paired(State& s, const PairingRequest& r, std::int64_t now_ms) {
  auto it = std::find_if(s.paired.begin(), s.paired.end(),
                         [&](const PairedDevice& d) { return d.device_id == r.device_id; });
  if (it == s.paired.end()) {
    s.paired.emplace_back();
    it = std::prev(s.paired.end());
    it->device_id = r.device_id;
    it->user = r.user;  // ownership is set once; the gateway refuses another user's device
  }
  PairedDevice& d = *it;
  d.public_key = r.public_key;  // the id is the key's hash: the same device, the same key
  if (!r.display_name.empty()) d.display_name = r.display_name;
  if (!r.platform.empty()) d.platform = r.platform;
  add_unique(d.roles, {r.role});
  add_unique(d.scopes, r.scopes);
  d.approved_at_ms = now_ms;
  d.last_seen_ms = std::max(d.last_seen_ms, now_ms);
  // Any request that asked for what is now granted is settled.
  std::erase_if(s.pending, [&](const PairingRequest& p) {
    return p.device_id == r.device_id && p.role == r.role;
  });
  return d;
}

Result<PairingOutcome> PairingStore::request_pairing(const PairingInput& in, std::int64_t now_ms) {
  Result<PairingRequest> made = make_request(in, now_ms);
  if (!made) return made.error();
  State next = snapshot();
  drop_expired(next, now_ms);
  bool changed = next.pending.size() != pending_.size();
  PairingOutcome out;
  auto it = std::find_if(next.pending.begin(), next.pending.end(), [&](const PairingRequest& r) {
    return r.device_id == in.device_id && r.role == in.role;
  });
  if (it != next.pending.end()) {
    std::size_t before = it->scopes.size();
    add_unique(it->scopes, in.scopes);
    changed = changed || it->scopes.size() != before;
    out.request = *it;
  } else {
    while (next.pending.size() >= kMaxPending) next.pending.erase(next.pending.begin());
    out.request = *made;
    out.created = true;
    next.pending.push_back(std::move(*made));
    changed = true;
  }
  if (changed) {
    if (Status s = commit(std::move(next)); !s) return s.error();
  }
  return out;
}

Result<PairedDevice> PairingStore::approve(std::string_view request_id, std::int64_t now_ms) {
  State next = snapshot();
  drop_expired(next, now_ms);
  auto it = std::find_if(next.pending.begin(), next.pending.end(),
                         [&](const PairingRequest& r) { return r.request_id == request_id; });
  if (it == next.pending.end()) return request_not_found(request_id);
  PairingRequest r = *it;
  PairedDevice out = upsert_paired(next, r, now_ms);
  if (Status s = commit(std::move(next)); !s) return s.error();
  return out;
}

Result<PairingRequest> PairingStore::reject(std::string_view request_id) {
  State next = snapshot();
  auto it = std::find_if(next.pending.begin(), next.pending.end(),
                         [&](const PairingRequest& r) { return r.request_id == request_id; });
  if (it == next.pending.end()) return request_not_found(request_id);
  PairingRequest out = std::move(*it);
  next.pending.erase(it);
  if (Status s = commit(std::move(next)); !s) return s.error();
  return out;
}

Result<PairedDevice> PairingStore::pair_directly(const PairingInput& in, std::int64_t now_ms) {
  Result<PairingRequest> made = make_request(in, now_ms);
  if (!made) return made.error();
  State next = snapshot();
  drop_expired(next, now_ms);
  PairedDevice out = upsert_paired(next, *made, now_ms);
  if (Status s = commit(std::move(next)); !s) return s.error();
  return out;
}

const PairedDevice* PairingStore::find_paired(std::string_view device_id) const {
  for (const PairedDevice& d : paired_)
    if (d.device_id == device_id) return &d;
  return nullptr;
}

const PairingRequest* PairingStore::find_request(std::string_view request_id) const {
  for (const PairingRequest& r : pending_)
    if (r.request_id == request_id) return &r;
  return nullptr;
}

bool PairingStore::is_paired(std::string_view device_id, std::string_view public_key,
                             std::string_view role) const {
  const PairedDevice* d = find_paired(device_id);
  if (!d || !d->has_role(role)) return false;
  Result<std::string> key = normalize_public_key(public_key);
  return key.ok() && *key == d->public_key;
}

Result<std::string> PairingStore::mint_token(std::string_view device_id, std::string_view role,
                                             std::int64_t now_ms) {
  State next = snapshot();
  auto it = std::find_if(next.paired.begin(), next.paired.end(),
                         [&](const PairedDevice& d) { return d.device_id == device_id; });
  if (it == next.paired.end() || !it->has_role(role))
    return Error::make(ErrorCode::kNotPaired,
                       "device " + std::string(device_id) + " is not paired for role " +
                           std::string(role) +
                           "; approve its pairing request first (node.pair.approve)",
                       "PAIRING_REQUIRED");
  std::string token = random_token();
  std::erase_if(it->tokens, [&](const DeviceToken& t) { return t.role == role; });
  it->tokens.push_back(DeviceToken{std::string(role), sha256_hex(token), now_ms});
  if (Status s = commit(std::move(next)); !s) return s.error();
  return token;
}

Result<TokenOwner> PairingStore::verify_token(std::string_view token) const {
  // Hash first, then compare against every stored hash without stopping early: the time
  // taken depends on neither the token's bytes nor which entry (if any) matched.
  std::string h = sha256_hex(token);
  const PairedDevice* owner = nullptr;
  const DeviceToken* match = nullptr;
  for (const PairedDevice& d : paired_) {
    for (const DeviceToken& t : d.tokens) {
      bool same =
          t.hash.size() == h.size() && CRYPTO_memcmp(t.hash.data(), h.data(), h.size()) == 0;
      if (same) {
        owner = &d;
        match = &t;
      }
    }
  }
  if (!owner || token.empty())
    return Error::unauthenticated(
        "unauthorized: device token mismatch (the device may have been "
        "revoked or re-paired; pair it again to get a new token)",
        "AUTH_DEVICE_TOKEN_MISMATCH");
  return TokenOwner{owner->device_id, match->role};
}

Result<bool> PairingStore::revoke(std::string_view device_id) {
  State next = snapshot();
  std::size_t paired_before = next.paired.size();
  std::size_t pending_before = next.pending.size();
  std::erase_if(next.paired, [&](const PairedDevice& d) { return d.device_id == device_id; });
  std::erase_if(next.pending, [&](const PairingRequest& r) { return r.device_id == device_id; });
  bool was_paired = next.paired.size() != paired_before;
  if (was_paired || next.pending.size() != pending_before) {
    if (Status s = commit(std::move(next)); !s) return s.error();
  }
  return was_paired;
}

Status PairingStore::mark_seen(std::string_view device_id, std::int64_t now_ms) {
  // Informational: written at most once a minute per device, so a reconnect storm does
  // not cost one file write + fsync per connect.
  auto written = seen_written_.find(std::string(device_id));
  if (written != seen_written_.end() && now_ms - written->second < kSeenWriteIntervalMs) {
    for (PairedDevice& d : paired_)
      if (d.device_id == device_id) d.last_seen_ms = now_ms;
    return Ok{};
  }
  seen_written_[std::string(device_id)] = now_ms;
  State next = snapshot();
  for (PairedDevice& d : next.paired) {
    if (d.device_id != device_id) continue;
    d.last_seen_ms = now_ms;
    return commit(std::move(next));
  }
  return Ok{};
}

Result<std::size_t> PairingStore::expire(std::int64_t now_ms) {
  State next = snapshot();
  drop_expired(next, now_ms);
  std::size_t dropped = pending_.size() - next.pending.size();
  if (dropped) {
    if (Status s = commit(std::move(next)); !s) return s.error();
  }
  return dropped;
}

Json PairingStore::list() const {
  Json pending = Json::array();
  for (const PairingRequest& r : pending_) pending.push_back(r.to_json());
  Json paired = Json::array();
  for (const PairedDevice& d : paired_) paired.push_back(d.to_json());
  return Json{{"pending", std::move(pending)}, {"paired", std::move(paired)}};
}

}  // namespace simpleclaw::nodes
