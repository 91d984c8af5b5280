#!/usr/bin/env node
// `hush updatekeys` over 200 files (issue 9): a directory of age-encrypted YAML files and a
// .sops.yaml whose creation rule gains (then loses) a recipient; `node bin/hush.js updatekeys
// --yes DIR` re-wraps every file's data key. Each run has work to do: the rule alternates between
// one and two recipients. Prints Markdown.
//
// Usage: node bench/updatekeys.js   (needs `npm run build`; HUSH_BENCH_UPDATEKEYS_FILES=200,
// HUSH_BENCH_UPDATEKEYS_RUNS=5)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HUSH, ROOT, median } from "./support/common.js";

const FILES = Number(process.env.HUSH_BENCH_UPDATEKEYS_FILES ?? 200);
const RUNS = Number(process.env.HUSH_BENCH_UPDATEKEYS_RUNS ?? 5);
const VALUES = 20;

const { ageRecipient, generateAgeKeyFile } = await import(join(ROOT, "dist", "keys", "age-client.js"));
const { encryptText } = await import(join(ROOT, "dist", "lib", "files.js"));

const dir = mkdtempSync(join(tmpdir(), "hush-bench-updatekeys-"));
try {
  const alice = await generateAgeKeyFile();
  const bob = await generateAgeKeyFile();
  const keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, alice.text, { mode: 0o600 });
  const secrets = join(dir, "secrets");
  mkdirSync(secrets);
  for (let f = 0; f < FILES; f++) {
    let doc = "";
    for (let v = 0; v < VALUES; v++) doc += `key${v}: value-${f}-${v}-${"x".repeat(16)}\n`;
    const { text } = await encryptText(doc, { format: "yaml", groups: [[ageRecipient(alice.recipient)]] });
    writeFileSync(join(secrets, `s${String(f).padStart(3, "0")}.enc.yaml`), text);
  }
  const rule = (recipients) => `creation_rules:\n    - path_regex: \\.enc\\.yaml$\n      age: ${recipients.join(",")}\n`;
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, SOPS_AGE_KEY_FILE: keyFile };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_") && k !== "SOPS_AGE_KEY_FILE") delete env[k];

  const times = [];
  for (let i = 0; i < RUNS + 1; i++) {
    // Odd runs add bob, even runs remove him again.
    writeFileSync(join(dir, ".sops.yaml"), rule(i % 2 === 0 ? [alice.recipient, bob.recipient] : [alice.recipient]));
    const t = performance.now();
    const r = spawnSync(process.execPath, [HUSH, "updatekeys", "--yes", "secrets"], { cwd: dir, env, encoding: "utf8" });
    const ms = performance.now() - t;
    if (r.status !== 0) throw new Error(`hush updatekeys failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    if (i > 0) times.push(ms); // the first run warms the page cache
  }
  const last = readFileSync(join(secrets, "s000.enc.yaml"), "utf8");
  const recipients = (last.match(/recipient: age1/g) ?? []).length;
  if (recipients !== (RUNS % 2 === 0 ? 2 : 1)) throw new Error(`unexpected recipients after the runs: ${recipients}`);

  const m = median(times);
  const out = ["## `hush updatekeys` over many files", ""];
  out.push(
    `\`node bin/hush.js updatekeys --yes DIR\` on ${FILES} age-encrypted YAML files (${VALUES} values each), the .sops.yaml rule ` +
      `alternating between one and two age recipients, so every run re-wraps every file's data key. Median of ${RUNS} runs.`,
  );
  out.push("");
  out.push("| files | wall time | per file | min | max |");
  out.push("|---:|---:|---:|---:|---:|");
  out.push(`| ${FILES} | ${(m / 1000).toFixed(2)} s | ${(m / FILES).toFixed(1)} ms | ${(Math.min(...times) / 1000).toFixed(2)} s | ${(Math.max(...times) / 1000).toFixed(2)} s |`);
  console.log(out.join("\n"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
