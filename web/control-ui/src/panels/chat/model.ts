// The chat's data: transcript messages as chat.history returns them, the runs still
// streaming (from chat/agent events), and the conversion of both into what is drawn.
//
// The transcript is the truth; a live run is an overlay drawn after it until the
// transcript holds the run's reply (then the overlay is dropped), so a reconnect or a
// reload never shows a reply twice.

// One transcript entry (chat.history `messages[]`): role user | assistant | toolResult.
export interface RawMessage {
  id?: string;
  role: string;
  content: any[];
  timestamp: number;
  runId?: string;
  toolCallId?: string;
  toolName?: string;
  isError?: boolean;
  stopReason?: string;
  errorMessage?: string;
  state?: string;  // absent = complete; aborted | error | injected
  __openclaw?: { id?: string; seq?: number };
}

export interface ImagePart {
  name: string;
  mime: string;
  data?: string;  // base64, for a thumbnail
  size?: number;
}

export interface ToolCall {
  id: string;
  name: string;
  args: unknown;
  result?: string;
  isError?: boolean;
  done: boolean;
}

// A run in flight (or just ended but not yet in the transcript).
export interface LiveRun {
  runId: string;
  seq: number;
  text: string;
  tools: ToolCall[];
  state: "streaming" | "final" | "aborted" | "error";
  error?: string;
  startedAt: number;
}

// A message the user sent that the transcript does not show yet.
export interface PendingUser {
  runId: string;
  text: string;
  images: ImagePart[];
  ts: number;
}

export type Item =
  | { kind: "user"; key: string; text: string; images: ImagePart[]; ts: number; pending?: boolean }
  | { kind: "assistant"; key: string; text: string; ts: number; status?: LiveRun["state"]; error?: string }
  | { kind: "tool"; key: string; call: ToolCall };

export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((p) => p && p.type === "text" && typeof p.text === "string")
    .map((p) => p.text)
    .join("\n");
}

function imagesOf(content: any[]): ImagePart[] {
  return (Array.isArray(content) ? content : [])
    .filter((p) => p && p.type === "image")
    .map((p) => ({
      name: String(p.fileName ?? "image"),
      mime: String(p.mimeType ?? p.source?.media_type ?? ""),
      data: typeof p.data === "string" ? p.data : typeof p.source?.data === "string" ? p.source.data : undefined,
      size: typeof p.sizeBytes === "number" ? p.sizeBytes : undefined,
    }));
}

// Tool results come as text parts (or, from some tools, a JSON value): shown as text.
export function resultText(result: unknown): string {
  if (result == null) return "";
  if (typeof result === "string") return result;
  const t = textOf((result as any).content ?? result);
  return t || JSON.stringify(result, null, 2);
}

export function msgKey(m: RawMessage): string {
  return m.id ?? m.__openclaw?.id ?? `${m.role}:${m.timestamp}:${m.runId ?? ""}`;
}

function order(m: RawMessage): number {
  return m.__openclaw?.seq ?? 0;
}

// Merges a page of messages into those held (by id), kept in transcript order.
export function mergeMessages(held: RawMessage[], page: RawMessage[]): RawMessage[] {
  const byKey = new Map<string, RawMessage>();
  for (const m of held) byKey.set(msgKey(m), m);
  for (const m of page) byKey.set(msgKey(m), m);
  return [...byKey.values()].sort((a, b) => order(a) - order(b) || a.timestamp - b.timestamp);
}

// The same key live and in the transcript, so a tool block the user opened while the run
// streamed stays open when the transcript takes over.
function toolKey(runId: string, callId: string): string {
  return `tool:${runId}:${callId}`;
}

// Transcript messages -> items: tool calls in assistant messages become tool items, and
// the toolResult message with the same toolCallId completes them.
export function transcriptItems(messages: RawMessage[]): Item[] {
  const items: Item[] = [];
  const calls = new Map<string, ToolCall>();
  for (const m of messages) {
    const key = msgKey(m);
    if (m.role === "user") {
      items.push({ kind: "user", key, text: textOf(m.content), images: imagesOf(m.content), ts: m.timestamp });
    } else if (m.role === "assistant") {
      const text = textOf(m.content);
      const status = m.state === "aborted" ? "aborted" : m.state === "error" ? "error" : undefined;
      if (text || m.errorMessage || status)
        items.push({ kind: "assistant", key, text, ts: m.timestamp, status, error: m.errorMessage });
      for (const p of m.content ?? []) {
        if (p?.type !== "toolCall") continue;
        const call: ToolCall = { id: String(p.id ?? ""), name: String(p.name ?? "tool"), args: p.arguments, done: false };
        calls.set(call.id, call);
        items.push({ kind: "tool", key: toolKey(m.runId ?? key, call.id), call });
      }
    } else if (m.role === "toolResult") {
      const call = calls.get(m.toolCallId ?? "");
      const result = textOf(m.content);
      if (call) Object.assign(call, { result, isError: !!m.isError, done: true });
      else
        items.push({ kind: "tool", key: toolKey(m.runId ?? key, m.toolCallId ?? key), call: { id: m.toolCallId ?? key, name: m.toolName ?? "tool", args: undefined, result, isError: !!m.isError, done: true } });
    }
  }
  return items;
}

export function liveItems(run: LiveRun): Item[] {
  const items: Item[] = run.tools.map((call) => ({ kind: "tool", key: toolKey(run.runId, call.id), call }));
  if (run.text || run.state !== "final")
    items.push({ kind: "assistant", key: `live:${run.runId}`, text: run.text, ts: run.startedAt, status: run.state, error: run.error });
  return items;
}

// The runs whose reply the transcript now holds (the overlay can go).
export function runsInTranscript(messages: RawMessage[]): Set<string> {
  const s = new Set<string>();
  for (const m of messages) if (m.runId && m.role === "assistant" && m.stopReason !== "toolUse") s.add(m.runId);
  return s;
}

export function newRun(runId: string): LiveRun {
  return { runId, seq: -1, text: "", tools: [], state: "streaming", startedAt: Date.now() };
}
