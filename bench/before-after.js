#!/usr/bin/env node
// Builds of hush side by side (issue 13: "cold-start and bulk benchmarks no worse"): the same CLI
// commands on the same files, run interleaved (one run of each build per round, the order rotating
// each round) so machine noise hits all alike. Reports the mean CPU time (user + system of
// the child, from /proc/self/stat's cutime/cstime, counted in 10 ms ticks: the mean of many runs,
// not the median, resolves below a tick) and the median wall-clock time. CPU time is
// the figure to compare on a shared, busy machine.
//
// Usage: node bench/before-after.js [--runs N] BEFORE_ROOT AFTER_ROOT...   (each built: `npm run
// build`; default 30 runs, a third of that for the bulk cases). Ratios are to BEFORE_ROOT.
// Linux only (CPU times from /proc). The files are encrypted by the last root's CLI to a fresh age key.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median } from "./support/common.js";

const argv = process.argv.slice(2);
const at = argv.indexOf("--runs");
const RUNS = at === -1 ? 30 : Number(argv.splice(at, 2)[1]);
const roots = argv.map((p) => resolve(p));
if (roots.length < 2 || !(RUNS > 0)) {
  console.error("usage: node bench/before-after.js [--runs N] BEFORE_ROOT AFTER_ROOT...");
  process.exit(2);
}
const newest = roots.at(-1);

/** The commit a root is at, for the record. */
function gitHead(root) {
  const r = spawnSync("git", ["-C", root, "log", "-1", "--format=%h"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "?";
}

/** CPU time (user + system, ms) of this process's waited-for children so far. */
function childCpuMs() {
  const stat = readFileSync("/proc/self/stat", "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

const dir = mkdtempSync(join(tmpdir(), "hush-bench-ba-"));
try {
  const keyFile = join(dir, "keys.txt");
  spawnSync("age-keygen", ["-o", keyFile], { stdio: "ignore" });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, "utf8"))[1];
  const env = (root) => ({
    PATH: process.env.PATH,
    HOME: dir,
    SOPS_AGE_KEY_FILE: keyFile,
    HUSH_NO_WARNINGS: "1",
    // Each build's code cache (bin/hush.js may save one) in a directory of its own.
    XDG_CACHE_HOME: join(dir, `cache-${roots.indexOf(root)}`),
  });
  const doc = (n) => {
    let s = "";
    for (let g = 0; g < n / 50; g++) {
      s += `group${g}:\n`;
      for (let k = 0; k < 50; k++) s += `    key${k}: value-${g}-${k}-${"x".repeat(24)}\n`;
    }
    return s;
  };
  const files = {};
  for (const n of [50, 10_000]) {
    const plain = join(dir, `p${n}.yaml`);
    writeFileSync(plain, doc(n));
    files[n] = { plain, enc: join(dir, `p${n}.enc.yaml`) };
    const r = spawnSync(process.execPath, [join(newest, "bin", "hush.js"), "encrypt", "--age", recipient, "-o", files[n].enc, plain], { env: env(newest) });
    if (r.status !== 0) throw new Error(`encrypt failed: ${r.stderr}`);
  }
  const cases = [
    { name: "`hush --version`", args: ["--version"], runs: RUNS },
    { name: "`hush decrypt`, 50 values (cold start)", args: ["decrypt", files[50].enc], runs: RUNS },
    { name: "`hush decrypt`, 10,000 values (bulk)", args: ["decrypt", files[10_000].enc], runs: Math.ceil(RUNS / 3) },
    { name: "`hush encrypt`, 10,000 values (bulk)", args: ["encrypt", "--age", recipient, files[10_000].plain], runs: Math.ceil(RUNS / 3) },
  ];
  const run = (root, args) => {
    const cpu0 = childCpuMs();
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(root, "bin", "hush.js"), ...args], { env: env(root), maxBuffer: 1 << 28 });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${root}: hush ${args[0]} failed: ${r.stderr}`);
    return { cpu: childCpuMs() - cpu0, wall };
  };
  const names = roots.map((r, k) => (k === 0 ? "before" : roots.length === 2 ? "after" : `#${k}`));
  for (const [k, r] of roots.entries()) console.log(`${names[k]}: ${r} (${gitHead(r)})`);
  console.log("");
  console.log(`| command | runs | ${names.map((n) => `${n}: CPU mean (ms)`).join(" | ")} | ${names.slice(1).map((n) => `${n} ÷ before (CPU)`).join(" | ")} | ${names.map((n) => `${n}: wall median (ms)`).join(" | ")} |`);
  console.log(`|---|---:|${names.map(() => "---:").join("|")}|${names.slice(1).map(() => "---:").join("|")}|${names.map(() => "---:").join("|")}|`);
  for (const c of cases) {
    for (let w = 0; w < 3; w++) for (const root of roots) run(root, c.args);
    const got = new Map(roots.map((r) => [r, []]));
    for (let i = 0; i < c.runs; i++) {
      for (let k = 0; k < roots.length; k++) {
        const root = roots[(i + k) % roots.length];
        got.get(root).push(run(root, c.args));
      }
    }
    const cpu = roots.map((r) => got.get(r).reduce((a, x) => a + x.cpu, 0) / got.get(r).length);
    const wall = roots.map((r) => median(got.get(r).map((x) => x.wall)));
    const cells = [...cpu.map((x) => x.toFixed(1)), ...cpu.slice(1).map((x) => (x / cpu[0]).toFixed(2)), ...wall.map((x) => x.toFixed(0))];
    console.log(`| ${c.name} | ${c.runs} | ${cells.join(" | ")} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
