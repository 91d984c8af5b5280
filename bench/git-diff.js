#!/usr/bin/env node
// `git diff` over 200 changed encrypted files (issue 9): plain (ciphertext), through hush's
// textconv (`hush git textconv FILE`, the diff.hush driver), and with `diff.hush.cachetextconv`
// (first run fills the cache in refs/notes/textconv/hush, later runs read it). Prints Markdown.
//
// Usage: node bench/git-diff.js   (needs `npm run build` and git; HUSH_BENCH_GIT_FILES=200,
// HUSH_BENCH_GIT_RUNS=5 for the fast diffs, HUSH_BENCH_GIT_SLOW_RUNS=1 for the uncached ones, which
// take a minute each). Skips with a note when `hush git textconv` does not work in this build.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HUSH, ROOT, median } from "./support/common.js";

const FILES = Number(process.env.HUSH_BENCH_GIT_FILES ?? 200);
const RUNS = Number(process.env.HUSH_BENCH_GIT_RUNS ?? 5);
const SLOW_RUNS = Number(process.env.HUSH_BENCH_GIT_SLOW_RUNS ?? 1);
const VALUES = 20;

const { ageRecipient, generateAgeKeyFile } = await import(join(ROOT, "dist", "keys", "age-client.js"));
const { encryptText } = await import(join(ROOT, "dist", "lib", "files.js"));

const dir = mkdtempSync(join(tmpdir(), "hush-bench-git-"));
try {
  const key = await generateAgeKeyFile();
  const keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, key.text, { mode: 0o600 });
  const repo = join(dir, "repo");
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, GIT_CONFIG_NOSYSTEM: "1", SOPS_AGE_KEY_FILE: keyFile };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_") && k !== "SOPS_AGE_KEY_FILE") delete env[k];
  const git = (...args) => {
    const r = spawnSync("git", args, { cwd: repo, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  spawnSync("git", ["init", "-q", repo], { env });
  git("config", "user.email", "bench@example.com");
  git("config", "user.name", "bench");
  git("config", "commit.gpgsign", "false");

  const recipient = ageRecipient(key.recipient);
  const doc = (f, version) => {
    let s = "";
    for (let v = 0; v < VALUES; v++) s += `key${v}: value-${f}-${v}-${v === 3 ? `v${version}` : "same"}-${"x".repeat(12)}\n`;
    return s;
  };
  const writeAll = async (version) => {
    for (let f = 0; f < FILES; f++) {
      const { text } = await encryptText(doc(f, version), { format: "yaml", groups: [[recipient]] });
      writeFileSync(join(repo, `s${String(f).padStart(3, "0")}.enc.yaml`), text);
    }
  };
  await writeAll(1);
  writeFileSync(join(repo, ".gitattributes"), "*.enc.yaml diff=hush\n");
  git("add", "-A");
  git("commit", "-q", "-m", "v1");
  await writeAll(2);
  git("commit", "-q", "-a", "-m", "v2");

  // Does the textconv work in this build?
  const probe = spawnSync(process.execPath, [HUSH, "git", "textconv", join(repo, "s000.enc.yaml")], { env, encoding: "utf8" });
  const out = ["## `git diff` over encrypted files", ""];
  if (probe.status !== 0 || !probe.stdout.includes("value-0-3-v2")) {
    out.push(`Skipped: \`hush git textconv\` does not work in this build (exit ${probe.status}: ${probe.stderr.trim().split("\n")[0] ?? ""}).`);
    console.log(out.join("\n"));
    process.exit(0);
  }

  const textconv = `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} git textconv`;
  const diff = () => {
    const t = performance.now();
    const stdout = git("diff", "HEAD~1", "HEAD");
    return { ms: performance.now() - t, stdout };
  };
  const rows = [];

  // 1. No driver: git diffs the ciphertext.
  spawnSync("git", ["config", "--unset-all", "diff.hush.textconv"], { cwd: repo, env });
  const plain = [];
  for (let i = 0; i < RUNS; i++) plain.push(diff().ms);
  rows.push(["plain `git diff` (ciphertext, no driver)", median(plain), "—"]);

  // 2. textconv, no cache: every run decrypts both sides of every file.
  git("config", "diff.hush.textconv", textconv);
  git("config", "diff.hush.cachetextconv", "false");
  const uncached = [];
  let sample = "";
  for (let i = 0; i < SLOW_RUNS; i++) {
    const r = diff();
    uncached.push(r.ms);
    sample = r.stdout;
  }
  const changed = (sample.match(/^\+key3: /gm) ?? []).length;
  if (changed !== FILES) throw new Error(`expected ${FILES} decrypted changes in the diff, saw ${changed}`);
  rows.push(["textconv, `cachetextconv=false`", median(uncached), `${(median(uncached) / (2 * FILES)).toFixed(1)} ms`]);

  // 3. textconv with cachetextconv: the first run fills refs/notes/textconv/hush.
  git("config", "diff.hush.cachetextconv", "true");
  spawnSync("git", ["update-ref", "-d", "refs/notes/textconv/hush"], { cwd: repo, env });
  const cold = diff().ms;
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    const r = diff();
    warm.push(r.ms);
    if ((r.stdout.match(/^\+key3: /gm) ?? []).length !== FILES) throw new Error("the cached diff lacks the decrypted changes");
  }
  rows.push(["textconv, `cachetextconv=true`, first run (fills the cache)", cold, `${(cold / (2 * FILES)).toFixed(1)} ms`]);
  rows.push(["textconv, `cachetextconv=true`, cached", median(warm), "—"]);

  out.push(
    `\`git diff HEAD~1 HEAD\` in a repository of ${FILES} age-encrypted YAML files (${VALUES} values each, one value changed ` +
      `in every file), \`*.enc.yaml diff=hush\`, textconv \`node bin/hush.js git textconv\`. Median of ${RUNS} runs ` +
      `(uncached: ${SLOW_RUNS}; the first cached run: one). Per call: the run divided by the ${2 * FILES} textconv calls.`,
  );
  out.push("");
  out.push("| diff | wall time | per textconv call |");
  out.push("|---|---:|---:|");
  for (const [name, ms, per] of rows) out.push(`| ${name} | ${(ms / 1000).toFixed(2)} s | ${per} |`);
  out.push("");
  out.push(
    `With the cache, git runs no textconv for blobs it has seen: ${(median(uncached) / median(warm)).toFixed(0)}× faster than without. ` +
      "The uncached cost is one Node start-up plus an age unwrap per blob (git calls textconv once per side of each file).",
  );
  console.log(out.join("\n"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
