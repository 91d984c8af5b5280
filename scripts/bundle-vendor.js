#!/usr/bin/env node
// Bundles what the published package runs besides the CLI script (scripts/bundle.js), so that
// installing hush-sops downloads no dependency at all (issue 17: 204 packages / 147 MB before):
//
// - dist/bundle/vendor/: every third-party package hush imports lazily (the cloud SDKs, openpgp,
//   age-encryption, simple-git), one ES module entry per package, `<scope>__<name>.js`, code-split
//   so shared code (smithy, tslib, …) is one chunk under vendor/chunks/. Each entry is still
//   imported only when a file uses that key service (the CLI script's and the library's
//   `import("pkg")` are rewritten to the entry's file). The packages are devDependencies: the
//   bundle is built from the versions package-lock.json holds, which vendor/versions.json records
//   (test/pack.test.ts compares them).
// - dist/bundle/THIRD-PARTY-LICENSES.txt: name, version, licence and licence text of every package
//   with code in the bundles (from esbuild's metafile), since the package no longer installs them.
// - dist/bundle/lib.cjs: the library (src/lib/index.ts), CommonJS so that `require("hush-sops")`
//   works on every Node that `engines` allows (an ES module with top-level await cannot be
//   required); `import { load } from "hush-sops"` gets the same file, its names found by Node's
//   CommonJS export detection (esbuild annotates them).
// - dist/bundle/config.cjs and config.mjs: `hush-sops/config` for `require`/`node -r` and for
//   `import`/`node --import` (see src/lib/config-sync.ts).
//
// Built from the TypeScript sources (esbuild strips types), after tsc has written dist/ (whose
// .d.ts files are the package's types) and before scripts/bundle.js (whose training run encrypts
// with the vendored age-encryption). Deterministic; no absolute paths.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMMONJS_ONLY, VENDORED, vendorFile } from "./vendored.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "dist", "bundle");
const VENDOR = join(OUT, "vendor");

const { build } = await import("esbuild");

/** Same interop as scripts/bundle-action.js: CommonJS code inside ES modules needs these. */
const BANNER = [
  'import { createRequire as __hushCreateRequire } from "node:module";',
  'import { fileURLToPath as __hushFileURLToPath } from "node:url";',
  'import { dirname as __hushDirname } from "node:path";',
  "const require = __hushCreateRequire(import.meta.url);",
  "const __filename = __hushFileURLToPath(import.meta.url);",
  "const __dirname = __hushDirname(__filename);",
].join(" ");

rmSync(VENDOR, { recursive: true, force: true });
mkdirSync(VENDOR, { recursive: true });

// 1. The vendored packages. Entries are virtual modules re-exporting the package.
const vendor = await build({
  absWorkingDir: ROOT,
  entryPoints: VENDORED.map((p) => ({ in: `vendor-entry:${p}`, out: vendorFile(p).slice(0, -3) })),
  outdir: VENDOR,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  mainFields: ["module", "main"],
  banner: { js: BANNER },
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [
    {
      name: "vendor-entry",
      setup(b) {
        b.onResolve({ filter: /^vendor-entry:/ }, (a) => ({ path: a.path.slice("vendor-entry:".length), namespace: "vendor-entry" }));
        b.onLoad({ filter: /.*/, namespace: "vendor-entry" }, (a) => ({ contents: COMMONJS_ONLY.includes(a.path) ? `import * as ns from ${JSON.stringify(a.path)}; export default ns;` : `export * from ${JSON.stringify(a.path)};`, resolveDir: ROOT, loader: "js" }));
      },
    },
  ],
});
writeFileSync(join(VENDOR, "package.json"), `${JSON.stringify({ type: "module", private: true }, null, 2)}\n`);

/**
 * The library and config entries: `import("pkg")` of a vendored package becomes an import of its
 * vendor file (relative to dist/bundle/, where these files are). Everything else is inlined.
 */
