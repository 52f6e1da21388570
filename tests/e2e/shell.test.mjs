// The dashboard's shell: signing in, the navigation, the connection indicator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot } from "./harness.mjs";

test("a wrong token is refused with the gateway's reason and the right one signs in", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await page.goto(stack.url + "/");
  await page.getByLabel("Gateway token").fill("not-the-token-0000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator(".error", { hasText: "unauthorized" }).waitFor();
  await page.getByLabel("Gateway token").fill(stack.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
  // Every panel of an admin sign-in is in the navigation.
  const nav = await page.locator("nav a").allTextContents();
  for (const title of ["Chat", "Sessions", "Agents", "Channels", "Approvals", "Devices & nodes", "Automations", "Config", "Logs", "Health", "Usage"])
    assert.ok(nav.includes(title), `nav lacks ${title}: ${nav}`);
  assert.equal(new URL(page.url()).pathname, "/chat");
  await screenshot(page, "shell");
  expectClean();
});

test("the token handed over in the URL fragment signs in and leaves the address bar", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/status");
  assert.equal(new URL(page.url()).hash, "", "the token stayed in the URL");
  assert.equal(new URL(page.url()).pathname, "/status");
  expectClean();
});
