#include "gateway/live_config.h"

#include "base/log.h"

namespace simpleclaw::gateway {

LiveConfig::LiveConfig(const RuntimeInfo& info, config::Config cfg, config::FileState file,
                       AuthSettings auth)
    : info_(info), cfg_(std::move(cfg)), file_(std::move(file)), auth_(std::move(auth)) {
  for (const std::string& p : reload_users()) log::warn("shared mode: {}", p);
}

void LiveConfig::replace(config::Config cfg, config::FileState file, AuthSettings auth) {
  cfg_ = std::move(cfg);
  file_ = std::move(file);
  auth_ = std::move(auth);
}

std::vector<std::string> LiveConfig::reload_users() {
  std::vector<std::string> problems;
  users_ = UserDirectory::load(cfg_, info_.state_dir, &problems);
  return problems;
}

}  // namespace simpleclaw::gateway
