// Drives OpenClaw's own Control UI (served by simpleclaw through gateway.control_ui.root)
// in headless Debian Chromium with playwright-core, and reports what a user would see.
//
//   node control_ui.mjs --url http://127.0.0.1:PORT --token T --out result.json
//        [--panels chat,sessions,...] [--chat "message"] [--expect-reply "text"]
//        [--approve TEXT] [--after-panels usage,models] [--shots DIR]
//
// For every panel: the page is loaded fresh (deep link), the RPCs the page sends are read
// off its WebSocket, and the panel fails when a method answers ok:false or an error
// banner (.callout.danger) is on screen. --chat sends a message from the Chat panel and
// waits for the streamed reply to be on screen; --approve TEXT sends TEXT (the fake LLM
// answers it with an exec tool call that needs approval), opens the Approvals panel,
// clicks "allow once" and waits for the run to finish. Uncaught page errors count like
// error banners. --after-panels visits panels again once the chat and approval runs
// are done (their results keep the sessions.usage answers, to judge what the Usage panel
// had to show). Output: JSON {panels:[{id, route, methods, failed, banners}], chat,
// approval, afterPanels, boot, pageErrors}; exit status 0 when the run itself worked (the
// caller judges the result).
import { chromium } from "playwright-core";
import fs from "node:fs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : true]);
    return acc;
  }, []),
);
const base = String(args.url).replace(/\/$/, "");
const token = String(args.token);
const PANELS = {
  chat: "/chat/main",
  sessions: "/sessions",
  agents: "/agents",
  "agent-settings": "/settings/agents",
  channels: "/settings/channels",
  systems: "/systems",
  devices: "/settings/devices",
  approvals: "/settings/approvals",
  config: "/settings/advanced",
  models: "/settings/model-providers",
  logs: "/logs",
  usage: "/usage",
  automations: "/automations",
  connection: "/settings/connection",
  debug: "/debug",
};
const wanted = args.panels ? String(args.panels).split(",") : Object.keys(PANELS);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();

// Every RPC the page makes: id -> {method, panel}; answers folded in.
let current = "boot";
let lastRpc = Date.now();  // when the page last sent or got an RPC frame
const pending = new Map();
const calls = [];
const events = [];
const consoleErrors = [];
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push({ panel: current, text: String(e && e.message || e).slice(0, 300) }));
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push({ panel: current, text: m.text().slice(0, 300) }); });
page.on("websocket", (ws) => {
  ws.on("framesent", ({ payload }) => {
    let f; try { f = JSON.parse(payload); } catch { return; }
    if (f.type === "req") { pending.set(f.id, { method: f.method, panel: current, params: f.params }); lastRpc = Date.now(); }
    if (process.env.FRAME_LOG && current === "chat-send") fs.appendFileSync(process.env.FRAME_LOG, "> " + payload.slice(0, 1500) + "\n");
  });
  ws.on("framereceived", ({ payload }) => {
    let f; try { f = JSON.parse(payload); } catch { return; }
    if (process.env.FRAME_LOG && current === "chat-send") fs.appendFileSync(process.env.FRAME_LOG, "< " + payload.slice(0, 1500) + "\n");
    if (f.type === "res" && pending.has(f.id)) {
      const c = pending.get(f.id);
      pending.delete(f.id);
      lastRpc = Date.now();
      // Usage answers are kept whole: the judge checks what the Usage panel was given.
      const keep = c.method === "sessions.usage" && f.ok ? f.payload : undefined;
      calls.push({ panel: c.panel, method: c.method, ok: f.ok === true, error: f.ok ? undefined : f.error, payload: keep });
    } else if (f.type === "event") {
      events.push({ panel: current, event: f.event, state: f.payload && f.payload.state, payload: f.payload });
    }
  });
});

const settle = (ms) => page.waitForTimeout(ms);
// Waits until a freshly loaded panel is done talking: it has sent its RPCs, every one is
// answered and the socket has been quiet for a while. A fixed sleep flaked on a busy
// machine (a panel judged before its first call); a panel that calls nothing is judged
// after `idleMax` ms.
async function settlePanel(tag, { min = 1500, quietMs = 800, idleMax = 6000, max = 20000 } = {}) {
  const start = Date.now();
  for (;;) {
    await settle(100);
    const elapsed = Date.now() - start;
    if (elapsed >= max) return;
    if (elapsed < min) continue;
    const open = [...pending.values()].some((c) => c.panel === tag);
    const called = calls.some((c) => c.panel === tag);
    if (open || Date.now() - lastRpc < quietMs) continue;
    if (called || elapsed >= idleMax) return;
  }
}
// What a user sees go wrong: error callouts, toasts, chat errors, and any protocol error
// text rendered anywhere on the page.
const ERROR_TEXT = /unknown method|invalid [\w.-]+ params|missing scope|not paired|pairing required|INVALID_REQUEST|UNAVAILABLE/i;
async function banners() {
  const boxes = await page.$$eval(
    ".callout.danger, .oc-banner-error, .app-toast, .chat-error, .chat-history-error",
    (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.textContent.trim().replace(/\s+/g, " ").slice(0, 300)));
  const text = await page.evaluate(() => document.body.innerText);
  const lines = text.split("\n").filter((l) => ERROR_TEXT.test(l)).map((l) => l.trim().slice(0, 300));
  return [...new Set([...boxes, ...lines])];
}

