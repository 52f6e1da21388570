// OpenClaw client surfaces (its Control UI calls these on every page): what simpleclaw
// has is answered from the real state, and a product surface simpleclaw does not have
// (plugin approvals, tasks, progress cards, talk, side chat, branches, update channels,
// environments) gets its honest empty state: an empty list or null, never invented data.
// Shapes follow OpenClaw 2026.9.6 (docs/openclaw-compat.md lists what is empty and why).
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include "agents/agent_directory.h"
#include "base/json_fields.h"
#include "gateway/cron/scheduler.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/runtime_info.h"
#include "gateway/status.h"
#include "providers/catalog.h"

namespace simpleclaw::gateway {
namespace {

// Node's names for the OS and CPU, which OpenClaw's clients expect.
std::string node_arch(const std::string& machine) {
  if (machine == "x86_64") return "x64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "ia32";
  return machine;
}

// Read once: the CPU does not change under a running process.
std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return {};
}

}  // namespace

void method_system_info(MethodCall& call) {
  struct utsname u {};
  ::uname(&u);
  struct sysinfo si {};
  ::sysinfo(&si);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const auto unit = static_cast<std::int64_t>(si.mem_unit ? si.mem_unit : 1);
  const std::string sysname = u.sysname;
  std::string release = u.release;
  Json j{{"machineName", host},
         {"hostname", host},
         {"platform", sysname == "Linux" ? "linux" : sysname},
         {"release", release},
         {"arch", node_arch(u.machine)},
         {"osLabel", sysname + " " + release.substr(0, release.find('-'))},
         // Required by OpenClaw's schema; there is no Node here, so this names the runtime.
         {"nodeVersion", "simpleclaw " SIMPLECLAW_VERSION},
         {"pid", static_cast<std::int64_t>(::getpid())},
         {"uptimeMs", call.svc.status.uptime_ms()},
         {"cpuCount", static_cast<std::int64_t>(::sysconf(_SC_NPROCESSORS_ONLN))},
         {"memoryTotalBytes", static_cast<std::int64_t>(si.totalram) * unit},
         {"memoryFreeBytes", static_cast<std::int64_t>(si.freeram + si.bufferram) * unit},
         {"loadAverage", {si.loads[0] / 65536.0, si.loads[1] / 65536.0, si.loads[2] / 65536.0}}};
  static const std::string cpu_model = read_cpu_model();
  if (!cpu_model.empty()) j["cpuModel"] = cpu_model;
  if (call.svc.info.port > 0) j["port"] = call.svc.info.port;
  struct statvfs fs {};
  if (::statvfs(call.svc.info.state_dir.c_str(), &fs) == 0) {
    j["diskPath"] = call.svc.info.state_dir;
    j["diskTotalBytes"] = static_cast<std::int64_t>(fs.f_blocks) * fs.f_frsize;
    j["diskAvailableBytes"] = static_cast<std::int64_t>(fs.f_bavail) * fs.f_frsize;
  }
  call.respond(std::move(j));
}

void method_agent_identity_get(MethodCall& call) {
  std::string id = json_str(call.params, "agentId");
  if (id.empty()) {
    std::string key = json_str(call.params, "sessionKey");
    auto parsed = call.svc.agents.parse_key(key.empty() ? std::string("main") : key);
    if (!parsed.ok()) return call.respond(parsed.error());
    id = parsed->agent_id;
  }
  const config::AgentConfig* a = call.svc.agents.find(id);
  if (!a)
    return call.respond(
        Error::not_found("unknown agent: " + id + " (see agents.list)", "AGENT_NOT_FOUND"));
  Json identity = agent_identity(*a);
  Json j{{"agentId", id},
         {"name", identity["name"]},
         {"nameSource", a->name.empty() ? "default" : "config"}};
  // A configured emoji or image, else the name's first letter (as OpenClaw's default).
  if (!a->avatar.empty()) {
    j["avatar"] = a->avatar;
    j["avatarSource"] = "config";
    j["avatarStatus"] = a->avatar.rfind("data:", 0) == 0 ? "data" : "remote";
  } else {
    std::string name = identity["name"];
    j["avatar"] = !a->emoji.empty() ? a->emoji : name.substr(0, 1);
  }
  if (!a->emoji.empty()) j["emoji"] = a->emoji;
  call.respond(std::move(j));
}

