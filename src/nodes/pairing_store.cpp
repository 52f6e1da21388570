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

Error device_not_found(std::string_view id) {
  return Error::not_found("unknown device: " + std::string(id) + " (see device.pair.list)",
                          "DEVICE_NOT_FOUND");
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
  r.client_mode = in.client_mode;
  r.role = in.role;
  r.scopes = in.scopes;
  r.remote_ip = in.remote_ip;
  r.origin = in.origin;
  r.user = in.user;
  r.created_at_ms = now_ms;
  return r;
}

// ---- file format (devices.json) ----
// {"version":1, "pending":[request...], "paired":[device + "tokens":[{role,hash,createdAtMs}]]}

Json token_to_file(const DeviceToken& t) {
  Json j = t.summary();
  j["hash"] = t.hash;
  return j;
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
  r.client_mode = j.value("clientMode", std::string());
  r.role = j.at("role").get<std::string>();
  r.scopes = j.value("scopes", std::vector<std::string>());
  r.remote_ip = j.value("remoteIp", std::string());
  r.origin = j.value("browserOrigin", std::string());
  r.repair = j.value("isRepair", false);
  r.user = j.value("user", std::string());
  r.created_at_ms = j.at("createdAtMs").get<std::int64_t>();
  return r;
}

PairedDevice device_from_file(const Json& j) {
  PairedDevice d;
  d.device_id = j.at("deviceId").get<std::string>();
  d.public_key = j.at("publicKey").get<std::string>();
  d.display_name = j.value("displayName", std::string());
  d.label = j.value("operatorLabel", std::string());
  d.platform = j.value("platform", std::string());
  d.client_id = j.value("clientId", std::string());
  d.client_mode = j.value("clientMode", std::string());
  d.remote_ip = j.value("remoteIp", std::string());
  d.roles = j.value("roles", std::vector<std::string>());
  d.scopes = j.value("scopes", std::vector<std::string>());
  d.approved_at_ms = j.value("approvedAtMs", std::int64_t{0});
  // "lastSeenMs": the name before 0.15
  d.last_seen_ms = j.value("lastSeenAtMs", j.value("lastSeenMs", std::int64_t{0}));
  d.approved_via = j.value("approvedVia", std::string());
  d.user = j.value("user", std::string());
  if (j.contains("tokens")) {
    for (const Json& t : j.at("tokens")) {
      DeviceToken tok;
      tok.role = t.at("role").get<std::string>();
      tok.hash = t.at("hash").get<std::string>();
      tok.created_at_ms = t.value("createdAtMs", std::int64_t{0});
      tok.rotated_at_ms = t.value("rotatedAtMs", std::int64_t{0});
      tok.scopes = t.value("scopes", std::vector<std::string>());
      if (tok.hash.size() != 64) throw std::invalid_argument("a token hash is not SHA-256 hex");
      d.tokens.push_back(std::move(tok));
    }
  }
  return d;
}

// Empty strings are left out: OpenClaw's clients treat a present field as a value.
void put_nonempty(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

}  // namespace

Json DeviceToken::summary() const {
  Json j{{"role", role}, {"createdAtMs", created_at_ms}};
  if (!scopes.empty()) j["scopes"] = scopes;
  if (rotated_at_ms) j["rotatedAtMs"] = rotated_at_ms;
  return j;
}

Json PairingRequest::to_json() const {
  Json j{{"requestId", request_id},      {"deviceId", device_id},
         {"publicKey", public_key},      {"role", role},
         {"roles", Json::array({role})}, {"scopes", scopes},
         {"createdAtMs", created_at_ms}, {"ts", created_at_ms}};
  put_nonempty(j, "displayName", display_name);
  put_nonempty(j, "platform", platform);
  put_nonempty(j, "clientId", client_id);
  put_nonempty(j, "clientMode", client_mode);
  put_nonempty(j, "remoteIp", remote_ip);
  put_nonempty(j, "browserOrigin", origin);
  if (repair) j["isRepair"] = true;
  put_nonempty(j, "user", user);
  return j;
}

