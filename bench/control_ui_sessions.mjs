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
// playwright-core from tests/e2e/node_modules (run tests/e2e/run.sh once first; Node >= 20,
// e.g. the one run.sh keeps in ~/.cache/simpleclaw-interop/node).
process.env.SC_BIN = process.argv[2] ?? process.env.SC_BIN;
process.env.SC_FAKE_LLM = process.argv[3] ?? process.env.SC_FAKE_LLM;
// The harness reads SC_BIN/SC_FAKE_LLM when it loads: import it after setting them.
const { startStack, openBrowser, signIn, gatewayBatch, stats } = await import("../tests/e2e/harness.mjs");

const SESSIONS = Number(process.argv[4] ?? 10000);
const RUNS = Number(process.argv[5] ?? 9);
const TARGET_MS = 200;
const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };

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