const result = { panels: [], boot: {}, consoleErrors, pageErrors };
// Boot: the token handed over in the fragment, as `openclaw dashboard` does.
await page.goto(`${base}/#token=${encodeURIComponent(token)}`, { waitUntil: "domcontentloaded" });
await settlePanel("boot", { min: 2500 });
result.boot = { url: page.url(), banners: await banners(), title: await page.title() };
if (args.shots) await page.screenshot({ path: `${args.shots}/boot.png` });

// Loads one panel fresh and reports what it called and showed; `tag` names the visit.
async function visit(id, tag) {
  const route = PANELS[id];
  current = tag;
  await page.goto(`${base}${route}`, { waitUntil: "domcontentloaded" });
  await settlePanel(tag);
  const mine = calls.filter((c) => c.panel === tag);
  if (args.shots) await page.screenshot({ path: `${args.shots}/${tag}.png` });
  return {
    id, route, url: page.url(),
    methods: [...new Set(mine.map((c) => c.method))].sort(),
    failed: mine.filter((c) => !c.ok).map((c) => ({ method: c.method, error: c.error })),
    banners: await banners(),
    pageErrors: pageErrors.filter((e) => e.panel === tag).map((e) => e.text),
    usage: mine.filter((c) => c.payload).map((c) => c.payload),
    text: (await page.evaluate(() => document.body.innerText)).slice(0, 4000),
  };
}

for (const id of wanted) result.panels.push(await visit(id, id));

if (args.chat) {
  current = "chat-send";
  await page.goto(`${base}/chat/main`, { waitUntil: "domcontentloaded" });
  await settlePanel(current);
  const box = page.locator("textarea:visible").first();
  await box.fill(String(args.chat));
  await box.press("Enter");
  const expect = String(args["expect-reply"] || "");
  let seen = false;
  try {
    await page.waitForFunction((t) => document.body.innerText.includes(t), expect, { timeout: 20000 });
    seen = true;
  } catch { /* reported below */ }
  const mine = calls.filter((c) => c.panel === current);
  result.chat = {
    replyOnScreen: seen,
    methods: [...new Set(mine.map((c) => c.method))].sort(),
    failed: mine.filter((c) => !c.ok).map((c) => ({ method: c.method, error: c.error })),
    chatEvents: events.filter((e) => e.panel === current && e.event === "chat").map((e) => e.state),
    banners: await banners(),
    pageErrors: pageErrors.filter((e) => e.panel === current).map((e) => e.text),
  };
  if (args.shots) await page.screenshot({ path: `${args.shots}/chat-send.png` });
}

if (args.approve) {
  // The request: a chat message the fake LLM answers with an exec call (needs approval).
  current = "approve";
  const text = String(args.approve);
  await page.goto(`${base}/chat/main`, { waitUntil: "domcontentloaded" });
  await settlePanel(current);
  const box = page.locator("textarea:visible").first();
  await box.fill(text);
  await box.press("Enter");
  const requested = async () => events.some((e) => e.panel === current && e.event === "exec.approval.requested");
  for (let i = 0; i < 100 && !(await requested()); i++) await settle(100);
  const wasRequested = await requested();
  await settle(1500);
  if (args.shots) await page.screenshot({ path: `${args.shots}/approval-prompt.png` });
  const buttons = await page.$$eval("button", (els) => els.filter((e) => e.offsetParent !== null).map((e) => e.innerText.trim()).filter(Boolean));
  // The prompt the UI shows for a pending approval; a user clicks "allow once".
  let clicked = "";
  for (const label of [/allow once/i, /approve once/i, /^approve$/i, /^allow$/i]) {
    const b = page.getByRole("button", { name: label }).first();
    if (await b.count()) { await b.click(); clicked = String(label); break; }
  }
  const resolved = async () => events.find((e) => e.panel === current && e.event === "exec.approval.resolved");
  for (let i = 0; i < 100 && !(await resolved()); i++) await settle(100);
  const res = await resolved();
  const finals = async () => events.some((e) => e.panel === current && e.event === "chat" && e.state === "final");
  for (let i = 0; i < 150 && !(await finals()); i++) await settle(100);
  const replyOnScreen = await page.evaluate(() => document.body.innerText).then((t) => t.includes("exec done: ")).catch(() => false);
  // The Approvals panel's history lists the decision.
  await page.goto(`${base}/settings/approvals`, { waitUntil: "domcontentloaded" });
  await settlePanel(current);
  const historyText = await page.evaluate(() => document.body.innerText);
  if (args.shots) await page.screenshot({ path: `${args.shots}/approvals-history.png` });
  const mine = calls.filter((c) => c.panel === current);
  result.approval = {
    requested: wasRequested,
    clicked,
    buttons,
    decision: res ? (res.payload.decision || null) : null,
    runFinished: await finals(),
    replyOnScreen,
    inHistory: historyText.includes(text),
    methods: [...new Set(mine.map((c) => c.method))].sort(),
    failed: mine.filter((c) => !c.ok).map((c) => ({ method: c.method, error: c.error })),
    banners: await banners(),
    pageErrors: pageErrors.filter((e) => e.panel === current).map((e) => e.text),
  };
  if (args.shots) await page.screenshot({ path: `${args.shots}/approve.png` });
}

result.afterPanels = [];
if (args["after-panels"])
  for (const id of String(args["after-panels"]).split(",")) result.afterPanels.push(await visit(id, `${id}-after`));

result.bootCalls = calls.filter((c) => c.panel === "boot").map((c) => ({ method: c.method, ok: c.ok, error: c.ok ? undefined : c.error?.message }));
fs.writeFileSync(String(args.out), JSON.stringify(result, null, 2));
await browser.close();
