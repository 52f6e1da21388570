// The config form, generated from config.schema's JSON Schema and UI hints: objects are
// collapsible sections, strings, numbers, booleans, enums and lists of strings are inputs,
// and anything else (lists of objects, maps such as models.providers) points to the raw
// editor instead of pretending to edit it. The form only edits `draft`; the panel turns
// draft vs base into a merge patch.
import { html, nothing, TemplateResult } from "lit";
import { Json, Obj, REDACTED, diffPatch, getPath, isObj, deepEqual, changesOf } from "./merge";

export interface Hint { label?: string; help?: string; order?: number; sensitive?: boolean; advanced?: boolean; restart?: boolean; placeholder?: string; }

export interface FormCtx {
  root: any;                       // the whole schema, for $ref
  hints: Record<string, Hint>;
  base: Obj;                       // config as loaded (secrets redacted)
  draft: Obj;                      // the user's edit of it
  readonly: boolean;
  open: Set<string>;               // expanded sections (their children render only then)
  errors: Map<string, string>;     // path -> why the typed text is not accepted
  texts: Map<string, string>;      // path -> typed text not (yet) a valid value
  set(path: string[], value: Json | undefined): void;
  refresh(): void;
  toRaw(): void;
}

const PREFERRED = ["gateway", "models", "agents", "channels", "sessions", "cron", "tools", "logging"];
const SECRET_KEY = /(^|_)(token|secret|password|api_key|apikey|private_key)$/i;

function resolve(ctx: FormCtx, s: any): any {
  let n = 0;
  while (s && typeof s.$ref === "string" && n++ < 10) {
    const m = /^#\/definitions\/(.+)$/.exec(s.$ref);
    s = m ? ctx.root.definitions?.[m[1]] : undefined;
  }
  return s ?? {};
}

function types(s: any): string[] {
  const t = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  return t.filter((x: string) => x !== "null");
}

type Kind = "object" | "string" | "number" | "boolean" | "enum" | "list" | "scalar" | "unsupported";

function kindOf(ctx: FormCtx, s: any): Kind {
  if (Array.isArray(s.enum)) return "enum";
  const t = types(s);
  if (t.length === 1) {
    if (t[0] === "object") return s.properties ? "object" : "unsupported";
    if (t[0] === "string") return "string";
    if (t[0] === "integer" || t[0] === "number") return "number";
    if (t[0] === "boolean") return "boolean";
    if (t[0] === "array") {
      const it = types(resolve(ctx, s.items ?? {}));
      return it.length && it.every((x) => x === "string" || x === "integer" || x === "number") ? "list" : "unsupported";
    }
  }
  if (t.length === 2 && t.includes("string") && (t.includes("integer") || t.includes("number"))) return "scalar";
  return "unsupported";
}

