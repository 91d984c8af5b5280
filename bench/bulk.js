#!/usr/bin/env node
// Bulk encrypt/decrypt of 1k, 10k and 100k values against a raw AES-256-GCM loop over the same
// values (the physical limit here), plus sops-age decrypting the same files. Prints Markdown;
// HUSH_BENCH_SUMMARY=FILE appends a JSON line (bench/run.js's table per Node version).
import { appendFileSync } from "node:fs";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { median } from "./support/common.js";
import { decryptSops } from "sops-age";
import { ageRecipient, generateAgeKeyFile } from "../dist/keys/age-client.js";
import { decryptText, encryptText } from "../dist/lib/files.js";

const SIZES = (process.env.HUSH_BENCH_SIZES ?? "1000,10000,100000").split(",").map(Number);
const RUNS = Number(process.env.HUSH_BENCH_RUNS ?? 5);

async function time(fn, runs = RUNS) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

function doc(n) {
  // Groups of 100 keys, string values of a realistic size.
  let s = "";
  for (let g = 0; g < n / 100; g++) {
    s += `group${g}:\n`;
    for (let k = 0; k < 100; k++) s += `    key${k}: value-${g}-${k}-${"x".repeat(16)}\n`;
  }
  return s;
}

/** The floor: AES-256-GCM with a fresh 32-byte IV over the same plaintexts, encrypt then decrypt. */
function rawLoop(values, key) {
  const ivs = randomBytes(32 * values.length);
  const out = [];
  for (let i = 0; i < values.length; i++) {
    const iv = ivs.subarray(i * 32, i * 32 + 32);
    const c = createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(Buffer.from("group:key:"));
    const data = Buffer.concat([c.update(values[i], "utf8"), c.final()]);
    out.push([iv, data, c.getAuthTag()]);
  }
  return out;
}
function rawDecrypt(enc, key) {
  for (const [iv, data, tag] of enc) {
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAAD(Buffer.from("group:key:"));
    d.setAuthTag(tag);
    Buffer.concat([d.update(data), d.final()]).toString("utf8");
  }
}

const key = await generateAgeKeyFile();
const recipient = ageRecipient(key.recipient);
const rows = [];
for (const n of SIZES) {
  const text = doc(n);
  const values = text.split("\n").filter((l) => l.startsWith("    ")).map((l) => l.split(": ")[1]);
  const dataKey = randomBytes(32);
  const { text: enc } = await encryptText(text, { format: "yaml", groups: [[recipient]], dataKey });
  const tEnc = await time(() => encryptText(text, { format: "yaml", groups: [[recipient]], dataKey }));
  const tDec = await time(() => decryptText(enc, { format: "yaml", dataKey }));
  let encd;
  const tRawEnc = await time(() => {
    encd = rawLoop(values, dataKey);
  });
  const tRawDec = await time(() => rawDecrypt(encd, dataKey));
  const tSopsAge = n <= 10000 ? await time(() => decryptSops(enc, { secretKey: key.identity, fileType: "yaml" }), 3) : NaN;
  rows.push({ n, tEnc, tDec, tRawEnc, tRawDec, tSopsAge });
}

const f = (x) => (Number.isNaN(x) ? "—" : `${x.toFixed(1)} ms`);
console.log(`## Bulk encrypt and decrypt (YAML, in process, data key given; Node ${process.version})\n`);
console.log("| values | hush encrypt | raw AES-GCM encrypt | ratio | hush decrypt | raw AES-GCM decrypt | ratio | sops-age decrypt |");
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.n} | ${f(r.tEnc)} | ${f(r.tRawEnc)} | ${(r.tEnc / r.tRawEnc).toFixed(2)}× | ${f(r.tDec)} | ${f(r.tRawDec)} | ${(r.tDec / r.tRawDec).toFixed(2)}× | ${f(r.tSopsAge)} |`,
  );
}
console.log("\nThe raw loop encrypts/decrypts the same plaintexts with a fresh 32-byte IV each, no parsing, no MAC, no text; hush's numbers include parsing, the MAC, base64 and writing the document. sops-age (which also unwraps the age key each time) is run up to 10k values.");
const big = rows.find((r) => r.n === 100000);
if (big) {
  const ratio = big.tDec / big.tRawDec;
  console.log(`\nTarget (issue 20): a 100,000-value decrypt ≤ 2× the raw AES-256-GCM loop: ${ratio.toFixed(2)}× (medians of ${RUNS} runs): **${ratio <= 2 ? "met" : "not met"}**.`);
}
if (process.env.HUSH_BENCH_SUMMARY) {
  const row = { bench: "bulk", node: process.version, sizes: Object.fromEntries(rows.map((r) => [r.n, { enc: r.tEnc, dec: r.tDec, rawEnc: r.tRawEnc, rawDec: r.tRawDec }])) };
  appendFileSync(process.env.HUSH_BENCH_SUMMARY, `${JSON.stringify(row)}\n`);
}
