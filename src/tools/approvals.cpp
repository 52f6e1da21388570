#include "tools/approvals.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "base/ids.h"
#include "base/log.h"

namespace simpleclaw::tools {

Json ApprovalRecord::pending_json() const {
  Json req = request;
  if (!req.contains("allowedDecisions"))
    req["allowedDecisions"] = Json::array({"allow-once", "allow-always", "deny"});
  return Json{{"id", id},
              {"request", std::move(req)},
              {"createdAtMs", created_ms},
              {"expiresAtMs", expires_ms},
              {"approvalKind", "exec"}};
}

Json ApprovalRecord::to_json() const {
  Json j{{"id", id},
         {"request", request},
         {"createdAtMs", created_ms},
         {"expiresAtMs", expires_ms},
         {"status", status}};
  if (status != "pending") {
    j["decision"] = status;
    j["resolvedBy"] = resolved_by;
    j["resolvedAtMs"] = resolved_ms;
    if (!reason.empty()) j["reason"] = reason;
  }
  return j;
}

ApprovalManager::ApprovalManager(boost::asio::io_context& io, ApprovalStore& store,
                                 ApprovalSink& sink, const Clock& clock)
    : io_(io), store_(store), sink_(sink), clock_(clock) {}

ApprovalManager::~ApprovalManager() {
  for (auto& [id, p] : pending_)
    if (p.timer) p.timer->cancel();
}

void ApprovalManager::load(std::function<void()> done) {
  store_.load_pending(
      alive_.guard([this, done = std::move(done)](std::vector<ApprovalRecord> rows) {
        std::int64_t now = clock_.wall_ms();
        int offered = 0, expired = 0;
        for (ApprovalRecord& r : rows) {
          if (pending_.count(r.id)) continue;
          if (r.expires_ms <= now) {
            r.status = "deny";
            r.reason = "timeout";
            r.resolved_ms = now;
            store_.save(r);
            ++expired;
            continue;
          }
          Pending& p = pending_[r.id];
          p.rec = std::move(r);
          arm(p);
          sink_.approval_event("exec.approval.requested", p.rec.pending_json());
          ++offered;
        }
        if (offered || expired)
          log::info("approvals: {} pending from before the restart re-offered, {} expired", offered,
                    expired);
        if (done) done();
      }));
}

std::string ApprovalManager::request(Json request, int timeout_ms, Decided decided) {
  return request_as(uuid_v4(), std::move(request), timeout_ms, std::move(decided)).value();
}

Result<std::string> ApprovalManager::request_as(std::string id, Json request, int timeout_ms,
                                                Decided decided) {
  const bool id_ok =
      !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
      });
  if (!id_ok)
    return Error::invalid("approval id must be 1-128 characters of letters, digits and ._:-");
  if (pending_.count(id) || resolved_.count(id))
    return Error::conflict("approval id " + id + " is already in use; pick another",
                           "APPROVAL_ID_IN_USE");
  if (!grants_.empty()) {
    const auto steady_now = std::chrono::steady_clock::now();
    std::erase_if(grants_, [&](const auto& g) { return g.second.until < steady_now; });
    if (auto g = grants_.find(grant_key(request)); g != grants_.end()) {
      std::string by = g->second.by;
      grants_.erase(g);
      log::info("approval {}: `{}` was approved before the restart by {}; running it", id,
                request.value("command", ""), by.empty() ? "an operator" : by);
      boost::asio::post(io_, [decided = std::move(decided), by] { decided("allow-once", "", by); });
      return id;
    }
  }
  std::int64_t now = clock_.wall_ms();
  if (pending_.size() >= kMaxPending) {
    boost::asio::post(
        io_, [decided = std::move(decided)] { decided("deny", "too many pending approvals", ""); });
    return id;
  }
  Pending& p = pending_[id];
  p.rec.id = id;
  p.rec.request = std::move(request);
  p.rec.created_ms = now;
  p.rec.expires_ms = now + timeout_ms;
  p.decided = std::move(decided);
  arm(p);
  log::info("approval {} requested: {}", id, p.rec.request.value("command", ""));
  store_.save(p.rec, alive_.guard([this, id] {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // ended before it was stored: nothing to ask
    sink_.approval_event("exec.approval.requested", it->second.rec.pending_json());
  }));
  return id;
}

void ApprovalManager::arm(Pending& p) {
  p.timer = std::make_unique<boost::asio::steady_timer>(io_);
  std::int64_t left = std::max<std::int64_t>(0, p.rec.expires_ms - clock_.wall_ms());
  p.timer->expires_after(std::chrono::milliseconds(left));
  p.timer->async_wait(alive_.guard([this, id = p.rec.id](const boost::system::error_code& ec) {
    if (ec || !pending_.count(id)) return;
    log::info("approval {} expired: nobody answered in time", id);
    end(id, "deny", "timeout", "");
  }));
}

Result<std::string> ApprovalManager::find_id(const std::string& key) const {
  if (pending_.count(key) || resolved_.count(key)) return key;
  if (key.size() >= 6) {
    std::string found;
    int n = 0;
    auto scan = [&](const auto& m) {
      for (auto it = m.lower_bound(key);
           it != m.end() && it->first.compare(0, key.size(), key) == 0; ++it) {
        if (it->first != found) ++n;
        found = it->first;
      }
    };
    scan(pending_);
    scan(resolved_);
    if (n == 1) return found;
    if (n > 1)
      return Error::invalid("approval id prefix '" + key + "' is ambiguous; give more characters");
  }
  return Error::make(ErrorCode::kApprovalNotFound,
                     "unknown approval id: " + key + " (see exec.approval.list)",
                     "APPROVAL_NOT_FOUND");
}

