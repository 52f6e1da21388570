// A plain line diff (longest common subsequence) for reviewing a raw YAML edit. Common
// leading and trailing lines are trimmed first, so a small edit of a large file stays
// cheap; only the changed lines and a little context are shown.
export interface DiffLine { kind: " " | "+" | "-"; text: string; }

const MAX_CELLS = 4_000_000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.replace(/\n$/, "").split("\n");
  const b = after.replace(/\n$/, "").split("\n");
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf), bm = b.slice(pre, b.length - suf);
  const mid: DiffLine[] = [];
  if (am.length * bm.length > MAX_CELLS) {
    // Too big to align: show it as removed then added.
    for (const t of am) mid.push({ kind: "-", text: t });
    for (const t of bm) mid.push({ kind: "+", text: t });
  } else {
    const n = am.length, m = bm.length, w = m + 1;
    const L = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        L[i * w + j] = am[i] === bm[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) { mid.push({ kind: " ", text: am[i] }); i++; j++; }
      else if (j < m && (i >= n || L[i * w + j + 1] >= L[(i + 1) * w + j])) mid.push({ kind: "+", text: bm[j++] });
      else mid.push({ kind: "-", text: am[i++] });
    }
  }
  return [...a.slice(0, pre).map((text) => ({ kind: " " as const, text })), ...mid,
    ...a.slice(a.length - suf).map((text) => ({ kind: " " as const, text }))];
}

// The changed lines with `context` unchanged lines around them; null marks a gap.
export function withContext(lines: DiffLine[], context = 2): (DiffLine | null)[] {
  const keep = new Array(lines.length).fill(false);
  lines.forEach((l, i) => {
    if (l.kind === " ") return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = true;
  });
  const out: (DiffLine | null)[] = [];
  lines.forEach((l, i) => {
    if (keep[i]) out.push(l);
    else if (out.length && out[out.length - 1] !== null) out.push(null);
  });
  if (out[out.length - 1] === null) out.pop();
  return out;
}
