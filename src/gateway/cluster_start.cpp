#include "gateway/cluster_start.h"

#include "base/clock.h"
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
  config::FileState file;
  file.path = "cluster:" + name;
  file.exists = true;
  file.raw = std::move(shared.raw);
  file.hash = std::move(shared.hash);
  file.composed = std::move(*composed);
  return ClusterStart{std::move(*store), std::move(parsed.config), std::move(file)};
}

}  // namespace simpleclaw::gateway
