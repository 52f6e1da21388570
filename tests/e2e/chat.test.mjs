// The Chat panel: sending and the streamed markdown reply, inline tool calls and command
// approvals, hostile text, abort, a reconnect mid-stream, history paging, sessions and
// models, and the composer on a phone-sized screen.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { startStack, openBrowser, signIn, screenshot, eventually } from "./harness.mjs";

// A slow streamed reply ("word1 ... word40", one word every 100 ms) to act on mid-stream.
const SLOW = ["--exec-when", "run-probe", "--chunks", "40", "--chunk-delay-ms", "100"];

const assistant = (page, text) => page.locator('[data-testid="msg-assistant"]', { hasText: text });
const user = (page, text) => page.locator('[data-testid="msg-user"]', { hasText: text });

async function send(page, text) {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

async function connected(page) {
  await page.locator('[data-testid="conn-state"]', { hasText: "connected" }).waitFor({ timeout: 10000 });
}

// A valid 1x1 PNG (the gateway checks the bytes).
function png() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.from([0, 0xff, 0, 0]))), chunk("IEND", Buffer.alloc(0))]);
}

test("a message gets its streamed reply as markdown, and both are there after a reload", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/chat");
  await page.locator(".empty", { hasText: "No messages" }).waitFor();
  const box = page.getByLabel("Message", { exact: true });
  // Shift+Enter is a new line, not a send.
  await box.fill("hello **bold**");
  await box.press("Shift+Enter");
  assert.equal(await box.inputValue(), "hello **bold**\n");
  await box.fill("hello **bold**");
  await box.press("Enter");
  await user(page, "hello **bold**").waitFor();
  assert.equal(await box.inputValue(), "", "the composer is emptied after a send");
  await assistant(page, "echo: hello").locator("strong", { hasText: "bold" }).waitFor();
  await screenshot(page, "chat-reply");
  const h = await stack.call("chat.history", { sessionKey: "agent:main:main" });
  assert.deepEqual(h.messages.map((m) => m.role), ["user", "assistant"]);

  await page.reload();
  await connected(page);
  await user(page, "hello **bold**").waitFor();
  await assistant(page, "echo: hello").locator("strong", { hasText: "bold" }).waitFor();
  assert.equal(await assistant(page, "echo: hello").count(), 1, "the reply is shown once");

  // A fenced code block in a reply is a code block, its text verbatim.
  await send(page, "see:\n```\nconst x = 1 < 2;\n```");
  const code = assistant(page, "echo: see").locator("pre code");
  await code.waitFor();
  assert.equal((await code.textContent()).trim(), "const x = 1 < 2;");
  await screenshot(page, "chat-code-block");
  expectClean();
});

test("a command approval is answered inline and the tool result shows in the chat", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/chat");
  await send(page, "please run-probe now");
  const approval = page.locator('[data-testid="approval"]');
  await approval.locator("pre", { hasText: "echo run-probe-ran" }).waitFor();
  // A prompt still pending when the page is opened again comes from exec.approval.list.
  await page.reload();
  await connected(page);
  await approval.locator("pre", { hasText: "echo run-probe-ran" }).waitFor();
  await screenshot(page, "chat-approval");
  await approval.getByRole("button", { name: "Allow once" }).click();
  await approval.waitFor({ state: "detached" });
  await assistant(page, "exec done: run-probe").waitFor();
  const tool = page.locator('[data-testid="tool"]', { hasText: "exec" });
  const result = tool.locator("pre").filter({ hasText: /^run-probe-ran/ });
  assert.equal(await result.isVisible(), false, "the tool block starts collapsed");
  await tool.locator("summary").click();
  await result.waitFor({ state: "visible" });
  await screenshot(page, "chat-tool-result");
  assert.deepEqual(await stack.call("exec.approval.list"), []);
  expectClean();
});

