// The cron job and run record as cron.list / cron.get / cron.runs return them (only the
// fields the panel reads), and short human descriptions of them.
import type { Schedule } from "./schedule";

export interface CronJob {
  id: string;
  name: string;
  description?: string;
  enabled: boolean;
  agentId?: string;
  effectiveAgentId?: string;
  sessionTarget?: string;
  sessionKey?: string;
  wakeMode?: string;
  deleteAfterRun?: boolean;
  missedPolicy?: string;
  schedule: Schedule;
  payload: { kind: "agentTurn"; message: string; timeoutSeconds?: number } | { kind: "systemEvent"; text: string };
  delivery?: { mode: string; channel?: string; to?: string; accountId?: string } | null;
  deliveryPreview?: { label: string; detail?: string };
  nextRunAtMs?: number | null;
  configRevision?: string;
  createdAtMs?: number;
  updatedAtMs?: number;
  state?: {
    nextRunAtMs?: number;
    lastRunAtMs?: number;
    lastDurationMs?: number;
    lastRunStatus?: string;
    lastError?: string;
    lastDeliveryStatus?: string;
    lastDeliveryError?: string;
    consecutiveErrors?: number;
    autoDisabled?: boolean;
  };
}

export interface CronRun {
  runId: string;
  jobId: string;
  status: string;   // ok | error | skipped
  outcome?: string; // ok | error | timeout | interrupted | skipped
  runAtMs?: number;
  startedAtMs?: number;
  durationMs?: number;
  error?: string;
  summary?: string;
  deliveryStatus?: string;
  deliveryError?: string;
  trigger?: string;
  sessionKey?: string;
  ts?: number;
}

const EVERY_UNITS: [number, string][] = [[86400000, "d"], [3600000, "h"], [60000, "min"], [1000, "s"]];

export function describeSchedule(s: Schedule | undefined): string {
  if (!s) return "—";
  if (s.kind === "at") return `once at ${new Date(s.at).toLocaleString()}`;
  if (s.kind === "every") {
    const [u, name] = EVERY_UNITS.find(([u]) => s.everyMs % u === 0) ?? [1, "ms"];
    return `every ${s.everyMs / u} ${name}`;
  }
  return `cron ${s.expr}${s.tz ? ` (${s.tz})` : ""}`;
}

export function scheduleZone(s: Schedule | undefined): string {
  return s?.kind === "cron" && s.tz ? s.tz : "";
}

export function statusClass(status: string | undefined): string {
  if (status === "ok") return "ok";
  if (status === "error" || status === "timeout" || status === "interrupted") return "bad";
  return "warn";
}
