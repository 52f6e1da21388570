// <sc-cron-job>: one cron job: what it does and when, an enable switch, Run now, Edit,
// Remove, and its run history. The panel passes `event` (the latest cron event of this
// job) so state and history follow runs live.
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient } from "../../gateway/client";
import { confirmDialog } from "../../ui/dialog";
import { fmtAgo, fmtDuration } from "../../ui/format";
import { shared } from "../../ui/styles";
import { toast } from "../../ui/toast";
import { CronJob, describeSchedule, scheduleZone, statusClass } from "./types";
import { fmtInZone } from "./time";
import "./job-form";
import "./runs";

@customElement("sc-cron-job")
export class CronJobDetail extends LitElement {
  static styles = [shared, css`
    .switch { gap: 6px; }
    .msg { white-space: pre-wrap; word-break: break-word; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  @property() jobId = "";
  @property({ attribute: false }) event: any = null;
  @property({ type: Number }) rev = 0;
  @state() private job: CronJob | null = null;
  @state() private error = "";
  @state() private editing = false;
  @state() private busy = false;
  @state() private running = false;
  @state() private runsRev = 0;

  updated(changed: Map<string, unknown>) {
    if ((changed.has("jobId") || changed.has("rev")) && this.jobId) void this.load();
    if (changed.has("event") && this.event) this.onEvent(this.event);
  }

  private async load() {
    try {
      this.job = await this.gw.request<CronJob>("cron.get", { id: this.jobId });
      this.error = "";
      this.runsRev++;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private onEvent(ev: any) {
    if (ev.action === "removed") {
      this.job = null;
      this.error = "This automation was removed.";
      return;
    }
    // The event's job may carry fewer fields than cron.get (previews): merge.
    if (ev.job) this.job = { ...(this.job ?? {}), ...ev.job };
    if (ev.action === "started") this.running = true;
    if (ev.action === "finished") {
      this.running = false;
      this.runsRev++;
    }
  }

  private async call(method: string, params: object, done: string): Promise<any> {
    this.busy = true;
    try {
      const r = await this.gw.request(method, params);
      if (done) toast(done, "ok");
      return r ?? true;
    } catch (e) {
      toast(`${method}: ${(e as Error).message}`, "error");
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  private async toggle(e: Event) {
    const box = e.target as HTMLInputElement;
    const enabled = box.checked;
    const r = await this.call("cron.update", { id: this.jobId, patch: { enabled } }, enabled ? "Enabled" : "Disabled");
    if (r && typeof r === "object" && r.id) this.job = { ...this.job, ...r };
    else box.checked = !enabled; // refused: show the real state again
  }

  private async runNow() {
    const r = await this.call("cron.run", { id: this.jobId, mode: "force" }, "");
    if (!r) return;
    if (r.ran === false || r.ok === false) toast(`Not run: ${r.reason ?? "the gateway declined"}`, "error");
    else {
      toast("Run started", "ok");
      this.running = true;
    }
  }

  private async removeJob() {
    const j = this.job;
    if (!j) return;
    if (!(await confirmDialog(`Remove the automation "${j.name}"? Its run history goes with it.`, "Remove", true))) return;
    const r = await this.call("cron.remove", { id: j.id }, `Removed ${j.name}`);
    if (r) this.dispatchEvent(new CustomEvent("removed", { bubbles: true, composed: true }));
  }

  render() {
    if (this.error && !this.job) return html`<p class="error">${this.error}</p>`;
    const j = this.job;
    if (!j) return html`<p class="muted">Loading…</p>`;
    const admin = this.gw.hasScope("operator.admin");
    if (this.editing)
      return html`<h2>Edit ${j.name}</h2>
        <div class="card"><sc-cron-form .gw=${this.gw} .job=${j}
          @saved=${(e: CustomEvent<CronJob>) => { this.job = { ...j, ...e.detail }; this.editing = false; toast("Saved", "ok"); }}
          @cancel=${() => (this.editing = false)}></sc-cron-form></div>`;
    const st = j.state ?? {};
    const tz = scheduleZone(j.schedule);
    const next = j.nextRunAtMs ?? st.nextRunAtMs;
    return html`
      <div class="toolbar">
        <h2 class="grow">${j.name}</h2>
        ${admin ? html`
          <label class="inline switch"><input type="checkbox" .checked=${j.enabled} ?disabled=${this.busy} @change=${this.toggle}> Enabled</label>
          <button class="primary" ?disabled=${this.busy} @click=${this.runNow}>Run now</button>
          <button ?disabled=${this.busy} @click=${() => (this.editing = true)}>Edit</button>
          <button class="danger" ?disabled=${this.busy} @click=${this.removeJob}>Remove</button>` : nothing}
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      <div class="card">
        <dl class="kv">
          <dt>Status</dt><dd><span class="badge ${j.enabled ? "ok" : "warn"}" data-testid="job-enabled">${j.enabled ? "enabled" : "disabled"}</span>
            ${st.autoDisabled ? html` <span class="badge bad">disabled after repeated failures</span>` : nothing}
            ${this.running ? html` <span class="badge warn">running…</span>` : nothing}</dd>
          <dt>Schedule</dt><dd class="mono">${describeSchedule(j.schedule)}</dd>
          <dt>Next run</dt><dd>${next && j.enabled ? html`${fmtInZone(next, tz)} <span class="muted">(${fmtAgo(next)})</span>` : "—"}</dd>
          <dt>Last run</dt><dd>${st.lastRunAtMs ? html`<span class="badge ${statusClass(st.lastRunStatus)}">${st.lastRunStatus ?? "?"}</span>
            ${fmtAgo(st.lastRunAtMs)}${st.lastDurationMs != null ? ` · ${st.lastDurationMs < 1000 ? `${st.lastDurationMs} ms` : fmtDuration(st.lastDurationMs)}` : ""}` : "never"}
            ${st.lastError ? html`<div class="error">${st.lastError}</div>` : nothing}</dd>
          <dt>Agent</dt><dd class="mono">${j.effectiveAgentId ?? j.agentId ?? "default"}</dd>
          <dt>${j.payload.kind === "agentTurn" ? "Message" : "System event"}</dt>
          <dd class="msg">${j.payload.kind === "agentTurn" ? j.payload.message : j.payload.text}</dd>
          <dt>Session</dt><dd class="mono">${j.sessionTarget ?? "—"}</dd>
          <dt>Delivery</dt><dd>${j.deliveryPreview?.label ?? j.delivery?.mode ?? "—"}
            ${st.lastDeliveryError ? html`<div class="muted">last: ${st.lastDeliveryError}</div>` : nothing}</dd>
          ${j.description ? html`<dt>Description</dt><dd class="msg">${j.description}</dd>` : nothing}
        </dl>
      </div>
      <h3>Run history</h3>
      <sc-cron-runs .gw=${this.gw} jobId=${j.id} rev=${this.runsRev}></sc-cron-runs>
    `;
  }
}
