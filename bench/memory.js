#!/usr/bin/env node
// Peak memory (issue 20): the maximum resident set size of the real CLI process (`/usr/bin/time -v`,
// "Maximum resident set size"; the child's rusage from a wrapper where that is missing) for
// `hush decrypt` and `hush encrypt` of 100k-value YAML, JSON and dotenv files, load() of the
// YAML file before any get(), and an 80 MB binary file encrypted then decrypted. Prints Markdown
// with each peak as a multiple of the file (the encrypted file: the larger of input and output;
// the plaintext ratio is shown too). Targets: ≤ 6× for decrypt and encrypt, ≤ 4× for load(), the
// binary round trip within 1 GiB. Node's own floor (`node -e ''`) is measured and shown: it counts.
//
// Usage: node bench/memory.js   (needs `npm run build`; HUSH_BENCH_MEMORY_VALUES=100000,
// HUSH_BENCH_MEMORY_BINARY_MB=80, HUSH_BENCH_MEMORY_RUNS=3: the median of that many runs;
// HUSH_BENCH_MEMORY_ONLY=json,dotenv runs only those of yaml, json, dotenv, binary;
// HUSH_BENCH_CLI=/path/to/bin/hush.js measures another build, e.g. a checkout before a change)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { HUSH, ROOT, median } from "./support/common.js";

const N = Number(process.env.HUSH_BENCH_MEMORY_VALUES ?? 100_000);
const BIN_MB = Number(process.env.HUSH_BENCH_MEMORY_BINARY_MB ?? 80);
const RUNS = Number(process.env.HUSH_BENCH_MEMORY_RUNS ?? 3);
const ONLY = process.env.HUSH_BENCH_MEMORY_ONLY?.split(",").map((s) => s.trim().toLowerCase());
const runs = (name) => !ONLY || ONLY.includes(name.toLowerCase());
const CLI = process.env.HUSH_BENCH_CLI ?? HUSH;
const DEVNULL = openSync("/dev/null", "w");
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
const MiB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), "hush-bench-memory-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** Peak RSS in bytes of `node ARGS` (and whether it exited 0). */
function peak(args, opts = {}) {
  const env = { ...process.env, ...opts.env };
  if (TIME) {
    const r = spawnSync(TIME, ["-v", process.execPath, ...args], { env, stdio: ["ignore", opts.stdout ?? DEVNULL, "pipe"], maxBuffer: 64 * MiB });
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr.toString());
    if (r.status !== 0) return { ok: false, rss: m ? Number(m[1]) * 1024 : NaN, err: r.stderr.toString().split("\n").slice(0, 3).join(" ") };
    return { ok: true, rss: Number(m[1]) * 1024 };
  }
  // No time(1): a wrapper reads the child's rusage (maxrss of the largest waited-for child).
  const wrapper = `const r=require("child_process").spawnSync(process.execPath,${JSON.stringify(args)},{stdio:["ignore",${"ignore"},"inherit"]});` +
    `process.stdout.write(JSON.stringify({s:r.status,rss:require("process").resourceUsage().maxRSS}));`;
  const out = JSON.parse(execFileSync(process.execPath, ["-e", wrapper], { env }).toString());
  return { ok: out.s === 0, rss: out.rss * 1024 };
}

function medianPeak(args, opts) {
  const xs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = peak(args, opts);
    if (!r.ok) return r;
    xs.push(r.rss);
  }
  return { ok: true, rss: median(xs) };
}

// ---- inputs -----------------------------------------------------------------------------------

function yamlDoc(n) {
  let s = "";
  for (let g = 0; g < n / 100; g++) {
    s += `group${g}:\n`;
    for (let k = 0; k < 100; k++) s += `    key${k}: value-${g}-${k}-${"x".repeat(16)}\n`;
  }
  return s;
}
function jsonDoc(n) {
  const parts = [];
  for (let g = 0; g < n / 100; g++) {
    const inner = [];
    for (let k = 0; k < 100; k++) inner.push(`        "key${k}": "value-${g}-${k}-${"x".repeat(16)}"`);
    parts.push(`    "group${g}": {\n${inner.join(",\n")}\n    }`);
  }
  return `{\n${parts.join(",\n")}\n}\n`;
}
function dotenvDoc(n) {
  let s = "";
  for (let g = 0; g < n / 100; g++) for (let k = 0; k < 100; k++) s += `GROUP${g}_KEY${k}=value-${g}-${k}-${"x".repeat(16)}\n`;
  return s;
}

const keyFile = join(dir, "key.txt");
execFileSync("age-keygen", ["-o", keyFile], { stdio: "ignore" });
const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, "utf8"))[1];
const env = { SOPS_AGE_KEY_FILE: keyFile };

const floor = medianPeak(["-e", ""]).rss;
const rows = [];
const fmt = (b) => `${(b / MiB).toFixed(1)} MiB`;

