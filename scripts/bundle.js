#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from `tsc`) into dist/bundle/hush.js with esbuild,
// because start-up is dominated by loading modules: yaml and commander are CommonJS packages of
// dozens of files each, and our own code is ~30 more. One ESM file for what `hush decrypt` of an
// age file needs cuts cold start measurably (bench/cold-start.js shows by how much).
//
// `splitting` keeps every `await import()` a separate chunk, so commands and key services load
// only when used, as in dist/. Dependencies outside the hot path stay external and load from
// node_modules as before: the cloud SDKs and openpgp (large, and some resolve files at run time),
// simple-git, ajv, @actions/core, and any dependency added later (the safe default). Only the
// packages in BUNDLED are inlined.
//
// Run by `npm run build` after tsc; bin/hush.js uses the bundle when present, dist/cli/main.js
// otherwise. `npm run build` first runs this with `--clean`, which only deletes the old bundle: a
// failed tsc then leaves no stale bundle behind for bin/hush.js to run.
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = `${ROOT}dist/bundle`;

/** Dependencies inlined into the bundle: the ones `hush decrypt` loads, plus age-encryption. */
const BUNDLED = new Set(["commander", "yaml", "age-encryption"]);

const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8"));
const external = Object.keys(pkg.dependencies ?? {})
  .filter((d) => !BUNDLED.has(d))
  .flatMap((d) => [d, `${d}/*`]);

rmSync(OUT, { recursive: true, force: true });
if (process.argv.includes("--clean")) process.exit(0);

const { build } = await import("esbuild");
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { hush: "dist/cli/main.js" },
  outdir: OUT,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  // CommonJS code inside an ESM bundle (commander, yaml) calls require() for Node built-ins;
  // ESM has no require, so each file gets one.
  banner: {
    js: 'import { createRequire as __hushCreateRequire } from "node:module"; const require = __hushCreateRequire(import.meta.url);',
  },
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
const entry = outputs.find(([path]) => path.endsWith("dist/bundle/hush.js"))?.[1]?.bytes ?? 0;
console.log(`bundle: dist/bundle/hush.js ${(entry / 1024).toFixed(0)} KiB + ${outputs.length - 1} lazy chunks, ${(total / 1024).toFixed(0)} KiB in all`);
