// `simpleclaw node`: runs this machine as a node host (SPEC §5 Nodes, §10). It connects
// with role `node` and a device identity (Ed25519 key in <state>/node/device.pem), waits
// for pairing when the gateway asks for it, keeps the device token it is given
// (<state>/node/device-token) and answers node.invoke.request events:
//
//   system.info  hostname, OS, architecture, CPUs, memory, uptime
//   system.run   {command, cwd?, timeoutMs?}: checked with this machine's exec policy
//                (tools.exec in the local config); "ask" becomes an exec.approval.request
//                to the gateway's operators; then run like the exec tool (scrubbed
//                environment, timeout, output cap, process-group kill).
//
// It reconnects with backoff when the gateway goes away. Exit: SIGINT/SIGTERM.
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "base/fs.h"
#include "base/log.h"
#include "cli/cli.h"
#include "config/config.h"
#include "proc/subprocess.h"
#include "tools/exec_policy.h"
#include "tools/exec_tool.h"

namespace simpleclaw::cli {
namespace {

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "node";
  return buf;
}

Json system_info() {
  struct utsname u {};
  ::uname(&u);
  struct sysinfo si {};
  ::sysinfo(&si);
  return Json{{"hostname", host_name()},
              {"platform", "linux"},
              {"os", u.sysname},
              {"kernel", u.release},
              {"arch", u.machine},
              {"cpus", std::thread::hardware_concurrency()},
              {"memTotalBytes", static_cast<std::int64_t>(si.totalram) * si.mem_unit},
              {"uptimeSec", si.uptime},
              {"version", SIMPLECLAW_VERSION}};
}

struct NodeHost {
  Target target;
  std::string node_dir, workspace;
  config::ExecToolConfig exec;
  std::shared_ptr<const nodes::DeviceKey> key;

  // The answer to one invoke: {ok, payload} or {ok:false, error}.
  Json handle(WsClient& ws, const Json& req) {
    std::string command = req.value("command", "");
    const Json params = req.value("params", Json::object());
    if (command == "system.info") return Json{{"ok", true}, {"payload", system_info()}};
    if (command == "system.run") return run(ws, params);
    return Json{
        {"ok", false},
        {"error", {{"code", "UNKNOWN_COMMAND"}, {"message", "unknown command " + command}}}};
  }

  Json fail(const std::string& code, const std::string& msg) {
    return Json{{"ok", false}, {"error", {{"code", code}, {"message", msg}}}};
  }

  Json run(WsClient& ws, const Json& params) {
    std::string command = params.value("command", "");
    if (command.empty()) return fail("INVALID_PARAMS", "system.run needs a command");
    std::string cwd = params.value("cwd", workspace);
    int timeout_ms = params.value("timeoutMs", exec.timeout_ms);
    timeout_ms = std::clamp(timeout_ms, 100, exec.timeout_ms);
    tools::ExecEnv env;
    env.path_env = tools::ExecTool::kPath;
    env.cwd = cwd;
    env.workspace = workspace;
    tools::ExecCheck check = tools::check_exec(command, exec, env);
    if (check.decision == tools::ExecCheck::Decision::kDeny)
      return fail("DENIED", "denied by this node's exec policy: " + check.reason);
    if (check.decision == tools::ExecCheck::Decision::kAsk) {
      fprintf(stderr, "node: asking the gateway's operators to approve: %s\n", command.c_str());
      auto d =
          ws.call("exec.approval.request",
                  Json{{"command", check.display}, {"cwd", cwd}, {"warningText", check.reason}});
      if (!d.ok()) return fail("APPROVAL_FAILED", d.error().message);
      std::string decision = d->value("decision", "deny");
      if (decision != "allow-once" && decision != "allow-always")
        return fail("DENIED", "not approved (" + d->value("reason", std::string("denied")) + ")");
    }
    proc::ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", command};
    spec.env = proc::scrubbed_env();
    spec.cwd = cwd;
    proc::RunLimits limits;
    limits.timeout_ms = timeout_ms;
    limits.max_output = static_cast<std::size_t>(exec.max_output);
    boost::asio::io_context io;
    std::optional<proc::RunResult> result;
    auto h = proc::run_collect(io, spec, limits, [&](proc::RunResult r) { result = std::move(r); });
    io.run();
    if (!result) return fail("RUN_FAILED", "the command did not complete");
    if (!result->error.empty()) return fail("RUN_FAILED", result->error);
    return Json{{"ok", true},
                {"payload",
                 {{"exitCode", result->exit_code},
                  {"signal", result->term_signal},
                  {"output", result->output},
                  {"truncated", result->truncated},
                  {"timedOut", result->timed_out},
                  {"durationMs", result->duration_ms}}}};
  }

