// The Sessions panel: server-side pages of the session list, search, labels shown as
// text, live refresh, and one session's detail (transcript, usage, rename, pin, reset,
// delete) checked against the gateway's own state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot, eventually, gatewayBatch } from "./harness.mjs";

const XSS_LABEL = "<img src=x onerror=window.__xss=1><script>window.__xss=2</script>";

const callMany = async (page, stack, calls) => (await gatewayBatch(page, stack.token, calls)).results;

const seedKey = (i) => `agent:main:e2e:s-${String(i).padStart(3, "0")}`;
const seedCalls = (n) => Array.from({ length: n }, (_, i) =>
  ["sessions.create", { key: seedKey(i), label: `Seed session ${String(i).padStart(3, "0")}` }]);

const rows = (page) => page.locator('[data-testid="sessions-table"] tbody tr');
const range = (page) => page.locator('[data-testid="range"]');

test("the list pages 120 sessions 50 at a time, searches on the server and shows labels as text", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/status");
  await callMany(page, stack, [...seedCalls(118),
    ["sessions.create", { key: "agent:main:e2e:needle", label: "needle-7f3a unique" }],
    ["sessions.create", { key: "agent:main:e2e:xss" }]]);
  await callMany(page, stack, [["sessions.patch", { key: "agent:main:e2e:xss", label: XSS_LABEL }]]);
  await page.locator("nav a", { hasText: "Sessions" }).click();
  await range(page).filter({ hasText: "Showing 1–50 of 120" }).waitFor();
  assert.equal(await rows(page).count(), 50);
  await screenshot(page, "sessions-list");

  await page.getByRole("button", { name: "Next →" }).click();
  await range(page).filter({ hasText: "Showing 51–100 of 120" }).waitFor();
  assert.equal(await rows(page).count(), 50);
  await page.getByRole("button", { name: "Next →" }).click();
  await range(page).filter({ hasText: "Showing 101–120 of 120" }).waitFor();
  assert.equal(await rows(page).count(), 20);
  assert.ok(await page.getByRole("button", { name: "Next →" }).isDisabled(), "Next stays enabled on the last page");
  await page.getByRole("button", { name: "← Previous" }).click();
  await range(page).filter({ hasText: "Showing 51–100 of 120" }).waitFor();

  // The search goes to the gateway and lands on the first page of its matches.
  await page.getByLabel("Search").fill("needle-7f3a");
  await range(page).filter({ hasText: "Showing 1–1 of 1" }).waitFor();
  assert.equal(await rows(page).count(), 1);
  assert.match(await rows(page).first().innerText(), /needle-7f3a unique/);
  await screenshot(page, "sessions-search");

  await page.getByLabel("Search").fill("onerror");
  await range(page).filter({ hasText: "of 1" }).waitFor();
  await page.locator("sc-session-list a", { hasText: XSS_LABEL }).waitFor();
  assert.equal(await page.locator("sc-session-list img, sc-session-list script").count(), 0, "the label became markup");
  assert.equal(await page.evaluate(() => window.__xss), undefined, "the label's script ran");
  await screenshot(page, "sessions-xss-label");

  // Live: a label changed elsewhere shows up without a reload (sessions.changed).
  await page.getByLabel("Search").fill("");
  await range(page).filter({ hasText: "of 120" }).waitFor();
  const shownKey = await rows(page).nth(10).getAttribute("data-key");
  await stack.call("sessions.patch", { key: shownKey, label: "renamed from the CLI" });
  await page.locator("sc-session-list a", { hasText: "renamed from the CLI" }).waitFor({ timeout: 5000 });
  expectClean();
});

