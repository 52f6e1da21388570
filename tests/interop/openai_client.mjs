// Drives simpleclaw's OpenAI-compatible API with the official `openai` npm client
// (tests/interop/openai_client.sh installs it and starts the gateway and the fake LLM).
//
//   node openai_client.mjs --base-url http://127.0.0.1:<port>/v1 --token T --bin <simpleclaw>
//
// Checks: models.list, a streamed chat completion from an agent, a non-streaming one with
// usage, responses.create (plain and streamed, and previous_response_id), and an exec call
// that needs approval: approved (the stream waits, then finishes) and denied (the client
// raises an APIError that says so). Prints PASS/FAIL lines and "N passed, N failed".
import OpenAI from "openai";
import { execFileSync } from "node:child_process";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const client = new OpenAI({ baseURL: args["base-url"], apiKey: args.token, maxRetries: 0, timeout: 30000 });
const wsUrl = args["base-url"].replace(/^http/, "ws").replace(/\/v1$/, "");

let pass = 0, fail = 0;
async function check(name, fn) {
  try {
    await fn();
    pass++;
    console.log("PASS " + name);
  } catch (e) {
    fail++;
    console.log("FAIL " + name + "\n     | " + String(e && e.stack || e).split("\n").slice(0, 4).join("\n     | "));
  }
}
function expect(cond, what) { if (!cond) throw new Error(what); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cli(method, params) {
  const out = execFileSync(args.bin, ["call", method, "--url", wsUrl, "--token", args.token, "--json",
    ...(params ? ["--params", JSON.stringify(params)] : [])], { encoding: "utf8", timeout: 15000 });
  return JSON.parse(out);
}
// Waits for the pending exec approval and answers it.
async function resolveApproval(decision) {
  for (let i = 0; i < 100; i++) {
    const list = cli("exec.approval.list");
    const items = Array.isArray(list) ? list : (list.approvals || list.items || []);
    if (items.length > 0) {
      cli("exec.approval.resolve", { id: items[0].id, decision });
      return items[0];
    }
    await sleep(100);
  }
  throw new Error("no exec approval was requested");
}

await check("models.list lists the agents", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  expect(ids.includes("openclaw") && ids.includes("openclaw/main"), "models: " + ids.join(", "));
  const one = await client.models.retrieve("openclaw/main");
  expect(one.id === "openclaw/main", JSON.stringify(one));
});

await check("chat.completions streams a reply from an agent", async () => {
  const stream = await client.chat.completions.create({
    model: "openclaw/main", stream: true, stream_options: { include_usage: true },
    messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "hello from openai" }],
  });
  let text = "", finish = null, usage = null, chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const c = chunk.choices[0];
    if (!c) continue;
    text += c.delta?.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
  }
  expect(text === "echo: hello from openai", "text: " + JSON.stringify(text));
  expect(finish === "stop", "finish_reason: " + finish);
  expect(chunks >= 3, "chunks: " + chunks);
  expect(usage && usage.completion_tokens > 0, "usage: " + JSON.stringify(usage));
});

await check("chat.completions without streaming, same session by user", async () => {
  const a = await client.chat.completions.create({ model: "openclaw", user: "interop",
    messages: [{ role: "user", content: "first" }] });
  expect(a.object === "chat.completion", JSON.stringify(a));
  expect(a.choices[0].message.content === "echo: first", JSON.stringify(a.choices));
  expect(a.usage.prompt_tokens > 0 && a.usage.total_tokens === a.usage.prompt_tokens + a.usage.completion_tokens,
    JSON.stringify(a.usage));
  const { data, response } = await client.chat.completions.create({ model: "openclaw", user: "interop",
    messages: [{ role: "user", content: "second" }] }).withResponse();
  expect(data.choices[0].message.content === "echo: second", JSON.stringify(data.choices));
  const key = response.headers.get("x-simpleclaw-session-key");
  expect(key === "agent:main:openai-user:interop", "session: " + key);
  const hist = cli("chat.history", { sessionKey: key });
  expect(hist.messages.length === 4, "history: " + hist.messages.length + " messages");
});

await check("an unknown agent is a clear 404", async () => {
  try {
    await client.chat.completions.create({ model: "openclaw/nobody", messages: [{ role: "user", content: "x" }] });
    throw new Error("no error");
  } catch (e) {
    expect(e instanceof OpenAI.NotFoundError, "got " + e);
    expect(String(e.message).includes("model not found"), e.message);
  }
});

await check("responses.create (plain, streamed, previous_response_id)", async () => {
  const r = await client.responses.create({ model: "openclaw", input: "remember seven", instructions: "Be brief." });
  expect(r.status === "completed", JSON.stringify(r));
  expect(r.output_text === "echo: remember seven", "output_text: " + r.output_text);
  const stream = await client.responses.create({ model: "openclaw", input: "and now?", stream: true,
    previous_response_id: r.id });
  const types = [];
  let text = "", done = null;
  for await (const ev of stream) {
    types.push(ev.type);
    if (ev.type === "response.output_text.delta") text += ev.delta;
    if (ev.type === "response.completed") done = ev.response;
  }
  expect(types[0] === "response.created" && types.at(-1) === "response.completed", types.join(","));
  expect(text === "echo: and now?", "text: " + text);
  expect(done.output_text === undefined || done.output_text === "echo: and now?", "final");
  expect(done.output[0].content[0].text === "echo: and now?", JSON.stringify(done.output));
});

await check("an exec call needing approval holds the stream until approved", async () => {
  const stream = await client.chat.completions.create({ model: "openclaw", stream: true,
    messages: [{ role: "user", content: "please run-probe now" }] });
  const reading = (async () => {
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    return text;
  })();
  const first = await Promise.race([reading.then(() => "ended"), sleep(800).then(() => "held")]);
  expect(first === "held", "the stream ended before the approval");
  await resolveApproval("allow-once");
  const text = await reading;
  expect(text === "exec done: run-probe", "text: " + JSON.stringify(text));
});

await check("a denied exec call ends the stream with a clear error", async () => {
  const stream = await client.chat.completions.create({ model: "openclaw", stream: true,
    messages: [{ role: "user", content: "run-probe once more" }] });
  const reading = (async () => { for await (const _ of stream) { /* until the error */ } })();
  reading.catch(() => {});
  await resolveApproval("deny");
  try {
    await reading;
    throw new Error("the stream ended without an error");
  } catch (e) {
    expect(e instanceof OpenAI.APIError, "got " + e);
    expect(String(e.message).includes("exec denied"), e.message);
  }
});

console.log(`${pass} passed, ${fail} failed`);
process.exit(fail === 0 ? 0 : 1);
