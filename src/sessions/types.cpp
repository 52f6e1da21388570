#include "sessions/types.h"

namespace simpleclaw::sessions {

Role parse_role(std::string_view s) {
  if (s == "assistant") return Role::kAssistant;
  if (s == "tool") return Role::kTool;
  return Role::kUser;
}

std::string_view entry_state_name(EntryState s) {
  switch (s) {
    case EntryState::kComplete:
      return "complete";
    case EntryState::kAborted:
      return "aborted";
    case EntryState::kError:
      return "error";
    case EntryState::kInjected:
      return "injected";
  }
  return "error";
}

EntryState parse_entry_state(std::string_view s) {
  if (s == "complete") return EntryState::kComplete;
  if (s == "aborted") return EntryState::kAborted;
  if (s == "injected") return EntryState::kInjected;
  return EntryState::kError;
}

std::string_view run_status_name(RunStatus s) {
  switch (s) {
    case RunStatus::kQueued:
      return "queued";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinal:
      return "final";
    case RunStatus::kAborted:
      return "aborted";
    case RunStatus::kError:
      return "error";
  }
  return "error";
}

RunStatus parse_run_status(std::string_view s) {
  if (s == "queued") return RunStatus::kQueued;
  if (s == "running") return RunStatus::kRunning;
  if (s == "final") return RunStatus::kFinal;
  if (s == "aborted") return RunStatus::kAborted;
  return RunStatus::kError;
}

std::string_view session_status_name(SessionStatus s) {
  return s == SessionStatus::kRunning ? "running" : "idle";
}

SessionStatus parse_session_status(std::string_view s) {
  return s == "running" ? SessionStatus::kRunning : SessionStatus::kIdle;
}

}  // namespace simpleclaw::sessions
