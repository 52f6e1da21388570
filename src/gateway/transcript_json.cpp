#include "gateway/transcript_json.h"

#include "base/utf8.h"

namespace simpleclaw::gateway {

Json message_json(const sessions::Entry& e) {
  if (e.role == sessions::Role::kTool) {
    Json m{{"role", "toolResult"},
           {"toolCallId", e.tool_call_id},
           {"toolName", e.tool_name},
           {"content", Json::array({Json{{"type", "text"}, {"text", e.text}}})},
           {"isError", e.is_error},
           {"timestamp", e.created_at},
           {"id", e.message_id},
           {"__openclaw", {{"id", e.message_id}, {"seq", e.seq}}}};
    if (!e.run_id.empty()) m["runId"] = e.run_id;
    return m;
  }
  Json content = Json::array();
  if (!e.text.empty() || ((!e.tool_calls.is_array() || e.tool_calls.empty()) && e.images.empty()))
    content.push_back(Json{{"type", "text"}, {"text", e.text}});
  // Images as OpenClaw's transcripts hold them: {type:"image", data (base64), mimeType};
  // the Control UI shows data as a data: URL. Bytes not loaded for this answer (over the
  // page's budget, or unreadable) leave the part without data, marked omitted.
  for (const sessions::ImageRef& img : e.images) {
    Json part{{"type", "image"}, {"mimeType", img.mime_type}, {"sizeBytes", img.bytes}};
    if (!img.file_name.empty()) part["fileName"] = img.file_name;
    if (img.data)
      part["data"] = *img.data;
    else
      part["omitted"] = true;
    content.push_back(std::move(part));
  }
  if (e.tool_calls.is_array())
    for (const Json& c : e.tool_calls) {
      Json args = Json::parse(c.value("arguments", "{}"), nullptr, false);
      content.push_back(Json{{"type", "toolCall"},
                             {"id", c.value("id", "")},
                             {"name", c.value("name", "")},
                             {"arguments", args.is_discarded() ? Json::object() : args}});
    }
  // __openclaw: how OpenClaw's clients identify a stored message (seq: its position in
  // the store, increasing).
  Json m{{"role", sessions::role_name(e.role)},
         {"content", std::move(content)},
         {"timestamp", e.created_at},
         {"id", e.message_id},
         {"__openclaw", {{"id", e.message_id}, {"seq", e.seq}}}};
  if (!e.run_id.empty()) m["runId"] = e.run_id;
  // How OpenClaw's clients find the message their chat.send became (runId + ":user").
  if (!e.run_id.empty() && e.role == sessions::Role::kUser)
    m["idempotencyKey"] = e.run_id + ":user";
  if (!e.stop_reason.empty()) m["stopReason"] = e.stop_reason;
  if (!e.model.empty()) m["model"] = e.model;
  if (e.input_tokens || e.output_tokens)
    m["usage"] = Json{{"input", e.input_tokens},
                      {"output", e.output_tokens},
                      {"totalTokens", e.input_tokens + e.output_tokens}};
  if (e.state != sessions::EntryState::kComplete) m["state"] = sessions::entry_state_name(e.state);
  if (!e.label.empty()) m["label"] = e.label;
  return m;
}

Json text_message_json(const std::string& text, std::int64_t ts) {
  return Json{{"role", "assistant"},
              {"content", Json::array({Json{{"type", "text"}, {"text", text}}})},
              {"timestamp", ts}};
}

Json session_json(const sessions::SessionRow& r, const std::vector<std::string>& run_ids,
                  const std::string& default_model) {
  Json j{{"key", r.key},
         {"kind", r.kind},
         {"sessionId", r.session_id},
         {"agentId", r.agent_id},
         {"updatedAt", r.updated_at},
         {"createdAt", r.created_at},
         {"status", run_ids.empty() ? std::string("idle") : std::string("running")},
         {"activeRunIds", run_ids},
         {"inputTokens", r.input_tokens},
         {"outputTokens", r.output_tokens},
         {"totalTokens", r.input_tokens + r.output_tokens},
         {"pinned", r.pinned},
         {"archived", r.archived},
         {"model", r.model_override.empty() ? default_model : r.model_override}};
  if (!r.channel.empty()) j["channel"] = r.channel;
  if (!r.label.empty()) j["label"] = r.label;
  if (!r.last_preview.empty()) j["lastMessagePreview"] = r.last_preview;
  return j;
}

std::string derived_title(const sessions::SessionRow& row) {
  constexpr std::size_t kMaxTitle = 60;
  if (!row.label.empty()) return row.label;
  // First non-blank line, runs of spaces/tabs/control characters as one space.
  std::string line;
  for (char c : row.first_user_text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r') {
      if (!line.empty()) break;
      continue;
    }
    if (u < 0x20 || u == 0x7f || c == ' ') {
      if (!line.empty() && line.back() != ' ') line.push_back(' ');
      continue;
    }
    line.push_back(c);
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (line.empty() || line.front() == '/') return {};
  if (line.size() <= kMaxTitle) return line;
  std::string cut(utf8_prefix(line, kMaxTitle));
  while (!cut.empty() && cut.back() == ' ') cut.pop_back();
  return cut + "…";
}

Json history_json(const agents::History& h) {
  if (!h.page)
    return Json{{"sessionKey", h.key},
                {"sessionId", nullptr},
                {"messages", Json::array()},
                {"hasMore", false}};
  Json msgs = Json::array();
  for (const auto& e : h.page->entries) msgs.push_back(message_json(e));
  return Json{{"sessionKey", h.key},
              {"sessionId", h.page->session.session_id},
              {"messages", std::move(msgs)},
              {"hasMore", h.page->has_more},
              {"activeRunIds", h.active_run_ids}};
}

Json send_ack_json(const agents::SendAck& ack) {
  using Kind = agents::SendAck::Kind;
  if (ack.kind == Kind::kStarted) return Json{{"runId", ack.run_id}, {"status", "started"}};
  if (ack.kind == Kind::kInFlight) return Json{{"runId", ack.run_id}, {"status", "in_flight"}};
  const agents::RunOutcome& o = ack.outcome;
  Json j{{"runId", ack.run_id}, {"status", sessions::run_status_name(o.status)}};
  if (o.status == sessions::RunStatus::kFinal)
    j["message"] = o.reply ? message_json(*o.reply) : text_message_json(o.text, o.started_at);
  if (!o.error.empty()) j["errorMessage"] = o.error;
  return j;
}

}  // namespace simpleclaw::gateway