Json PairedDevice::to_json() const {
  Json tok = Json::array();
  for (const DeviceToken& t : tokens) tok.push_back(t.summary());
  Json j{
      {"deviceId", device_id},   {"publicKey", public_key},        {"roles", roles},
      {"scopes", scopes},        {"approvedAtMs", approved_at_ms}, {"lastSeenAtMs", last_seen_ms},
      {"tokens", std::move(tok)}};
  if (!roles.empty()) j["role"] = roles.front();
  put_nonempty(j, "displayName", display_name);
  put_nonempty(j, "operatorLabel", label);
  put_nonempty(j, "platform", platform);
  put_nonempty(j, "clientId", client_id);
  put_nonempty(j, "clientMode", client_mode);
  put_nonempty(j, "remoteIp", remote_ip);
  put_nonempty(j, "approvedVia", approved_via);
  put_nonempty(j, "user", user);
  return j;
}

bool PairedDevice::has_role(std::string_view r) const {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

const DeviceToken* PairedDevice::token_for(std::string_view r) const {
  for (const DeviceToken& t : tokens)
    if (t.role == r) return &t;
  return nullptr;
}

Result<PairingStore> PairingStore::open(std::string path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return PairingStore(std::move(path));  // first start: nothing paired
    return errno_error("cannot read the pairing store " + path, errno);
  }
  Result<std::string> text = read_file(path);
  if (!text) return text.error();
  return parse(*text, std::move(path));
}

