// <sc-cron-form>: add a cron job (cron.add) or edit one (cron.update with the job's
// configRevision, so an edit made elsewhere meanwhile is refused, not overwritten). The
// common fields are on top; session, delivery and missed-run handling sit in a collapsed
// "Advanced" section. A refused save keeps everything typed. Fires "saved" {job} and
// "cancel".
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient } from "../../gateway/client";
import { shared } from "../../ui/styles";
import { Schedule, ScheduleChange } from "./schedule";
import { CronJob } from "./types";
import "./schedule";

interface AgentRef { id: string; name: string; }

@customElement("sc-cron-form")
export class CronForm extends LitElement {
  static styles = [shared, css`
    form { display: flex; flex-direction: column; gap: 10px; }
    .fields { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
    .wide { grid-column: 1 / -1; }
    textarea { min-height: 80px; }
    fieldset { border: 1px solid var(--border); border-radius: 6px; margin: 0; }
    details { border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px; }
    summary { cursor: pointer; font-weight: 600; }
    details .fields { margin-top: 10px; }
    input, select { width: 100%; }
    input[type="radio"], input[type="checkbox"] { width: auto; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  @property({ attribute: false }) job: CronJob | null = null;
  @state() private agents: AgentRef[] = [];
  @state() private name = "";
  @state() private agentId = "";
  @state() private payloadKind: "agentTurn" | "systemEvent" = "agentTurn";
  @state() private message = "";
  @state() private enabled = true;
  @state() private schedule: Schedule | null = null;
  @state() private scheduleValid = false;
  // Advanced; "" = the gateway's default (not sent).
  @state() private description = "";
  @state() private sessionTarget = "";
  @state() private sessionKey = "";
  @state() private wakeMode = "";
  @state() private timeoutSeconds = "";
  @state() private deliveryMode = "";
  @state() private deliveryChannel = "";
  @state() private deliveryTo = "";
  @state() private deliveryAccount = "";
  @state() private missedPolicy = "";
  @state() private deleteAfterRun = "";
  @state() private error = "";
  @state() private saving = false;

  connectedCallback() {
    super.connectedCallback();
    if (this.gw.hasMethod("agents.list"))
      this.gw.request<{ agents: AgentRef[] }>("agents.list").then((r) => (this.agents = r.agents), () => {});
  }

  // The form reads the job once: a cron event that refreshes the job while the user edits
  // must not reset what they typed. The revision read then guards the save.
  private readFor = "";
  private baseRevision = "";

  willUpdate(changed: Map<string, unknown>) {
    if (changed.has("job") && this.job && this.readFor !== this.job.id) this.readJob(this.job);
  }

  private readJob(j: CronJob) {
    this.readFor = j.id;
    this.baseRevision = j.configRevision ?? "";
    this.name = j.name ?? "";
    this.agentId = j.agentId ?? "";
    this.payloadKind = j.payload.kind;
    this.message = j.payload.kind === "agentTurn" ? j.payload.message : j.payload.text;
    this.timeoutSeconds = j.payload.kind === "agentTurn" && j.payload.timeoutSeconds ? String(j.payload.timeoutSeconds) : "";
    this.enabled = j.enabled;
    this.description = j.description ?? "";
    const st = j.sessionTarget ?? "";
    this.sessionTarget = st.startsWith("session:") ? "session" : st;
    this.sessionKey = st.startsWith("session:") ? st.slice(8) : j.sessionKey ?? "";
    this.wakeMode = j.wakeMode ?? "";
    this.deliveryMode = j.delivery?.mode ?? "";
    this.deliveryChannel = j.delivery?.channel ?? "";
    this.deliveryTo = j.delivery?.to ?? "";
    this.deliveryAccount = j.delivery?.accountId ?? "";
    this.missedPolicy = j.missedPolicy ?? "";
    this.deleteAfterRun = j.deleteAfterRun === undefined ? "" : String(j.deleteAfterRun);
  }

  private onSchedule(e: CustomEvent<ScheduleChange>) {
    this.schedule = e.detail.schedule;
    this.scheduleValid = e.detail.valid;
  }

  private delivery(): Record<string, string> | null {
    const m = this.deliveryMode;
    if (!m) return null;
    if (m === "none") return { mode: m };
    if (m === "webhook") return { mode: m, to: this.deliveryTo.trim() };
    const d: Record<string, string> = { mode: m, channel: this.deliveryChannel.trim() || "last" };
    if (this.deliveryTo.trim()) d.to = this.deliveryTo.trim();
    if (this.deliveryAccount.trim()) d.accountId = this.deliveryAccount.trim();
    return d;
  }

  // The job's fields from the form; `edit` sends null for a cleared optional field.
  private fields(edit: boolean): Record<string, unknown> {
    const text = this.message;
    const payload: Record<string, unknown> = this.payloadKind === "agentTurn"
      ? { kind: "agentTurn", message: text } : { kind: "systemEvent", text };
    if (this.payloadKind === "agentTurn" && this.timeoutSeconds) payload.timeoutSeconds = Number(this.timeoutSeconds);
    const f: Record<string, unknown> = { schedule: this.schedule, payload };
    const opt = (key: string, v: unknown) => {
      if (v !== "" && v !== null) f[key] = v;
      else if (edit) f[key] = null;
    };
    if (this.name.trim()) f.name = this.name.trim();
    opt("agentId", this.agentId);
    opt("description", this.description.trim());
    opt("delivery", this.delivery());
    if (this.sessionTarget) f.sessionTarget = this.sessionTarget === "session" ? `session:${this.sessionKey.trim()}` : this.sessionTarget;
    if (this.sessionTarget === "current" && this.sessionKey.trim()) f.sessionKey = this.sessionKey.trim();
    if (this.wakeMode) f.wakeMode = this.wakeMode;
    if (this.missedPolicy) f.missedPolicy = this.missedPolicy;
    if (this.deleteAfterRun) f.deleteAfterRun = this.deleteAfterRun === "true";
    return f;
  }

  private async submit(e: SubmitEvent) {
    e.preventDefault();
    if (!this.message.trim()) return void (this.error = "Write the message the job sends.");
    if (!this.schedule || !this.scheduleValid) return;
    this.saving = true;
    this.error = "";
    try {
      let job: CronJob;
      if (this.job) {
        job = await this.gw.request<CronJob>("cron.update", {
          id: this.job.id, patch: this.fields(true),
          ...(this.baseRevision ? { expectedConfigRevision: this.baseRevision } : {}),
        });
      } else {
        job = await this.gw.request<CronJob>("cron.add", { ...this.fields(false), enabled: this.enabled });
      }
      this.dispatchEvent(new CustomEvent("saved", { detail: job }));
    } catch (err) {
      this.error = `Not saved: ${(err as Error).message}`;
    } finally {
      this.saving = false;
    }
  }

  private v(e: Event): string {
    return (e.target as HTMLInputElement).value;
  }

  render() {
    const turn = this.payloadKind === "agentTurn";
    return html`<form @submit=${this.submit} aria-label=${this.job ? "Edit automation" : "New automation"}>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="fields">
        <label>Name
          <input name="name" maxlength="200" placeholder="default: the message's first line" .value=${this.name} @input=${(e: Event) => (this.name = this.v(e))}>
        </label>
        <label>Agent
          <select name="agent" @change=${(e: Event) => (this.agentId = this.v(e))}>
            <option value="" ?selected=${this.agentId === ""}>the default agent</option>
            ${this.agentId && !this.agents.some((a) => a.id === this.agentId) ? html`<option value=${this.agentId} selected>${this.agentId}</option>` : nothing}
            ${this.agents.map((a) => html`<option value=${a.id} ?selected=${a.id === this.agentId}>${a.name} (${a.id})</option>`)}
          </select>
        </label>
        <label>What it does
          <select name="payloadKind" @change=${(e: Event) => (this.payloadKind = this.v(e) as "agentTurn" | "systemEvent")}>
            <option value="agentTurn" ?selected=${turn}>Agent turn: send the agent a message</option>
            <option value="systemEvent" ?selected=${!turn}>System event: a note in the main session</option>
          </select>
        </label>
        <label class="wide">${turn ? "Message" : "Event text"}
          <textarea name="message" required .value=${this.message} @input=${(e: Event) => (this.message = this.v(e))}></textarea>
        </label>
        ${this.job ? nothing : html`<label class="inline"><input type="checkbox" .checked=${this.enabled}
          @change=${(e: Event) => (this.enabled = (e.target as HTMLInputElement).checked)}> Enabled</label>`}
      </div>
      <fieldset>
        <legend>Schedule</legend>
        <sc-cron-schedule .gw=${this.gw} .initial=${this.job?.schedule ?? null} jobId=${this.job?.id ?? ""}
          @schedule-change=${this.onSchedule}></sc-cron-schedule>
      </fieldset>
      ${this.renderAdvanced(turn)}
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this.saving || !this.scheduleValid}>${this.job ? "Save changes" : "Save automation"}</button>
        <button type="button" @click=${() => this.dispatchEvent(new CustomEvent("cancel"))}>Cancel</button>
      </div>
    </form>`;
  }

  private renderAdvanced(turn: boolean) {
    const dm = this.deliveryMode;
    return html`<details>
      <summary>Advanced: session, delivery, missed runs</summary>
      <div class="fields">
        <label class="wide">Description
          <input name="description" maxlength="2000" .value=${this.description} @input=${(e: Event) => (this.description = this.v(e))}>
        </label>
        <label>Session
          <select name="sessionTarget" @change=${(e: Event) => (this.sessionTarget = this.v(e))}>
            ${[["", turn ? "default (a fresh session per run)" : "default (the main session)"], ["isolated", "a fresh session per run"],
              ["main", "the agent's main session"], ["current", "a given session (key)"], ["session", "session:<key>"]]
              .map(([v, t]) => html`<option value=${v} ?selected=${v === this.sessionTarget}>${t}</option>`)}
          </select>
        </label>
        ${this.sessionTarget === "current" || this.sessionTarget === "session" ? html`<label>Session key
          <input name="sessionKey" .value=${this.sessionKey} @input=${(e: Event) => (this.sessionKey = this.v(e))}></label>` : nothing}
        <label>Wake
          <select name="wakeMode" @change=${(e: Event) => (this.wakeMode = this.v(e))}>
            ${[["", "default (now)"], ["now", "now"], ["next-heartbeat", "at the next heartbeat"]]
              .map(([v, t]) => html`<option value=${v} ?selected=${v === this.wakeMode}>${t}</option>`)}
          </select>
        </label>
        ${turn ? html`<label>Timeout (seconds)
          <input name="timeoutSeconds" type="number" min="1" placeholder="default" .value=${this.timeoutSeconds} @input=${(e: Event) => (this.timeoutSeconds = this.v(e))}></label>` : nothing}
        <label>Delivery of the reply
          <select name="deliveryMode" @change=${(e: Event) => (this.deliveryMode = this.v(e))}>
            ${[["", "default (announce where the agent last talked)"], ["none", "none (transcript only)"], ["announce", "announce on a channel"], ["webhook", "POST to a webhook"]]
              .map(([v, t]) => html`<option value=${v} ?selected=${v === dm}>${t}</option>`)}
          </select>
        </label>
        ${dm === "announce" ? html`
          <label>Channel
            <input name="deliveryChannel" list="cron-channels" placeholder="last" .value=${this.deliveryChannel} @input=${(e: Event) => (this.deliveryChannel = this.v(e))}>
            <datalist id="cron-channels">${["last", "telegram", "discord", "slack", "irc"].map((c) => html`<option value=${c}></option>`)}</datalist>
          </label>
          <label>To (chat or channel id)
            <input name="deliveryTo" .value=${this.deliveryTo} @input=${(e: Event) => (this.deliveryTo = this.v(e))}></label>
          <label>Account (empty = default)
            <input name="deliveryAccount" .value=${this.deliveryAccount} @input=${(e: Event) => (this.deliveryAccount = this.v(e))}></label>` : nothing}
        ${dm === "webhook" ? html`<label class="wide">Webhook URL
          <input name="deliveryTo" type="url" placeholder="https://" .value=${this.deliveryTo} @input=${(e: Event) => (this.deliveryTo = this.v(e))}></label>` : nothing}
        <label>Missed while the gateway was down
          <select name="missedPolicy" @change=${(e: Event) => (this.missedPolicy = this.v(e))}>
            ${[["", "default (run the newest once)"], ["run-once", "run the newest once"], ["skip", "skip them"], ["run-all", "run them all"]]
              .map(([v, t]) => html`<option value=${v} ?selected=${v === this.missedPolicy}>${t}</option>`)}
          </select>
        </label>
        ${this.schedule?.kind === "at" ? html`<label>After a successful run
          <select name="deleteAfterRun" @change=${(e: Event) => (this.deleteAfterRun = this.v(e))}>
            ${[["", "default (delete the job)"], ["true", "delete the job"], ["false", "keep it, disabled"]]
              .map(([v, t]) => html`<option value=${v} ?selected=${v === this.deleteAfterRun}>${t}</option>`)}
          </select></label>` : nothing}
      </div>
    </details>`;
  }
}
