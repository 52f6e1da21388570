#include "agents/chat_service.h"

#include <algorithm>
#include <chrono>

#include "agents/context.h"
#include "agents/workspace.h"
#include "base/ids.h"
#include "base/log.h"

namespace simpleclaw::agents {

using providers::ErrorKind;
using sessions::SessionStore;

namespace {
constexpr std::size_t kMaxMessageBytes = 1 << 20;
constexpr int kMaxContextEntries = 2000;

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Json text_message(const std::string& text, std::int64_t ts) {
  return Json{{"role", "assistant"},
              {"content", Json::array({Json{{"type", "text"}, {"text", text}}})},
              {"timestamp", ts}};
}
// What a run needs before its model call: the transcript (every entry up to this run's
// user message), the session's model override, and the system prompt from the workspace.
struct Loaded {
  std::vector<sessions::Entry> entries;
  std::string system, model_override;
};

// On the DB worker. Read-only: a batch of only these commits without writing or fsync.
Result<Loaded> load_for_run(SessionStore& s, const std::string& key, const std::string& session_id,
                            const ChatService::PromptSource& src) {
  Loaded l;
  auto ctx = s.context(session_id, kMaxContextEntries);
  if (!ctx.ok()) return ctx.error();
  l.entries = std::move(ctx).value();
  auto row = s.get(key);
  if (row.ok() && *row) l.model_override = (*row)->model_override;
  l.system = assemble_system_prompt(src.workspace, src.agent_name);
  return l;
}

struct Begun {
  sessions::BeginRunResult begun;
  std::optional<Loaded> loaded;  // prefetched for a run that will start at once
};

}  // namespace

struct ChatService::Run {
  std::string run_id, key, agent_id, session_id;
  std::string user_text;
  std::string mode;  // queue mode it was sent with
  std::int64_t user_seq = 0;
  std::vector<std::string> absorbed;  // collect mode: queued runIds this run answers
  std::optional<int> timeout_ms;
  std::int64_t started_ms = 0;
  std::string text;  // the reply so far
  std::uint64_t chat_seq = 0, agent_seq = 0;
  std::shared_ptr<providers::ModelCall> call;
  std::unique_ptr<boost::asio::steady_timer> timer;
  bool started = false;    // left the queue
  bool finishing = false;  // terminal status chosen; waiting for the commit
  // Set by abort before the model call exists: applied once loading finishes.
  std::optional<std::pair<std::string, std::string>> pending_abort;  // (status, error)
  ErrorKind pending_kind = ErrorKind::kUnknown;
  std::optional<Loaded> prefetched;  // loaded with the user message (see send)
  // The model calls (first and after each tool round) share these:
  std::shared_ptr<std::vector<sessions::Entry>> entries;  // context, plus committed rounds
  std::shared_ptr<std::string> system;
  std::vector<providers::ResolvedModel> candidates;
  int steps = 0;           // model calls made
  providers::Usage usage;  // summed over the steps
  std::string model_ref;   // the model that answered last
  // The tool round in progress:
  std::string round_text;
  std::vector<providers::ToolCall> round_calls;
  std::vector<tools::ToolOutcome> round_results;
  std::shared_ptr<tools::ToolTask> tool_task;
  bool committing = false;  // the round is being written
};

ChatService::ChatService(boost::asio::io_context& io, sessions::DbWorker& db,
                         providers::Catalog& catalog, ChatSink& sink, std::string state_dir)
    : io_(io), db_(db), catalog_(catalog), sink_(sink), state_dir_(std::move(state_dir)) {}

ChatService::~ChatService() {
  for (auto& [key, rt] : sessions_)
    if (rt.active && rt.active->call) rt.active->call->cancel();
}

void ChatService::set_config(const config::Config& cfg) { cfg_ = cfg; }

Result<sessions::SessionKey> ChatService::parse_key(const std::string& raw,
                                                    const std::string& agent_override) const {
  const std::string& def = agent_override.empty() ? cfg_.agents.default_id : agent_override;
  auto k = sessions::parse_session_key(raw, def);
  if (!k.ok()) return k.error();
  if (!config::find_agent(cfg_, k->agent_id))
    return Error::invalid("unknown agent: " + k->agent_id + " (see agents.list)",
                          "AGENT_NOT_FOUND");
  return k;
}

std::string ChatService::workspace_of(const std::string& agent_id) const {
  const config::AgentConfig* a = config::find_agent(cfg_, agent_id);
  std::string ws = a ? a->workspace : std::string();
  if (ws.empty()) return state_dir_ + "/agents/" + agent_id + "/workspace";
  if (ws.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home) ws = std::string(home) + ws.substr(1);
  }
  return ws;
}

ChatService::PromptSource ChatService::prompt_source(const std::string& agent_id) const {
  const config::AgentConfig* a = config::find_agent(cfg_, agent_id);
  return PromptSource{workspace_of(agent_id), a ? a->name : agent_id};
}

ChatService::Run* ChatService::active_run(const std::string& key, const std::string& run_id) {
  auto it = sessions_.find(key);
  if (it == sessions_.end() || !it->second.active || it->second.active->run_id != run_id)
    return nullptr;
  return it->second.active.get();
}

