#!/usr/bin/env node
// Tiny shim. `npm run build` compiles src/ to dist/ and bundles the CLI into one script,
// dist/bundle/hush.cjs, with a V8 code cache for it (scripts/bundle.js). The script is compiled
// here with the cache, so the code `hush decrypt` runs is not parsed or compiled again at every
// start. Without the bundle, the compiled dist/cli/main.js runs.
//
// A code cache fits one V8 build with one set of flags: its file is named by
// v8.cachedDataVersionTag(), dist/bundle/hush.cjs.<tag>.cache. The build makes the one for the
// Node that built it. With another Node (or other V8 flags, e.g. --max-old-space-size), the first
// decrypt or exec-env that finds none compiles as usual, then saves one there when the directory
// is writable (atomically; otherwise nothing is written, and nothing fails). A cache holds code
// only, never data from the run. HUSH_DEBUG_CODE_CACHE=1 says on stderr whether a cache was
// accepted, rejected (by V8) or missing (none, another build's, or damaged), and when one is saved.
//
// This file is CommonJS (bin/package.json says so): an ES module entry point makes Node set up
// its ES module loader first, which costs several ms on every start; here it is set up only when
// something is imported (a cloud SDK, openpgp, age-encryption, or dist/cli/main.js).
"use strict";
// First thing, before anything that could take time: SIGUSR1 would otherwise start Node's
// inspector on 127.0.0.1:9229 (a debugger into a process holding a data key and plaintext). A
// listener of our own replaces that default; exec-env adds its own to pass the signal on.
process.on("SIGUSR1", () => {});
if (/(^|\s)--inspect/.test(process.env.NODE_OPTIONS || "") || process.execArgv.some((a) => a.startsWith("--inspect"))) {
  process.stderr.write("hush: warning: the Node inspector is enabled (--inspect in NODE_OPTIONS or the node command): a debugger can read this process's keys and secrets\n");
}
const { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { cachedDataVersionTag } = require("node:v8");
const { Script } = require("node:vm");

const file = join(__dirname, "..", "dist", "bundle", "hush.cjs");
let source;
try {
  // ASCII only (scripts/bundle.js checks): read as latin1, which makes the string faster than UTF-8.
  source = readFileSync(file, "latin1");
} catch {
  // no bundle: the plain tsc output
}

/**
 * The commands after which a missing cache is saved: the ones it is for (as at build time); not
 * their --help, which would save a cache of little more than commander.
 */
const SAVE_AFTER = ["decrypt", "exec-env"];

/** SHA-256 (V8 does not check a cache's data, and crashes on a damaged one). */
const sha256 = (data) => require("node:crypto").createHash("sha256").update(data).digest();

if (source === undefined) {
  import("../dist/cli/main.js").then(({ main }) => main(process.argv));
} else {
  // The cache file: the build id that the script's first line holds (/*hush-build:ID*/, 16
  // characters), the SHA-256 of V8's data, then V8's data.
  const id = source.slice(13, 29);
  const cacheFile = `${file}.${cachedDataVersionTag().toString(16)}.cache`;
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.toString("latin1", 0, 16) === id && sha256(cache.subarray(48)).equals(cache.subarray(16, 48))) cachedData = cache.subarray(48);
  } catch {
    // no cache: compile without one
  }
  const script = new Script(source, { filename: file, cachedData });
  const debug = process.env.HUSH_DEBUG_CODE_CACHE ? (s) => process.stderr.write(`hush: code cache ${s}\n`) : () => {};
  debug(cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "accepted");
  const bundle = { exports: {} };
  // The script cannot call import() itself (a vm script needs an experimental flag for that):
  // its imports of external packages and of dist/bundle/age-encryption.js come through here.
  script.runInThisContext()(bundle.exports, require, bundle, pathToFileURL(file).href, (s) => import(s));
  const done = bundle.exports.main(process.argv);
  const args = process.argv.slice(2);
  const saveAfter = SAVE_AFTER.includes(args[0]) && !args.includes("--help") && !args.includes("-h");
  if ((cachedData === undefined || script.cachedDataRejected) && saveAfter) {
    done.then(() => {
      if (process.exitCode) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        accessSync(dirname(file), constants.W_OK);
        const data = script.createCachedData();
        writeFileSync(tmp, Buffer.concat([Buffer.from(id, "latin1"), sha256(data), data]), { flag: "wx" });
        renameSync(tmp, cacheFile);
        debug("saved");
      } catch {
        // a read-only or full directory: run without a cache, as before
        try {
          rmSync(tmp, { force: true });
        } catch {
          // nothing was written
        }
      }
    });
  }
}
