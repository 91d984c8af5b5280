#!/usr/bin/env node
// `npm run bench`: runs every benchmark in bench/ (each `*.js` file but this one), one after the
// other so they do not compete for the CPU, with their output passed through, and writes
// bench/RESULTS.md: the machine (CPU model, cores, memory), Node's version, the date, and each
// benchmark's Markdown output. Exits non-zero if any of them does. Needs `npm run build` first
// (the npm script does it).
//
// `node bench/run.js load bulk` runs only those (and leaves RESULTS.md alone unless --write);
// with --update, their sections in RESULTS.md are replaced (or added) and the rest is kept.
// Sizes: each benchmark reads its own HUSH_BENCH_* variables (see its header).
//
// Per Node version (issue 21): cold start and bulk also run on the pinned Node 22 and 24
// (scripts/nodes.js, installed into ~/.cache/hush-ci on first use), and RESULTS.md opens with a
// table of one row per version. HUSH_BENCH_NODES narrows the versions (`current`, `current,24`).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, totalmem, release, platform, arch, loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { selectedNodes } from "../scripts/nodes.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const write = args.includes("--write");
const update = args.includes("--update");
const only = args.filter((a) => a !== "--write" && a !== "--update"); // optional: names to run, e.g. `node bench/run.js load`
/** Tools rather than benchmarks of this build: run only when named (they need arguments). */
const ON_REQUEST = ["before-after.js"];
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== self)
  // before-after.js compares builds the caller names (checkouts built side by side), so it runs only when named.
  .filter((f) => (only.length === 0 ? !ON_REQUEST.includes(f) : only.includes(f.replace(/\.js$/, ""))))
  .sort();

/** The benchmarks that also run on every other Node version. */
const PER_VERSION = ["bulk.js", "cold-start.js"];
const summaryDir = mkdtempSync(join(tmpdir(), "hush-bench-"));
const summaryFile = join(summaryDir, "summary.jsonl");
writeFileSync(summaryFile, "");

/** Runs one benchmark: its stdout is shown as it comes and kept; stderr is passed through. */
function run(file, node = process.execPath) {
  return new Promise((resolve) => {
    const t = performance.now();
    const child = spawn(node, [join(here, file)], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, HUSH_BENCH_SUMMARY: summaryFile } });
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
    `- Load average at start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")} (1, 5, 15 min). The machine may be shared: wall-clock numbers are noisy; prefer the medians, and the CPU columns of the cold start, which load disturbs much less`,
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
const others = benches.some((f) => PER_VERSION.includes(f)) ? selectedNodes(process.env.HUSH_BENCH_NODES).filter((n) => n.node !== process.execPath) : [];
const runs = [
  ...benches.map((file) => ({ file, node: process.execPath, version: process.version })),
  ...others.flatMap(({ node, label }) => benches.filter((f) => PER_VERSION.includes(f)).map((file) => ({ file, node, version: label }))),
];
for (const { file, node, version } of runs) {
  const on = node === process.execPath ? "" : ` (Node ${version})`;
  console.log(`\n# bench/${file}${on}\n`);
  const r = await run(file, node);
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${file}${on} exited with ${r.status ?? r.signal}`);
  }
  sections.push(
    `<!-- bench/${file}${on}: ${r.seconds.toFixed(0)} s${r.status === 0 ? "" : `, FAILED (exit ${r.status ?? r.signal})`} -->\n\n` +
      (r.out.trim() || `bench/${file} printed nothing${r.status === 0 ? "" : " and failed"}.`),
  );
}

/** One row per Node version: cold start (wall and CPU, against `node -e ''`) and bulk. */
function perVersion() {
  const rows = readFileSync(summaryFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  rmSync(summaryDir, { recursive: true, force: true });
  const versions = [...new Set(rows.map((r) => r.node))];
  if (versions.length === 0) return [];
  const f1 = (x) => (x === undefined ? "—" : x.toFixed(1));
  const ratio = (a, b) => (a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`);
  const out = [
    "## Per Node version",
    "",
    "Cold start: `hush decrypt` of the 50-value age file (bench/cold-start.js: wall = median, CPU = mean user+system per run) against `node -e ''` on the same Node; " +
      "the floor of any decrypt is Node reading the file, loading node:crypto and writing it out; compile cache only = the bundle by require() with `module.enableCompileCache()` and no vm code cache (Node ≥ 22.1). " +
      "Bulk: 10,000 values in process (bench/bulk.js, median). Targets (issue 20): decrypt ≤ 1.3× `node -e ''`, exec-env ≤ 1.35×, git textconv ≤ 1.3×.",
    "",
    "| Node | `node -e ''` wall / CPU (ms) | decrypt wall / CPU (ms) | decrypt × wall | decrypt × CPU | exec-env × CPU | git textconv × CPU | floor of any decrypt × CPU | compile cache only × CPU | `--version` × CPU | bulk encrypt 10k (ms) | bulk decrypt 10k (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const v of versions) {
    const c = rows.find((r) => r.node === v && r.bench === "cold-start");
    const b = rows.find((r) => r.node === v && r.bench === "bulk")?.sizes?.["10000"];
    out.push(
      `| ${v} | ${f1(c?.floor.wall)} / ${f1(c?.floor.cpu)} | ${f1(c?.decrypt.wall)} / ${f1(c?.decrypt.cpu)} | ${ratio(c?.decrypt.wall, c?.floor.wall)} | ${ratio(c?.decrypt.cpu, c?.floor.cpu)} | ` +
        `${ratio(c?.execEnv?.cpu, c?.floor.cpu)} | ${ratio(c?.textconv?.cpu, c?.floor.cpu)} | ` +
        `${ratio(c?.cryptoFloor?.cpu, c?.floor.cpu)} | ${ratio(c?.compileCacheOnly?.cpu, c?.floor.cpu)} | ${ratio(c?.version?.cpu, c?.floor.cpu)} | ${f1(b?.enc)} | ${f1(b?.dec)} |`,
    );
  }
  return [out.join("\n"), ""];
}
const summary = perVersion();

