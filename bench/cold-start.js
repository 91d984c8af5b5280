#!/usr/bin/env node
// Cold start of the CLI (issue 9): wall-clock time to spawn `node bin/hush.js decrypt` on a
// 50-value age YAML file, against `node -e ''` (the floor: Node's own start-up) on the same
// machine in the same run, and `hush exec-env … -- true` when that command exists.
//
// Runs are interleaved (one of each command per round) so that machine noise hits every command
// alike; the first rounds only warm the page cache. Prints Markdown on stdout.
//
// Usage: node bench/cold-start.js [runs]   (default 21; needs `npm run build` first)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HUSH = join(ROOT, "bin", "hush.js");
const RUNS = Number(process.argv[2] ?? process.env["BENCH_RUNS"] ?? 21);
const WARMUP = 3;
/** Issue 9's target for `hush decrypt` of a 50-value age file. */
const TARGET = 1.6;

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
  Object.assign(env, { SOPS_AGE_KEY_FILE: keyFile, HOME: dir, XDG_CONFIG_HOME: dir });

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

  /** @type {{ name: string, argv: string[] }[]} */
  const commands = [
    { name: "`node -e ''`", argv: ["-e", ""] },
    { name: "`hush --version`", argv: [HUSH, "--version"] },
    { name: `\`hush decrypt\` (${values} values)`, argv: [HUSH, "decrypt", encFile], target: true },
  ];
  if (bundled) commands.push({ name: "`hush decrypt`, unbundled (dist/cli/main.js)", argv: [unbundledShim, "decrypt", encFile] });
  const execEnv = hush(["exec-env", encFile, "--", "true"]);
  if (execEnv.status === 0) commands.push({ name: "`hush exec-env … -- true`", argv: [HUSH, "exec-env", encFile, "--", "true"] });

  for (const c of commands) {
    const r = spawnSync(process.execPath, c.argv, { env, stdio: "ignore" });
    if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}`);
  }
  const times = commands.map(() => []);
  for (let round = 0; round < WARMUP + RUNS; round++) {
    commands.forEach((c, i) => {
      const t0 = performance.now();
      spawnSync(process.execPath, c.argv, { env, stdio: "ignore" });
      const t = performance.now() - t0;
      if (round >= WARMUP) times[i].push(t);
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
  out.push("## Cold start");
  out.push("");
  out.push(
    `Wall-clock time to spawn each command, median of ${RUNS} interleaved runs (after ${WARMUP} warm-up rounds), ` +
      `a ${values}-value age-encrypted YAML file, key from SOPS_AGE_KEY_FILE. ` +
      `CLI: ${bundled ? "the bundled script with its V8 code cache (dist/bundle/hush.cjs)" : "dist/cli/main.js (no bundle built)"}.`,
  );
  out.push("");
  out.push("| command | median (ms) | min (ms) | max (ms) | × `node -e ''` |");
  out.push("|---|---:|---:|---:|---:|");
  commands.forEach((c, i) => {
    const m = median(times[i]);
    out.push(`| ${c.name} | ${ms(m)} | ${ms(Math.min(...times[i]))} | ${ms(Math.max(...times[i]))} | ${(m / floor).toFixed(2)}× |`);
  });
  const decIdx = commands.findIndex((c) => c.target);
  const ratio = median(times[decIdx]) / floor;
  out.push("");
  out.push(
    `\`hush decrypt\` takes ${ratio.toFixed(2)}× \`node -e ''\` (${ms(median(times[decIdx]) - floor)} ms above Node's own start-up); ` +
      `target ≤ ${TARGET}×: **${ratio <= TARGET ? "met" : "not met"}**.` +
      (execEnv.status === 0 ? "" : " (`hush exec-env` is not available in this build.)"),
  );
  console.log(out.join("\n"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
