// Health (/status): the gateway process (status: version, uptime, RSS, connections;
// admin-only in shared mode, so the card falls back to what hello-ok told everyone),
// event-loop delay, channels, agents, and the clients connected now (system-presence).
// `health` and `presence` events keep it live; status is re-read every few seconds.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { fmtAgo, fmtBytes, fmtDuration } from "../ui/format";
import { Health, Presence, Status, channelBadge, loopBadge } from "./health/model";

const STATUS_EVERY_MS = 5000;

@customElement("sc-health-panel")
export class HealthPanel extends Panel {
  static styles = [shared, css`
    .grid { grid-template-columns: repeat(auto-fill, minmax(min(100%, 280px), 1fr)); }
    .card h3 { margin-top: 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .big { font-size: 20px; font-weight: 600; }
    ul.plain { list-style: none; margin: 0; padding: 0; }
    ul.plain li { padding: 4px 0; border-bottom: 1px solid var(--border); display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
    ul.plain li:last-child { border-bottom: none; }
    td.client { word-break: break-all; }
  `];

  @state() private health: Health | null = null;
  @state() private status: Status | null = null;
  @state() private presence: Presence[] = [];
  @state() private presenceError = "";
  @state() private now = Date.now();
  private statusAllowed = true;
  private startedAt = 0;  // from hello-ok when status is not available
  private timer = 0;
  private statusAt = 0;  // when status was read: uptime keeps counting between reads

