// JSON merge patches (RFC 7396) between the config as loaded and the user's draft: the
// form never sends the whole config, only what the user changed, so a save cannot write
// back a redacted secret or undo what it did not touch.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

// config.get puts this in place of every secret; it must never be sent back.
export const REDACTED = "__SIMPLECLAW_REDACTED__";

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function clone<T>(v: T): T {
  return v === undefined ? v : JSON.parse(JSON.stringify(v));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export function getPath(root: unknown, path: string[]): Json | undefined {
  let v: any = root;
  for (const k of path) {
    if (!isObj(v)) return undefined;
    v = v[k];
  }
  return v;
}

// Sets (or, with undefined, deletes) a value, creating parent objects on the way.
export function setPath(root: Obj, path: string[], value: Json | undefined) {
  let o: Obj = root;
  for (const k of path.slice(0, -1)) {
    if (!isObj(o[k])) o[k] = {};
    o = o[k] as Obj;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
}

// The merge patch that turns `base` into `draft` (null = delete); undefined when equal.
// Objects the draft created but left empty are no change.
export function diffPatch(base: Json | undefined, draft: Json | undefined): Json | undefined {
  if (isObj(draft) && (base === undefined || isObj(base))) {
    const b: Obj = isObj(base) ? base : {};
    const out: Obj = {};
    for (const k of new Set([...Object.keys(b), ...Object.keys(draft)])) {
      if (!(k in draft)) out[k] = null;
      else {
        const d = diffPatch(b[k], draft[k]);
        if (d !== undefined) out[k] = d;
      }
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (draft === undefined) return base === undefined ? undefined : null;
  return deepEqual(base, draft) ? undefined : clone(draft);
}

// RFC 7396 apply, returning a new value.
export function applyPatch(target: Json | undefined, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyPatch(out[k], v);
  }
  return out;
}

// A patch with every redacted placeholder taken out (belt and braces: the form never
// puts one there, but a placeholder must never reach the gateway as a new value).
export function withoutPlaceholders(patch: Json): Json | undefined {
  if (patch === REDACTED) return undefined;
  if (!isObj(patch)) return patch;
  const out: Obj = {};
  for (const [k, v] of Object.entries(patch)) {
    const c = withoutPlaceholders(v);
    if (c !== undefined && !(isObj(c) && isObj(v) && Object.keys(c).length === 0)) out[k] = c;
  }
  return out;
}

export interface Change { path: string[]; before: Json | undefined; after: Json | undefined; }

// The leaves a patch changes, with the value before (from `base`) and after.
export function changesOf(base: Json | undefined, patch: Json | undefined, path: string[] = []): Change[] {
  if (patch === undefined) return [];
  const before = path.length ? getPath(base, path) : base;
  if (isObj(patch) && (before === undefined || isObj(before))) {
    return Object.entries(patch).flatMap(([k, v]) => changesOf(base, v, [...path, k]));
  }
  return [{ path, before, after: patch === null ? undefined : applyPatch(before, patch) }];
}
