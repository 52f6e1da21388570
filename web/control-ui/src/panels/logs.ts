// Logs: the gateway's JSON-lines log, live. It polls logs.tail with the byte cursor of
// the previous answer while the panel is on screen and the tab visible, keeps the last
// MAX_LINES in memory, and filters that window by level and text on the client. Every
// line is shown as text (log lines carry client-supplied strings).
import { css, html, nothing, PropertyValues } from "lit";
import { customElement, query, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { LEVELS, Level, LogLine, markerLine, parseLine } from "./logs/parse";

const MAX_LINES = 2000;
const POLL_MS = 1500;
const FIRST_LINES = 500;

interface Tail { file: string; cursor: number; size: number; lines: string[]; truncated?: boolean; reset?: boolean; skippedBytes?: number; }

const LEVEL_LABELS: Record<Level, string> = {
  debug: "All (debug and up)", info: "Info and up", warn: "Warnings and errors", error: "Errors only",
};

@customElement("sc-logs-panel")
export class LogsPanel extends Panel {
  static styles = [shared, css`
    :host { display: flex; flex-direction: column; min-height: 0; }
    .log { background: var(--code-bg); border: 1px solid var(--border); border-radius: var(--radius);
      height: calc(100vh - 220px); min-height: 240px; overflow: auto; font-family: var(--mono); font-size: 12.5px; padding: 4px 0; }
    .line { padding: 1px 10px; white-space: pre-wrap; word-break: break-word; border-left: 3px solid transparent; }
    .line .t { color: var(--muted); }
    .line .lv { display: inline-block; min-width: 7ch; font-weight: 600; text-transform: uppercase; font-size: 11px; }
    .line .f { color: var(--muted); }
    .line.debug .lv { color: var(--muted); }
    .line.info .lv { color: var(--accent); }
    .line.warn { border-left-color: var(--warn); }
    .line.warn .lv { color: var(--warn); }
    .line.error { border-left-color: var(--danger); background: color-mix(in srgb, var(--danger) 7%, transparent); }
    .line.error .lv { color: var(--danger); }
    input[type="search"] { min-width: 12ch; }
    .status { font-size: 12px; }
    @media (max-width: 600px) { .log { height: calc(100vh - 300px); } }
  `];

  @state() private lines: LogLine[] = [];
  @state() private minLevel: Level = "debug";
  @state() private search = "";
  @state() private paused = false;
  @state() private follow = true;
  @state() private file = "";
  @state() private pollError = "";
  @query(".log") private box?: HTMLElement;
  private cursor: number | null = null;
  private timer = 0;
  private polling = false;
  private alive = false;

  connectedCallback() {
    super.connectedCallback();
    this.alive = true;
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.alive = false;
    clearTimeout(this.timer);
    document.removeEventListener("visibilitychange", this.onVisibility);
  }

  private onVisibility = () => {
    if (document.visibilityState === "visible") this.schedule(0);
  };

  // First load: the last FIRST_LINES lines; after a reconnect: carry on from the cursor.
  protected async load() {
    if (this.cursor === null) {
      const r = await this.gw.request<Tail>("logs.tail", { limit: FIRST_LINES });
      this.take(r);
    }
    this.schedule(POLL_MS);
  }

  private schedule(ms: number) {
    clearTimeout(this.timer);
    if (this.alive) this.timer = window.setTimeout(() => this.poll(), ms);
  }

  private async poll() {
    if (!this.alive || this.polling) return;
    // Hidden tab, paused or offline: no requests; visibilitychange / resume / ready restart.
    if (this.paused || document.visibilityState !== "visible" || this.gw.state !== "connected") return;
    this.polling = true;
    let again = POLL_MS;
    try {
      const r = await this.gw.request<Tail>("logs.tail", this.cursor === null ? { limit: FIRST_LINES } : { cursor: this.cursor, limit: 1000 });
      this.take(r);
      this.pollError = "";
      if (r.truncated) again = 50;  // more is waiting: catch up
    } catch (e) {
      this.pollError = (e as Error).message;
      again = POLL_MS * 2;
    } finally {
      this.polling = false;
    }
    this.schedule(again);
  }

  private take(r: Tail) {
    const add: LogLine[] = [];
    if (r.reset && this.cursor !== null) add.push(markerLine("— the log file was rotated; reading from its start —"));
    if (r.skippedBytes) add.push(markerLine(`— ${r.skippedBytes} bytes skipped —`));
    for (const raw of r.lines) if (raw.trim()) add.push(parseLine(raw));
    this.cursor = r.cursor;
    this.file = r.file;
    if (add.length) this.lines = [...this.lines, ...add].slice(-MAX_LINES);
  }

  private get shown(): LogLine[] {
    const min = LEVELS.indexOf(this.minLevel);
    const q = this.search.trim().toLowerCase();
    return this.lines.filter((l) => LEVELS.indexOf(l.level) >= min && (!q || l.haystack.includes(q)));
  }

  protected updated(changed: PropertyValues) {
    super.updated(changed);
    if (this.follow && this.box) this.box.scrollTop = this.box.scrollHeight;
  }

  private onScroll() {
    const b = this.box;
    if (!b) return;
    const atBottom = b.scrollHeight - b.scrollTop - b.clientHeight < 24;
    if (atBottom !== this.follow) this.follow = atBottom;
  }

  private togglePause() {
    this.paused = !this.paused;
    if (!this.paused) this.schedule(0);
  }

  render() {
    const shown = this.shown;
    return html`
      <h2>Logs</h2>
      <div class="toolbar">
        <label class="inline">Level&nbsp;
          <select data-testid="logs-level" @change=${(e: Event) => (this.minLevel = (e.target as HTMLSelectElement).value as Level)}>
            ${LEVELS.map((l) => html`<option value=${l} ?selected=${l === this.minLevel}>${LEVEL_LABELS[l]}</option>`)}
          </select></label>
        <label class="inline grow">Search&nbsp;
          <input type="search" class="grow" data-testid="logs-search" .value=${this.search} placeholder="text in the loaded lines"
            @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)}></label>
        <button aria-pressed=${this.paused} @click=${this.togglePause}>${this.paused ? "Resume" : "Pause"}</button>
        <label class="inline"><input type="checkbox" .checked=${this.follow}
          @change=${(e: Event) => (this.follow = (e.target as HTMLInputElement).checked)}>&nbsp;Follow</label>
        <button @click=${() => (this.lines = [])} title="Forget the loaded lines (the file is untouched)">Clear</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.pollError ? html`<p class="error">Reading the log failed: ${this.pollError} (retrying)</p>` : nothing}
      <div class="log" role="log" aria-label="Gateway log" tabindex="0" data-testid="logs-lines" @scroll=${this.onScroll}>
        ${repeat(shown, (l) => l.id, (l) => html`<div class="line ${l.level}" title=${l.iso}>${l.time ? html`<span class="t">${l.time}</span> ` : nothing}<span class="lv">${l.levelText || "—"}</span> <span class="m">${l.message}</span>${l.fields.length ? html` <span class="f">${l.fields.map(([k, v]) => `${k}=${v}`).join(" ")}</span>` : nothing}</div>`)}
        ${!shown.length ? html`<p class="empty">${this.lines.length ? "No line matches the filter." : this.loading ? "Loading…" : "No log lines yet."}</p>` : nothing}
      </div>
      <p class="muted status" data-testid="logs-status">${shown.length} of ${this.lines.length} lines shown${this.lines.length >= MAX_LINES ? ` (the last ${MAX_LINES} are kept)` : ""}
        ${this.paused ? " — paused" : " — live"}${this.file ? html` — <span class="mono">${this.file}</span>` : nothing}</p>
    `;
  }
}
