// The Sessions panel with 10,000 sessions: how long until the first page of rows is on
// screen (target: under 200 ms).
//   * seeding: 10,000 sessions.create over ONE WebSocket (opened from the signed-in page:
//     Node 20 has no WebSocket without a flag), 500 requests in flight;
//   * "nav click": the dashboard signed in on another panel, a click on Sessions in the
//     navigation until 50 rows are in the table (measured in the page: performance.now()
//     at the click, then every animation frame until the rows are there);
//   * "page load": a new navigation to /sessions (the saved sign-in) until the rows are
//     there, from the navigation's start (includes loading the UI and the handshake);
//   * "sessions.list": the request alone (limit 50, derived titles), over the same socket.
// Usage: node bench/control_ui_sessions.mjs <simpleclaw> <sc_fake_llm> [sessions] [runs]
// The UI comes from SC_E2E_UI_ROOT when set (else the gateway's embedded build);
// playwright-core from tests/e2e/node_modules (run tests/e2e/run.sh once first).
process.env.SC_BIN = process.argv[2] ?? process.env.SC_BIN;
process.env.SC_FAKE_LLM = process.argv[3] ?? process.env.SC_FAKE_LLM;
// The harness reads SC_BIN/SC_FAKE_LLM when it loads: import it after setting them.
const { startStack, openBrowser, signIn } = await import("../tests/e2e/harness.mjs");

const SESSIONS = Number(process.argv[4] ?? 10000);
const RUNS = Number(process.argv[5] ?? 9);
const TARGET_MS = 200;
const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

// In the page: a raw gateway socket with the token, `calls` [method, params] sent with at
// most `inFlight` outstanding; resolves with {ms, results of the last `keep` calls}.
function gatewayBatch(page, token, calls, inFlight = 500) {
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
      return { ms: performance.now() - t0, last: results[results.length - 1] };
    } finally {
      ws.close();
    }
  }, { token, calls, inFlight });
}

// In the page: click the nav link `title` and time until the sessions table has `rows`
// rows (checked every animation frame; the frame after they appear is when they paint).
function timeNavClick(page, title, rows) {
  return page.evaluate(({ title, rows }) => new Promise((resolve, reject) => {
    const app = document.querySelector("sc-app").shadowRoot;
    const link = [...app.querySelectorAll("nav a")].find((a) => a.textContent.trim() === title);
    if (!link) return reject(new Error(`no nav link ${title}`));
    const count = () => app.querySelector("sc-sessions-panel")?.shadowRoot?.querySelector("sc-session-list")
      ?.shadowRoot?.querySelectorAll('[data-testid="sessions-table"] tbody tr').length ?? 0;
    const t0 = performance.now();
    const deadline = t0 + 10000;
    const tick = () => {
      if (count() >= rows) return requestAnimationFrame(() => resolve(performance.now() - t0));
      if (performance.now() > deadline) return reject(new Error("rows did not appear in 10 s"));
      requestAnimationFrame(tick);
    };
    link.click();
    requestAnimationFrame(tick);
  }), { title, rows });
}

const rowsSelector = '[data-testid="sessions-table"] tbody tr';

try {
  const stack = await startStack(t);
  const { page } = await openBrowser(t);
  await signIn(page, stack, "/status");

  const calls = Array.from({ length: SESSIONS }, (_, i) =>
    ["sessions.create", { key: `agent:main:bench:s-${String(i).padStart(5, "0")}`, label: `Bench session ${i}` }]);
  const seeded = await gatewayBatch(page, stack.token, calls);
  const count = (await stack.call("sessions.list", { limit: 1 })).count;
  console.log(`seeded ${count} sessions in ${Math.round(seeded.ms)} ms (${SESSIONS} sessions.create over one WebSocket)\n`);

  const listMs = [];
  for (let i = 0; i < RUNS; i++)
    listMs.push((await gatewayBatch(page, stack.token, [["sessions.list", { limit: 50, offset: 0, includeDerivedTitles: true }]])).ms);

  // Nav click: from Health to Sessions and back, RUNS times (one warm-up run first).
  const nav = [];
  for (let i = 0; i <= RUNS; i++) {
    const ms = await timeNavClick(page, "Sessions", 50);
    if (i > 0) nav.push(ms);
    await page.locator("sc-app nav a", { hasText: "Health" }).click();
    await page.waitForTimeout(300);
  }

  // Page load: a new navigation to /sessions with the saved sign-in.
  const load = [];
  for (let i = 0; i <= RUNS; i++) {
    await page.goto(`${stack.url}/sessions`);
    await page.locator(rowsSelector).nth(49).waitFor({ timeout: 15000 });
    const ms = await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(performance.now()))));
    if (i > 0) load.push(ms);
  }

  const fmt = (n) => `${Math.round(n)} ms`;
  console.log(`| ${SESSIONS} sessions, ${RUNS} runs | min | median | max | target |`);
  console.log("|---|---|---|---|---|");
  for (const [name, xs, target] of [["nav click → 50 rows", nav, TARGET_MS], ["page load → 50 rows", load, null],
    ["sessions.list (limit 50) round trip", listMs, null]]) {
    const s = stats(xs);
    const verdict = target == null ? "—" : `< ${target} ms: ${s.median < target ? "met" : "MISSED"}`;
    console.log(`| ${name} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.max)} | ${verdict} |`);
  }
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
