// Where a scheduled job's result goes (its spec's `delivery`):
//
//   none      nowhere ("not-requested")
//   announce  a message on a channel: {channel, to, accountId}, or channel "last" = where
//             the agent last talked (ChannelManager::last_target); no such place yet is
//             "not-delivered" with the reason
//   webhook   POST {to} with a JSON body {type:"cron.finished", jobId, jobName, runId,
//             sessionKey, scheduledAtMs, text}, signed in the Standard Webhooks format
//             with cron.webhook_secret (base/webhook_signature.h); a 2xx answer is
//             "delivered", anything else "not-delivered" with the status or error
//
// Loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "simpleclaw/result.h"

namespace simpleclaw {
class Clock;
namespace channels {
class ChannelManager;
}
}  // namespace simpleclaw

namespace simpleclaw::gateway {

struct CronDeliveryDeps {
  boost::asio::io_context& io;
  channels::ChannelManager& channels;
  const Clock& clock;
  const std::string& webhook_secret;
};

struct CronDelivery {
  Json spec;  // the job's definition (its `delivery` is read)
  std::string job_id, job_name, agent_id, owner, run_id, session_key;
  std::int64_t scheduled_ms = 0;
  std::string text;
};

struct DeliveryResult {
  std::string status;  // delivered | not-delivered | not-requested
  std::string error;
};

// Calls `done` exactly once, on the loop.
void deliver_cron_result(const CronDeliveryDeps& deps, const CronDelivery& what,
                         std::function<void(DeliveryResult)> done);

}  // namespace simpleclaw::gateway
