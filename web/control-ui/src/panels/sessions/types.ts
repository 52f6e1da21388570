// The parts of the gateway's session rows and transcript messages the panel reads
// (sessions.list / chat.history result schemas).
export interface SessionRow {
  key: string;
  kind: string;
  sessionId: string | null;
  agentId: string;
  updatedAt: number;
  createdAt?: number;
  status: string;
  activeRunIds: string[];
  inputTokens: number;
  outputTokens: number;
  totalTokens?: number;
  model: string;
  label?: string;
  derivedTitle?: string;
  pinned?: boolean;
  channel?: string;
  lastMessagePreview?: string;
}

export interface Message {
  id?: string;
  role: string;
  content: any[];
  timestamp: number;
  model?: string;
  usage?: { input?: number; output?: number; totalTokens?: number };
  stopReason?: string;
}

export const sessionPath = (key: string) => `/sessions/${encodeURIComponent(key)}`;
export const chatPath = (key: string) => `/chat/${encodeURIComponent(key)}`;
export const tokensOf = (r: SessionRow) => r.totalTokens ?? (r.inputTokens ?? 0) + (r.outputTokens ?? 0);
