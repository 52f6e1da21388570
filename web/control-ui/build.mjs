// Builds the Control UI into one directory the gateway embeds (src/gateway/CMakeLists.txt):
//   index.html, favicon.svg, assets/app.js, assets/app.css, and .gz / .br siblings of each
//   text file, which the gateway picks by Accept-Encoding.
// File names are fixed (CMake lists them before the build runs); index.html carries each
// asset's content hash as ?v= so a new build is never hidden by the year-long cache.
// Fails when the whole UI compressed goes over its budget (issue 17: 300 KB).
//
// Usage: node build.mjs [--out DIR] [--watch]
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync, constants as z } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIdx = args.indexOf("--out");
const out = outIdx >= 0 ? args[outIdx + 1] : join(here, "dist");
const BUDGET_BYTES = 300 * 1024;

mkdirSync(join(out, "assets"), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, "src/main.ts"), "app-style": join(here, "src/app.css") },
  bundle: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  minify: true,
  legalComments: "none",
  write: false,
  outdir: join(out, "assets"),
  logLevel: "warning",
  metafile: true,
});

const files = new Map();  // relative name -> Buffer
for (const f of result.outputFiles) {
  const name = f.path.endsWith(".css") ? "assets/app.css" : "assets/app.js";
  files.set(name, Buffer.from(f.contents));
}
const hash = (buf) => createHash("sha256").update(buf).digest("hex").slice(0, 16);
const html = readFileSync(join(here, "index.html"), "utf8")
  .replace("%JS_HASH%", hash(files.get("assets/app.js")))
  .replace("%CSS_HASH%", hash(files.get("assets/app.css")));
files.set("index.html", Buffer.from(html));
files.set("favicon.svg", readFileSync(join(here, "public/favicon.svg")));

let compressed = 0;
for (const [name, buf] of files) {
  writeFileSync(join(out, name), buf);
  const gz = gzipSync(buf, { level: 9 });
  const br = brotliCompressSync(buf, { params: { [z.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(join(out, name + ".gz"), gz);
  writeFileSync(join(out, name + ".br"), br);
  compressed += gz.length;
  console.log(`  ${name.padEnd(18)} ${String(buf.length).padStart(8)} B  gzip ${String(gz.length).padStart(7)} B  br ${String(br.length).padStart(7)} B`);
}
console.log(`control-ui: ${compressed} B gzip in all (budget ${BUDGET_BYTES} B) -> ${out}`);
if (compressed > BUDGET_BYTES) {
  console.error(`control-ui: over the ${BUDGET_BYTES} B budget; see what grew with esbuild's metafile`);
  process.exit(1);
}