/**
 * The verdicts of issue 20's targets, gathered from what each benchmark of this Node printed (the
 * lines that say met / not met, flat, linear), under its section's title: one place that shows
 * each target met or not. Why a target is not met is in its section (the paragraph after it).
 */
function verdicts() {
  const out = [];
  let unmet = 0;
  for (const [i, { node }] of runs.entries()) {
    if (node !== process.execPath) continue;
    const lines = sections[i].split("\n");
    const title = lines.find((l) => l.startsWith("## "));
    const picked = [];
    for (const l of lines) {
      const row = /^\| ([^|]+) \|.*\| (≤ [^|]+) \| \*\*no\*\* \|$/.exec(l);
      if (row) picked.push(`- ${row[1]}: target ${row[2]}: **not met**`);
      else if (/\*\*(not )?met\*\*|: met[.;]|memory targets? (are|is) met|memory targets not met|^(get|load)\(\): .*: (NOT )?(flat|linear)$/.test(l)) {
        picked.push(l.startsWith("- ") ? l : `- ${l}`);
      }
    }
    if (!title || picked.length === 0) continue;
    unmet += picked.filter((l) => /not met|NOT (flat|linear)/.test(l) && !/memory targets/.test(l)).length; // that one is a count
    out.push(`### ${title.slice(3)}`, "", ...picked, "");
  }
  if (out.length === 0) return [];
  return [
    `## Targets of issue 20 in this run (Node ${process.version})`,
    "",
    `${unmet === 0 ? "Every verdict below is met." : `${unmet} of the verdict lines below say **not met**.`} Each line is what its benchmark printed; its section below says how it was measured and, for a target not met, why (the paragraph after its table).`,
    "",
    ...out,
  ];
}

if (update && only.length > 0 && !write) {
  // Replace just these sections (each starts at its `<!-- bench/NAME.js… -->` marker) in place.
  const file = join(here, "RESULTS.md");
  const doc = readFileSync(file, "utf8");
  const parts = doc.split(/(?=^<!-- bench\/)/m);
  const nameOf = (s) => /^<!-- bench\/([^:]+?\.js)(?: \(Node ([^)]+)\))?:/.exec(s);
  for (const [i, run] of runs.entries()) {
    const on = run.node === process.execPath ? undefined : run.version;
    const at = parts.findIndex((p) => nameOf(p)?.[1] === run.file && nameOf(p)?.[2] === on);
    const text = `${sections[i]}\n\n`;
    if (at !== -1) parts[at] = text;
    else {
      // Keep the alphabetical order of the full run.
      const next = parts.findIndex((p) => nameOf(p) && nameOf(p)[1] > run.file);
      parts.splice(next === -1 ? parts.length : next, 0, text);
    }
  }
  writeFileSync(file, parts.join(""));
  console.log(`\nupdated ${only.join(", ")} in bench/RESULTS.md`);
} else if (only.length === 0 || write) {
  const doc = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.js); every number is from the run below, on this machine.",
    "",
    ...header,
    "",
    ...summary,
    ...verdicts(),
    ...sections.flatMap((s) => [s, ""]),
  ].join("\n");
  writeFileSync(join(here, "RESULTS.md"), doc);
  console.log(`\nwrote bench/RESULTS.md`);
}
if (failed > 0) process.exitCode = 1;
