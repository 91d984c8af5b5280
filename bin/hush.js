#!/usr/bin/env node
// Tiny shim. `npm run build` compiles src/ to dist/ and bundles the CLI into dist/bundle/hush.js
// (scripts/bundle.js), which starts faster; without the bundle, the compiled dist/cli/main.js runs.
import { existsSync } from "node:fs";

const bundle = new URL("../dist/bundle/hush.js", import.meta.url);
const { main } = existsSync(bundle) ? await import(bundle.href) : await import("../dist/cli/main.js");

await main(process.argv);
