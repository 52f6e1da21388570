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

// The text of the focused element, through shadow roots.
const focusedText = (page) => page.evaluate(() => {
  let el = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return `${el?.tagName ?? ""}:${(el?.textContent ?? "").trim() || el?.getAttribute("aria-label") || el?.getAttribute("name") || ""}`;
});

async function tabTo(page, wanted, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if ((await focusedText(page)) === wanted) return;
  }
  throw new Error(`Tab never reached ${wanted} (last: ${await focusedText(page)})`);
}

test("the keyboard alone signs in and moves between panels", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await page.goto(stack.url + "/");
  await tabTo(page, "INPUT:token");
  await page.keyboard.type(stack.token);
  await page.keyboard.press("Enter");
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
  await tabTo(page, "A:Automations");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/automations$/);
  await page.locator("sc-automations-panel").waitFor();
  await tabTo(page, "A:Sessions");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/sessions$/);
  await page.locator("sc-sessions-panel").waitFor();
  expectClean();
});

test("at 360 px the navigation folds behind a menu button that opens and closes it", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 740 });
  await signIn(page, stack, "/chat");
  const nav = page.locator("nav");
  assert.equal(await nav.isVisible(), false, "the navigation covers the panel on a phone");
  await page.getByRole("button", { name: "Menu" }).click();
  await nav.getByText("Usage").click();
  await page.waitForURL(/\/usage$/);
  assert.equal(await nav.isVisible(), false, "the navigation stays open after choosing a panel");
  // Nothing is wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await screenshot(page, "shell-narrow");
  expectClean();
});

test("on a plain-http LAN name (no WebCrypto) the browser still gets a device identity and signs in", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { args: ["--host-resolver-rules=MAP gateway.lan 127.0.0.1"] });
  await page.goto(`http://gateway.lan:${stack.port}/#token=${stack.token}`);
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor();
  assert.equal(await page.evaluate(() => window.isSecureContext), false, "expected a page without WebCrypto");
  // The device was proven (signed with the pure-JavaScript key) and paired.
  const devices = await stack.call("device.pair.list");
  const id = await page.evaluate(() => JSON.parse(localStorage.getItem("simpleclaw.device.v1")).id);
  assert.ok(devices.paired.some((d) => d.deviceId === id), JSON.stringify(devices.paired));
  expectClean();
});

test("at 360 px every panel fits the screen", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 740 });
  await signIn(page, stack, "/chat");
  for (const path of ["/chat", "/sessions", "/agents", "/channels", "/approvals", "/devices", "/automations",
    "/config", "/logs", "/status", "/usage"]) {
    await page.getByRole("button", { name: "Menu" }).click();
    await page.locator(`nav a[href="${path}"]`).click();
    await page.waitForURL(new RegExp(`${path}$`));
    await page.locator("main > *").first().waitFor();
    await page.waitForTimeout(300);  // the panel's first answers
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} scrolls sideways by ${overflow}px`);
    assert.deepEqual(await page.locator("main .error").allTextContents(), [], `${path} shows an error`);
    await screenshot(page, `narrow${path.replace("/", "-")}`);
  }
  expectClean();
});
