// Agents panel: /agents lists the configured agents with a form to add one;
// /agents/<id> shows one agent: settings (name, model, fallbacks), workspace files,
// heartbeat, and delete. The parts live in panels/agents/.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { confirmDialog } from "../ui/dialog";
import { toast } from "../ui/toast";
import { Agent, ModelInfo } from "./agents/settings";
import "./agents/settings";
import "./agents/files";
import "./agents/heartbeat";

interface AgentsList {
  defaultId: string;
  mainKey: string;
  scope: string;
  agents: Agent[];
}

@customElement("sc-agents-panel")
export class AgentsPanel extends Panel {
  static styles = [shared, css`
    .create .fields { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); margin-bottom: 10px; }
    .create input, .create select { width: 100%; }
    .crumbs { margin-bottom: 8px; }
  `];

  @state() private list: AgentsList | null = null;
  @state() private models: ModelInfo[] = [];
  @state() private rev = 0;
  @state() private cName = "";
  @state() private cWorkspace = "";
  @state() private cModel = "";
  @state() private createError = "";
  @state() private creating = false;

  connectedCallback() {
    super.connectedCallback();
    // Another client (or the CLI) changed the config: the agent list may have changed.
    this.listen("config.changed", () => void this.refreshList());
  }

  protected async load() {
    const [list, models] = await Promise.all([
      this.gw.request<AgentsList>("agents.list"),
      this.gw.hasMethod("models.list") ? this.gw.request<{ models: ModelInfo[] }>("models.list").catch(() => ({ models: [] })) : { models: [] },
    ]);
    this.list = list;
    this.models = models.models;
    this.rev++;
  }

  private async refreshList() {
    try {
      this.list = await this.gw.request<AgentsList>("agents.list");
    } catch {
      // The next reconnect reloads; a failed background refresh is not worth a toast.
    }
  }

  private get agentId(): string {
    return this.route.split("/")[0] ?? "";
  }

  private async create(e: SubmitEvent) {
    e.preventDefault();
    const name = this.cName.trim();
    if (!name) return;
    const params: Record<string, string> = { name };
    if (this.cWorkspace.trim()) params.workspace = this.cWorkspace.trim();
    if (this.cModel) params.model = this.cModel;
    this.creating = true;
    this.createError = "";
    try {
      const r = await this.gw.request<{ agentId: string; name: string }>("agents.create", params);
      toast(`Agent ${r.name} created`, "ok");
      this.cName = this.cWorkspace = this.cModel = "";
      await this.refreshList();
    } catch (err) {
      // The form keeps what was typed.
      this.createError = (err as Error).message;
    } finally {
      this.creating = false;
    }
  }

  private async deleteAgent(a: Agent) {
    const ok = await confirmDialog(`Delete agent ${a.name} (${a.id})? Its sessions and transcripts are kept; its workspace files stay on disk.`, "Delete agent", true);
    if (!ok) return;
    const r = await this.act("agents.delete", { agentId: a.id }, `Agent ${a.name} deleted`);
    if (r !== undefined) {
      await this.refreshList();
      this.navigate("/agents");
    }
  }

  render() {
    const id = this.agentId;
    return id ? this.renderDetail(id) : this.renderList();
  }

  private renderList() {
    const l = this.list;
    const canWrite = this.can("operator.admin", "agents.create");
    return html`
      <h2>Agents</h2>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${!l ? html`<p class="muted">${this.loading ? "Loading…" : ""}</p>` : html`
        <div class="card table-wrap">
          <table>
            <thead><tr><th>Name</th><th>Id</th><th>Model</th><th class="hide-narrow">Workspace</th></tr></thead>
            <tbody>
              ${l.agents.map((a) => html`<tr data-agent=${a.id}>
                <td><a href=${`/agents/${encodeURIComponent(a.id)}`} @click=${(e: MouseEvent) => this.go(e, a.id)}>${a.name}</a>
                  ${a.id === l.defaultId ? html` <span class="badge ok">default</span>` : nothing}</td>
                <td class="mono">${a.id}</td>
                <td class="mono">${a.model?.primary ?? "—"}${a.model?.fallbacks?.length ? html`<span class="muted"> → ${a.model.fallbacks.join(", ")}</span>` : nothing}</td>
                <td class="mono hide-narrow">${a.workspace ?? ""}</td>
              </tr>`)}
            </tbody>
          </table>
        </div>`}
      ${canWrite ? this.renderCreate() : nothing}
    `;
  }

