#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from `tsc`) into one script, dist/bundle/hush.cjs,
// and its fast path (dist/cli/fast.js: decrypt, git textconv and exec-env without commander or the
// other commands; bin/hush.js tries it first for those) into another, dist/bundle/hush-fast.cjs,
// each with a V8 code cache, dist/bundle/<script>.<V8>.cache, because start-up is dominated by
// loading and compiling code: yaml and commander are CommonJS packages of dozens of files each,
// our own code is ~30 more, and every ES module is parsed and compiled on every run (Node 20 has
// no compile cache for ES modules). bin/hush.js compiles the script with `vm.Script` and the
// cache, so the functions `hush decrypt` runs need no parsing or compiling at all
// (bench/cold-start.js shows what it saves).
//
// - One CommonJS script, wrapped in a function that bin/hush.js calls with `require`,
//   `import.meta.url` and an `import()` of its own (see WRAPPER). Commands and key services are
//   still initialised only when used (esbuild wraps every lazily imported module in an init
//   function); the cache holds only what the training run compiled.
// - Dependencies outside the hot path are not inlined: they are loaded with a real `import()`,
//   made by bin/hush.js. A script compiled by `vm` cannot call `import()` itself without an
//   experimental flag or warning, so the bundle's calls are rewritten to `__hushImport(…)` (see
//   rewriteImports). commander and yaml are inlined.
// - The packages it imports lazily (cloud SDKs, openpgp, simple-git, age-encryption: see
//   scripts/vendored.js) are ES modules in dist/bundle/vendor/ (scripts/bundle-vendor.js, run
//   before this script), imported from there when used: the published package installs nothing.
// - The code cache, dist/bundle/hush.cjs.V8.cache, comes from a training run at build time
//   (scripts/code-cache.js: a decrypt and an exec-env of a throwaway file with a throwaway key; no
//   secret of anyone's). V8 is the V8 version: the cache fits only that version with default
//   flags. For another Node or other options bin/hush.js compiles the script as usual and saves
//   a cache of its own after a decrypt or exec-env, in the user's cache directory. A
//   build id in the script and its caches keeps a cache from being used with another build, and
//   a SHA-256 of the data one that is damaged (V8 does not check, and crashes on it).
//   `HUSH_DEBUG_CODE_CACHE=1 hush …` says whether a cache was used.
// - node:child_process is loaded on first use (LAZY_BUILTINS): decrypt never needs it.
//
// Run by `npm run build` after tsc; bin/hush.js uses the bundle when present, dist/cli/main.js
// otherwise. `npm run build` first runs this with `--clean`, which only deletes the old bundle: a
// failed tsc then leaves no stale bundle behind for bin/hush.js to run.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { VENDORED, vendorFile } from "./vendored.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = `${ROOT}dist/bundle`;

/**
 * Packages not inlined: the vendored ones (scripts/vendored.js: dist/bundle/vendor/, built by
 * bundle-vendor.js), imported from there when used. Everything else (commander, yaml) is inlined.
 */
const external = VENDORED.flatMap((d) => [d, `${d}/*`]);

/**
 * What the script is wrapped in: a function expression, so that `vm.Script#runInThisContext`
 * returns it and bin/hush.js calls it (as Node does with a CommonJS module). `__hushUrl` stands
 * for `import.meta.url` (see `define`), `__hushImport` is bin/hush.js's `(s) => import(s)`.
 * The first line holds the build id, which the cache file starts with too.
 */
const WRAPPER = {
  head: (id) => `/*hush-build:${id}*/(function (exports, require, module, __hushUrl, __hushImport) {\n`,
  tail: "\n})",
};

// `--clean` empties dist/bundle; otherwise only this script's files go (the vendored packages,
// which bundle-vendor.js builds first because the training run encrypts with age-encryption, stay).
if (process.argv.includes("--clean")) {
  rmSync(OUT, { recursive: true, force: true });
  process.exit(0);
}
for (const f of existsSync(OUT) ? readdirSync(OUT) : []) if (/^hush(-fast)?\.cjs/.test(f)) rmSync(`${OUT}/${f}`, { force: true });

/**
 * esbuild plugin: in our compiled modules, `import("pkg")` of an external package becomes
 * `__hushImport(…)` of its file in dist/bundle/vendor/ (scripts/vendored.js).
 * Relative imports (our own modules) are left to esbuild, which inlines them.
 */