  // One connection's life; returns when the socket is gone.
  void serve(WsClient& ws) {
    for (;;) {
      Json frame;
      if (!ws.events().empty()) {
        frame = std::move(ws.events().front());
        ws.events().erase(ws.events().begin());
      } else {
        auto in = ws.read(-1);
        if (!in.ok() || in->closed) {
          fprintf(
              stderr, "node: disconnected%s\n",
              in.ok()
                  ? (" (" + std::to_string(in->close_code) + " " + in->close_reason + ")").c_str()
                  : "");
          return;
        }
        frame = std::move(in->frame);
      }
      if (frame.value("type", "") != "event" || frame.value("event", "") != "node.invoke.request")
        continue;
      const Json& req = frame["payload"];
      Json answer = handle(ws, req);
      answer["id"] = req.value("id", "");
      answer["nodeId"] = key->device_id();
      auto r = ws.call("node.invoke.result", answer);
      if (!r.ok()) fprintf(stderr, "node: cannot send the result: %s\n", r.error().message.c_str());
    }
  }
};

}  // namespace

int node_command(Target& t) {
  resolve_target(t);
  NodeHost host;
  host.target = t;
  host.node_dir = t.state_dir + "/node";
  host.workspace = host.node_dir + "/workspace";
  if (auto s = make_dirs(host.workspace, 0700); !s.ok()) {
    fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  // The local config's exec policy (the embedded default when there is no file).
  config::FileState fs = config::read_state(t.config_path);
  config::Parsed parsed = config::parse(fs.raw);
  if (!parsed.ok()) {
    fprintf(stderr, "error: %s: %s\n", t.config_path.c_str(),
            parsed.issues.front().to_string().c_str());
    return 1;
  }
  host.exec = parsed.config.tools.exec;
  auto key = nodes::DeviceKey::load_or_create(host.node_dir + "/device.pem");
  if (!key.ok()) {
    fprintf(stderr, "error: %s\n", key.error().message.c_str());
    return 1;
  }
  host.key = std::make_shared<const nodes::DeviceKey>(std::move(key).value());
  const std::string token_path = host.node_dir + "/device-token";
  fprintf(stderr, "node: device %s (%s)\n", host.key->device_id().c_str(),
          (host.node_dir + "/device.pem").c_str());

  int backoff_ms = 500;
  for (;;) {
    ClientOptions o = client_options(t);
    o.role = "node";
    o.scopes = {};
    o.client_id = "simpleclaw-node";
    o.client_mode = "node";
    o.display_name = host_name();
    o.commands = {"system.run", "system.info"};
    o.caps = {"system"};
    o.device = host.key;
    if (auto saved = read_file(token_path); saved.ok() && !saved->empty()) {
      o.device_token = *saved;
      while (!o.device_token.empty() &&
             (o.device_token.back() == '\n' || o.device_token.back() == ' '))
        o.device_token.pop_back();
    }
    Json hello;
    auto ws = WsClient::connect(o, &hello);
    if (!ws.ok() && !o.device_token.empty() && !o.token.empty()) {
      // A stale device token (revoked, rotated): the gateway token still identifies us.
      o.device_token.clear();
      ws = WsClient::connect(o, &hello);
    }
    if (!ws.ok()) {
      const Json& d = ws.error().details;
      if (d.is_object() && d.value("code", "") == "PAIRING_REQUIRED") {
        fprintf(stderr,
                "node: pairing required: approve it on the gateway with\n"
                "  simpleclaw call node.pair.approve --params '{\"requestId\":\"%s\"}'\n",
                d.value("requestId", "").c_str());
        backoff_ms = 3000;
      } else {
        fprintf(stderr, "node: cannot connect: %s (retrying)\n", ws.error().message.c_str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, 30000);
      continue;
    }
    backoff_ms = 500;
    std::string minted = hello["auth"].value("deviceToken", "");
    if (!minted.empty()) (void)write_file_atomic(token_path, minted, 0600);
    fprintf(stderr, "node: connected to %s as %s\n", o.url.c_str(), host_name().c_str());
    host.serve(**ws);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
  }
}

}  // namespace simpleclaw::cli