std::size_t ChatService::active_runs() const {
  std::size_t n = 0;
  for (const auto& [k, rt] : sessions_) n += rt.active ? 1 : 0;
  return n;
}

std::size_t ChatService::queued_runs() const {
  std::size_t n = 0;
  for (const auto& [k, rt] : sessions_) n += rt.queue.size();
  return n;
}

std::vector<std::string> ChatService::run_ids(const std::string& key) const {
  std::vector<std::string> out;
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return out;
  if (it->second.active) out.push_back(it->second.active->run_id);
  for (const auto& r : it->second.queue) out.push_back(r->run_id);
  return out;
}

// ---------------------------------------------------------------- dedupe

const ChatService::Dedupe* ChatService::dedupe_find(const std::string& run_id) {
  std::int64_t now = wall_ms();
  while (!dedupe_order_.empty() &&
         (dedupe_order_.front().second <= now ||
          dedupe_order_.size() > static_cast<std::size_t>(cfg_.sessions.dedupe_max))) {
    auto it = dedupe_.find(dedupe_order_.front().first);
    // Only terminal entries expire; an in-flight key stays until its run ends.
    if (it != dedupe_.end() && !it->second.in_flight &&
        it->second.expires_ms == dedupe_order_.front().second)
      dedupe_.erase(it);
    dedupe_order_.pop_front();
  }
  auto it = dedupe_.find(run_id);
  return it == dedupe_.end() ? nullptr : &it->second;
}

std::size_t ChatService::expire_dedupe() {
  (void)dedupe_find(std::string());  // prunes expired entries from the front
  return dedupe_.size();
}

void ChatService::dedupe_in_flight(const std::string& run_id, std::string_view owner) {
  dedupe_[run_id] = Dedupe{true, nullptr, 0, std::string(owner)};
}

void ChatService::remember(const std::string& run_id, Json terminal) {
  std::int64_t expires = wall_ms() + cfg_.sessions.dedupe_ttl_ms;
  auto it = dedupe_.find(run_id);  // keeps the owner recorded when the run was sent
  std::string owner = it != dedupe_.end() ? std::move(it->second.owner) : std::string();
  dedupe_[run_id] = Dedupe{false, std::move(terminal), expires, std::move(owner)};
  dedupe_order_.emplace_back(run_id, expires);
}

void ChatService::forget(const std::string& run_id) { dedupe_.erase(run_id); }

// ---------------------------------------------------------------- events

Json ChatService::chat_payload(Run& run, const char* state) {
  return Json{
      {"runId", run.run_id}, {"sessionKey", run.key}, {"seq", run.chat_seq++}, {"state", state}};
}

Json ChatService::agent_payload(Run& run, const char* stream, Json data) {
  return Json{{"runId", run.run_id}, {"sessionKey", run.key}, {"seq", run.agent_seq++},
              {"stream", stream},    {"ts", wall_ms()},       {"data", std::move(data)}};
}

Json session_row_json(const sessions::SessionRow& r, const std::vector<std::string>& run_ids) {
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
         {"model", r.model_override.empty() ? nullptr : Json(r.model_override)}};
  if (!r.channel.empty()) j["channel"] = r.channel;
  if (!r.label.empty()) j["label"] = r.label;
  if (!r.last_preview.empty()) j["lastMessagePreview"] = r.last_preview;
  return j;
}

Json ChatService::session_json(const sessions::SessionRow& row) const {
  Json j = session_row_json(row, run_ids(row.key));
  if (j["model"].is_null()) {
    const config::AgentConfig* a = config::find_agent(cfg_, row.agent_id);
    std::string m = a && !a->model.empty() ? a->model : cfg_.models.default_model;
    j["model"] = m;
  }
  return j;
}

void ChatService::changed(const std::string& key, const char* reason,
                          const sessions::SessionRow* row) {
  Json p{{"sessionKey", key}, {"reason", reason}, {"ts", wall_ms()}};
  if (row) p["session"] = session_json(*row);
  sink_.sessions_changed(std::move(p));
}

// ---------------------------------------------------------------- send