const rewriteImports = {
  name: "hush-rewrite-imports",
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const contents = text.replace(/\bimport\("([^".][^"]*)"\)/g, (_, spec) =>
        VENDORED.includes(spec) ? `__hushImport(new URL(${JSON.stringify(`./vendor/${vendorFile(spec)}`)}, __hushUrl).href)` : `__hushImport(${JSON.stringify(spec)})`,
      );
      return { contents, loader: "js" };
    });
  },
};

/**
 * Node built-ins that cost a lot to load but only some commands use, loaded on first call
 * instead of when the bundle starts: node:child_process (with net, dgram and streams: several ms)
 * is imported by commander and by modules on the decrypt path (for SOPS_AGE_KEY_CMD), yet
 * `hush decrypt` of an age file never starts a process. Each function used is listed; esbuild
 * fails the build when code imports one that is not.
 */
const LAZY_BUILTINS = { "node:child_process": ["spawn", "spawnSync", "execFileSync"] };
const lazyBuiltins = {
  name: "hush-lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.namespace === "hush-lazy" ? undefined : { path: "node:child_process", namespace: "hush-lazy" },
    );
    b.onLoad({ filter: /.*/, namespace: "hush-lazy" }, (args) => {
      const names = LAZY_BUILTINS[args.path];
      const contents = [
        "let m;",
        `const load = () => (m ??= require(${JSON.stringify(args.path)}));`,
        ...names.map((n) => `export function ${n}(...a) { return load().${n}(...a); }`),
      ].join("\n");
      return { contents, loader: "js" };
    });
  },
};

/**
 * The yaml package in the fast path's script, initialised on first use instead of when a module
 * importing it is: its module initialisation (schemas, tags, their regular expressions) costs
 * ~1.3 ms of CPU at every start, yet the decrypt of an ordinary file never calls it (the fast YAML
 * reader, formats/yaml-fast.ts, reads it; the package's Composer serves only the rare forms the
 * fast reader hands over, and `.sops.yaml` when one is read). Every export of the package becomes
 * a stand-in that loads the package when first used and forwards to the real export: a function
 * or class through a Proxy (calls, `new`, static members and `instanceof` reach the real one), an
 * object (CST) through a Proxy of its members. The names are the package's own, read here.
 */
const lazyYaml = {
  name: "hush-lazy-yaml",
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, (args) => (args.namespace === "hush-lazy-yaml" ? undefined : { path: "yaml", namespace: "hush-lazy-yaml" }));
    b.onLoad({ filter: /.*/, namespace: "hush-lazy-yaml" }, async () => {
      const real = (await import("yaml")).default;
      const lines = [
        "let m;",
        'const load = () => (m ??= require("yaml"));',
        // A stand-in for a function or class export: calls and `new` go to the real one (a
        // subclass's `new` keeps its own new.target), as do its members (statics, `prototype`,
        // so `x instanceof Composer` tests the real class).
        "const fn = (name) => {",
        "  const p = new Proxy(function () {}, {",
        "    apply: (_, self, args) => Reflect.apply(load()[name], self, args),",
        "    construct: (_, args, nt) => Reflect.construct(load()[name], args, nt === p ? load()[name] : nt),",
        "    get: (_, k) => Reflect.get(load()[name], k),",
        "    has: (_, k) => Reflect.has(load()[name], k),",
        "  });",
        "  return p;",
        "};",
        "const obj = (name) => new Proxy({}, { get: (_, k) => Reflect.get(load()[name], k), has: (_, k) => Reflect.has(load()[name], k), ownKeys: () => Reflect.ownKeys(load()[name]), getOwnPropertyDescriptor: (_, k) => { const d = Reflect.getOwnPropertyDescriptor(load()[name], k); return d && { ...d, configurable: true }; } });",
      ];
      for (const [name, value] of Object.entries(real)) {
        if (typeof value === "function") lines.push(`export const ${name} = fn(${JSON.stringify(name)});`);
        else if (typeof value === "object" && value !== null) lines.push(`export const ${name} = obj(${JSON.stringify(name)});`);
        else throw new Error(`bundle: the yaml package's export ${name} is a ${typeof value}: the lazy stand-in does not handle it`);
      }
      return { contents: lines.join("\n"), loader: "js", resolveDir: ROOT };
    });
  },
};

