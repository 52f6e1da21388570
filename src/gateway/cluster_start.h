// Cluster mode at start (docs/cluster.md "Config"): the gateway runs on the cluster's
// shared config document, with this instance's config.yaml keys for reaching the cluster
// and its own listener over it. The first instance of an empty cluster seeds the document
// from its own file (without store and cluster); later instances take what is there and
// say which of their file's keys they ignore.
#pragma once
#include <string>

#include "config/config.h"
#include "gateway/runtime_info.h"
#include "sessions/lease_store.h"
#include "sessions/store.h"

namespace simpleclaw::gateway {

// This instance in the cluster: its id, the holder name of this run of it (a restarted
// instance is a new holder, so what the old run held must expire or be released first),
// and its liveness lease instance:<id>, taken before anything else.
struct ClusterJoin {
  std::string instance, holder;
  sessions::Lease lease;
};

struct ClusterStart {
  sessions::SessionStore store;  // opened here (migrations run): Gateway::open takes it
  config::Config cfg;            // what the gateway runs on
  config::FileState file;        // the shared document (path "cluster:<name>")
  ClusterJoin join;
};

// `local_text`: the local file's text the gateway validated (its last-known-good copy when
// the file itself is invalid). Errors say what to fix.
Result<ClusterStart> join_cluster(const RuntimeInfo& info, const config::Config& local,
                                  const std::string& local_text, const std::string& local_path);

}  // namespace simpleclaw::gateway
