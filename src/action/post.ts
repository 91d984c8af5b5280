/**
 * Entry of the GitHub Action's post step (`dist/post.js`): removes the plaintext files the main
 * step wrote, however the job went (`post-if: always()` in action.yml).
 */
import * as core from "@actions/core";
import { runCleanup } from "./decrypt.js";

await runCleanup(core);
