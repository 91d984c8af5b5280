#!/usr/bin/env node
// Tiny shim. `npm run build` compiles src/ to dist/ and bundles the CLI into two scripts, each with
// a V8 code cache (scripts/bundle.js): dist/bundle/hush.cjs, the whole CLI, and
// dist/bundle/hush-fast.cjs, the fast path (src/cli/fast.ts): decrypt, git textconv and exec-env
// with plain arguments, without commander or any other command (a script and cache about 60% of
// the full one's). For those three commands the fast path's script runs first; for arguments it
// does not take (--help, an unknown or repeated flag…) it does nothing and returns undefined, and
// the full CLI runs them. A script is compiled here with its cache, so the code `hush decrypt`
// runs is not parsed or compiled again at every start. Without the bundle, the compiled
// dist/cli/main.js runs.
//
// A code cache fits one V8 version with one set of V8 flags (V8 checks both, and rejects a cache
// made for others). The build makes dist/bundle/<script>.<V8 version>.cache for the Node that
// built it, with no options; the package directory is only ever read. With another Node, or with
// options (on the command line or in NODE_OPTIONS, e.g. --no-opt), the first decrypt or exec-env
// that finds no cache compiles as usual, then saves one in the user's cache directory,
// $XDG_CACHE_HOME/hush/code-cache (default ~/.cache/hush/code-cache; mode 0700), named by script,
// build id, V8 version and a hash of the options, atomically; when that fails, nothing is written and
// nothing fails. (Not v8.cachedDataVersionTag(): loading node:v8 loads node:stream too, ~3 ms of
// CPU at every start.) A cache holds code only, never data from the run. HUSH_DEBUG_CODE_CACHE=1
// says on stderr whether a cache was accepted, rejected (by V8) or missing (none, another build's,
// or damaged), and when one is saved: one line per script loaded.
//
// On Node >= 22.1, Node's own compile cache (module.enableCompileCache) is turned on too, in
// $XDG_CACHE_HOME/hush/compile-cache: it serves everything loaded as a module after the bundle
// (age-encryption for encrypt, the cloud SDKs, openpgp). It does not replace the code cache for
// the bundle itself: it holds only what V8 compiles eagerly (the top level, 17 KiB here), where
// the training run's cache holds every function decrypt runs (bench/RESULTS.md has both).
// NODE_COMPILE_CACHE, when set, wins; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
//
// This file is CommonJS (bin/package.json says so): an ES module entry point makes Node set up
// its ES module loader first, which costs several ms on every start; here it is set up only when
// something is imported (a cloud SDK, openpgp, age-encryption, or dist/cli/main.js).
"use strict";
// First thing, before anything that could take time: SIGUSR1 would otherwise start Node's
// inspector on 127.0.0.1:9229 (a debugger into a process holding a data key and plaintext). A
// listener of our own replaces that default; exec-env adds its own to pass the signal on.
process.on("SIGUSR1", () => {});
const { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { dirname, join } = require("node:path");
const { Script } = require("node:vm");

const bundleDir = join(__dirname, "..", "dist", "bundle");
/** A bundled script's source, or undefined when it is not there. */
const readScript = (file) => {
  try {
    // ASCII only (scripts/bundle.js checks): read as latin1, which makes the string faster than UTF-8.
    return readFileSync(file, "latin1");
  } catch {
    return undefined;
  }
};

const args = process.argv.slice(2);
/**
 * The fast path (dist/bundle/hush-fast.cjs, from src/cli/fast.ts): decrypt, git textconv and
 * exec-env without commander or any other command, a script and code cache a fraction of the full
 * CLI's. It is tried for those commands; for arguments it does not take (--help, an unusual flag)
 * its main returns undefined having done nothing, and the full CLI runs them.
 */
const fastCommand = ["decrypt", "exec-env", "-d", "--decrypt"].includes(args[0]) || (args[0] === "git" && args[1] === "textconv");

/** The commands after which a missing cache of the full CLI is saved (as at build time); not their --help. */
const SAVE_AFTER = ["decrypt", "exec-env"];

let stderrGuarded = false;
/** This file's own lines on stderr, with the error handling main gives stderr (src/cli/streams.ts). */
const note = (s) => {
  if (!stderrGuarded) {
    stderrGuarded = true;
    process.stderr.on("error", (e) => process.exit(e.code === "EPIPE" ? (process.exitCode ?? 0) : 3));
  }
  process.stderr.write(s);
};

if (/(^|\s)--inspect/.test(process.env.NODE_OPTIONS || "") || process.execArgv.some((a) => a.startsWith("--inspect"))) {
  note("hush: warning: the Node inspector is enabled (--inspect in NODE_OPTIONS or the node command): a debugger can read this process's keys and secrets\n");
}

/** A 32-bit FNV-1a hash, in hex: a short file-name part for a string of options. */
const fnv1a = (s) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
};

/** SHA-256 (V8 does not check a cache's data, and crashes on a damaged one). */
const sha256 = (data) => require("node:crypto").createHash("sha256").update(data).digest();

/**
 * The file: URL of an absolute path (the bundle's import.meta.url). Node's pathToFileURL costs
 * ~0.3 ms at every start; an absolute, normalised path (join's) of only these characters needs
 * no escaping, so its URL is "file://" and the path as it is, which is what pathToFileURL returns
 * for it (on Node 20, 22 and 24; not "~", which Node 20 escapes).
 */
