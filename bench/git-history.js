#!/usr/bin/env node
// Reviewing history (issue 20): `hush git diff A B` and `hush git log -p` (git with the textconv
// served by one hush process) against the textconv path (`git diff` / `git log -p` with
// diff.hush.textconv = `hush git textconv`, one Node process per blob side, no textconv cache).
//   1. one commit changing 200 encrypted files: `diff HEAD~1 HEAD`;
//   2. 50 commits over 20 files (each commit changes 4 of them): `log -p`.
// Times are CPU time (user + sys of git and everything it runs, from the shell's `times`) and wall
// time, medians. The textconv path costs a Node start-up per blob, minutes for these sizes; by
// default it runs once on a subset (HUSH_BENCH_GIT_BASELINE_FILES of the changed files, by
// pathspec) and is scaled to the full size, which the table says. Both paths' outputs are compared
// on that subset: they must be byte-identical. Prints Markdown.
//
// Usage: node bench/git-history.js (needs `npm run build`, git; HUSH_BENCH_GIT_FILES=200,
// HUSH_BENCH_GIT_COMMITS=50, HUSH_BENCH_GIT_RUNS=3, HUSH_BENCH_GIT_BASELINE_FILES=20).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HUSH, ROOT, median } from "./support/common.js";

const FILES = Number(process.env.HUSH_BENCH_GIT_FILES ?? 200);
const COMMITS = Number(process.env.HUSH_BENCH_GIT_COMMITS ?? 50);
const RUNS = Number(process.env.HUSH_BENCH_GIT_RUNS ?? 3);
const SUBSET = Number(process.env.HUSH_BENCH_GIT_BASELINE_FILES ?? 20);
const LOG_FILES = 20;
const VALUES = 20;

const { ageRecipient, generateAgeKeyFile } = await import(join(ROOT, "dist", "keys", "age-client.js"));
const { encryptText } = await import(join(ROOT, "dist", "lib", "files.js"));