void ChatService::send(SendParams p, Reply reply) {
  if (shutting_down_)
    return reply(Error::unavailable("gateway is shutting down; retry after restart", 5000));
  auto key = parse_key(p.session_key, p.agent_id);
  if (!key.ok()) return reply(key.error());
  if (p.message.empty()) return reply(Error::invalid("message is empty"));
  if (p.message.size() > kMaxMessageBytes)
    return reply(Error::invalid("message too long: " + std::to_string(p.message.size()) +
                                " bytes (max " + std::to_string(kMaxMessageBytes) + ")"));
  if (p.idempotency_key.empty() || p.idempotency_key.size() > 256)
    return reply(Error::invalid("idempotencyKey must be 1-256 characters"));
  const std::string run_id = p.idempotency_key;
  // Shared mode: idempotency keys are global, but another user's run (its status, its
  // cached reply) is never an answer.
  const std::string_view owner = sessions::key_owner(key->key);
  auto used_elsewhere = [&] {
    return Error::invalid(
        "idempotencyKey " + run_id + " is already used by another user's run; send a fresh one",
        "IDEMPOTENCY_KEY_IN_USE");
  };
  if (const Dedupe* d = dedupe_find(run_id)) {
    if (d->owner != owner) return reply(used_elsewhere());
    if (d->in_flight) return reply(Json{{"runId", run_id}, {"status", "in_flight"}});
    return reply(d->result);
  }
  SessionRt& rt = sessions_[key->key];
  if (rt.queue.size() >= static_cast<std::size_t>(cfg_.sessions.max_queue))
    return reply(Error::unavailable("session " + key->key + " has " +
                                        std::to_string(rt.queue.size()) +
                                        " queued messages (sessions.max_queue); retry later",
                                    2000));
  std::string mode = p.queue_mode.empty() ? cfg_.sessions.queue_mode : p.queue_mode;
  dedupe_in_flight(run_id, owner);
  sessions::BeginRun b{*key, run_id, uuid_v4(), p.message, wall_ms()};
  // A message to an idle session starts at once: load what the model needs in the same
  // job as the commit, saving a round trip to the DB thread on the common path. Used only
  // if the run does start at once (see start_next); otherwise it is loaded again then.
  std::optional<PromptSource> prefetch;
  if (!rt.active && rt.queue.empty()) prefetch = prompt_source(key->agent_id);
  ++pending_;
  std::weak_ptr<int> alive = alive_;
  db_.post(
      [b, prefetch](SessionStore& s) -> Result<Begun> {
        Begun out;
        auto r = s.begin_run(b);
        if (!r.ok()) return r.error();
        out.begun = std::move(r).value();
        if (prefetch && !out.begun.existing) {
          auto l = load_for_run(s, b.key.key, out.begun.session.session_id, *prefetch);
          if (l.ok()) out.loaded = std::move(l).value();  // else: loaded again at start
        }
        return out;
      },
      [this, alive, b, p = std::move(p), mode,
       reply = std::move(reply)](Result<Begun> begun) mutable {
        if (alive.expired()) return;
        pending_done();
        const std::string& run_id = b.run_id;
        if (!begun.ok()) {
          forget(run_id);
          log::error("chat.send {}: {}", b.key.key, begun.error().message);
          return reply(begun.error());
        }
        sessions::BeginRunResult* r = &begun->begun;
        if (r->existing) {
          // Known from before a restart: answer from the runs table.
          const sessions::RunRow& ex = *r->existing;
          if (sessions::key_owner(ex.session_key) != sessions::key_owner(b.key.key)) {
            forget(run_id);
            return reply(Error::invalid("idempotencyKey " + run_id +
                                            " is already used by another user's run; "
                                            "send a fresh one",
                                        "IDEMPOTENCY_KEY_IN_USE"));
          }
          Json res{{"runId", run_id},
                   {"status", ex.status == "queued" || ex.status == "running" ? std::string("error")
                                                                              : ex.status}};
          if (!ex.error.empty()) res["errorMessage"] = ex.error;
          remember(run_id, res);
          return reply(res);
        }
        auto run = std::make_unique<Run>();
        run->run_id = run_id;
        run->key = b.key.key;
        run->agent_id = b.key.agent_id;
        run->session_id = r->session.session_id;
        run->user_text = b.text;
        run->user_seq = r->user.seq;
        run->timeout_ms = p.timeout_ms;
        run->mode = mode;
        run->prefetched = std::move(begun->loaded);
        reply(Json{{"runId", run_id}, {"status", "started"}});
        changed(b.key.key, "message", &r->session);
        if (shutting_down_) return finish_queued(std::move(run), "gateway shutting down");
        enqueue(std::move(run), mode);
      });
}

void ChatService::enqueue(std::unique_ptr<Run> run, const std::string& mode) {
  std::string key = run->key;
  SessionRt& rt = sessions_[key];
  if (!rt.active) {
    rt.queue.push_back(std::move(run));
    return start_next(key, rt.queue.size() == 1);  // nothing ahead of it: prefetch is fresh
  }
  if (mode == "interrupt") {
    rt.queue.push_front(std::move(run));
    abort_run(*rt.active, "aborted", "interrupted by a newer message", ErrorKind::kUnknown);
    return;
  }
  rt.queue.push_back(std::move(run));  // followup and collect (merged when it starts)
}

