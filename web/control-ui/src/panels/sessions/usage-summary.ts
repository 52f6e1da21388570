// A session's tokens and cost over its whole life (sessions.usage with key and range
// "all": every transcript the key had, resets included).
import { html, nothing } from "lit";
import { fmtCost, fmtTime, fmtTokens } from "../../ui/format";
import type { Totals } from "../usage/tables";

// The token and cost totals of usage.cost and sessions.usage.
export interface SessionUsage extends Totals {
  firstActivity?: number;
  lastActivity?: number;
  messageCounts?: { total: number; user: number; assistant: number; toolCalls: number; errors: number };
  modelUsage?: { provider: string; model: string; count: number; totals: { totalTokens: number; totalCost: number } }[];
}

export function renderUsage(u: SessionUsage | null) {
  if (!u) return html`<p class="muted">No usage recorded for this session yet.</p>`;
  const m = u.messageCounts;
  return html`<dl class="kv" data-testid="session-usage">
      <dt>Cost</dt><dd>${fmtCost(u.totalCost)}${u.missingCostEntries
        ? html` <span class="muted">(${u.missingCostEntries} replies of unpriced models)</span>` : nothing}</dd>
      <dt>Tokens</dt><dd>${fmtTokens(u.totalTokens)}
        <span class="muted">(in ${fmtTokens(u.input)}, out ${fmtTokens(u.output)}${u.cacheRead
          ? `, cache read ${fmtTokens(u.cacheRead)}` : ""})</span></dd>
      ${m ? html`<dt>Messages</dt><dd>${m.total} <span class="muted">(${m.user} user, ${m.assistant} assistant${
        m.toolCalls ? `, ${m.toolCalls} tool calls` : ""}${m.errors ? `, ${m.errors} errors` : ""})</span></dd>` : nothing}
      ${u.firstActivity ? html`<dt>Active</dt><dd>${fmtTime(u.firstActivity)} – ${fmtTime(u.lastActivity)}</dd>` : nothing}
    </dl>
    ${u.modelUsage?.length ? html`<div class="table-wrap"><table>
      <thead><tr><th>Model</th><th class="num">Replies</th><th class="num">Tokens</th><th class="num">Cost</th></tr></thead>
      <tbody>${u.modelUsage.map((x) => html`<tr>
        <td class="mono">${x.provider}/${x.model}</td><td class="num">${x.count}</td>
        <td class="num">${fmtTokens(x.totals.totalTokens)}</td><td class="num">${fmtCost(x.totals.totalCost)}</td>
      </tr>`)}</tbody>
    </table></div>` : nothing}`;
}
