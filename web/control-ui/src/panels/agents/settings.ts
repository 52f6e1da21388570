// <sc-agent-settings>: an agent's name, model and fallback models. Name and model go
// through agents.update; fallbacks, which agents.update does not take, through the
// agent's config entry (config.patch). Fires "agent-changed" after a save.
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { GatewayClient } from "../../gateway/client";
import { shared } from "../../ui/styles";
import { toast } from "../../ui/toast";
import { editAgentEntry } from "./config-entry";

export interface Agent {
  id: string;
  name: string;
  model?: { primary: string; fallbacks?: string[] };
  workspace?: string;
  identity?: Record<string, unknown>;
}

export interface ModelInfo {
  id: string;
  name: string;
  provider: string;
  available: boolean;
}

@customElement("sc-agent-settings")
export class AgentSettings extends LitElement {
  static styles = [shared, css`
    form { display: flex; flex-direction: column; gap: 10px; }
    .fields { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
    ol { margin: 0; padding-left: 22px; }
    ol li { margin-bottom: 4px; }
    .fb-name { min-width: 0; word-break: break-all; }
    fieldset { border: 1px solid var(--border); border-radius: 6px; margin: 0; }
  `];

  @property({ attribute: false }) gw!: GatewayClient;
  @property({ attribute: false }) agent!: Agent;
  @property({ attribute: false }) models: ModelInfo[] = [];
  @state() private name = "";
  @state() private model = "";
  @state() private fallbacks: string[] = [];
  @state() private addChoice = "";
  @state() private error = "";
  @state() private saving = false;
  private shownFor = "";

  willUpdate(changed: Map<string, unknown>) {
    // A new agent object (a reload) refreshes the form unless the user has edits.
    if (changed.has("agent") && this.agent && (this.shownFor !== this.agent.id || !this.dirty)) {
      this.shownFor = this.agent.id;
      this.name = this.agent.name;
      this.model = this.agent.model?.primary ?? "";
      this.fallbacks = [...(this.agent.model?.fallbacks ?? [])];
    }
  }

  private get dirty(): boolean {
    const a = this.agent;
    if (!a) return false;
    return this.name !== a.name || this.model !== (a.model?.primary ?? "") ||
      JSON.stringify(this.fallbacks) !== JSON.stringify(a.model?.fallbacks ?? []);
  }

  // The models to choose from: models.list plus anything the agent already uses.
  private choices(): string[] {
    const ids = this.models.map((m) => m.id);
    for (const x of [this.agent?.model?.primary ?? "", ...this.fallbacks]) if (x && !ids.includes(x)) ids.push(x);
    return ids;
  }

  private move(i: number, d: number) {
    const f = [...this.fallbacks];
    const j = i + d;
    if (j < 0 || j >= f.length) return;
    [f[i], f[j]] = [f[j], f[i]];
    this.fallbacks = f;
  }

  private addFallback(addable: string[]) {
    const m = addable.includes(this.addChoice) ? this.addChoice : addable[0];
    if (m) this.fallbacks = [...this.fallbacks, m];
    this.addChoice = "";
  }

  private async save(e: SubmitEvent) {
    e.preventDefault();
    const a = this.agent;
    const name = this.name.trim();
    if (!name) return void (this.error = "The name cannot be empty.");
    this.saving = true;
    this.error = "";
    try {
      const update: Record<string, unknown> = {};
      if (name !== a.name) update.name = name;
      if (this.model !== (a.model?.primary ?? "")) update.model = this.model || null;
      if (Object.keys(update).length) await this.gw.request("agents.update", { agentId: a.id, ...update });
      if (JSON.stringify(this.fallbacks) !== JSON.stringify(a.model?.fallbacks ?? [])) {
        const fallbacks = [...this.fallbacks];
        await editAgentEntry(this.gw, a.id, (entry) => { entry.fallbacks = fallbacks; }, `fallbacks of agent ${a.id} (Control UI)`);
      }
      toast(`${name} saved`, "ok");
      this.shownFor = "";  // take the saved values from the reload
      this.dispatchEvent(new CustomEvent("agent-changed", { bubbles: true, composed: true }));
    } catch (err) {
      this.error = `Not saved: ${(err as Error).message}`;
    } finally {
      this.saving = false;
    }
  }

  render() {
    const choices = this.choices();
    const addable = choices.filter((m) => !this.fallbacks.includes(m));
    return html`
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <form @submit=${this.save}>
        <div class="fields">
          <label>Name
            <input name="name" required maxlength="200" .value=${this.name} @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)}>
          </label>
          <label>Model
            <select name="model" @change=${(e: Event) => (this.model = (e.target as HTMLSelectElement).value)}>
              <option value="" ?selected=${this.model === ""}>default (models.default)</option>
              ${choices.map((m) => html`<option value=${m} ?selected=${m === this.model}>${m}</option>`)}
            </select>
          </label>
        </div>
        <fieldset>
          <legend>Fallback models (tried in order when the model fails)</legend>
          ${this.fallbacks.length ? html`<ol data-testid="fallbacks">${this.fallbacks.map((m, i) => html`<li class="row">
              <span class="mono grow fb-name">${m}</span>
              <button type="button" aria-label=${`Move ${m} up`} ?disabled=${i === 0} @click=${() => this.move(i, -1)}>↑</button>
              <button type="button" aria-label=${`Move ${m} down`} ?disabled=${i === this.fallbacks.length - 1} @click=${() => this.move(i, 1)}>↓</button>
              <button type="button" aria-label=${`Remove fallback ${m}`} @click=${() => (this.fallbacks = this.fallbacks.filter((x) => x !== m))}>✕</button>
            </li>`)}</ol>` : html`<p class="muted">None.</p>`}
          ${addable.length ? html`<div class="row">
            <label>Add a fallback
              <select @change=${(e: Event) => (this.addChoice = (e.target as HTMLSelectElement).value)}>
                ${addable.map((m) => html`<option value=${m} ?selected=${m === this.addChoice}>${m}</option>`)}
              </select>
            </label>
            <button type="button" @click=${() => this.addFallback(addable)}>Add fallback</button>
          </div>` : nothing}
        </fieldset>
        <div class="row">
          <button class="primary" type="submit" ?disabled=${this.saving || !this.dirty}>Save settings</button>
          ${this.dirty ? html`<span class="badge warn">unsaved changes</span>` : nothing}
        </div>
      </form>
    `;
  }
}
