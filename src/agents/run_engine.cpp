// RunEngine (see run_engine.h): the run state machine. Every step that waits (the
// database, the workspace files, the model, a tool) continues in a completion guarded by
// resume(), which re-finds the run; a run that ended or was replaced meanwhile is never
// touched. The DESIGN of a run in one place:
//
//   send -> [begin_run] -> accepted -> enqueue -> start_next -> [context + prompt]
//        -> loaded -> call_model -> [stream] -> on_text ... -> (tool calls?) start_tools
//        -> run_next_tool ... -> commit_round -> [append_step] -> call_model ...
//        -> finish -> [finish_run] -> finished -> start_next (the session's next run)
//
// [brackets] = a DbWorker or BlockingPool job. abort_run() only records the wish and
// cancels what is in flight (the HTTP stream, the tool); the step that completes next
// sees it and finishes the run, so there is exactly one way a run ends.
#include "agents/run_engine.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>

#include "agents/context.h"
#include "agents/run_state.h"
#include "agents/workspace.h"
#include "base/check.h"
#include "base/enum_names.h"
#include "base/ids.h"
#include "base/log.h"
#include "providers/model_call.h"
#include "tools/tool_runner.h"

namespace simpleclaw::agents {

using sdk::ErrorKind;
using sessions::EntryState;
using sessions::Role;
using sessions::RunStatus;
using sessions::SessionStore;

namespace {

constexpr int kMaxContextEntries = 2000;

// On the DB worker. Read-only: a batch of only these commits without writing or fsync.
// The images the model is sent again (agents/context.h) are read from the media store in
// the same job (at most kMaxContextImages files), so the context arrives whole; one that
// cannot be read is named in the text instead, like an older one.
Result<ContextPart> load_context(SessionStore& s, const std::string& key,
                                 const std::string& session_id, std::int64_t upto_seq) {
  ContextPart part;
  auto ctx = s.context(session_id, kMaxContextEntries);
  if (!ctx.ok()) return ctx.error();
  part.entries = std::move(ctx).value();
  for (sessions::ImageRef* img : images_to_send(part.entries, upto_seq)) {
    auto data = s.media().load_base64(*img);
    if (data.ok())
      img->data = std::move(data).value();
    else
      log::warn("session {}: image {} not sent: {}", key, img->sha256, data.error().message);
  }
  auto row = s.get(key);
  if (row.ok() && *row) part.model_override = (*row)->model_override;
  return part;
}

Error idempotency_key_in_use(const std::string& run_id) {
  return Error::conflict(
      "idempotencyKey " + run_id + " is already used by another user's run; send a fresh one",
      "IDEMPOTENCY_KEY_IN_USE");
}

constexpr EnumName<QueueMode> kQueueModes[] = {{QueueMode::kFollowup, "followup"},
                                               {QueueMode::kCollect, "collect"},
                                               {QueueMode::kInterrupt, "interrupt"},
                                               {QueueMode::kSteer, "steer"}};
}  // namespace

std::optional<QueueMode> parse_queue_mode(std::string_view s) { return enum_parse(kQueueModes, s); }
std::string_view queue_mode_name(QueueMode m) { return enum_name(kQueueModes, m); }

RunEngine::RunEngine(boost::asio::io_context& io, sessions::DbWorker& db, BlockingPool& files,
                     providers::Catalog& catalog, const AgentDirectory& agents, RunSink& sink,
                     const Clock& clock)
    : io_(io),
      db_(db),
      files_(files),
      catalog_(catalog),
      agents_(agents),
      sink_(sink),
      clock_(clock) {}

RunEngine::~RunEngine() {
  for (auto& [key, rt] : sessions_)
    if (rt.active && rt.active->call) rt.active->call->cancel();
}

RunEngine::Run* RunEngine::active_run(const std::string& key, const std::string& run_id) {
  auto it = sessions_.find(key);
  if (it == sessions_.end() || !it->second.active || it->second.active->run_id != run_id)
    return nullptr;
  return it->second.active.get();
}

void RunEngine::job_done() {
  SC_CHECK(jobs_ > 0, "a database job finished that was never counted");
  --jobs_;
  if (shutting_down_ && jobs_ == 0 && active_runs() == 0 && on_shutdown_) {
    auto done = std::move(on_shutdown_);
    on_shutdown_ = nullptr;
    done();
  }
}

std::size_t RunEngine::active_runs() const {
  std::size_t n = 0;
  for (const auto& [k, rt] : sessions_) n += rt.active ? 1 : 0;
  return n;
}

std::size_t RunEngine::queued_runs() const {
  std::size_t n = 0;
  for (const auto& [k, rt] : sessions_) n += rt.queue.size();
  return n;
}

std::vector<std::string> RunEngine::run_ids(const std::string& key) const {
  std::vector<std::string> out;
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return out;
  if (it->second.active) out.push_back(it->second.active->run_id);
  for (const auto& r : it->second.queue) out.push_back(r->run_id);
  return out;
}

std::size_t RunEngine::dedupe_max() const {
  return static_cast<std::size_t>(std::max(0, cfg_->sessions.dedupe_max));
}

void RunEngine::remember(RunOutcome outcome) {
  dedupe_.remember(std::move(outcome), cfg_->sessions.dedupe_ttl_ms);
}

void RunEngine::changed(const std::string& key, const char* reason,
                        std::optional<sessions::SessionRow> row,
                        std::vector<sessions::Entry> appended) {
  sink_.session_changed(SessionChange{key, reason, std::move(row), run_ids(key), clock_.wall_ms(),
                                      std::move(appended)});
}

// ---------------------------------------------------------------- send

void RunEngine::send(SendParams p, std::function<void(Result<SendAck>)> done) {
  if (shutting_down_)
    return done(Error::unavailable("gateway is shutting down; retry after restart", 5000));
  auto key = agents_.parse_key(p.session_key, p.agent_id);
  if (!key.ok()) return done(key.error());
  if (p.message.empty() && !p.images)
    return done(Error::invalid("message is empty (send text, an image, or both)"));
  if (p.message.size() > kMaxMessageBytes)
    return done(Error::invalid("message too long: " + std::to_string(p.message.size()) +
                               " bytes (max " + std::to_string(kMaxMessageBytes) + ")"));
  if (p.idempotency_key.empty() || p.idempotency_key.size() > 256)
    return done(Error::invalid("idempotencyKey must be 1-256 characters"));
  const std::string run_id = p.idempotency_key;
  // Shared mode: idempotency keys are global, but another user's run (its status, its
  // cached reply) is never an answer.
  const std::string_view owner = sessions::key_owner(key->key);
  if (const IdempotencyCache::Entry* d = dedupe_.find(run_id, dedupe_max())) {
    if (d->owner != owner) return done(idempotency_key_in_use(run_id));
    if (d->in_flight) return done(SendAck{SendAck::Kind::kInFlight, run_id, {}});
    return done(SendAck{SendAck::Kind::kDone, run_id, d->outcome});
  }
  // Looked up, not created: a send refused or answered from the runs table must not leave
  // an empty entry behind (enqueue() creates it once the run is accepted).
  auto rt = sessions_.find(key->key);
  const std::size_t queued = rt == sessions_.end() ? 0 : rt->second.queue.size();
  const bool idle = rt == sessions_.end() || (!rt->second.active && queued == 0);
  if (queued >= static_cast<std::size_t>(cfg_->sessions.max_queue))
    return done(Error::unavailable("session " + key->key + " has " + std::to_string(queued) +
                                       " queued messages (sessions.max_queue); retry later",
                                   2000));
  QueueMode mode = p.queue_mode.value_or(
      parse_queue_mode(cfg_->sessions.queue_mode).value_or(QueueMode::kFollowup));
  dedupe_.in_flight(run_id, owner);
  sessions::BeginRun b{*key,     run_id,        uuid_v4(), p.message, clock_.wall_ms(),
                       p.images, p.reply_route, idle};
  // A message to an idle session starts at once: its transcript is read in the same job
  // as the commit (saving a round trip to the database on the common path) and its system
  // prompt meanwhile on the file pool. Used only if the run does start at once (see
  // start_next); otherwise both are loaded again then.
  std::shared_ptr<Loaded> prefetch;
  if (idle) {
    prefetch = std::make_shared<Loaded>();
    files_.run(
        [src = agents_.prompt_source(key->agent_id)] {
          return assemble_system_prompt(src.workspace, src.agent_name);
        },
        alive_.guard([this, prefetch, key = key->key, run_id](std::string system) {
          prefetch->system = std::move(system);
          maybe_loaded(key, run_id, prefetch);
        }));
  }
  struct Begun {
    sessions::BeginRunResult begun;
    std::optional<Result<ContextPart>> context;
  };
  db_job(
      [b, with_context = prefetch != nullptr](SessionStore& s) -> Result<Begun> {
        Begun out;
        auto r = s.begin_run(b);
        if (!r.ok()) return r.error();
        out.begun = std::move(r).value();
        if (with_context && !out.begun.existing)
          out.context =
              load_context(s, b.key.key, out.begun.session.session_id, out.begun.user.seq);
        return out;
      },
      [this, b, p = std::move(p), mode, prefetch, done = std::move(done)](Result<Begun> r) mutable {
        if (!r.ok()) return accepted(b, p, mode, r.error(), nullptr, done);
        if (prefetch && r->context) prefetch->context = std::move(r->context);
        accepted(b, p, mode, std::move(r->begun), prefetch, done);
      });
}

void RunEngine::accepted(const sessions::BeginRun& b, const SendParams& p, QueueMode mode,
                         Result<sessions::BeginRunResult> begun, std::shared_ptr<Loaded> prefetch,
                         const std::function<void(Result<SendAck>)>& done) {
  const std::string& run_id = b.run_id;
  if (!begun.ok()) {
    dedupe_.forget(run_id);
    const Error& e = begun.error();
    if (forward_ && !p.forwarded && e.details.is_object() &&
        e.details.value("code", "") == "LANE_ELSEWHERE")
      return forward_(p, e.details.value("instance", ""), done);
    log::error("chat.send {}: {}", b.key.key, e.message);
    return done(e);
  }
  if (begun->existing) {
    // Known from before a restart: answer from the runs table.
    const sessions::RunRow& ex = *begun->existing;
    if (sessions::key_owner(ex.session_key) != sessions::key_owner(b.key.key)) {
      dedupe_.forget(run_id);
      return done(idempotency_key_in_use(run_id));
    }
    // Cluster mode: still going on another instance (this one's own are in dedupe_).
    if (forward_ && !sessions::is_terminal(ex.status)) {
      dedupe_.forget(run_id);
      return done(SendAck{SendAck::Kind::kInFlight, run_id, {}});
    }
    RunOutcome o;
    o.run_id = run_id;
    // A run left queued or running by a crash never finished: it is an error.
    o.status = sessions::is_terminal(ex.status) ? ex.status : RunStatus::kError;
    o.error = ex.error;
    remember(o);
    return done(SendAck{SendAck::Kind::kDone, run_id, std::move(o)});
  }
  auto run = std::make_unique<Run>();
  run->run_id = run_id;
  run->key = b.key.key;
  run->agent_id = b.key.agent_id;
  run->session_id = begun->session.session_id;
  run->user_seq = begun->user.seq;
  run->user_message_id = begun->user.message_id;
  run->timeout_ms = p.timeout_ms;
  run->extra_system = p.extra_system;
  run->mode = mode;
  if (mode == QueueMode::kSteer) run->steer_message = begun->user;
  if (prefetch && prefetch->context) run->loading = std::move(prefetch);
  done(SendAck{SendAck::Kind::kStarted, run_id, {}});
  changed(b.key.key, "message", begun->session, {begun->user});
  // Accepted while the gateway stops: it stays queued in the store, run after the restart.
  if (shutting_down_) return;
  enqueue(std::move(run));
}

void RunEngine::enqueue(std::unique_ptr<Run> run) {
  std::string key = run->key;
  SessionRt& rt = sessions_[key];
  if (!rt.active) {
    rt.queue.push_back(std::move(run));
    return start_next(key, rt.queue.size() == 1);  // nothing ahead of it: prefetch is fresh
  }
  if (run->mode == QueueMode::kInterrupt) {
    rt.queue.push_front(std::move(run));
    abort_run(*rt.active, RunStatus::kAborted, "interrupted by a newer message",
              ErrorKind::kUnknown);
    return;
  }
  rt.queue.push_back(std::move(run));  // followup, collect (merged when it starts), steer
}

void RunEngine::start_next(const std::string& key, bool prefetch_fresh) {
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
  if (run.mode == QueueMode::kCollect) {  // (steer runs join at call_model)
    while (!rt.queue.empty() && rt.queue.front()->mode == QueueMode::kCollect) {
      run.absorbed.push_back(rt.queue.front()->run_id);  // one run answers all
      run.absorbed_messages.push_back(rt.queue.front()->user_message_id);
      run.user_seq = std::max(run.user_seq, rt.queue.front()->user_seq);
      rt.queue.pop_front();
    }
  }
  run.started_ms = clock_.wall_ms();
  int timeout = run.timeout_ms.value_or(cfg_->sessions.run_timeout_ms);
  run.timer = std::make_unique<boost::asio::steady_timer>(io_);
  run.timer->expires_after(std::chrono::milliseconds(timeout));
  run.timer->async_wait(resume(run, [this, timeout](Run& r, const boost::system::error_code& ec) {
    if (ec) return;
    abort_run(r, RunStatus::kError, "run timed out after " + std::to_string(timeout) + " ms",
              ErrorKind::kTimeout);
  }));
  sink_.run_started(
      RunStarted{run.run_id, run.key, run.agent_seq++, run.started_ms, clock_.wall_ms()});
  if (run.loading && prefetch_fresh) return maybe_loaded(run.key, run.run_id, run.loading);
  // Stale (earlier runs of this session have replied since) or never loaded: load both
  // halves now, in parallel.
  auto l = std::make_shared<Loaded>();
  run.loading = l;
  // The run is recorded as started in the same job that loads its context (a run that
  // started at once was stored as started by begin_run): after a crash a started run is
  // reported interrupted, a queued one is run again.
  std::vector<std::string> started{run.run_id};
  started.insert(started.end(), run.absorbed.begin(), run.absorbed.end());
  db_job(
      [key, session_id = run.session_id, upto = run.user_seq,
       started = std::move(started)](SessionStore& s) -> Result<ContextPart> {
        for (const std::string& id : started)
          if (auto st = s.mark_running(id); !st.ok()) return st.error();
        return load_context(s, key, session_id, upto);
      },
      [this, key, run_id = run.run_id, l](Result<ContextPart> r) {
        l->context = std::move(r);
        maybe_loaded(key, run_id, l);
      });
  files_.run([src = agents_.prompt_source(
                  run.agent_id)] { return assemble_system_prompt(src.workspace, src.agent_name); },
             alive_.guard([this, key, run_id = run.run_id, l](std::string system) {
               l->system = std::move(system);
               maybe_loaded(key, run_id, l);
             }));
}

void RunEngine::maybe_loaded(const std::string& key, const std::string& run_id,
                             std::shared_ptr<Loaded> l) {
  Run* run = active_run(key, run_id);
  // Not started yet (the other half arrived first), superseded, or only half there.
  if (!run || run->loading != l || !l->complete()) return;
  run->loading.reset();  // `l` (a copy) keeps the halves alive for loaded()
  loaded(*run, std::move(*l));
}

void RunEngine::loaded(Run& run, Loaded l) {
  if (run.pending_abort) {
    auto [status, error] = *run.pending_abort;
    return finish(run.key, status, error, run.pending_kind, nullptr);
  }
  if (!l.context->ok())
    return finish(run.key, RunStatus::kError,
                  "cannot load the transcript: " + l.context->error().message, ErrorKind::kUnknown,
                  nullptr);
  ContextPart& ctx = l.context->value();
  const config::AgentConfig* agent = agents_.find(run.agent_id);
  std::vector<std::string> refs;
  if (!ctx.model_override.empty())
    refs.push_back(ctx.model_override);
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
    return finish(run.key, RunStatus::kError, first_error, ErrorKind::kUnknown, nullptr);
  run.candidates = std::move(candidates);
  run.entries = std::make_shared<std::vector<sessions::Entry>>(std::move(ctx.entries));
  run.system = std::make_shared<std::string>(std::move(*l.system));
  if (!run.extra_system.empty()) *run.system += "\n\n" + run.extra_system;
  call_model(run);
}

// ---------------------------------------------------------------- the model

void RunEngine::absorb_steering(Run& run) {
  auto it = sessions_.find(run.key);
  if (it == sessions_.end()) return;
  auto& queue = it->second.queue;
  while (!queue.empty() && queue.front()->mode == QueueMode::kSteer) {
    Run& s = *queue.front();
    // The copy joins this run's turn (see build_context), so the model sees it after the
    // tool round it interrupts; finish() moves the stored entry to this run too, so later
    // contexts show it answered by this run's reply.
    sessions::Entry e = std::move(s.steer_message);
    e.run_id = run.run_id;
    run.entries->push_back(std::move(e));
    run.absorbed.push_back(s.run_id);
    run.absorbed_messages.push_back(s.user_message_id);
    log::info("run {}: message {} joins it (steer)", run.run_id, s.run_id);
    queue.pop_front();
  }
}

void RunEngine::call_model(Run& run) {
  absorb_steering(run);
  const config::AgentConfig* agent = agents_.find(run.agent_id);
  auto specs = std::make_shared<std::vector<sdk::ToolSpec>>();
  if (tools_ && agent) *specs = tools_->specs(agent->tools);
  ++run.steps;
  run.text.clear();  // each step's text is its own assistant message
  providers::CallCallbacks cb;
  cb.build = [entries = run.entries, system = run.system, upto = run.user_seq,
              specs](const providers::ResolvedModel& m) {
    ContextInput in;
    in.entries = *entries;
    in.upto_seq = upto;
    in.system = *system;
    in.context_window = m.model.context_window;
    in.max_tokens = m.model.max_tokens;
    ContextOutput out = build_context(in);
    sdk::ChatRequest req;
    req.model = m.model.id;
    req.system = *system;
    req.messages = std::move(out.messages);
    req.tools = *specs;
    req.max_tokens = m.model.max_tokens;
    return req;
  };
  cb.on_text = resume(run, [this](Run& r, std::string_view text) {
    if (!r.finishing) on_text(r, text);
  });
  cb.on_retry = resume(run, [this](Run& r, const std::string& what) {
    sink_.run_retry(RunRetry{r.run_id, r.key, r.agent_seq++, what, clock_.wall_ms()});
  });
  cb.on_done = resume(run, [this](Run& r, const providers::CallResult& res) {
    r.call.reset();
    r.usage.input_tokens += res.usage.input_tokens;
    r.usage.output_tokens += res.usage.output_tokens;
    if (!res.model_ref.empty()) r.model_ref = res.model_ref;
    if (res.cancelled) {
      auto [status, error] =
          r.pending_abort.value_or(std::make_pair(RunStatus::kAborted, std::string()));
      return finish(r.key, status, error, r.pending_kind, &res);
    }
    if (!res.ok) return finish(r.key, RunStatus::kError, res.error, res.kind, &res);
    if (!res.tool_calls.empty() && tools_) return start_tools(r, res);
    finish(r.key, RunStatus::kFinal, "", ErrorKind::kUnknown, &res);
  });
  run.call = providers::ModelCall::start(io_, run.candidates, cfg_->models, std::move(cb),
                                         catalog_.pool());
}

void RunEngine::on_text(Run& run, std::string_view text) {
  run.text.append(text);
  sink_.run_delta(RunDelta{run.run_id, run.key, run.chat_seq++, run.agent_seq++, text, run.text,
                           run.started_ms, clock_.wall_ms()});
}

// ---------------------------------------------------------------- abort and finish

void RunEngine::abort_run(Run& run, RunStatus status, const std::string& error, ErrorKind kind) {
  if (run.finishing || run.pending_abort) return;
  run.pending_abort = std::make_pair(status, error);
  run.pending_kind = kind;
  if (run.call) {
    run.call->cancel();  // closes the HTTP stream now; on_done finishes the run
  } else if (run.tool_task) {
    run.tool_task->cancel();  // kills the command / withdraws the approval; the round ends
  }
  // Otherwise the run is loading its context or committing a tool round: that step's
  // completion finishes it.
}

AbortResult RunEngine::abort(const std::string& key, const std::string& run_id) {
  AbortResult out;
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return out;
  SessionRt& rt = it->second;
  // Queued runs first (they end at once), then the active one.
  std::deque<std::unique_ptr<Run>> keep;
  std::vector<std::unique_ptr<Run>> dropped;
  for (auto& r : rt.queue) {
    if (run_id.empty() || r->run_id == run_id) {
      out.run_ids.push_back(r->run_id);
      dropped.push_back(std::move(r));
    } else {
      keep.push_back(std::move(r));
    }
  }
  rt.queue = std::move(keep);
  if (rt.active && (run_id.empty() || rt.active->run_id == run_id) && !rt.active->finishing) {
    out.run_ids.push_back(rt.active->run_id);
    abort_run(*rt.active, RunStatus::kAborted, "", ErrorKind::kUnknown);
  }
  for (auto& r : dropped) finish_queued(std::move(r), "");
  return out;
}

// A queued run that never started: closed as aborted without a reply.
void RunEngine::finish_queued(std::unique_ptr<Run> run, const std::string& why) {
  sessions::FinishRun f;
  f.run_id = run->run_id;
  f.session_key = run->key;
  f.status = RunStatus::kAborted;
  f.error = why;
  f.now = clock_.wall_ms();
  RunFinished ev;
  ev.run_id = run->run_id;
  ev.session_key = run->key;
  ev.status = RunStatus::kAborted;
  ev.chat_seq = run->chat_seq;
  ev.started = false;
  ev.ended_at = f.now;
  db_job([f](SessionStore& s) { return s.finish_run(f); },
         [this, ev = std::move(ev)](Result<std::optional<sessions::Entry>>) {
           RunOutcome o;
           o.run_id = ev.run_id;
           o.status = RunStatus::kAborted;
           remember(std::move(o));
           sink_.run_finished(ev);
         });
}

void RunEngine::finish(const std::string& key, RunStatus status, const std::string& error,
                       ErrorKind kind, const providers::CallResult* result) {
  auto it = sessions_.find(key);
  if (!SC_CHECK(it != sessions_.end() && it->second.active, "finish() without an active run"))
    return;
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
  f.now = clock_.wall_ms();
  f.input_tokens = run.usage.input_tokens;  // every step of the run
  f.output_tokens = run.usage.output_tokens;
  if (!run.text.empty() || status == RunStatus::kFinal) {
    sessions::Entry e;
    e.message_id = uuid_v4();
    e.text = run.text;
    e.state = status == RunStatus::kFinal     ? EntryState::kComplete
              : status == RunStatus::kAborted ? EntryState::kAborted
                                              : EntryState::kError;
    if (result && status == RunStatus::kFinal) e.stop_reason = result->stop_reason;
    e.model = run.model_ref;
    e.input_tokens = run.usage.input_tokens;
    e.output_tokens = run.usage.output_tokens;
    f.reply = std::move(e);
  }
  std::vector<sessions::FinishRun> absorbed;
  for (std::size_t i = 0; i < run.absorbed.size(); ++i) {
    sessions::FinishRun a;
    a.run_id = run.absorbed[i];
    a.joined_run = run.run_id;
    a.user_message_id = run.absorbed_messages[i];
    a.session_key = run.key;
    a.status = status;
    a.error = error;
    a.now = f.now;
    absorbed.push_back(std::move(a));
  }
  db_job(
      [f, absorbed](SessionStore& s) -> Result<std::optional<sessions::Entry>> {
        auto r = s.finish_run(f);
        if (!r.ok()) return r;
        for (const auto& a : absorbed)
          if (auto x = s.finish_run(a); !x.ok()) return x.error();
        return r;
      },
      [this, key, run_id = run.run_id, status, error,
       kind](Result<std::optional<sessions::Entry>> r) {
        finished(key, run_id, status, error, kind, std::move(r));
      });
}

void RunEngine::finished(const std::string& key, const std::string& run_id, RunStatus status,
                         std::string error, ErrorKind kind,
                         Result<std::optional<sessions::Entry>> committed) {
  if (!SC_CHECK(active_run(key, run_id) != nullptr, "a finishing run is no longer active")) return;
  std::unique_ptr<Run> run = std::move(sessions_.at(key).active);
  if (!committed.ok()) {  // the reply could not be stored: say so rather than claim success
    log::error("run {}: cannot commit the reply: {}", run_id, committed.error().message);
    status = RunStatus::kError;
    error = "cannot store the reply: " + committed.error().message;
    kind = ErrorKind::kUnknown;
  }
  RunFinished ev;
  ev.run_id = run->run_id;
  ev.session_key = run->key;
  ev.status = status;
  ev.chat_seq = run->chat_seq++;
  ev.agent_seq = run->agent_seq++;
  if (committed.ok()) ev.reply = std::move(*committed);
  ev.text = run->text;
  ev.error = error;
  ev.error_kind = kind;
  ev.started_at = run->started_ms;
  ev.ended_at = clock_.wall_ms();
  ev.absorbed = run->absorbed;
  // What a duplicate chat.send of any of these ids answers from now on.
  std::optional<sessions::Entry> final_reply;
  if (status == RunStatus::kFinal) final_reply = ev.reply;
  std::string shown_error = status == RunStatus::kError ? error : std::string();
  for (const std::string& id : run->absorbed)
    remember(RunOutcome{id, status, final_reply, ev.text, ev.started_at, shown_error});
  remember(RunOutcome{run->run_id, status, final_reply, ev.text, ev.started_at, shown_error});
  sink_.run_finished(ev);
  changed(key, "run");
  start_next(key);
}

void RunEngine::shutdown(std::chrono::milliseconds grace, std::function<void()> at_deadline,
                         std::function<void()> done) {
  shutting_down_ = true;
  on_shutdown_ = std::move(done);
  std::size_t held = 0;
  for (auto& [key, rt] : sessions_) {
    // Left as they are in the store ('queued'): restart_queued() runs them next time.
    held += rt.queue.size();
    rt.queue.clear();
  }
  if (held > 0) log::info("shutdown: {} queued run(s) kept for after the restart", held);
  if (active_runs() > 0) {
    log::info("shutdown: waiting up to {} ms for {} run(s) in flight", grace.count(),
              active_runs());
    grace_timer_ = std::make_unique<boost::asio::steady_timer>(io_, grace);
    grace_timer_->async_wait(alive_.guard(
        [this, grace, at_deadline = std::move(at_deadline)](const boost::system::error_code& ec) {
          if (ec) return;
          if (at_deadline) at_deadline();
          for (auto& [key, rt] : sessions_)
            if (rt.active)
              abort_run(*rt.active, RunStatus::kError,
                        "interrupted: the gateway stopped before the run finished "
                        "(gateway.shutdown_grace_ms = " +
                            std::to_string(grace.count()) + ")",
                        ErrorKind::kUnknown);
        }));
  }
  ++jobs_;
  job_done();  // completes now if nothing was running
}

void RunEngine::restart_queued(std::vector<sessions::QueuedRun> runs) {
  for (sessions::QueuedRun& q : runs) {
    auto key = agents_.parse_key(q.session_key);
    if (!key.ok()) {
      log::warn("queued run {} of {} not restarted: {}", q.run_id, q.session_key,
                key.error().message);
      continue;
    }
    auto run = std::make_unique<Run>();
    run->run_id = q.run_id;
    run->key = q.session_key;
    run->agent_id = key->agent_id;
    run->session_id = q.session_id;
    run->user_seq = q.user_seq;
    run->user_message_id = q.user_message_id;
    dedupe_.in_flight(q.run_id, sessions::key_owner(q.session_key));
    log::info("run {} of {} was queued at the last shutdown: running it now", q.run_id,
              q.session_key);
    enqueue(std::move(run));
  }
}

}  // namespace simpleclaw::agents
