// <sc-session-detail route=KEY>: one session: its row, its transcript (chat.history,
// newest page first, older pages on demand), its usage and cost, and the actions on it
// (label, pin, reset, delete, open in chat). Follows sessions.changed for the key.
import { PropertyValues, css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../../ui/panel";
import { shared } from "../../ui/styles";
import { confirmDialog } from "../../ui/dialog";
import { fmtAgo, fmtTime, fmtTokens } from "../../ui/format";
import { throttle } from "./throttle";
import { renderMessage, transcriptStyles } from "./transcript";
import { renderUsage, SessionUsage } from "./usage-summary";
import { Message, SessionRow, chatPath, tokensOf } from "./types";

const PAGE = 50;
const MAX_PAGE = 1000;  // chat.history's limit

interface HistoryPage {
  messages: Message[];
  hasMore: boolean;
  sessionInfo?: SessionRow;
}

@customElement("sc-session-detail")
export class SessionDetail extends Panel {
  static styles = [shared, transcriptStyles, css`
    .title { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 4px; }
    .title h2 { margin: 0; word-break: break-word; }
    .key { word-break: break-all; }
    .label-form { display: flex; gap: 8px; align-items: flex-end; flex-wrap: wrap; }
    .label-form label { flex: 1 1 220px; }
    .label-form input { width: 100%; }
    td.num, th.num { text-align: right; white-space: nowrap; }
    .actions { margin: var(--gap) 0; }
    .badge.pin { color: var(--accent); border-color: var(--accent); }
    a.button { display: inline-flex; align-items: center; text-decoration: none; }
  `];

  @state() private info: SessionRow | null = null;
  @state() private messages: Message[] = [];
  @state() private hasMore = false;
  @state() private usage: SessionUsage | null = null;
  @state() private usageError = "";
  @state() private editing = false;
  @state() private draft = "";
  @state() private busy = false;
  private refreshSoon = throttle(() => this.refreshNow(), 500);

  private get key() {
    return this.route;
  }

  connectedCallback() {
    super.connectedCallback();
    this.listen("sessions.changed", (p) => {
      if (p?.sessionKey === this.key && !this.busy) this.refreshSoon();
    });
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.refreshSoon.cancel();
  }

  protected routeChanged() {
    this.info = null;
    this.messages = [];
    this.usage = null;
    this.editing = false;
    super.routeChanged();
  }

  protected async load() {
    if (this.gw.hasMethod("sessions.subscribe"))
      this.gw.request("sessions.subscribe", { subscribe: true }).catch(() => {});
    await Promise.all([this.fetchHistory(PAGE), this.fetchUsage()]);
  }

  // The newest `limit` messages replace what is shown (a refresh keeps as many as were
  // loaded, so older pages the user opened stay open).
  private async fetchHistory(limit: number) {
    const key = this.key;
    const r = await this.gw.request<HistoryPage>("chat.history", { sessionKey: key, limit: Math.min(limit, MAX_PAGE) });
    if (key !== this.key) return;
    this.messages = r.messages;
    this.hasMore = r.hasMore;
    this.info = r.sessionInfo ?? null;
  }

  private async fetchUsage() {
    if (!this.gw.hasMethod("sessions.usage")) return;
    const key = this.key;
    try {
      const r = await this.gw.request("sessions.usage", { key, range: "all", limit: 1 });
      if (key !== this.key) return;
      this.usage = r.sessions?.[0]?.usage ?? null;
      this.usageError = "";
    } catch (e) {
      this.usageError = (e as Error).message;
    }
  }

  private async refreshNow() {
    try {
      await Promise.all([this.fetchHistory(Math.max(PAGE, this.messages.length)), this.fetchUsage()]);
      this.error = "";
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private async loadOlder() {
    const key = this.key;
    this.busy = true;
    try {
      const r = await this.gw.request<HistoryPage>("chat.history", { sessionKey: key, limit: PAGE, offset: this.messages.length });
      if (key !== this.key) return;
      // Messages that arrived meanwhile shift the offset: drop what is already shown.
      const seen = new Set(this.messages.map((m) => m.id).filter(Boolean));
      this.messages = [...r.messages.filter((m) => !m.id || !seen.has(m.id)), ...this.messages];
      this.hasMore = r.hasMore;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  private async run(fn: () => Promise<void>) {
    this.busy = true;
    try {
      await fn();
    } finally {
      this.busy = false;
    }
  }

  private saveLabel(e: SubmitEvent) {
    e.preventDefault();
    const label = this.draft.trim();
    return this.run(async () => {
      const r = await this.act("sessions.patch", { key: this.key, label: label || null }, label ? "Label saved" : "Label removed");
      if (!r) return;  // the toast says why; the draft stays in the input
      this.info = r.session ?? this.info;
      this.editing = false;
    });
  }

  private togglePin() {
    const pinned = !this.info?.pinned;
    return this.run(async () => {
      const r = await this.act("sessions.patch", { key: this.key, pinned }, pinned ? "Pinned" : "Unpinned");
      if (r?.session) this.info = r.session;
    });
  }

  private async reset() {
    const ok = await confirmDialog("Reset this session? It starts a new, empty transcript; the old one is kept on the gateway and its runs are stopped.", "Reset");
    if (!ok) return;
    await this.run(async () => {
      if (await this.act("sessions.reset", { key: this.key }, "Session reset")) await this.refreshNow();
    });
  }

  private async deleteSession() {
    const ok = await confirmDialog("Delete this session and all its transcripts? This cannot be undone.", "Delete", true);
    if (!ok) return;
    await this.run(async () => {
      if (await this.act("sessions.delete", { key: this.key }, "Session deleted")) this.navigate("/sessions");
    });
  }

  private back(e: MouseEvent) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.navigate("/sessions");
  }

  private openChat(e: MouseEvent) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.navigate(chatPath(this.key));
  }

  render() {
    const info = this.info;
    const backLink = html`<p><a href="/sessions" @click=${this.back}>← All sessions</a></p>`;
    if (!info) {
      return html`${backLink}${this.error ? html`<p class="error">${this.error}</p>`
        : html`<p class="empty">Loading the session…</p>`}`;
    }
    const canWrite = this.can("operator.write", "sessions.patch");
    const exists = info.sessionId != null;
    return html`
      ${backLink}
      <div class="title">
        <h2>${info.label || info.key}</h2>
        ${info.pinned ? html`<span class="badge pin" data-testid="pinned">pinned</span>` : nothing}
        ${info.status === "running" ? html`<span class="badge ok">running</span>` : nothing}
      </div>
      ${info.label ? html`<p class="mono muted key">${info.key}</p>` : nothing}
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${exists ? nothing : html`<p class="empty">This session has no transcript: it was deleted or nothing was said in it yet.</p>`}
      <div class="row actions">
        <a class="button" href=${chatPath(info.key)} @click=${this.openChat}>Open in chat</a>
        ${canWrite && exists ? html`
          <button ?disabled=${this.busy} @click=${() => { this.draft = info.label ?? ""; this.editing = true; }}>Rename</button>
          <button ?disabled=${this.busy} @click=${this.togglePin}>${info.pinned ? "Unpin" : "Pin"}</button>
          <button ?disabled=${this.busy} @click=${this.reset}>Reset</button>
          <button class="danger" ?disabled=${this.busy} @click=${this.deleteSession}>Delete</button>` : nothing}
      </div>
      ${this.editing ? this.renderLabelForm() : nothing}
      <div class="card">
        <dl class="kv">
          <dt>Agent</dt><dd>${info.agentId}</dd>
          <dt>Model</dt><dd class="mono">${info.model}</dd>
          ${info.channel ? html`<dt>Channel</dt><dd>${info.channel}</dd>` : nothing}
          <dt>Last activity</dt><dd title=${fmtTime(info.updatedAt)}>${fmtAgo(info.updatedAt)}</dd>
          ${info.createdAt ? html`<dt>Created</dt><dd>${fmtTime(info.createdAt)}</dd>` : nothing}
          <dt>Tokens (this transcript)</dt><dd>${fmtTokens(tokensOf(info))}</dd>
        </dl>
      </div>
      <h3>Usage and cost</h3>
      <div class="card">
        ${this.usageError ? html`<p class="error">${this.usageError}</p>` : renderUsage(this.usage)}
      </div>
      <h3>Transcript</h3>
      ${this.hasMore ? html`<p><button ?disabled=${this.busy} @click=${this.loadOlder}>Load older messages</button></p>` : nothing}
      <section data-testid="transcript" aria-label="Transcript">
        ${this.messages.length ? this.messages.map(renderMessage) : html`<p class="empty">No messages.</p>`}
      </section>
    `;
  }

  private renderLabelForm() {
    return html`<form class="label-form card" @submit=${this.saveLabel}>
      <label>Label
        <input name="label" maxlength="200" .value=${this.draft} placeholder="(no label: the key is shown)"
          @input=${(e: InputEvent) => (this.draft = (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => { if (e.key === "Escape") this.editing = false; }}>
      </label>
      <button class="primary" type="submit" ?disabled=${this.busy}>Save label</button>
      <button type="button" @click=${() => (this.editing = false)}>Cancel</button>
    </form>`;
  }

  protected updated(changed: PropertyValues) {
    super.updated(changed);
    // Focus the label input when the inline editor opens.
    if (changed.has("editing") && this.editing) this.renderRoot.querySelector<HTMLInputElement>(".label-form input")?.focus();
  }
}