void ChatService::start_next(const std::string& key, bool prefetch_fresh) {
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  SessionRt& rt = it->second;
  if (rt.active) return;
  if (rt.queue.empty()) {
    sessions_.erase(it);
    return;
  }
  rt.active = std::move(rt.queue.front());
  rt.queue.pop_front();
  Run& run = *rt.active;
  if (run.mode == "collect") {
    while (!rt.queue.empty() && rt.queue.front()->mode == "collect") {  // one run answers all
      run.absorbed.push_back(rt.queue.front()->run_id);
      run.user_seq = std::max(run.user_seq, rt.queue.front()->user_seq);
      rt.queue.pop_front();
    }
  }
  run.started = true;
  run.started_ms = wall_ms();
  int timeout = run.timeout_ms.value_or(cfg_.sessions.run_timeout_ms);
  run.timer = std::make_unique<boost::asio::steady_timer>(io_);
  run.timer->expires_after(std::chrono::milliseconds(timeout));
  std::weak_ptr<int> alive = alive_;
  std::string run_id = run.run_id;
  run.timer->async_wait([this, alive, key, run_id, timeout](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    Run* r = active_run(key, run_id);
    if (!r) return;
    abort_run(*r, "error", "run timed out after " + std::to_string(timeout) + " ms",
              ErrorKind::kTimeout);
  });
  sink_.agent_event(
      run.run_id,
      agent_payload(run, "lifecycle", Json{{"phase", "start"}, {"startedAt", run.started_ms}}),
      false);
  if (run.prefetched && prefetch_fresh) {
    Loaded l = std::move(*run.prefetched);
    run.prefetched.reset();
    return begin_model_call(run, std::move(l.entries), std::move(l.system),
                            std::move(l.model_override));
  }
  run.prefetched.reset();  // stale: earlier runs of this session have replied since
  std::string session_id = run.session_id;
  ++pending_;
  db_.post([key, session_id, src = prompt_source(run.agent_id)](
               SessionStore& s) { return load_for_run(s, key, session_id, src); },
           [this, alive, key, run_id](Result<Loaded> r) {
             if (alive.expired()) return;
             pending_done();
             Run* active = active_run(key, run_id);
             if (!active) return;
             Run& run = *active;
             if (run.pending_abort) {
               auto [status, error] = *run.pending_abort;
               return finish(key, status, error, run.pending_kind, nullptr);
             }
             if (!r.ok())
               return finish(key, "error", "cannot load the transcript: " + r.error().message,
                             ErrorKind::kUnknown, nullptr);
             begin_model_call(run, std::move(r->entries), std::move(r->system),
                              std::move(r->model_override));
           });
}

void ChatService::begin_model_call(Run& run, std::vector<sessions::Entry> entries,
                                   std::string system, std::string model_override) {
  const config::AgentConfig* agent = config::find_agent(cfg_, run.agent_id);
  std::vector<std::string> refs;
  if (!model_override.empty())
    refs.push_back(model_override);
  else if (agent && !agent->model.empty())
    refs.push_back(agent->model);
  else
    refs.push_back(catalog_.default_model());
  if (agent)
    for (const std::string& f : agent->fallbacks)
      if (std::find(refs.begin(), refs.end(), f) == refs.end()) refs.push_back(f);
  std::vector<providers::ResolvedModel> candidates;
  std::string first_error;
  for (const std::string& ref : refs) {
    auto m = catalog_.resolve(ref);
    if (m.ok()) {
      candidates.push_back(std::move(m).value());
    } else {
      if (first_error.empty()) first_error = m.error().message;
      log::warn("run {}: skipping model {}: {}", run.run_id, ref, m.error().message);
    }
  }
  if (candidates.empty())
    return finish(run.key, "error", first_error, ErrorKind::kUnknown, nullptr);

  run.candidates = std::move(candidates);
  run.entries = std::make_shared<std::vector<sessions::Entry>>(std::move(entries));
  run.system = std::make_shared<std::string>(std::move(system));
  call_model(run);
}

void ChatService::call_model(Run& run) {
  const config::AgentConfig* agent = config::find_agent(cfg_, run.agent_id);
  auto specs = std::make_shared<std::vector<providers::ToolSpec>>();
  if (tools_ && agent) *specs = tools_->specs(agent->tools);
  ++run.steps;
  run.text.clear();  // each step's text is its own assistant message
  auto shared_entries = run.entries;
  auto shared_system = run.system;
  std::int64_t upto = run.user_seq;
  std::weak_ptr<int> alive = alive_;
  std::string key = run.key, run_id = run.run_id;
  auto current = [this, alive, key, run_id]() -> Run* {
    return alive.expired() ? nullptr : active_run(key, run_id);
  };
  providers::CallCallbacks cb;
  cb.build = [shared_entries, shared_system, upto, specs](const providers::ResolvedModel& m) {
    ContextInput in;
    in.entries = *shared_entries;
    in.upto_seq = upto;
    in.system = *shared_system;
    in.context_window = m.model.context_window;
    in.max_tokens = m.model.max_tokens;
    ContextOutput out = build_context(in);
    providers::ChatRequest req;
    req.model = m.model.id;
    req.system = *shared_system;
    req.messages = std::move(out.messages);
    req.tools = *specs;
    req.max_tokens = m.model.max_tokens;
    return req;
  };
  cb.on_text = [this, current](std::string_view text) {
    if (Run* r = current(); r && !r->finishing) on_text(*r, text);
  };
  cb.on_retry = [this, current](const std::string& what) {
    if (Run* r = current())
      sink_.agent_event(r->run_id,
                        agent_payload(*r, "lifecycle", Json{{"phase", "retry"}, {"message", what}}),
                        true);
  };
  cb.on_done = [this, current, key](const providers::CallResult& res) {
    Run* r = current();
    if (!r) return;
    r->call.reset();
    r->usage.input_tokens += res.usage.input_tokens;
    r->usage.output_tokens += res.usage.output_tokens;
    if (!res.model_ref.empty()) r->model_ref = res.model_ref;
    if (res.cancelled) {
      auto [status, error] =
          r->pending_abort.value_or(std::make_pair(std::string("aborted"), std::string()));
      return finish(key, status, error, r->pending_kind, &res);
    }
    if (!res.ok) return finish(key, "error", res.error, res.kind, &res);
    if (!res.tool_calls.empty() && tools_) return start_tools(*r, res);
    finish(key, "final", "", ErrorKind::kUnknown, &res);
  };
  run.call =
      providers::ModelCall::start(io_, run.candidates, cfg_.models, std::move(cb), catalog_.pool());
}

