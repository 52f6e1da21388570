// Removing an allow-always pattern. The gateway has no exec.approvals.set: the allowlist is
// agents.list[].tools.exec.allow in the config file (exec.approvals.get reads it from
// there), changed with config.patch. A merge patch replaces arrays whole, so the patch
// carries the agents list as the file has it, minus the one pattern, guarded by the file's
// hash so a concurrent edit is refused instead of overwritten.
import { GatewayClient } from "../../gateway/client";

interface ConfigGet { config: any; hash: string }

export async function removeAllowPattern(gw: GatewayClient, agentId: string, pattern: string): Promise<void> {
  const cur = await gw.request<ConfigGet>("config.get", {});
  const list: any[] = structuredClone(cur.config?.agents?.list ?? []);
  const agent = list.find((a) => a?.id === agentId);
  const allow: unknown[] | undefined = agent?.tools?.exec?.allow;
  if (!Array.isArray(allow) || !allow.includes(pattern))
    throw new Error(`"${pattern}" is not in agents.list[${agentId}].tools.exec.allow of the config file; edit the file by hand`);
  agent.tools.exec.allow = allow.filter((p) => p !== pattern);
  await gw.request("config.patch", {
    raw: { agents: { list } }, baseHash: cur.hash,
    note: `control ui: removed exec allow pattern of agent ${agentId}: ${pattern}`,
  });
}
