#!/usr/bin/env node
// Tiny shim. `npm run build` compiles src/ to dist/ and bundles the CLI into one script,
// dist/bundle/hush.cjs, with a V8 code cache for it, dist/bundle/hush.cjs.cache (scripts/bundle.js).
// The script is compiled here with the cache, when V8 accepts it (same Node, same flags, same
// build), so the code `hush decrypt` runs is not parsed or compiled again at every start; without
// the cache it is compiled as usual. Without the bundle, the compiled dist/cli/main.js runs.
// HUSH_DEBUG_CODE_CACHE=1 says on stderr whether the cache was accepted, rejected (by V8) or missing
// (none, another build's, or damaged).
//
// This file is CommonJS (bin/package.json says so): an ES module entry point makes Node set up
// its ES module loader first, which costs several ms on every start; here it is set up only when
// something is imported (a cloud SDK, openpgp, age-encryption, or dist/cli/main.js).
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { Script } = require("node:vm");

const file = join(__dirname, "..", "dist", "bundle", "hush.cjs");
let source;
try {
  // ASCII only (scripts/bundle.js checks): read as latin1, which makes the string faster than UTF-8.
  source = readFileSync(file, "latin1");
} catch {
  // no bundle: the plain tsc output
}

if (source === undefined) {
  import("../dist/cli/main.js").then(({ main }) => main(process.argv));
} else {
  let cachedData;
  try {
    // The cache starts with the build id that the script's first line holds (/*hush-build:ID*/),
    // then the SHA-256 of V8's data: V8 checks versions, flags and the source's length but not
    // the data itself, and crashes on a damaged cache.
    const cache = readFileSync(`${file}.cache`);
    if (cache.toString("latin1", 0, 16) === source.slice(13, 29)) {
      const data = cache.subarray(48);
      if (require("node:crypto").createHash("sha256").update(data).digest().equals(cache.subarray(16, 48))) cachedData = data;
    }
  } catch {
    // no cache: compile without one
  }
  const script = new Script(source, { filename: file, cachedData });
  if (process.env.HUSH_DEBUG_CODE_CACHE) {
    process.stderr.write(`hush: code cache ${cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "accepted"}\n`);
  }
  const bundle = { exports: {} };
  // The script cannot call import() itself (a vm script needs an experimental flag for that):
  // its imports of external packages and of dist/bundle/age-encryption.js come through here.
  script.runInThisContext()(bundle.exports, require, bundle, pathToFileURL(file).href, (s) => import(s));
  bundle.exports.main(process.argv);
}
