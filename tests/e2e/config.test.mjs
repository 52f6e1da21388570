// The Config panel: the schema-generated form and the raw editor, the review before a
// save, a concurrent save by someone else (conflict, then "apply my changes on top"), and
// secrets that never reach the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startStack, openBrowser, signIn, screenshot } from "./harness.mjs";

// Everything the page holds as text: the light DOM, every shadow root, attributes and
// the current value of every input.
const deepPageText = (page) => page.evaluate(() => {
  const out = [document.documentElement.outerHTML];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      for (const a of el.getAttributeNames()) out.push(el.getAttribute(a));
      if (typeof el.value === "string") out.push(el.value);
      if (el.shadowRoot) {
        out.push(el.shadowRoot.innerHTML);
        walk(el.shadowRoot);
      }
    }
  };
  walk(document);
  return out.join("\n");
});

async function openSection(page, path) {
  const d = page.locator(`details[data-section="${path}"]`);
  if (!(await d.evaluate((el) => el.open))) await d.locator("> summary").click();
  await d.locator(".section-body").first().waitFor();
}

const saveButton = (page) => page.getByRole("button", { name: "Save", exact: true });

test("a form edit is reviewed as a diff, saved by merge patch, and the token never reaches the page", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/config");
  // A number field refuses text that is no number, and nothing can be saved meanwhile.
  await openSection(page, "sessions");
  const mq = page.locator('[data-path="sessions.max_queue"]');
  await mq.fill("12x");
  await page.locator(".field", { has: mq }).locator(".field-error", { hasText: "not a number" }).waitFor();
  await page.getByRole("button", { name: "Review & save" }).click();
  await page.locator(".toast", { hasText: "Fix the highlighted fields first" }).waitFor();
  await mq.fill("");
  assert.equal(await page.locator(".field-error").count(), 0);

  await openSection(page, "cron");
  const tz = page.locator('[data-path="cron.timezone"]');
  await tz.fill("Europe/Berlin");
  await page.locator(".field.changed", { has: tz }).waitFor();

  // The secret field starts empty with "unchanged"; the token is nowhere in the page.
  await openSection(page, "gateway");
  await openSection(page, "gateway.auth");
  const tokenField = page.locator('[data-path="gateway.auth.token"]');
  assert.equal(await tokenField.inputValue(), "");
  assert.equal(await tokenField.getAttribute("placeholder"), "unchanged");
  assert.equal(await tokenField.getAttribute("type"), "password");

  await page.getByRole("button", { name: "Review & save" }).click();
  const row = page.locator('[data-testid="config-diff"] tr', { hasText: "cron.timezone" });
  await row.waitFor();
  assert.match(await row.textContent(), /cron\.timezone\s*\(not set\)\s*"Europe\/Berlin"/);
  assert.equal(await page.locator('[data-testid="config-diff"] tbody tr').count(), 1, "the diff lists more than the edit");
  await screenshot(page, "config-review");
  assert.ok(!(await deepPageText(page)).includes(stack.token), "the gateway token is in the page");

  await saveButton(page).click();
  await page.locator(".toast", { hasText: "Config saved" }).waitFor();
  const after = await stack.call("config.get");
  assert.equal(after.config.cron.timezone, "Europe/Berlin");
  // The unrelated save kept the token: on disk, and the gateway still takes it.
  assert.ok(readFileSync(join(stack.tmp, "config.yaml"), "utf8").includes(stack.token));
  assert.equal((await stack.call("health", {}, stack.token)).ok, true);
  // Saved: the form shows the stored value and no pending change.
  assert.equal(await tz.inputValue(), "Europe/Berlin");
  assert.equal(await page.locator(".field.changed").count(), 0);
  await screenshot(page, "config-saved");

  // Raw mode still shows the token redacted.
  await page.getByRole("button", { name: "Raw YAML" }).click();
  const raw = await page.locator("textarea#raw").inputValue();
  assert.match(raw, /token: __SIMPLECLAW_REDACTED__/);
  assert.ok(!(await deepPageText(page)).includes(stack.token), "the gateway token is in the page");
  expectClean();
});

test("a concurrent save is a conflict that keeps the user's edit and applies it on top", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/config");
  await openSection(page, "cron");
  const tz = page.locator('[data-path="cron.timezone"]');
  await tz.fill("Asia/Tokyo");
  // Another panel and back: the unsaved edit is still there.
  await page.locator("nav a", { hasText: "Health" }).click();
  await page.getByTestId("health-gateway").waitFor();
  await page.locator("nav a", { hasText: "Config" }).click();
  assert.equal(await tz.inputValue(), "Asia/Tokyo", "the edit was lost by switching panels");

  // Someone else saves another setting meanwhile.
  const { hash } = await stack.call("config.get");
  await stack.call("config.patch", { raw: JSON.stringify({ sessions: { max_queue: 33 } }), baseHash: hash });
  await page.getByTestId("config-remote-changed").waitFor();

  await page.getByRole("button", { name: "Review & save" }).click();
  await saveButton(page).click();
  const conflict = page.getByTestId("config-conflict");
  await conflict.waitFor();
  await conflict.locator('[data-testid="config-theirs"] tr', { hasText: "sessions.max_queue" }).filter({ hasText: "33" }).waitFor();
  await conflict.locator('[data-testid="config-mine"] tr', { hasText: "cron.timezone" }).filter({ hasText: "Asia/Tokyo" }).waitFor();
  assert.equal(await tz.inputValue(), "Asia/Tokyo", "the user's edit was lost");
  assert.equal((await stack.call("config.get")).config.cron?.timezone, undefined, "saved over the conflict");
  await screenshot(page, "config-conflict");

  await page.getByRole("button", { name: "Apply my changes on top" }).click();
  await page.locator(".toast", { hasText: "Config saved" }).waitFor();
  const { config } = await stack.call("config.get");
  assert.equal(config.cron.timezone, "Asia/Tokyo");
  assert.equal(config.sessions.max_queue, 33);
  assert.equal(await conflict.count(), 0);
  assert.equal((await stack.call("health", {}, stack.token)).ok, true);
  // The form now shows both values.
  await openSection(page, "sessions");
  assert.equal(await page.locator('[data-path="sessions.max_queue"]').inputValue(), "33");
  await page.setViewportSize({ width: 360, height: 800 });
  await screenshot(page, "config-narrow");
  expectClean();
});

test("a raw YAML edit shows a line diff and is saved whole, keeping redacted secrets", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/config");
  await page.getByRole("button", { name: "Raw YAML" }).click();
  const area = page.locator("textarea#raw");
  const raw = await area.inputValue();
  await area.fill(raw.replace(/\n?$/, "\n") + "logging:\n  level: debug\n");
  await page.getByRole("button", { name: "Review & save" }).click();
  const diff = page.getByTestId("config-diff");
  await diff.locator(".add", { hasText: "+ logging:" }).waitFor();
  await diff.locator(".add", { hasText: "+   level: debug" }).waitFor();
  assert.equal(await diff.locator(".del").count(), 0);
  await screenshot(page, "config-raw-review");
  await saveButton(page).click();
  await page.locator(".toast", { hasText: "Config saved" }).waitFor();
  assert.equal((await stack.call("config.get")).config.logging.level, "debug");
  assert.equal((await stack.call("health", {}, stack.token)).ok, true);
  assert.ok(readFileSync(join(stack.tmp, "config.yaml"), "utf8").includes(stack.token));
  expectClean();
});
