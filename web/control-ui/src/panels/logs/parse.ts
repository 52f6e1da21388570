// One line of the gateway's JSON-lines log, e.g.
//   {"time":"2026-12-05T19:00:10.376Z","level":"warning","message":"auth failed ...","event":"auth.failed","ip":"127.0.0.1"}
// parsed for display; a line that is not JSON is kept as plain text.
export type Level = "debug" | "info" | "warn" | "error";
export const LEVELS: Level[] = ["debug", "info", "warn", "error"];

export interface LogLine {
  id: number;
  raw: string;
  time: string;      // as shown (local clock time)
  iso: string;       // as logged
  level: Level;
  levelText: string; // as logged
  message: string;
  fields: [string, string][];
  haystack: string;  // lower-cased text the search box matches
}

const ALIASES: Record<string, Level> = {
  trace: "debug", debug: "debug", verbose: "debug",
  info: "info", notice: "info",
  warn: "warn", warning: "warn",
  error: "error", err: "error", fatal: "error", critical: "error", crit: "error", panic: "error",
};

let nextId = 1;

function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function parseLine(raw: string): LogLine {
  let obj: any = null;
  if (raw.startsWith("{")) {
    try {
      obj = JSON.parse(raw);
    } catch {
      obj = null;
    }
  }
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) {
    return { id: nextId++, raw, time: "", iso: "", level: "info", levelText: "", message: raw, fields: [], haystack: raw.toLowerCase() };
  }
  const levelText = String(obj.level ?? obj.lvl ?? obj.severity ?? "");
  const iso = String(obj.time ?? obj.ts ?? obj.timestamp ?? "");
  const message = String(obj.message ?? obj.msg ?? "");
  const fields: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (["time", "ts", "timestamp", "level", "lvl", "severity", "message", "msg"].includes(k)) continue;
    fields.push([k, typeof v === "string" ? v : JSON.stringify(v)]);
  }
  return {
    id: nextId++, raw, iso, time: iso ? clock(iso) : "", levelText,
    level: ALIASES[levelText.toLowerCase()] ?? "info", message, fields, haystack: raw.toLowerCase(),
  };
}

// A line the panel adds itself (the file was rotated, bytes were skipped).
export function markerLine(text: string): LogLine {
  const iso = new Date().toISOString();
  return { id: nextId++, raw: text, iso, time: clock(iso), level: "warn", levelText: "", message: text, fields: [], haystack: text.toLowerCase() };
}
