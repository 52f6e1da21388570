// The Usage panel: one chat turn through the gateway (the fake model is priced: input 2,
// output 8 USD per million tokens) shows as today's tokens and a non-zero cost, in the
// chart and in the tables by agent and by model; the date range reloads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

test("a chat turn shows as today's tokens and cost; the range selector reloads", async (t) => {
  const stack = await startStack(t);
  const sent = await stack.call("chat.send", { sessionKey: "agent:main:e2e:usage", message: "count my tokens please", idempotencyKey: "usage-e2e-1" });
  assert.equal(sent.status, "started", JSON.stringify(sent));
  assert.equal((await stack.call("agent.wait", { runId: sent.runId, timeoutMs: 15000 })).status, "ok");
  const cost = await stack.call("usage.cost", { days: 30, agentScope: "all" });
  const today = cost.daily.find((d) => d.date === cost.endDate);
  assert.ok(today.totalTokens > 0 && today.totalCost > 0, `the gateway counted nothing: ${JSON.stringify(today)}`);

  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/usage");
  const stat = (id) => page.locator(`[data-testid="${id}"] .v`);
  await stat("usage-today-tokens").filter({ hasText: String(today.totalTokens) }).waitFor();
  const shownCost = Number((await stat("usage-today-cost").innerText()).replace("$", ""));
  assert.ok(shownCost > 0, `today's cost is shown as ${shownCost}`);
  assert.equal(await stat("usage-total-tokens").innerText(), String(cost.totals.totalTokens));
  assert.match(await page.locator('[data-testid="usage-models"]').innerText(), /fake\/gpt-test/);
  assert.match(await page.locator('[data-testid="usage-agents"]').innerText(), /main/);
  assert.match(await page.locator('[data-testid="usage-days"]').innerText(), new RegExp(today.date));
  // One bar per day, and today's is a real bar (not the zero line).
  const chart = page.locator('[data-testid="usage-chart"]');
  assert.equal(await chart.locator("rect").count(), 30);
  assert.equal(await chart.locator("rect.bar").count(), 1);
  await screenshot(page, "usage-30d");

  await page.getByRole("button", { name: "Last 7 days" }).click();
  await page.locator('[data-testid="usage-window"]', { hasText: "7 days" }).waitFor();
  await eventually(async () => (await chart.locator("rect").count()) === 7, { what: "7 bars" });
  assert.equal(await page.getByRole("button", { name: "Last 7 days" }).getAttribute("aria-pressed"), "true");
  await stat("usage-today-tokens").filter({ hasText: String(today.totalTokens) }).waitFor();
  await screenshot(page, "usage-7d");

  await page.getByRole("button", { name: "Last 90 days" }).click();
  await page.locator('[data-testid="usage-window"]', { hasText: "90 days" }).waitFor();
  await eventually(async () => (await chart.locator("rect").count()) === 90, { what: "90 bars" });
  await page.getByRole("button", { name: "Tokens", exact: true }).click();
  await page.getByRole("img", { name: "Tokens per day" }).waitFor();
  await screenshot(page, "usage-90d-tokens");
  expectClean();
});

test("at 360 px the usage panel fits the screen", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 740 });
  await signIn(page, stack, "/usage");
  await page.locator('[data-testid="usage-window"]').waitFor();
  await page.getByText("No tokens used in this range.").waitFor();
  const overflow = await page.evaluate(() => {
    const main = document.querySelector("sc-app").shadowRoot.querySelector("main");
    return main.scrollWidth - main.clientWidth;
  });
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(page, "usage-empty-360");
  expectClean();
});
