// <sc-agent-files>: the agent's workspace files (AGENTS.md, SOUL.md, ...) in a plain
// monospace editor. Unsaved text lives in a module-level map keyed by agent and file, so
// switching files, a reload after a reconnect, leaving the page or a failed save never
// loses it; only a successful save clears it.
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient, GatewayError } from "../../gateway/client";
import { fmtBytes, fmtTime } from "../../ui/format";
import { shared } from "../../ui/styles";
import { toast } from "../../ui/toast";

interface FileInfo {
  name: string;
  path: string;
  missing: boolean;
  size?: number;
  updatedAtMs?: number;
  content?: string; // loaded on demand (agents.files.get)
}

const drafts = new Map<string, string>();
const draftKey = (agentId: string, name: string) => `${agentId}\u0000${name}`;

@customElement("sc-agent-files")
export class AgentFiles extends LitElement {
  static styles = [shared, css`
    .files { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 8px; }
    .files button[aria-pressed="true"] { border-color: var(--accent); color: var(--accent); font-weight: 600; }
    .dirty { color: var(--warn); font-weight: 700; }
    textarea { min-height: 320px; resize: vertical; }
    .editor-head { margin-bottom: 6px; }
    .editor-label { display: flex; width: 100%; margin-bottom: 8px; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  @property() agentId = "";
  // Bumped by the panel on every (re)load: the list is read again, drafts stay.
  @property({ type: Number }) rev = 0;
  @state() private files: FileInfo[] = [];
  @state() private selected = "";
  @state() private error = "";
  @state() private fileError = "";
  @state() private saving = false;
  @state() private workspace = "";
  // Bumped by each open and save: file reads and writes run on the gateway's worker pool
  // and may answer out of order, so an older read's answer (or error) is dropped.
  private action = 0;

  // Reloading or closing the tab with unsaved text asks first (the drafts map is in memory).
  private onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (this.files.some((f) => this.dirty(f))) e.preventDefault();
  };

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener("beforeunload", this.onBeforeUnload);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener("beforeunload", this.onBeforeUnload);
  }

  updated(changed: Map<string, unknown>) {
    if ((changed.has("agentId") || changed.has("rev")) && this.agentId) void this.loadList();
  }

  private async loadList() {
    const agentId = this.agentId;
    try {
      const r = await this.gw.request<{ workspace: string; files: FileInfo[] }>("agents.files.list", { agentId });
      if (agentId !== this.agentId) return;
      this.error = "";
      this.workspace = r.workspace;
      this.files = r.files;
      const keep = this.files.some((f) => f.name === this.selected);
      await this.open(keep ? this.selected : this.files[0]?.name ?? "");
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  private async open(name: string) {
    this.selected = name;
    this.fileError = "";
    if (!name) return;
    const agentId = this.agentId;
    const action = ++this.action;
    try {
      const r = await this.gw.request<{ file: FileInfo }>("agents.files.get", { agentId, name });
      if (agentId !== this.agentId || action !== this.action) return;
      this.files = this.files.map((f) => (f.name === name ? r.file : f));
    } catch (e) {
      if (action === this.action) this.fileError = (e as Error).message;
    }
  }

  private draft(name: string): string | undefined {
    return drafts.get(draftKey(this.agentId, name));
  }

  private dirty(f: FileInfo): boolean {
    const d = this.draft(f.name);
    return d !== undefined && d !== (f.content ?? "");
  }

  private onInput(e: Event) {
    drafts.set(draftKey(this.agentId, this.selected), (e.target as HTMLTextAreaElement).value);
    this.requestUpdate();
  }

  private async save() {
    const f = this.files.find((x) => x.name === this.selected);
    if (!f) return;
    const content = this.draft(f.name) ?? f.content ?? "";
    this.saving = true;
    this.fileError = "";
    ++this.action;  // a read still on its way must not overwrite this save's outcome
    try {
      await this.gw.request("agents.files.set", { agentId: this.agentId, name: f.name, content });
      drafts.delete(draftKey(this.agentId, f.name));
      toast(`${f.name} saved`, "ok");
      await this.open(f.name);
    } catch (e) {
      // The draft stays in the editor: the user can retry or copy it.
      this.fileError = `Not saved: ${(e as GatewayError).message}`;
    } finally {
      this.saving = false;
    }
  }

  private revert() {
    drafts.delete(draftKey(this.agentId, this.selected));
    this.requestUpdate();
  }

  render() {
    if (this.error) return html`<p class="error">${this.error}</p>`;
    const f = this.files.find((x) => x.name === this.selected);
    return html`
      <p class="muted mono">${this.workspace}</p>
      <div class="files" role="group" aria-label="Workspace files">
        ${this.files.map((x) => html`<button aria-pressed=${x.name === this.selected} data-file=${x.name}
            @click=${() => this.open(x.name)}>${x.name}${this.dirty(x) ? html` <span class="dirty" title="unsaved changes">•</span>` : nothing}${x.missing ? html` <span class="badge">create</span>` : nothing}</button>`)}
      </div>
      ${f ? this.renderEditor(f) : nothing}
    `;
  }

  private renderEditor(f: FileInfo) {
    const dirty = this.dirty(f);
    const loaded = f.content !== undefined || f.missing;
    return html`
      <div class="row editor-head">
        <strong>${f.name}</strong>
        ${f.missing ? html`<span class="badge warn">missing: saving creates it</span>`
          : html`<span class="muted">${fmtBytes(f.size)} · ${fmtTime(f.updatedAtMs)}</span>`}
        ${dirty ? html`<span class="badge warn" data-testid="unsaved">unsaved changes</span>` : nothing}
      </div>
      ${this.fileError ? html`<p class="error" role="alert">${this.fileError}</p>` : nothing}
      <label class="editor-label">
        <span class="muted">Content of ${f.name}</span>
        <textarea spellcheck="false" .value=${this.draft(f.name) ?? f.content ?? ""}
          ?disabled=${!loaded} @input=${this.onInput}></textarea>
      </label>
      <div class="row">
        <button class="primary" ?disabled=${this.saving || (!dirty && !f.missing)} @click=${this.save}>
          ${f.missing ? "Create" : "Save"} ${f.name}</button>
        <button ?disabled=${!dirty || this.saving} @click=${this.revert}>Discard changes</button>
      </div>
    `;
  }
}
