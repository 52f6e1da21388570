// Shapes of channels.status and channels.pairing.list results (schemas under
// src/gateway/protocol/schemas/methods/), only the fields the panel shows.
export type HealthState = "stopped" | "disabled" | "starting" | "healthy" | "reconnecting" | "stuck" | "failed";

export interface ChannelAccount {
  accountId: string;
  enabled: boolean;
  configured: boolean;
  linked: boolean;
  running: boolean;
  connected: boolean;
  reconnectAttempts: number;
  lastConnectedAt: number | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  lastError: string | null;
  healthState: HealthState;
  detail?: string;
  dmPolicy?: string;
  queued?: number;
}

export interface ChannelsStatus {
  ts: number;
  channelOrder: string[];
  channelAccounts: Record<string, ChannelAccount[]>;
  channelLabels: Record<string, string>;
}

export interface PairingRequest {
  requestId: string;
  code: string;
  channel: string;
  channelLabel: string;
  accountId: string;
  senderId: string;
  senderLabel: string;
  senderName?: string;
  createdAtMs: number;
  expiresAt: string;
}

export interface PairingList {
  requests: PairingRequest[];
  limits: { pendingPerAccount: number; ttlMs: number };
}

// A badge class per health state: green when it works, amber while it tries, red when it
// needs a human, plain when it is off on purpose.
export function healthClass(s: HealthState): string {
  switch (s) {
    case "healthy": return "ok";
    case "starting":
    case "reconnecting": return "warn";
    case "stuck":
    case "failed": return "bad";
    default: return "";
  }
}