Result<PairingStore> PairingStore::parse(std::string_view text, std::string path) {
  PairingStore store(std::move(path));
  const std::string where = store.path_.empty() ? "the cluster's shared copy" : store.path_;
  // A shared copy nobody has written yet; an empty file is damage (writes are atomic).
  if (text.empty() && store.path_.empty()) return store;
  auto corrupt = [&](const std::string& why) {
    // A damaged file on disk, not a bad request.
    return Error::io("the pairing store " + where + " is corrupt (" + why +
                     "); repair the JSON by hand, or move the file aside to start with "
                     "no paired devices (every device must then be paired again)");
  };
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("not valid JSON");
  if (!doc.is_object()) return corrupt("not a JSON object");
  try {
    int version = doc.value("version", kFileVersion);
    if (version > kFileVersion)
      return Error::io("the pairing store " + where +
                       " was written by a newer simpleclaw (format " + std::to_string(version) +
                       "); upgrade simpleclaw to use it");
    if (doc.contains("pending"))
      for (const Json& r : doc.at("pending")) store.pending_.push_back(request_from_file(r));
    if (doc.contains("paired"))
      for (const Json& d : doc.at("paired")) store.paired_.push_back(device_from_file(d));
    if (doc.contains("bootstrap"))
      for (const auto& [hash, expiry] : doc.at("bootstrap").items())
        store.bootstrap_[hash] = expiry.get<std::int64_t>();
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
  std::stable_sort(store.pending_.begin(), store.pending_.end(),
                   [](const PairingRequest& a, const PairingRequest& b) {
                     return a.created_at_ms < b.created_at_ms;
                   });
  return store;
}

Json PairingStore::to_json(const State& state) {
  Json pending = Json::array();
  for (const PairingRequest& r : state.pending) pending.push_back(r.to_json());
  Json paired = Json::array();
  for (const PairedDevice& d : state.paired) {
    Json j = d.to_json();
    Json tokens = Json::array();
    for (const DeviceToken& t : d.tokens) tokens.push_back(token_to_file(t));
    j["tokens"] = std::move(tokens);
    paired.push_back(std::move(j));
  }
  Json doc{
      {"version", kFileVersion}, {"pending", std::move(pending)}, {"paired", std::move(paired)}};
  // Sign-in links by hash: {hash: expiresAtMs}.
  for (const auto& [hash, expiry] : state.bootstrap) doc["bootstrap"][hash] = expiry;
  return doc;
}

Status PairingStore::commit(State next) {
  if (!path_.empty()) {
    std::filesystem::path target(path_);
    if (target.has_parent_path()) {
      if (Status s = make_dirs(target.parent_path().string(), 0700); !s) return s;
    }
    if (Status s = write_file_atomic(path_, to_json(next).dump(2) + "\n", 0600); !s)
      return Error::make(s.error().code, "cannot save the pairing store: " + s.error().message);
  }
  pending_ = std::move(next.pending);
  paired_ = std::move(next.paired);
  bootstrap_ = std::move(next.bootstrap);
  return Ok{};
}

Status PairingStore::add_bootstrap(const std::string& hash, std::int64_t expires_at_ms,
                                   std::int64_t now_ms, std::size_t max) {
  State next = snapshot();
  std::erase_if(next.bootstrap, [now_ms](const auto& e) { return e.second <= now_ms; });
  if (next.bootstrap.size() >= max)
    return Error::unavailable("too many unused sign-in links (" + std::to_string(max) +
                              "); wait for them to expire");
  next.bootstrap[hash] = expires_at_ms;
  return commit(std::move(next));
}

bool PairingStore::bootstrap_valid(std::string_view hash, std::int64_t now_ms) const {
  auto it = bootstrap_.find(hash);
  return it != bootstrap_.end() && it->second > now_ms;
}

Status PairingStore::use_bootstrap(std::string_view hash) {
  auto it = bootstrap_.find(hash);
  if (it == bootstrap_.end()) return Ok{};
  State next = snapshot();
  next.bootstrap.erase(std::string(hash));
  return commit(std::move(next));
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
  if (!r.client_id.empty()) d.client_id = r.client_id;
  if (!r.client_mode.empty()) d.client_mode = r.client_mode;
  if (!r.remote_ip.empty()) d.remote_ip = r.remote_ip;
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
    made->repair = find_paired(in.device_id) != nullptr;
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
  PairedDevice& d = upsert_paired(next, r, now_ms);
  d.approved_via = "operator";
  PairedDevice out = d;
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
  PairedDevice& d = upsert_paired(next, *made, now_ms);
  if (d.approved_via.empty()) d.approved_via = "silent";
  PairedDevice out = d;
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
  return TokenOwner{owner->device_id, match->role, match->scopes};
}

Result<std::string> PairingStore::rotate_token(std::string_view device_id, std::string_view role,
                                               const std::vector<std::string>* scopes,
                                               std::int64_t now_ms) {
  const PairedDevice* d = find_paired(device_id);
  if (!d) return device_not_found(device_id);
  if (!d->has_role(role))
    return Error::invalid("device " + std::string(device_id) + " is not paired for role " +
                          std::string(role));
  std::vector<std::string> narrowed;
  if (scopes) {
    for (const std::string& sc : *scopes)
      if (std::find(d->scopes.begin(), d->scopes.end(), sc) == d->scopes.end())
        return Error::invalid("scope " + sc + " was never granted to device " +
                              std::string(device_id) + "; approve a pairing request for it");
    narrowed = *scopes;
  }
  std::string token = random_token();
  State next = snapshot();
  for (PairedDevice& p : next.paired) {
    if (p.device_id != device_id) continue;
    std::int64_t created = now_ms;
    if (const DeviceToken* old = p.token_for(role)) created = old->created_at_ms;
    std::erase_if(p.tokens, [&](const DeviceToken& t) { return t.role == role; });
    p.tokens.push_back(
        DeviceToken{std::string(role), sha256_hex(token), created, now_ms, std::move(narrowed)});
  }
  if (Status s = commit(std::move(next)); !s) return s.error();
  return token;
}

Result<bool> PairingStore::revoke_token(std::string_view device_id, std::string_view role) {
  const PairedDevice* d = find_paired(device_id);
  if (!d) return device_not_found(device_id);
  if (!d->token_for(role)) return false;
  State next = snapshot();
  for (PairedDevice& p : next.paired)
    if (p.device_id == device_id)
      std::erase_if(p.tokens, [&](const DeviceToken& t) { return t.role == role; });
  if (Status s = commit(std::move(next)); !s) return s.error();
  return true;
}

Status PairingStore::rename(std::string_view device_id, std::string_view label) {
  if (!find_paired(device_id)) return device_not_found(device_id);
  State next = snapshot();
  for (PairedDevice& p : next.paired)
    if (p.device_id == device_id) p.label = std::string(label);
  return commit(std::move(next));
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

Json PairingStore::list(std::int64_t now_ms) const {
  Json pending = Json::array();
  for (const PairingRequest& r : pending_)
    if (now_ms - r.created_at_ms < kPendingTtlMs) pending.push_back(r.to_json());
  Json paired = Json::array();
  for (const PairedDevice& d : paired_) paired.push_back(d.to_json());
  return Json{{"pending", std::move(pending)}, {"paired", std::move(paired)}};
}

}  // namespace simpleclaw::nodes
