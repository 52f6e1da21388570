// <sc-session-list>: every session, one server-side page of 50 at a time (sessions.list
// with limit/offset, search and agentId), kept current by sessions.changed events.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../../ui/panel";
import { shared } from "../../ui/styles";
import { fmtAgo, fmtTime, fmtTokens } from "../../ui/format";
import { throttle } from "./throttle";
import { SessionRow, sessionPath, tokensOf } from "./types";

export const PAGE_SIZE = 50;
const SEARCH_DEBOUNCE_MS = 300;

interface Query {
  search: string;
  agentId: string;
  offset: number;
}

// The list's search, filter and page outlive the element, so coming back from a
// session's detail shows the page the user left.
let remembered: Query = { search: "", agentId: "", offset: 0 };

@customElement("sc-session-list")
export class SessionList extends Panel {
  static styles = [shared, css`
    .search { flex: 1 1 220px; }
    .search input { width: 100%; }
    td.name { min-width: 0; max-width: 46ch; }
    td.name a { font-weight: 600; word-break: break-word; }
    .key { display: block; font-size: 12px; word-break: break-all; }
    .pager { display: flex; gap: 8px; align-items: center; justify-content: flex-end; flex-wrap: wrap; margin-top: var(--gap); }
    .pager .grow { text-align: left; }
    td.num, th.num { text-align: right; white-space: nowrap; }
    td.when { white-space: nowrap; }
    .badge.pin { color: var(--accent); border-color: var(--accent); }
  `];

  @state() private rows: SessionRow[] = [];
  @state() private count = 0;
  @state() private loaded = false;
  @state() private agents: { id: string; name: string }[] = [];
  @state() private q: Query = { ...remembered };
  private searchTimer = 0;
  private seq = 0;  // answers to superseded requests are dropped
  private refreshSoon = throttle(() => this.show(), 500);

  connectedCallback() {
    super.connectedCallback();
    this.listen("sessions.changed", () => this.refreshSoon());
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.searchTimer);
    this.refreshSoon.cancel();
  }

  protected async load() {
    // The rows are asked for first; the agent filter and the live subscription must not
    // hold them up.
    const page = this.fetchPage();
    if (this.gw.hasMethod("agents.list"))
      this.gw.request("agents.list", {}).then((r) => (this.agents = r.agents ?? []), () => {});
    if (this.gw.hasMethod("sessions.subscribe"))
      this.gw.request("sessions.subscribe", { subscribe: true }).catch(() => {});
    await page;
  }

  private async fetchPage(): Promise<void> {
    const my = ++this.seq;
    const q = this.q;
    const params: Record<string, unknown> = { limit: PAGE_SIZE, offset: q.offset, includeDerivedTitles: true };
    if (q.search.trim()) params.search = q.search.trim();
    if (q.agentId) params.agentId = q.agentId;
    const r = await this.gw.request<{ count: number; sessions: SessionRow[] }>("sessions.list", params);
    if (my !== this.seq) return;
    // The page emptied under us (sessions deleted elsewhere): show the last page instead.
    if (r.sessions.length === 0 && q.offset > 0 && r.count > 0) {
      this.setQuery({ offset: Math.floor((r.count - 1) / PAGE_SIZE) * PAGE_SIZE });
      return this.fetchPage();
    }
    this.rows = r.sessions;
    this.count = r.count;
    this.loaded = true;
    this.error = "";
  }

  private setQuery(patch: Partial<Query>) {
    this.q = { ...this.q, ...patch };
    remembered = this.q;
  }

  // A new page or filter: the rows on screen stay until the answer replaces them.
  private async show() {
    this.loading = true;
    try {
      await this.fetchPage();
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
    }
  }

  private goTo(patch: Partial<Query>) {
    this.setQuery(patch);
    this.show();
  }

  private onSearch(e: InputEvent) {
    this.setQuery({ search: (e.target as HTMLInputElement).value, offset: 0 });
    clearTimeout(this.searchTimer);
    this.searchTimer = window.setTimeout(() => this.show(), SEARCH_DEBOUNCE_MS);
  }

  private open(e: MouseEvent, key: string) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.navigate(sessionPath(key));
  }

  render() {
    const { q } = this;
    return html`
      <h2>Sessions</h2>
      <div class="toolbar">
        <label class="search">Search
          <input type="search" maxlength="200" placeholder="key or label" .value=${q.search} @input=${this.onSearch}>
        </label>
        <label>Agent
          <select @change=${(e: Event) => this.goTo({ agentId: (e.target as HTMLSelectElement).value, offset: 0 })}>
            <option value="" ?selected=${!q.agentId}>All agents</option>
            ${this.agents.map((a) => html`<option value=${a.id} ?selected=${q.agentId === a.id}>${a.name || a.id}</option>`)}
          </select>
        </label>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.renderTable()}
      ${this.renderPager()}
    `;
  }

  private renderTable() {
    if (!this.loaded) return html`<p class="empty">${this.loading ? "Loading sessions…" : ""}</p>`;
    if (this.rows.length === 0)
      return html`<p class="empty">${this.q.search || this.q.agentId ? "No session matches." : "No sessions yet."}</p>`;
    return html`<div class="table-wrap"><table data-testid="sessions-table">
      <thead><tr>
        <th>Session</th><th class="hide-narrow">Agent</th><th>Last activity</th><th class="num hide-narrow">Tokens</th>
      </tr></thead>
      <tbody>${this.rows.map((r) => this.renderRow(r))}</tbody>
    </table></div>`;
  }

  private renderRow(r: SessionRow) {
    const title = r.label || r.derivedTitle || r.key;
    return html`<tr data-key=${r.key}>
      <td class="name">
        <a href=${sessionPath(r.key)} @click=${(e: MouseEvent) => this.open(e, r.key)}>${title}</a>
        ${r.pinned ? html` <span class="badge pin" data-testid="pinned" title="Pinned">pinned</span>` : nothing}
        ${r.status === "running" ? html` <span class="badge ok">running</span>` : nothing}
        ${title !== r.key ? html`<span class="key mono muted">${r.key}</span>` : nothing}
      </td>
      <td class="hide-narrow">${r.agentId}</td>
      <td class="when" title=${fmtTime(r.updatedAt)}>${fmtAgo(r.updatedAt)}</td>
      <td class="num hide-narrow">${fmtTokens(tokensOf(r))}</td>
    </tr>`;
  }

  private renderPager() {
    if (!this.loaded || this.count === 0) return nothing;
    const from = this.q.offset + 1;
    const to = this.q.offset + this.rows.length;
    return html`<div class="pager">
      <span class="grow muted" data-testid="range">Showing ${from}–${to} of ${this.count}</span>
      <button ?disabled=${this.q.offset === 0}
        @click=${() => this.goTo({ offset: Math.max(0, this.q.offset - PAGE_SIZE) })}>← Previous</button>
      <button ?disabled=${to >= this.count}
        @click=${() => this.goTo({ offset: this.q.offset + PAGE_SIZE })}>Next →</button>
    </div>`;
  }
}
