// Drawing the chat's items. Model text goes through renderMarkdown (sanitised); every
// other string (file names, tool arguments and results, commands) is Lit text.
import { css, html, nothing } from "lit";
import { renderMarkdown } from "../../ui/markdown";
import { fmtBytes } from "../../ui/format";
import { ImagePart, Item, ToolCall } from "./model";

export interface Approval {
  id: string;
  request: { command?: string; cwd?: string; reason?: string; sessionKey?: string; runId?: string; allowedDecisions?: string[] };
  expiresAtMs?: number;
}

export type Decision = "allow-once" | "allow-always" | "deny";

const THUMB_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function images(list: ImagePart[]) {
  if (!list.length) return nothing;
  return html`<div class="images">${list.map((i) => html`<figure class="image">
    ${i.data && THUMB_TYPES.has(i.mime) ? html`<img src=${`data:${i.mime};base64,${i.data}`} alt=${i.name}>` : nothing}
    <figcaption class="mono">${i.name}${i.size ? html` <span class="muted">(${fmtBytes(i.size)})</span>` : nothing}</figcaption>
  </figure>`)}</div>`;
}

function argsText(args: unknown): string {
  if (args == null) return "";
  if (typeof args === "string") return args;
  return JSON.stringify(args, null, 2);
}

function tool(call: ToolCall) {
  const status = !call.done ? html`<span class="badge warn">running</span>`
    : call.isError ? html`<span class="badge bad">error</span>` : html`<span class="badge ok">done</span>`;
  return html`<details class="tool" data-testid="tool">
    <summary><span class="mono">tool: ${call.name}</span> ${status}</summary>
    ${call.args !== undefined ? html`<div class="muted small">arguments</div><pre>${argsText(call.args)}</pre>` : nothing}
    ${call.done ? html`<div class="muted small">result</div><pre class=${call.isError ? "bad" : ""}>${call.result ?? ""}</pre>` : nothing}
  </details>`;
}

export function renderItem(it: Item) {
  if (it.kind === "tool") return tool(it.call);
  if (it.kind === "user")
    return html`<div class="msg user ${it.pending ? "pending" : ""}" data-testid="msg-user">
      ${it.text ? html`<div class="text">${it.text}</div>` : nothing}
      ${images(it.images)}
    </div>`;
  const state = it.status === "streaming" ? html`<span class="badge">streaming…</span>`
    : it.status === "aborted" ? html`<span class="badge warn" data-testid="run-aborted">aborted</span>`
    : it.status === "error" || it.error ? html`<span class="badge bad">error</span>` : nothing;
  return html`<div class="msg assistant" data-testid="msg-assistant">
    ${it.text ? html`<div class="md">${renderMarkdown(it.text)}</div>` : it.status === "streaming" ? html`<span class="muted">…</span>` : nothing}
    ${it.error ? html`<p class="error">${it.error}</p>` : nothing}
    ${state}
  </div>`;
}

export function renderApproval(a: Approval, busy: boolean, decide: (a: Approval, d: Decision) => void) {
  const allowed = a.request.allowedDecisions ?? ["allow-once", "allow-always", "deny"];
  return html`<div class="approval card" data-testid="approval" role="group" aria-label="Command approval">
    <div><strong>The agent wants to run a command</strong></div>
    <pre class="cmd">${a.request.command ?? "(no command)"}</pre>
    ${a.request.reason ? html`<div class="muted small">${a.request.reason}</div>` : nothing}
    <div class="row">
      ${allowed.includes("allow-once") ? html`<button class="primary" ?disabled=${busy} @click=${() => decide(a, "allow-once")}>Allow once</button>` : nothing}
      ${allowed.includes("allow-always") ? html`<button ?disabled=${busy} @click=${() => decide(a, "allow-always")}>Allow always</button>` : nothing}
      ${allowed.includes("deny") ? html`<button class="danger" ?disabled=${busy} @click=${() => decide(a, "deny")}>Deny</button>` : nothing}
    </div>
  </div>`;
}

export const chatStyles = css`
  :host { display: flex; flex-direction: column; height: 100%; min-height: 320px; }
  .toolbar label { flex-direction: row; align-items: center; gap: 6px; }
  .toolbar select { max-width: min(320px, 70vw); }
  .log { flex: 1 1 auto; min-height: 0; overflow-y: auto; display: flex; flex-direction: column; gap: 10px;
    padding: 4px 2px 10px; }
  .msg { max-width: min(760px, 92%); padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border); overflow-wrap: anywhere; }
  .msg.user { align-self: flex-end; background: color-mix(in srgb, var(--accent) 12%, var(--panel)); }
  .msg.user .text { white-space: pre-wrap; }
  .msg.pending { opacity: .75; }
  .msg.assistant { align-self: flex-start; background: var(--panel); }
  .md > :first-child { margin-top: 0; }
  .md > :last-child { margin-bottom: 0; }
  .md img { max-width: 100%; }
  .md table { display: block; overflow-x: auto; }
  .tool { align-self: flex-start; max-width: min(760px, 92%); border: 1px dashed var(--border); border-radius: 8px; padding: 4px 10px; background: var(--panel); }
  .tool summary { cursor: pointer; }
  .tool pre { margin: 4px 0; max-height: 320px; overflow: auto; }
  pre.bad { color: var(--danger); }
  .small { font-size: 12px; }
  .images { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
  .image { margin: 0; max-width: 160px; }
  .image img { max-width: 160px; max-height: 120px; border-radius: 6px; display: block; }
  .image figcaption { font-size: 12px; overflow-wrap: anywhere; }
  .approval { align-self: stretch; border-color: var(--warn); margin: 0; }
  .approval .cmd { margin: 6px 0; }
  .older { align-self: center; }
  .composer { border-top: 1px solid var(--border); padding-top: 8px; display: flex; flex-direction: column; gap: 6px; }
  .composer textarea { font-family: var(--font); font-size: 14px; resize: vertical; min-height: 60px; }
  .composer .row { justify-content: flex-end; }
  .files { display: flex; flex-wrap: wrap; gap: 6px; }
  .file { display: inline-flex; align-items: center; gap: 4px; border: 1px solid var(--border); border-radius: 999px; padding: 0 4px 0 10px; font-size: 12px; max-width: 100%; overflow-wrap: anywhere; }
  .file button { min-height: 24px; padding: 0 6px; border: none; }
  .attach input { position: absolute; width: 1px; height: 1px; opacity: 0; }
  .attach { position: relative; }
  .attach span { display: inline-flex; align-items: center; font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--border); background: var(--panel); cursor: pointer; min-height: 32px; }
  .attach:focus-within span { outline: 2px solid var(--accent); outline-offset: 1px; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (max-width: 600px) { .msg, .tool { max-width: 100%; } }
`;
