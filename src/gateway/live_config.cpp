#include "gateway/live_config.h"

#include "base/log.h"

namespace simpleclaw::gateway {
namespace {

std::vector<CidrBlock> parse_trusted_proxies(const config::Config& cfg) {
  std::vector<CidrBlock> out;
  for (const std::string& text : cfg.gateway.trusted_proxies) {
    std::string why;
    if (auto block = parse_cidr(text, &why)) out.push_back(*block);
  }
  return out;
}

}  // namespace

LiveConfig::LiveConfig(const RuntimeInfo& info, config::Config cfg, config::FileState file,
                       AuthSettings auth)
    : info_(info),
      cfg_(std::move(cfg)),
      file_(std::move(file)),
      auth_(std::move(auth)),
      trusted_proxies_(parse_trusted_proxies(cfg_)) {
  for (const std::string& p : reload_users()) log::warn("shared mode: {}", p);
}

void LiveConfig::replace(config::Config cfg, config::FileState file, AuthSettings auth) {
  cfg_ = std::move(cfg);
  file_ = std::move(file);
  auth_ = std::move(auth);
  trusted_proxies_ = parse_trusted_proxies(cfg_);
}

std::vector<std::string> LiveConfig::reload_users() {
  std::vector<std::string> problems;
  users_ = UserDirectory::load(cfg_, info_.state_dir, &problems);
  return problems;
}

}  // namespace simpleclaw::gateway
