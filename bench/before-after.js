#!/usr/bin/env node
// Two builds of hush side by side (issue 13: "cold-start and bulk benchmarks no worse"): the same
// CLI commands on the same files, run interleaved (one run of each build per round, alternating
// which goes first) so machine noise hits both alike. Reports the mean CPU time (user + system of
// the child, from /proc/self/stat's cutime/cstime, counted in 10 ms ticks: the mean of many runs,
// not the median, resolves below a tick) and the median wall-clock time. CPU time is
// the figure to compare on a shared, busy machine.
//
// Usage: node bench/before-after.js OLD_ROOT NEW_ROOT [runs]   (both built: `npm run build`)
// Linux only (CPU times from /proc). The files are encrypted by NEW_ROOT's CLI to a fresh age key.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { median } from "./support/common.js";

const [oldRoot, newRoot] = process.argv.slice(2, 4).map((p) => resolve(p ?? ""));
const RUNS = Number(process.argv[4] ?? 30);
if (!process.argv[3]) {
  console.error("usage: node bench/before-after.js OLD_ROOT NEW_ROOT [runs]");
  process.exit(2);
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
    XDG_CACHE_HOME: join(dir, root === oldRoot ? "cache-old" : "cache-new"),
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
    const r = spawnSync(process.execPath, [join(newRoot, "bin", "hush.js"), "encrypt", "--age", recipient, "-o", files[n].enc, plain], { env: env(newRoot) });
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
  console.log(`| command | runs | before: CPU mean (ms) | after: CPU mean (ms) | after ÷ before (CPU) | before: wall median (ms) | after: wall median (ms) |`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|`);
  for (const c of cases) {
    for (let w = 0; w < 3; w++) for (const root of [oldRoot, newRoot]) run(root, c.args);
    const got = { [oldRoot]: [], [newRoot]: [] };
    for (let i = 0; i < c.runs; i++) {
      for (const root of i % 2 === 0 ? [oldRoot, newRoot] : [newRoot, oldRoot]) got[root].push(run(root, c.args));
    }
    const m = (root, k) => median(got[root].map((x) => x[k]));
    const mean = (root) => got[root].reduce((a, x) => a + x.cpu, 0) / got[root].length;
    const [ob, na] = [mean(oldRoot), mean(newRoot)];
    console.log(`| ${c.name} | ${c.runs} | ${ob.toFixed(1)} | ${na.toFixed(1)} | ${(na / ob).toFixed(2)} | ${m(oldRoot, "wall").toFixed(0)} | ${m(newRoot, "wall").toFixed(0)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
