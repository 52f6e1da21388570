// <sc-chat-panel>: talk to an agent in one session (/chat/<sessionKey>; /chat is the
// main session). The transcript comes from chat.history (newest page first, older pages
// on demand); replies stream in from `chat` events, tool calls from `agent` events, and
// command approvals for this session are answered inline. After a reconnect the panel
// reloads the transcript and picks the session's running runs up again (their `chat`
// deltas carry the whole text so far), so a stream is never lost.
import { html, nothing, PropertyValues } from "lit";
import { customElement, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import { live } from "lit/directives/live.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { toast } from "../ui/toast";
import {
  Item, LiveRun, PendingUser, RawMessage, liveItems, mergeMessages, msgKey, newRun, resultText,
  runsInTranscript, textOf, transcriptItems,
} from "./chat/model";
import { Attachment, checkFile, readAttachment, uuid } from "./chat/attach";
import { Approval, Decision, chatStyles, renderApproval, renderItem } from "./chat/view";

const PAGE = 50;          // transcript messages per chat.history page
const SESSION_ROWS = 30;  // sessions offered in the picker (newest first)

interface SessionRow { key: string; label?: string; derivedTitle?: string; updatedAt?: number }
interface ModelRow { id: string; name: string; available: boolean }

@customElement("sc-chat-panel")
export class ChatPanel extends Panel {
  static styles = [shared, chatStyles];

  @state() private messages: RawMessage[] = [];
  @state() private hasMore = false;
  @state() private runs = new Map<string, LiveRun>();
  @state() private pending: PendingUser[] = [];
  @state() private approvals: Approval[] = [];
  @state() private deciding = new Set<string>();
  @state() private sessions: SessionRow[] = [];
  @state() private models: ModelRow[] = [];
  @state() private sessionModel = "";
  @state() private defaultModel = "";
  @state() private draft = "";
  @state() private files: Attachment[] = [];
  @state() private olderBusy = false;
  private loadedKey = "";
  private canonicalKey = "";  // the key as the gateway spells it (chat.history's answer)
  private stick = true;       // keep the log scrolled to the bottom
  private keepFromBottom = -1; // after loading older: hold the view where it was

  connectedCallback() {
    super.connectedCallback();
    this.listen("chat", (p) => this.onChat(p));
    this.listen("agent", (p) => this.onAgent(p));
    this.listen("exec.approval.requested", (p) => this.onApprovalRequested(p));
    this.listen("exec.approval.resolved", (p) => {
      this.approvals = this.approvals.filter((a) => a.id !== p?.id);
    });
  }

  private get mainKey(): string {
    return this.gw.hello?.snapshot?.sessionDefaults?.mainSessionKey ?? "agent:main:main";
  }

  private get sessionKey(): string {
    return this.route || this.mainKey;
  }

  private mine(key: unknown): boolean {
    return typeof key === "string" && (key === this.sessionKey || key === this.canonicalKey);
  }

  // ---- loading -------------------------------------------------------------------------

  protected async load() {
    const key = this.sessionKey;
    if (key !== this.loadedKey) {
      // Another session: nothing of the previous one may stay on screen.
      this.loadedKey = key;
      this.canonicalKey = "";
      this.messages = [];
      this.hasMore = false;
      this.runs = new Map();
      this.pending = [];
      this.approvals = [];
      this.sessionModel = "";
      this.stick = true;
    }
    const side = Promise.all([this.loadSessions(), this.loadModels(), this.loadApprovals()]);
    await this.refreshHistory();
    await side;
  }

  // The newest page, merged into what is held (older pages the user loaded stay).
  private async refreshHistory() {
    const key = this.sessionKey;
    const r = await this.gw.request("chat.history", { sessionKey: key, limit: PAGE });
    if (key !== this.sessionKey) return;
    this.canonicalKey = r.sessionKey ?? key;
    const page: RawMessage[] = r.messages ?? [];
    const held = new Set(this.messages.map(msgKey));
    // Contiguous with what is held, unless more than a page was added while away.
    const joins = !this.messages.length || page.length < PAGE || page.some((m) => held.has(msgKey(m)));
    this.messages = mergeMessages(joins ? this.messages : [], page);
    if (!joins || held.size === 0) this.hasMore = !!r.hasMore;
    this.sessionModel = r.sessionInfo?.model ?? "";
    const d = r.defaults ?? {};
    this.defaultModel = d.model ? (d.modelProvider ? `${d.modelProvider}/${d.model}` : d.model) : "";
    this.settleRuns(new Set<string>(r.activeRunIds ?? []));
  }

  // Drops the overlays the transcript now shows; adopts runs started elsewhere (another
  // tab, a channel) or before a reconnect, whose next delta fills them in.
  private settleRuns(active: Set<string>) {
    const done = runsInTranscript(this.messages);
    const runs = new Map(this.runs);
    for (const [id, run] of runs) {
      if (active.has(id)) continue;
      if (done.has(id)) runs.delete(id);
      else if (run.state === "streaming" && run.seq >= 0) runs.delete(id); // ended while away
    }
    const users = new Set(this.messages.filter((m) => m.role === "user" && m.runId).map((m) => m.runId));
    // A run that ended without a reply in the transcript (aborted early, failed) keeps its
    // note until a later run reaches the transcript, so it never shows below newer turns.
    const ids = [...this.runs.keys()];
    let lastInTranscript = -1;
    ids.forEach((id, i) => { if (done.has(id) || users.has(id)) lastInTranscript = i; });
    ids.slice(0, lastInTranscript).forEach((id) => { if (runs.get(id)?.state !== "streaming") runs.delete(id); });
    for (const id of active) if (!runs.has(id)) runs.set(id, newRun(id));
    this.runs = runs;
    this.pending = this.pending.filter((p) => !users.has(p.runId));
  }

  private async loadOlder() {
    const key = this.sessionKey;
    this.olderBusy = true;
    try {
      const r = await this.gw.request("chat.history", { sessionKey: key, limit: PAGE, offset: this.messages.length });
      if (key !== this.sessionKey) return;
      const log = this.log;
      if (log) this.keepFromBottom = log.scrollHeight - log.scrollTop;
      this.messages = mergeMessages(this.messages, r.messages ?? []);
      this.hasMore = !!r.hasMore;
    } catch (e) {
      toast(`Could not load older messages: ${(e as Error).message}`, "error");
    } finally {
      this.olderBusy = false;
    }
  }

  private async loadSessions() {
    try {
      const r = await this.gw.request("sessions.list", { limit: SESSION_ROWS, includeDerivedTitles: true });
      this.sessions = r.sessions ?? [];
    } catch {
      this.sessions = []; // the picker then offers the current session only
    }
  }

  private async loadModels() {
    if (this.models.length || !this.gw.hasMethod("models.list")) return;
    try {
      const r = await this.gw.request("models.list", {});
      this.models = r.models ?? [];
    } catch {
      this.models = [];
    }
  }

  private async loadApprovals() {
    if (!this.can("operator.approvals", "exec.approval.list")) return;
    try {
      const list: Approval[] = await this.gw.request("exec.approval.list", {});
      this.approvals = list.filter((a) => this.forThisSession(a));
    } catch {
      // the Approvals panel still has them
    }
  }

  private forThisSession(a: Approval): boolean {
    const k = a?.request?.sessionKey;
    return !k || this.mine(k);
  }

  // ---- events --------------------------------------------------------------------------

  private run(runId: string): LiveRun {
    let run = this.runs.get(runId);
    if (!run) {
      run = newRun(runId);
      this.runs.set(runId, run);
    }
    return run;
  }

  private onChat(p: any) {
    if (!p || !this.mine(p.sessionKey) || typeof p.runId !== "string") return;
    const run = this.run(p.runId);
    const text = p.message ? textOf(p.message.content) : "";
    if (p.state === "delta") {
      if (run.state !== "streaming" || (typeof p.seq === "number" && p.seq <= run.seq)) return;
      run.seq = p.seq ?? run.seq + 1;
      run.text = text || run.text + (p.deltaText ?? "");
    } else if (p.state === "final" || p.state === "aborted" || p.state === "error") {
      run.state = p.state;
      if (text) run.text = text;
      if (p.state === "error") run.error = p.errorMessage || "the run failed";
      // The transcript now holds the reply (and its tool calls): show that instead.
      this.refreshHistory().catch(() => undefined);
      this.loadSessions();
    }
    this.runs = new Map(this.runs);
  }

  private onAgent(p: any) {
    if (!p || !this.mine(p.sessionKey) || typeof p.runId !== "string") return;
    if (p.stream === "lifecycle" && p.data?.phase === "start") {
      this.run(p.runId);
    } else if (p.stream === "tool" && p.data) {
      const run = this.run(p.runId);
      const d = p.data;
      const id = String(d.toolCallId ?? `${run.tools.length}`);
      let call = run.tools.find((c) => c.id === id);
      if (!call) run.tools.push((call = { id, name: String(d.name ?? "tool"), args: undefined, done: false }));
      if (d.phase === "start") call.args = d.args;
      else if (d.phase === "result") Object.assign(call, { result: resultText(d.result), isError: !!d.isError, done: true });
    } else return;
    this.runs = new Map(this.runs);
  }

  private onApprovalRequested(p: any) {
    if (!p?.id || !this.forThisSession(p)) return;
    if (this.approvals.some((a) => a.id === p.id)) return;
    this.approvals = [...this.approvals, p];
  }

  // ---- actions -------------------------------------------------------------------------

  private async send(e?: Event) {
    e?.preventDefault();
    const text = this.draft;
    const files = this.files;
    if (!text.trim() && !files.length) return;
    if (this.gw.state !== "connected") {
      toast("Not connected to the gateway: the message is kept, send it again when connected.", "error");
      return;
    }
    const key = this.sessionKey;
    const runId = uuid();
    this.pending = [...this.pending, {
      runId, text, ts: Date.now(),
      images: files.map((f) => ({ name: f.fileName, mime: f.mimeType, data: f.content, size: f.sizeBytes })),
    }];
    this.runs = new Map(this.runs).set(runId, newRun(runId));
    this.draft = "";
    this.files = [];
    this.stick = true;
    const params: Record<string, unknown> = { sessionKey: key, message: text, idempotencyKey: runId };
    if (files.length)
      params.attachments = files.map((f) => ({ type: "image", mimeType: f.mimeType, fileName: f.fileName, sizeBytes: f.sizeBytes, content: f.content }));
    try {
      const r = await this.gw.request("chat.send", params);
      if (r?.status && r.status !== "started" && r.status !== "in_flight") await this.refreshHistory();
    } catch (err) {
      // Nothing was sent: take the message back into the composer.
      this.pending = this.pending.filter((p) => p.runId !== runId);
      const runs = new Map(this.runs);
      runs.delete(runId);
      this.runs = runs;
      if (key === this.sessionKey) {
        this.draft = this.draft ? `${text}\n${this.draft}` : text;
        this.files = [...files, ...this.files];
      }
      toast(`Not sent: ${(err as Error).message}`, "error");
    }
  }

  private async abort() {
    const active = [...this.runs.values()].filter((r) => r.state === "streaming");
    const run = active[active.length - 1];
    if (!run) return;
    const r = await this.act("chat.abort", { sessionKey: this.sessionKey, runId: run.runId });
    if (r && !r.aborted) {
      // Already over: the transcript has how it ended.
      this.refreshHistory().catch(() => undefined);
    }
  }

  private async decide(a: Approval, decision: Decision) {
    this.deciding = new Set(this.deciding).add(a.id);
    const r = await this.act("exec.approval.resolve", { id: a.id, decision });
    const left = new Set(this.deciding);
    left.delete(a.id);
    this.deciding = left;
    if (r) this.approvals = this.approvals.filter((x) => x.id !== a.id);
  }

  private async newSession() {
    const r = await this.act("sessions.create", {});
    if (r?.key) this.navigate(`/chat/${encodeURIComponent(r.key)}`);
  }

  private pickSession(e: Event) {
    const key = (e.target as HTMLSelectElement).value;
    if (key && key !== this.sessionKey) this.navigate(key === this.mainKey ? "/chat" : `/chat/${encodeURIComponent(key)}`);
  }

  private async pickModel(e: Event) {
    const value = (e.target as HTMLSelectElement).value;
    const r = await this.act("sessions.patch", { key: this.sessionKey, model: value || null },
      value ? `Model for this session: ${value}` : "This session uses the default model again");
    if (r?.session?.model) this.sessionModel = r.session.model;
    else this.requestUpdate(); // refused: the select goes back to the current model
  }

  private async addFiles(e: Event) {
    const input = e.target as HTMLInputElement;
    const chosen = [...(input.files ?? [])];
    input.value = "";
    const policy = this.gw.hello?.policy?.attachments ?? {};
    const max = Number(policy.maxImageBytes ?? policy.maxBytes ?? 0);
    for (const f of chosen) {
      const problem = checkFile(f, max);
      if (problem) {
        toast(problem, "error");
        continue;
      }
      try {
        this.files = [...this.files, await readAttachment(f)];
      } catch (err) {
        toast((err as Error).message, "error");
      }
    }
  }

  private onKey(e: KeyboardEvent) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  // ---- drawing -------------------------------------------------------------------------

  private get log(): HTMLElement | null {
    return this.renderRoot.querySelector(".log");
  }

  private onScroll() {
    const log = this.log;
    if (log) this.stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  protected updated(changed: PropertyValues) {
    super.updated(changed);
    const log = this.log;
    if (!log) return;
    if (this.keepFromBottom >= 0) {
      log.scrollTop = log.scrollHeight - this.keepFromBottom;
      this.keepFromBottom = -1;
    } else if (this.stick) {
      log.scrollTop = log.scrollHeight;
      // Again once the browser has laid out what just rendered (code blocks, images).
      requestAnimationFrame(() => { if (this.stick) log.scrollTop = log.scrollHeight; });
    }
  }

  private items(): Item[] {
    const items = transcriptItems(this.messages);
    // Each run in flight after the message that started it (runs keep their start order).
    const pending = new Map(this.pending.map((p) => [p.runId, p]));
    const user = (p: PendingUser): Item =>
      ({ kind: "user", key: `pending:${p.runId}`, text: p.text, images: p.images, ts: p.ts, pending: true });
    for (const run of this.runs.values()) {
      const p = pending.get(run.runId);
      if (p) items.push(user(p));
      pending.delete(run.runId);
      items.push(...liveItems(run));
    }
    for (const p of pending.values()) items.push(user(p));
    // A tool call can be both in the transcript and live (a reconnect mid-run): the live
    // one is newer. Keys must be unique for repeat().
    const seen = new Set<string>();
    return items.reverse().filter((it) => !seen.has(it.key) && seen.add(it.key)).reverse();
  }

  render() {
    const items = this.items();
    const streaming = [...this.runs.values()].some((r) => r.state === "streaming");
    const canSend = this.can("operator.write", "chat.send");
    return html`
      ${this.renderToolbar()}
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      <div class="log" role="log" aria-label="Conversation" @scroll=${this.onScroll}>
        ${this.hasMore ? html`<button class="older" ?disabled=${this.olderBusy} @click=${this.loadOlder}>
          ${this.olderBusy ? "Loading…" : "Load older messages"}</button>` : nothing}
        ${!items.length && !this.loading ? html`<p class="empty">No messages in this session yet.</p>` : nothing}
        ${repeat(items, (it) => it.key, renderItem)}
        ${this.approvals.map((a) => renderApproval(a, this.deciding.has(a.id), (x, d) => this.decide(x, d)))}
      </div>
      ${canSend ? this.renderComposer(streaming) : html`<p class="muted">Your sign-in can read this chat but not send to it.</p>`}
    `;
  }

  private renderToolbar() {
    const key = this.sessionKey;
    const current = this.canonicalKey || key;
    // The current and the main session are always offered, even before they exist.
    const rows: SessionRow[] = [...this.sessions];
    if (!rows.some((s) => s.key === current)) rows.unshift({ key: current });
    if (!rows.some((s) => s.key === this.mainKey)) rows.push({ key: this.mainKey });
    const models = this.models.some((m) => m.id === this.sessionModel) || !this.sessionModel || this.sessionModel === this.defaultModel
      ? this.models : [...this.models, { id: this.sessionModel, name: this.sessionModel, available: true }];
    const modelValue = this.sessionModel === this.defaultModel ? "" : this.sessionModel;
    const canPatch = this.can("operator.write", "sessions.patch");
    return html`<div class="toolbar">
      <label>Session
        <select data-testid="session-picker" .value=${live(current)} @change=${this.pickSession}>
          ${rows.map((s) => html`<option value=${s.key} ?selected=${s.key === current}>${s.derivedTitle || s.label || s.key}</option>`)}
        </select>
      </label>
      ${this.can("operator.write", "sessions.create") ? html`<button @click=${this.newSession}>New session</button>` : nothing}
      ${this.models.length ? html`<label>Model
        <select data-testid="model-picker" ?disabled=${!canPatch} .value=${live(modelValue)} @change=${this.pickModel}>
          <option value="" ?selected=${modelValue === ""}>Default${this.defaultModel ? ` (${this.defaultModel})` : ""}</option>
          ${models.map((m) => html`<option value=${m.id} ?selected=${m.id === modelValue}>${m.id}${m.available ? "" : " (unavailable)"}</option>`)}
        </select>
      </label>` : nothing}
      ${this.loading ? html`<span class="muted">loading…</span>` : nothing}
    </div>`;
  }

  private renderComposer(streaming: boolean) {
    return html`<form class="composer" @submit=${this.send}>
      ${this.files.length ? html`<div class="files" aria-label="Attached images">
        ${this.files.map((f, i) => html`<span class="file" data-testid="attachment">${f.fileName}
          <button type="button" aria-label=${`Remove ${f.fileName}`}
            @click=${() => (this.files = this.files.filter((_, j) => j !== i))}>✕</button></span>`)}
      </div>` : nothing}
      <label class="sr-only" for="message">Message</label>
      <textarea id="message" rows="3" placeholder="Message the agent (Enter sends, Shift+Enter adds a line)"
        .value=${live(this.draft)} @input=${(e: Event) => (this.draft = (e.target as HTMLTextAreaElement).value)}
        @keydown=${this.onKey}></textarea>
      <div class="row">
        <label class="attach"><input type="file" accept="image/png,image/jpeg,image/gif,image/webp" multiple
          @change=${this.addFiles}><span>Attach image</span></label>
        <span class="grow"></span>
        ${streaming ? html`<button type="button" class="danger" @click=${this.abort}>Abort</button>` : nothing}
        <button type="submit" class="primary">Send</button>
      </div>
    </form>`;
  }
}
