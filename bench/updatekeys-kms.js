#!/usr/bin/env node
// Re-keying and rotating many files behind a remote key (issue 20): 1,000 YAML files (20 values
// each) wrapped for one AWS KMS key, the loopback KMS (test/servers/aws-kms.ts, the real AWS SDK
// talking to it) answering every call after 50 ms, and, with the default settings:
// - `hush updatekeys --yes DIR` adding an age recipient (then, on the next run, removing it again);
// - `hush rotate -i DIR` (a new data key for every file: one Decrypt and one Encrypt per file).
// Reports wall time, CPU time (user + sys of the hush process), CPU per file, the KMS calls per run
// (targets: exactly one call per wrapped key), and the loopback server's own CPU time: it runs in
// a process of its own, so it is not counted in hush's CPU, but on a small machine it competes
// with hush for the cores. Prints Markdown.
//
// Usage: node bench/updatekeys-kms.js (needs `npm run build`; HUSH_BENCH_KMS_FILES=1000,
// HUSH_BENCH_KMS_DELAY_MS=50, HUSH_BENCH_KMS_RUNS=3, HUSH_BENCH_KMS_JOBS to pass --jobs,
// HUSH_BENCH_KMS_CASES=updatekeys,rotate; HUSH_BENCH_CHILD_NODE_ARGS="--cpu-prof …" to profile
// hush, HUSH_BENCH_ENTRY to run another entry script than bin/hush.js; several, comma-separated,
// run in turn within each round, one row each: an A/B comparison under the same load;
// HUSH_BENCH_WRAP="strace -c -f -o FILE" to run hush under another command, e.g. to count its
// system calls per file).
import { fork, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, HUSH, median } from "./support/common.js";

const FILES = Number(process.env.HUSH_BENCH_KMS_FILES ?? 1000);
const DELAY = Number(process.env.HUSH_BENCH_KMS_DELAY_MS ?? 50);
const RUNS = Number(process.env.HUSH_BENCH_KMS_RUNS ?? 3);
const JOBS = process.env.HUSH_BENCH_KMS_JOBS;
const CASES = (process.env.HUSH_BENCH_KMS_CASES ?? "updatekeys,rotate").split(",");
const VALUES = 20;
const KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111";
const USER = { accessKeyId: "AKIAHUSHBENCH0000001", secretAccessKey: "hush-bench-secret-access-key-000000000000", arn: "arn:aws:iam::111122223333:user/bench" };

// The server's process: started with the options as JSON in argv, answers {op} messages.
const SERVER_MAIN = `
import { startAwsKmsServer } from "./aws-kms.mjs";
const server = await startAwsKmsServer(JSON.parse(process.argv[2]));
process.on("message", async (m) => {
  if (m.op === "delay") server.delayMs = m.ms;
  if (m.op === "stop") { await server.stop(); process.disconnect(); return; }
  process.send({ calls: { ...server.calls }, cpu: process.cpuUsage() });
});
process.send({ url: server.url });
`;

