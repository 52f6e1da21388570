// The browser's device identity (SPEC §4): an Ed25519 key pair kept in localStorage, its
// id the hex SHA-256 of the raw public key. WebCrypto does the key work where the page is
// a secure context (localhost, https): native, a millisecond; on a plain-http LAN address
// WebCrypto is absent and noble (pure JavaScript, ~100 ms for its first key) does it.
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

// The saved identity, if any (the pairing screen shows its id).
export function savedDevice(): DeviceIdentity | null {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (saved && typeof saved.privateKey === "string" && typeof saved.id === "string") return saved;
  } catch {
    // A damaged entry: a new identity is made (the old one needs pairing again anyway).
  }
  return null;
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410), for WebCrypto's importKey.
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
const subtle: SubtleCrypto | undefined = globalThis.crypto?.subtle;
let webKey: { seed: string; key: CryptoKey } | null = null;

async function webCryptoSign(seed: string, data: Uint8Array): Promise<Uint8Array | null> {
  if (!subtle) return null;
  try {
    if (webKey?.seed !== seed) {
      const pkcs8 = new Uint8Array([...PKCS8_PREFIX, ...fromB64url(seed)]);
      webKey = { seed, key: await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]) };
    }
    return new Uint8Array(await subtle.sign({ name: "Ed25519" }, webKey.key, data as BufferSource));
  } catch {
    return null;  // a browser without Ed25519 in WebCrypto
  }
}

async function newKeyPair(): Promise<{ seed: Uint8Array; pub: Uint8Array }> {
  if (subtle) {
    try {
      const pair = (await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey));
      const pub = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
      return { seed: pkcs8.slice(pkcs8.length - 32), pub };
    } catch {
      // no Ed25519 in this browser's WebCrypto: noble below
    }
  }
  const seed = ed.utils.randomSecretKey();
  return { seed, pub: ed.getPublicKey(seed) };
}

export async function loadOrCreateDevice(): Promise<DeviceIdentity> {
  const saved = savedDevice();
  if (saved) return saved;
  const { seed, pub } = await newKeyPair();
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

export async function signConnect(device: DeviceIdentity, f: SignInput) {
  const signedAt = Date.now();
  const norm = (v: string) => v.trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
  const payload = ["v3", device.id, f.clientId, f.clientMode, f.role, f.scopes.join(","),
    String(signedAt), f.token, f.nonce, norm(f.platform), norm(f.deviceFamily)].join("|");
  const data = new TextEncoder().encode(payload);
  const sig = (await webCryptoSign(device.privateKey, data)) ?? ed.sign(data, fromB64url(device.privateKey));
  return { id: device.id, publicKey: device.publicKey, signature: b64url(sig), signedAt, nonce: f.nonce };
}
