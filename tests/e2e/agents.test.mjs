// The Agents panel: create an agent, edit its settings, workspace files and heartbeat,
// then delete it; each step checked in the gateway, not only on screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

const XSS = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";

test("create an agent, set its fallbacks, files and heartbeat, and delete it", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/agents");

  // The list shows main; a new agent comes from the form.
  await page.locator("tr[data-agent=main]").waitFor();
  await page.getByLabel("Name").fill("Research Bot");
  await page.getByRole("button", { name: "Create agent" }).click();
  const row = page.locator("tr[data-agent=research-bot]");
  await row.getByText("Research Bot").waitFor();
  const listed = await stack.call("agents.list");
  assert.ok(listed.agents.some((a) => a.id === "research-bot" && a.name === "Research Bot"), JSON.stringify(listed));
  await screenshot(page, "agents-list");

  // Detail page: add the one model as a fallback (agents.update cannot; config.patch does).
  await row.getByRole("link", { name: "Research Bot" }).click();
  await page.waitForURL(/\/agents\/research-bot$/);
  await page.getByRole("heading", { name: /Research Bot/ }).waitFor();
  await page.getByLabel("Add a fallback").selectOption("fake/gpt-test");
  await page.getByRole("button", { name: "Add fallback" }).click();
  await page.getByRole("button", { name: "Save settings" }).click();
  // Saved and reloaded: the form is clean again and the list row shows the fallback.
  await page.getByText("Research Bot saved").waitFor();
  await page.getByRole("button", { name: "Save settings" }).and(page.locator(":disabled")).waitFor();
  const l = await stack.call("agents.list");
  assert.deepEqual(l.agents.find((a) => a.id === "research-bot")?.model?.fallbacks, ["fake/gpt-test"]);

  // SOUL.md is missing: the editor offers to create it; typing marks it unsaved.
  await page.getByRole("button", { name: /^SOUL\.md/ }).click();
  await page.getByText("missing: saving creates it").waitFor();
  const editor = page.getByLabel("Content of SOUL.md");
  await editor.fill("# Soul\nBe brief.");
  await page.getByTestId("unsaved").waitFor();
  await screenshot(page, "agents-file-unsaved");
  await page.getByRole("button", { name: "Create SOUL.md" }).click();
  await page.getByTestId("unsaved").waitFor({ state: "detached" });
  const soul = await stack.call("agents.files.get", { agentId: "research-bot", name: "SOUL.md" });
  assert.equal(soul.file.content, "# Soul\nBe brief.");
  assert.equal(soul.file.missing, false);

  // A failed save (the workspace became unusable) shows the gateway's error and keeps
  // the text; once the workspace is back, the same draft saves.
  await stack.call("agents.update", { agentId: "research-bot", workspace: "/etc/hostname/ws" });
  await page.getByRole("button", { name: /^IDENTITY\.md/ }).click();
  await page.getByLabel("Content of IDENTITY.md").fill("I am the research bot.");
  await page.getByRole("button", { name: "Create IDENTITY.md" }).click();
  await page.locator(".error", { hasText: "Not saved" }).filter({ hasText: "Not a directory" }).waitFor();
  assert.equal(await page.getByLabel("Content of IDENTITY.md").inputValue(), "I am the research bot.");
  await page.getByTestId("unsaved").waitFor();
  await screenshot(page, "agents-file-save-error");
  await stack.call("agents.update", { agentId: "research-bot", workspace: "" });
  await page.getByRole("button", { name: "Create IDENTITY.md" }).click();
  await page.getByTestId("unsaved").waitFor({ state: "detached" });

  // File content with markup is text in the editor, never run.
  await stack.call("agents.files.set", { agentId: "research-bot", name: "USER.md", content: XSS });
  await page.getByRole("button", { name: /^USER\.md/ }).click();
  await eventually(async () => (await page.getByLabel("Content of USER.md").inputValue()) === XSS, { what: "USER.md in the editor" });
  assert.equal(await page.evaluate(() => window.__xss), undefined, "file content ran as script");

  // Heartbeat every 30m lands in the agent's config entry.
  await page.getByLabel("Every (empty = off)").fill("30m");
  await page.getByRole("button", { name: "Save heartbeat" }).click();
  await page.getByText("Heartbeat saved").waitFor();
  const c = await stack.call("config.get");
  assert.equal(c.config.agents.list.find((a) => a.id === "research-bot")?.heartbeat?.every, "30m");
  await page.getByTestId("last-heartbeat").waitFor();
  await screenshot(page, "agents-detail");

  // Delete, confirmed in the dialog.
  await page.getByRole("button", { name: "Delete agent" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete agent" }).click();
  await page.waitForURL(/\/agents$/);
  await page.locator("tr[data-agent=main]").waitFor();
  assert.equal(await page.locator("tr[data-agent=research-bot]").count(), 0);
  const after = await stack.call("agents.list");
  assert.ok(!after.agents.some((a) => a.id === "research-bot"), "the agent is still listed by the gateway");
  expectClean();
});

test("the default agent cannot be deleted and the panel works at 360 px", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 780 });
  await signIn(page, stack, "/agents/main");
  await page.getByRole("heading", { name: /Main/ }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Delete agent" }).isDisabled());
  await page.getByRole("button", { name: /^AGENTS\.md/ }).waitFor();
  await screenshot(page, "agents-narrow");
  expectClean();
});
