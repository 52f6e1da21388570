// <sc-app>: the dashboard's shell. It owns the GatewayClient, the sign-in and pairing
// screens, the navigation and the route (/<panel>/<rest>, served by the gateway's SPA
// fallback), and shows the current panel. Panels are in panels/registry.ts.
import { LitElement, css, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { unsafeStatic, html as staticHtml } from "lit/static-html.js";
import { GatewayClient, ConnState, defaultGatewayUrl } from "./gateway/client";
import { forgetCredentials, saveToken, savedCredentials, takeUrlHandoff } from "./gateway/credentials";
import { savedDevice } from "./gateway/device";
import { PANELS, PanelDef, panelFor } from "./panels/registry";
import { shared } from "./ui/styles";
import { Toast, toasts } from "./ui/toast";

@customElement("sc-app")
export class App extends LitElement {
  static styles = [shared, css`
    :host { display: grid; grid-template-columns: 200px 1fr; grid-template-rows: auto 1fr; height: 100vh; }
    header { grid-column: 1 / -1; display: flex; align-items: center; gap: 10px; padding: 8px 14px; border-bottom: 1px solid var(--border); background: var(--panel); }
    header .brand { font-weight: 700; font-size: 16px; color: var(--fg); text-decoration: none; }
    header button, header .badge { white-space: nowrap; }
    nav { border-right: 1px solid var(--border); background: var(--panel); overflow-y: auto; padding: 8px; }
    nav a { display: block; padding: 8px 10px; border-radius: 6px; color: var(--fg); text-decoration: none; }
    nav a[aria-current="page"] { background: color-mix(in srgb, var(--accent) 14%, transparent); color: var(--accent); font-weight: 600; }
    main { overflow: auto; padding: 16px; min-width: 0; }
    .menu { display: none; }
    .login { max-width: 420px; margin: 10vh auto; }
    .login form { display: flex; flex-direction: column; gap: 10px; }
    .toasts { position: fixed; bottom: 12px; right: 12px; display: flex; flex-direction: column; gap: 6px; z-index: 10; max-width: min(420px, 92vw); }
    .toast { background: var(--panel); border: 1px solid var(--border); border-left: 4px solid var(--accent); border-radius: 6px; padding: 8px 12px; box-shadow: 0 2px 8px rgb(0 0 0 / .15); word-break: break-word; }
    .toast.error { border-left-color: var(--danger); }
    .toast.ok { border-left-color: var(--ok); }
    @media (max-width: 720px) {
      :host { grid-template-columns: 1fr; }
      .menu { display: inline-block; }
      nav { display: none; position: fixed; top: 49px; left: 0; bottom: 0; width: 220px; z-index: 5; box-shadow: 2px 0 8px rgb(0 0 0 / .2); }
      nav.open { display: block; }
      main { padding: 10px; }
      header { gap: 6px; padding: 8px; }
      header button { padding: 6px 8px; }
    }
  `];

  @state() private conn: ConnState = "connecting";
  @state() private connError = "";
  @state() private path = location.pathname;
  @state() private navOpen = false;
  @state() private toastList: Toast[] = [];
  @state() private signedIn = false;
  private gw: GatewayClient;

  constructor() {
    super();
    const handoff = takeUrlHandoff();
    const creds = { ...savedCredentials(), ...handoff };
    this.gw = new GatewayClient(defaultGatewayUrl(), creds);
    this.gw.on("state", ({ state, error }) => {
      this.conn = state;
      this.connError = error;
    });
    this.gw.on("ready", () => {
      this.signedIn = true;
      this.requestUpdate();
    });
    if (creds.token || creds.deviceToken || creds.bootstrapToken) this.gw.start();
    else this.conn = "auth-required";
    window.addEventListener("popstate", () => (this.path = location.pathname));
    this.addEventListener("sc-navigate", (e) => this.go((e as CustomEvent<string>).detail));
    toasts.addEventListener("toast", (e) => {
      const t = (e as CustomEvent<Toast>).detail;
      this.toastList = [...this.toastList, t].slice(-4);
      setTimeout(() => (this.toastList = this.toastList.filter((x) => x.id !== t.id)), t.kind === "error" ? 8000 : 4000);
    });
  }

  private go(path: string) {
    if (path !== location.pathname) history.pushState(null, "", path);
    this.path = path;
    this.navOpen = false;
  }

  private visible(p: PanelDef): boolean {
    return (!p.scope || this.gw.hasScope(p.scope)) && this.gw.hasMethod(p.method);
  }

  private onNavClick(e: MouseEvent, path: string) {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    this.go(path);
  }

  private signIn(e: SubmitEvent) {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector("input") as HTMLInputElement;
    const token = input.value.trim();
    if (!token) return;
    saveToken(token);
    this.gw.signIn({ token });
  }

  private signOut() {
    forgetCredentials();
    this.gw.stop();
    location.reload();
  }

  render() {
    if (!this.signedIn) return this.renderGate();
    const visible = PANELS.filter((p) => this.visible(p));
    let found = panelFor(this.path);
    if (this.path === "/" || this.path === "") {
      const first = visible[0];
      if (first) queueMicrotask(() => this.go(first.path));
      found = null;
    }
    const live = this.conn === "connected";
    return html`
      <header>
        <button class="menu" aria-label="Menu" aria-expanded=${this.navOpen} @click=${() => (this.navOpen = !this.navOpen)}>☰</button>
        <a class="brand" href="/" @click=${(e: MouseEvent) => this.onNavClick(e, "/")}>simpleclaw</a>
        <span class="badge ${live ? "ok" : "warn"}" data-testid="conn-state" title=${this.connError}>${live ? "connected" : this.conn === "connecting" ? "connecting…" : "reconnecting…"}</span>
        <span class="grow"></span>
        <span class="muted hide-narrow">${this.gw.hello?.auth.user ?? ""} ${this.gw.hello?.server.version ? `v${this.gw.hello.server.version}` : ""}</span>
        <button @click=${this.signOut}>Sign out</button>
      </header>
      <nav class=${this.navOpen ? "open" : ""} aria-label="Panels">
        ${visible.map((p) => html`<a href=${p.path} aria-current=${found?.panel.id === p.id ? "page" : nothing}
            @click=${(e: MouseEvent) => this.onNavClick(e, p.path)}>${p.title}</a>`)}
      </nav>
      <main>${this.renderPanel(found)}</main>
      ${this.renderToasts()}
    `;
  }

  private renderPanel(found: { panel: PanelDef; rest: string } | null) {
    if (!found) return this.path === "/" ? nothing : html`<h2>Not found</h2><p>No page at ${this.path}.</p>`;
    if (!this.visible(found.panel))
      return html`<h2>${found.panel.title}</h2><p class="error">Your sign-in does not give access to this panel.</p>`;
    const tag = unsafeStatic(found.panel.tag);
    return staticHtml`<${tag} .gw=${this.gw} route=${found.rest}></${tag}>`;
  }

  private renderGate() {
    if (this.conn === "pairing-required") {
      const device = savedDevice();
      return html`<div class="login card" data-testid="pairing">
        <h2>Waiting for approval</h2>
        <p>This browser is a new device (<code>${device?.id.slice(0, 12) ?? "?"}</code>). Approve request
          <code>${this.gw.pairingRequestId || "?"}</code> in the Devices panel of a dashboard that is signed in,
          or run <code>simpleclaw dashboard</code> on the gateway host and open its link here.</p>
        <p class="muted">This page retries by itself.</p>
      </div>${this.renderToasts()}`;
    }
    if (this.conn === "connecting")
      return html`<div class="login"><p class="muted">Connecting to the gateway…</p></div>`;
    return html`<div class="login card">
      <h2>Sign in to simpleclaw</h2>
      ${this.connError ? html`<p class="error">${this.connError}</p>` : nothing}
      <form @submit=${this.signIn}>
        <label>Gateway token
          <input type="password" name="token" autocomplete="current-password" required placeholder="gateway.auth.token">
        </label>
        <button class="primary" type="submit">Sign in</button>
      </form>
      <p class="muted">Run <code>simpleclaw dashboard</code> on the gateway host for a link that signs this browser in.</p>
    </div>${this.renderToasts()}`;
  }

  private renderToasts() {
    return html`<div class="toasts" role="status" aria-live="polite">
      ${this.toastList.map((t) => html`<div class="toast ${t.kind}">${t.text}</div>`)}
    </div>`;
  }
}
