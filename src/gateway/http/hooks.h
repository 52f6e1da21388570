// Hooks: webhooks in (docs/webhooks.md). Other software starts agent runs over HTTP:
//
//   POST /hooks/wake    {text, mode?: now | next-heartbeat}   a turn in the default
//                       agent's main session, as the `wake` method; 200 {ok, runId, ...}
//   POST /hooks/agent   {message, agentId?, sessionKey?, wait?, timeoutSeconds?}   a run
//                       in a hook:* session; 202 {ok, runId, sessionKey} at once, or with
//                       wait 200 {ok, runId, sessionKey, status, reply} when it ends
//   POST /hooks/<name>  a mapping (hooks.mappings.<name>): its message template rendered
//                       from the JSON body and the headers, run as its agent in its session
//
// Every request is checked in this order, and nothing runs unless all pass: hooks enabled
// and the hook exists (404), POST (405), the body within hooks.max_body_bytes (413), the
// Standard Webhooks signature made with the hook's secret and a timestamp within 5 minutes
// (401; base/webhook_signature.h), a JSON body of the right shape (400), and a webhook-id
// not accepted before (409; remembered in the session database across restarts until its
// timestamp leaves the tolerance, sessions/hook_store.h). With hooks.allow_bearer,
// "Authorization: Bearer <the hook's secret>" may stand in for the signature (no id, so no
// replay protection: an opt-in for senders that cannot sign). A refusal is a JSON answer
// {ok:false, error} saying what to fix, and a warn log line that never holds a secret.
//
// The routes are registered with the HTTP router without gateway auth: each hook carries
// its own secret. Threading: loop thread only; the id check goes through the DbWorker.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/alive.h"
#include "gateway/state/transport.h"
#include "simpleclaw/result.h"

namespace simpleclaw {
class Clock;
namespace agents {
class AgentDirectory;
class RunEngine;
}  // namespace agents
namespace channels {
class ChannelManager;
}
namespace config {
struct HookMappingConfig;
}
namespace sessions {
class DbWorker;
}
}  // namespace simpleclaw

namespace simpleclaw::gateway {

class HttpRouter;
class LiveConfig;
class RunWaiters;
class HeartbeatRunner;
struct RunEnd;

class Hooks {
 public:
  static constexpr std::int64_t kToleranceSeconds = 300;  // webhook-timestamp, either way
  static constexpr std::size_t kMaxRememberedIds = 100'000;
  static constexpr std::int64_t kWaitGraceMs = 30'000;  // past the run's own timeout
  static constexpr std::string_view kPrefix = "/hooks/";

  struct Deps {
    boost::asio::io_context& io;
    sessions::DbWorker& db;
    agents::RunEngine& runs;
    const agents::AgentDirectory& agents;
    RunWaiters& waiters;
    channels::ChannelManager& channels;
    const LiveConfig& config;
    const Clock& clock;
    HeartbeatRunner& heartbeats;  // wake's next-heartbeat mode
  };
  explicit Hooks(Deps d) : d_(d) {}
  Hooks(const Hooks&) = delete;
  Hooks& operator=(const Hooks&) = delete;

  using Done = std::function<void(HttpAnswer)>;
  // Answers `req` (a path under kPrefix) through `done`, exactly once, on the loop (maybe
  // later: the id check, a waited-for run). `req` is read only during the call.
  void handle(const HttpRequest& req, const PeerInfo& peer, Done done);

 private:
  struct Verified;  // what passed the checks (hooks.cpp)
  void run(Verified v, Done done);
  void ended(const Verified& v, const std::string& run_id, const std::string& session_key,
             const RunEnd* end, Done done);

  Deps d_;
  Alive alive_;  // last: completions after destruction do nothing
};

// Routes every method of kPrefix to `hooks` with HttpRoute::Auth::kNone (each hook checks
// its own secret); `hooks` must outlive the router.
void register_hook_routes(HttpRouter& router, Hooks& hooks);

}  // namespace simpleclaw::gateway
