// Automations panel: cron jobs. /automations lists them (paged and filtered by the
// gateway) under the scheduler's summary; /automations/new adds one; /automations/<id>
// shows one job with its run history. `cron` events refresh what is on screen. The parts
// live in panels/automations/.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { fmtAgo } from "../ui/format";
import { toast } from "../ui/toast";
import { CronJob, describeSchedule, scheduleZone, statusClass } from "./automations/types";
import { fmtInZone } from "./automations/time";
import "./automations/job-form";
import "./automations/job-detail";

const PAGE = 25;

interface CronStatus {
  enabled: boolean;
  jobs: number;
  enabledJobs?: number;
  failingJobs?: number;
  runningJobs?: number;
  nextWakeAtMs: number | null;
  timezone?: string;
  failing?: { name?: string; id?: string; lastError?: string }[];
}

@customElement("sc-automations-panel")
export class AutomationsPanel extends Panel {
  static styles = [shared, css`
    .summary { display: flex; flex-wrap: wrap; gap: 6px 18px; }
    .summary b { font-variant-numeric: tabular-nums; }
    .filters { align-items: flex-end; }
    .filters input { min-width: 12em; }
    .pager { margin-top: 8px; }
    td.next { white-space: nowrap; }
    a.button { text-decoration: none; display: inline-flex; align-items: center; }
    a.button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
  `];

  @state() private status: CronStatus | null = null;
  @state() private jobs: CronJob[] = [];
  @state() private total = 0;
  @state() private offset = 0;
  @state() private hasMore = false;
  @state() private enabledFilter: "all" | "enabled" | "disabled" = "all";
  @state() private query = "";
  @state() private lastEvent: any = null;
  @state() private rev = 0;
  private refreshTimer = 0;
  private querySeq = 0;