Result<Json> ApprovalManager::resolve(const std::string& key, const std::string& decision,
                                      const std::string& by) {
  if (decision != "allow-once" && decision != "allow-always" && decision != "deny")
    return Error::invalid("decision must be allow-once, allow-always or deny");
  auto id = find_id(key);
  if (!id.ok()) return id.error();
  if (auto r = resolved_.find(*id); r != resolved_.end()) {
    if (r->second.status == decision)
      return Json{{"ok", true}, {"id", *id}, {"decision", decision}, {"alreadyResolved", true}};
    std::string was =
        r->second.status + (r->second.reason.empty() ? "" : " (" + r->second.reason + ")");
    return Error::conflict("approval " + *id + " was already resolved as " + was,
                           "APPROVAL_ALREADY_RESOLVED");
  }
  Pending& p = pending_.at(*id);
  if (decision == "allow-always" && !p.rec.request.value("allowAlways", false))
    return Error::invalid(
        "allow-always is not available for this command (" +
            p.rec.request.value("allowAlwaysUnavailable", std::string("it runs other commands")) +
            "); use allow-once or deny",
        "ALLOW_ALWAYS_UNAVAILABLE");
  log::info("approval {} resolved {} by {}", *id, decision, by);
  end(*id, decision, decision == "deny" ? "denied" : "", by);
  return Json{{"ok", true}, {"id", *id}, {"decision", decision}};
}

void ApprovalManager::cancel(const std::string& id, const std::string& reason) {
  if (pending_.count(id)) end(id, "deny", reason, "");
}

void ApprovalManager::shutdown() {
  std::vector<std::string> ids;
  for (auto& [id, p] : pending_) ids.push_back(id);
  for (const auto& id : ids) end(id, "deny", "shutdown", "", /*save=*/false);
}

void ApprovalManager::end(const std::string& id, const std::string& decision,
                          const std::string& reason, const std::string& by, bool save) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.timer) p.timer->cancel();
  p.rec.status = decision;
  p.rec.reason = reason;
  p.rec.resolved_by = by;
  p.rec.resolved_ms = clock_.wall_ms();
  if (save) store_.save(p.rec);
  resolved_[id] = p.rec;
  resolved_order_.push_back(id);
  while (resolved_order_.size() > kKeepResolved) {
    resolved_.erase(resolved_order_.front());
    resolved_order_.pop_front();
  }
  if (reason != "shutdown") {
    Json ev{{"id", id},
            {"decision", decision},
            {"resolvedBy", by},
            {"ts", p.rec.resolved_ms},
            {"request", p.rec.request}};
    if (!reason.empty()) ev["reason"] = reason;
    sink_.approval_event("exec.approval.resolved", std::move(ev));
  }
  for (auto& w : p.watchers) w(decision, reason, by);
  if (p.decided) {
    p.decided(decision, reason, by);
  } else if (decision != "deny" && on_orphan_allowed) {
    on_orphan_allowed(p.rec);
  }
}

std::string ApprovalManager::grant_key(const Json& request) {
  auto field = [&](const char* k) {
    auto it = request.find(k);
    return it == request.end() ? std::string() : it->dump();
  };
  return field("sessionKey") + '\n' + field("command") + '\n' + field("commands");
}

void ApprovalManager::grant_once(const ApprovalRecord& decided) {
  if (grants_.size() >= kMaxPending) grants_.erase(grants_.begin());
  grants_[grant_key(decided.request)] = {decided.resolved_by,
                                         std::chrono::steady_clock::now() + kGrantTtl};
}

Json ApprovalManager::list() const {
  std::vector<const ApprovalRecord*> recs;
  for (const auto& [id, p] : pending_) recs.push_back(&p.rec);
  std::sort(recs.begin(), recs.end(),
            [](auto* a, auto* b) { return a->created_ms < b->created_ms; });
  Json arr = Json::array();
  for (const auto* r : recs) arr.push_back(r->pending_json());
  return arr;
}

std::vector<const ApprovalRecord*> ApprovalManager::recent() const {
  std::vector<const ApprovalRecord*> out;
  for (auto it = resolved_order_.rbegin(); it != resolved_order_.rend(); ++it)
    if (auto r = resolved_.find(*it); r != resolved_.end()) out.push_back(&r->second);
  return out;
}

Status ApprovalManager::watch(const std::string& key, Decided observer) {
  auto id = find_id(key);
  if (!id.ok()) return id.error();
  if (auto it = pending_.find(*id); it != pending_.end()) {
    if (it->second.watchers.size() >= kMaxWatchers)
      return Error::unavailable("too many waiters on approval " + *id + "; retry later", 1000);
    it->second.watchers.push_back(std::move(observer));
    return Ok{};
  }
  const ApprovalRecord& r = resolved_.at(*id);
  boost::asio::post(
      io_, [observer = std::move(observer), r] { observer(r.status, r.reason, r.resolved_by); });
  return Ok{};
}

Result<Json> ApprovalManager::get(const std::string& key) const {
  auto id = find_id(key);
  if (!id.ok()) return id.error();
  if (auto it = pending_.find(*id); it != pending_.end()) return it->second.rec.to_json();
  return resolved_.at(*id).to_json();
}

}  // namespace simpleclaw::tools