const toVendor = {
  name: "hush-to-vendor",
  setup(b) {
    const names = new Set(VENDORED);
    b.onResolve({ filter: /^[^./]/ }, (a) => {
      if (a.kind !== "dynamic-import" || !names.has(a.path)) return undefined;
      return { path: `./vendor/${vendorFile(a.path)}`, external: true };
    });
  },
};
const lib = await build({
  absWorkingDir: ROOT,
  entryPoints: { lib: "src/lib/package.ts" },
  outdir: OUT,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // Minified (local names shortened, syntax folded: 24% smaller), because what `require`
  // compiles and keeps counts in every process that loads the library: load() of a 100k-value
  // file peaks ~1.5 MiB lower (issue 20, bench/memory.js). Names of functions and classes are
  // kept (keepNames), so stack traces, `console.log(secrets)` and `err.constructor.name` read
  // as before.
  minifyWhitespace: true,
  minifyIdentifiers: true,
  minifySyntax: true,
  keepNames: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [toVendor],
  // import.meta.url in CommonJS: this file's URL.
  define: { "import.meta.url": "__hushUrl", HUSH_BUNDLE: "true" },
  banner: { js: 'const __hushUrl = require("node:url").pathToFileURL(__filename).href;' },
});
// The ES module form of hush-sops/config: top-level await, so with `--import` every key service
// works (KMS too) before the app's first module runs.
writeFileSync(
  join(OUT, "config.mjs"),
  [
    "// hush-sops/config for `import` and `node --import`: loads the secrets (any key service) before",
    "// the importing module runs (src/lib/config.ts does the same for the tsc output).",
    'import lib from "./lib.cjs";',
    "export const loaded = await lib.configEntry.config().catch(lib.configEntry.failConfig);",
    "",
  ].join("\n"),
);
writeFileSync(
  join(OUT, "config.cjs"),
  [
    "// hush-sops/config for `require` and `node -r`: loads the secrets synchronously (a worker",
    "// thread decrypts; this thread waits for it; see src/lib/config-sync.ts).",
    '"use strict";',
    'module.exports = require("./lib.cjs").configEntry.configSyncOrExit();',
    "",
  ].join("\n"),
);

// 2. Versions and licences of every package with code in the bundles.
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
const inputs = [...Object.keys(vendor.metafile.inputs), ...Object.keys(lib.metafile.inputs)];
const pkgDirs = new Set();
for (const input of inputs) {
  // (node_modules may be a symbolic link: paths are taken from its first "node_modules/")
  const at = input.indexOf("node_modules/");
  const m = at === -1 ? null : input.slice(at).match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (m) pkgDirs.add(m[1]);
}
// Inlined into the CLI script by scripts/bundle.js (built after this one).
for (const dir of ["node_modules/commander", "node_modules/yaml"]) pkgDirs.add(dir);
const packages = [...pkgDirs].sort().map((dir) => {
  const pj = JSON.parse(readFileSync(join(ROOT, dir, "package.json"), "utf8"));
  const locked = lock.packages[dir];
  if (!locked) throw new Error(`bundle-vendor: ${dir} is not in package-lock.json`);
  if (locked.version !== pj.version) throw new Error(`bundle-vendor: ${dir} is ${pj.version} in node_modules but ${locked.version} in package-lock.json; run npm ci`);
  const licenceFile = readdirSync(join(ROOT, dir)).find((f) => /^(licen[cs]e|copying|notice)(\.|$)/i.test(f));
  return { path: dir, name: pj.name, version: pj.version, license: typeof pj.license === "string" ? pj.license : JSON.stringify(pj.license ?? pj.licenses ?? "UNKNOWN"), text: licenceFile ? readFileSync(join(ROOT, dir, licenceFile), "utf8").trim() : undefined };
});
writeFileSync(join(VENDOR, "versions.json"), `${JSON.stringify(Object.fromEntries(packages.map((p) => [p.path, p.version])), null, 2)}\n`);
const sections = packages.map((p) => [`${p.name} ${p.version} (${p.license})`, "-".repeat(72), p.text ?? `Licence: ${p.license} (the package ships no licence file).`, ""].join("\n"));
writeFileSync(
  join(OUT, "THIRD-PARTY-LICENSES.txt"),
  `hush-sops bundles the following packages (in dist/bundle/). Their licences follow.\n\n${sections.join("\n")}`,
);

const size = (dir) => readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).reduce((n, e) => n + readFileSync(join(e.parentPath ?? e.path, e.name)).length, 0);
console.log(`bundle-vendor: vendor/ ${(size(VENDOR) / 1048576).toFixed(1)} MiB from ${packages.length} packages; lib.cjs, config.cjs, config.mjs`);
