// GatewayClient: the UI's one WebSocket to the gateway (protocol v4, SPEC §3-4).
//
// It answers connect.challenge with connect (token, device token or bootstrap token, and
// the signed device proof), matches res frames to requests, fans events out to listeners
// and reconnects with backoff when the socket drops. Panels never touch the socket: they
// call request() and on(); after a reconnect they get a "ready" again and reload.
import { loadOrCreateDevice, signConnect } from "./device";
import { Credentials, saveDeviceToken } from "./credentials";

export const CLIENT_ID = "simpleclaw-control-ui";
export const UI_VERSION = "1.0.0";
const ALL_SCOPES = ["operator.admin", "operator.read", "operator.write", "operator.approvals", "operator.pairing"];
const REQUEST_TIMEOUT_MS = 30000;

export type ConnState = "connecting" | "connected" | "disconnected" | "auth-required" | "pairing-required";

export class GatewayError extends Error {
  constructor(message: string, public code = "UNAVAILABLE", public details: any = undefined) {
    super(message);
  }
}

export interface HelloOk {
  server: { version: string; connId: string };
  features: { methods: string[]; events: string[] };
  snapshot: any;
  auth: { role: string; scopes: string[]; deviceToken?: string; user?: string };
  policy: any;
}

type Listener = (payload: any, event: string) => void;
interface Pending {
  resolve: (v: any) => void;
  reject: (e: GatewayError) => void;
  timer: number;
}

export class GatewayClient {
  state: ConnState = "connecting";
  hello: HelloOk | null = null;
  lastError = "";
  pairingRequestId = "";  // the pending request when the state is pairing-required
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private listeners = new Map<string, Set<Listener>>();
  private backoffMs = 500;
  private stopped = false;
  private retryTimer = 0;

  constructor(private url: string, private creds: Credentials) {}

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.ws?.close(1000);
  }

  // New credentials (the login form): reconnect with them.
  signIn(creds: Credentials) {
    this.creds = creds;
    this.backoffMs = 500;
    this.stopped = false;
    clearTimeout(this.retryTimer);
    const old = this.ws;
    this.ws = null;  // its close is no longer ours to handle
    old?.close(1000);
    this.open();
  }

  get scopes(): Set<string> {
    return new Set(this.hello?.auth.scopes ?? []);
  }

  hasScope(scope: string): boolean {
    const s = this.scopes;
    if (s.has("operator.admin")) return true;
    if (scope === "operator.read" && s.has("operator.write")) return true;
    return s.has(scope);
  }

  hasMethod(method: string): boolean {
    return this.hello?.features.methods.includes(method) ?? false;
  }

  // Listen to an event ("chat", "agent", ...), or to the client's own: "state" (the
  // connection changed) and "ready" (hello-ok received: load or reload data).
  on(event: string, fn: Listener): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  request<T = any>(method: string, params: object = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    if (!this.ws || this.state !== "connected")
      return Promise.reject(new GatewayError("not connected to the gateway", "UNAVAILABLE"));
    return this.send(method, params, timeoutMs);
  }

  private send<T>(method: string, params: object, timeoutMs: number): Promise<T> {
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError(`${method}: no answer in ${timeoutMs / 1000} s`, "TIMEOUT"));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.ws!.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  private emit(event: string, payload: any) {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        fn(payload, event);
      } catch (e) {
        console.error(`listener for ${event} failed`, e);
      }
    }
  }

  private setState(state: ConnState, error = "") {
    this.state = state;
    this.lastError = error;
    this.emit("state", { state, error });
  }

  private open() {
    this.setState("connecting", this.lastError);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onmessage = (m) => this.onFrame(ws, m.data);
    ws.onclose = (ev) => this.onClose(ws, ev);
  }

  private onFrame(ws: WebSocket, data: any) {
    if (ws !== this.ws) return;
    let frame: any;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "event") {
      if (frame.event === "connect.challenge") return void this.connect(frame.payload?.nonce ?? "");
      this.emit(frame.event, frame.payload);
    } else if (frame.type === "res") {
      const p = this.pending.get(frame.id);
      if (!p) return;
      this.pending.delete(frame.id);
      clearTimeout(p.timer);
      if (frame.ok) p.resolve(frame.payload);
      else {
        const e = frame.error ?? {};
        p.reject(new GatewayError(e.message ?? "request failed", e.code, e.details));
      }
    }
  }

  private async connect(nonce: string) {
    const c = this.creds;
    const auth: Record<string, string> = {};
    // A sign-in link just opened wins over a device token kept from before.
    if (c.token) auth.token = c.token;
    else if (c.bootstrapToken) auth.bootstrapToken = c.bootstrapToken;
    else if (c.deviceToken) auth.deviceToken = c.deviceToken;
    const client = {
      id: CLIENT_ID, version: UI_VERSION, platform: navigator.platform || "web", mode: "ui",
      deviceFamily: "browser", instanceId: instanceId(),
    };
    const device = await signConnect(await loadOrCreateDevice(), {
      clientId: client.id, clientMode: client.mode, role: "operator", scopes: ALL_SCOPES,
      token: auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? "", nonce,
      platform: client.platform, deviceFamily: client.deviceFamily,
    });
    try {
      const hello = await this.send<HelloOk>("connect", {
        minProtocol: 4, maxProtocol: 4, client, role: "operator", scopes: ALL_SCOPES,
        caps: ["tool-events"], auth, device, locale: navigator.language, userAgent: navigator.userAgent,
      }, REQUEST_TIMEOUT_MS);
      this.hello = hello;
      if (hello.auth.deviceToken) {
        saveDeviceToken(hello.auth.deviceToken);
        this.creds = { ...this.creds, deviceToken: hello.auth.deviceToken, bootstrapToken: undefined };
      }
      this.backoffMs = 500;
      performance.mark("simpleclaw:connected");  // read by bench/control_ui.mjs
      this.setState("connected");
      this.emit("ready", hello);
    } catch (e) {
      const err = e as GatewayError;
      const code = err.details?.code ?? "";
      if (code === "PAIRING_REQUIRED" || /pairing required/i.test(err.message)) {
        this.pairingRequestId = err.details?.requestId ?? "";
        this.setState("pairing-required", err.message);
      }
      else if (/unauthorized/i.test(err.message)) {
        // A stale device token: forget it and try the gateway token, if we have one.
        if (auth.deviceToken && c.token === undefined) this.creds = { ...c, deviceToken: undefined };
        if (auth.bootstrapToken) this.creds = { ...c, bootstrapToken: undefined };
        this.setState("auth-required", err.message);
      } else this.lastError = err.message;
    }
  }

  private onClose(ws: WebSocket, ev: CloseEvent) {
    if (ws !== this.ws) return;
    this.ws = null;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new GatewayError("the connection to the gateway closed", "UNAVAILABLE"));
    }
    this.pending.clear();
    const wasConnected = this.state === "connected";
    // An auth or pairing refusal waits for the user; anything else reconnects.
    if (this.state === "auth-required" || this.state === "pairing-required") {
      if (this.state === "pairing-required") this.scheduleRetry(3000);
      return;
    }
    this.setState("disconnected", ev.reason || this.lastError || "connection lost");
    if (wasConnected) this.backoffMs = 500;
    this.scheduleRetry(this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 10000);
  }

  private scheduleRetry(ms: number) {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.open(), ms);
  }
}

function instanceId(): string {
  let id = sessionStorage.getItem("simpleclaw.instance.v1");
  if (!id) {
    id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
    sessionStorage.setItem("simpleclaw.instance.v1", id);
  }
  return id;
}

export function defaultGatewayUrl(): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
}
