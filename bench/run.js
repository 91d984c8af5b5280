#!/usr/bin/env node
// `npm run bench`: runs every benchmark in bench/ (each `*.js` file but this one), one after the
// other so they do not compete for the CPU, with their output passed through. Exits non-zero if
// any of them does. Needs `npm run build` first (the npm script does it).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const only = process.argv.slice(2); // optional: names to run, e.g. `node bench/run.js load`
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== self)
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.js$/, "")))
  .sort();

let failed = 0;
for (const file of benches) {
  console.log(`\n# bench/${file}\n`);
  const r = spawnSync(process.execPath, [join(here, file)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${file} exited with ${r.status ?? r.signal}`);
  }
}
if (failed > 0) process.exitCode = 1;
