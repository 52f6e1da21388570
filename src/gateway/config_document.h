// ConfigDocument: the one way the running gateway reads and changes its config document
// (config.get/set/patch, agents.create/update/delete, an exec allow-always, SIGHUP),
// wherever the document lives:
//
//   config.yaml (the default)  small-file I/O on the loop; compare-and-swap on the file's
//                              hash (config::write_checked).
//   the cluster's document     cluster mode (docs/cluster.md "Config"): one row in the
//                              shared store (sessions/shared_config_store.h), read and
//                              swapped on the DbWorker, never on the loop. The local
//                              config.yaml's store/cluster/listener keys are composed over
//                              it (config::compose_cluster_config). Every 500 ms a poll
//                              reads the row, so a change made through any instance is
//                              applied by every instance within a second.
//
// A change is validated as the gateway would run it before it is written, written only
// while the document's hash is still the one it was edited from, then handed to the
// ConfigApplier before `done` runs.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/alive.h"
#include "base/clock.h"
#include "config/config.h"

namespace simpleclaw::sessions {
class DbWorker;
struct SharedConfig;
}  // namespace simpleclaw::sessions

namespace simpleclaw::gateway {

class ConfigApplier;
class LiveConfig;

class ConfigDocument {
 public:
  // An edit gets the document's current text and gives the new one (or refuses).
  using Edit = std::function<Result<std::string>(const std::string& current_raw)>;
  struct Applied {
    std::string hash;      // the document's new hash
    bool restart = false;  // a changed key needs a restart (bind, port, TLS)
  };
  using Done = std::function<void(Result<Applied>)>;

  // How often cluster mode reads the shared document (the "within a second" bound).
  static constexpr std::chrono::milliseconds kPollInterval{500};

  ConfigDocument(boost::asio::io_context& io, LiveConfig& config, ConfigApplier& applier,
                 sessions::DbWorker& db, const Clock& clock);
  ~ConfigDocument();

  bool clustered() const { return clustered_; }
  void start();  // cluster mode: the poll
  void stop();

  // config.get: the document as it is now (the file read again; the shared row read again).
  void read(std::function<void(Result<config::FileState>)> done);
  // Edits the current document and writes it iff its hash is still `base_hash` (nullopt:
  // whatever is current, for agents.* and allow-always); CONFIG_CONFLICT otherwise.
  void change(std::optional<std::string> base_hash, Edit edit, Done done);
  // SIGHUP: the file read again (cluster mode: the local keys, then the shared document).
  Status reload();
  // exec allow-always: the shown patterns go into the agent's tools.exec.allow; a failure
  // is logged (the command still ran once).
  void persist_allow(const std::string& agent_id, const std::vector<std::string>& patterns);
  // Cluster mode: reads the shared document now (another instance said it wrote it)
  // rather than at the next poll; `on_written` hears of each change written here.
  void poll();
  void on_written(std::function<void()> fn) { on_written_ = std::move(fn); }

 private:
  void change_file(const std::optional<std::string>& base_hash, const Edit& edit, const Done& done);
  void change_shared(std::optional<std::string> base_hash, Edit edit, Done done);
  void schedule_poll();
  // Applies a shared document read from the store when it is newer than the running one
  // (or always, for `force`); an invalid one keeps the running config and says why.
  void take_shared(const sessions::SharedConfig& doc, bool force);
  config::FileState shared_state(const sessions::SharedConfig& doc, std::string composed) const;

  boost::asio::io_context& io_;
  LiveConfig& config_;
  ConfigApplier& applier_;
  sessions::DbWorker& db_;
  const Clock& clock_;
  const bool clustered_;
  const std::string cluster_name_;
  const std::string instance_;
  std::string local_raw_;      // the local file's text (cluster mode), as last read
  std::int64_t version_ = 0;   // the shared document's version running here
  std::string rejected_hash_;  // a shared document refused here (logged once)
  bool polling_ = false;       // a poll's read is queued
  bool repoll_ = false;        // ...and another was asked for meanwhile
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::function<void()> on_written_;
  Alive alive_;  // last: dies first
};

}  // namespace simpleclaw::gateway
