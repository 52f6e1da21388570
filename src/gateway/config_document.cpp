#include "gateway/config_document.h"

#include "base/log.h"
#include "gateway/config_apply.h"
#include "gateway/live_config.h"
#include "sessions/db_worker.h"
#include "sessions/shared_config_store.h"

namespace simpleclaw::gateway {
namespace {

Error conflict() {
  return Error::conflict("config changed since last load; re-run config.get and retry",
                         "CONFIG_CONFLICT");
}

}  // namespace

ConfigDocument::ConfigDocument(boost::asio::io_context& io, LiveConfig& config,
                               ConfigApplier& applier, sessions::DbWorker& db, const Clock& clock)
    : io_(io),
      config_(config),
      applier_(applier),
      db_(db),
      clock_(clock),
      clustered_(config.cfg().cluster.enabled()),
      cluster_name_(config.cfg().cluster.name),
      instance_(config::instance_id(config.cfg())) {
  if (clustered_) {
    config::FileState local = config::read_state(config.info().config_path);
    local_raw_ = local.raw;
  }
}

ConfigDocument::~ConfigDocument() { stop(); }

void ConfigDocument::start() {
  if (!clustered_ || timer_) return;
  timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  schedule_poll();
}

void ConfigDocument::stop() {
  if (timer_) timer_->cancel();
  timer_.reset();
}

void ConfigDocument::schedule_poll() {
  if (!timer_) return;
  timer_->expires_after(kPollInterval);
  timer_->async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (ec) return;
    poll();
    schedule_poll();
  }));
}

void ConfigDocument::poll() {
  if (polling_) {  // one read at a time; a nudge meanwhile reads once more after it
    repoll_ = true;
    return;
  }
  polling_ = true;
  repoll_ = false;
  db_.post([](sessions::SessionStore& s) { return sessions::read_shared_config(s); },
           alive_.guard([this](Result<std::optional<sessions::SharedConfig>> r) {
             polling_ = false;
             // An unreachable store is health's to report; the next poll tries again.
             if (r.ok() && *r) take_shared(**r, false);
             if (repoll_) poll();
           }));
}

config::FileState ConfigDocument::shared_state(const sessions::SharedConfig& doc,
                                               std::string composed) const {
  config::FileState st;
  st.path = "cluster:" + cluster_name_;
  st.exists = true;
  st.raw = doc.raw;
  st.hash = doc.hash;
  st.composed = std::move(composed);
  return st;
}

void ConfigDocument::take_shared(const sessions::SharedConfig& doc, bool force) {
  if (!force) {
    if (doc.hash == config_.file().hash) {
      version_ = std::max(version_, doc.version);
      return;
    }
    if (doc.version <= version_ || doc.hash == rejected_hash_) return;
  }
  auto composed = config::compose_cluster_config(doc.raw, local_raw_);
  config::Parsed p;
  if (composed.ok()) p = config::parse(*composed);
  if (!composed.ok() || !p.ok()) {
    std::string first = composed.ok() ? p.issues.front().to_string() : composed.error().message;
    if (rejected_hash_ != doc.hash)
      log::error(
          "cluster {}: the shared config (version {}, written by {}) is invalid here: {}; "
          "keeping the running config. Fix it with config.set through any instance.",
          cluster_name_, doc.version, doc.updated_by, first);
    rejected_hash_ = doc.hash;
    config_.set_reload_status(ReloadStatus{clock_.wall_ms(), false, first, false});
    return;
  }
  rejected_hash_.clear();
  version_ = doc.version;
  bool restart = applier_.apply(std::move(p.config), shared_state(doc, std::move(*composed)));
  log::info("cluster {}: applied the shared config version {} (hash {}, written by {}){}",
            cluster_name_, doc.version, doc.hash.substr(0, 12), doc.updated_by,
            restart ? "; bind/port/TLS changes need a restart" : "");
}

void ConfigDocument::read(std::function<void(Result<config::FileState>)> done) {
  if (!clustered_) {
    config::FileState now = config::read_state(config_.info().config_path);
    if (!now.error.empty())
      return done(Error::io("cannot read config " + now.path + ": " + now.error));
    return done(std::move(now));
  }
  db_.post(
      [](sessions::SessionStore& s) { return sessions::read_shared_config(s); },
      alive_.guard([this, done = std::move(done)](Result<std::optional<sessions::SharedConfig>> r) {
        if (!r.ok()) return done(r.error());
        if (!*r) return done(Error::unavailable("the cluster has no config document yet"));
        auto composed = config::compose_cluster_config((*r)->raw, local_raw_);
        done(shared_state(**r, composed.ok() ? std::move(*composed) : std::string()));
      }));
}

