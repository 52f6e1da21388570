// The Automations panel: a cron job built in the form with the gateway's preview of its
// next runs in the job's zone, saved, run now (the run shows up live from cron events),
// then disabled; each step checked in the gateway too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot } from "./harness.mjs";

test("add a cron job with a previewed schedule, run it now, disable it", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/automations");
  await page.getByTestId("cron-status").waitFor();
  await page.getByText("No automations yet.").waitFor();

  await page.getByRole("link", { name: "New automation" }).click();
  await page.waitForURL(/\/automations\/new$/);
  await page.getByLabel("Name", { exact: true }).fill("e2e digest");
  await page.getByLabel("Message", { exact: true }).fill("Summarize the day for e2e");
  const save = page.getByRole("button", { name: "Save automation" });

  // An invalid expression: the gateway's reason inline, and no way to save.
  await page.getByLabel("Cron expression").fill("61 * * * *");
  await page.getByTestId("schedule-error").filter({ hasText: "61 is out of range" }).waitFor();
  assert.ok(await save.isDisabled(), "Save is enabled for an invalid expression");
  await screenshot(page, "automations-invalid-expression");

  // 02:30 every day in Berlin: five runs, each at 02:30 Berlin time.
  await page.getByLabel("Cron expression").fill("30 2 * * *");
  await page.getByLabel("Time zone").selectOption("Europe/Berlin");
  assert.equal(await page.getByLabel("Preset").inputValue(), "daily", "the expression was not read back as a preset");
  const preview = page.getByTestId("schedule-preview");
  await preview.getByText("Europe/Berlin").waitFor();
  const items = preview.locator("li");
  assert.equal(await items.count(), 5);
  for (const text of await items.allTextContents()) assert.match(text, /\b02:30\b/, `a run not at 02:30: ${text}`);
  assert.ok(await save.isEnabled());
  await screenshot(page, "automations-preview");
  await save.click();

  // Saved: the job page, and the gateway has the job as built.
  await page.waitForURL(/\/automations\/[0-9a-f-]{8,}$/);
  const jobId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  const job = await stack.call("cron.get", { id: jobId });
  assert.equal(job.name, "e2e digest");
  assert.deepEqual([job.schedule.kind, job.schedule.expr, job.schedule.tz], ["cron", "30 2 * * *", "Europe/Berlin"]);
  assert.equal(job.payload.message, "Summarize the day for e2e");
  await page.getByText("No runs yet.").waitFor();

  // Listed.
  await page.getByRole("link", { name: "← All automations" }).click();
  const row = page.locator(`tr[data-job="${jobId}"]`);
  await row.getByText("e2e digest").waitFor();
  await row.getByText(/02:30/).waitFor();
  await screenshot(page, "automations-list");
  await row.getByRole("link", { name: "e2e digest" }).click();

  // Run now: the fake LLM answers, the run appears with status ok without a reload.
  await page.getByRole("button", { name: "Run now" }).click();
  const run = page.getByTestId("runs").locator("tbody tr").first();
  await run.locator(".badge", { hasText: /^ok$/ }).waitFor({ timeout: 15000 });
  await run.getByText("echo: Summarize the day for e2e").waitFor();
  await screenshot(page, "automations-job-run");

  // Disable with the switch: the gateway's job is disabled.
  await page.getByLabel("Enabled").uncheck();
  await page.getByTestId("job-enabled").filter({ hasText: "disabled" }).waitFor();
  const after = await stack.call("cron.get", { id: jobId });
  assert.equal(after.enabled, false);
  expectClean();
});

test("edit a job into an interval, then into a one-shot time in another zone", async (t) => {
  const stack = await startStack(t);
  const added = await stack.call("cron.add", {
    name: "edit me", schedule: { kind: "cron", expr: "0 9 * * 1-5", tz: "UTC" },
    payload: { kind: "agentTurn", message: "edit me" }, delivery: { mode: "none" },
  });
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 800 });
  await signIn(page, stack, `/automations/${added.id}`);
  await page.getByRole("heading", { name: "edit me" }).waitFor();
  await page.getByRole("button", { name: "Edit" }).click();
  // The preset is read back from the expression.
  assert.equal(await page.getByLabel("Preset").inputValue(), "weekdays");

  await page.getByLabel("Every interval").check();
  await page.getByLabel("Every", { exact: true }).fill("2");
  await page.getByLabel("Unit").selectOption("hours");
  await page.getByTestId("schedule-preview").locator("li").nth(4).waitFor();
  await screenshot(page, "automations-edit-narrow");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("every 2 h").waitFor();
  let job = await stack.call("cron.get", { id: added.id });
  assert.deepEqual([job.schedule.kind, job.schedule.everyMs], ["every", 7200000]);

  // 09:15 on 1 July next year in Tokyo is 00:15 UTC.
  const year = new Date().getUTCFullYear() + 1;
  await page.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Once, at a time").check();
  await page.getByLabel("Time zone").selectOption("Asia/Tokyo");
  await page.getByLabel("Date and time").fill(`${year}-07-01T09:15`);
  const only = page.getByTestId("schedule-preview").locator("li");
  await only.first().getByText(/09:15/).waitFor();
  assert.equal(await only.count(), 1);
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("once at").waitFor();
  job = await stack.call("cron.get", { id: added.id });
  assert.equal(Date.parse(job.schedule.at), Date.UTC(year, 6, 1, 0, 15));
  expectClean();
});

test("a job made in the panel fires on its own schedule and its run shows up live", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/automations/new");
  await page.getByLabel("Name", { exact: true }).fill("every few seconds");
  await page.getByLabel("Message", { exact: true }).fill("tick from the scheduler");
  await page.getByLabel("Every interval").check();
  await page.getByLabel("Every", { exact: true }).fill("3");
  await page.getByLabel("Unit").selectOption("seconds");
  await page.getByTestId("schedule-preview").locator("li").nth(4).waitFor();
  await page.getByRole("button", { name: "Save automation" }).click();
  await page.waitForURL(/\/automations\/[0-9a-f-]{8,}$/);
  // Nobody clicks Run now: the scheduler's own run appears on the open page.
  const run = page.getByTestId("runs").locator("tbody tr").first();
  await run.locator(".badge", { hasText: /^ok$/ }).waitFor({ timeout: 20000 });
  await run.getByText("echo: tick from the scheduler").waitFor();
  const jobId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  const runs = await stack.call("cron.runs", { id: jobId });
  assert.ok(runs.entries.some((r) => r.trigger === "schedule"), JSON.stringify(runs).slice(0, 400));
  await screenshot(page, "automations-scheduled-run");
  await page.getByLabel("Enabled").uncheck();
  await page.getByTestId("job-enabled").filter({ hasText: "disabled" }).waitFor();
  expectClean();
});
