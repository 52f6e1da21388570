// The Devices & nodes panel: this browser listed as a paired device; a second browser from
// "another machine" waits for approval, is approved from the panel, renamed, gets a rotated
// token (shown once, copyable), loses it on revoke and is removed; a node host's commands
// run from the panel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack, openBrowser, signIn, screenshot, eventually, BIN } from "./harness.mjs";

// The gateway trusts loopback as a reverse proxy, so a browser whose requests carry
// X-Forwarded-For counts as a client on another machine: it is not paired silently.
const TRUST_LOOPBACK_PROXY = "  trusted_proxies: [127.0.0.1/32]\n";
const REMOTE = { "X-Forwarded-For": "203.0.113.7" };

const deviceIdOf = (page) => page.evaluate(() => JSON.parse(localStorage.getItem("simpleclaw.device.v1")).id);
const paired = async (stack) => (await stack.call("device.pair.list", {})).paired;

test("a remote browser is rejected, then approved, renamed, its token rotated and revoked, then removed", async (t) => {
  const stack = await startStack(t, { gateway: TRUST_LOOPBACK_PROXY });
  const { browser, context, page, expectClean } = await openBrowser(t);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  await signIn(page, stack, "/devices");
  const ownId = await deviceIdOf(page);
  const own = page.locator(`[data-testid="device-${ownId}"]`);
  await own.getByText("this browser").waitFor();
  assert.match(await own.textContent(), /simpleclaw-control-ui/);
  await own.locator('[data-testid="token-operator"]').waitFor();
  await page.getByText("No device is waiting").waitFor();
  await page.locator('[data-testid="nodes-empty"]').waitFor();
  await screenshot(page, "devices-own");

  // A second browser "elsewhere" asks to pair; its request shows live.
  const remoteCtx = await browser.newContext({ extraHTTPHeaders: REMOTE });
  const remote = await remoteCtx.newPage();
  await remote.goto(`${stack.url}/chat#token=${encodeURIComponent(stack.token)}`);
  await remote.locator('[data-testid="pairing"]').waitFor();
  const remoteId = await deviceIdOf(remote);
  const pendingFor = (other = "") => eventually(async () =>
    (await stack.call("device.pair.list", {})).pending.find((r) => r.deviceId === remoteId && r.requestId !== other),
    { what: "a pending request", timeout: 15000 });
  const first = await pendingFor();
  const firstRow = page.locator(`[data-testid="request-${first.requestId}"]`);
  await firstRow.waitFor();
  assert.match(await firstRow.textContent(), /203\.0\.113\.7/);
  assert.match(await firstRow.textContent(), /operator/);
  await screenshot(page, "devices-pending");
  // Reject: the request goes and the device stays unpaired.
  await firstRow.getByRole("button", { name: "Reject" }).click();
  await firstRow.waitFor({ state: "detached" });
  assert.ok(!(await paired(stack)).some((d) => d.deviceId === remoteId));
  assert.equal(await remote.locator('[data-testid="conn-state"]').count(), 0, "the rejected browser got in");

  // The waiting page retries, which files a new request; this one is approved.
  const req = await pendingFor(first.requestId);
  const reqRow = page.locator(`[data-testid="request-${req.requestId}"]`);
  await reqRow.getByRole("button", { name: "Approve" }).click();
  await reqRow.waitFor({ state: "detached" });
  // The waiting browser gets in by itself (it retries).
  await remote.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor({ timeout: 15000 });
  const card = page.locator(`[data-testid="device-${remoteId}"]`);
  await card.waitFor();
  assert.ok((await paired(stack)).some((d) => d.deviceId === remoteId));

  // Rename.
  await card.getByRole("button", { name: "Rename" }).click();
  await card.getByLabel("New name").fill("Ada's laptop");
  await card.getByRole("button", { name: "Save" }).click();
  await page.locator(`[data-testid="device-${remoteId}"] h3`, { hasText: "Ada's laptop" }).waitFor();
  assert.equal((await paired(stack)).find((d) => d.deviceId === remoteId).operatorLabel, "Ada's laptop");

  // Rotate: the new token is shown once and copies to the clipboard.
  await card.getByRole("button", { name: "Rotate operator token" }).click();
  const rotated = page.locator('[data-testid="rotated"]');
  await rotated.waitFor();
  assert.match(await rotated.textContent(), /New operator token for Ada's laptop/);
  const token = await rotated.locator('[data-testid="rotated-token"]').inputValue();
  assert.ok(token.length >= 32, `a short token: ${token}`);
  await rotated.getByRole("button", { name: "Copy" }).click();
  await page.getByText("Token copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
  await screenshot(page, "devices-rotated");
  const tok = (await paired(stack)).find((d) => d.deviceId === remoteId).tokens.find((x) => x.role === "operator");
  assert.ok(tok.rotatedAtMs > 0, "the gateway did not record the rotation");
  assert.ok(!JSON.stringify(await stack.call("device.pair.list", {})).includes(token), "the list leaks the token");
  await rotated.getByRole("button", { name: "Done" }).click();
  await rotated.waitFor({ state: "detached" });

  // Revoke asks first, then the device holds no token and its connection closes.
  await card.getByRole("button", { name: "Revoke operator token" }).click();
  await page.locator("dialog.sc-confirm").getByRole("button", { name: "Revoke" }).click();
  await card.locator('[data-testid="no-tokens"]').waitFor();
  assert.deepEqual((await paired(stack)).find((d) => d.deviceId === remoteId).tokens, []);

  // Remove asks first; the device leaves the list.
  await card.getByRole("button", { name: "Remove" }).click();
  await page.locator("dialog.sc-confirm").getByRole("button", { name: "Remove" }).click();
  await card.waitFor({ state: "detached" });
  assert.ok(!(await paired(stack)).some((d) => d.deviceId === remoteId));
  assert.ok((await paired(stack)).some((d) => d.deviceId === ownId), "our own device went too");
  await screenshot(page, "devices-removed");
  await page.setViewportSize({ width: 360, height: 780 });
  await own.getByRole("button", { name: "Rename" }).waitFor();
  const overflow = await page.evaluate(() => {
    const main = document.querySelector("sc-app").shadowRoot.querySelector("main");
    return main.scrollWidth - main.clientWidth;
  });
  assert.ok(overflow <= 1, `the panel is ${overflow}px wider than a 360 px screen`);
  await screenshot(page, "devices-narrow");
  expectClean();
});

test("a connected node is listed and runs a command from the panel", async (t) => {
  const stack = await startStack(t);
  const node = spawn(BIN, ["node", "--url", `ws://127.0.0.1:${stack.port}`, "--token", stack.token,
    "--state-dir", mkdtempSync(join(tmpdir(), "sc-e2e-node-"))], { stdio: "ignore" });
  t.after(() => node.kill("SIGTERM"));
  const nodeId = await eventually(async () => (await stack.call("node.list", {})).nodes.find((n) => n.connected)?.nodeId,
    { what: "the node to connect" });
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/devices");
  const row = page.locator(`[data-testid="node-${nodeId}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /connected/);
  assert.match(await row.textContent(), /system\.info/);
  await page.getByLabel("Command", { exact: true }).selectOption("system.info");
  await page.getByRole("button", { name: "Run command" }).click();
  const result = page.locator('[data-testid="node-result"]');
  await result.waitFor();
  const resultText = await result.textContent();
  let out;
  try { out = JSON.parse(resultText); } catch { assert.fail(`node.invoke did not answer JSON: ${resultText}`); }
  assert.equal(typeof out.hostname, "string");
  assert.ok(out.cpus >= 1);
  await screenshot(page, "devices-node-run");

  // Bad params keep what was typed and say why.
  await page.getByLabel("Params (JSON)").fill("{not json");
  await page.getByRole("button", { name: "Run command" }).click();
  await result.filter({ hasText: "not valid JSON" }).waitFor();
  assert.equal(await page.getByLabel("Params (JSON)").inputValue(), "{not json");

  // The node leaves: it shows offline.
  node.kill("SIGTERM");
  await row.getByText("offline").waitFor({ timeout: 15000 });
  expectClean();
});
