// <sc-cron-schedule>: builds a cron job's schedule ({kind: at|every|cron, ...}) and shows
// its next five run times in the job's time zone, as the gateway computes them
// (cron.preview, asked again 350 ms after the last change). The gateway's refusal of an
// expression shows inline while typing. Fires "schedule-change" {schedule, valid}; valid
// is false while a preview is pending or refused, so a parent disables Save.
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient } from "../../gateway/client";
import { fmtAgo } from "../../ui/format";
import { shared } from "../../ui/styles";
import { browserZone, fmtInZone, msToZoned, timeZones, zonedToMs } from "./time";

export type Schedule =
  | { kind: "at"; at: string }
  | { kind: "every"; everyMs: number; anchorMs?: number }
  | { kind: "cron"; expr: string; tz?: string; staggerMs?: number };

export interface ScheduleChange { schedule: Schedule | null; valid: boolean; }

type Kind = Schedule["kind"];
type Preset = "custom" | "hourly" | "daily" | "weekdays" | "weekly" | "monthly";
const UNITS: [string, number][] = [["minutes", 60000], ["hours", 3600000], ["days", 86400000], ["seconds", 1000]];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const PRESETS: [Preset, string][] = [
  ["custom", "Custom expression"], ["hourly", "Every hour"], ["daily", "Every day at…"],
  ["weekdays", "Weekdays (Mon–Fri) at…"], ["weekly", "Every week on…"], ["monthly", "Every month on the 1st at…"],
];
const pad = (n: number | string) => String(n).padStart(2, "0");

// An expression one of the presets makes, read back into the preset's fields.
function detectPreset(expr: string): { preset: Preset; time?: string; dow?: number } {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5 || !/^\d+$/.test(f[0])) return { preset: "custom" };
  const [mi, h, dom, mon, dow] = f;
  if (Number(mi) > 59 || (/^\d+$/.test(h) && Number(h) > 23)) return { preset: "custom" };
  if (h === "*" && dom === "*" && mon === "*" && dow === "*") return { preset: "hourly", time: `00:${pad(mi)}` };
  if (!/^\d+$/.test(h) || mon !== "*") return { preset: "custom" };
  const time = `${pad(h)}:${pad(mi)}`;
  if (dom === "*" && dow === "*") return { preset: "daily", time };
  if (dom === "*" && dow === "1-5") return { preset: "weekdays", time };
  if (dom === "*" && /^[0-6]$/.test(dow)) return { preset: "weekly", time, dow: Number(dow) };
  if (dom === "1" && dow === "*") return { preset: "monthly", time };
  return { preset: "custom" };
}

