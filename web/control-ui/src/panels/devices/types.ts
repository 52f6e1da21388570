// Shapes of device.pair.list, device.token.rotate and node.list results (schemas under
// src/gateway/protocol/schemas/methods/), only the fields the panel shows. Token secrets
// never appear in a list: only the one rotate answer carries one.
export interface PendingDevice {
  requestId: string;
  deviceId: string;
  role: string;
  scopes?: string[];
  ts: number;
  displayName?: string;
  platform?: string;
  clientId?: string;
  clientMode?: string;
  remoteIp?: string;
  browserOrigin?: string;
  isRepair?: boolean;
}

export interface TokenSummary {
  role: string;
  createdAtMs: number;
  rotatedAtMs?: number;
  scopes?: string[];
}

export interface PairedDevice {
  deviceId: string;
  roles: string[];
  scopes: string[];
  approvedAtMs: number;
  lastSeenAtMs?: number;
  connected: boolean;
  tokens: TokenSummary[];
  displayName?: string;
  operatorLabel?: string;
  platform?: string;
  clientId?: string;
  clientMode?: string;
  remoteIp?: string;
  approvedVia?: string;
  user?: string;
}

export interface DeviceList { pending: PendingDevice[]; paired: PairedDevice[] }

export interface RotatedToken {
  deviceId: string;
  role: string;
  token?: string;
  tokenDelivery?: "in-band" | "withheld-cross-device";
  scopes: string[];
  rotatedAtMs: number;
}

export interface NodeInfo {
  nodeId: string;
  connected: boolean;
  paired: boolean;
  displayName?: string;
  platform?: string;
  version?: string;
  commands?: string[];
  caps?: string[];
  connectedAtMs?: number;
  lastSeenMs?: number;
}

export interface NodeList { ts: number; nodes: NodeInfo[] }

export const shortId = (id: string) => id.slice(0, 12);

export function deviceName(d: { operatorLabel?: string; displayName?: string; clientId?: string; deviceId: string }): string {
  return d.operatorLabel || d.displayName || d.clientId || shortId(d.deviceId);
}
