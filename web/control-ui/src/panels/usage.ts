// Usage: tokens and cost per calendar day (usage.cost over every agent) for the last 7,
// 30 or 90 days, as a bar chart, totals, and tables by day, agent and model. Per-agent
// figures come from sessions.usage's aggregates (usage.cost has no agent grouping).
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { fmtCost, fmtTime, fmtTokens } from "../ui/format";
import { chartStyles, renderBarChart } from "./usage/chart";
import { AgentRow, Day, ModelRow, Totals, renderAgents, renderDays, renderModels } from "./usage/tables";

const RANGES = [7, 30, 90] as const;
type Metric = "cost" | "tokens";

interface CostResult {
  updatedAt: number;
  startDate: string;
  endDate: string;
  days: number;
  daily: Day[];
  totals: Totals;
  byModel?: ModelRow[];
}

// The chosen range outlives the element (leaving the panel and coming back keeps it).
let rememberedDays: number = 30;

@customElement("sc-usage-panel")
export class UsagePanel extends Panel {
  static styles = [shared, chartStyles, css`
    figure { margin: 0; }
    .stats { display: grid; gap: var(--gap); grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); margin-bottom: var(--gap); }
    .stat { background: var(--panel); border: 1px solid var(--border); border-radius: var(--radius); padding: 10px 12px; }
    .stat .v { font-size: 20px; font-weight: 700; }
    .stat .k { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
    .seg { display: inline-flex; flex-wrap: wrap; gap: 4px; }
    button[aria-pressed="true"] { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
    td.num, th.num { text-align: right; white-space: nowrap; }
  `];

  @state() private days: number = rememberedDays;
  @state() private metric: Metric = "cost";
  @state() private cost: CostResult | null = null;
  @state() private agents: AgentRow[] | null = null;
  @state() private agentsError = "";
  private seq = 0;

  protected async load() {
    const my = ++this.seq;
    const span = { days: this.days, agentScope: "all" };
    const agents = this.gw.hasMethod("sessions.usage")
      ? this.gw.request("sessions.usage", { ...span, limit: 1 }).then(
          (r) => ({ rows: (r.aggregates?.byAgent ?? []) as AgentRow[], error: "" }),
          (e) => ({ rows: [] as AgentRow[], error: (e as Error).message }))
      : Promise.resolve({ rows: [] as AgentRow[], error: "" });
    const cost = await this.gw.request<CostResult>("usage.cost", span);
    const a = await agents;
    if (my !== this.seq) return;
    this.cost = cost;
    this.agents = a.rows;
    this.agentsError = a.error;
  }

  private setRange(days: number) {
    if (days === this.days) return;
    this.days = rememberedDays = days;
    this.reload();
  }

  render() {
    return html`
      <h2>Usage</h2>
      <div class="toolbar">
        <div class="seg" role="group" aria-label="Date range">
          ${RANGES.map((d) => html`<button aria-pressed=${this.days === d ? "true" : "false"} ?disabled=${this.loading}
            @click=${() => this.setRange(d)}>Last ${d} days</button>`)}
        </div>
        <span class="grow"></span>
        <button ?disabled=${this.loading} @click=${() => this.reload()}>Refresh</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.cost ? this.renderData(this.cost) : html`<p class="empty">${this.loading ? "Loading usage…" : ""}</p>`}
    `;
  }

  private renderData(c: CostResult) {
    const today = c.daily.find((d) => d.date === c.endDate);
    const activeDays = c.daily.filter((d) => d.totalTokens > 0).length;
    const t = c.totals;
    const bars = c.daily.map((d) => ({
      label: d.date,
      value: this.metric === "cost" ? d.totalCost : d.totalTokens,
      title: `${d.date}: ${fmtCost(d.totalCost)}, ${d.totalTokens} tokens`,
    }));
    return html`
      <p class="muted" data-testid="usage-window">${c.startDate} – ${c.endDate} · ${c.days} days ·
        updated ${fmtTime(c.updatedAt)}${this.loading ? " · loading…" : ""}</p>
      <div class="stats">
        ${this.stat("Cost", fmtCost(t.totalCost), "usage-total-cost")}
        ${this.stat("Tokens", fmtTokens(t.totalTokens), "usage-total-tokens", `in ${fmtTokens(t.input)} · out ${fmtTokens(t.output)}`)}
        ${this.stat("Today's cost", fmtCost(today?.totalCost ?? 0), "usage-today-cost")}
        ${this.stat("Today's tokens", fmtTokens(today?.totalTokens ?? 0), "usage-today-tokens")}
        ${this.stat("Active days", `${activeDays} / ${c.days}`, "usage-active-days")}
      </div>
      ${t.missingCostEntries ? html`<p class="muted">${t.missingCostEntries} replies came from models without a
        configured price (models.providers.*.models[].cost) and count as $0.</p>` : nothing}
      <div class="card">
        <div class="toolbar">
          <h3 class="grow">Per day</h3>
          <div class="seg" role="group" aria-label="Chart shows">
            <button aria-pressed=${this.metric === "cost" ? "true" : "false"} @click=${() => (this.metric = "cost")}>Cost</button>
            <button aria-pressed=${this.metric === "tokens" ? "true" : "false"} @click=${() => (this.metric = "tokens")}>Tokens</button>
          </div>
        </div>
        ${renderBarChart(bars, this.metric === "cost" ? fmtCost : fmtTokens,
          this.metric === "cost" ? "Cost per day (USD)" : "Tokens per day")}
      </div>
      <h3>By agent</h3>
      ${this.agentsError ? html`<p class="error">${this.agentsError}</p>` : renderAgents(this.agents ?? [])}
      <h3>By model</h3>
      ${renderModels(c.byModel ?? [])}
      <h3>Days with usage</h3>
      ${renderDays(c.daily)}
    `;
  }

  private stat(k: string, v: string, testid: string, sub = "") {
    return html`<div class="stat" data-testid=${testid}>
      <div class="k">${k}</div><div class="v">${v}</div>${sub ? html`<div class="muted">${sub}</div>` : nothing}
    </div>`;
  }
}
