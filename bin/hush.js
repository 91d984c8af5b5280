#!/usr/bin/env node
// Tiny shim: the CLI is compiled to dist/ by `npm run build`.
import { main } from "../dist/cli/main.js";

await main(process.argv);
