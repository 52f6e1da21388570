// Services: what a method handler may use, handed to it in MethodCall (methods/method.h)
// instead of the whole Gateway. References to the subsystems the Gateway owns; they
// outlive every call. Only forward declarations here: a methods/<family>.cpp includes
// the headers of exactly the services it touches.
#pragma once

namespace simpleclaw {
class BlockingPool;
class Clock;
}  // namespace simpleclaw
namespace simpleclaw::agents {
class AgentDirectory;
class RunEngine;
class SessionService;
}  // namespace simpleclaw::agents
namespace simpleclaw::providers {
class Catalog;
}
namespace simpleclaw::tools {
class ApprovalManager;
class ToolRunner;
}  // namespace simpleclaw::tools
namespace simpleclaw::channels {
class ChannelManager;
}
namespace simpleclaw::plugins {
class PluginHost;
}

namespace simpleclaw::gateway {

struct RuntimeInfo;
class ApprovalEvents;
class ClusterOps;
class ConfigDocument;
class CronScheduler;
class DevicePairing;
class HealthMonitor;
class LiveConfig;
class NodeHub;
class PresenceFeed;
class RunWaiters;
class SendLedger;
class StatusReport;

struct Services {
  const RuntimeInfo& info;
  const LiveConfig& config;
  ConfigDocument& config_doc;  // config.get/set/patch, agents.*: read, write, hot-apply
  const agents::AgentDirectory& agents;
  agents::RunEngine& runs;
  RunWaiters& run_waiters;  // `agent` / `agent.wait`: a run's end
  SendLedger& send_ledger;  // `send`: idempotent retries
  agents::SessionService& sessions;
  providers::Catalog& catalog;
  NodeHub& nodes;
  DevicePairing& devices;
  tools::ApprovalManager& approvals;
  const tools::ToolRunner& tools;         // what runs are offered (tools.effective)
  const ApprovalEvents& approval_events;  // who owns an approval (shared mode)
  channels::ChannelManager& channels;
  plugins::PluginHost& plugins;
  HealthMonitor& health;
  StatusReport& status;
  PresenceFeed& presence;
  BlockingPool& files;  // blocking file work (workspace files), never on the loop
  const Clock& clock;   // "now" for everything a handler stamps or compares
  CronScheduler& cron;  // scheduled jobs (cron.*, wake)
  // Cluster mode: another instance's runs and approvals (gateway/cluster_ops.h); null on
  // a gateway of its own.
  ClusterOps* cluster = nullptr;
};

}  // namespace simpleclaw::gateway
