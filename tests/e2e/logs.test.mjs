// The Logs panel: live tail of the gateway log, level filter, search, and log text that
// a client controls shown as text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

const XSS = "<img src=x onerror=window.__xss=1>";

test("logs show new lines live, filter by level and search, and render hostile text as text", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/logs");
  const box = page.getByTestId("logs-lines");
  await box.locator(".line").first().waitFor();
  await page.evaluate(() => (window.__noReload = true));

  // A failed sign-in from another client is logged (auth.failed) and shows up by itself.
  await assert.rejects(stack.call("health", {}, "wrong-token-xxxxxxxx"));
  const failed = box.locator(".line", { hasText: "auth failed from 127.0.0.1" });
  await failed.first().waitFor();
  assert.match(await failed.first().textContent(), / warning auth failed .*AUTH_TOKEN_MISMATCH/);
  assert.equal(await page.evaluate(() => window.__noReload), true, "the page reloaded");
  assert.ok(await box.locator(".line.info").count() > 0, "no info lines to filter");
  await screenshot(page, "logs-live");

  // Errors only: the info lines and the warning go away; warnings and up: the warning is back.
  await page.getByTestId("logs-level").selectOption("error");
  assert.equal(await box.locator(".line.info").count(), 0);
  assert.equal(await failed.count(), 0);
  await screenshot(page, "logs-errors-only");
  await page.getByTestId("logs-level").selectOption("warn");
  await failed.first().waitFor();
  assert.equal(await box.locator(".line.info").count(), 0);

  // Search narrows the loaded window to matching lines.
  await page.getByTestId("logs-level").selectOption("debug");
  await page.getByTestId("logs-search").fill("AUTH_TOKEN_MISMATCH");
  await eventually(async () => {
    const shown = await box.locator(".line").allTextContents();
    return shown.length >= 1 && shown.every((l) => l.includes("AUTH_TOKEN_MISMATCH"));
  }, { what: "only matching lines left by the search" });
  await page.getByTestId("logs-search").fill("");

  // A client whose version is markup: the gateway logs "client <id> <version> connected".
  const res = await page.evaluate(([token, version]) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/`);
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.event === "connect.challenge") {
        ws.send(JSON.stringify({ type: "req", id: "1", method: "connect", params: {
          minProtocol: 4, maxProtocol: 4, role: "operator", scopes: ["operator.read"], auth: { token },
          client: { id: "xss-probe", version, platform: "test", mode: "cli" } } }));
      } else if (f.type === "res") {
        ws.close();
        resolve(f.ok ? "ok" : JSON.stringify(f.error));
      }
    };
  }), [stack.token, XSS]);
  assert.equal(res, "ok");
  const hostile = box.locator(".line", { hasText: `client xss-probe ${XSS} connected` });
  await hostile.first().waitFor();
  assert.equal(await box.locator("img").count(), 0, "log text became an element");
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await screenshot(page, "logs-hostile-text");

  // Pause stops the tail: a new line is not shown until resumed.
  await page.getByRole("button", { name: "Pause" }).click();
  await page.waitForTimeout(200);
  await assert.rejects(stack.call("health", {}, "wrong-token-yyyyyyyy"));
  await page.waitForTimeout(3000);
  const afterPause = await failed.count();
  assert.equal(afterPause, 1, "a line arrived while paused");
  await page.getByRole("button", { name: "Resume" }).click();
  await failed.nth(1).waitFor();
  expectClean();
});
