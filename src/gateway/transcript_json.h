// The protocol's shapes for stored sessions and transcripts (SPEC §5 Chat/Sessions, §6
// `chat` events): the one place a sessions::Entry or SessionRow becomes wire JSON, used by
// chat.history, sessions.*, the `chat` final event and a duplicate chat.send's answer.
// Pure functions; any thread.
#pragma once
#include <string>
#include <vector>

#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "sessions/types.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

// {role, content:[{type:"text",text}, {type:"toolCall", id, name, arguments}...,
// {type:"image", data?, mimeType, fileName?, sizeBytes, omitted? (no data)}...],
// timestamp, id, runId?, stopReason?, usage?, model?, state? (when not complete), label?};
// a tool result is {role:"toolResult", toolCallId, toolName, content:[{type:"text",text}],
// isError, timestamp, id, runId}.
Json message_json(const sessions::Entry& e);
// An assistant message that was never stored (a reply whose commit failed): text only.
Json text_message_json(const std::string& text, std::int64_t ts);
// A sessions.list row: {key, kind, sessionId, agentId, updatedAt, createdAt, status,
// activeRunIds, inputTokens, outputTokens, totalTokens, pinned, archived, model, channel?,
// label?, lastMessagePreview?}. `model`: the session's override, else `default_model`.
Json session_json(const sessions::SessionRow& row, const std::vector<std::string>& run_ids,
                  const std::string& default_model);
// The title OpenClaw's UI shows for a session (derivedTitle, with includeDerivedTitles):
// its label, else the first line of its first user message (whitespace collapsed, at most
// 60 bytes cut on a UTF-8 boundary, "…" when cut); "" when neither gives one (a slash
// command is not a title).
std::string derived_title(const sessions::SessionRow& row);
// chat.history: {sessionKey, sessionId, messages[], hasMore, activeRunIds}; a session nobody
// wrote to yet has an empty history (sessionId null).
Json history_json(const agents::History& h);
// chat.send's answer: {runId, status:"started"|"in_flight"} or, for a run that ended,
// {runId, status, message? (final), errorMessage? (error)}.
Json send_ack_json(const agents::SendAck& ack);

}  // namespace simpleclaw::gateway