  connectedCallback() {
    super.connectedCallback();
    this.listen("cron", (p) => this.onCron(p));
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.refreshTimer);
  }

  private get sub(): string {
    return this.route.split("/")[0] ?? "";
  }

  protected async load() {
    this.rev++;
    if (this.sub) return; // the job page and the form load their own data
    await this.loadList();
  }

  private async loadList() {
    const seq = ++this.querySeq;
    const params: Record<string, unknown> = { limit: PAGE, offset: this.offset, enabled: this.enabledFilter, sortBy: "nextRunAtMs", sortDir: "asc" };
    if (this.query.trim()) params.query = this.query.trim();
    const [status, list] = await Promise.all([
      this.gw.request<CronStatus>("cron.status").catch(() => null),
      this.gw.request<{ jobs: CronJob[]; total: number; hasMore: boolean }>("cron.list", params),
    ]);
    if (seq !== this.querySeq) return;
    this.status = status;
    this.jobs = list.jobs;
    this.total = list.total;
    this.hasMore = list.hasMore;
  }

  // A job was added, changed, started or finished: the job page takes the event itself;
  // the list is read again once the burst is over.
  private onCron(p: any) {
    if (this.sub && p?.jobId === this.sub) this.lastEvent = p;
    if (this.sub) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => void this.loadList().catch((e) => (this.error = (e as Error).message)), 250);
  }

  private filter() {
    this.offset = 0;
    void this.loadList().catch((e) => (this.error = (e as Error).message));
  }

  private page(d: number) {
    this.offset = Math.max(0, this.offset + d * PAGE);
    void this.loadList().catch((e) => (this.error = (e as Error).message));
  }

  private link(e: MouseEvent, path: string) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.navigate(path);
  }

  render() {
    const sub = this.sub;
    const back = html`<p><a href="/automations" @click=${(e: MouseEvent) => this.link(e, "/automations")}>← All automations</a></p>`;
    if (sub === "new")
      return html`${back}<h2>New automation</h2>
        <div class="card"><sc-cron-form .gw=${this.gw}
          @saved=${(e: CustomEvent<CronJob>) => { toast(`Added ${e.detail.name}`, "ok"); this.navigate(`/automations/${encodeURIComponent(e.detail.id)}`); }}
          @cancel=${() => this.navigate("/automations")}></sc-cron-form></div>`;
    if (sub)
      return html`${back}<sc-cron-job .gw=${this.gw} jobId=${sub} rev=${this.rev} .event=${this.lastEvent}
        @removed=${() => this.navigate("/automations")}></sc-cron-job>`;
    return this.renderList();
  }

  private renderSummary() {
    const s = this.status;
    if (!s) return nothing;
    return html`<div class="card summary" data-testid="cron-status">
      <span>Scheduler <span class="badge ${s.enabled ? "ok" : "warn"}">${s.enabled ? "on" : "off"}</span></span>
      <span><b>${s.jobs}</b> jobs${s.enabledJobs != null ? html`, <b>${s.enabledJobs}</b> enabled` : nothing}</span>
      ${s.runningJobs ? html`<span><b>${s.runningJobs}</b> running</span>` : nothing}
      ${s.failingJobs ? html`<span class="badge bad">${s.failingJobs} failing</span>` : nothing}
      <span>Next wake: ${s.nextWakeAtMs ? fmtAgo(s.nextWakeAtMs) : "—"}</span>
      ${s.timezone ? html`<span class="muted">Default zone ${s.timezone}</span>` : nothing}
    </div>`;
  }

  private renderList() {
    const admin = this.can("operator.admin", "cron.add");
    return html`
      <div class="toolbar">
        <h2 class="grow">Automations</h2>
        ${admin ? html`<a class="button primary" href="/automations/new" @click=${(e: MouseEvent) => this.link(e, "/automations/new")}>New automation</a>` : nothing}
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.renderSummary()}
      <form class="toolbar filters" role="search" @submit=${(e: Event) => { e.preventDefault(); this.filter(); }}>
        <label>Search
          <input type="search" .value=${this.query} @input=${(e: Event) => (this.query = (e.target as HTMLInputElement).value)}>
        </label>
        <label>Show
          <select @change=${(e: Event) => { this.enabledFilter = (e.target as HTMLSelectElement).value as "all"; this.filter(); }}>
            ${(["all", "enabled", "disabled"] as const).map((v) => html`<option value=${v} ?selected=${v === this.enabledFilter}>${v}</option>`)}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      ${this.jobs.length ? html`<div class="card table-wrap">
        <table>
          <thead><tr><th>Name</th><th>Schedule</th><th>Next run</th><th>Last run</th><th class="hide-narrow">Agent</th></tr></thead>
          <tbody>${this.jobs.map((j) => this.renderRow(j))}</tbody>
        </table>
        <div class="row pager">
          <button ?disabled=${this.offset === 0} @click=${() => this.page(-1)}>Previous</button>
          <span class="muted">${this.offset + 1}–${this.offset + this.jobs.length} of ${this.total}</span>
          <button ?disabled=${!this.hasMore} @click=${() => this.page(1)}>Next</button>
        </div>
      </div>` : html`<p class="empty">${this.loading ? "Loading…" : "No automations yet."}</p>`}
    `;
  }

  private renderRow(j: CronJob) {
    const st = j.state ?? {};
    const next = j.nextRunAtMs ?? st.nextRunAtMs;
    return html`<tr data-job=${j.id}>
      <td><a href=${`/automations/${encodeURIComponent(j.id)}`} @click=${(e: MouseEvent) => this.link(e, `/automations/${encodeURIComponent(j.id)}`)}>${j.name}</a>
        ${j.enabled ? nothing : html` <span class="badge warn">disabled</span>`}</td>
      <td class="mono">${describeSchedule(j.schedule)}</td>
      <td class="next">${next && j.enabled ? html`${fmtInZone(next, scheduleZone(j.schedule))}<br><span class="muted">${fmtAgo(next)}</span>` : "—"}</td>
      <td>${st.lastRunStatus ? html`<span class="badge ${statusClass(st.lastRunStatus)}">${st.lastRunStatus}</span> <span class="muted">${fmtAgo(st.lastRunAtMs)}</span>` : html`<span class="muted">never</span>`}</td>
      <td class="mono hide-narrow">${j.effectiveAgentId ?? j.agentId ?? ""}</td>
    </tr>`;
  }
}
