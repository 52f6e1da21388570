// The Channels panel: an account's live health, Stop / Start / Logout, and DM pairing
// requests approved or dismissed from the browser, against the fake Telegram Bot API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

// The harness writes `channels: telegram: {token, api_base, poll_timeout_s}` and appends
// `config` right after it, so an indented line lands inside the telegram section.
const PAIRING = "    dm_policy: pairing\n";

const account = (page) => page.locator('[data-testid="account-telegram-default"]');
const health = (page) => account(page).locator('[data-testid="health"]');

test("telegram's health shows live; Stop and Start work; a DM pairing request is approved and dismissed", async (t) => {
  const stack = await startStack(t, { telegram: true, config: PAIRING });
  const st = await stack.call("channels.status", {});
  assert.equal(st.channelAccounts.telegram[0].dmPolicy, "pairing", "the pairing policy did not reach the config");
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/channels");

  await health(page).filter({ hasText: "healthy" }).waitFor();
  assert.equal(await account(page).locator('[data-testid="conn"]').textContent(), "connected");
  await page.getByText("No one is waiting").waitFor();
  await screenshot(page, "channels-healthy");

  // An unknown Telegram user writes: the request shows without a reload.
  await stack.tg.message(4242, "hello bot", { first_name: "Ada" });
  const pending = await eventually(async () => (await stack.call("channels.pairing.list", {})).requests[0], { what: "a pairing request" });
  const row = page.locator(`[data-testid="pairing-${pending.requestId}"]`);
  await row.waitFor();
  const rowText = await row.textContent();
  assert.match(rowText, new RegExp(pending.code));
  assert.match(rowText, /4242/);
  assert.match(rowText, /Telegram/);
  await screenshot(page, "channels-pairing-request");

  await row.getByRole("button", { name: "Approve" }).click();
  await row.waitFor({ state: "detached" });
  await page.getByText("No one is waiting").waitFor();
  assert.deepEqual((await stack.call("channels.pairing.list", {})).requests, []);
  // The approved sender now reaches the agent: the fake model's echo comes back to them.
  await stack.tg.message(4242, "ping after approval", { first_name: "Ada" });
  await eventually(async () => (await stack.tg.sent()).some((m) => String(m.chat_id) === "4242" && /ping after approval/.test(m.text)),
    { what: "the agent's reply through Telegram", timeout: 15000 });
  // The traffic shows on the account (refreshed by channels.changed / health events).
  await eventually(async () => !/^never$/.test((await account(page).locator("dd").first().textContent()).trim()),
    { what: "last inbound to update" });

  // Another sender is dismissed: not approved, request gone.
  await stack.tg.message(777, "let me in", { first_name: "Mallory" });
  const other = await eventually(async () => (await stack.call("channels.pairing.list", {})).requests[0], { what: "a second request" });
  const row2 = page.locator(`[data-testid="pairing-${other.requestId}"]`);
  await row2.getByRole("button", { name: "Dismiss" }).click();
  await row2.waitFor({ state: "detached" });
  assert.deepEqual((await stack.call("channels.pairing.list", {})).requests, []);

  // Stop, then Start.
  await account(page).getByRole("button", { name: "Stop" }).click();
  await health(page).filter({ hasText: "stopped" }).waitFor();
  assert.equal((await stack.call("channels.status", {})).channelAccounts.telegram[0].running, false);
  assert.ok(await account(page).getByRole("button", { name: "Start" }).isEnabled());
  await screenshot(page, "channels-stopped");
  await account(page).getByRole("button", { name: "Start" }).click();
  await health(page).filter({ hasText: "healthy" }).waitFor({ timeout: 15000 });
  assert.equal(await account(page).locator('[data-testid="conn"]').textContent(), "connected");

  // Logout asks first; Cancel leaves the account running.
  await account(page).getByRole("button", { name: "Logout" }).click();
  const dlg = page.locator("dialog.sc-confirm");
  await dlg.waitFor();
  assert.match(await dlg.textContent(), /Log out Telegram account "default"/);
  await dlg.getByRole("button", { name: "Cancel" }).click();
  await dlg.waitFor({ state: "detached" });
  assert.equal((await stack.call("channels.status", {})).channelAccounts.telegram[0].running, true);
  expectClean();
});

test("a stalled long poll shows its reconnects and the liveness error, at 360 px", async (t) => {
  const stack = await startStack(t, { telegram: true });
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 780 });
  await signIn(page, stack, "/channels");
  await health(page).filter({ hasText: "healthy" }).waitFor();
  assert.equal(await account(page).locator('[data-testid="reconnects"]').textContent(), "0");
  assert.equal(await account(page).locator('[data-testid="last-error"]').count(), 0);
  // getUpdates stops answering: liveness is judged on the inbound path, the monitor marks
  // the account stuck and restarts it; the panel follows through channels.changed.
  await stack.tg.control("stall", { count: 100 });
  await account(page).locator('[data-testid="last-error"]', { hasText: "no inbound activity" }).waitFor({ timeout: 20000 });
  await eventually(async () => Number(await account(page).locator('[data-testid="reconnects"]').textContent()) >= 1,
    { what: "the reconnect count to show" });
  const st = (await stack.call("channels.status", {})).channelAccounts.telegram[0];
  assert.match(st.lastError, /no inbound activity/);
  await screenshot(page, "channels-stalled-narrow");
  // Nothing sticks out of a phone-width screen.
  const overflow = await page.evaluate(() => {
    const main = document.querySelector("sc-app").shadowRoot.querySelector("main");
    return Math.max(main.scrollWidth - main.clientWidth, document.documentElement.scrollWidth - window.innerWidth);
  });
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the screen`);
  expectClean();
});