test("hostile text and file names stay text and run nothing", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/chat");
  const evil = `<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [link](javascript:window.__xss=3)`;
  await send(page, evil);
  await user(page, "<script>window.__xss=2</script>").waitFor();
  const reply = assistant(page, "echo:");
  await reply.locator("a", { hasText: "link" }).waitFor();
  await reply.locator("a", { hasText: "link" }).click();
  await page.waitForTimeout(200);
  const panel = page.locator("sc-chat-panel");
  assert.equal(await panel.locator("img[onerror]").count(), 0);
  assert.equal(await panel.locator("script").count(), 0);
  assert.equal(await panel.locator('a[href^="javascript"]').count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // The model's raw HTML is shown as the text it is.
  assert.ok((await reply.textContent()).includes('<img src=x onerror="window.__xss=1">'), await reply.textContent());

  const name = "<img src=x onerror=window.__xss=4>.png";
  await page.locator('input[type="file"]').setInputFiles({ name, mimeType: "image/png", buffer: png() });
  await page.locator('[data-testid="attachment"]', { hasText: name }).waitFor();
  await screenshot(page, "chat-xss-attachment");
  await send(page, "a picture");
  await user(page, "a picture").locator("figcaption", { hasText: name }).waitFor();
  await assistant(page, "echo: a picture").waitFor();
  const h = await stack.call("chat.history", { sessionKey: "agent:main:main" });
  const image = h.messages.find((m) => m.role === "user" && m.content.some((p) => p.type === "image"));
  assert.equal(image?.content.find((p) => p.type === "image").fileName, name, "the image reached the gateway");
  // What the gateway refuses (not really a PNG) goes back into the composer.
  await page.locator('input[type="file"]').setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not a png") });
  await send(page, "keep me");
  await page.locator(".toast.error", { hasText: "Not sent" }).waitFor();
  assert.equal(await page.getByLabel("Message", { exact: true }).inputValue(), "keep me");
  await page.locator('[data-testid="attachment"]', { hasText: "fake.png" }).waitFor();
  assert.equal(await user(page, "keep me").count(), 0);
  await page.getByRole("button", { name: "Remove fake.png" }).click();
  await page.reload();
  await connected(page);
  await user(page, "a picture").locator("figcaption", { hasText: name }).waitFor();
  assert.equal(await panel.locator("img[onerror]").count(), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  await screenshot(page, "chat-xss");
  expectClean();
});

test("Abort stops a streaming reply before it is complete", async (t) => {
  const stack = await startStack(t, { llmArgs: SLOW });
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/chat");
  await send(page, "tell me a long story");
  await assistant(page, "word3").waitFor();
  await page.getByRole("button", { name: "Abort" }).click();
  await page.locator('[data-testid="run-aborted"]').waitFor();
  await screenshot(page, "chat-aborted");
  await page.waitForTimeout(800);
  const text = await page.locator("sc-chat-panel .log").innerText();
  assert.ok(!/word40/.test(text), "the full reply arrived despite the abort");
  assert.equal(await page.getByRole("button", { name: "Abort" }).count(), 0, "Abort stays after the run ended");
  const s = await stack.call("sessions.list", {});
  assert.deepEqual(s.sessions[0].activeRunIds, [], "the run still runs in the gateway");
  // The transcript keeps the partial reply, marked aborted.
  await page.reload();
  await connected(page);
  await assistant(page, "word3").locator('[data-testid="run-aborted"]').waitFor();
  expectClean();
});

test("a connection dropped mid-stream comes back and the whole reply is on screen", async (t) => {
  // Slower still: the stream must outlast the reconnect for the test to mean anything.
  const stack = await startStack(t, { llmArgs: ["--chunks", "40", "--chunk-delay-ms", "200"] });
  const { page, expectClean } = await openBrowser(t);
  // Every WebSocket of the page goes through this pass-through proxy, so the test can
  // drop the connection the way a network failure would.
  const sockets = [];
  await page.routeWebSocket(/.*/, (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  await signIn(page, stack, "/chat");
  await send(page, "tell me a long story");
  await assistant(page, "word3").waitFor();
  for (const ws of sockets.splice(0)) await ws.close({ code: 4000, reason: "network gone" });
  await page.locator('[data-testid="conn-state"]', { hasText: "reconnecting" }).waitFor();
  const words = (s) => Math.max(0, ...[...s.matchAll(/word(\d+)/g)].map((m) => Number(m[1])));
  const before = words(await page.locator("sc-chat-panel .log").innerText());
  await screenshot(page, "chat-disconnected");
  await connected(page);
  assert.equal(sockets.length, 1, "the page did not open a new socket");
  assert.ok(before >= 3 && before < 40, `the reply was complete before the reconnect (word${before}): the test proves nothing`);
  // The stream goes on after the reconnect: new deltas while it is still streaming...
  const streaming = page.locator('[data-testid="msg-assistant"]', { hasText: "streaming…" });
  await eventually(async () => words(await streaming.innerText({ timeout: 1000 })) > before + 1,
    { what: "new deltas after the reconnect", timeout: 15000 });
  // ...and then the final reply, once.
  await assistant(page, "word40").waitFor({ timeout: 15000 });
  await streaming.waitFor({ state: "detached" });
  assert.equal(await assistant(page, "word1 ").count(), 1, "the reply is shown once");
  await screenshot(page, "chat-reconnected");
  expectClean();
});

test("Load older messages pages back through a long history", async (t) => {
  const stack = await startStack(t);
  const key = "agent:main:paging";
  // Ten old notes in order, then more than a page (50) of newer ones, added in parallel.
  for (let i = 1; i <= 10; i++) await stack.call("chat.inject", { sessionKey: key, message: `old note ${i}.` });
  for (let b = 0; b < 5; b++)
    await Promise.all(Array.from({ length: 10 }, (_, i) => stack.call("chat.inject", { sessionKey: key, message: `new note ${b * 10 + i + 1}.` })));
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, `/chat/${encodeURIComponent(key)}`);
  await assistant(page, "new note 50.").waitFor();
  const older = page.getByRole("button", { name: "Load older messages" });
  await older.waitFor();
  assert.equal(await page.locator('[data-testid="msg-assistant"]').count(), 50, "the first page is 50 messages");
  assert.equal(await assistant(page, "old note").count(), 0, "older messages were loaded before they were asked for");
  await screenshot(page, "chat-paging-first");
  await older.click();
  await assistant(page, "old note 1.").waitFor();
  await older.waitFor({ state: "detached" });
  const texts = (await page.locator('[data-testid="msg-assistant"]').allInnerTexts()).map((s) => s.trim());
  assert.equal(texts.length, 60);
  assert.deepEqual(texts.slice(0, 10), Array.from({ length: 10 }, (_, i) => `old note ${i + 1}.`), "older ones come first, in order");
  assert.ok(texts.slice(10).every((s) => s.startsWith("new note")));
  await screenshot(page, "chat-paging-all");
  expectClean();
});

test("sessions can be created and switched, and the model picked", async (t) => {
  const stack = await startStack(t);
  await stack.call("chat.send", { sessionKey: "agent:main:main", message: "only in main", idempotencyKey: "main-1" });
  const { page, expectClean } = await openBrowser(t);
  await signIn(page, stack, "/chat");
  await assistant(page, "echo: only in main").waitFor();
  await page.getByRole("button", { name: "New session" }).click();
  await eventually(() => decodeURIComponent(new URL(page.url()).pathname).startsWith("/chat/agent:main:dashboard:"),
    { what: "the new session's address" });
  const newKey = decodeURIComponent(new URL(page.url()).pathname.slice("/chat/".length));
  await page.locator(".empty", { hasText: "No messages" }).waitFor();
  assert.equal(await assistant(page, "only in main").count(), 0);
  await send(page, "in the new one");
  await assistant(page, "echo: in the new one").waitFor();
  const h = await stack.call("chat.history", { sessionKey: newKey });
  assert.equal(h.messages[0].content[0].text, "in the new one");

  const picker = page.getByLabel("Session");
  await eventually(async () => (await picker.locator("option").allInnerTexts()).some((s) => s.includes("only in main")),
    { what: "the main session in the picker" });
  await picker.selectOption("agent:main:main");
  await eventually(() => new URL(page.url()).pathname === "/chat", { what: "back on the main session" });
  await assistant(page, "echo: only in main").waitFor();
  assert.equal(await assistant(page, "in the new one").count(), 0, "the other session's messages stayed");

  const model = page.getByLabel("Model");
  assert.equal(await model.inputValue(), "", "a session without an override shows the default");
  await model.selectOption("fake/gpt-test");
  await page.locator(".toast", { hasText: "Model for this session: fake/gpt-test" }).waitFor();
  await screenshot(page, "chat-sessions");
  expectClean();
});

test("on a 360 px screen the composer and Send are visible and work", async (t) => {
  const stack = await startStack(t);
  const { page, expectClean } = await openBrowser(t, { width: 360, height: 740 });
  await signIn(page, stack, "/chat");
  const box = page.getByLabel("Message", { exact: true });
  const sendButton = page.getByRole("button", { name: "Send" });
  for (const el of [box, sendButton]) {
    await el.waitFor({ state: "visible" });
    const b = await el.boundingBox();
    assert.ok(b && b.x >= 0 && b.x + b.width <= 360 && b.y + b.height <= 740, `off screen: ${JSON.stringify(b)}`);
  }
  await box.fill("from a phone");
  await sendButton.click();
  await assistant(page, "echo: from a phone").waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page scrolls sideways (${width} px)`);
  await screenshot(page, "chat-narrow");
  expectClean();
});
