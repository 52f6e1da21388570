// Every params schema of ours that OpenClaw's published protocol also defines must take
// every field OpenClaw's allows (simpleclaw ignores what it does not support, and
// docs/openclaw-compat.md says so). Schemas that were open stay open (see tooOpen).
//   node params_compat.cjs PROTOCOL_SCHEMA_JSON OUR_METHOD_SCHEMA_DIR
// Prints one PASS/FAIL line per method compared.
const fs = require("fs");
const path = require("path");
const [schemaFile, dir] = process.argv.slice(2);
const defs = JSON.parse(fs.readFileSync(schemaFile, "utf8")).definitions;
const pascal = (m) => m.split(/[.-]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");
let compared = 0;
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".params.json")).sort()) {
  const method = file.slice(0, -".params.json".length);
  const oc = defs[pascal(method) + "Params"];
  if (!oc || oc.type !== "object" || oc.anyOf) continue;
  const ours = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  const props = ours.properties || {};
  const open = ours.additionalProperties !== false;
  const refused = Object.keys(oc.properties || {}).filter((p) => !(p in props) && !open);
  // Where ours is open and OpenClaw's published schema is closed, ours stays open on
  // purpose: OpenClaw's own newer clients send fields its published schema lacks (the
  // 2026.9.6 Control UI sends models.list {sessionKey}), and refusing them breaks them.
  const tooOpen = false;
  compared++;
  const name = `params of ${method} match OpenClaw's ${pascal(method)}Params`;
  if (refused.length === 0 && !tooOpen) console.log("PASS " + name);
  else console.log("FAIL " + name + "\n     | " + (refused.length ? "refuses OpenClaw fields: " + refused.join(", ") : "") +
                   (tooOpen ? " takes unknown fields OpenClaw refuses" : ""));
}
console.log(compared > 40 ? "PASS params schemas compared: " + compared : "FAIL params schemas compared: only " + compared);
