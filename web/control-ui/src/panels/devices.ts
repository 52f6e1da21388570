// Devices & nodes: pairing requests waiting for an operator, the paired devices with their
// tokens (roles and scopes, never secrets), and the nodes (devices/nodes.ts). A rotated
// token is the one secret shown, once, in a card with a copy button.
import { css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { Panel } from "../ui/panel";
import { shared } from "../ui/styles";
import { fmtAgo, fmtTime } from "../ui/format";
import { confirmDialog } from "../ui/dialog";
import { toast } from "../ui/toast";
import { savedDevice } from "../gateway/device";
import { DeviceList, PairedDevice, PendingDevice, RotatedToken, TokenSummary, deviceName, shortId } from "./devices/types";
import "./devices/nodes";

@customElement("sc-devices-panel")
export class DevicesPanel extends Panel {
  static styles = [shared, css`
    .device h3 { margin: 0; }
    .device dl.kv { margin: 8px 0; }
    .tokens td, .tokens th { padding: 4px 6px; }
    .secret { border-color: var(--warn); }
    .secret label { flex: 1 1 240px; }
    .secret input { width: 100%; font-family: var(--mono); }
    .devices { display: grid; gap: var(--gap); grid-template-columns: repeat(auto-fill, minmax(min(100%, 360px), 1fr)); }
    form.rename { margin-top: 8px; }
    form.rename input { min-width: 0; }
    .scopes { word-break: break-word; }
  `];

  @state() private list: DeviceList | null = null;
  @state() private busy = new Set<string>();
  @state() private renaming = "";
  @state() private renameText = "";
  @state() private rotated: (RotatedToken & { name: string }) | null = null;
  private ownId = "";
  private timer = 0;

  connectedCallback() {
    super.connectedCallback();
    this.ownId = savedDevice()?.id ?? "";
    for (const ev of ["device.pair.requested", "device.pair.resolved", "device.pair.changed"])
      this.listen(ev, () => {
        clearTimeout(this.timer);
        this.timer = window.setTimeout(() => void this.refresh(), 200);
      });
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this.timer);
  }

  protected async load() {
    this.list = await this.gw.request<DeviceList>("device.pair.list", {});
  }


  private async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    this.busy = new Set(this.busy).add(key);
    try {
      return await fn();
    } finally {
      const b = new Set(this.busy);
      b.delete(key);
      this.busy = b;
      void this.refresh();
    }
  }

  private decide(r: PendingDevice, verb: "approve" | "reject") {
    const name = deviceName(r);
    return this.run(`req:${r.requestId}`, () =>
      this.act(`device.pair.${verb}`, { requestId: r.requestId }, verb === "approve" ? `${name} is paired` : `${name} rejected`));
  }

  private async unpair(d: PairedDevice) {
    const own = d.deviceId === this.ownId ? " This is the browser you are using: it will be signed out." : "";
    if (!(await confirmDialog(`Unpair ${deviceName(d)}? Its tokens stop working and its connections close.${own}`, "Remove", true))) return;
    await this.run(`dev:${d.deviceId}`, () => this.act("device.pair.remove", { deviceId: d.deviceId }, `${deviceName(d)} removed`));
  }

  private startRename(d: PairedDevice) {
    this.renaming = d.deviceId;
    this.renameText = d.operatorLabel ?? d.displayName ?? "";
  }

  private async saveRename(e: SubmitEvent, d: PairedDevice) {
    e.preventDefault();
    const label = this.renameText.trim();
    if (!label) return;
    const r = await this.run(`dev:${d.deviceId}`, () => this.act("device.pair.rename", { deviceId: d.deviceId, label }, "Renamed"));
    if (r) this.renaming = "";  // on failure the form stays with what was typed
  }

  private async rotate(d: PairedDevice, t: TokenSummary) {
    const r = await this.run(`tok:${d.deviceId}:${t.role}`, () =>
      this.act<RotatedToken>("device.token.rotate", { deviceId: d.deviceId, role: t.role }, `New ${t.role} token for ${deviceName(d)}`));
    if (r) this.rotated = { ...r, name: deviceName(d) };
  }

  private async revoke(d: PairedDevice, t: TokenSummary) {
    const own = d.deviceId === this.ownId ? " This browser's own connection closes too (it signs in again with the gateway token if it has it)." : "";
    if (!(await confirmDialog(`Revoke the ${t.role} token of ${deviceName(d)}? Its ${t.role} connections close.${own}`, "Revoke", true))) return;
    await this.run(`tok:${d.deviceId}:${t.role}`, () =>
      this.act("device.token.revoke", { deviceId: d.deviceId, role: t.role }, `${t.role} token of ${deviceName(d)} revoked`));
  }

  private async copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      toast("Token copied", "ok");
    } catch {
      toast("Could not copy: select the token and copy it by hand", "error");
    }
  }

  render() {
    return html`
      <div class="toolbar">
        <h2 class="grow">Devices &amp; nodes</h2>
        <button @click=${() => this.reload()} ?disabled=${this.loading}>Refresh</button>
      </div>
      ${this.error ? html`<p class="error">${this.error}</p>` : nothing}
      ${this.renderRotated()}
      ${this.list ? html`${this.renderPending(this.list.pending)}${this.renderPaired(this.list.paired)}`
        : this.loading ? html`<p class="muted">Loading…</p>` : nothing}
      ${this.gw.hasMethod("node.list") && this.gw.hasScope("operator.read") ? html`<sc-nodes-section .gw=${this.gw}></sc-nodes-section>` : nothing}
    `;
  }

  private renderRotated() {
    const r = this.rotated;
    if (!r) return nothing;
    return html`
      <section class="card secret" aria-labelledby="rotated-h" data-testid="rotated">
        <h3 id="rotated-h">New ${r.role} token for ${r.name}</h3>
        ${r.token ? html`
          <p>Shown once: copy it now and give it to the device. The old token no longer works.</p>
          <div class="row">
            <label class="grow">Token <input readonly .value=${r.token} data-testid="rotated-token" @focus=${(e: Event) => (e.target as HTMLInputElement).select()}></label>
            <button class="primary" @click=${() => this.copy(r.token!)}>Copy</button>
          </div>` : html`<p>The gateway does not hand this token out here (${r.tokenDelivery ?? "withheld"}): the device picks it up when it connects.</p>`}
        <p class="muted">Scopes: ${r.scopes.join(", ") || "—"}</p>
        <button @click=${() => (this.rotated = null)}>Done</button>
      </section>`;
  }

  private renderPending(pending: PendingDevice[]) {
    return html`
      <section class="card" aria-labelledby="pending-h" data-testid="pending">
        <h3 id="pending-h">Waiting for approval ${pending.length ? html`<span class="badge warn">${pending.length}</span>` : nothing}</h3>
        ${pending.length === 0 ? html`<p class="muted">No device is waiting. A new device connecting from another machine
          shows here until you approve it.</p>` : html`
        <div class="table-wrap"><table>
          <thead><tr><th>Device</th><th>Role and scopes</th><th>From</th><th>Asked</th><th><span class="hide-narrow">Actions</span></th></tr></thead>
          <tbody>${pending.map((r) => {
            const busy = this.busy.has(`req:${r.requestId}`);
            return html`<tr data-testid="request-${r.requestId}">
              <td>${deviceName(r)} <span class="muted mono">${shortId(r.deviceId)}</span>
                ${r.platform ? html`<div class="muted">${r.platform}${r.clientMode ? ` · ${r.clientMode}` : ""}</div>` : nothing}
                ${r.isRepair ? html`<span class="badge warn">re-pair</span>` : nothing}</td>
              <td>${r.role}<div class="muted scopes">${(r.scopes ?? []).join(", ")}</div></td>
              <td>${r.remoteIp ?? "—"}${r.browserOrigin ? html`<div class="muted">${r.browserOrigin}</div>` : nothing}</td>
              <td title=${fmtTime(r.ts)}>${fmtAgo(r.ts)}</td>
              <td><div class="row">
                <button class="primary" ?disabled=${busy} @click=${() => this.decide(r, "approve")}
                  aria-label="Approve ${deviceName(r)}">Approve</button>
                <button class="danger" ?disabled=${busy} @click=${() => this.decide(r, "reject")}
                  aria-label="Reject ${deviceName(r)}">Reject</button>
              </div></td>
            </tr>`;
          })}</tbody>
        </table></div>`}
      </section>`;
  }

  private renderPaired(paired: PairedDevice[]) {
    return html`
      <h3>Paired devices</h3>
      ${paired.length === 0 ? html`<p class="empty">No paired devices.</p>` : nothing}
      <div class="devices">${paired.map((d) => this.renderDevice(d))}</div>`;
  }

  private renderDevice(d: PairedDevice) {
    const busy = this.busy.has(`dev:${d.deviceId}`);
    const own = d.deviceId === this.ownId;
    return html`
      <article class="card device" data-testid="device-${d.deviceId}" aria-label=${deviceName(d)}>
        <div class="row">
          <h3 class="grow">${deviceName(d)}</h3>
          ${own ? html`<span class="badge ok">this browser</span>` : nothing}
          <span class="badge ${d.connected ? "ok" : ""}">${d.connected ? "online" : "offline"}</span>
        </div>
        <dl class="kv">
          <dt>Id</dt><dd class="mono" title=${d.deviceId}>${shortId(d.deviceId)}</dd>
          <dt>Client</dt><dd>${d.clientId ?? "—"}${d.clientMode ? ` (${d.clientMode})` : ""}</dd>
          ${d.platform ? html`<dt>Platform</dt><dd>${d.platform}</dd>` : nothing}
          ${d.remoteIp ? html`<dt>Address</dt><dd>${d.remoteIp}</dd>` : nothing}
          ${d.user ? html`<dt>User</dt><dd>${d.user}</dd>` : nothing}
          <dt>Paired</dt><dd title=${fmtTime(d.approvedAtMs)}>${fmtAgo(d.approvedAtMs)}${d.approvedVia ? ` (${d.approvedVia})` : ""}</dd>
          <dt>Last seen</dt><dd title=${fmtTime(d.lastSeenAtMs)}>${fmtAgo(d.lastSeenAtMs)}</dd>
          <dt>Scopes</dt><dd class="scopes">${d.scopes.join(", ") || "—"}</dd>
        </dl>
        ${this.renderTokens(d)}
        ${this.renaming === d.deviceId ? html`
          <form class="rename row" @submit=${(e: SubmitEvent) => this.saveRename(e, d)}>
            <label class="grow">New name <input maxlength="64" required .value=${this.renameText}
              @input=${(e: Event) => (this.renameText = (e.target as HTMLInputElement).value)}></label>
            <button class="primary" type="submit" ?disabled=${busy}>Save</button>
            <button type="button" @click=${() => (this.renaming = "")}>Cancel</button>
          </form>` : html`
          <div class="row">
            <button ?disabled=${busy} @click=${() => this.startRename(d)}>Rename</button>
            <button class="danger" ?disabled=${busy} @click=${() => this.unpair(d)}>Remove</button>
          </div>`}
      </article>`;
  }

  private renderTokens(d: PairedDevice) {
    if (!d.tokens.length) return html`<p class="muted" data-testid="no-tokens">No tokens: the device must pair again to connect.</p>`;
    return html`<div class="table-wrap"><table class="tokens">
      <thead><tr><th>Token</th><th>Issued</th><th><span class="hide-narrow">Actions</span></th></tr></thead>
      <tbody>${d.tokens.map((t) => {
        const busy = this.busy.has(`tok:${d.deviceId}:${t.role}`);
        return html`<tr data-testid="token-${t.role}">
          <td>${t.role}${t.scopes?.length ? html`<div class="muted scopes">${t.scopes.join(", ")}</div>` : nothing}</td>
          <td title=${fmtTime(t.rotatedAtMs ?? t.createdAtMs)}>${t.rotatedAtMs ? `rotated ${fmtAgo(t.rotatedAtMs)}` : fmtAgo(t.createdAtMs)}</td>
          <td><div class="row">
            <button ?disabled=${busy} @click=${() => this.rotate(d, t)} aria-label="Rotate ${t.role} token of ${deviceName(d)}">Rotate</button>
            <button class="danger" ?disabled=${busy} @click=${() => this.revoke(d, t)} aria-label="Revoke ${t.role} token of ${deviceName(d)}">Revoke</button>
          </div></td>
        </tr>`;
      })}</tbody>
    </table></div>`;
  }
}
