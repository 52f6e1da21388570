// The Control UI's weight and first paint, as a browser on this machine sees them.
//   * size: every file of the embedded UI as served with Accept-Encoding br and gzip
//     (budget: 300 KB compressed in all);
//   * first paint: a fresh Chromium profile opening /#token=..., N runs: first contentful
//     paint, and the time until the dashboard is signed in with its first panel on screen
//     (budget: under 1 s).
// Usage: node bench/control_ui.mjs <simpleclaw> <sc_fake_llm> [runs]
// (playwright-core comes from tests/e2e/node_modules: run tests/e2e/run.sh once first.)
const runs = Number(process.argv[4] ?? 10);
process.env.SC_BIN = process.argv[2] ?? process.env.SC_BIN;
process.env.SC_FAKE_LLM = process.argv[3] ?? process.env.SC_FAKE_LLM;
// The harness reads SC_BIN/SC_FAKE_LLM when it loads: import it after setting them.
const { startStack, openBrowser, stats } = await import("../tests/e2e/harness.mjs");
const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };

try {
  const stack = await startStack(t);
  // Sizes, as served.
  const files = ["/", "/assets/app.js", "/assets/app.css", "/favicon.svg"];
  // Raw requests: fetch would decode the bodies.
  const { request } = await import("node:http");
  const rawSize = (path, enc) => new Promise((res, rej) => {
    request({ host: "127.0.0.1", port: stack.port, path, headers: { "accept-encoding": enc, accept: "text/html" } }, (r) => {
      let n = 0;
      r.on("data", (d) => (n += d.length));
      r.on("end", () => res({ n, enc: r.headers["content-encoding"] ?? "identity" }));
    }).on("error", rej).end();
  });
  console.log("| file | identity | gzip | br |\n|---|---|---|---|");
  const totals = { identity: 0, gzip: 0, br: 0 };
  for (const f of files) {
    const sizes = {};
    for (const enc of ["identity", "gzip", "br"]) {
      const s = await rawSize(f, enc);
      sizes[enc] = s.n;
      totals[enc] += s.n;
    }
    console.log(`| ${f} | ${sizes.identity} B | ${sizes.gzip} B | ${sizes.br} B |`);
  }
  console.log(`| all | ${totals.identity} B | ${totals.gzip} B | ${totals.br} B |  (budget 307200 B compressed)\n`);

  // First paint and ready, fresh profile each run.
  const fcp = [], ready = [];
  for (let i = 0; i < runs; i++) {
    const b = await openBrowser(t);
    const t0 = Date.now();
    await b.page.goto(`${stack.url}/#token=${stack.token}`);
    await b.page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
    await b.page.locator("main > *").first().waitFor();
    ready.push(Date.now() - t0);
    fcp.push(Math.round(await b.page.evaluate(() =>
      performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1)));
    await b.browser.close();
  }
  const f = stats(fcp), r = stats(ready);
  console.log(`| ${runs} fresh loads | min | median | max |\n|---|---|---|---|`);
  console.log(`| first contentful paint (ms) | ${f.min} | ${f.median} | ${f.max} |`);
  console.log(`| signed in, first panel shown (ms) | ${r.min} | ${r.median} | ${r.max} |`);
  console.log(`budget: < 1000 ms`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
