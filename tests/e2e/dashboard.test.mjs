// `simpleclaw dashboard`: a one-time sign-in link that pairs the browser opening it, even
// where the gateway token alone would need an approval.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { BIN, startStack, openBrowser, screenshot } from "./harness.mjs";

function dashboardLink(stack) {
  const out = execFileSync(BIN, ["dashboard", "--url", `ws://127.0.0.1:${stack.port}`, "--token", stack.token, "--json"],
    { encoding: "utf8" });
  const j = JSON.parse(out);
  assert.ok(!out.includes(stack.token), "the link must never carry the gateway token");
  return j.urls[0];
}

test("the link signs a new browser in once; a second use is refused", async (t) => {
  // No automatic pairing on loopback: the browser is as new as one on another machine.
  const stack = await startStack(t, { config: "nodes: {auto_approve_loopback: false}\n" });
  const link = dashboardLink(stack);
  assert.match(link, new RegExp(`^http://127\\.0\\.0\\.1:${stack.port}/#bootstrapToken=[A-Za-z0-9_-]{20,}$`));

  const a = await openBrowser(t);
  await a.page.goto(link);
  await a.page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
  assert.equal(new URL(a.page.url()).hash, "", "the token stayed in the address bar");
  const devices = await stack.call("device.pair.list");
  const paired = devices.paired.filter((d) => d.clientId === "simpleclaw-control-ui");
  assert.equal(paired.length, 1, JSON.stringify(devices.paired));
  // The paired browser comes back after a reload on its device token alone.
  await a.page.reload();
  await a.page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
  await screenshot(a.page, "dashboard-link-signed-in");
  a.expectClean();

  const b = await openBrowser(t, { allow: [] });
  await b.page.goto(link);
  await b.page.locator(".error", { hasText: "used or expired" }).waitFor();
  await b.page.getByLabel("Gateway token").waitFor();
  b.expectClean();
});

test("without the link, the gateway token on a non-auto-paired browser waits for approval", async (t) => {
  const stack = await startStack(t, { config: "nodes: {auto_approve_loopback: false}\n" });
  const { page, expectClean } = await openBrowser(t);
  await page.goto(`${stack.url}/#token=${stack.token}`);
  const waiting = page.locator('[data-testid="pairing"]');
  await waiting.waitFor();
  const pending = (await stack.call("device.pair.list")).pending;
  assert.equal(pending.length, 1);
  assert.ok((await waiting.textContent()).includes(pending[0].requestId), "the request id is shown");
  await screenshot(page, "dashboard-pairing-required");
  // An approval elsewhere lets the waiting page in by itself.
  await stack.call("device.pair.approve", { requestId: pending[0].requestId });
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor({ timeout: 15000 });
  expectClean();
});