  private go(e: MouseEvent, id: string) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.navigate(`/agents/${encodeURIComponent(id)}`);
  }

  private renderCreate() {
    return html`<form class="card create" @submit=${this.create} aria-label="New agent">
      <h3>New agent</h3>
      ${this.createError ? html`<p class="error" role="alert">${this.createError}</p>` : nothing}
      <div class="fields">
        <label>Name
          <input name="name" required maxlength="200" .value=${this.cName} @input=${(e: Event) => (this.cName = (e.target as HTMLInputElement).value)}>
        </label>
        <label>Model
          <select name="model" @change=${(e: Event) => (this.cModel = (e.target as HTMLSelectElement).value)}>
            <option value="" ?selected=${this.cModel === ""}>default (models.default)</option>
            ${this.models.map((m) => html`<option value=${m.id} ?selected=${m.id === this.cModel}>${m.id}</option>`)}
          </select>
        </label>
        <label>Workspace (optional)
          <input name="workspace" placeholder="default: <state>/agents/<id>/workspace" .value=${this.cWorkspace}
            @input=${(e: Event) => (this.cWorkspace = (e.target as HTMLInputElement).value)}>
        </label>
      </div>
      <p class="muted">The id is made from the name (lowercase letters, digits, - and _).</p>
      <button class="primary" type="submit" ?disabled=${this.creating || !this.cName.trim()}>Create agent</button>
    </form>`;
  }

  private renderDetail(id: string) {
    const l = this.list;
    const a = l?.agents.find((x) => x.id === id);
    const back = html`<div class="crumbs"><a href="/agents" @click=${(e: MouseEvent) => { e.preventDefault(); this.navigate("/agents"); }}>← All agents</a></div>`;
    if (!l) return html`${back}${this.error ? html`<p class="error">${this.error}</p>` : html`<p class="muted">Loading…</p>`}`;
    if (!a) return html`${back}<h2>Agent ${id}</h2><p class="error">No agent with id ${id}.</p>`;
    const protectedAgent = a.id === l.defaultId || a.id === "main";
    const admin = this.can("operator.admin");
    return html`
      ${back}
      <div class="row toolbar">
        <h2 class="grow">${a.name} <span class="muted mono">${a.id}</span></h2>
        ${admin ? html`<button class="danger" ?disabled=${protectedAgent} @click=${() => this.deleteAgent(a)}
            title=${protectedAgent ? "The default agent and main cannot be deleted" : ""}>Delete agent</button>` : nothing}
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      <section class="card" aria-labelledby="s-settings">
        <h3 id="s-settings">Settings</h3>
        <sc-agent-settings .gw=${this.gw} .agent=${a} .models=${this.models} @agent-changed=${() => this.reload()}></sc-agent-settings>
      </section>
      <section class="card" aria-labelledby="s-files">
        <h3 id="s-files">Workspace files</h3>
        <sc-agent-files .gw=${this.gw} agentId=${a.id} rev=${this.rev}></sc-agent-files>
      </section>
      <section class="card" aria-labelledby="s-heartbeat">
        <h3 id="s-heartbeat">Heartbeat</h3>
        <sc-agent-heartbeat .gw=${this.gw} agentId=${a.id} rev=${this.rev}></sc-agent-heartbeat>
      </section>
    `;
  }
}