// ---------------------------------------------------------------- tool loop

void ChatService::start_tools(Run& run, const providers::CallResult& res) {
  const config::AgentConfig* agent = config::find_agent(cfg_, run.agent_id);
  int max_steps = agent ? agent->tools.max_steps : cfg_.tools.max_steps;
  if (run.steps >= max_steps)
    return finish(run.key, "error",
                  "the agent stopped after " + std::to_string(run.steps) +
                      " model calls without a final answer (tools.max_steps)",
                  ErrorKind::kUnknown, &res);
  run.round_text = std::move(run.text);
  run.text.clear();
  run.round_calls = res.tool_calls;
  run.round_results.clear();
  run_next_tool(run);
}

void ChatService::run_next_tool(Run& run) {
  std::size_t i = run.round_results.size();
  if (i == run.round_calls.size()) return commit_round(run);
  const providers::ToolCall& call = run.round_calls[i];
  if (run.pending_abort) {  // aborted between calls: the rest are answered, not run
    run.round_results.push_back(tools::ToolOutcome{"error: not run: the run was aborted", true});
    return run_next_tool(run);
  }
  Json args = Json::parse(call.arguments, nullptr, false);
  sink_.agent_event(
      run.run_id,
      agent_payload(run, "tool",
                    Json{{"phase", "start"},
                         {"name", call.name},
                         {"toolCallId", call.id},
                         {"args", args.is_discarded() ? Json(call.arguments) : args}}),
      false);
  tools::ToolContext ctx;
  ctx.run_id = run.run_id;
  ctx.session_key = run.key;
  ctx.agent_id = run.agent_id;
  ctx.workspace = workspace_of(run.agent_id);
  if (const config::AgentConfig* a = config::find_agent(cfg_, run.agent_id)) ctx.policy = a->tools;
  std::weak_ptr<int> alive = alive_;
  std::string key = run.key, run_id = run.run_id;
  run.tool_task = tools_->start(ctx, call, [this, alive, key, run_id](tools::ToolOutcome out) {
    if (alive.expired()) return;
    Run* active = active_run(key, run_id);
    if (!active) return;
    Run& r = *active;
    r.tool_task.reset();
    out.text = tools::cap_tool_text(std::move(out.text));
    const providers::ToolCall& c = r.round_calls[r.round_results.size()];
    sink_.agent_event(r.run_id,
                      agent_payload(r, "tool",
                                    Json{{"phase", "result"},
                                         {"name", c.name},
                                         {"toolCallId", c.id},
                                         {"result", out.text},
                                         {"isError", out.is_error}}),
                      false);
    r.round_results.push_back(std::move(out));
    run_next_tool(r);
  });
}

void ChatService::commit_round(Run& run) {
  // Stored arguments are always a JSON object, so replaying the transcript to any
  // provider is valid even when the model sent broken JSON (its result says so).
  Json calls = Json::array();
  for (const providers::ToolCall& c : run.round_calls) {
    Json args = Json::parse(c.arguments, nullptr, false);
    calls.push_back(Json{{"id", c.id},
                         {"name", c.name},
                         {"arguments", args.is_object() ? c.arguments : std::string("{}")}});
  }
  std::vector<sessions::Entry> entries;
  sessions::Entry a;
  a.message_id = uuid_v4();
  a.role = "assistant";
  a.text = run.round_text;
  a.tool_calls = std::move(calls);
  a.stop_reason = "toolUse";
  a.model = run.model_ref;
  entries.push_back(std::move(a));
  for (std::size_t i = 0; i < run.round_calls.size(); ++i) {
    sessions::Entry t;
    t.message_id = uuid_v4();
    t.role = "tool";
    t.text = run.round_results[i].text;
    t.is_error = run.round_results[i].is_error;
    t.tool_call_id = run.round_calls[i].id;
    t.tool_name = run.round_calls[i].name;
    entries.push_back(std::move(t));
  }
  run.committing = true;
  ++pending_;
  std::weak_ptr<int> alive = alive_;
  std::string key = run.key, run_id = run.run_id;
  std::int64_t now = wall_ms();
  db_.post(
      [run_id, entries, now](SessionStore& s) mutable -> Result<std::vector<sessions::Entry>> {
        if (auto x = s.append_step(run_id, entries, now); !x.ok()) return x.error();
        return entries;
      },
      [this, alive, key, run_id](Result<std::vector<sessions::Entry>> r) {
        if (alive.expired()) return;
        pending_done();
        Run* active = active_run(key, run_id);
        if (!active) return;
        Run& run = *active;
        run.committing = false;
        run.round_text.clear();
        if (!r.ok())
          return finish(key, "error", "cannot store the tool results: " + r.error().message,
                        ErrorKind::kUnknown, nullptr);
        for (auto& e : *r) run.entries->push_back(std::move(e));
        if (run.pending_abort) {
          auto [status, error] = *run.pending_abort;
          return finish(key, status, error, run.pending_kind, nullptr);
        }
        changed(key, "tool", nullptr);
        call_model(run);
      });
}

