// Panel: the base of every page in the dashboard. The shell sets `gw` (the one
// GatewayClient) and `route` (the path after the panel's own, e.g. the session key in
// /chat/<key>). A panel implements load(), called when it is shown and again after every
// reconnect; events it follows with listen() are dropped when it is removed.
import { LitElement, PropertyValues } from "lit";
import { property, state } from "lit/decorators.js";
import { GatewayClient, GatewayError } from "../gateway/client";
import { toast } from "./toast";

export abstract class Panel extends LitElement {
  @property({ attribute: false }) gw!: GatewayClient;
  @property() route = "";
  @state() protected loading = false;
  @state() protected error = "";
  private unlisteners: (() => void)[] = [];

  connectedCallback() {
    super.connectedCallback();
    this.unlisteners.push(this.gw.on("ready", () => this.reload()));
    if (this.gw.state === "connected") this.reload();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    for (const off of this.unlisteners.splice(0)) off();
  }

  protected updated(changed: PropertyValues) {
    if (changed.has("route") && changed.get("route") !== undefined) this.routeChanged();
  }

  // The route changed while the panel stayed on screen (/chat/a -> /chat/b).
  protected routeChanged() {
    this.reload();
  }

  protected abstract load(): Promise<void>;

  protected async reload() {
    this.loading = true;
    this.error = "";
    try {
      await this.load();
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.loading = false;
      // The first panel with its data: bench/control_ui.mjs reads it.
      if (!performance.getEntriesByName("simpleclaw:panel-loaded").length)
        performance.mark("simpleclaw:panel-loaded");
    }
  }

  // A background refresh (after an event or an action): no loading state, and a failure
  // shows as the panel's error while what is on screen stays.
  protected async refresh() {
    try {
      await this.load();
      this.error = "";
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  protected listen(event: string, fn: (payload: any) => void) {
    this.unlisteners.push(this.gw.on(event, fn));
  }

  protected can(scope: string, method?: string): boolean {
    return this.gw.hasScope(scope) && (!method || this.gw.hasMethod(method));
  }

  // A request whose failure the user should see as a toast (an action, not a load).
  protected async act<T = any>(method: string, params: object = {}, done?: string): Promise<T | undefined> {
    try {
      const r = await this.gw.request<T>(method, params);
      if (done) toast(done, "ok");
      return r;
    } catch (e) {
      const err = e as GatewayError;
      toast(`${method}: ${err.message}`, "error");
      return undefined;
    }
  }

  protected navigate(path: string) {
    this.dispatchEvent(new CustomEvent("sc-navigate", { detail: path, bubbles: true, composed: true }));
  }
}