const dir = mkdtempSync(join(tmpdir(), "hush-bench-git-history-"));
try {
  const key = await generateAgeKeyFile();
  const keyFile = join(dir, "keys.txt");
  writeFileSync(keyFile, key.text, { mode: 0o600 });
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, GIT_CONFIG_NOSYSTEM: "1", SOPS_AGE_KEY_FILE: keyFile };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_") && k !== "SOPS_AGE_KEY_FILE") delete env[k];
  const recipient = ageRecipient(key.recipient);
  const name = (f) => `s${String(f).padStart(3, "0")}.enc.yaml`;
  const doc = (f, version) => {
    let s = "";
    for (let v = 0; v < VALUES; v++) s += `key${v}: value-${f}-${v}-${v === 3 ? `v${version}` : "same"}-${"x".repeat(12)}\n`;
    return s;
  };

  /** A repository with the textconv driver installed (cache off); `git(...)` runs git in it. */
  const makeRepo = (sub) => {
    const repo = join(dir, sub);
    mkdirSync(repo);
    const git = (...args) => {
      const r = spawnSync("git", args, { cwd: repo, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
      if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };
    git("init", "-q");
    git("config", "user.email", "bench@example.com");
    git("config", "user.name", "bench");
    git("config", "commit.gpgsign", "false");
    git("config", "diff.hush.textconv", `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} git textconv`);
    git("config", "diff.hush.cachetextconv", "false");
    writeFileSync(join(repo, ".gitattributes"), "*.enc.yaml diff=hush\n");
    const write = async (f, version) =>
      writeFileSync(join(repo, name(f)), (await encryptText(doc(f, version), { format: "yaml", groups: [[recipient]] })).text);
    return { repo, git, write };
  };

  /** Runs a command under `sh` and returns its output, wall ms and CPU ms (user + sys of the children). */
  const timed = (repo, cmd, args) => {
    const t = performance.now();
    const r = spawnSync("sh", ["-c", '"$@" >"$OUT" 2>/dev/null; s=$?; times >&2; exit $s', "sh", cmd, ...args], {
      cwd: repo,
      env: { ...env, OUT: join(dir, "out") },
      encoding: "utf8",
    });
    const wall = performance.now() - t;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
    // `times`: the shell's own user/sys, then its children's.
    const line = r.stderr.trim().split("\n").pop();
    const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    const out = spawnSync("cat", [join(dir, "out")], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 }).stdout;
    return { wall, cpu: (secs[0] + secs[1]) * 1000, out };
  };
  const hushCmd = [process.execPath, HUSH];

  const rows = [];
  /** Measures one case: the in-process command RUNS times, the textconv path once on a subset. */
  const measure = (label, repo, gitArgs, subsetPaths, scale, expectChanged) => {
    // Equal output on the subset.
    const viaTextconv = timed(repo, "git", [...gitArgs, "--", ...subsetPaths]);
    const viaHushSubset = timed(repo, hushCmd[0], [hushCmd[1], "git", ...gitArgs, "--", ...subsetPaths]);
    if (viaHushSubset.out !== viaTextconv.out) throw new Error(`${label}: hush git output differs from the textconv path`);
    if (!viaTextconv.out.includes("+key3: ")) throw new Error(`${label}: the textconv path did not decrypt`);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(timed(repo, hushCmd[0], [hushCmd[1], "git", ...gitArgs]));
    const changed = (runs[0].out.match(/^\+key3: /gm) ?? []).length;
    if (changed !== expectChanged) throw new Error(`${label}: expected ${expectChanged} decrypted changes, saw ${changed}`);
    const cpu = median(runs.map((r) => r.cpu));
    const wall = median(runs.map((r) => r.wall));
    rows.push({ label, cpu, wall, baseCpu: viaTextconv.cpu * scale, baseWall: viaTextconv.wall * scale, scale });
  };

  // 1. 200 files changed in one commit.
  {
    const { repo, git, write } = makeRepo("wide");
    for (let f = 0; f < FILES; f++) await write(f, 1);
    git("add", "-A");
    git("commit", "-q", "-m", "v1");
    for (let f = 0; f < FILES; f++) await write(f, 2);
    git("commit", "-q", "-a", "-m", "v2");
    const subset = Array.from({ length: Math.min(SUBSET, FILES) }, (_, f) => name(f));
    measure(`\`diff HEAD~1 HEAD\`, ${FILES} changed files`, repo, ["diff", "HEAD~1", "HEAD"], subset, FILES / subset.length, FILES);
  }

  // 2. 50 commits over 20 files, each changing 4 of them.
  {
    const { repo, git, write } = makeRepo("deep");
    for (let f = 0; f < LOG_FILES; f++) await write(f, 0);
    git("add", "-A");
    git("commit", "-q", "-m", "c0");
    for (let c = 1; c < COMMITS; c++) {
      for (let k = 0; k < 4; k++) await write((c * 4 + k) % LOG_FILES, c);
      git("commit", "-q", "-a", "-m", `c${c}`);
    }
    const subsetCount = Math.max(1, Math.round((LOG_FILES * SUBSET) / FILES));
    const subset = Array.from({ length: subsetCount }, (_, f) => name(f));
    measure(`\`log -p\`, ${COMMITS} commits over ${LOG_FILES} files`, repo, ["log", "-p"], subset, LOG_FILES / subsetCount, LOG_FILES + (COMMITS - 1) * 4);
  }

  const out = ["## Reviewing history: `hush git diff` / `hush git log -p`", ""];
  out.push(
    `Git's output with hush's textconv served by one hush process (FIFO + a two-line \`sh\` script per blob) against the ` +
      `textconv path (\`diff.hush.textconv = hush git textconv\`, one Node process per blob side, cache off). Age-encrypted YAML, ` +
      `${VALUES} values per file, one value changed per changed file. CPU = user + sys of git and all it runs; median of ${RUNS} runs. ` +
      `The textconv path ran once on a subset of the files (pathspec) and is scaled to the full size (×scale); its output on ` +
      `that subset is byte-identical to hush's (checked).`,
  );
  out.push("");
  out.push("| case | hush git: CPU | wall | textconv path (scaled): CPU | wall | ratio (CPU) |");
  out.push("|---|---:|---:|---:|---:|---:|");
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  for (const r of rows) {
    out.push(`| ${r.label} | ${s(r.cpu)} | ${s(r.wall)} | ${s(r.baseCpu)} (×${r.scale.toFixed(0)}) | ${s(r.baseWall)} | ${(r.cpu / r.baseCpu).toFixed(3)} |`);
  }
  out.push("");
  out.push("Targets (issue 20): 200 changed files ≤ 2 s, 50-commit `log -p` ≤ 3 s (wall, on an idle machine; CPU shown because this one may be shared).");
  out.push("");
  // The verdicts, on the wall time of the sizes the targets name (other sizes: figures only).
  const [diffRow, logRow] = rows;
  if (FILES === 200 && diffRow) out.push(`- \`hush git diff\`, 200 changed files: ${s(diffRow.wall)} ≤ 2 s: ${diffRow.wall <= 2000 ? "met" : "**not met**"}.`);
  if (COMMITS === 50 && logRow) out.push(`- \`hush git log -p\`, 50 commits: ${s(logRow.wall)} ≤ 3 s: ${logRow.wall <= 3000 ? "met" : "**not met**"}.`);
  console.log(out.join("\n"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
