#!/usr/bin/env node
// Cold start of the CLI (issue 9): wall-clock time to spawn `node bin/hush.js decrypt` on a
// 50-value age YAML file, against `node -e ''` (the floor: Node's own start-up) on the same
// machine in the same run, and `hush exec-env … -- true` and `hush git textconv` (what git runs
// once per blob side in `git diff`, stdout a pipe) of the same file (issue 20's targets).
//
// Runs are interleaved (one of each command per round) so that machine noise hits every command
// alike; the first rounds only warm the page cache (and, on a Node the build was not made with,
// let bin/hush.js save its code cache in the user's cache directory, a temp dir here). Prints
// Markdown on stdout. Besides wall-clock medians it reports CPU time (user + system, of the
// child, from /proc/self/stat's cutime/cstime: mean per run), which a shared, busy machine
// disturbs much less than wall-clock time.
//
// On Node >= 22.1 it also times the alternative bin/hush.js does not take: the script decrypt
// runs (the fast path's, dist/bundle/hush-fast.cjs) loaded by require() with Node's compile cache
// alone (module.enableCompileCache) and no vm code cache.
//
// Usage: node bench/cold-start.js [runs]   (default 21; needs `npm run build` first). Any Node
// runs it (bench/run.js runs it on each version); HUSH_BENCH_SUMMARY=FILE appends a JSON line.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HUSH = join(ROOT, "bin", "hush.js");
const RUNS = Number(process.argv[2] ?? process.env["BENCH_RUNS"] ?? 21);
const WARMUP = 3;
/** Issue 21's target for `hush decrypt` of a 50-value age file (issue 9 asked 1.6× on Node 20). */
const TARGET = 1.3;

/** CPU time (user + system, ms) of this process's waited-for children so far (Linux only). */
function childCpuMs() {
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime + cstime, in USER_HZ (100)
  } catch {
    return NaN;
  }
}

const { generateAgeKeyFile } = await import(join(ROOT, "dist", "keys", "age-client.js"));

