// <sc-nodes-section>: the nodes (node.list) with their commands, and a form that runs one
// command on a connected node (node.invoke) and shows its answer. Part of the Devices &
// nodes panel; a Panel itself so it reloads after a reconnect like any panel.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../../ui/panel";
import { shared } from "../../ui/styles";
import { fmtAgo } from "../../ui/format";
import { GatewayError } from "../../gateway/client";
import { NodeInfo, NodeList, shortId } from "./types";

const DEFAULT_TIMEOUT_MS = 30000;

@customElement("sc-nodes-section")
export class NodesSection extends Panel {
  static styles = [shared, css`
    form.run { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); margin-top: 10px; }
    form.run .wide { grid-column: 1 / -1; }
    /* A select's own <label for>: inside a wrapping label its options would join its name. */
    .field { display: flex; flex-direction: column; gap: 4px; font-size: 13px; }
    .result { margin-top: 10px; max-height: 420px; overflow: auto; }
  `];

  @state() private nodes: NodeInfo[] = [];
  @state() private nodeId = "";
  @state() private command = "";
  @state() private paramsText = "{}";
  @state() private timeoutMs = DEFAULT_TIMEOUT_MS;
  @state() private running = false;
  @state() private result: { ok: boolean; text: string } | null = null;
  private timer = 0;

  connectedCallback() {
    super.connectedCallback();
    // A node connecting or leaving shows in presence and in the pairing store.
    for (const ev of ["presence", "device.pair.changed", "device.pair.resolved", "node.pair.resolved"])
      this.listen(ev, () => {
        clearTimeout(this.timer);
        this.timer = window.setTimeout(() => void this.load().catch((e) => (this.error = (e as Error).message)), 400);
      });
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  protected async load() {
    const r = await this.gw.request<NodeList>("node.list", {});
    this.nodes = r.nodes;
    this.error = "";
    const live = this.nodes.filter((n) => n.connected);
    // Keep the user's choice while it is still connected; otherwise take the first.
    if (!live.some((n) => n.nodeId === this.nodeId)) this.pickNode(live[0]?.nodeId ?? "");
  }

  private pickNode(id: string) {
    this.nodeId = id;
    const cmds = this.nodes.find((n) => n.nodeId === id)?.commands ?? [];
    if (!cmds.includes(this.command)) this.command = cmds[0] ?? "";
  }

  private async run(e: SubmitEvent) {
    e.preventDefault();
    let params: unknown;
    try {
      params = this.paramsText.trim() ? JSON.parse(this.paramsText) : undefined;
    } catch (err) {
      this.result = { ok: false, text: `Params are not valid JSON: ${(err as Error).message}` };
      return;
    }
    this.running = true;
    this.result = null;
    try {
      const r = await this.gw.request<{ payload?: unknown }>("node.invoke", {
        nodeId: this.nodeId, command: this.command, params, timeoutMs: this.timeoutMs,
        idempotencyKey: crypto.randomUUID ? crypto.randomUUID() : `ui-${Date.now()}-${Math.random()}`,
      }, this.timeoutMs + 5000);
      this.result = { ok: true, text: JSON.stringify(r.payload ?? null, null, 2) };
    } catch (err) {
      const ge = err as GatewayError;
      this.result = { ok: false, text: ge.details ? `${ge.message}\n${JSON.stringify(ge.details, null, 2)}` : ge.message };
    } finally {
      this.running = false;
    }
  }

  render() {
    const live = this.nodes.filter((n) => n.connected);
    const sel = this.nodes.find((n) => n.nodeId === this.nodeId);
    const canRun = this.can("operator.write", "node.invoke");
    return html`
      <section class="card" aria-labelledby="nodes-h" data-testid="nodes">
        <h3 id="nodes-h">Nodes</h3>
        ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
        ${this.nodes.length === 0 ? html`<p class="empty" data-testid="nodes-empty">No node is paired or connected. Run
          <code>simpleclaw node</code> on a machine to make it one.</p>` : html`
          <div class="table-wrap"><table>
            <thead><tr><th>Node</th><th>State</th><th>Platform</th><th>Commands</th></tr></thead>
            <tbody>${this.nodes.map((n) => html`<tr data-testid="node-${n.nodeId}">
              <td>${n.displayName ?? shortId(n.nodeId)} <span class="muted mono">${shortId(n.nodeId)}</span></td>
              <td><span class="badge ${n.connected ? "ok" : ""}">${n.connected ? "connected" : "offline"}</span>
                ${n.connected ? nothing : html`<span class="muted">seen ${fmtAgo(n.lastSeenMs)}</span>`}</td>
              <td>${n.platform ?? "—"} ${n.version ? html`<span class="muted">v${n.version}</span>` : nothing}</td>
              <td class="mono">${(n.commands ?? []).join(", ") || "—"}</td>
            </tr>`)}</tbody>
          </table></div>`}
        ${canRun && live.length ? html`
          <form class="run" @submit=${this.run} aria-label="Run a command on a node">
            <div class="field"><label for="node-pick">Node</label>
              <select id="node-pick" .value=${this.nodeId} @change=${(e: Event) => this.pickNode((e.target as HTMLSelectElement).value)}>
                ${live.map((n) => html`<option value=${n.nodeId} ?selected=${n.nodeId === this.nodeId}>${n.displayName ?? shortId(n.nodeId)}</option>`)}
              </select></div>
            <div class="field"><label for="node-cmd">Command</label>
              <select id="node-cmd" .value=${this.command} @change=${(e: Event) => (this.command = (e.target as HTMLSelectElement).value)}>
                ${(sel?.commands ?? []).map((c) => html`<option value=${c} ?selected=${c === this.command}>${c}</option>`)}
              </select></div>
            <label>Timeout (ms)
              <input type="number" min="100" max="600000" step="100" .value=${String(this.timeoutMs)}
                @input=${(e: Event) => (this.timeoutMs = Number((e.target as HTMLInputElement).value) || DEFAULT_TIMEOUT_MS)}>
            </label>
            <label class="wide">Params (JSON)
              <textarea rows="3" .value=${this.paramsText} spellcheck="false"
                @input=${(e: Event) => (this.paramsText = (e.target as HTMLTextAreaElement).value)}></textarea>
            </label>
            <div class="wide row">
              <button class="primary" type="submit" ?disabled=${this.running || !this.command}>${this.running ? "Running…" : "Run command"}</button>
            </div>
          </form>
          ${this.result ? html`<pre class="result ${this.result.ok ? "" : "error"}" data-testid="node-result">${this.result.text}</pre>` : nothing}`
        : nothing}
      </section>`;
  }
}