void ChatService::on_text(Run& run, std::string_view text) {
  run.text.append(text);
  Json p = chat_payload(run, "delta");
  p["deltaText"] = text;
  p["message"] = text_message(run.text, run.started_ms);
  sink_.chat_event(run.run_id, std::move(p), true);
  sink_.agent_event(
      run.run_id, agent_payload(run, "assistant", Json{{"text", run.text}, {"delta", text}}), true);
}

void ChatService::abort_run(Run& run, const std::string& status, const std::string& error,
                            ErrorKind kind) {
  if (run.finishing || run.pending_abort) return;
  run.pending_abort = std::make_pair(status, error);
  run.pending_kind = kind;
  if (run.call) {
    run.call->cancel();  // closes the HTTP stream now; on_done finishes the run
  } else if (run.tool_task) {
    run.tool_task->cancel();  // kills the command / withdraws the approval; the round ends
  }
  // Otherwise the run is loading its context or committing a tool round: that job's
  // completion finishes it.
}

Result<Json> ChatService::abort(const std::string& raw_key, const std::string& run_id) {
  auto key = parse_key(raw_key);
  if (!key.ok()) return key.error();
  Json ids = Json::array();
  auto it = sessions_.find(key->key);
  if (it != sessions_.end()) {
    SessionRt& rt = it->second;
    // Queued runs first (they end at once), then the active one.
    std::deque<std::unique_ptr<Run>> keep;
    std::vector<std::unique_ptr<Run>> dropped;
    for (auto& r : rt.queue) {
      if (run_id.empty() || r->run_id == run_id) {
        ids.push_back(r->run_id);
        dropped.push_back(std::move(r));
      } else {
        keep.push_back(std::move(r));
      }
    }
    rt.queue = std::move(keep);
    if (rt.active && (run_id.empty() || rt.active->run_id == run_id) && !rt.active->finishing) {
      ids.push_back(rt.active->run_id);
      abort_run(*rt.active, "aborted", "", ErrorKind::kUnknown);
    }
    for (auto& r : dropped) finish_queued(std::move(r), "");
  }
  return Json{{"ok", true}, {"aborted", !ids.empty()}, {"runIds", ids}};
}

// A queued run that never started: closed as aborted without a reply.
void ChatService::finish_queued(std::unique_ptr<Run> run, const std::string& why) {
  sessions::FinishRun f;
  f.run_id = run->run_id;
  f.session_key = run->key;
  f.status = "aborted";
  f.error = why;
  f.now = wall_ms();
  Json payload = chat_payload(*run, "aborted");
  std::string run_id = run->run_id;
  ++pending_;
  std::weak_ptr<int> alive = alive_;
  db_.post([f](SessionStore& s) { return s.finish_run(f); },
           [this, alive, run_id, payload](Result<std::optional<sessions::Entry>> r) mutable {
             if (alive.expired()) return;
             pending_done();
             remember(run_id, Json{{"runId", run_id}, {"status", "aborted"}});
             sink_.chat_event(run_id, std::move(payload), false);
           });
}

