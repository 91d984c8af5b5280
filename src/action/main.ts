/**
 * Entry of the GitHub Action's main step (bundled into `.github/actions/decrypt/dist/index.js` by
 * `npm run build:action`). See `decrypt.ts` for what it does and in which order.
 */
import * as core from "@actions/core";
import { provideGax } from "../lib/internal.js";
import { runDecryptAction } from "./decrypt.js";

// The bundle has no node_modules to resolve google-gax from at run time (see gcp-kms.ts); it holds
// one copy, loaded only when a GCP KMS key is used.
await provideGax(() => import("google-gax"));

await runDecryptAction(core);
