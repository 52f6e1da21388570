// An agent's entry in config.yaml (agents.list[]), for the settings agents.update cannot
// set (fallbacks, heartbeat). A JSON merge patch replaces arrays whole, so an edit reads
// the file's current list, changes this agent's entry only and writes the list back with
// the read's hash as baseHash (a concurrent edit is refused, never overwritten). The
// gateway puts redacted secrets back by itself.
import { GatewayClient } from "../../gateway/client";

export interface HeartbeatConfig {
  every?: string;
  prompt?: string;
  target?: string;
  to?: string;
  account_id?: string;
  ack_token?: string;
  ack_max_chars?: number;
}

export interface AgentEntry {
  id: string;
  name?: string;
  model?: string;
  fallbacks?: string[] | null;
  heartbeat?: HeartbeatConfig | null;
  [key: string]: unknown;
}

// The agent's entry as the file has it ({id} when the file does not list it: main).
export async function readAgentEntry(gw: GatewayClient, agentId: string): Promise<AgentEntry> {
  const cfg = await gw.request<any>("config.get");
  const list: AgentEntry[] = Array.isArray(cfg.config?.agents?.list) ? cfg.config.agents.list : [];
  return list.find((a) => a?.id === agentId) ?? { id: agentId };
}

export async function editAgentEntry(gw: GatewayClient, agentId: string, edit: (e: AgentEntry) => void, note: string) {
  const cfg = await gw.request<any>("config.get");
  const list: AgentEntry[] = Array.isArray(cfg.config?.agents?.list) ? structuredClone(cfg.config.agents.list) : [];
  let entry = list.find((a) => a?.id === agentId);
  if (!entry) list.push((entry = { id: agentId }));
  edit(entry);
  return gw.request("config.patch", { raw: { agents: { list } }, baseHash: cfg.hash, note });
}
