// The Control UI's weight and first paint, as a browser on this machine sees them.
//   * size: every file of the embedded UI as served with Accept-Encoding br and gzip
//     (budget: 300 KB compressed in all);
//   * first paint: a fresh Chromium profile opening /#token=..., N runs: first contentful
//     paint, and the time until the dashboard is signed in with its first panel on screen
//     (budget: under 1 s).
// Usage: node bench/control_ui.mjs <simpleclaw> <sc_fake_llm> [runs]
// (playwright-core comes from tests/e2e/node_modules: run tests/e2e/run.sh once first; it
// needs Node >= 20, e.g. the one run.sh keeps in ~/.cache/simpleclaw-interop/node.)
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

  // First paint and ready, fresh profile each run (a new device key each time), read from
  // the page's own clock: navigation start -> first contentful paint, the connect's
  // hello-ok (performance mark simpleclaw:connected) and the first panel's data on screen
  // (simpleclaw:panel-loaded).
  const fcp = [], connected = [], panel = [];
  for (let i = 0; i < runs; i++) {
    const b = await openBrowser(t);
    await b.page.goto(`${stack.url}/#token=${stack.token}`);
    await b.page.waitForFunction(() => performance.getEntriesByName("simpleclaw:panel-loaded").length > 0);
    const m = await b.page.evaluate(() => {
      const at = (name) => Math.round(performance.getEntriesByName(name)[0]?.startTime ?? -1);
      return { fcp: at("first-contentful-paint"), connected: at("simpleclaw:connected"), panel: at("simpleclaw:panel-loaded") };
    });
    fcp.push(m.fcp);
    connected.push(m.connected);
    panel.push(m.panel);
    await b.browser.close();
  }
  const row = (name, xs) => {
    const s = stats(xs);
    console.log(`| ${name} | ${s.min} | ${s.median} | ${s.max} |`);
  };
  console.log(`| ${runs} fresh loads, ms from navigation start | min | median | max |\n|---|---|---|---|`);
  row("first contentful paint", fcp);
  row("signed in (hello-ok)", connected);
  row("first panel with its data", panel);
  console.log(`budget: first useful paint < 1000 ms`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
