// Time zones and times for the schedule builder: the zone list, times shown in a job's
// zone (not the browser's), and a datetime-local wall time in a zone turned into the
// instant an "at" schedule needs (the gateway takes "at" as an ISO instant only).

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

let zones: string[] | null = null;
export function timeZones(): string[] {
  if (!zones) {
    let list: string[] = [];
    try {
      list = Intl.supportedValuesOf("timeZone");
    } catch {
      list = [browserZone()];
    }
    zones = [...new Set(["UTC", ...list])];
  }
  return zones;
}

// "Mon, 7 Dec 2026, 02:30 CET" in `tz` (24-hour clock, so a test or a reader sees 02:30).
export function fmtInZone(ms: number, tz: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, {
      timeZone: tz || undefined, weekday: "short", year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
    }).format(ms);
  } catch {
    return new Date(ms).toISOString();
  }
}

// The zone's offset from UTC at `ms`, in ms (Berlin in winter: +3600000).
function offsetAt(ms: number, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

// "2026-12-24T18:00" as a wall time in `tz` -> epoch ms (NaN when unreadable).
export function zonedToMs(local: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return NaN;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
  // Two passes: the offset at the first guess may differ across a DST change.
  let ms = wall - offsetAt(wall, tz);
  ms = wall - offsetAt(ms, tz);
  return ms;
}

// epoch ms -> "2026-12-24T18:00" as the wall time in `tz` (for a datetime-local input).
export function msToZoned(ms: number, tz: string): string {
  const d = new Date(ms + offsetAt(ms, tz));
  return d.toISOString().slice(0, 16);
}
