// The browser tests' harness: a real gateway (the built binary) with the fake LLM and, on
// request, the fake Telegram, in a temp state dir; headless Debian Chromium driven by
// playwright-core; every console error, page error, failed request and HTTP error answer
// recorded, so a test fails on any of them (expectClean). Screenshots go to
// $SC_E2E_ARTIFACTS (build/e2e-artifacts by default).
//
// Env (set by run.sh): SC_BIN (simpleclaw), SC_FAKE_LLM (sc_fake_llm), CHROMIUM.
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
export const BIN = process.env.SC_BIN ?? join(root, "build/src/simpleclaw");
export const FAKE_LLM = process.env.SC_FAKE_LLM ?? join(root, "build/tests/sc_fake_llm");
export const ARTIFACTS = process.env.SC_E2E_ARTIFACTS ?? join(root, "build/e2e-artifacts");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const TELEGRAM_TOKEN = "123456:TEST-e2e-token";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function eventually(fn, { timeout = 10000, interval = 100, what = "condition" } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(interval);
  }
}

// A child process that prints a line with its port; resolves with the port.
function spawnWithPort(cmd, args, parse, logFile) {
  return new Promise((resolvePort, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${err}`)), 10000);
    child.stdout.on("data", (d) => {
      out += d;
      const port = parse(out);
      if (port) {
        clearTimeout(timer);
        resolvePort({ child, port });
      }
    });
    child.stderr.on("data", (d) => {
      err += d;
      if (logFile) writeFileSync(logFile, err);
    });
    child.on("exit", (code) => reject(new Error(`${cmd} exited ${code}: ${err}`)));
  });
}

// Starts the fake LLM (and the fake Telegram when `telegram`), then the gateway with
// `config` appended to the token and model sections. Cleans up when the test ends.
// `gateway` adds lines under the gateway: key (e.g. "  mode: shared\n"). SC_E2E_UI_ROOT
// serves a UI build from disk instead of the embedded one (for working on the UI without
// rebuilding the gateway).
export async function startStack(t, { config = "", gateway = "", telegram = false, llmArgs = ["--exec-when", "run-probe"], token } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), "sc-e2e-"));
  const procs = [];
  t.after(async () => {
    for (const p of procs.reverse()) p.kill("SIGTERM");
    await sleep(50);
    if (!process.env.SC_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  });
  const llm = await spawnWithPort(FAKE_LLM, llmArgs, (s) => Number(/^port (\d+)/m.exec(s)?.[1]));
  procs.push(llm.child);
  let tg = null;
  if (telegram) {
    const p = await spawnWithPort("python3", [join(root, "tests/fakes/fake_telegram.py"), TELEGRAM_TOKEN],
      (s) => { try { return JSON.parse(s.split("\n")[0]).port; } catch { return 0; } });
    procs.push(p.child);
    tg = new FakeTelegram(p.port);
  }
  const gwToken = token ?? "e2e-" + randomBytes(12).toString("hex");
  const yaml = `gateway:
  auth: {mode: token, token: ${gwToken}}
${process.env.SC_E2E_UI_ROOT ? `  control_ui: {root: ${process.env.SC_E2E_UI_ROOT}}\n` : ""}${gateway}models:
  default: fake/gpt-test
  providers:
    fake:
      api: openai
      base_url: http://127.0.0.1:${llm.port}/v1
      api_key: sk-test
      models: [{id: gpt-test, context_window: 8192, max_tokens: 256, cost: {input: 2, output: 8}}]
${tg ? `channels:
  telegram:
    token: "${TELEGRAM_TOKEN}"
    api_base: http://127.0.0.1:${tg.port}
    poll_timeout_s: 2
` : ""}${config}`;
  writeFileSync(join(tmp, "config.yaml"), yaml);
  mkdirSync(join(tmp, "state"));
  const gw = spawn(BIN, ["gateway", "--port", "0", "--config", join(tmp, "config.yaml"), "--state-dir", join(tmp, "state")],
    { stdio: ["ignore", "ignore", "pipe"] });
  let gwErr = "";
  gw.stderr.on("data", (d) => (gwErr += d));
  procs.push(gw);
  const info = await eventually(() => {
    const f = join(tmp, "state/gateway.json");
    return existsSync(f) && JSON.parse(readFileSync(f, "utf8"));
  }, { what: "the gateway to start", timeout: 15000 }).catch((e) => { throw new Error(`${e.message}\n${gwErr}`); });
  const url = `http://127.0.0.1:${info.port}`;
  return {
    tmp, port: info.port, url, token: gwToken, llmPort: llm.port, tg, gatewayLog: () => gwErr,
    // A method through our own CLI (a client that is not the browser).
    call: (method, params = {}, tok = gwToken) => cliCall(info.port, tok, method, params),
  };
}

export function cliCall(port, token, method, params = {}) {
  return new Promise((res, rej) => {
    execFile(BIN, ["call", method, "--url", `ws://127.0.0.1:${port}`, "--token", token, "--params", JSON.stringify(params)],
      { timeout: 20000 }, (err, stdout, stderr) => {
        if (err) return rej(new Error(`${method} failed: ${stderr || err.message}`));
        try { res(JSON.parse(stdout)); } catch { res(stdout); }
      });
  });
}

export class FakeTelegram {
  constructor(port) { this.port = port; }
  async control(path, body) {
    const r = await fetch(`http://127.0.0.1:${this.port}/control/${path}`, body === undefined ? {} :
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return r.json();
  }
  message(from_id, text, extra = {}) { return this.control("message", { from_id, text, ...extra }); }
  sent() { return this.control("sent"); }
}

// A fresh browser profile (a new device identity) with error capture. `allow` lists
// substrings of errors a test expects (e.g. a 401 it provokes on purpose).
// `args`: extra Chromium flags (e.g. --host-resolver-rules to give 127.0.0.1 another name).
export async function openBrowser(t, { width = 1280, height = 860, allow = [], args = [] } = {}) {
  // No background traffic (component updates, sync, field trials): the tests talk only to
  // 127.0.0.1. /dev/shm may be small in a container.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
      "--disable-background-networking", "--disable-component-update", ...args],
  });
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const errors = [];
  const record = (text) => { if (!allow.some((a) => text.includes(a))) errors.push(text); };
  page.on("console", (m) => { if (m.type() === "error") record(`console: ${m.text()}`); });
  page.on("pageerror", (e) => record(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    // A WebSocket closed by a reload or a page close is not a failure.
    if (r.failure()?.errorText === "net::ERR_ABORTED") return;
    record(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => { if (r.status() >= 400) record(`HTTP ${r.status()}: ${r.url()}`); });
  t.after(async () => { await browser.close(); });
  return { browser, context, page, errors, expectClean: () => assert.deepEqual(errors, [], "the page logged errors") };
}

// Opens the UI signed in with the gateway token (the #token= handoff) and waits for the
// connection. `path` is the panel to land on.
export async function signIn(page, stack, path = "/", token = stack.token) {
  await page.goto(`${stack.url}${path}#token=${encodeURIComponent(token)}`);
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor({ timeout: 10000 });
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Many gateway calls from a signed-in page over one extra WebSocket (a stack.call is a
// CLI process each: too slow for seeding hundreds of sessions).
// In the page: a raw gateway socket with the token, `calls` [method, params] sent with at
// most `inFlight` outstanding; resolves with {ms, results, last} (results in call order).
export function gatewayBatch(page, token, calls, inFlight = 500) {
  return page.evaluate(async ({ token, calls, inFlight }) => {
    const ws = new WebSocket(`ws://${location.host}/`);
    const pending = new Map();
    let id = 0;
    const send = (method, params) => new Promise((res, rej) => {
      const i = String(++id);
      pending.set(i, { res, rej });
      ws.send(JSON.stringify({ type: "req", id: i, method, params }));
    });
    await new Promise((resolve, reject) => {
      ws.onmessage = (m) => {
        const f = JSON.parse(m.data);
        if (f.event === "connect.challenge")
          send("connect", { minProtocol: 4, maxProtocol: 4, role: "operator", scopes: ["operator.admin"], auth: { token },
            client: { id: "bench-seed", version: "1", platform: "web", mode: "cli" } }).then(resolve, reject);
        else if (f.type === "res") {
          const p = pending.get(f.id);
          pending.delete(f.id);
          f.ok ? p.res(f.payload) : p.rej(new Error(JSON.stringify(f.error)));
        }
      };
    });
    const t0 = performance.now();
    const results = new Array(calls.length);
    let next = 0;
    const worker = async () => {
      while (next < calls.length) {
        const i = next++;
        results[i] = await send(calls[i][0], calls[i][1]);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(inFlight, calls.length) }, worker));
      return { ms: performance.now() - t0, results, last: results[results.length - 1] };
    } finally {
      ws.close();
    }
  }, { token, calls, inFlight });
}

// min / median / max of a list of numbers (the benches' tables).
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}