  connectedCallback() {
    super.connectedCallback();
    this.listen("health", (h: Health) => (this.health = h));
    this.listen("presence", (p: { presence?: Presence[] }) => {
      if (Array.isArray(p?.presence)) this.presence = p.presence;
      void this.loadStatus();  // its connection counts changed too
    });
    this.timer = window.setInterval(() => this.poll(), STATUS_EVERY_MS);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  protected async load() {
    const hello = this.gw.hello;
    if (hello?.snapshot?.uptimeMs != null) this.startedAt = Date.now() - hello.snapshot.uptimeMs;
    this.statusAllowed = this.gw.hasMethod("status");
    const [health] = await Promise.all([
      this.gw.request<Health>("health"),
      this.loadStatus(),
      this.loadPresence(),
    ]);
    this.health = health;
  }

  private async loadStatus() {
    if (!this.statusAllowed) return;
    try {
      this.status = await this.gw.request<Status>("status");
      this.statusAt = Date.now();
    } catch {
      // Refused (not an admin in shared mode): hide the details, keep the rest.
      this.statusAllowed = false;
      this.status = null;
    }
  }

  private async loadPresence() {
    if (!this.gw.hasMethod("system-presence")) return;
    try {
      this.presence = await this.gw.request<Presence[]>("system-presence");
      this.presenceError = "";
    } catch (e) {
      this.presenceError = (e as Error).message;
    }
  }

  private poll() {
    this.now = Date.now();
    if (this.gw.state === "connected" && document.visibilityState === "visible") void this.loadStatus();
  }

  render() {
    const h = this.health;
    return html`
      <div class="toolbar"><h2 class="grow">Health</h2>
        <button @click=${() => this.reload()} ?disabled=${this.loading}>Refresh</button></div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${!h && !this.error ? html`<p class="muted">Loading…</p>` : nothing}
      ${h ? html`<div class="grid">
        ${this.renderGateway()}
        ${this.renderLoop(h)}
        ${this.renderChannels(h)}
        ${this.renderAgents(h)}
      </div>` : nothing}
      ${this.renderPresence()}
    `;
  }

  private renderGateway() {
    const s = this.status;
    const version = s?.version ?? this.gw.hello?.server.version ?? "—";
    const uptime = s ? s.uptimeMs + Math.max(0, this.now - this.statusAt) : this.startedAt ? this.now - this.startedAt : null;
    return html`<section class="card" data-testid="health-gateway">
      <h3>Gateway</h3>
      <dl class="kv">
        <dt>Version</dt><dd data-testid="health-version">${version}</dd>
        <dt>Uptime</dt><dd data-testid="health-uptime">${uptime != null ? fmtDuration(Math.max(0, uptime)) : "—"}</dd>
        ${s ? html`
          <dt>PID</dt><dd>${s.pid}</dd>
          <dt>Memory (RSS)</dt><dd data-testid="health-rss">${fmtBytes(s.rssBytes)}</dd>
          <dt>Connections</dt><dd data-testid="health-connections">${s.connections.total} (${s.connections.operators} operators, ${s.connections.nodes} nodes${s.connections.pending ? `, ${s.connections.pending} pending` : ""})</dd>
          <dt>Listening</dt><dd class="mono">${s.gateway.url}${s.gateway.tls?.enabled ? " (TLS)" : ""}</dd>
          <dt>Mode</dt><dd>${s.gateway.mode}, auth ${s.gateway.authMode}</dd>` : nothing}
        ${this.health ? html`<dt>Config reload</dt><dd>${this.health.configReload.hotReloadStatus}</dd>
          <dt>Plugins</dt><dd>${this.health.plugins.loaded.length} loaded${this.health.plugins.errors.length ? html`, <span class="badge bad">${this.health.plugins.errors.length} failed</span>` : ""}</dd>` : nothing}
      </dl>
    </section>`;
  }

  private renderLoop(h: Health) {
    const l = h.eventLoop;
    const b = loopBadge(l);
    return html`<section class="card" data-testid="health-event-loop">
      <h3>Event loop <span class="badge ${b.cls}">${b.text}</span></h3>
      <div class="big" data-testid="health-loop-p99">${l.delayP99Ms.toFixed(1)} ms <span class="muted">p99 delay</span></div>
      <dl class="kv">
        <dt>Max delay</dt><dd data-testid="health-loop-max">${l.delayMaxMs.toFixed(1)} ms</dd>
        <dt>Utilization</dt><dd>${(l.utilization * 100).toFixed(1)}%</dd>
        <dt>CPU</dt><dd>${(l.cpuCoreRatio * 100).toFixed(1)}% of a core</dd>
        <dt>Sampled every</dt><dd>${l.intervalMs} ms</dd>
        ${l.reasons.length ? html`<dt>Why degraded</dt><dd>${l.reasons.join(", ").replace(/_/g, " ")}</dd>` : nothing}
      </dl>
    </section>`;
  }

  private renderChannels(h: Health) {
    const ids = h.channelOrder.length ? h.channelOrder : Object.keys(h.channels);
    return html`<section class="card" data-testid="health-channels">
      <h3>Channels</h3>
      ${ids.length ? html`<ul class="plain">${ids.map((id) => {
        const c = h.channels[id] ?? {};
        const b = channelBadge(c);
        const accounts = Object.keys(c.accounts ?? {}).length;
        return html`<li><span class="grow">${h.channelLabels[id] ?? id}</span>
          ${accounts > 1 ? html`<span class="muted">${accounts} accounts</span>` : nothing}
          <span class="badge ${b.cls}">${b.text}</span></li>`;
      })}</ul>` : html`<p class="muted">No channels configured.</p>`}
    </section>`;
  }

  private renderAgents(h: Health) {
    return html`<section class="card" data-testid="health-agents">
      <h3>Agents</h3>
      <ul class="plain">${h.agents.map((a) => html`<li>
        <span class="grow">${a.agentId}${a.isDefault ? html` <span class="badge">default</span>` : nothing}</span>
        <span class="muted">${a.sessions.count} session${a.sessions.count === 1 ? "" : "s"}</span>
        <span class="muted">heartbeat ${a.heartbeat.enabled ? a.heartbeat.every : "off"}</span></li>`)}</ul>
      <p class="muted">${h.sessions.count} sessions in all${h.heartbeatSeconds ? `, heartbeat every ${fmtDuration(h.heartbeatSeconds * 1000)}` : ""}.</p>
    </section>`;
  }

  private renderPresence() {
    if (!this.gw.hasMethod("system-presence")) return nothing;
    return html`<section class="card" data-testid="health-presence">
      <h3>Connected clients <span class="badge">${this.presence.length}</span></h3>
      ${this.presenceError ? html`<p class="error">${this.presenceError}</p>` : nothing}
      <div class="table-wrap"><table>
        <thead><tr><th>Client</th><th>Mode</th><th>IP</th><th class="hide-narrow">Version</th><th class="hide-narrow">Platform</th><th>Since</th></tr></thead>
        <tbody>${this.presence.map((p) => html`<tr>
          <td class="client">${p.host ?? p.text ?? "—"}${p.reason === "self" ? html` <span class="badge">this gateway</span>` : nothing}</td>
          <td>${p.mode ?? "—"}</td><td class="mono">${p.ip ?? "—"}</td>
          <td class="hide-narrow">${p.version ?? "—"}</td><td class="hide-narrow">${p.platform ?? "—"}</td>
          <td title=${new Date(p.ts).toLocaleString()}>${fmtAgo(p.ts)}</td></tr>`)}</tbody>
      </table></div>
    </section>`;
  }
}