const { build } = await import("esbuild");
const common = { absWorkingDir: ROOT, bundle: true, platform: "node", target: "node20", logLevel: "warning", write: false };

/**
 * Bundles one entry of the CLI into dist/bundle/NAME (ASCII, wrapped, with its build id) and makes
 * its code cache by a training run in a fresh process (with Node's default V8 flags). `mode` tells
 * scripts/code-cache.js what to run: "full" (the whole CLI, dist/cli/main.js) or "fast" (the fast
 * path, dist/cli/fast.js: decrypt, git textconv and exec-env without commander; bin/hush.js runs
 * it first for those commands).
 */
async function buildScript(entry, name, mode) {
  const out = await build({
    ...common,
    entryPoints: [entry],
    outfile: `${OUT}/${name}`,
    format: "cjs",
    external,
    define: { "import.meta.url": "__hushUrl", HUSH_BUNDLE: "true" },
    plugins: [rewriteImports, lazyBuiltins, ...(mode === "fast" ? [lazyYaml] : [])],
    // No comments, no indentation: less to read from disk at every start. The fast path's script
    // (what decrypt, textconv and exec-env load at every start) is minified too: local names
    // shortened and syntax folded make it 30% smaller (394 vs 546 KiB), and reading it,
    // deserialising its cache and running its top level ~0.8 ms of CPU cheaper. Only local names
    // change: property names, exports and error messages do not, and no code reads a function's
    // own name (HushError sets its `name`; an error is reported by message, never by a stack).
    // The full CLI keeps its names (commander and help text are not timed as closely).
    minifyWhitespace: true,
    ...(mode === "fast" ? { minifyIdentifiers: true, minifySyntax: true } : {}),
    legalComments: "eof",
    metafile: true,
  });
  const body = out.outputFiles[0].text;
  // Any `import(` left would throw at run time in a vm script: fail the build instead.
  const stray = body.match(/\bimport\s*\(/);
  if (stray) throw new Error(`bundle: an import() was not rewritten in ${name}: …${body.slice(Math.max(0, stray.index - 80), stray.index + 80)}…`);
  // bin/hush.js reads the script as latin1, which is only right for ASCII (esbuild escapes any
  // other character in strings and regular expressions, and no comments are kept but legal ones).
  const nonAscii = body.search(/[^\x00-\x7f]/);
  if (nonAscii !== -1) throw new Error(`bundle: a character outside ASCII in ${name}: …${body.slice(Math.max(0, nonAscii - 80), nonAscii + 80)}…`);
  const id = createHash("sha256").update(body).digest("hex").slice(0, 16);
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/${name}`, `${WRAPPER.head(id)}${body}${WRAPPER.tail}`);

  const trainEnv = { ...process.env };
  delete trainEnv.NODE_OPTIONS; // the cache is for Node's default flags
  // Its stdout is a pipe, read and dropped: hush refuses to "write" to a /dev/null opened read-write,
  // which is what a closed stdout looks like (util/fs.ts stdoutLooksClosed).
  const train = spawnSync(process.execPath, [`${ROOT}scripts/code-cache.js`, `${OUT}/${name}`, id, mode], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26, env: trainEnv });
  if (train.status !== 0) throw new Error(`bundle: the code cache training run of ${name} failed (exit ${train.status})`);
  return Object.keys(out.metafile.inputs);
}

// The full CLI, then the fast path. The fast path must not carry commander (the point of it).
await buildScript("dist/cli/main.js", "hush.cjs", "full");
const fastInputs = await buildScript("dist/cli/fast.js", "hush-fast.cjs", "fast");
const heavy = fastInputs.filter((f) => /node_modules\/commander\/|dist\/cli\/(main|program)\.js$|\.command\.js$/.test(f));
if (heavy.length > 0) throw new Error(`bundle: the fast path (dist/cli/fast.js) bundles ${heavy.join(", ")}`);

const kib = (f) => (statSync(`${OUT}/${f}`).size / 1024).toFixed(0);
for (const name of ["hush.cjs", "hush-fast.cjs"]) {
  const cache = readdirSync(OUT).find((f) => f.startsWith(`${name}.`) && f.endsWith(".cache"));
  console.log(`bundle: dist/bundle/${name} ${kib(name)} KiB, code cache ${cache} ${kib(cache)} KiB`);
}