for (const [format, ext, make] of [
  ["YAML", "yaml", yamlDoc],
  ["JSON", "json", jsonDoc],
  ["dotenv", "env", dotenvDoc],
]) {
  if (!runs(format)) continue;
  const plain = join(dir, `plain.${ext}`);
  const enc = join(dir, `secret.enc.${ext}`);
  writeFileSync(plain, make(N));
  execFileSync(process.execPath, [CLI, "encrypt", "--age", recipient, "-o", enc, plain], { env: { ...process.env, ...env } });
  const plainSize = statSync(plain).size;
  const encSize = statSync(enc).size;
  const e = medianPeak([CLI, "encrypt", "--age", recipient, plain], { env });
  rows.push({ what: `${format} encrypt, ${N.toLocaleString("en-US")} values`, r: e, size: encSize, plainSize, target: 6 });
  const d = medianPeak([CLI, "decrypt", enc], { env });
  rows.push({ what: `${format} decrypt, ${N.toLocaleString("en-US")} values`, r: d, size: encSize, plainSize, target: 6 });
  // Not a target: how much of the peak is V8's young generation (16 MiB semi-spaces by default).
  // The flag only works on Node's command line (v8.setFlagsFromString is too late for it).
  const small = medianPeak(["--max-semi-space-size=1", CLI, "decrypt", enc], { env });
  rows.push({ what: `(for comparison) ${format} decrypt, \`node --max-semi-space-size=1\``, r: small, size: encSize, plainSize });
  if (format === "YAML") {
    // The package's entry (package.json "main"/"exports"), which `import { load } from "hush-sops"` loads.
    const lib = join(ROOT, "dist", "bundle", "lib.cjs");
    const script = join(dir, "load.cjs");
    writeFileSync(script, `require(${JSON.stringify(lib)}).load(${JSON.stringify(enc)}).then((s) => { if (!s) process.exit(1); }, () => process.exit(1));\n`);
    const l = medianPeak([script], { env });
    rows.push({ what: `YAML load(), before any get(), ${N.toLocaleString("en-US")} values`, r: l, size: encSize, plainSize, target: 4 });
  }
  rmSync(plain);
  rmSync(enc);
}

// Binary: the whole file is one value.
if (runs("binary")) {
  const plain = join(dir, "blob.bin");
  const enc = join(dir, "blob.enc.bin");
  writeFileSync(plain, randomBytes(BIN_MB * MiB));
  const e = peak([CLI, "encrypt", "--age", recipient, "-o", enc, plain], { env });
  const encSize = e.ok ? statSync(enc).size : NaN;
  rows.push({ what: `binary encrypt, ${BIN_MB} MiB`, r: e, size: encSize, plainSize: BIN_MB * MiB, limit: 1024 * MiB });
  const d = e.ok ? peak([CLI, "decrypt", "-o", join(dir, "blob.out"), enc], { env }) : { ok: false, rss: NaN, err: "encrypt failed" };
  rows.push({ what: `binary decrypt, ${BIN_MB} MiB`, r: d, size: encSize, plainSize: BIN_MB * MiB, limit: 1024 * MiB });
}

const nodeFlags = process.execArgv.join(" ");
console.log(`## Peak memory (Node ${process.version}${nodeFlags ? ` ${nodeFlags}` : ""}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB)\n`);
console.log(
  `Maximum resident set size of the CLI process (${TIME ? "`/usr/bin/time -v`" : "the child's rusage"}), median of ${RUNS} runs (binary: one run), age key from SOPS_AGE_KEY_FILE, output to /dev/null ` +
    `(binary: to a file). Node's own floor, \`node -e ''\`: **${fmt(floor)}**, included in every figure. × file = peak / encrypted file size; × plaintext = peak / plaintext size.\n`,
);
console.log("| case | encrypted file | plaintext | peak RSS | × file | × plaintext | peak above `node -e ''` | above floor × file | target | met |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
let unmet = 0;
for (const { what, r, size, plainSize, target, limit } of rows) {
  const ratio = r.rss / size;
  const ok = r.ok && (target ? ratio <= target : limit ? r.rss <= limit : true);
  if (!ok && (target || limit)) unmet++;
  const t = target ? `≤ ${target}× file` : limit ? `≤ ${fmt(limit)}` : "—";
  console.log(
    `| ${what} | ${fmt(size)} | ${fmt(plainSize)} | ${r.ok ? fmt(r.rss) : `failed${r.err ? ` (${r.err.slice(0, 80)})` : ""}`} | ${ratio.toFixed(1)}× | ${(r.rss / plainSize).toFixed(1)}× | ${fmt(r.rss - floor)} | ${((r.rss - floor) / size).toFixed(1)}× | ${t} | ${!target && !limit ? "—" : ok ? "yes" : "**no**"} |`,
  );
}
console.log(
  "\nHow: a plain decrypt or encrypt of YAML, JSON or dotenv takes the lean path (docs/architecture.md): one pass over the bytes the file was read into, " +
    "the output written into one buffer, no CST, leaves or tree, so the peak is Node (~39 MiB), the file's bytes, the output and little garbage. " +
    "`load()` (the package's entry, dist/bundle/lib.cjs) does not hold the file: it reads it in 256 KiB windows and keeps a compact store of keys and decoded ciphertexts (~8 MiB here, the lazy get() needs them) " +
    "and an index (~4 MiB) instead of the sealed tree. What keeps it above 4× (61 MiB): Node (39 MiB), requiring the library (~6 MiB), the store and index (~12 MiB), " +
    "and V8 itself while 100k values are walked and their MAC checked: its optimising compiler's memory (`node --no-opt` peaks ~8 MiB lower, at 3× the CPU) and heap growth (~4 MiB). " +
    "Files the lean paths leave to the full reader (YAML with encrypted comments other than whole-line ones between root entries, block scalars, anchors, CRLF) still cost 12–22× as before.",
);
const targets = rows.filter((r) => r.target || r.limit).length;
console.log(`\n${unmet === 0 ? "Every memory target is met." : `${unmet} of ${targets} memory targets not met.`}`);
