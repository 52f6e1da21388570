// How a pending change is shown before it is saved, and in a conflict: a list of changed
// settings (old -> new, secrets never shown) or a line diff of the YAML.
import { html, nothing, TemplateResult } from "lit";
import { Change, Json } from "./merge";
import { DiffLine } from "./line-diff";
import { Hint, isSecretPath } from "./schema-form";

export function fmtValue(v: Json | undefined, secret: boolean): string {
  if (v === undefined) return "(not set)";
  if (secret) return "(secret)";
  const s = JSON.stringify(v);
  return s.length > 200 ? s.slice(0, 199) + "…" : s;
}

// `mark`: paths to flag (in a conflict, those both sides changed).
export function renderChanges(changes: Change[], hints: Record<string, Hint>, testid: string, mark = new Set<string>()): TemplateResult {
  if (!changes.length) return html`<p class="muted">No changes.</p>`;
  return html`<div class="table-wrap"><table class="changes" data-testid=${testid}>
    <thead><tr><th>Setting</th><th>Before</th><th>After</th></tr></thead>
    <tbody>${changes.map((c) => {
      const secret = isSecretPath(hints, c.path, c.before) || isSecretPath(hints, c.path, c.after);
      const p = c.path.join(".");
      return html`<tr><td class="mono">${p}${mark.has(p) ? html` <span class="badge bad">both changed</span>` : nothing}</td>
        <td class="mono old">${fmtValue(c.before, secret)}</td><td class="mono new">${fmtValue(c.after, secret)}</td></tr>`;
    })}</tbody></table></div>`;
}

export function renderLineDiff(lines: (DiffLine | null)[], testid: string): TemplateResult {
  if (!lines.length) return html`<p class="muted">No changes.</p>`;
  return html`<pre class="diff" data-testid=${testid}>${lines.map((l) => l === null
    ? html`<span class="gap">⋯\n</span>`
    : html`<span class=${l.kind === "+" ? "add" : l.kind === "-" ? "del" : "ctx"}>${l.kind} ${l.text}\n</span>`)}</pre>`;
}
