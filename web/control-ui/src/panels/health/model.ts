// The health panel's payload shapes (schemas/methods/health.result.json, status.result.json,
// system-presence.result.json) and how their states map to badges.
export interface EventLoop {
  degraded: boolean; reasons: string[]; intervalMs: number; delayP99Ms: number; delayMaxMs: number;
  utilization: number; cpuCoreRatio: number;
}
export interface SessionsSummary { path: string; count: number; recent: { key: string; updatedAt: number | null; age: number | null }[]; }
export interface Health {
  ok: true; ts: number; durationMs: number;
  channels: Record<string, any>; channelOrder: string[]; channelLabels: Record<string, string>;
  heartbeatSeconds: number; defaultAgentId: string;
  agents: { agentId: string; isDefault: boolean; heartbeat: { enabled: boolean; every: string }; sessions: SessionsSummary }[];
  sessions: SessionsSummary;
  plugins: { loaded: string[]; errors: unknown[] };
  eventLoop: EventLoop;
  configReload: { hotReloadStatus: "active" | "disabled" };
}
export interface Status {
  version: string; pid: number; uptimeMs: number; startedAt?: number; rssBytes: number;
  gateway: { bind: string; port: number; url: string; mode: string; authMode: string; tls: { enabled: boolean } };
  connections: { total: number; authenticated: number; operators: number; nodes: number; pending: number };
}
export interface Presence {
  host?: string; ip?: string; version?: string; platform?: string; deviceFamily?: string; mode?: string;
  reason?: string; text?: string; ts: number; instanceId?: string; roles?: string[]; scopes?: string[];
}

export interface Badge { text: string; cls: "ok" | "warn" | "bad" | ""; }

export function loopBadge(l: EventLoop): Badge {
  return l.degraded ? { text: "degraded", cls: "bad" } : { text: "ok", cls: "ok" };
}

// A channel's health: its healthState when the gateway reports one, else from its flags.
export function channelBadge(c: any): Badge {
  const hs = typeof c.healthState === "string" ? c.healthState : "";
  if (hs === "healthy") return { text: "healthy", cls: "ok" };
  if (hs) return { text: hs.replace(/[_-]/g, " "), cls: /unhealthy|fail|error|dead|stopped/i.test(hs) ? "bad" : "warn" };
  if (c.configured === false) return { text: "not configured", cls: "" };
  if (c.running === false) return { text: "stopped", cls: "bad" };
  if (c.connected === false) return { text: "disconnected", cls: "warn" };
  if (c.connected) return { text: "connected", cls: "ok" };
  return { text: "unknown", cls: "" };
}
