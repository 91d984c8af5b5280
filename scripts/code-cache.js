#!/usr/bin/env node
// The V8 code cache of a bundled CLI script (run by scripts/bundle.js, in a process of its own:
// `node scripts/code-cache.js dist/bundle/hush.cjs BUILD_ID full`, or `… hush-fast.cjs BUILD_ID
// fast` for the fast path's script, trained on decrypt, exec-env and git textconv only). Writes dist/bundle/hush.cjs.V8.cache,
// V8 being this Node's V8 version (process.versions.v8), as bin/hush.js looks for it; it must run
// with no Node options (V8 rejects a cache made with other flags; scripts/bundle.js clears
// NODE_OPTIONS).
//
// The script is compiled exactly as bin/hush.js compiles it, run on the hot paths (decrypt and
// exec-env of an age-encrypted YAML file), then `createCachedData()` serialises the bytecode of
// every function compiled so far: bin/hush.js then starts with all of it and compiles nothing on
// those paths. The cache holds code only (bytecode and the source's own constants), never data
// from the run; and the run's data is a throwaway key and file made here anyway.
//
// File layout: the build id (16 characters, also in the script's first line), the SHA-256 of V8's
// data (32 bytes; V8 does not check the data, and crashes on a damaged cache), then V8's data.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Script } from "node:vm";

const [file, id, mode = "full"] = process.argv.slice(2);
if (!file || !id || !["full", "fast"].includes(mode)) throw new Error("usage: node scripts/code-cache.js dist/bundle/hush.cjs BUILD_ID [full|fast]");
const HUSH = new URL("../bin/hush.js", import.meta.url);

const dir = mkdtempSync(join(tmpdir(), "hush-code-cache-"));
try {
  const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: dir, SOPS_AGE_KEY_FILE: join(dir, "keys.txt") };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_") && k !== "SOPS_AGE_KEY_FILE") delete env[k];
  /** Runs the CLI in a child (no cache exists yet), for the inputs of the training run. */
  const hush = (args) => {
    const r = spawnSync(process.execPath, [HUSH.pathname, ...args], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`code cache: hush ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  };
  const recipient = hush(["keygen", "-o", env.SOPS_AGE_KEY_FILE]).trim().split("\n").pop();
  const plain = join(dir, "secrets.yaml");
  // (test/code-cache.test.ts looks for "training-only" in the cache.)
  writeFileSync(plain, "# config training-only\ndb:\n    host: training-only.db.internal\n    port: 5432\n    ratio: 0.5\n    on: true\nlist:\n    - a\n    - b\n");
  const enc = join(dir, "secrets.enc.yaml");
  writeFileSync(enc, hush(["encrypt", "--age", recipient, plain]));

  // Compiled as bin/hush.js does (same source, same options but the cache).
  const source = readFileSync(file, "latin1");
  const script = new Script(source, { filename: file });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, pathToFileURL(file).href, (s) => import(s));
  const { main } = module.exports;

  process.env = env;
  // The fast path (dist/cli/fast.js) takes decrypt, git textconv and exec-env only; the full CLI
  // also runs them when the fast path passes (unusual arguments), and --version.
  const decryptPaths = [["decrypt", enc], ["exec-env", "--env-lists", enc, "--", process.execPath, "-e", ""]];
  const runs = mode === "fast" ? [...decryptPaths, ["git", "textconv", enc]] : [["--version"], ...decryptPaths];
  for (const args of runs) {
    const done = main([process.argv[0], "hush", ...args]);
    if (done === undefined) throw new Error(`code cache: the fast path does not take hush ${args.join(" ")}`);
    await done;
    if (process.exitCode) throw new Error(`code cache: hush ${args[0]} failed in the training run`);
  }

  const data = script.createCachedData();
  const digest = createHash("sha256").update(data).digest();
  if (process.execArgv.length > 0 || process.env.NODE_OPTIONS) throw new Error("code cache: run with no Node options (NODE_OPTIONS, command line)");
  writeFileSync(`${file}.${process.versions.v8}.cache`, Buffer.concat([Buffer.from(id, "latin1"), digest, data]));
  // V8 must take it back in this same Node with the same flags, or it is of no use.
  const check = new Script(source, { filename: file, cachedData: data });
  if (check.cachedDataRejected) throw new Error("code cache: V8 rejects the cache it just made");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
