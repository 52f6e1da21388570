// One transcript message as the session browser shows it: text parts as markdown
// (renderMarkdown sanitizes), tool calls and results as their JSON, images as a note.
import { css, html, nothing } from "lit";
import { renderMarkdown } from "../../ui/markdown";
import { fmtTime } from "../../ui/format";
import { Message } from "./types";

const MAX_JSON_CHARS = 4000;

export const transcriptStyles = css`
  .msg { border: 1px solid var(--border); border-radius: var(--radius); padding: 8px 10px; margin-bottom: 8px; background: var(--panel); }
  .msg.user { border-left: 4px solid var(--accent); }
  .msg.assistant { border-left: 4px solid var(--ok); }
  .msg .head { display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin-bottom: 4px; }
  .msg .role { font-weight: 600; color: var(--fg); text-transform: capitalize; }
  .md { overflow-wrap: anywhere; }
  .md > :first-child { margin-top: 0; }
  .md > :last-child { margin-bottom: 0; }
  .md img { max-width: 100%; }
  details pre { max-height: 320px; overflow: auto; }
`;

function json(v: unknown): string {
  const s = JSON.stringify(v, null, 2) ?? "";
  return s.length > MAX_JSON_CHARS ? s.slice(0, MAX_JSON_CHARS) + "\n…" : s;
}

function renderPart(part: any) {
  if (part == null) return nothing;
  if (typeof part === "string") return html`<div class="md">${renderMarkdown(part)}</div>`;
  if (part.type === "text") return html`<div class="md">${renderMarkdown(String(part.text ?? ""))}</div>`;
  if (part.type === "image") return html`<p class="muted">[image${part.mimeType ? ` ${part.mimeType}` : ""}]</p>`;
  if (part.type === "thinking") return html`<details><summary>thinking</summary><pre>${String(part.thinking ?? "")}</pre></details>`;
  const name = part.name ?? part.toolName ?? "";
  return html`<details><summary>${part.type ?? "part"}${name ? html` <span class="mono">${name}</span>` : nothing}</summary>
    <pre>${json(part)}</pre></details>`;
}

export function renderMessage(m: Message) {
  const tokens = m.usage?.totalTokens;
  return html`<article class="msg ${m.role}">
    <div class="head">
      <span class="role">${m.role}</span>
      <span>${fmtTime(m.timestamp)}</span>
      ${m.model ? html`<span class="mono">${m.model}</span>` : nothing}
      ${tokens ? html`<span>${tokens} tokens</span>` : nothing}
    </div>
    ${(Array.isArray(m.content) ? m.content : [m.content]).map(renderPart)}
  </article>`;
}
