// How OpenClaw's Control UI reads a session (chat.startup, chat.metadata,
// sessions.describe, sessions.messages.subscribe, sessions.preview, sessions.resolve):
// the same transcripts and rows as chat.history and sessions.list, in the shapes the UI
// loads a chat with.
#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "base/json_fields.h"
#include "base/utf8.h"
#include "gateway/methods/table.h"
#include "gateway/transcript_json.h"
#include "providers/catalog.h"

namespace simpleclaw::gateway {
namespace {

// "openai/gpt-4o" -> {modelProvider: "openai", model: "gpt-4o"}.
Json model_fields(const std::string& ref) {
  auto slash = ref.find('/');
  if (ref.empty()) return Json{{"modelProvider", nullptr}, {"model", nullptr}};
  if (slash == std::string::npos) return Json{{"modelProvider", nullptr}, {"model", ref}};
  return Json{{"modelProvider", ref.substr(0, slash)}, {"model", ref.substr(slash + 1)}};
}

// The session row as sessions.list has it, plus what the UI's chat pane reads.
Json session_info(Services& svc, const sessions::SessionKey& key,
                  const std::optional<sessions::HistoryPage>& page) {
  std::vector<std::string> runs = svc.runs.run_ids(key.key);
  std::string model = svc.agents.model_of(key.agent_id);
  Json info = page ? session_json(page->session, runs, model)
                   : Json{{"key", key.key},          {"kind", key.kind},
                          {"agentId", key.agent_id}, {"sessionId", nullptr},
                          {"activeRunIds", runs},    {"status", runs.empty() ? "idle" : "running"},
                          {"model", model}};
  Json mf = model_fields(info.value("model", std::string()));
  info["modelProvider"] = mf["modelProvider"];
  info["hasActiveRun"] = !runs.empty();
  info["unread"] = false;
  return info;
}

}  // namespace

Json session_defaults(Services& svc, std::string_view agent_id) {
  Json defaults = model_fields(
      svc.agents.model_of(agent_id.empty() ? svc.agents.default_id() : std::string(agent_id)));
  defaults["contextTokens"] = nullptr;
  return defaults;
}

// A page of a chat as OpenClaw's UI loads it (chat.startup first, chat.history after):
// the messages with the session's row, the model defaults and no pending inputs.
void chat_page(MethodCall& call, int offset) {
  auto key = call.svc.agents.parse_key(json_str(call.params, "sessionKey"),
                                       json_str(call.params, "agentId"));
  if (!key.ok()) return call.respond(key.error());
  call.client.watch(key->key);  // a reader of the chat sees its replies stream
  Services& svc = call.svc;
  svc.sessions.history(
      *key, json_int(call.params, "limit", 200), offset,
      [&svc, k = *key, respond = call.respond](Result<agents::History> r) {
        if (!r.ok()) return respond(r.error());
        Json page = history_json(*r);
        page["sessionInfo"] = session_info(svc, k, r->page);
        page["defaults"] = session_defaults(svc, k.agent_id);
        page["pendingInputs"] = Json{{"items", Json::array()}, {"total", 0}};
        page["totalMessages"] = page["messages"].size();
        respond(std::move(page));
      },
      agents::SessionService::kHistoryImageBytes);
}

void method_chat_startup(MethodCall& call) { chat_page(call, 0); }

void method_chat_metadata(MethodCall& call) {
  Json models = Json::array();
  const Json catalog = call.svc.catalog.list_json();  // kept alive for the loop
  for (const Json& m : catalog["models"])
    models.push_back(Json{{"id", m["id"]},
                          {"name", m["name"]},
                          {"provider", m["provider"]},
                          {"available", m.value("available", true)}});
  call.respond(Json{
      {"models", std::move(models)},
      {"commands", Json::array()},
      {"swarmEnabled", false},
      {"accountSelection", {{"kind", "automatic"}, {"label", "Automatic account selection"}}}});
}

// {session: row} or {session: null} for a session nobody wrote to (not an error).
void method_sessions_describe(MethodCall& call) {
  auto key =
      call.svc.agents.parse_key(json_str(call.params, "key"), json_str(call.params, "agentId"));
  if (!key.ok()) return call.respond(key.error());
  const bool titles = json_bool(call.params, "includeDerivedTitles", false);
  Services& svc = call.svc;
  svc.sessions.history(
      *key, 1, 0, [&svc, k = *key, titles, respond = call.respond](Result<agents::History> r) {
        if (!r.ok()) return respond(r.error());
        if (!r->page) return respond(Json{{"session", nullptr}});
        Json info = session_info(svc, k, r->page);
        if (std::string t = titles ? derived_title(r->page->session) : std::string(); !t.empty())
          info["derivedTitle"] = std::move(t);
        respond(Json{{"session", std::move(info)}});
      });
}

void method_sessions_messages_subscribe(MethodCall& call) {
  auto key =
      call.svc.agents.parse_key(json_str(call.params, "key"), json_str(call.params, "agentId"));
  if (!key.ok()) return call.respond(key.error());
  // includeApprovals: pending approvals reach an operator with operator.approvals through
  // exec.approval.* events and exec.approval.list; there is no separate replay.
  auto& f = call.client.followed;
  if (!f.count(key->key) && f.size() >= Client::kMaxWatched)
    return call.respond(Error::invalid("at most " + std::to_string(Client::kMaxWatched) +
                                       " sessions can be followed per connection"));
  f.insert(key->key);           // session.message: what is appended to its transcript
  call.client.watch(key->key);  // and its runs' streaming deltas
  call.respond(Json{{"subscribed", true}, {"key", key->key}});
}

void method_sessions_messages_unsubscribe(MethodCall& call) {
  auto key =
      call.svc.agents.parse_key(json_str(call.params, "key"), json_str(call.params, "agentId"));
  if (!key.ok()) return call.respond(key.error());
  call.client.watched.erase(key->key);
  call.client.followed.erase(key->key);
  call.respond(Json{{"subscribed", false}, {"key", key->key}});
}

namespace {

// What sessions.preview collects across the sessions it reads (one history read each).
struct Previews {
  Json items;  // one slot per key, in the order asked
  std::size_t left = 0;
  Responder respond;
};

}  // namespace

// sessions.preview {keys, limit, maxChars}: the last messages of several sessions (the
// UI's hover cards and session pickers): {ts, previews: [{key, status, items: [{role,
// text}]}]}. status: ok | empty (nobody wrote yet) | missing (not a valid key) | error.
void method_sessions_preview(MethodCall& call) {
  const std::vector<std::string> keys = json_strings(call.params, "keys");
  const int limit = std::clamp(json_int(call.params, "limit", 8), 1, 50);
  const auto max_chars =
      static_cast<std::size_t>(std::clamp(json_int(call.params, "maxChars", 240), 20, 4000));
  auto state = std::make_shared<Previews>(Previews{Json::array(), keys.size(), call.respond});
  auto done = [state, &svc = call.svc] {
    if (--state->left == 0)
      state->respond(Json{{"ts", svc.clock.wall_ms()}, {"previews", std::move(state->items)}});
  };
  for (std::size_t i = 0; i < keys.size(); ++i) {
    state->items.push_back(Json{{"key", keys[i]}, {"status", "missing"}, {"items", Json::array()}});
    auto key = call.svc.agents.parse_key(keys[i]);
    if (key.ok() && !call.client.user.empty())  // shared mode: only the user's own sessions
      key = sessions::in_user_namespace(*key, call.client.user);
    if (!key.ok()) {
      done();
      continue;
    }
    state->items[i]["key"] = key->key;
    call.svc.sessions.history(
        *key, limit, 0, [state, i, max_chars, done](Result<agents::History> r) {
          Json& slot = state->items[i];
          if (!r.ok()) {
            slot["status"] = "error";
          } else if (!r->page || r->page->entries.empty()) {
            slot["status"] = "empty";
          } else {
            slot["status"] = "ok";
            for (const auto& e : r->page->entries)
              if (!e.text.empty())
                slot["items"].push_back(Json{{"role", sessions::role_name(e.role)},
                                             {"text", clip_text(e.text, max_chars)}});
          }
          done();
        });
  }
}

// sessions.resolve {key | label | sessionId, agentId?, allowMissing?}: the canonical key of
// a session named any of those ways: {ok: true, key, agentId} or {ok: false, candidates}.
void method_sessions_resolve(MethodCall& call) {
  const Json& p = call.params;
  const std::string agent = json_str(p, "agentId");
  if (std::string raw = json_str(p, "key"); !raw.empty()) {
    auto key = call.svc.agents.parse_key(raw, agent);
    if (!key.ok()) return call.respond(key.error());
    if (json_bool(p, "allowMissing", false))
      return call.respond(Json{{"ok", true}, {"key", key->key}, {"agentId", key->agent_id}});
    return call.svc.sessions.history(
        *key, 1, 0, [respond = call.respond, k = *key](Result<agents::History> r) {
          if (!r.ok()) return respond(r.error());
          if (!r->page) return respond(Json{{"ok", false}, {"candidates", Json::array()}});
          respond(Json{{"ok", true}, {"key", k.key}, {"agentId", k.agent_id}});
        });
  }
  const std::string label = json_str(p, "label"), session_id = json_str(p, "sessionId");
  if (label.empty() && session_id.empty())
    return call.respond(Error::invalid("sessions.resolve: give key, label or sessionId"));
  sessions::ListFilter f;
  f.limit = 1000;
  f.agent_id = agent;
  f.search = label;
  f.owner = call.client.user;  // shared mode: only the user's own sessions
  call.svc.sessions.list(
      f, [respond = call.respond, label, session_id](Result<agents::SessionList> r) {
        if (!r.ok()) return respond(r.error());
        Json found = Json::array();
        for (const auto& row : r->rows)
          if ((label.empty() || row.label == label) &&
              (session_id.empty() || row.session_id == session_id) && found.size() < 10)
            found.push_back(Json{{"key", row.key},
                                 {"agentId", row.agent_id},
                                 {"displayName", row.label.empty() ? row.key : row.label}});
        if (found.size() == 1)
          return respond(Json{{"ok", true},
                              {"key", found[0]["key"]},
                              {"agentId", found[0]["agentId"]},
                              {"displayName", found[0]["displayName"]}});
        respond(Json{{"ok", false}, {"candidates", std::move(found)}});
      });
}

}  // namespace simpleclaw::gateway
