#include "sessions/types.h"

#include "base/enum_names.h"

namespace simpleclaw::sessions {

Role parse_role(std::string_view s) {
  if (s == "assistant") return Role::kAssistant;
  if (s == "tool") return Role::kTool;
  return Role::kUser;
}

namespace {
constexpr EnumName<EntryState> kEntryStates[] = {{EntryState::kComplete, "complete"},
                                                 {EntryState::kAborted, "aborted"},
                                                 {EntryState::kError, "error"},
                                                 {EntryState::kInjected, "injected"}};
constexpr EnumName<RunStatus> kRunStatuses[] = {{RunStatus::kQueued, "queued"},
                                                {RunStatus::kRunning, "running"},
                                                {RunStatus::kFinal, "final"},
                                                {RunStatus::kAborted, "aborted"},
                                                {RunStatus::kError, "error"}};
}  // namespace

std::string_view entry_state_name(EntryState s) { return enum_name(kEntryStates, s); }
EntryState parse_entry_state(std::string_view s) {
  return enum_parse(kEntryStates, s).value_or(EntryState::kError);
}

std::string_view run_status_name(RunStatus s) { return enum_name(kRunStatuses, s); }
RunStatus parse_run_status(std::string_view s) {
  return enum_parse(kRunStatuses, s).value_or(RunStatus::kError);
}

std::string_view session_status_name(SessionStatus s) {
  return s == SessionStatus::kRunning ? "running" : "idle";
}

SessionStatus parse_session_status(std::string_view s) {
  return s == "running" ? SessionStatus::kRunning : SessionStatus::kIdle;
}

}  // namespace simpleclaw::sessions
