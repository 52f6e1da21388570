#include "gateway/run_frames.h"

#include "channels/channel_manager.h"
#include "gateway/transcript_json.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {

using protocol::Scope;

namespace {

// Who sees a run's events: operators with read; in shared mode the session's owner too.
Audience run_audience(const std::string& session_key, bool subscribers_only = false) {
  return Audience{Scope::kRead, sessions::key_owner(session_key), subscribers_only};
}

}  // namespace

void RunFrames::agent_frame(const std::string& run_id, const std::string& key, std::uint64_t seq,
                            std::int64_t ts, const char* stream, Json data, bool droppable) {
  // The agent stream (lifecycle, tools, retries) goes where the session's deltas go.
  Audience who = run_audience(key);
  who.watched_key = key;
  if (!clients_.any(who)) return;
  Json p{{"runId", run_id},  {"sessionKey", key}, {"seq", seq},
         {"stream", stream}, {"ts", ts},          {"data", std::move(data)}};
  clients_.broadcast("agent", std::move(p), who, droppable);
}

void RunFrames::run_started(const agents::RunStarted& e) {
  agent_frame(e.run_id, e.session_key, e.agent_seq, e.ts, "lifecycle",
              Json{{"phase", "start"}, {"startedAt", e.started_at}}, false);
}

// Deltas go only to the sockets that watch the session (Audience::watched_key): with many
// operators each chatting in their own session, nobody pays for everyone else's stream.
// The whole agent stream (agent_frame) is routed the same way; chat finals (and
// sessions.changed) keep the whole audience.
void RunFrames::run_delta(const agents::RunDelta& e) {
  waiters_.delta(e.run_id, e.delta);
  Audience who = run_audience(e.session_key);
  who.watched_key = e.session_key;
  if (!clients_.any(who)) return;
  clients_.stream_delta("chat", e.run_id,
                        Json{{"runId", e.run_id},
                             {"sessionKey", e.session_key},
                             {"seq", e.chat_seq},
                             {"state", "delta"},
                             {"deltaText", e.delta},
                             {"message", text_message_json(e.text, e.started_at)}},
                        who);
  clients_.stream_delta("agent", e.run_id,
                        Json{{"runId", e.run_id},
                             {"sessionKey", e.session_key},
                             {"seq", e.agent_seq},
                             {"stream", "assistant"},
                             {"ts", e.ts},
                             {"data", {{"text", e.text}, {"delta", e.delta}}}},
                        who);
}

void RunFrames::run_retry(const agents::RunRetry& e) {
  agent_frame(e.run_id, e.session_key, e.agent_seq, e.ts, "lifecycle",
              Json{{"phase", "retry"}, {"message", e.message}}, true);
}

void RunFrames::tool_event(const agents::ToolEvent& e) {
  waiters_.tool(e);
  Json data;
  if (e.phase == agents::ToolEvent::Phase::kStart) {
    Json args = Json::parse(e.arguments, nullptr, false);
    data = Json{{"phase", "start"},
                {"name", e.name},
                {"toolCallId", e.tool_call_id},
                {"args", args.is_discarded() ? Json(e.arguments) : args}};
  } else {
    data = Json{{"phase", "result"},
                {"name", e.name},
                {"toolCallId", e.tool_call_id},
                {"result", e.result},
                {"isError", e.is_error}};
  }
  agent_frame(e.run_id, e.session_key, e.agent_seq, e.ts, "tool", std::move(data), false);
}

void RunFrames::count_finish(sessions::RunStatus status, sdk::ErrorKind kind) {
  ++metrics_.runs_ended[std::string(sessions::run_status_name(status))];
  if (status == sessions::RunStatus::kError)
    ++metrics_.run_errors[std::string(sdk::error_kind_name(kind))];
}

void RunFrames::run_finished(const agents::RunFinished& e) {
  const std::string text = e.reply ? e.reply->text : e.text;
  // The message the chat event shows: the committed reply, else the text as it stood.
  Json message = e.reply ? message_json(*e.reply) : text_message_json(e.text, e.started_at);
  std::vector<std::string> ids{e.run_id};
  ids.insert(ids.end(), e.absorbed.begin(), e.absorbed.end());
  for (const std::string& id : ids) {
    count_finish(e.status, e.error_kind);
    channels_.on_run_finished(channels::RunReply{id, e.status, text, e.error});  // platforms
    Json p{{"runId", id},
           {"sessionKey", e.session_key},
           {"seq", id == e.run_id ? e.chat_seq : 0},
           {"state", sessions::run_status_name(e.status)}};
    if (e.status == sessions::RunStatus::kFinal) {
      p["message"] = message;
      if (message.contains("usage")) p["usage"] = message["usage"];
      if (message.contains("stopReason")) p["stopReason"] = message["stopReason"];
    } else if (e.status == sessions::RunStatus::kAborted) {
      if (!text.empty()) p["message"] = message;
    } else {
      p["errorMessage"] = e.error;
      p["errorKind"] = sdk::error_kind_name(e.error_kind);
    }
    clients_.broadcast("chat", std::move(p), run_audience(e.session_key), false);
    RunEnd end{
        id,           e.session_key, e.status, e.error, e.error_kind == sdk::ErrorKind::kTimeout,
        e.started_at, e.ended_at,    text};
    if (e.reply) {
      end.model = e.reply->model;
      end.input_tokens = e.reply->input_tokens;
      end.output_tokens = e.reply->output_tokens;
    }
    waiters_.finished(end);
  }
  if (e.reply) session_message(e.session_key, *e.reply, e.ended_at);
  if (!e.started) return;
  Json end{{"phase", e.status == sessions::RunStatus::kError ? "error" : "end"},
           {"endedAt", e.ended_at}};
  if (e.status == sessions::RunStatus::kAborted) end["aborted"] = true;
  if (e.status == sessions::RunStatus::kError) end["error"] = e.error;
  agent_frame(e.run_id, e.session_key, e.agent_seq, e.ended_at, "lifecycle", std::move(end), false);
}

// session.message: one transcript entry, in chat.history's message shape, to the sockets
// that called sessions.messages.subscribe for the session.
void RunFrames::session_message(const std::string& key, const sessions::Entry& entry,
                                std::int64_t ts) {
  Audience who = run_audience(key);
  who.followed_key = key;
  if (!clients_.any(who)) return;
  auto parsed = sessions::parse_session_key(key, "");
  Json p{{"sessionKey", key},
         {"agentId", parsed.ok() ? parsed->agent_id : std::string()},
         {"messageId", entry.message_id},
         {"messageSeq", entry.seq},
         {"message", message_json(entry)},
         {"ts", ts}};
  if (!entry.run_id.empty()) p["runId"] = entry.run_id;
  clients_.broadcast("session.message", std::move(p), who, false);
}

void RunFrames::session_changed(const agents::SessionChange& e) {
  for (const sessions::Entry& entry : e.appended) session_message(e.session_key, entry, e.ts);
  Json p{{"sessionKey", e.session_key}, {"reason", e.reason}, {"ts", e.ts}};
  if (e.row)
    p["session"] = session_json(*e.row, e.active_run_ids, agents_.model_of(e.row->agent_id));
  clients_.broadcast("sessions.changed", std::move(p), run_audience(e.session_key, true), true);
}

}  // namespace simpleclaw::gateway