const fileUrl = (path) => (/^\/[A-Za-z0-9/._+-]*$/.test(path) ? `file://${path}` : require("node:url").pathToFileURL(path).href);

/** The user's cache directory for hush (XDG), or undefined when there is no home to put it in. */
function userCacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  // (XDG: a relative path is invalid and ignored)
  if (xdg && xdg.startsWith("/")) return join(xdg, "hush");
  const home = process.env.HOME || process.env.USERPROFILE;
  return home ? join(home, ".cache", "hush") : undefined;
}

/** How many saved code caches to keep (one per script, build and Node/flags in use); older ones go. */
const KEEP = 10;

const cacheDir = userCacheDir();
// (node:module is not loaded on Node 20, which has no compile cache: it costs ~0.4 ms)
if (cacheDir !== undefined && Number(process.versions.node.split(".")[0]) >= 22) {
  const { enableCompileCache } = require("node:module");
  if (typeof enableCompileCache === "function") enableCompileCache(join(cacheDir, "compile-cache"));
}

/**
 * Compiles a bundled script (its source given) with the best code cache there is and runs its top
 * level; returns its exports and `saveCache(done)`, which saves a code cache in the user's cache
 * directory after `done` succeeds when there was none V8 took.
 */
function load(file, source) {
  // The cache file: the build id that the script's first line holds (/*hush-build:ID*/, 16
  // characters), the SHA-256 of V8's data, then V8's data.
  const id = source.slice(13, 29);
  // The options V8 may see besides its defaults: any option gets caches of its own.
  const options = [...process.execArgv, process.env.NODE_OPTIONS || ""].join(" ").trim();
  const key = options === "" ? process.versions.v8 : `${process.versions.v8}-${fnv1a(options)}`;
  const buildCache = options === "" ? `${file}.${process.versions.v8}.cache` : undefined;
  const name = file.slice(bundleDir.length + 1).replace(/\.cjs$/, "");
  const userCache = cacheDir === undefined ? undefined : join(cacheDir, "code-cache", `${name}.${id}.${key}.cache`);
  /** V8's data from a cache file, when it is for this build and undamaged. */
  const read = (path) => {
    try {
      // (no file is the common case: a failed read would throw, which costs more than a check)
      if (!existsSync(path)) return undefined;
      const cache = readFileSync(path);
      if (cache.toString("latin1", 0, 16) === id && sha256(cache.subarray(48)).equals(cache.subarray(16, 48))) return cache.subarray(48);
    } catch {
      // no cache there
    }
    return undefined;
  };
  // The user's first: one is saved only when the build's was missing or rejected, so a build
  // cache that V8 keeps rejecting is not tried (and a new one saved) at every start.
  let cachedData = userCache === undefined ? undefined : read(userCache);
  if (cachedData === undefined && buildCache !== undefined) cachedData = read(buildCache);
  const script = new Script(source, { filename: file, cachedData });
  debug(cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "accepted");
  const bundle = { exports: {} };
  // The script cannot call import() itself (a vm script needs an experimental flag for that):
  // its imports of the vendored packages (dist/bundle/vendor/) come through here.
  script.runInThisContext()(bundle.exports, require, bundle, fileUrl(file), (s) => import(s));
  const saveCache = (done) => {
    if ((cachedData !== undefined && !script.cachedDataRejected) || userCache === undefined) return;
    done.then(() => {
      if (process.exitCode) return;
      const dir = dirname(userCache);
      const tmp = `${userCache}.${process.pid}.tmp`;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const data = script.createCachedData();
        writeFileSync(tmp, Buffer.concat([Buffer.from(id, "latin1"), sha256(data), data]), { flag: "wx", mode: 0o600 });
        renameSync(tmp, userCache);
        debug("saved");
        // Other builds' and Nodes' caches: keep the newest few.
        const old = readdirSync(dir)
          .filter((f) => f.endsWith(".cache"))
          .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
          .sort((a, b) => b.t - a.t)
          .slice(KEEP);
        for (const { f } of old) rmSync(join(dir, f), { force: true });
      } catch {
        // a read-only or full directory: run without a cache, as before
        try {
          rmSync(tmp, { force: true });
        } catch {
          // nothing was written
        }
      }
    });
  };
  return { exports: bundle.exports, saveCache };
}

const debug = process.env.HUSH_DEBUG_CODE_CACHE ? (s) => note(`hush: code cache ${s}\n`) : () => {};
const fastFile = join(bundleDir, "hush-fast.cjs");
const fastSource = fastCommand ? readScript(fastFile) : undefined;
const fast = fastSource === undefined ? undefined : load(fastFile, fastSource);
const fastDone = fast?.exports.main(process.argv);
if (fastDone !== undefined) {
  fast.saveCache(fastDone);
} else {
  const file = join(bundleDir, "hush.cjs");
  const source = readScript(file);
  if (source === undefined) {
    // no bundle: the plain tsc output
    import("../dist/cli/main.js").then(({ main }) => main(process.argv));
  } else {
    const full = load(file, source);
    const done = full.exports.main(process.argv);
    if (SAVE_AFTER.includes(args[0]) && !args.includes("--help") && !args.includes("-h")) full.saveCache(done);
  }
}