const dir = mkdtempSync(join(tmpdir(), "hush-bench-cold-"));
try {
  // A key, a 50-value YAML file (nested maps, a list, numbers, booleans), encrypted by hush.
  const key = await generateAgeKeyFile();
  const keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, key.text, { mode: 0o600 });
  const lines = ["# service configuration"];
  for (let s = 0; s < 5; s++) {
    lines.push(`service_${s}:`);
    lines.push(`    host: db-${s}.internal.example.com`, `    port: ${5432 + s}`, `    enabled: ${s % 2 === 0}`);
    lines.push(`    password: ${"p4ss-".repeat(4)}${s}`, `    ratio: ${s}.25`);
    for (let k = 0; k < 4; k++) lines.push(`    token_${k}: tok-${s}-${k}-${"x".repeat(24)}`);
  }
  // 5 × 9 = 45 values so far; a list of five more makes 50.
  lines.push("replicas:", ...[0, 1, 2, 3, 4].map((i) => `    - replica-${i}.example.com`));
  const plainText = `${lines.join("\n")}\n`;
  const plainFile = join(dir, "secrets.yaml");
  const encFile = join(dir, "secrets.enc.yaml");
  writeFileSync(plainFile, plainText);

  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_")) delete env[k];
  Object.assign(env, { SOPS_AGE_KEY_FILE: keyFile, HOME: dir, XDG_CONFIG_HOME: dir, XDG_CACHE_HOME: join(dir, "cache") });

  const hush = (args) => spawnSync(process.execPath, [HUSH, ...args], { env, encoding: "utf8" });
  const enc = hush(["encrypt", "--age", key.recipient, plainFile]);
  if (enc.status !== 0) throw new Error(`hush encrypt failed: ${enc.stderr}`);
  writeFileSync(encFile, enc.stdout);
  // Every value is encrypted; the comment and the MAC (in the sops block) are ENC[…] too.
  const body = enc.stdout.slice(0, enc.stdout.indexOf("\nsops:"));
  const values = (body.match(/(:|-) ENC\[AES256_GCM,/g) ?? []).length;
  if (values !== 50) throw new Error(`expected 50 encrypted values, found ${values}`);
  const dec = hush(["decrypt", encFile]);
  if (dec.status !== 0 || dec.stdout !== plainText) throw new Error(`hush decrypt does not round-trip: ${dec.stderr}`);

  // The unbundled CLI, as bin/hush.js ran it before the bundle, when a bundle is in use.
  const bundled = existsSync(join(ROOT, "dist", "bundle", "hush.cjs"));
  const unbundledShim = join(dir, "hush-unbundled.mjs");
  writeFileSync(unbundledShim, `import { main } from ${JSON.stringify(join(ROOT, "dist", "cli", "main.js"))};\nawait main(process.argv);\n`);

  // What any decrypt in Node must load and do besides Node's own start-up: read the file, node:crypto
  // (AES-GCM, SHA-512), write to stdout. hush cannot start faster than this.
  const floorScript = join(dir, "crypto-floor.cjs");
  writeFileSync(
    floorScript,
    [
      '"use strict";',
      'const c = require("node:crypto");',
      `const text = require("node:fs").readFileSync(${JSON.stringify(encFile)}, "utf8");`,
      'const d = c.createDecipheriv("aes-256-gcm", Buffer.alloc(32), Buffer.alloc(32));',
      'd.setAAD(Buffer.from("a:")); d.update(Buffer.from(text.slice(0, 64)));',
      'c.createHash("sha512").update(text).digest("hex");',
      "process.stdout.write(text);",
    ].join("\n"),
  );

  /** @type {{ name: string, argv: string[] }[]} */
  const commands = [
    { name: "`node -e ''`", argv: ["-e", ""] },
    { name: "floor of any decrypt: `node` reading the file, node:crypto (AES-GCM, SHA-512), writing it out", argv: [floorScript] },
    { name: "`hush --version`", argv: [HUSH, "--version"] },
    { name: `\`hush decrypt\` (${values} values)`, argv: [HUSH, "decrypt", encFile], target: true },
  ];
  if (bundled) commands.push({ name: "`hush decrypt`, unbundled (dist/cli/main.js)", argv: [unbundledShim, "decrypt", encFile] });
  // Node >= 22.1: decrypt's script (the fast path's) by require() with Node's compile cache only
  // (what bin/hush.js could do instead of its vm code cache; measured to show why it does not).
  const { enableCompileCache } = await import("node:module");
  const fastScript = join(ROOT, "dist", "bundle", "hush-fast.cjs");
  if (bundled && typeof enableCompileCache === "function" && existsSync(fastScript)) {
    const bundle = fastScript;
    const asModule = join(dir, "hush-module.cjs");
    writeFileSync(asModule, `module.exports=${readFileSync(bundle, "latin1")}`);
    const shim = join(dir, "hush-compile-cache.cjs");
    writeFileSync(
      shim,
      [
        '"use strict";',
        `const { enableCompileCache, createRequire } = require("node:module");`,
        `enableCompileCache(${JSON.stringify(join(dir, "compile-cache-only"))});`,
        `const bundle = ${JSON.stringify(bundle)};`,
        `const m = { exports: {} };`,
        `require(${JSON.stringify(asModule)})(m.exports, createRequire(bundle), m, require("node:url").pathToFileURL(bundle).href, (s) => import(s));`,
        `m.exports.main(process.argv);`,
      ].join("\n"),
    );
    commands.push({ name: "`hush decrypt`, Node's compile cache only (require, no vm code cache)", argv: [shim, "decrypt", encFile] });
  }
  const execEnv = hush(["exec-env", "--env-lists", encFile, "--", "true"]);
  if (execEnv.status === 0) commands.push({ name: "`hush exec-env … -- true`", argv: [HUSH, "exec-env", "--env-lists", encFile, "--", "true"] });
  // git hands the textconv a temporary copy of the blob and reads its stdout from a pipe.
  const textconv = hush(["git", "textconv", encFile]);
  if (textconv.status === 0 && textconv.stdout.startsWith(plainText)) {
    commands.push({ name: "`hush git textconv` (stdout a pipe)", argv: [HUSH, "git", "textconv", encFile], pipe: true });
  }

  // Output to /dev/null opened write-only, as a shell's `> /dev/null`: hush refuses a /dev/null
  // opened read-write (what `stdio: "ignore"` gives), which is how a closed stdout looks.
  const devnull = openSync("/dev/null", "w");
  const stdio = ["ignore", devnull, devnull];
  const pipeStdio = ["ignore", "pipe", devnull];
  for (const c of commands) {
    const r = spawnSync(process.execPath, c.argv, { env, stdio: c.pipe ? pipeStdio : stdio, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}`);
  }
  const times = commands.map(() => []);
  const cpu = commands.map(() => 0);
  for (let round = 0; round < WARMUP + RUNS; round++) {
    commands.forEach((c, i) => {
      const c0 = childCpuMs();
      const t0 = performance.now();
      spawnSync(process.execPath, c.argv, { env, stdio: c.pipe ? pipeStdio : stdio, maxBuffer: 1 << 24 });
      const t = performance.now() - t0;
      if (round >= WARMUP) {
        times[i].push(t);
        cpu[i] += childCpuMs() - c0;
      }
    });
  }

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const floor = median(times[0]);
  const ms = (x) => x.toFixed(1);
  const out = [];
  out.push(`## Cold start (Node ${process.version})`);
  out.push("");
  out.push(
    `Wall-clock time to spawn each command, median of ${RUNS} interleaved runs (after ${WARMUP} warm-up rounds), ` +
      `a ${values}-value age-encrypted YAML file, key from SOPS_AGE_KEY_FILE. ` +
      `CLI: ${bundled ? "the bundled scripts with their V8 code caches (decrypt, exec-env and git textconv: the fast path's, dist/bundle/hush-fast.cjs; --version: the full CLI's, dist/bundle/hush.cjs)" : "dist/cli/main.js (no bundle built)"}.`,
  );
  out.push("");
  const cpuFloor = cpu[0] / RUNS;
  out.push("| command | median (ms) | min (ms) | max (ms) | × `node -e ''` | CPU, mean (ms) | CPU × `node -e ''` |");
  out.push("|---|---:|---:|---:|---:|---:|---:|");
  commands.forEach((c, i) => {
    const m = median(times[i]);
    const cp = cpu[i] / RUNS;
    out.push(
      `| ${c.name} | ${ms(m)} | ${ms(Math.min(...times[i]))} | ${ms(Math.max(...times[i]))} | ${(m / floor).toFixed(2)}× | ${ms(cp)} | ${(cp / cpuFloor).toFixed(2)}× |`,
    );
  });
  const decIdx = commands.findIndex((c) => c.target);
  const ratio = median(times[decIdx]) / floor;
  const cpuRatio = cpu[decIdx] / RUNS / cpuFloor;
  out.push("");
  out.push(
    `\`hush decrypt\` takes ${ratio.toFixed(2)}× \`node -e ''\` in wall-clock time (${ms(median(times[decIdx]) - floor)} ms above Node's own start-up) ` +
      `and ${cpuRatio.toFixed(2)}× in CPU time; target ≤ ${TARGET}×: **${ratio <= TARGET ? "met" : "not met"}** (wall), **${cpuRatio <= TARGET ? "met" : "not met"}** (CPU).` +
      (execEnv.status === 0 ? "" : " (`hush exec-env` is not available in this build.)"),
  );
  // Issue 20: exec-env ≤ 1.35×, the textconv ≤ 1.3× per call.
  for (const [word, target] of [["exec-env", 1.35], ["textconv", 1.3]]) {
    const i = commands.findIndex((c) => c.name.includes(word));
    if (i < 0) continue;
    const w = median(times[i]) / floor;
    const cp = cpu[i] / RUNS / cpuFloor;
    out.push("");
    out.push(`\`hush ${word === "textconv" ? "git textconv" : word}\` takes ${w.toFixed(2)}× (wall) and ${cp.toFixed(2)}× (CPU); target ≤ ${target}×: **${w <= target ? "met" : "not met"}** (wall), **${cp <= target ? "met" : "not met"}** (CPU).`);
  }
  out.push("");
  out.push(
    "Where the time above `node -e ''` goes (Node 20, `process.cpuUsage()` at phase boundaries, measured apart): loading node:crypto and its stream modules 3–5 ms (any decrypt pays it: the floor row); " +
      "reading, deserialising and starting the fast path's script ~3 ms, initialising the modules a command uses ~1.2 ms (exec-env ~2.3 ms, with node:tty, net and child_process); reading the 50-value file and its one-pass (lean) decrypt, its top-of-file comment included; " +
      "the age key and unwrap ~2.5 ms, mostly first calls into node:crypto; the 50 values and the MAC ~3 ms, in V8's interpreter (no TurboFan compile any more: `python3 bench/cold-start-ab.py --trace` counts them); one young-generation collection ~1 ms (exec-env two). " +
      "exec-env also checks the MAC at load() and decrypts each value again for the environment (~2 ms), and forks the command (~2.5 ms of CPU: Node's spawn is a fork of a ~45 MB process). " +
      "Why a target may be missed: 1.3× of Node 20's start-up here leaves ~18 ms, and the costs above that any decrypt pays (node:crypto, the script, the key, the values) add up to about that, so decrypt and git textconv " +
      "(the same lean decrypt, plus the metadata summary and a pipe: within ~1 ms of decrypt) land at the edge of 1.3× from run to run; exec-env's fork and second decryption put it ~4–6 ms above 1.35×. " +
      `Node's own start-up here includes ${process.env["NODE_EXTRA_CA_CERTS"] ? "loading NODE_EXTRA_CA_CERTS (set in this environment), which roughly triples `node -e ''` on Node 20: the ratio is taken against that inflated floor, and the ms above Node are the figure to compare across machines" : "no extra certificates (NODE_EXTRA_CA_CERTS unset)"}.`,
  );
  console.log(out.join("\n"));
  if (process.env["HUSH_BENCH_SUMMARY"]) {
    const row = { bench: "cold-start", node: process.version, runs: RUNS };
    commands.forEach((c, i) => {
      const key = i === 0 ? "floor" : i === 1 ? "cryptoFloor" : c.target ? "decrypt" : c.name.includes("--version") ? "version" : c.name.includes("exec-env") ? "execEnv" : c.name.includes("textconv") ? "textconv" : c.name.includes("compile cache") ? "compileCacheOnly" : "unbundled";
      row[key] = { wall: median(times[i]), cpu: cpu[i] / RUNS };
    });
    appendFileSync(process.env["HUSH_BENCH_SUMMARY"], `${JSON.stringify(row)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
