// <sc-cron-runs>: a job's run history (cron.runs, newest first, paged by the gateway).
// The panel bumps `rev` on a cron event of this job, so a run shows up without a reload.
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient } from "../../gateway/client";
import { fmtDuration, fmtTime } from "../../ui/format";
import { shared } from "../../ui/styles";
import { CronRun, statusClass } from "./types";

const PAGE = 20;

@customElement("sc-cron-runs")
export class CronRuns extends LitElement {
  static styles = [shared, css`
    td.err { max-width: 28em; white-space: pre-wrap; word-break: break-word; }
    .pager { margin-top: 8px; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  @property() jobId = "";
  @property({ type: Number }) rev = 0;
  @state() private runs: CronRun[] = [];
  @state() private total = 0;
  @state() private offset = 0;
  @state() private hasMore = false;
  @state() private error = "";
  @state() private loaded = false;
  private seq = 0;

  updated(changed: Map<string, unknown>) {
    if (changed.has("jobId")) this.offset = 0;
    if ((changed.has("jobId") || changed.has("rev")) && this.jobId) void this.load();
  }

  private async load() {
    const seq = ++this.seq;
    try {
      const r = await this.gw.request<{ entries: CronRun[]; total: number; hasMore: boolean }>("cron.runs",
        { id: this.jobId, limit: PAGE, offset: this.offset, sortDir: "desc" });
      if (seq !== this.seq) return;
      this.runs = r.entries;
      this.total = r.total;
      this.hasMore = r.hasMore;
      this.error = "";
    } catch (e) {
      if (seq === this.seq) this.error = (e as Error).message;
    } finally {
      this.loaded = true;
    }
  }

  private page(d: number) {
    this.offset = Math.max(0, this.offset + d * PAGE);
    void this.load();
  }

  render() {
    if (this.error) return html`<p class="error">${this.error}</p>`;
    if (!this.loaded) return html`<p class="muted">Loading…</p>`;
    if (!this.runs.length) return html`<p class="empty">No runs yet.</p>`;
    return html`
      <div class="table-wrap">
        <table data-testid="runs">
          <thead><tr><th>Status</th><th>Started</th><th>Duration</th><th>Trigger</th><th>Delivery</th><th>Result or error</th></tr></thead>
          <tbody>${this.runs.map((r) => html`<tr data-run=${r.runId}>
            <td><span class="badge ${statusClass(r.outcome ?? r.status)}">${r.outcome && r.outcome !== r.status ? `${r.status} (${r.outcome})` : r.status}</span></td>
            <td>${fmtTime(r.startedAtMs ?? r.runAtMs)}</td>
            <td>${r.durationMs == null ? "—" : r.durationMs < 1000 ? `${r.durationMs} ms` : fmtDuration(r.durationMs)}</td>
            <td>${r.trigger ?? "—"}</td>
            <td>${r.deliveryStatus ? html`<span class="badge ${r.deliveryStatus === "delivered" ? "ok" : r.deliveryStatus === "not-delivered" ? "warn" : ""}"
                title=${r.deliveryError ?? ""}>${r.deliveryStatus}</span>` : "—"}
              ${r.deliveryError ? html`<div class="muted">${r.deliveryError}</div>` : nothing}</td>
            <td class="err">${r.error ? html`<span class="error">${r.error}</span>` : html`<span class="muted">${r.summary ?? ""}</span>`}</td>
          </tr>`)}</tbody>
        </table>
      </div>
      <div class="row pager">
        <button ?disabled=${this.offset === 0} @click=${() => this.page(-1)}>Newer</button>
        <span class="muted">${this.offset + 1}–${this.offset + this.runs.length} of ${this.total}</span>
        <button ?disabled=${!this.hasMore} @click=${() => this.page(1)}>Older</button>
      </div>
    `;
  }
}
