// The dashboard's panels, in navigation order. A panel shows in the navigation only when
// the signed-in client holds its scope and the gateway offers its method (in shared mode
// the gateway leaves out what a user cannot call), so nothing the user cannot use appears.
import "./chat";
import "./sessions";
import "./agents";
import "./channels";
import "./approvals";
import "./devices";
import "./automations";
import "./config";
import "./logs";
import "./health";
import "./usage";

export interface PanelDef {
  id: string;
  path: string;   // "/chat": also matches "/chat/<rest>"
  title: string;
  tag: string;    // the custom element
  scope: string;  // the scope the panel needs
  method: string; // the method it cannot work without
}

export const PANELS: PanelDef[] = [
  { id: "chat", path: "/chat", title: "Chat", tag: "sc-chat-panel", scope: "operator.read", method: "chat.history" },
  { id: "sessions", path: "/sessions", title: "Sessions", tag: "sc-sessions-panel", scope: "operator.read", method: "sessions.list" },
  { id: "agents", path: "/agents", title: "Agents", tag: "sc-agents-panel", scope: "operator.read", method: "agents.list" },
  { id: "channels", path: "/channels", title: "Channels", tag: "sc-channels-panel", scope: "operator.read", method: "channels.status" },
  { id: "approvals", path: "/approvals", title: "Approvals", tag: "sc-approvals-panel", scope: "operator.approvals", method: "exec.approval.list" },
  { id: "devices", path: "/devices", title: "Devices & nodes", tag: "sc-devices-panel", scope: "operator.pairing", method: "device.pair.list" },
  { id: "automations", path: "/automations", title: "Automations", tag: "sc-automations-panel", scope: "operator.read", method: "cron.list" },
  { id: "config", path: "/config", title: "Config", tag: "sc-config-panel", scope: "operator.read", method: "config.get" },
  { id: "logs", path: "/logs", title: "Logs", tag: "sc-logs-panel", scope: "operator.read", method: "logs.tail" },
  { id: "health", path: "/status", title: "Health", tag: "sc-health-panel", scope: "", method: "health" },
  { id: "usage", path: "/usage", title: "Usage", tag: "sc-usage-panel", scope: "operator.read", method: "usage.cost" },
];

export function panelFor(path: string): { panel: PanelDef; rest: string } | null {
  for (const p of PANELS) {
    if (path === p.path) return { panel: p, rest: "" };
    if (path.startsWith(p.path + "/")) return { panel: p, rest: decodeURIComponent(path.slice(p.path.length + 1)) };
  }
  return null;
}
