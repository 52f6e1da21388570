// RunEngine's tool loop (see run_engine.h and the DESIGN note in run_engine.cpp): the
// model asked for tools -> each runs in turn (ToolRunner), reported as a start and a
// result ToolEvent -> the round (the assistant's calls and every result) is committed as
// one DbWorker job -> the model is called again with it. An abort between calls answers
// the remaining calls "not run" so the transcript stays a valid tool exchange.
#include <string>
#include <vector>

#include "agents/run_state.h"
#include "base/ids.h"
#include "tools/exec_tool.h"
#include "tools/tool_runner.h"

namespace simpleclaw::agents {

using sdk::ErrorKind;
using sessions::Role;
using sessions::RunStatus;
using sessions::SessionStore;

// A tool event of `run` about `call`, taking the run's next agent seq.
ToolEvent RunEngine::tool_event(Run& run, ToolEvent::Phase phase, const sdk::ToolCall& call) {
  ToolEvent e;
  e.run_id = run.run_id;
  e.session_key = run.key;
  e.agent_seq = run.agent_seq++;
  e.phase = phase;
  e.name = call.name;
  e.tool_call_id = call.id;
  e.ts = clock_.wall_ms();
  return e;
}

void RunEngine::start_tools(Run& run, const providers::CallResult& res) {
  const config::AgentConfig* agent = agents_.find(run.agent_id);
  int max_steps = agent ? agent->tools.max_steps : cfg_->tools.max_steps;
  if (run.steps >= max_steps)
    return finish(run.key, RunStatus::kError,
                  "the agent stopped after " + std::to_string(run.steps) +
                      " model calls without a final answer (tools.max_steps)",
                  ErrorKind::kUnknown, &res);
  run.round_text = std::move(run.text);
  run.text.clear();
  run.round_calls = res.tool_calls;
  run.round_results.clear();
  run_next_tool(run);
}

void RunEngine::run_next_tool(Run& run) {
  std::size_t i = run.round_results.size();
  if (i == run.round_calls.size()) return commit_round(run);
  const sdk::ToolCall& call = run.round_calls[i];
  if (run.pending_abort) {  // aborted between calls: the rest are answered, not run
    run.round_results.push_back(sdk::ToolOutcome{"error: not run: the run was aborted", true});
    return run_next_tool(run);
  }
  ToolEvent start = tool_event(run, ToolEvent::Phase::kStart, call);
  start.arguments = call.arguments;
  sink_.tool_event(start);
  sdk::ToolContext ctx;
  ctx.run_id = run.run_id;
  ctx.session_key = run.key;
  ctx.agent_id = run.agent_id;
  ctx.workspace = agents_.workspace_of(run.agent_id);
  if (const config::AgentConfig* a = agents_.find(run.agent_id)) ctx.policy = a->tools;
  run.tool_task = tools_->start(
      ctx, call, resume(run, [this](Run& r, sdk::ToolOutcome out) {
        r.tool_task.reset();
        out.text = tools::cap_tool_text(std::move(out.text));
        const sdk::ToolCall& c = r.round_calls[r.round_results.size()];
        ToolEvent result = tool_event(r, ToolEvent::Phase::kResult, c);
        result.result = out.text;
        result.is_error = out.is_error;
        sink_.tool_event(result);
        // The gateway is stopping and withdrew the approval this
        // call waited for (it stays pending for after the
        // restart): the run cannot go on without it.
        if (shutting_down_ && !r.pending_abort && out.text == tools::kAbortedWaitingForApproval) {
          r.pending_abort = std::make_pair(
              RunStatus::kError, std::string("interrupted: the gateway stopped while the "
                                             "run waited for an approval (it stays pending)"));
        }
        r.round_results.push_back(std::move(out));
        run_next_tool(r);
      }));
}

void RunEngine::commit_round(Run& run) {
  // Stored arguments are always a JSON object, so replaying the transcript to any
  // provider is valid even when the model sent broken JSON (its result says so).
  Json calls = Json::array();
  for (const sdk::ToolCall& c : run.round_calls) {
    Json args = Json::parse(c.arguments, nullptr, false);
    calls.push_back(Json{{"id", c.id},
                         {"name", c.name},
                         {"arguments", args.is_object() ? c.arguments : std::string("{}")}});
  }
  std::vector<sessions::Entry> entries;
  sessions::Entry a;
  a.message_id = uuid_v4();
  a.role = Role::kAssistant;
  a.text = run.round_text;
  a.tool_calls = std::move(calls);
  a.stop_reason = "toolUse";
  a.model = run.model_ref;
  entries.push_back(std::move(a));
  for (std::size_t i = 0; i < run.round_calls.size(); ++i) {
    sessions::Entry t;
    t.message_id = uuid_v4();
    t.role = Role::kTool;
    t.text = run.round_results[i].text;
    t.is_error = run.round_results[i].is_error;
    t.tool_call_id = run.round_calls[i].id;
    t.tool_name = run.round_calls[i].name;
    entries.push_back(std::move(t));
  }
  db_job(
      [run_id = run.run_id, entries = std::move(entries),
       now = clock_.wall_ms()](SessionStore& s) mutable -> Result<std::vector<sessions::Entry>> {
        if (auto x = s.append_step(run_id, entries, now); !x.ok()) return x.error();
        return entries;
      },
      resume(run, [this](Run& r, Result<std::vector<sessions::Entry>> committed) {
        r.round_text.clear();
        if (!committed.ok())
          return finish(r.key, RunStatus::kError,
                        "cannot store the tool results: " + committed.error().message,
                        ErrorKind::kUnknown, nullptr);
        r.entries->insert(r.entries->end(), committed->begin(), committed->end());
        changed(r.key, "tool", std::nullopt, std::move(*committed));
        if (r.pending_abort) {
          auto [status, error] = *r.pending_abort;
          return finish(r.key, status, error, r.pending_kind, nullptr);
        }
        call_model(r);
      }));
}

}  // namespace simpleclaw::agents
