// What a page from another origin can do to the gateway and its dashboard: nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startStack, openBrowser } from "./harness.mjs";

// A page served from another origin ("evil.test", resolved to 127.0.0.1 by Chromium) that
// tries the gateway's WebSocket, reads its bootstrap config and frames the dashboard.
async function evilServer(t, gwPort) {
  const page = `<!doctype html><title>evil</title><body>
<iframe id="f" src="http://127.0.0.1:${gwPort}/"></iframe>
<script>
window.results = {};
const ws = new WebSocket("ws://127.0.0.1:${gwPort}/");
ws.onopen = () => { window.results.ws = "open"; };
ws.onclose = (e) => { window.results.ws = window.results.ws || "closed:" + e.code; };
fetch("http://127.0.0.1:${gwPort}/control-ui-config.json").then(
  (r) => r.text().then((t) => (window.results.fetch = "read:" + t.length)),
  (e) => (window.results.fetch = "blocked"));
</script></body>`;
  const server = createServer((req, res) => { res.setHeader("content-type", "text/html"); res.end(page); });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  return server.address().port;
}

test("a page from another origin cannot open the gateway's socket, read its config or frame the UI", async (t) => {
  const stack = await startStack(t);
  const evilPort = await evilServer(t, stack.port);
  const { page } = await openBrowser(t, { args: ["--host-resolver-rules=MAP evil.test 127.0.0.1"] });
  await page.goto(`http://evil.test:${evilPort}/`);
  await page.waitForFunction(() => window.results.ws && window.results.fetch, null, { timeout: 10000 });
  const results = await page.evaluate(() => window.results);
  assert.match(results.ws, /^closed:/, "the upgrade from evil.test must be refused");
  assert.equal(results.fetch, "blocked", "cross-origin reads of the gateway must fail");
  // The framed dashboard never loads (frame-ancestors 'none' / X-Frame-Options: DENY).
  const frame = page.frames().find((f) => f.url().includes(`127.0.0.1:${stack.port}`));
  const framedApp = frame ? await frame.locator("sc-app").count().catch(() => 0) : 0;
  assert.equal(framedApp, 0, "the dashboard rendered inside another origin's frame");
  assert.match(stack.gatewayLog(), /refused WebSocket upgrade from origin http:\/\/evil\.test/);
});

test("the dashboard's own page carries a CSP without inline script or style", async (t) => {
  const stack = await startStack(t);
  const r = await fetch(stack.url + "/");
  const csp = r.headers.get("content-security-policy");
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /connect-src 'self'/);
  assert.equal(r.headers.get("x-frame-options"), "DENY");
  const html = await r.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "an inline script in index.html");
  // The policy is enforced, not only reported: an injected inline script does not run (its
  // refusal is the one console error allowed here).
  const { page, expectClean } = await openBrowser(t, { allow: ["Content Security Policy"] });
  await page.goto(`${stack.url}/#token=${stack.token}`);
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
  const blocked = await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = 1";
    document.body.append(s);
    return window.__inline === undefined;
  });
  assert.ok(blocked, "an injected inline script ran");
  expectClean();
});
