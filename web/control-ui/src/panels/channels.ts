// Channels: every messaging account's health (channels.status) with Start / Stop / Logout,
// and the DM pairing requests waiting for an operator (channels.pairing.list). Both follow
// channels.changed and health events, debounced: a reconnect storm is one reload.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { fmtAgo, fmtTime } from "../ui/format";
import { confirmDialog } from "../ui/dialog";
import { ChannelAccount, ChannelsStatus, PairingList, PairingRequest, healthClass } from "./channels/types";

const REFRESH_DEBOUNCE_MS = 400;

@customElement("sc-channels-panel")
export class ChannelsPanel extends Panel {
  static styles = [shared, css`
    .account { border-top: 1px solid var(--border); padding: 10px 0; }
    .account:first-of-type { border-top: none; }
    .account .error { margin: 8px 0 0; }
    dl.kv { margin-top: 8px; }
    h3 { margin-top: 0; }
  `];

  @state() private status: ChannelsStatus | null = null;
  @state() private pairing: PairingList | null = null;
  @state() private pairingError = "";
  @state() private busy = new Set<string>();
  private timer = 0;

  connectedCallback() {
    super.connectedCallback();
    this.listen("channels.changed", () => this.refreshSoon());
    this.listen("health", () => this.refreshSoon());
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  private refreshSoon() {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), REFRESH_DEBOUNCE_MS);
  }


  protected async load() {
    const [status] = await Promise.all([
      this.gw.request<ChannelsStatus>("channels.status", {}),
      this.loadPairing(),
    ]);
    this.status = status;
  }

  private async loadPairing() {
    if (!this.can("operator.pairing", "channels.pairing.list")) return;
    try {
      this.pairing = await this.gw.request<PairingList>("channels.pairing.list", {});
      this.pairingError = "";
    } catch (e) {
      this.pairingError = (e as Error).message;
    }
  }

  private async run(key: string, fn: () => Promise<unknown>) {
    this.busy = new Set(this.busy).add(key);
    try {
      await fn();
    } finally {
      const b = new Set(this.busy);
      b.delete(key);
      this.busy = b;
      await this.refresh();
    }
  }

  private control(verb: "start" | "stop" | "logout", channel: string, acc: ChannelAccount) {
    const label = this.status?.channelLabels[channel] ?? channel;
    return this.run(`${verb}:${channel}:${acc.accountId}`, async () => {
      if (verb === "logout" && !(await confirmDialog(
        `Log out ${label} account "${acc.accountId}"? It stops and forgets the platform session it holds; ` +
        `you may have to link it again.`, "Log out", true))) return;
      const done = { start: "started", stop: "stopped", logout: "logged out" }[verb];
      await this.act(`channels.${verb}`, { channel, accountId: acc.accountId }, `${label} ${acc.accountId} ${done}`);
    });
  }

  private decide(verb: "approve" | "dismiss", r: PairingRequest) {
    return this.run(`pair:${r.channel}:${r.requestId}`, () =>
      this.act(`channels.pairing.${verb}`, { channel: r.channel, accountId: r.accountId, requestId: r.requestId },
        verb === "approve" ? `${r.senderLabel || r.senderId} may now message the assistant` : "Request dismissed"));
  }

  render() {
    return html`
      <div class="toolbar">
        <h2 class="grow">Channels</h2>
        <button @click=${() => this.reload()} ?disabled=${this.loading}>Refresh</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.renderPairing()}
      ${this.status ? this.renderChannels(this.status) : this.loading ? html`<p class="muted">Loading…</p>` : nothing}
    `;
  }

  private renderChannels(s: ChannelsStatus) {
    if (!s.channelOrder.length) return html`<p class="empty">No channels are configured (config: channels.&lt;name&gt;).</p>`;
    return s.channelOrder.map((ch) => html`
      <section class="card" aria-label=${s.channelLabels[ch] ?? ch}>
        <h3>${s.channelLabels[ch] ?? ch} <span class="muted mono">${ch}</span></h3>
        ${(s.channelAccounts[ch] ?? []).map((a) => this.renderAccount(ch, a))}
      </section>`);
  }

  private renderAccount(ch: string, a: ChannelAccount) {
    const admin = this.can("operator.admin");
    const busy = (verb: string) => this.busy.has(`${verb}:${ch}:${a.accountId}`);
    return html`
      <div class="account" data-testid="account-${ch}-${a.accountId}">
        <div class="row">
          <strong class="mono">${a.accountId}</strong>
          <span class="badge ${healthClass(a.healthState)}" data-testid="health">${a.healthState}</span>
          <span class="muted" data-testid="conn">${a.connected ? "connected" : a.running ? "not connected" : "not running"}</span>
          ${a.detail ? html`<span class="muted">${a.detail}</span>` : nothing}
          <span class="grow"></span>
          ${admin ? html`<div class="row">
            <button @click=${() => this.control("start", ch, a)} ?disabled=${a.running || busy("start")}>Start</button>
            <button @click=${() => this.control("stop", ch, a)} ?disabled=${!a.running || busy("stop")}>Stop</button>
            <button class="danger" @click=${() => this.control("logout", ch, a)} ?disabled=${busy("logout")}>Logout</button>
          </div>` : nothing}
        </div>
        <dl class="kv">
          <dt>Last inbound</dt><dd title=${fmtTime(a.lastInboundAt)}>${fmtAgo(a.lastInboundAt)}</dd>
          <dt>Last outbound</dt><dd title=${fmtTime(a.lastOutboundAt)}>${fmtAgo(a.lastOutboundAt)}</dd>
          <dt>Connected since</dt><dd>${a.connected ? fmtAgo(a.lastConnectedAt) : "—"}</dd>
          <dt>Reconnects</dt><dd data-testid="reconnects">${a.reconnectAttempts}</dd>
          ${a.queued != null ? html`<dt>Outbound queue</dt><dd>${a.queued}</dd>` : nothing}
          ${a.dmPolicy ? html`<dt>DM policy</dt><dd>${a.dmPolicy}</dd>` : nothing}
          ${!a.enabled ? html`<dt>Enabled</dt><dd>no (config)</dd>` : nothing}
        </dl>
        ${a.lastError ? html`<p class="error" data-testid="last-error">Last error: ${a.lastError}</p>` : nothing}
      </div>`;
  }

  private renderPairing() {
    if (!this.can("operator.pairing", "channels.pairing.list")) return nothing;
    const reqs = this.pairing?.requests ?? [];
    return html`
      <section class="card" aria-labelledby="pairing-h" data-testid="pairing">
        <h3 id="pairing-h">DM pairing requests</h3>
        ${this.pairingError ? html`<p class="error">${this.pairingError}</p>` : nothing}
        ${reqs.length === 0 ? html`<p class="muted">No one is waiting. With <code>dm_policy: pairing</code> an unknown
          sender gets a code, and their request shows here.</p>` : html`
        <div class="table-wrap"><table>
          <thead><tr><th>Channel</th><th>Sender</th><th>Code</th><th>Asked</th><th><span class="hide-narrow">Actions</span></th></tr></thead>
          <tbody>${reqs.map((r) => {
            const busy = this.busy.has(`pair:${r.channel}:${r.requestId}`);
            return html`<tr data-testid="pairing-${r.requestId}">
              <td>${r.channelLabel || r.channel}${r.accountId !== "default" ? html` <span class="muted">${r.accountId}</span>` : nothing}</td>
              <td>${r.senderName || r.senderLabel} <span class="muted mono">${r.senderId}</span></td>
              <td class="mono">${r.code}</td>
              <td title=${fmtTime(r.createdAtMs)}>${fmtAgo(r.createdAtMs)}</td>
              <td><div class="row">
                <button class="primary" ?disabled=${busy} @click=${() => this.decide("approve", r)}
                  aria-label="Approve ${r.senderLabel || r.senderId} (${r.code})">Approve</button>
                <button ?disabled=${busy} @click=${() => this.decide("dismiss", r)}
                  aria-label="Dismiss ${r.senderLabel || r.senderId} (${r.code})">Dismiss</button>
              </div></td>
            </tr>`;
          })}</tbody>
        </table></div>`}
      </section>`;
  }
}
