// A device the gateway has not seen, connecting from a non-loopback client address (the
// interop gateway trusts 127.0.0.1 as a reverse proxy, so X-Forwarded-For names the
// client): signs OpenClaw's v3 device payload over the challenge nonce with a fresh
// Ed25519 key and prints one JSON line with what the gateway answered.
//   node device_request.cjs TOOLS_DIR URL TOKEN KEYFILE
// The key is kept in KEYFILE, so a second run is the same device (after its approval).
const crypto = require("crypto");
const fs = require("fs");
const [toolsDir, url, token, keyFile] = process.argv.slice(2);
const WebSocket = require(toolsDir + "/node_modules/ws");

let key;
if (fs.existsSync(keyFile)) {
  key = crypto.createPrivateKey(fs.readFileSync(keyFile, "utf8"));
} else {
  key = crypto.generateKeyPairSync("ed25519").privateKey;
  fs.writeFileSync(keyFile, key.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
}
const rawPub = crypto.createPublicKey(key).export({ type: "spki", format: "der" }).subarray(-32);
const b64url = (b) => Buffer.from(b).toString("base64url");
const deviceId = crypto.createHash("sha256").update(rawPub).digest("hex");
const client = { id: "cli", version: "2026.9.6", platform: "linux", deviceFamily: "Linux", mode: "cli" };
const scopes = ["operator.read"];

const ws = new WebSocket(url, { perMessageDeflate: false, headers: { "X-Forwarded-For": "203.0.113.7" } });
const done = (out) => { console.log(JSON.stringify({ deviceId, ...out })); ws.close(1000); setTimeout(() => process.exit(0), 100); };
setTimeout(() => done({ error: "timeout" }), 10000);
ws.on("error", (e) => done({ error: String(e) }));
ws.on("message", (data) => {
  const f = JSON.parse(data.toString());
  if (f.type === "event" && f.event === "connect.challenge") {
    const signedAt = Date.now();
    const payload = ["v3", deviceId, client.id, client.mode, "operator", scopes.join(","), String(signedAt),
      token, f.payload.nonce, client.platform, client.deviceFamily.toLowerCase()].join("|");
    const signature = b64url(crypto.sign(null, Buffer.from(payload, "utf8"), key));
    ws.send(JSON.stringify({ type: "req", id: "c1", method: "connect", params: {
      minProtocol: 4, maxProtocol: 4, client, caps: [], role: "operator", scopes, auth: { token },
      device: { id: deviceId, publicKey: b64url(rawPub), signature, signedAt, nonce: f.payload.nonce } } }));
  } else if (f.type === "res" && f.id === "c1") {
    done(f.ok ? { ok: true, deviceToken: Boolean(f.payload.auth && f.payload.auth.deviceToken) }
              : { ok: false, code: f.error.code, details: f.error.details || {} });
  }
});
