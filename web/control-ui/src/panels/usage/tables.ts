// The usage panel's tables: per day, per agent and per model (usage.cost's daily and
// byModel, sessions.usage's aggregates.byAgent), all rendered as text.
import { html, nothing } from "lit";
import { fmtCost, fmtTokens } from "../../ui/format";

export interface Totals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  totalCost: number;
  missingCostEntries: number;
}
export interface Day extends Totals { date: string }
export interface ModelRow { provider: string; model: string; priced?: boolean; count: number; totals: Totals }
export interface AgentRow { agentId: string; totals: Totals }

const head = (first: string) => html`<thead><tr>
  <th>${first}</th><th class="num">Input</th><th class="num">Output</th><th class="num hide-narrow">Total tokens</th><th class="num">Cost</th>
</tr></thead>`;

const cells = (t: Totals) => html`
  <td class="num">${fmtTokens(t.input)}</td><td class="num">${fmtTokens(t.output)}</td>
  <td class="num hide-narrow">${fmtTokens(t.totalTokens)}</td><td class="num">${fmtCost(t.totalCost)}</td>`;

export function renderDays(days: Day[]) {
  const active = days.filter((d) => d.totalTokens > 0).reverse();
  if (!active.length) return html`<p class="empty">No tokens used in this range.</p>`;
  return html`<div class="table-wrap"><table data-testid="usage-days">${head("Day")}
    <tbody>${active.map((d) => html`<tr><td>${d.date}</td>${cells(d)}</tr>`)}</tbody></table></div>`;
}

export function renderAgents(rows: AgentRow[]) {
  if (!rows.length) return html`<p class="empty">No agent used tokens in this range.</p>`;
  const sorted = [...rows].sort((a, b) => b.totals.totalCost - a.totals.totalCost || b.totals.totalTokens - a.totals.totalTokens);
  return html`<div class="table-wrap"><table data-testid="usage-agents">${head("Agent")}
    <tbody>${sorted.map((a) => html`<tr><td>${a.agentId}</td>${cells(a.totals)}</tr>`)}</tbody></table></div>`;
}

export function renderModels(rows: ModelRow[]) {
  if (!rows.length) return html`<p class="empty">No model used in this range.</p>`;
  const sorted = [...rows].sort((a, b) => b.totals.totalCost - a.totals.totalCost || b.totals.totalTokens - a.totals.totalTokens);
  return html`<div class="table-wrap"><table data-testid="usage-models">${head("Model")}
    <tbody>${sorted.map((m) => html`<tr>
      <td><span class="mono">${m.provider}/${m.model}</span>
        ${m.priced === false ? html` <span class="badge warn" title="No price configured: its tokens count as $0">no price</span>` : nothing}
        <span class="muted">· ${m.count} ${m.count === 1 ? "reply" : "replies"}</span></td>
      ${cells(m.totals)}</tr>`)}</tbody></table></div>`;
}