void ChatService::finish(const std::string& key, const std::string& status,
                         const std::string& error, ErrorKind kind,
                         const providers::CallResult* result) {
  auto it = sessions_.find(key);
  if (it == sessions_.end() || !it->second.active) return;
  Run& run = *it->second.active;
  if (run.finishing) return;
  run.finishing = true;
  if (run.timer) run.timer->cancel();
  if (run.call) {
    run.call->cancel();
    run.call.reset();
  }
  sessions::FinishRun f;
  f.run_id = run.run_id;
  f.session_key = run.key;
  f.status = status;
  f.error = error;
  f.now = wall_ms();
  f.input_tokens = run.usage.input_tokens;  // every step of the run
  f.output_tokens = run.usage.output_tokens;
  if (!run.text.empty() || status == "final") {
    sessions::Entry e;
    e.message_id = uuid_v4();
    e.text = run.text;
    e.state = status == "final" ? "complete" : status;
    if (result) e.stop_reason = status == "final" ? result->stop_reason : std::string();
    e.model = run.model_ref;
    e.input_tokens = run.usage.input_tokens;
    e.output_tokens = run.usage.output_tokens;
    f.reply = std::move(e);
  }
  std::vector<sessions::FinishRun> absorbed;
  for (const std::string& id : run.absorbed) {
    sessions::FinishRun a;
    a.run_id = id;
    a.session_key = run.key;
    a.status = status;
    a.error = error;
    a.now = f.now;
    absorbed.push_back(std::move(a));
  }
  ++pending_;
  std::weak_ptr<int> alive = alive_;
  std::string run_id = run.run_id;
  std::string kind_name(providers::error_kind_name(kind));
  db_.post(
      [f, absorbed](SessionStore& s) -> Result<std::optional<sessions::Entry>> {
        auto r = s.finish_run(f);
        if (!r.ok()) return r;
        for (const auto& a : absorbed)
          if (auto x = s.finish_run(a); !x.ok()) return x.error();
        return r;
      },
      [this, alive, key, run_id, status, error,
       kind_name](Result<std::optional<sessions::Entry>> r) {
        if (alive.expired()) return;
        pending_done();
        if (!active_run(key, run_id)) return;
        std::unique_ptr<Run> run = std::move(sessions_.at(key).active);
        std::string st = status, err = error;
        if (!r.ok()) {  // the reply could not be stored: say so rather than claim success
          log::error("run {}: cannot commit the reply: {}", run_id, r.error().message);
          st = "error";
          err = "cannot store the reply: " + r.error().message;
        }
        Json message = r.ok() && *r ? (*r)->to_message() : text_message(run->text, run->started_ms);
        std::vector<std::string> ids{run->run_id};
        ids.insert(ids.end(), run->absorbed.begin(), run->absorbed.end());
        for (const std::string& id : ids) {
          Json p{{"runId", id},
                 {"sessionKey", run->key},
                 {"seq", id == run->run_id ? run->chat_seq++ : 0},
                 {"state", st}};
          Json terminal{{"runId", id}, {"status", st}};
          if (st == "final") {
            p["message"] = message;
            if (message.contains("usage")) p["usage"] = message["usage"];
            if (message.contains("stopReason")) p["stopReason"] = message["stopReason"];
            terminal["message"] = message;
          } else if (st == "aborted") {
            if (!run->text.empty()) p["message"] = message;
          } else {
            p["errorMessage"] = err;
            p["errorKind"] = st == "error" && kind_name.empty() ? "unknown" : kind_name;
            terminal["errorMessage"] = err;
          }
          remember(id, std::move(terminal));
          sink_.chat_event(id, std::move(p), false);
        }
        Json end{{"phase", st == "error" ? "error" : "end"}, {"endedAt", wall_ms()}};
        if (st == "aborted") end["aborted"] = true;
        if (st == "error") end["error"] = err;
        sink_.agent_event(run->run_id, agent_payload(*run, "lifecycle", std::move(end)), false);
        changed(key, "run", nullptr);
        start_next(key);
      });
}

void ChatService::pending_done() {
  --pending_;
  if (shutting_down_ && pending_ == 0 && active_runs() == 0 && on_shutdown_) {
    auto done = std::move(on_shutdown_);
    on_shutdown_ = nullptr;
    done();
  }
}

void ChatService::shutdown(std::function<void()> done) {
  shutting_down_ = true;
  on_shutdown_ = std::move(done);
  std::vector<std::string> keys;
  for (auto& [key, rt] : sessions_) keys.push_back(key);
  for (const std::string& key : keys) {
    auto it = sessions_.find(key);
    if (it == sessions_.end()) continue;
    std::deque<std::unique_ptr<Run>> queued = std::move(it->second.queue);
    it->second.queue.clear();
    for (auto& r : queued) finish_queued(std::move(r), "gateway shutting down");
    if (it->second.active)
      abort_run(*it->second.active, "aborted", "gateway shutting down", ErrorKind::kUnknown);
  }
  ++pending_;
  pending_done();  // completes now if nothing was running
}

// ---------------------------------------------------------------- reads and edits

void ChatService::history(const std::string& raw_key, int limit, int offset, Reply reply) {
  auto key = parse_key(raw_key);
  if (!key.ok()) return reply(key.error());
  std::string k = key->key;
  std::weak_ptr<int> alive = alive_;
  db_.post([k, limit, offset](SessionStore& s) { return s.history(k, limit, offset); },
           [this, alive, k, reply = std::move(reply)](Result<sessions::HistoryPage> r) {
             if (alive.expired()) return;
             if (!r.ok()) {
               // A session nobody wrote to yet has an empty history, not an error.
               if (r.error().details.is_object() &&
                   r.error().details.value("code", "") == "SESSION_NOT_FOUND")
                 return reply(Json{{"sessionKey", k},
                                   {"sessionId", nullptr},
                                   {"messages", Json::array()},
                                   {"hasMore", false}});
               return reply(r.error());
             }
             Json msgs = Json::array();
             for (const auto& e : r->entries) msgs.push_back(e.to_message());
             reply(Json{{"sessionKey", k},
                        {"sessionId", r->session.session_id},
                        {"messages", std::move(msgs)},
                        {"hasMore", r->has_more},
                        {"activeRunIds", run_ids(k)}});
           });
}