function humanize(key: string): string {
  const s = key.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const dotted = (path: string[]) => path.join(".");
const fieldId = (path: string[]) => "f-" + dotted(path).replace(/[^A-Za-z0-9_-]/g, "_");

export function isSecretPath(hints: Record<string, Hint>, path: string[], value?: unknown): boolean {
  return !!hints[dotted(path)]?.sensitive || value === REDACTED || SECRET_KEY.test(path[path.length - 1] ?? "");
}

function describe(v: unknown): string {
  if (v === undefined) return "not set";
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? "" : "s"}`;
  if (isObj(v)) return `${Object.keys(v).length} entr${Object.keys(v).length === 1 ? "y" : "ies"}`;
  return "set";
}

function orderedKeys(ctx: FormCtx, s: any, path: string[]): string[] {
  const keys = Object.keys(s.properties ?? {});
  const rank = (k: string) => {
    const h = ctx.hints[dotted([...path, k])]?.order;
    if (h !== undefined) return h;
    if (!path.length) { const i = PREFERRED.indexOf(k); return i >= 0 ? i : 100; }
    // Plain settings before nested sections, so a section opens on its own fields.
    return kindOf(ctx, resolve(ctx, s.properties[k])) === "object" ? 100 : 50;
  };
  return keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function renderForm(ctx: FormCtx): TemplateResult {
  const root = ctx.root;
  return html`${orderedKeys(ctx, root, []).map((k) => renderNode(ctx, resolve(ctx, root.properties[k]), [k]))}`;
}

function renderNode(ctx: FormCtx, s: any, path: string[]): TemplateResult {
  const kind = kindOf(ctx, s);
  const base = getPath(ctx.base, path), value = getPath(ctx.draft, path);
  if (kind === "object") {
    if (value !== undefined && !isObj(value)) return unsupported(ctx, s, path, value);
    return section(ctx, s, path);
  }
  if (kind === "unsupported") return unsupported(ctx, s, path, value);
  if (isSecretPath(ctx.hints, path, base) && (kind === "string" || kind === "scalar")) return secretField(ctx, s, path, base, value);
  if (value !== undefined && (isObj(value) || (Array.isArray(value) !== (kind === "list")))) return unsupported(ctx, s, path, value);
  return field(ctx, s, path, base, value, kind);
}

function labelOf(ctx: FormCtx, s: any, path: string[]) {
  const h = ctx.hints[dotted(path)] ?? {};
  return { label: h.label ?? s.title ?? humanize(path[path.length - 1]), help: h.help ?? s.description ?? "", h };
}

function section(ctx: FormCtx, s: any, path: string[]): TemplateResult {
  const p = dotted(path);
  const { label, help, h } = labelOf(ctx, s, path);
  const open = ctx.open.has(p);
  const changed = changesOf(getPath(ctx.base, path), diffPatch(getPath(ctx.base, path), getPath(ctx.draft, path))).length;
  const value = getPath(ctx.draft, path);
  const known = new Set(Object.keys(s.properties ?? {}));
  const extra = isObj(value) ? Object.keys(value).filter((k) => !known.has(k)) : [];
  const onToggle = (e: Event) => {
    const isOpen = (e.target as HTMLDetailsElement).open;
    if (isOpen === ctx.open.has(p)) return;
    if (isOpen) ctx.open.add(p); else ctx.open.delete(p);
    ctx.refresh();
  };
  return html`<details class="section ${path.length === 1 ? "top" : ""}" data-section=${p} ?open=${open} @toggle=${onToggle}>
    <summary><span class="sec-label">${label}</span>
      ${changed ? html`<span class="badge warn">${changed} changed</span>` : nothing}
      ${h.advanced ? html`<span class="badge">advanced</span>` : nothing}
      ${h.restart ? html`<span class="badge">restart</span>` : nothing}</summary>
    ${open ? html`<div class="section-body">
      ${help ? html`<p class="help muted">${help}</p>` : nothing}
      ${orderedKeys(ctx, s, path).map((k) => renderNode(ctx, resolve(ctx, s.properties[k]), [...path, k]))}
      ${extra.length ? html`<p class="muted">Also set here: ${extra.join(", ")} — <button type="button" class="link" @click=${ctx.toRaw}>edit in raw mode</button></p>` : nothing}
    </div>` : nothing}
  </details>`;
}

function shell(ctx: FormCtx, s: any, path: string[], input: TemplateResult, changed: boolean, note?: string) {
  const id = fieldId(path);
  const { label, help, h } = labelOf(ctx, s, path);
  const err = ctx.errors.get(dotted(path));
  return html`<div class="field ${changed ? "changed" : ""}">
    <label for=${id}>${label}${changed ? html` <span class="badge warn">changed</span>` : nothing}${h.restart ? html` <span class="badge">restart</span>` : nothing}</label>
    ${input}
    ${err ? html`<div class="field-error" role="alert">${err}</div>` : nothing}
    ${note ? html`<div class="help muted">${note}</div>` : nothing}
    ${help ? html`<div class="help muted" id=${id + "-help"}>${help}</div>` : nothing}
  </div>`;
}

function unsupported(ctx: FormCtx, s: any, path: string[], value: unknown): TemplateResult {
  const { label } = labelOf(ctx, s, path);
  return html`<div class="field unsupported" data-path=${dotted(path)}>
    <span class="ulabel">${label}</span>
    <span class="muted">${describe(value)} — <button type="button" class="link" @click=${ctx.toRaw}>edit in raw mode</button></span>
  </div>`;
}

// Empty input: back to the loaded value when that was empty too, else unset (default).
function emptyValue(base: Json | undefined): Json | undefined {
  return base === "" || (Array.isArray(base) && base.length === 0) ? base : undefined;
}

function setValue(ctx: FormCtx, path: string[], base: Json | undefined, v: Json | undefined) {
  ctx.errors.delete(dotted(path));
  ctx.texts.delete(dotted(path));
  // A value typed back to what was loaded is no change (keeps the patch minimal).
  ctx.set(path, deepEqual(v, base) ? base : v);
}

function secretField(ctx: FormCtx, s: any, path: string[], base: Json | undefined, value: Json | undefined) {
  // The loaded value is redacted: the input starts empty and only a newly typed value is
  // ever sent; emptying it again keeps the stored secret.
  const typed = value !== base && typeof value === "string" && value !== REDACTED ? value : "";
  const input = html`<input id=${fieldId(path)} data-path=${dotted(path)} type="password" autocomplete="new-password"
    .value=${typed} ?disabled=${ctx.readonly} placeholder=${base !== undefined ? "unchanged" : "not set"}
    aria-describedby=${fieldId(path) + "-help"}
    @input=${(e: Event) => {
      const v = (e.target as HTMLInputElement).value;
      setValue(ctx, path, base, v === "" ? base : v);
    }}>`;
  return shell(ctx, s, path, input, typed !== "", "secret: leave empty to keep the current value");
}

function parseNumber(s: any, text: string): number | string {
  const n = Number(text);
  if (!/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) || !Number.isFinite(n)) return "not a number";
  if (types(s).includes("integer") && !types(s).includes("number") && !Number.isInteger(n)) return "must be a whole number";
  if (typeof s.minimum === "number" && n < s.minimum) return `at least ${s.minimum}`;
  if (typeof s.maximum === "number" && n > s.maximum) return `at most ${s.maximum}`;
  return n;
}

function field(ctx: FormCtx, s: any, path: string[], base: Json | undefined, value: Json | undefined, kind: Kind) {
  const p = dotted(path);
  const id = fieldId(path);
  const changed = !deepEqual(base, value) || ctx.errors.has(p);
  const def = s.default !== undefined ? JSON.stringify(s.default) : "";
  const placeholder = s.default !== undefined && s.default !== "" ? `default: ${typeof s.default === "string" ? s.default : def}` : "";
  const common = { id, p, dis: ctx.readonly };
  let input: TemplateResult;
  if (kind === "boolean" || kind === "enum") {
    const options: string[] = kind === "boolean" ? ["true", "false"] : s.enum.map((x: unknown) => String(x));
    const cur = value === undefined ? "" : String(value);
    if (cur && !options.includes(cur)) options.push(cur);
    input = html`<select id=${common.id} data-path=${common.p} ?disabled=${common.dis} aria-describedby=${id + "-help"}
      @change=${(e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        const parsed: Json | undefined = v === "" ? undefined : kind === "boolean" ? v === "true"
          : (s.enum as Json[]).find((x) => String(x) === v) ?? v;
        setValue(ctx, path, base, parsed);
      }}>
      <option value="" ?selected=${cur === ""}>${def ? `default (${typeof s.default === "string" ? s.default : def})` : "not set"}</option>
      ${options.map((o) => html`<option value=${o} ?selected=${o === cur}>${o}</option>`)}
    </select>`;
  } else if (kind === "list") {
    const text = ctx.texts.get(p) ?? (Array.isArray(value) ? value.map(String).join("\n") : "");
    const itemTypes = types(resolve(ctx, s.items ?? {}));
    input = html`<textarea id=${common.id} data-path=${common.p} rows="3" ?disabled=${common.dis} .value=${text}
      placeholder="one per line" aria-describedby=${id + "-help"}
      @input=${(e: Event) => {
        const t = (e.target as HTMLTextAreaElement).value;
        const items: Json[] = t.split("\n").map((x) => x.trim()).filter(Boolean).map((x) =>
          !itemTypes.includes("string") || (itemTypes.includes("integer") && /^-?\d+$/.test(x) && Array.isArray(base) && base.includes(Number(x))) ? Number(x) : x);
        setValue(ctx, path, base, items.length ? items : emptyValue(base));
        ctx.texts.set(p, t);  // keep the user's line breaks while typing
      }}></textarea>`;
  } else {
    const numeric = kind === "number";
    const text = ctx.texts.get(p) ?? (value === undefined ? "" : String(value));
    input = html`<input id=${common.id} data-path=${common.p} type="text" inputmode=${numeric ? "decimal" : "text"}
      ?disabled=${common.dis} .value=${text} placeholder=${placeholder} aria-describedby=${id + "-help"}
      spellcheck="false" autocomplete="off"
      @input=${(e: Event) => {
        const t = (e.target as HTMLInputElement).value;
        if (t === "") return setValue(ctx, path, base, emptyValue(base));
        if (numeric) {
          const n = parseNumber(s, t);
          if (typeof n === "string") {
            ctx.errors.set(p, n);
            ctx.texts.set(p, t);
            ctx.refresh();
            return;
          }
          return setValue(ctx, path, base, n);
        }
        setValue(ctx, path, base, kind === "scalar" && /^-?\d+$/.test(t) && typeof base === "number" ? Number(t) : t);
      }}>`;
  }
  return shell(ctx, s, path, input, changed);
}
