#!/usr/bin/env node
// The library's load() and get() (issue 6): get() should cost the same whatever the number of
// keys (a map lookup per path component, then one AES-GCM decryption), and load() should grow
// linearly with the file (parse, one decryption per value for the MAC, index). Prints Markdown.
//
// Usage: node bench/load.js   (needs `npm run build`; HUSH_BENCH_SIZES=10,100,… HUSH_BENCH_RUNS=5)
import { performance } from "node:perf_hooks";
import { median } from "./support/common.js";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ageRecipient, generateAgeKeyFile } from "../dist/keys/age-client.js";
import { Keyring } from "../dist/keys/registry.js";
import { encryptText } from "../dist/lib/files.js";
import { load } from "../dist/lib/load.js";

const SIZES = (process.env.HUSH_BENCH_SIZES ?? "10,100,1000,10000,100000").split(",").map(Number);
const RUNS = Number(process.env.HUSH_BENCH_RUNS ?? 5);
const GETS = 20_000;

// get() is measured in the steady state: loading a large file leaves hundreds of MB of parser
// garbage (the CST) that the next major GC frees, and collecting it in the middle of the get loop
// would be charged to get(). A full GC between the two measurements keeps them apart.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc");

const fmt = (x, d = 1) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

/** n values in groups of up to 100 (`groupG: keyK: value`), realistic string sizes. */
function doc(n) {
  let s = "";
  const groups = Math.ceil(n / 100);
  for (let g = 0; g < groups; g++) {
    s += `group${g}:\n`;
    for (let k = 0; k < Math.min(100, n - g * 100); k++) s += `    key${k}: value-${g}-${k}-${"x".repeat(16)}\n`;
  }
  return s;
}

/** A deterministic pseudo-random sequence, so every size reads keys in the same kind of order. */
function* lcg(seed) {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield x;
  }
}

const key = await generateAgeKeyFile();
const env = { SOPS_AGE_KEY: key.identity };
const keyring = new Keyring({ env }); // identities parsed once, as an app loading several files would
const rows = [];
for (const n of SIZES) {
  const { text } = await encryptText(doc(n), { format: "yaml", groups: [[ageRecipient(key.recipient)]] });
  const kb = Buffer.byteLength(text) / 1024;
  // load(): warm once, then the median of RUNS.
  (await load({ text, format: "yaml" }, { keyring })).dispose();
  const loads = [];
  let secrets;
  const runs = n >= 100_000 ? Math.min(RUNS, 3) : RUNS; // ~seconds each on a small machine
  for (let i = 0; i < runs; i++) {
    secrets?.dispose();
    const t = performance.now();
    secrets = await load({ text, format: "yaml" }, { keyring });
    loads.push(performance.now() - t);
  }
  const loadMs = median(loads);
  gc();
  const retainedMb = process.memoryUsage().heapUsed / 1048576;
  // get(): GETS reads of keys spread over the whole file, in batches; the median batch.
  const paths = [];
  const rnd = lcg(n);
  for (let i = 0; i < GETS; i++) {
    const j = rnd.next().value % n;
    paths.push(`group${Math.floor(j / 100)}.key${j % 100}`);
  }
  for (const p of paths.slice(0, 1000)) secrets.get(p); // warm-up
  const batches = [];
  for (let b = 0; b < 5; b++) {
    const t = performance.now();
    for (const p of paths) if (typeof secrets.get(p) !== "string") throw new Error(`bad value at ${p}`);
    batches.push(((performance.now() - t) * 1000) / paths.length);
  }
  const getUs = median(batches);
  secrets.dispose();
  rows.push({ n, kb, loadMs, usPerKb: (loadMs * 1000) / kb, getUs, retainedMb });
}

// Linearity: the marginal cost per KiB between successive sizes (which cancels the fixed cost of
// unwrapping the data key, the bulk of a small file's load), from 1,000 values up.
for (let i = 1; i < rows.length; i++) {
  rows[i].marginal = ((rows[i].loadMs - rows[i - 1].loadMs) * 1000) / (rows[i].kb - rows[i - 1].kb);
}
const dash = "–";
console.log(`## load() and get() (Node ${process.version}, median of ${RUNS} loads (3 at 100k), ${GETS.toLocaleString("en-US")} gets × 5)\n`);
console.log("| values | file (KiB) | load (ms) | load per KiB (µs) | marginal per KiB (µs) | get (µs) | heap after load (MiB) |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const m = r.marginal === undefined ? dash : fmt(r.marginal);
  console.log(`| ${r.n.toLocaleString("en-US")} | ${fmt(r.kb)} | ${fmt(r.loadMs)} | ${fmt(r.usPerKb)} | ${m} | ${fmt(r.getUs, 2)} | ${fmt(r.retainedMb)} |`);
}

const gets = rows.map((r) => r.getUs);
const getRatio = Math.max(...gets) / Math.min(...gets);
const steps = rows.filter((r, i) => i > 0 && rows[i - 1].n >= 1000).map((r) => r.marginal);
const loadRatio = steps.length > 1 ? Math.max(...steps) / Math.min(...steps) : 1;
console.log(`\nget(): slowest/fastest = ${fmt(getRatio, 2)}× across ${fmt(rows[0].n, 0)}${dash}${fmt(rows.at(-1).n, 0)} values (target: within 2×): ${getRatio <= 2 ? "flat" : "NOT flat"}`);
console.log(`load(): marginal cost per KiB varies ${fmt(loadRatio, 2)}× between the steps from 1,000 values up: ${loadRatio <= 2 ? "linear" : "NOT linear"}`);
if (getRatio > 2 || loadRatio > 2) process.exitCode = 1;
