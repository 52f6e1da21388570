#include "gateway/cluster_start.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/clock.h"
#include "base/ids.h"
#include "base/log.h"
#include "gateway/gateway.h"
#include "sessions/shared_config_store.h"

namespace simpleclaw::gateway {

Result<ClusterStart> join_cluster(const RuntimeInfo& info, const config::Config& local,
                                  const std::string& local_text, const std::string& local_path) {
  const std::string& name = local.cluster.name;
  auto store = open_session_store(info, local);
  if (!store.ok()) return store.error();
  auto doc = sessions::read_shared_config(*store);
  if (!doc.ok()) return doc.error();
  sessions::SharedConfig shared;
  if (!*doc) {
    auto seed = config::shared_seed(local_text);
    if (!seed.ok()) return seed.error();
    auto seeded = sessions::seed_shared_config(*store, *seed, config::instance_id(local),
                                               process_clock().wall_ms());
    if (!seeded.ok()) return seeded.error();
    shared = std::move(*seeded);
    log::info("cluster {}: the shared config is version {} (seeded by {}{})", name, shared.version,
              shared.updated_by,
              shared.updated_by == config::instance_id(local) ? " from " + local_path : "");
  } else {
    shared = std::move(**doc);
    if (auto ignored = config::ignored_local_keys(local_text); !ignored.empty())
      log::warn(
          "cluster {}: {} in {} {} ignored: the cluster's config is its shared document "
          "(version {}); change it with config.set or config.patch through any instance",
          name, ignored, local_path, ignored.find(',') == std::string::npos ? "is" : "are",
          shared.version);
  }
  auto composed = config::compose_cluster_config(shared.raw, local_text);
  if (!composed.ok()) return composed.error();
  config::Parsed parsed = config::parse(*composed);
  if (!parsed.ok()) {
    for (const auto& i : parsed.issues) log::error("  {}", i.to_string());
    return Error::invalid("the cluster's shared config (version " + std::to_string(shared.version) +
                          ", written by " + shared.updated_by +
                          ") is invalid for this version: " + parsed.issues.front().to_string() +
                          "; fix it with config.set through another instance");
  }
  // The liveness lease, before the store's recovery sees this instance's runs. After a
  // crash the last run of this instance still holds it until it expires: wait for that.
  // A holder that keeps renewing it is another live gateway with the same id: refuse.
  ClusterJoin join;
  join.instance = config::instance_id(parsed.config);
  join.holder = join.instance + "#" + uuid_v4().substr(0, 8);
  const std::int64_t ttl = parsed.config.cluster.lease_ttl_ms;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(3 * ttl);
  std::int64_t seen_expiry = -1;
  std::string seen_holder;
  for (;;) {
    auto l = sessions::acquire_lease(*store, "instance:" + join.instance, join.holder, ttl);
    if (!l.ok()) return l.error();
    if (l->held) {
      join.lease = std::move(*l);
      break;
    }
    const bool same_run_of_it = l->holder.rfind(join.instance + "#", 0) == 0;
    if (same_run_of_it && l->holder == seen_holder && l->expires_at > seen_expiry &&
        seen_expiry >= 0)
      return Error::conflict("instance id " + join.instance +
                             " is in use by another live gateway of this cluster (it keeps "
                             "renewing its lease): give each instance its own cluster.instance");
    if (std::chrono::steady_clock::now() > deadline)
      return Error::unavailable("instance:" + join.instance + " is still held by " + l->holder +
                                "; try again in a few seconds");
    if (seen_expiry < 0)
      log::info("cluster {}: waiting for the lease of this instance's last run ({}) to expire",
                name, l->holder);
    seen_expiry = l->expires_at;
    seen_holder = l->holder;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::clamp<std::int64_t>(ttl / 4, 100, 1000)));
  }
  store->set_instance(join.instance);
  store->set_lanes(join.holder, ttl);
  // This instance's last run, which we waited out: whatever else it held (session lanes,
  // channel accounts) is let go now rather than when each lease runs out.
  if (!seen_holder.empty())
    if (auto gone = sessions::expire_holder(*store, seen_holder); !gone.ok()) return gone.error();
  config::FileState file;
  file.path = "cluster:" + name;
  file.exists = true;
  file.raw = std::move(shared.raw);
  file.hash = std::move(shared.hash);
  file.composed = std::move(*composed);
  return ClusterStart{std::move(*store), std::move(parsed.config), std::move(file),
                      std::move(join)};
}

}  // namespace simpleclaw::gateway