@customElement("sc-cron-schedule")
export class CronSchedule extends LitElement {
  static styles = [shared, css`
    .fields { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-end; margin-bottom: 8px; }
    .kinds { display: flex; gap: 14px; flex-wrap: wrap; margin-bottom: 8px; border: 0; padding: 0; }
    .every-n { width: 7em; }
    .expr { min-width: 12em; }
    .preview { margin: 6px 0 0; padding-left: 22px; }
    .preview li { font-variant-numeric: tabular-nums; }
    select.tz { max-width: 16em; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  // The job's schedule when editing (read once, when set).
  @property({ attribute: false }) initial: Schedule | null = null;
  @property() jobId = "";
  @state() private kind: Kind = "cron";
  // A new one-shot job starts an hour from now, on the minute.
  @state() private atLocal = msToZoned(Math.ceil((Date.now() + 3600000) / 60000) * 60000, browserZone());
  @state() private atTz = browserZone();
  @state() private everyN = "1";
  @state() private everyUnit = 3600000;
  @state() private expr = "0 9 * * *";
  @state() private tz = browserZone();
  @state() private preset: Preset = "daily";
  @state() private presetTime = "09:00";
  @state() private presetDow = 1;
  @state() private preview: { tz: string; nowMs: number; times: number[] } | null = null;
  @state() private previewError = "";
  @state() private pending = false;
  private seq = 0;
  private timer = 0;

  private initialRead = false;

  // Read once: a refreshed job while the user edits must not reset the fields.
  willUpdate(changed: Map<string, unknown>) {
    if (changed.has("initial") && this.initial && !this.initialRead) {
      this.initialRead = true;
      this.readInitial(this.initial);
    }
  }

  firstUpdated() {
    this.changed();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  private readInitial(s: Schedule) {
    this.kind = s.kind;
    if (s.kind === "at") {
      const ms = Date.parse(s.at);
      if (!Number.isNaN(ms)) this.atLocal = msToZoned(ms, this.atTz);
    } else if (s.kind === "every") {
      const unit = UNITS.find(([, u]) => s.everyMs % u === 0) ?? UNITS[3];
      this.everyUnit = unit[1];
      this.everyN = String(s.everyMs / unit[1]);
    } else {
      this.expr = s.expr;
      this.tz = s.tz ?? "";
      this.readExpr();
    }
  }

  private readExpr() {
    const d = detectPreset(this.expr);
    this.preset = d.preset;
    if (d.time) this.presetTime = d.time;
    if (d.dow !== undefined) this.presetDow = d.dow;
  }

  private writeExpr() {
    const [h, m] = (this.presetTime || "09:00").split(":").map((x) => Number(x));
    const exprs: Record<Preset, string> = {
      custom: this.expr, hourly: `${m} * * * *`, daily: `${m} ${h} * * *`, weekdays: `${m} ${h} * * 1-5`,
      weekly: `${m} ${h} * * ${this.presetDow}`, monthly: `${m} ${h} 1 * *`,
    };
    this.expr = exprs[this.preset];
  }

  // The schedule the fields describe, or a message saying what is missing.
  private build(): Schedule | string {
    const init = this.initial;
    if (this.kind === "at") {
      const ms = zonedToMs(this.atLocal, this.atTz);
      if (Number.isNaN(ms)) return "Pick a date and a time.";
      return { kind: "at", at: new Date(ms).toISOString() };
    }
    if (this.kind === "every") {
      const n = Number(this.everyN);
      if (!Number.isFinite(n) || n <= 0) return "The interval must be a number above 0.";
      const everyMs = Math.round(n * this.everyUnit);
      // An unchanged interval keeps its anchor, so an edit does not shift the runs.
      if (init?.kind === "every" && init.everyMs === everyMs && init.anchorMs) return { kind: "every", everyMs, anchorMs: init.anchorMs };
      return { kind: "every", everyMs };
    }
    const expr = this.expr.trim();
    if (!expr) return "Enter a cron expression.";
    const s: Schedule = { kind: "cron", expr };
    if (this.tz) s.tz = this.tz;
    if (init?.kind === "cron" && init.expr === expr && init.staggerMs !== undefined) s.staggerMs = init.staggerMs;
    return s;
  }

  private emit(schedule: Schedule | null, valid: boolean) {
    this.dispatchEvent(new CustomEvent<ScheduleChange>("schedule-change", { detail: { schedule, valid } }));
  }

  // Any field changed: tell the parent at once (not valid yet), preview after a pause.
  private changed() {
    const s = this.build();
    clearTimeout(this.timer);
    const seq = ++this.seq;
    if (typeof s === "string") {
      this.preview = null;
      this.previewError = s;
      this.pending = false;
      return this.emit(null, false);
    }
    if (!this.gw.hasMethod("cron.preview")) {
      // An older gateway: it checks the schedule when the job is saved.
      this.previewError = "";
      return this.emit(s, true);
    }
    this.pending = true;
    this.emit(s, false);
    this.timer = window.setTimeout(async () => {
      try {
        const params: Record<string, unknown> = { schedule: s, count: 5 };
        if (this.jobId) params.jobId = this.jobId;
        const r = await this.gw.request<{ tz: string; nowMs: number; nextRunsAtMs: number[] }>("cron.preview", params);
        if (seq !== this.seq) return;
        this.preview = { tz: r.tz, nowMs: r.nowMs, times: r.nextRunsAtMs };
        this.previewError = "";
        this.emit(s, true);
      } catch (e) {
        if (seq !== this.seq) return;
        this.preview = null;
        // The gateway's reason, without the method's prefix (the user did not call a method).
        this.previewError = (e as Error).message.replace(/^invalid cron\.preview params: /, "");
        this.emit(s, false);
      } finally {
        if (seq === this.seq) this.pending = false;
      }
    }, 350);
  }

  // A field changed: apply it, keep the preset fields and the expression in step, preview.
  private upd(apply: () => void, sync?: "fromExpr" | "toExpr") {
    apply();
    if (sync === "fromExpr") this.readExpr();
    if (sync === "toExpr") this.writeExpr();
    this.changed();
  }

  private val(e: Event): string {
    return (e.target as HTMLInputElement).value;
  }

  render() {
    return html`
      <fieldset class="kinds">
        <legend class="muted">Runs</legend>
        ${(["cron", "every", "at"] as Kind[]).map((k) => html`<label class="inline">
          <input type="radio" name="kind" value=${k} .checked=${this.kind === k} @change=${() => this.upd(() => (this.kind = k))}>
          ${k === "cron" ? "On a calendar (cron)" : k === "every" ? "Every interval" : "Once, at a time"}</label>`)}
      </fieldset>
      ${this.kind === "at" ? this.renderAt() : this.kind === "every" ? this.renderEvery() : this.renderCron()}
      ${this.renderPreview()}
    `;
  }

  private zoneSelect(value: string, label: string, onChange: (v: string) => void, allowDefault: boolean) {
    const zones = timeZones();
    return html`<label>${label}
      <select class="tz" aria-label=${label} @change=${(e: Event) => onChange(this.val(e))}>
        ${allowDefault ? html`<option value="" ?selected=${value === ""}>the gateway's zone</option>` : nothing}
        ${value && !zones.includes(value) ? html`<option value=${value} selected>${value}</option>` : nothing}
        ${zones.map((z) => html`<option value=${z} ?selected=${z === value}>${z}</option>`)}
      </select></label>`;
  }

  private renderAt() {
    return html`<div class="fields">
      <label>Date and time
        <input type="datetime-local" .value=${this.atLocal} @input=${(e: Event) => this.upd(() => (this.atLocal = this.val(e)))}>
      </label>
      ${this.zoneSelect(this.atTz, "Time zone", (v) => {
        // Keep the wall time the user picked; it now means that time in the new zone.
        this.upd(() => (this.atTz = v));
      }, false)}
    </div>`;
  }

  private renderEvery() {
    return html`<div class="fields">
      <label>Every
        <input class="every-n" type="number" min="1" step="1" .value=${this.everyN} @input=${(e: Event) => this.upd(() => (this.everyN = this.val(e)))}>
      </label>
      <label>Unit
        <select @change=${(e: Event) => this.upd(() => (this.everyUnit = Number(this.val(e))))}>
          ${UNITS.map(([name, ms]) => html`<option value=${ms} ?selected=${ms === this.everyUnit}>${name}</option>`)}
        </select>
      </label>
    </div>
    <p class="muted">The first run is one interval after the job is saved.</p>`;
  }

  private renderCron() {
    const p = this.preset;
    return html`<div class="fields">
      <label>Preset
        <select @change=${(e: Event) => this.upd(() => (this.preset = this.val(e) as Preset), "toExpr")}>
          ${PRESETS.map(([v, t]) => html`<option value=${v} ?selected=${v === p}>${t}</option>`)}
        </select>
      </label>
      ${p === "weekly" ? html`<label>Day
        <select @change=${(e: Event) => this.upd(() => (this.presetDow = Number(this.val(e))), "toExpr")}>
          ${DAYS.map((d, i) => html`<option value=${i} ?selected=${i === this.presetDow}>${d}</option>`)}
        </select></label>` : nothing}
      ${p === "hourly" ? html`<label>Minutes past the hour
        <input class="every-n" type="number" min="0" max="59" .value=${String(Number(this.presetTime.split(":")[1] ?? 0))}
          @input=${(e: Event) => this.upd(() => (this.presetTime = `00:${pad(Math.min(59, Math.max(0, Number(this.val(e)) || 0)))}`), "toExpr")}></label>` : nothing}
      ${p !== "custom" && p !== "hourly" ? html`<label>At (HH:MM)
        <input type="time" .value=${this.presetTime} @input=${(e: Event) => this.upd(() => (this.presetTime = this.val(e)), "toExpr")}></label>` : nothing}
      <label>Cron expression
        <input class="expr mono" name="expr" spellcheck="false" placeholder="min hour day month weekday"
          .value=${this.expr} @input=${(e: Event) => this.upd(() => (this.expr = this.val(e)), "fromExpr")}>
      </label>
      ${this.zoneSelect(this.tz, "Time zone", (v) => this.upd(() => (this.tz = v)), true)}
    </div>`;
  }

  private renderPreview() {
    if (this.previewError) return html`<p class="error" role="alert" data-testid="schedule-error">${this.previewError}</p>`;
    if (!this.gw.hasMethod("cron.preview")) return nothing;
    const p = this.preview;
    if (!p) return html`<p class="muted" aria-live="polite">${this.pending ? "Computing the next runs…" : ""}</p>`;
    if (!p.times.length) return html`<p class="muted" data-testid="schedule-preview">This schedule has no future runs.</p>`;
    // A one-shot time has no zone at the gateway (an instant): show it in the zone it was picked in.
    const tz = this.kind === "at" ? this.atTz : p.tz;
    return html`<div data-testid="schedule-preview" aria-live="polite">
      <span class="muted">Next runs (${tz})${this.pending ? " · updating…" : ""}:</span>
      <ol class="preview">${p.times.map((ms) => html`<li>${fmtInZone(ms, tz)} <span class="muted">(${fmtAgo(ms)})</span></li>`)}</ol>
    </div>`;
  }
}