// Providers authenticate with API keys from config or the environment; no OAuth logins.
// The catalog's providers: configured ones, or the implicit ones (env keys, a found Ollama).
void method_models_auth_status(MethodCall& call) {
  Json providers = Json::array();
  for (const config::ProviderConfig& p : call.svc.catalog.config().providers) {
    const bool keyless = p.api == "ollama" || !p.plugin.empty();
    providers.push_back({{"provider", p.name},
                         {"authProvider", p.name},
                         {"displayName", p.name},
                         {"status", keyless || !p.api_key.empty() ? "static" : "missing"},
                         {"profiles", Json::array()}});
  }
  call.respond(Json{{"ts", call.svc.clock.wall_ms()}, {"providers", std::move(providers)}});
}

// No self-update channel: the package manager or a new binary updates simpleclaw.
void method_update_status(MethodCall& call) {
  call.respond(Json{{"sentinel", nullptr}, {"updateAvailable", nullptr}});
}

// Provider quota windows: API-key providers publish none (token counts: sessions.list).
void method_usage_status(MethodCall& call) {
  call.respond(Json{{"updatedAt", call.svc.clock.wall_ms()}, {"providers", Json::array()}});
}

// The newest `heartbeat` event (gateway/cron/heartbeat.h); null before the first.
void method_last_heartbeat(MethodCall& call) { call.respond(call.svc.cron.heartbeats().last()); }

// Pauses or resumes every agent's heartbeat (`openclaw system heartbeat disable|enable`);
// the config is untouched, so a restart brings the configured heartbeats back.
void method_set_heartbeats(MethodCall& call) {
  const bool enabled = call.params["enabled"].get<bool>();  // the schema requires a boolean
  call.svc.cron.heartbeats().set_enabled(enabled);
  call.respond(Json{{"ok", true}, {"enabled", enabled}});
}

// Empty lists: simpleclaw has no such thing.
void method_plugin_approval_list(MethodCall& call) { call.respond(Json::array()); }
void method_openclaw_approval_list(MethodCall& call) { call.respond(Json::array()); }
void method_exec_approval_grants_list(MethodCall& call) {
  // allow-always adds to the agent's allowlist (exec.approvals.get); standing cron grants
  // do not exist here.
  call.respond(Json{{"grants", Json::array()}});
}
void method_tasks_list(MethodCall& call) { call.respond(Json{{"tasks", Json::array()}}); }
void method_progress_card_get(MethodCall& call) { call.respond(Json{{"card", nullptr}}); }
void method_sessions_branches_list(MethodCall& call) {
  call.respond(Json{{"branches", Json::array()}});  // transcripts are linear
}
void method_sessions_companion_state(MethodCall& call) {
  call.respond(Json{{"exchanges", Json::array()}});
}
void method_sessions_observer_visibility(MethodCall& call) { call.respond(Json{{"ok", true}}); }
void method_commands_list(MethodCall& call) { call.respond(Json{{"commands", Json::array()}}); }
void method_environments_list(MethodCall& call) {
  call.respond(Json{{"environments", Json::array()}, {"profiles", Json::array()}});
}
void method_diagnostics_lanes(MethodCall& call) {
  call.respond(
      Json{{"ts", call.svc.clock.wall_ms()}, {"lanes", Json::array()}, {"dynamic", nullptr}});
}
void method_talk_catalog(MethodCall& call) {
  const Json none{{"ready", false}, {"providers", Json::array()}};
  call.respond(Json{{"modes", Json::array()},
                    {"transports", Json::array()},
                    {"brains", Json::array()},
                    {"speech", none},
                    {"transcription", none},
                    {"realtime", none}});
}

// The sessions a connection is looking at: canonical keys back (no presence events yet).
void method_sessions_viewers_set(MethodCall& call) {
  Json keys = Json::array();
  for (const std::string& k : json_strings(call.params, "sessionKeys")) {
    auto parsed = call.svc.agents.parse_key(k, json_str(call.params, "agentId"));
    if (!parsed.ok()) return call.respond(parsed.error());
    keys.push_back(parsed->key);
  }
  call.respond(Json{{"sessionKeys", std::move(keys)}});
}

}  // namespace simpleclaw::gateway
