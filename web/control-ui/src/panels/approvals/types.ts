// Shapes of the approval methods' results (schemas under
// src/gateway/protocol/schemas/methods/), only the fields the panel shows.
export type Decision = "allow-once" | "allow-always" | "deny";

// exec.approval.list item; exec.approval.requested carries the same object.
export interface PendingApproval {
  id: string;
  createdAtMs: number;
  expiresAtMs: number;
  request: {
    command?: string;
    agentId?: string;
    sessionKey?: string;
    cwd?: string;
    host?: string;
    nodeId?: string | null;
    reason?: string;
    warningText?: string | null;
    allowedDecisions?: Decision[];
    allowAlwaysPatterns?: string[];
  };
}

// approval.history item.
export interface HistoryItem {
  id: string;
  createdAtMs: number;
  resolvedAtMs?: number;
  status: "pending" | "allowed" | "denied" | "expired" | "cancelled";
  decision?: string;
  reason?: string;
  resolver?: { id?: string; kind?: string } | null;
  presentation: { kind?: string; commandText?: string | null; agentId?: string | null; nodeId?: string | null };
  source?: { agentId?: string; sessionKey?: string };
}

export interface HistoryPage { items: HistoryItem[]; nextCursor?: string }

export interface AgentExecPolicy {
  security?: string;
  ask?: string;
  askFallback?: string;
  allowlist?: { pattern: string; source?: string }[];
}

// exec.approvals.get
export interface ExecPolicies {
  path: string;
  file: { agents?: Record<string, AgentExecPolicy>; defaults?: AgentExecPolicy };
  resolvedDefaults?: AgentExecPolicy;
}

export const DECISION_LABELS: Record<Decision, string> = {
  "allow-once": "Allow once",
  "allow-always": "Allow always",
  "deny": "Deny",
};

export function statusClass(s: HistoryItem["status"]): string {
  return s === "allowed" ? "ok" : s === "denied" ? "bad" : s === "pending" ? "" : "warn";
}
