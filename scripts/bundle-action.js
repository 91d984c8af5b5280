#!/usr/bin/env node
// Bundles the GitHub Action (src/action/main.ts and post.ts) into .github/actions/decrypt/dist/ with
// esbuild: everything it uses, @actions/core and every key service's SDK included, so the action
// runs from a checkout of this repository with no `npm install` (GitHub runs `node dist/index.js`
// in the action's directory, with no node_modules).
//
// - Built from the TypeScript sources directly (esbuild strips types), so it does not depend on a
//   previous `npm run build`.
// - `splitting` keeps every `await import()` of a key service a separate chunk: an age-only run
//   loads neither a cloud SDK nor openpgp. Chunks are named by content hash.
// - Deterministic: the same sources and lockfile give the same bytes (no timestamps, no absolute
//   paths: esbuild writes paths relative to the working directory). The output directory is
//   emptied first, so no stale chunk survives. `--check` builds into a temporary directory and
//   fails when the committed dist/ differs (CI runs it).
// - Minified (it is committed); `HUSH_DEBUG_BUNDLE=1` builds it readable, for debugging only.
// - `dist/package.json` says `"type": "module"`, so the ESM files load as such even when the
//   action is used from another repository without this package.json above it.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, ".github", "actions", "decrypt", "dist");
const check = process.argv.includes("--check");

/** Builds the action into `outdir` (which is emptied first). */
async function bundle(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const { build } = await import("esbuild");
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { index: "src/action/main.ts", post: "src/action/post.ts" },
    outdir,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: !process.env.HUSH_DEBUG_BUNDLE,
    // ESM builds first: the AWS SDK's CommonJS build, bundled into ESM, loses its exports to
    // esbuild's interop (KMSClient is not a constructor); its dist-es build bundles cleanly.
    mainFields: ["module", "main"],
    // CommonJS dependencies inside an ESM bundle call require() for Node built-ins and read
    // __dirname / __filename; ESM has none of them, so each file gets its own.
    banner: {
      js: [
        'import { createRequire as __hushCreateRequire } from "node:module";',
        'import { fileURLToPath as __hushFileURLToPath } from "node:url";',
        'import { dirname as __hushDirname } from "node:path";',
        "const require = __hushCreateRequire(import.meta.url);",
        "const __filename = __hushFileURLToPath(import.meta.url);",
        "const __dirname = __hushDirname(__filename);",
      ].join(" "),
    },
    legalComments: "linked",
    metafile: true,
    logLevel: "warning",
  });
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module", private: true }, null, 2)}\n`);
  return result;
}

/** Every file below `dir`, relative, sorted. */
function listFiles(dir, prefix = "") {
  const out = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

if (check) {
  const tmp = mkdtempSync(join(tmpdir(), "hush-action-"));
  try {
    await bundle(tmp);
    const want = listFiles(tmp);
    let have = [];
    try {
      have = listFiles(DIST);
    } catch {
      // no dist at all
    }
    const differ = [...new Set([...want, ...have])].filter((f) => {
      try {
        return !readFileSync(join(tmp, f)).equals(readFileSync(join(DIST, f)));
      } catch {
        return true;
      }
    });
    if (differ.length > 0) {
      console.error(`build:action: .github/actions/decrypt/dist is out of date (${differ.length} file(s) differ: ${differ.slice(0, 5).join(", ")}${differ.length > 5 ? ", …" : ""}); run \`npm run build:action\` and commit the result`);
      process.exit(1);
    }
    console.log("build:action: .github/actions/decrypt/dist is up to date");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  const result = await bundle(DIST);
  const outputs = Object.values(result.metafile.outputs);
  const total = outputs.reduce((n, o) => n + o.bytes, 0);
  console.log(`build:action: .github/actions/decrypt/dist: index.js, post.js and ${outputs.length - 2} shared or lazy files, ${(total / 1024 / 1024).toFixed(1)} MiB in all`);
}
