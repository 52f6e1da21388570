// <sc-agent-heartbeat>: the agent's heartbeat settings (agents.list[].heartbeat in
// config.yaml, written with config.patch) and the last heartbeat the gateway reported.
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient } from "../../gateway/client";
import { fmtAgo, fmtDuration } from "../../ui/format";
import { shared } from "../../ui/styles";
import { toast } from "../../ui/toast";
import { HeartbeatConfig, editAgentEntry, readAgentEntry } from "./config-entry";

// The same rule as the config schema's heartbeat.every pattern.
const EVERY_RE = /^(|0|off|([0-9]{1,6}(ms|s|m|h|d|w))+)$/;
const TARGETS = ["last", "none", "telegram", "discord", "slack", "irc"];

interface Form {
  every: string;
  target: string;
  to: string;
  account_id: string;
  prompt: string;
  ack_token: string;
  ack_max_chars: string;
}

function toForm(h: HeartbeatConfig | null | undefined): Form {
  return {
    every: h?.every ?? "", target: h?.target ?? "last", to: h?.to ?? "", account_id: h?.account_id ?? "",
    prompt: h?.prompt ?? "", ack_token: h?.ack_token ?? "HEARTBEAT_OK",
    ack_max_chars: h?.ack_max_chars != null ? String(h.ack_max_chars) : "300",
  };
}

@customElement("sc-agent-heartbeat")
export class AgentHeartbeat extends LitElement {
  static styles = [shared, css`
    .fields { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); margin-bottom: 10px; }
    .wide { grid-column: 1 / -1; }
    .wide textarea { min-height: 70px; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  @property() agentId = "";
  @property({ type: Number }) rev = 0;
  @state() private form: Form = toForm(null);
  @state() private saved: Form = toForm(null);
  @state() private error = "";
  @state() private saving = false;
  @state() private last: any = null;
  private offHeartbeat?: () => void;

  connectedCallback() {
    super.connectedCallback();
    this.offHeartbeat = this.gw.on("heartbeat", (p) => {
      if (p?.agentId === this.agentId) this.last = p;
    });
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.offHeartbeat?.();
  }

  updated(changed: Map<string, unknown>) {
    if ((changed.has("agentId") || changed.has("rev")) && this.agentId) void this.load();
  }

  private get dirty(): boolean {
    return JSON.stringify(this.form) !== JSON.stringify(this.saved);
  }

  private async load() {
    try {
      const entry = await readAgentEntry(this.gw, this.agentId);
      const fresh = toForm(entry.heartbeat);
      // A reload (reconnect) keeps what the user is typing.
      if (!this.dirty) this.form = fresh;
      this.saved = fresh;
      this.error = "";
    } catch (e) {
      this.error = (e as Error).message;
    }
    try {
      const last = await this.gw.request<any>("last-heartbeat");
      if (last?.agentId === this.agentId) this.last = last;
    } catch {
      // An older gateway without last-heartbeat: the settings still work.
    }
  }

  private set(key: keyof Form, e: Event) {
    this.form = { ...this.form, [key]: (e.target as HTMLInputElement).value };
  }

  private async save(e: SubmitEvent) {
    e.preventDefault();
    const f = this.form;
    const max = Number(f.ack_max_chars);
    if (!EVERY_RE.test(f.every.trim())) return void (this.error = "Interval: a duration like 30m, 1h or 2h30m (empty = off).");
    if (!Number.isInteger(max) || max < 0) return void (this.error = "Ack max chars: a whole number ≥ 0.");
    this.saving = true;
    this.error = "";
    try {
      await editAgentEntry(this.gw, this.agentId, (entry) => {
        entry.heartbeat = {
          every: f.every.trim(), target: f.target.trim() || "last", to: f.to.trim(), account_id: f.account_id.trim(),
          prompt: f.prompt, ack_token: f.ack_token.trim() || "HEARTBEAT_OK", ack_max_chars: max,
        };
      }, `heartbeat of agent ${this.agentId} (Control UI)`);
      this.saved = { ...f };
      toast("Heartbeat saved", "ok");
    } catch (err) {
      this.error = `Not saved: ${(err as Error).message}`;
    } finally {
      this.saving = false;
    }
  }

  render() {
    const f = this.form;
    const channel = f.target !== "last" && f.target !== "none";
    return html`
      <p class="muted">A periodic turn in this agent's main session: it reads HEARTBEAT.md and says something only when something needs attention.</p>
      ${this.renderLast()}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <form @submit=${this.save}>
        <div class="fields">
          <label>Every (empty = off)
            <input name="every" placeholder="30m, 1h, 2h30m" .value=${f.every} @input=${(e: Event) => this.set("every", e)}>
          </label>
          <label>Target
            <input name="target" list="hb-targets" .value=${f.target} @input=${(e: Event) => this.set("target", e)}>
            <datalist id="hb-targets">${TARGETS.map((t) => html`<option value=${t}></option>`)}</datalist>
          </label>
          ${channel ? html`
            <label>To (chat or channel id)
              <input name="to" .value=${f.to} @input=${(e: Event) => this.set("to", e)}>
            </label>
            <label>Account (empty = default)
              <input name="account_id" .value=${f.account_id} @input=${(e: Event) => this.set("account_id", e)}>
            </label>` : nothing}
          <label>Ack token
            <input name="ack_token" .value=${f.ack_token} @input=${(e: Event) => this.set("ack_token", e)}>
          </label>
          <label>Ack max chars
            <input name="ack_max_chars" type="number" min="0" .value=${f.ack_max_chars} @input=${(e: Event) => this.set("ack_max_chars", e)}>
          </label>
          <label class="wide">Prompt (empty = the built-in one)
            <textarea name="prompt" .value=${f.prompt} @input=${(e: Event) => this.set("prompt", e)}></textarea>
          </label>
        </div>
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this.saving || !this.dirty}>Save heartbeat</button>
          ${this.dirty ? html`<span class="badge warn">unsaved changes</span>` : nothing}
        </div>
      </form>
    `;
  }

  private renderLast() {
    const l = this.last;
    if (!l) return html`<p class="muted" data-testid="last-heartbeat">Last heartbeat: none yet.</p>`;
    const cls = l.status === "failed" ? "bad" : l.status === "sent" || String(l.status).startsWith("ok") ? "ok" : "warn";
    return html`<p data-testid="last-heartbeat">Last heartbeat: <span class="badge ${cls}">${l.status}</span>
      ${fmtAgo(l.ts)}${l.durationMs != null ? html` · ${fmtDuration(l.durationMs)}` : nothing}
      ${l.reason ? html` · <span class="muted">${l.reason}</span>` : nothing}
      ${l.preview ? html`<br><span class="muted">${l.preview}</span>` : nothing}</p>`;
  }
}
