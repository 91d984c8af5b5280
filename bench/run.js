#!/usr/bin/env node
// `npm run bench`: runs every benchmark in bench/ (each `*.js` file but this one), one after the
// other so they do not compete for the CPU, with their output passed through, and writes
// bench/RESULTS.md: the machine (CPU model, cores, memory), Node's version, the date, and each
// benchmark's Markdown output. Exits non-zero if any of them does. Needs `npm run build` first
// (the npm script does it).
//
// `node bench/run.js load bulk` runs only those (and leaves RESULTS.md alone unless --write).
// Sizes: each benchmark reads its own HUSH_BENCH_* variables (see its header).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem, release, platform, arch } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const write = args.includes("--write");
const only = args.filter((a) => a !== "--write"); // optional: names to run, e.g. `node bench/run.js load`
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== self)
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.js$/, "")))
  .sort();

/** Runs one benchmark: its stdout is shown as it comes and kept; stderr is passed through. */
function run(file) {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(process.execPath, [join(here, file)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on("close", (status, signal) => resolve({ status, signal, out, seconds: (performance.now() - t) / 1000 }));
  });
}

function machine() {
  const c = cpus();
  const models = [...new Set(c.map((x) => x.model.trim()))].join(", ") || "unknown";
  const pkg = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8"));
  const gib = (n) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
  return [
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`,
    `- Machine: ${models}, ${c.length} logical cores, ${gib(totalmem())} RAM (${gib(freemem())} free at start), ${platform()} ${release()} ${arch()}`,
    `- Node ${process.version} (V8 ${process.versions.v8}), hush ${pkg.version}; dependencies: ${["yaml", "age-encryption", "sops-age"]
      .map((name) => {
        try {
          return `${name} ${JSON.parse(readFileSync(join(here, "..", "node_modules", name, "package.json"), "utf8")).version}`;
        } catch {
          return `${name} (not installed)`;
        }
      })
      .join(", ")}`,
    `- Benchmark sizes from the environment: ${
      Object.entries(process.env)
        .filter(([k]) => k.startsWith("HUSH_BENCH_") || k === "BENCH_RUNS")
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "defaults"
    }`,
  ];
}

const header = machine();
const sections = [];
let failed = 0;
for (const file of benches) {
  console.log(`\n# bench/${file}\n`);
  const r = await run(file);
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${file} exited with ${r.status ?? r.signal}`);
  }
  sections.push(
    `<!-- bench/${file}: ${r.seconds.toFixed(0)} s${r.status === 0 ? "" : `, FAILED (exit ${r.status ?? r.signal})`} -->\n\n` +
      (r.out.trim() || `bench/${file} printed nothing${r.status === 0 ? "" : " and failed"}.`),
  );
}

if (only.length === 0 || write) {
  const doc = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.js); every number is from the run below, on this machine.",
    "",
    ...header,
    "",
    ...sections.flatMap((s) => [s, ""]),
  ].join("\n");
  writeFileSync(join(here, "RESULTS.md"), doc);
  console.log(`\nwrote bench/RESULTS.md`);
}
if (failed > 0) process.exitCode = 1;