test("a session's detail shows its transcript and usage; rename, pin, reset and delete reach the gateway", async (t) => {
  const stack = await startStack(t);
  const key = "agent:main:e2e:detail";
  const created = await stack.call("sessions.create", { key, label: "Detail me", message: "hello transcript" });
  assert.equal(created.runStarted, true, JSON.stringify(created));
  assert.equal((await stack.call("agent.wait", { runId: created.runId, timeoutMs: 15000 })).status, "ok");
  await stack.call("sessions.create", { key: "agent:main:e2e:other", label: "Other session" });

  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/status");
  // 55 more messages: the transcript opens on the newest 50, the first turn is one page back.
  await callMany(page, stack, Array.from({ length: 55 }, (_, i) => ["chat.inject", { sessionKey: key, message: `injected note ${i}` }]));
  await page.locator("nav a", { hasText: "Sessions" }).click();
  await page.getByRole("link", { name: "Detail me" }).click();
  await eventually(() => decodeURIComponent(new URL(page.url()).pathname) === `/sessions/${key}`, { what: "the detail URL" });
  const transcript = page.locator('[data-testid="transcript"]');
  await transcript.locator("article").first().waitFor();
  assert.equal(await transcript.locator("article").count(), 50);
  assert.equal(await transcript.getByText("echo: hello transcript").count(), 0, "the first page is not the newest");
  await page.getByRole("button", { name: "Load older messages" }).click();
  await transcript.getByText("echo: hello transcript").waitFor();
  await transcript.getByText("hello transcript", { exact: true }).waitFor();
  assert.equal(await transcript.locator("article").count(), 57);
  assert.equal(await page.getByRole("button", { name: "Load older messages" }).count(), 0);
  const usage = page.locator('[data-testid="session-usage"]');
  await usage.waitFor();
  assert.match(await usage.innerText(), /Cost\s*\$0\.0*[1-9]/, "the session's cost is not shown as non-zero");
  await screenshot(page, "sessions-detail");

  // Rename inline.
  await page.getByRole("button", { name: "Rename" }).click();
  await page.getByLabel("Label").fill("Renamed in the UI");
  await page.getByRole("button", { name: "Save label" }).click();
  await page.getByRole("heading", { name: "Renamed in the UI" }).waitFor();
  await eventually(async () => {
    const r = await stack.call("sessions.list", { search: "e2e:detail" });
    return r.sessions[0]?.label === "Renamed in the UI";
  }, { what: "the new label in sessions.list" });

  // Pin, and the list shows the pinned session first with its marker.
  await page.getByRole("button", { name: "Pin", exact: true }).click();
  await page.getByRole("button", { name: "Unpin" }).waitFor();
  await page.locator('sc-session-detail [data-testid="pinned"]').waitFor();
  await eventually(async () => (await stack.call("sessions.list", { search: "e2e:detail" })).sessions[0]?.pinned === true,
    { what: "pinned in sessions.list" });
  await screenshot(page, "sessions-detail-pinned");
  await page.getByRole("link", { name: "← All sessions" }).click();
  await rows(page).first().locator('[data-testid="pinned"]').waitFor();
  assert.match(await rows(page).first().innerText(), /Renamed in the UI/);
  await page.getByRole("link", { name: "Renamed in the UI" }).click();

  // Reset: the dialog, then a new empty transcript.
  const before = (await stack.call("chat.history", { sessionKey: key })).sessionId;
  await page.getByRole("button", { name: "Reset" }).click();
  const dialog = page.locator("dialog.sc-confirm");
  await dialog.getByRole("button", { name: "Reset" }).click();
  await transcript.getByText("No messages.").waitFor();
  const after = await stack.call("chat.history", { sessionKey: key });
  assert.notEqual(after.sessionId, before, "sessions.reset did not start a new transcript");
  assert.equal(after.messages.length, 0);

  // Delete: cancelling keeps it, confirming removes it and goes back to the list.
  await page.getByRole("button", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await stack.call("sessions.list", { search: "e2e:detail" })).count, 1);
  await page.getByRole("button", { name: "Delete" }).click();
  await screenshot(page, "sessions-delete-confirm");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await eventually(() => new URL(page.url()).pathname === "/sessions", { what: "back to the list" });
  await range(page).filter({ hasText: "of 1" }).waitFor();
  assert.equal((await stack.call("sessions.list", { search: "e2e:detail" })).count, 0, "the session is still there");
  expectClean();
});

test("at 360 px the list is usable: rows readable, paging and opening a session work", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 740 });
  await signIn(page, stack, "/status");
  await callMany(page, stack, seedCalls(60));
  // At this width the navigation is behind the menu button.
  await page.getByRole("button", { name: "Menu" }).click();
  await page.locator("nav a", { hasText: "Sessions" }).click();
  await range(page).filter({ hasText: "Showing 1–50 of 60" }).waitFor();
  // Nothing wider than the screen: the panel area does not scroll sideways.
  const overflow = await page.evaluate(() => {
    const main = document.querySelector("sc-app").shadowRoot.querySelector("main");
    return main.scrollWidth - main.clientWidth;
  });
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  const link = rows(page).first().locator("a").first();
  const box = await link.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the first session's link is off screen: ${JSON.stringify(box)}`);
  await screenshot(page, "sessions-list-360");
  await page.getByRole("button", { name: "Next →" }).click();
  await range(page).filter({ hasText: "Showing 51–60 of 60" }).waitFor();
  await rows(page).first().locator("a").first().click();
  await page.locator('[data-testid="transcript"]').waitFor();
  await page.getByRole("button", { name: "Delete" }).waitFor();
  await screenshot(page, "sessions-detail-360");
  expectClean();
});
