// The browser's device identity (SPEC §4): an Ed25519 key pair kept in localStorage, its
// id the hex SHA-256 of the raw public key. Pure JavaScript (noble), so it works on a
// plain-http LAN address where WebCrypto is unavailable.
import * as ed from "@noble/ed25519";
import { sha256, sha512 } from "@noble/hashes/sha2.js";

ed.hashes.sha512 = sha512;

const STORAGE_KEY = "simpleclaw.device.v1";

export interface DeviceIdentity {
  id: string;
  publicKey: string;  // base64url, raw 32 bytes
  privateKey: string; // base64url, raw 32-byte seed
}

export function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function loadOrCreateDevice(): DeviceIdentity {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (saved && typeof saved.privateKey === "string" && typeof saved.id === "string") return saved;
  } catch {
    // A damaged entry: make a new identity (the old one needs pairing again anyway).
  }
  const seed = ed.utils.randomSecretKey();
  const pub = ed.getPublicKey(seed);
  const device = { id: hex(sha256(pub)), publicKey: b64url(pub), privateKey: b64url(seed) };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(device));
  return device;
}

// The connect payload's device proof: a v3 signature over the fields the gateway checks.
export interface SignInput {
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  token: string;
  nonce: string;
  platform: string;
  deviceFamily: string;
}

export function signConnect(device: DeviceIdentity, f: SignInput) {
  const signedAt = Date.now();
  const norm = (v: string) => v.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  const payload = ["v3", device.id, f.clientId, f.clientMode, f.role, f.scopes.join(","),
    String(signedAt), f.token, f.nonce, norm(f.platform), norm(f.deviceFamily)].join("|");
  const sig = ed.sign(new TextEncoder().encode(payload), fromB64url(device.privateKey));
  return { id: device.id, publicKey: device.publicKey, signature: b64url(sig), signedAt, nonce: f.nonce };
}
