// The flags of `simpleclaw cron add` and `cron edit` (cron_cmd.cpp) turned into cron.add
// params and cron.update patches, checked here first with sc_cron's own parsers so a typo
// is refused before anything is sent: each error names the flag, says what is wrong and
// shows a form that works. The gateway checks everything again (docs/automations.md).
//
// Human input differs from the wire in one place: `--at` without an offset is wall-clock
// time in --tz (else the host's zone), where the RPC reads an offset-less `at` as UTC; it
// is sent as ISO UTC, so the gateway sees an unambiguous instant. "+20m" is 20 minutes from
// now.
//
// Pure functions (now and the host's zone are arguments): any thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "simpleclaw/result.h"

namespace simpleclaw::cli {

// What the user typed; a field is set only when its flag was given.
struct JobFlags {
  std::optional<std::string> name, description;
  std::optional<std::string> every, cron, at, tz, stagger;  // the schedule
  std::optional<std::string> message, system_event;         // what runs
  std::optional<std::string> agent, model, timeout;         // agentTurn extras
  std::optional<std::string> deliver, webhook;              // where the result goes
  bool no_deliver = false, clear_delivery = false;          // (clear: edit only)
  std::optional<std::string> missed;                        // skip | run-once | run-all
  bool disabled = false, enable = false, disable = false;   // add: --disabled; edit: the others
  bool keep_after_run = false;
};

// cron.add params. Needs a schedule and --message or --system-event.
Result<Json> build_add_params(const JobFlags& f, std::int64_t now_ms, const std::string& host_tz);

// cron.update's `patch`: only the fields given. `current` is the job as cron.get returns it:
// --tz or --stagger alone keep its cron expression, and switching between --message and
// --system-event also switches sessionTarget (main for a system event, isolated for an
// agent turn) and drops an announce delivery a main-session turn cannot have.
Result<Json> build_update_patch(const JobFlags& f, const Json& current, std::int64_t now_ms,
                                const std::string& host_tz);

// The zone a job's times are best shown in: a cron schedule's tz, else --tz, else the host's.
std::string display_zone(const Json& schedule, const JobFlags& f, const std::string& host_tz);

}  // namespace simpleclaw::cli
