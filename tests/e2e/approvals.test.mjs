// The Approvals panel: an exec approval appears live while the panel is open, Deny and
// Allow always decide it, the history shows each decision and who made it, and the
// allow-always pattern shows in the agent's allowlist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

const COMMAND = "echo run-probe-ran";  // what the fake model asks to run for "run-probe"

test("an exec approval shows live; Deny and Allow always decide it; history and allowlist follow", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/approvals");
  await page.getByText("No command is waiting").waitFor();
  await page.locator('[data-testid="policy-main"]').getByText("No allowlist patterns").waitFor();
  await page.getByText("No decisions yet").waitFor();

  // 1. Deny. The approval shows without a reload, with what the user needs to judge it.
  await stack.call("chat.send", { sessionKey: "main", message: "run-probe please", idempotencyKey: randomUUID() });
  const first = await eventually(async () => (await stack.call("exec.approval.list", {}))[0], { what: "an approval" });
  const card1 = page.locator(`[data-testid="approval-${first.id}"]`);
  await card1.waitFor();
  const text = await card1.textContent();
  assert.match(text, new RegExp(COMMAND));
  assert.match(text, /main/);                           // agent
  assert.match(text, /agent:main:main/);                // session
  assert.match(text, /workspace/);                      // cwd
  assert.match(text, /\/usr\/bin\/echo run-probe-ran/); // what allow-always would store
  await screenshot(page, "approvals-pending");
  await card1.getByRole("button", { name: "Deny" }).click();
  await card1.waitFor({ state: "detached" });
  const history = page.locator('[data-testid="history"] tbody tr');
  await history.filter({ hasText: "deny" }).waitFor();
  assert.match(await history.first().textContent(), new RegExp(COMMAND));
  const h1 = (await stack.call("approval.history", {})).items.find((i) => i.id === first.id);
  assert.equal(h1.status, "denied");

  // 2. The (fake) model asks again after the denial; Allow always: the command runs and
  // its pattern joins main's allowlist.
  const second = await eventually(async () => (await stack.call("exec.approval.list", {})).find((a) => a.id !== first.id),
    { what: "the second approval", timeout: 15000 });
  const card2 = page.locator(`[data-testid="approval-${second.id}"]`);
  await card2.getByRole("button", { name: "Allow always" }).click();
  await card2.waitFor({ state: "detached" });
  await history.filter({ hasText: "allow-always" }).waitFor();
  const row = await history.filter({ hasText: "allow-always" }).textContent();
  assert.match(row, new RegExp(COMMAND));
  assert.match(row, /simpleclaw-control-ui/, "the history names who decided");
  const policy = page.locator('[data-testid="policy-main"]');
  await policy.getByText("/usr/bin/echo run-probe-ran").waitFor();
  await page.getByText("No command is waiting").waitFor();
  await screenshot(page, "approvals-decided");

  assert.deepEqual(await stack.call("exec.approval.list", {}), []);
  const pol = await stack.call("exec.approvals.get", {});
  assert.ok(pol.file.agents.main.allowlist.some((p) => p.pattern === "/usr/bin/echo run-probe-ran"));
  const h2 = (await stack.call("approval.history", {})).items.find((i) => i.id === second.id);
  assert.equal(h2.decision, "allow-always");
  // The allowed command ran and the model finished its turn.
  await eventually(async () => JSON.stringify(await stack.call("chat.history", { sessionKey: "main" })).includes("exec done"),
    { what: "the run to finish", timeout: 15000 });

  // 3. The pattern is removed again (config.patch under the hood), after a confirmation.
  await policy.getByRole("button", { name: "Remove" }).click();
  await page.locator("dialog.sc-confirm").getByRole("button", { name: "Remove" }).click();
  await policy.getByText("No allowlist patterns").waitFor();
  assert.deepEqual((await stack.call("exec.approvals.get", {})).file.agents.main.allowlist, []);
  expectClean();
});
