// Shared mode: a user with read-only scope sees the panels their grant allows, each works
// (no error banner, no console error, no refused request), and the rest are not shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot } from "./harness.mjs";

const READER = "reader-token-e2e-0123456789";

test("a read-only user gets every panel they may use, working, and no others", async (t) => {
  const stack = await startStack(t, {
    gateway: "  mode: shared\n",
    config: "agents:\n  list:\n    - {id: main}\n    - {id: research, name: Research Desk}\n" +
      `users:\n  reader:\n    token: ${READER}\n    scopes: [operator.read]\n    agents: [main]\n`,
  });
  // The admin sees both agents; the reader only the one granted.
  const all = await stack.call("agents.list");
  assert.deepEqual(all.agents.map((a) => a.id).sort(), ["main", "research"]);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/", READER);
  const nav = await page.locator("nav a").allTextContents();
  assert.deepEqual(nav, ["Chat", "Sessions", "Agents", "Automations", "Health", "Usage"]);
  for (const title of nav) {
    await page.locator("nav a", { hasText: title }).click();
    const panel = page.locator("main > *").first();
    await panel.waitFor();
    // Let the panel's first loads answer.
    await page.waitForLoadState("networkidle").catch(() => {});
    await page.waitForTimeout(400);
    const banners = await page.locator("main .error").allTextContents();
    assert.deepEqual(banners, [], `${title} shows an error`);
    await screenshot(page, `shared-reader-${title.toLowerCase()}`);
    if (title === "Agents") {
      assert.equal(await page.locator("main").getByText("Research Desk").count(), 0, "an agent not granted is listed");
      assert.equal(await page.getByRole("form", { name: "New agent" }).count(), 0, "a read-only user is offered to create agents");
    }
  }
  // A panel outside the grant, reached by its address, says so instead of breaking.
  await page.goto(`${stack.url}/config`);
  await page.locator("main .error", { hasText: "does not give access" }).waitFor();
  expectClean();
});
