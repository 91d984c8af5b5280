#!/usr/bin/env node
// Re-keying many files behind a remote key (issue 20): 1,000 YAML files (20 values each) wrapped
// for one AWS KMS key, the loopback KMS (test/servers/aws-kms.ts, the real AWS SDK talking to it)
// answering every call after 50 ms, and `hush updatekeys --yes DIR` with the default settings
// adding an age recipient (then, on the next run, removing it again). Reports wall time, CPU time
// (user + sys of the hush process), CPU per file, and the KMS calls per run (the target: exactly
// one Decrypt per file, no Encrypt). Prints Markdown.
//
// Usage: node bench/updatekeys-kms.js (needs `npm run build`; HUSH_BENCH_KMS_FILES=1000,
// HUSH_BENCH_KMS_DELAY_MS=50, HUSH_BENCH_KMS_RUNS=3, HUSH_BENCH_KMS_JOBS to pass --jobs;
// HUSH_BENCH_CHILD_NODE_ARGS="--cpu-prof …" to profile hush).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, HUSH, median } from "./support/common.js";

const FILES = Number(process.env.HUSH_BENCH_KMS_FILES ?? 1000);
const DELAY = Number(process.env.HUSH_BENCH_KMS_DELAY_MS ?? 50);
const RUNS = Number(process.env.HUSH_BENCH_KMS_RUNS ?? 3);
const JOBS = process.env.HUSH_BENCH_KMS_JOBS;
const VALUES = 20;
const KEY = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111";
const USER = { accessKeyId: "AKIAHUSHBENCH0000001", secretAccessKey: "hush-bench-secret-access-key-000000000000", arn: "arn:aws:iam::111122223333:user/bench" };

const dir = mkdtempSync(join(tmpdir(), "hush-bench-kms-"));
try {
  // The loopback server is TypeScript under test/; bundle it for this Node.
  const { build } = await import("esbuild");
  const serverJs = join(dir, "aws-kms.mjs");
  await build({ entryPoints: [join(ROOT, "test", "servers", "aws-kms.ts")], outfile: serverJs, bundle: true, platform: "node", format: "esm", logLevel: "warning" });
  const { startAwsKmsServer } = await import(serverJs);
  const server = await startAwsKmsServer({ users: [USER], keys: [{ arn: KEY }] });
  try {
    writeFileSync(join(dir, "aws-credentials"), `[default]\naws_access_key_id = ${USER.accessKeyId}\naws_secret_access_key = ${USER.secretAccessKey}\n`);
    writeFileSync(join(dir, "aws-config"), "");
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir };
    for (const k of Object.keys(env)) if (k.startsWith("SOPS_") || k.startsWith("AWS_") || k.startsWith("HUSH_")) delete env[k];
    Object.assign(env, {
      AWS_ENDPOINT_URL: server.url,
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
    server.delayMs = DELAY;
    const rows = [];
    for (let i = 0; i < RUNS; i++) {
      // Even runs add bob, odd runs remove him again: every run re-wraps every file.
      writeFileSync(join(dir, ".sops.yaml"), rule(i % 2 === 0));
      const before = { ...server.calls };
      const nodeArgs = (process.env.HUSH_BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter(Boolean);
      const args = [...nodeArgs, process.env.HUSH_BENCH_ENTRY ?? HUSH, "updatekeys", "--yes", ...(JOBS ? ["--jobs", JOBS] : []), "secrets"];
      const t = performance.now();
      const r = await new Promise((resolve) => {
        // `times` in a shell gives the child's CPU time (user + sys).
        const child = spawn("sh", ["-c", '"$@" >/dev/null 2>"$ERR"; s=$?; times; exit $s', "sh", process.execPath, ...args], {
          cwd: dir,
          env: { ...env, ERR: join(dir, "err") },
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.on("close", (status) => resolve({ status, out }));
      });
      const wall = performance.now() - t;
      if (r.status !== 0) throw new Error(`hush updatekeys failed (exit ${r.status}): ${readFileSync(join(dir, "err"), "utf8").trim().split("\n").slice(-3).join(" | ")}`);
      const secs = [...r.out.trim().split("\n").pop().matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      const calls = (op) => (server.calls[op] ?? 0) - (before[op] ?? 0);
      rows.push({ wall, cpu: (secs[0] + secs[1]) * 1000, decrypt: calls("Decrypt"), encrypt: calls("Encrypt") });
    }
    const last = readFileSync(join(secrets, "s0000.enc.yaml"), "utf8");
    if (last.includes(bob.recipient) !== ((RUNS - 1) % 2 === 0)) throw new Error("the recipients after the runs are not what the rule says");

    const out = ["## `hush updatekeys` over 1,000 files behind AWS KMS", ""];
    out.push(
      `\`node bin/hush.js updatekeys --yes${JOBS ? ` --jobs ${JOBS}` : ""} DIR\` on ${FILES} YAML files (${VALUES} values) wrapped for one AWS KMS key; the ` +
        `loopback KMS (real AWS SDK) answers every call after ${DELAY} ms; the rule alternately adds and removes an age recipient, so ` +
        `every run re-wraps every file. CPU = user + sys of the hush process. Median of ${RUNS} runs; KMS calls per run.`,
    );
    out.push("");
    out.push("| files | wall | CPU | CPU per file | KMS Decrypt / run | KMS Encrypt / run | latency floor at 1 call per file |");
    out.push("|---:|---:|---:|---:|---:|---:|---:|");
    const m = (k) => median(rows.map((r) => r[k]));
    out.push(
      `| ${FILES} | ${(m("wall") / 1000).toFixed(2)} s | ${(m("cpu") / 1000).toFixed(2)} s | ${(m("cpu") / FILES).toFixed(2)} ms | ` +
        `${rows.map((r) => r.decrypt).join(", ")} | ${rows.map((r) => r.encrypt).join(", ")} | ${((FILES * DELAY) / 1000).toFixed(0)} s ÷ concurrency |`,
    );
    out.push("");
    out.push("Target (issue 20): ≤ 5 s wall with the default settings, exactly one Decrypt per file, ≤ 2 ms of local CPU per file.");
    console.log(out.join("\n"));
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