void ConfigDocument::change(std::optional<std::string> base_hash, Edit edit, Done done) {
  if (clustered_) return change_shared(std::move(base_hash), std::move(edit), std::move(done));
  change_file(base_hash, edit, done);
}

void ConfigDocument::change_file(const std::optional<std::string>& base_hash, const Edit& edit,
                                 const Done& done) {
  const std::string& path = config_.info().config_path;
  config::FileState cur = config::read_state(path);
  if (!cur.error.empty()) return done(Error::io("cannot read config " + path + ": " + cur.error));
  if (base_hash && cur.exists && cur.hash != *base_hash) return done(conflict());
  auto text = edit(cur.raw);  // the embedded default while there is no file
  if (!text.ok()) return done(text.error());
  // write_checked compares the hash again right before it replaces the file.
  auto w = config::write_checked(path, *text, cur.exists ? cur.hash : std::string());
  if (!w.ok()) return done(w.error());
  std::string hash = w->state.hash;
  bool restart = applier_.apply(std::move(w->config), std::move(w->state));
  done(Applied{std::move(hash), restart});
}

void ConfigDocument::change_shared(std::optional<std::string> base_hash, Edit edit, Done done) {
  // 1. the document as it is now; 2. edited and checked here; 3. swapped iff unchanged.
  db_.post([](sessions::SessionStore& s) { return sessions::read_shared_config(s); },
           alive_.guard([this, base_hash = std::move(base_hash), edit = std::move(edit),
                         done = std::move(done)](
                            Result<std::optional<sessions::SharedConfig>> r) mutable {
             if (!r.ok()) return done(r.error());
             if (!*r) return done(Error::unavailable("the cluster has no config document yet"));
             const sessions::SharedConfig& cur = **r;
             if (base_hash && cur.hash != *base_hash) return done(conflict());
             auto text = edit(cur.raw);
             if (!text.ok()) return done(text.error());
             if (Status own = config::check_shared_document(*text); !own) return done(own.error());
             auto composed = config::compose_cluster_config(*text, local_raw_);
             if (!composed.ok()) return done(composed.error());
             auto parsed = std::make_shared<config::Parsed>(config::parse(*composed));
             if (!parsed->ok()) return done(config::invalid_config_error(parsed->issues));
             db_.post(
                 [raw = std::move(*text), base = cur.hash, by = instance_,
                  now = clock_.wall_ms()](sessions::SessionStore& s) {
                   return sessions::swap_shared_config(s, raw, base, by, now);
                 },
                 alive_.guard([this, parsed, composed = std::move(*composed),
                               done = std::move(done)](Result<sessions::SharedConfig> w) mutable {
                   if (!w.ok()) return done(w.error());
                   version_ = std::max(version_, w->version);
                   rejected_hash_.clear();
                   bool restart = applier_.apply(std::move(parsed->config),
                                                 shared_state(*w, std::move(composed)));
                   if (on_written_) on_written_();
                   done(Applied{w->hash, restart});
                 }));
           }));
}

Status ConfigDocument::reload() {
  if (!clustered_) return applier_.reload();
  const std::string& path = config_.info().config_path;
  config::FileState local = config::read_state(path);
  config::Parsed lp = config::parse(local.raw);
  if (!local.error.empty() || !lp.ok()) {
    std::string first = !local.error.empty() ? local.error : lp.issues.front().to_string();
    log::error("config reload: {} is invalid ({}); keeping the running config", path, first);
    config_.set_reload_status(ReloadStatus{clock_.wall_ms(), false, first, false});
    return Error::invalid("invalid config: " + first);
  }
  local_raw_ = std::move(local.raw);
  db_.post([](sessions::SessionStore& s) { return sessions::read_shared_config(s); },
           alive_.guard([this](Result<std::optional<sessions::SharedConfig>> r) {
             if (!r.ok() || !*r) {
               log::error("config reload: cannot read the cluster's config document: {}",
                          r.ok() ? "there is none" : r.error().message);
               return;
             }
             take_shared(**r, true);
           }));
  return Ok{};
}

void ConfigDocument::persist_allow(const std::string& agent_id,
                                   const std::vector<std::string>& patterns) {
  if (patterns.empty()) return;
  config::DocEdit edit =
      config::agents_edit(config::exec_allow_edit(config_.cfg(), agent_id, patterns));
  std::string where = clustered_ ? "the cluster's config" : config_.info().config_path;
  change(
      std::nullopt, [edit](const std::string& raw) { return config::edit_text(raw, edit); },
      [agent_id, first = patterns.front(), where](Result<Applied> r) {
        if (!r.ok())
          return log::error("allow-always for agent {}: cannot store {} in {}: {}", agent_id, first,
                            where, r.error().message);
        log::info("allow-always: agent {} may now run {} (stored in {})", agent_id, first, where);
      });
}

}  // namespace simpleclaw::gateway