void ChatService::inject(const std::string& raw_key, const std::string& message,
                         const std::string& label, Reply reply) {
  auto key = parse_key(raw_key);
  if (!key.ok()) return reply(key.error());
  if (message.empty()) return reply(Error::invalid("message is empty"));
  if (message.size() > kMaxMessageBytes) return reply(Error::invalid("message too long"));
  sessions::SessionKey k = *key;
  std::string id = uuid_v4();
  std::int64_t now = wall_ms();
  std::weak_ptr<int> alive = alive_;
  db_.post([k, id, message, label,
            now](SessionStore& s) { return s.inject(k, id, message, label, now); },
           [this, alive, k, reply = std::move(reply)](Result<sessions::Entry> r) {
             if (alive.expired()) return;
             if (!r.ok()) return reply(r.error());
             // Shown like any finished reply, so open chats render it at once.
             std::string run_id = "inject-" + r->message_id;
             sink_.chat_event(run_id,
                              Json{{"runId", run_id},
                                   {"sessionKey", k.key},
                                   {"seq", 0},
                                   {"state", "final"},
                                   {"message", r->to_message()}},
                              false);
             changed(k.key, "inject", nullptr);
             reply(Json{{"ok", true}, {"messageId", r->message_id}});
           });
}

void ChatService::list_sessions(sessions::ListFilter f, Reply reply) {
  std::weak_ptr<int> alive = alive_;
  db_.post([f](SessionStore& s) { return s.list(f); },
           [this, alive,
            reply = std::move(reply)](Result<std::pair<std::vector<sessions::SessionRow>, int>> r) {
             if (alive.expired()) return;
             if (!r.ok()) return reply(r.error());
             Json rows = Json::array();
             for (const auto& row : r->first) rows.push_back(session_json(row));
             reply(Json{{"count", r->second}, {"sessions", std::move(rows)}});
           });
}

void ChatService::get_session(const std::string& raw_key, int limit, Reply reply) {
  history(raw_key, limit, 0, [reply = std::move(reply)](Result<Json> r) {
    if (!r.ok()) return reply(r.error());
    Json out{{"key", (*r)["sessionKey"]},
             {"sessionId", (*r)["sessionId"]},
             {"messages", (*r)["messages"]},
             {"hasMore", (*r)["hasMore"]}};
    reply(std::move(out));
  });
}

void ChatService::reset_session(const std::string& raw_key, Reply reply) {
  auto key = parse_key(raw_key);
  if (!key.ok()) return reply(key.error());
  std::string k = key->key;
  (void)abort(k, "");  // a reset starts over: nothing of the old turn keeps running
  std::string new_id = uuid_v4();
  std::int64_t now = wall_ms();
  sessions::SessionKey sk = *key;
  std::weak_ptr<int> alive = alive_;
  db_.post(
      [sk, new_id, now](SessionStore& s) -> Result<sessions::SessionRow> {
        auto e = s.ensure(sk, now);  // resetting a fresh key is allowed
        if (!e.ok()) return e.error();
        return s.reset(sk.key, new_id, now);
      },
      [this, alive, k, reply = std::move(reply)](Result<sessions::SessionRow> r) {
        if (alive.expired()) return;
        if (!r.ok()) return reply(r.error());
        changed(k, "reset", &*r);
        reply(Json{{"ok", true}, {"key", k}, {"sessionId", r->session_id}});
      });
}

void ChatService::delete_session(const std::string& raw_key, Reply reply) {
  auto key = parse_key(raw_key);
  if (!key.ok()) return reply(key.error());
  std::string k = key->key;
  if (!run_ids(k).empty())
    return reply(Error::invalid("session " + k + " has a run in progress; chat.abort it first",
                                "SESSION_BUSY"));
  std::weak_ptr<int> alive = alive_;
  db_.post([k](SessionStore& s) { return s.remove(k); },
           [this, alive, k, reply = std::move(reply)](Result<bool> r) {
             if (alive.expired()) return;
             if (!r.ok()) return reply(r.error());
             if (*r) changed(k, "deleted", nullptr);
             reply(Json{{"ok", true}, {"key", k}, {"deleted", *r}});
           });
}

void ChatService::patch_session(const std::string& raw_key, sessions::SessionPatch patch,
                                Reply reply) {
  auto key = parse_key(raw_key);
  if (!key.ok()) return reply(key.error());
  if (patch.model_override && !patch.model_override->empty()) {
    if (auto m = catalog_.resolve(*patch.model_override); !m.ok()) return reply(m.error());
  }
  sessions::SessionKey sk = *key;
  std::int64_t now = wall_ms();
  std::weak_ptr<int> alive = alive_;
  db_.post(
      [sk, patch, now](SessionStore& s) -> Result<sessions::SessionRow> {
        auto e = s.ensure(sk, now);
        if (!e.ok()) return e.error();
        return s.patch(sk.key, patch, now);
      },
      [this, alive, k = sk.key, reply = std::move(reply)](Result<sessions::SessionRow> r) {
        if (alive.expired()) return;
        if (!r.ok()) return reply(r.error());
        changed(k, "patch", &*r);
        reply(Json{{"ok", true}, {"key", k}, {"session", session_json(*r)}});
      });
}

}  // namespace simpleclaw::agents