const dir = mkdtempSync(join(tmpdir(), "hush-bench-kms-"));
let child;
try {
  // The loopback server is TypeScript under test/; bundle it for this Node.
  const { build } = await import("esbuild");
  await build({ entryPoints: [join(ROOT, "test", "servers", "aws-kms.ts")], outfile: join(dir, "aws-kms.mjs"), bundle: true, platform: "node", format: "esm", logLevel: "warning" });
  writeFileSync(join(dir, "server.mjs"), SERVER_MAIN);
  child = fork(join(dir, "server.mjs"), [JSON.stringify({ users: [USER], keys: [{ arn: KEY }] })], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const replies = [];
  const waiting = [];
  child.on("message", (m) => (waiting.length > 0 ? waiting.shift()(m) : replies.push(m)));
  const next = () => new Promise((resolve) => (replies.length > 0 ? resolve(replies.shift()) : waiting.push(resolve)));
  const ask = (m) => {
    child.send(m);
    return next();
  };
  const { url } = await next();

  writeFileSync(join(dir, "aws-credentials"), `[default]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`);
  writeFileSync(join(dir, "aws-config"), "");
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_") || k.startsWith("AWS_") || k.startsWith("HUSH_")) delete env[k];
  Object.assign(env, {
    AWS_ENDPOINT_URL: url,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "aws-credentials"),
    AWS_CONFIG_FILE: join(dir, "aws-config"),
    AWS_EC2_METADATA_DISABLED: "true",
  });
  // The SDK reads its files from process.env, for the files this process encrypts.
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  for (const [k, v] of Object.entries(env)) if (k.startsWith("AWS_")) process.env[k] = v;

  const { recipientFor } = await import(join(ROOT, "dist", "keys", "registry.js"));
  const { generateAgeKeyFile } = await import(join(ROOT, "dist", "keys", "age-client.js"));
  const { encryptText } = await import(join(ROOT, "dist", "lib", "files.js"));
  const kms = await recipientFor("kms", { arn: KEY }, env);
  const bob = await generateAgeKeyFile();
  const secrets = join(dir, "secrets");
  mkdirSync(secrets);
  const one = async (f) => {
    let doc = "";
    for (let v = 0; v < VALUES; v++) doc += `key${v}: value-${f}-${v}-${"x".repeat(16)}\n`;
    const { text } = await encryptText(doc, { format: "yaml", groups: [[kms]] });
    writeFileSync(join(secrets, `s${String(f).padStart(4, "0")}.enc.yaml`), text);
  };
  for (let f = 0; f < FILES; f += 50) await Promise.all(Array.from({ length: Math.min(50, FILES - f) }, (_, i) => one(f + i)));

  const rule = (withBob) => `creation_rules:\n    - path_regex: \\.enc\\.yaml$\n      kms: ${KEY}\n${withBob ? `      age: ${bob.recipient}\n` : ""}`;
  await ask({ op: "delay", ms: DELAY });
  const nodeArgs = (process.env.HUSH_BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter(Boolean);

  /** One hush run: wall, CPU of hush (user + sys), CPU of the server, KMS calls. */
  const ENTRIES = (process.env.HUSH_BENCH_ENTRY ?? HUSH).split(",");
  // A command to run hush under, e.g. "strace -c -f -o /tmp/x" (its CPU then counts too).
  const WRAP = (process.env.HUSH_BENCH_WRAP ?? "").split(" ").filter(Boolean);
  const runHush = async (args, entry = ENTRIES[0]) => {
    const before = await ask({ op: "stats" });
    const argv = [...nodeArgs, entry, ...args, ...(JOBS ? ["--jobs", JOBS] : []), "secrets"];
    const t = performance.now();
    const r = await new Promise((resolve) => {
      // `times` in a shell gives the child's CPU time (user + sys).
      const sh = spawn("sh", ["-c", '"$@" >/dev/null 2>"$ERR"; s=$?; times; exit $s', "sh", ...WRAP, process.execPath, ...argv], {
        cwd: dir,
        env: { ...env, ERR: join(dir, "err") },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      sh.stdout.on("data", (d) => (out += d));
      sh.on("close", (status) => resolve({ status, out }));
    });
    const wall = performance.now() - t;
    const after = await ask({ op: "stats" });
    if (r.status !== 0) throw new Error(`hush ${args[0]} failed (exit ${r.status}): ${readFileSync(join(dir, "err"), "utf8").trim().split("\n").slice(-12).join(" | ")}`);
    const secs = [...r.out.trim().split("\n").pop().matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    const calls = (op) => (after.calls[op] ?? 0) - (before.calls[op] ?? 0);
    const server = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    return { wall, cpu: (secs[0] + secs[1]) * 1000, user: secs[0] * 1000, sys: secs[1] * 1000, server, decrypt: calls("Decrypt"), encrypt: calls("Encrypt") };
  };

  // Several entries: each round starts with the next one, so that with an even number of rounds
  // each entry adds bob (an age wrap per file) as often as it removes him (no wrap), and none is
  // always the first after a pause.
  const order = (round) => ENTRIES.map((_, j) => (j + round) % ENTRIES.length);
  const rows = [];
  let withBob = false;
  if (CASES.includes("updatekeys")) {
    const runs = ENTRIES.map(() => []);
    for (let i = 0; i < RUNS; i++) {
      for (const e of order(i)) {
        // Each run adds bob or removes him again: every run re-wraps every file.
        withBob = !withBob;
        writeFileSync(join(dir, ".sops.yaml"), rule(withBob));
        runs[e].push(await runHush(["updatekeys", "--yes"], ENTRIES[e]));
      }
    }
    const last = readFileSync(join(secrets, "s0000.enc.yaml"), "utf8");
    if (last.includes(bob.recipient) !== withBob) throw new Error("the recipients after the runs are not what the rule says");
    for (const [e, entry] of ENTRIES.entries()) rows.push({ name: `\`updatekeys --yes DIR\` (± one age recipient)${ENTRIES.length > 1 ? ` [${entry}]` : ""}`, runs: runs[e], target: "1 Decrypt, 0 Encrypt" });
  }
  if (CASES.includes("rotate")) {
    if (withBob) {
      // Rotate the same files every time: wrapped for the KMS key alone (not timed).
      writeFileSync(join(dir, ".sops.yaml"), rule((withBob = false)));
      await runHush(["updatekeys", "--yes"]);
    }
    const runs = ENTRIES.map(() => []);
    const before = readFileSync(join(secrets, "s0000.enc.yaml"), "utf8");
    for (let i = 0; i < RUNS; i++) for (const e of order(i)) runs[e].push(await runHush(["rotate", "-i"], ENTRIES[e]));
    const after = readFileSync(join(secrets, "s0000.enc.yaml"), "utf8");
    if (after === before || after.includes(bob.recipient) !== withBob) throw new Error("rotate did not rotate, or changed the recipients");
    for (const [e, entry] of ENTRIES.entries()) rows.push({ name: `\`rotate -i DIR\` (KMS${withBob ? " + age" : ""})${ENTRIES.length > 1 ? ` [${entry}]` : ""}`, runs: runs[e], target: "1 Decrypt, 1 Encrypt" });
  }

  const out = ["## `hush updatekeys` and `hush rotate` over 1,000 files behind AWS KMS", ""];
  out.push(
    `\`node bin/hush.js <command>${JOBS ? ` --jobs ${JOBS}` : ""} DIR\` on ${FILES} YAML files (${VALUES} values) wrapped for one AWS KMS key; the ` +
      `loopback KMS (real AWS SDK client, SigV4 checked by the server) answers every call after ${DELAY} ms. updatekeys: the rule alternately adds and removes an age ` +
      `recipient, so every run re-wraps every file. CPU = user + sys of the hush process; the server runs in a process of its own (its CPU ` +
      `is shown apart: on a 2-core machine it competes with hush). Median of ${RUNS} runs; KMS calls per run.`,
  );
  out.push("");
  out.push("| case | files | wall | hush CPU | hush CPU per file | of which sys | server CPU | KMS Decrypt / run | KMS Encrypt / run | target calls per file |");
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
  for (const row of rows) {
    const m = (k) => median(row.runs.map((r) => r[k]));
    out.push(
      `| ${row.name} | ${FILES} | ${(m("wall") / 1000).toFixed(2)} s | ${(m("cpu") / 1000).toFixed(2)} s | ${(m("cpu") / FILES).toFixed(2)} ms | ${(m("sys") / FILES).toFixed(2)} ms | ` +
        `${(m("server") / 1000).toFixed(2)} s | ${row.runs.map((r) => r.decrypt).join(", ")} | ${row.runs.map((r) => r.encrypt).join(", ")} | ${row.target} |`,
    );
  }
  out.push("");
  out.push("Target (issue 20): ≤ 5 s wall with the default settings, exactly one KMS call per wrapped key, ≤ 2 ms of local CPU per file.");
  out.push("");
  const verdict = (ok) => (ok ? "met" : "**not met**");
  for (const row of rows) {
    const m = (k) => median(row.runs.map((r) => r[k]));
    const encrypts = row.target.includes("1 Encrypt") ? FILES : 0;
    const calls = row.runs.every((r) => r.decrypt === FILES && r.encrypt === encrypts);
    out.push(
      `- ${row.name}: wall ${(m("wall") / 1000).toFixed(2)} s ≤ 5 s ${verdict(m("wall") <= 5000)}; one KMS call per wrapped key ${verdict(calls)}; ` +
        `${(m("cpu") / FILES).toFixed(2)} ms of CPU per file ≤ 2 ms ${verdict(m("cpu") / FILES <= 2)}.`,
    );
  }
  out.push("");
  out.push(
    "Where a file's CPU goes (profiles and isolated measurements, Node 20, 1,000 files): the AWS SDK and Node's HTTP client per KMS call ~0.5-0.7 ms (rotate makes two): " +
      "in a run this short the SDK never gets warm (isolated, 1,000 calls cost 1.03 ms of CPU each, the next 1,000 0.67 ms, 0.44 ms after 3,000: V8 spends more optimizing it " +
      "than the optimized code gives back; a larger --interrupt-budget saves ~0.3 ms per file on Node 20, but hush does not change V8 flags after start-up, which Node documents as unsafe); Node's HTTP client and the loopback socket calls are ~0.3 ms of that. Creating the temp file of the atomic " +
      "write costs 14-600 µs of CPU on this VM's ext4 (no journal, online discard) depending on the directory and the moment, not on hush: the main cause of the spread of the sys " +
      "column between runs; then fsync ~0.09 ms, rename, write, fchmod. The lock (realpath, link, lstat, unlink) ~0.06-0.1 ms; the age X25519 wrap 0.15-0.3 ms when a recipient is added " +
      "(a fresh ephemeral key per file, as age requires); reading and emitting the `sops` block ~0.1-0.2 ms; promises, the deadline's timer and abort signal ~0.1 ms; GC ~0.1 ms " +
      "(rotate ~0.25 ms); start-up and loading the SDK ~0.17 ms per file at 1,000 files; rotate also decrypts and re-encrypts the 20 values and the MAC (~0.45 ms, 40 AES-GCM operations at ~4.5 µs each). " +
      "Why 2 ms is missed: most of a file's CPU is outside hush's own code: the SDK and HTTP client per KMS call (one for updatekeys, two for rotate), creating a file on this file system, the age wrap " +
      "and the AES-GCM work; hush's own per-file code (the lock, the `sops` block, promises and timers) is ~0.3–0.4 ms of it.",
  );
  console.log(out.join("\n"));
} finally {
  if (child?.connected) {
    child.send({ op: "stop" });
    await new Promise((resolve) => child.on("exit", resolve));
  }
  rmSync(dir, { recursive: true, force: true });
}
