// The Health panel (/status): gateway card, event loop, channels, agents and the list of
// connected clients, kept live by presence events.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

const uiRows = (page) => page.locator('[data-testid="health-presence"] tbody tr', { hasText: "simpleclaw-control-ui" });

test("health shows version, uptime, event loop and the connected UI clients live", async (t) => {
  const stack = await startStack(t);
  const { page, context, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/status");
  const status = await stack.call("status");
  await page.getByTestId("health-version").filter({ hasText: status.version }).waitFor();
  assert.match(await page.getByTestId("health-uptime").textContent(), /^\d+(s|m \d+s)$/);
  assert.match(await page.getByTestId("health-rss").textContent(), /\d(\.\d)? (KB|MB|GB)/);
  assert.match(await page.getByTestId("health-connections").textContent(), /^\d+ \(\d+ operators/);
  // Event-loop figures from the health snapshot.
  assert.match(await page.getByTestId("health-loop-p99").textContent(), /^\d+\.\d ms/);
  assert.match(await page.getByTestId("health-loop-max").textContent(), /^\d+\.\d ms$/);
  await page.locator('[data-testid="health-channels"] li', { hasText: "Web chat" }).locator(".badge", { hasText: "healthy" }).waitFor();
  await page.locator('[data-testid="health-agents"] li', { hasText: "main" }).waitFor();
  // This browser is in the presence list, next to the gateway itself.
  await uiRows(page).first().waitFor();
  assert.equal(await uiRows(page).count(), 1);
  await page.locator('[data-testid="health-presence"] tbody tr', { hasText: "this gateway" }).waitFor();
  await screenshot(page, "health-one-client");

  // A second dashboard tab connects: the first one's list grows without a reload.
  const second = await context.newPage();
  await signIn(second, stack, "/chat");
  await eventually(async () => (await uiRows(page).count()) === 2, { what: "two UI clients in the presence list" });
  await screenshot(page, "health-two-clients");
  await second.close();
  await eventually(async () => (await uiRows(page).count()) === 1, { what: "the closed tab to leave the presence list" });

  await page.setViewportSize({ width: 360, height: 800 });
  await screenshot(page, "health-narrow");
  expectClean();
});
