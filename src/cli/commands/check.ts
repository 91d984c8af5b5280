/** `hush check [--staged] [PATHS…]`: refuse plaintext secrets and broken encrypted files (see src/git/check.ts). */
import { HushError } from "../../errors.js";
import { checkFiles } from "../../git/check.js";
import { progressCallback } from "../bulk.js";

interface CheckFlags {
  staged?: boolean;
  config?: string;
  quiet?: boolean;
}

/** Prints each problem as `hush: check: PATH: …` and fails when there is any. */
export async function runCheck(paths: string[], flags: CheckFlags): Promise<void> {
  const bar = progressCallback("checked");
  const res = await checkFiles({
    paths,
    onProgress: bar.onProgress,
    ...(flags.staged ? { staged: true } : {}),
    ...(flags.config ? { configPath: flags.config } : {}),
  }).finally(bar.end);
  for (const p of res.problems) process.stderr.write(`hush: check: ${p.path}: ${p.problem}\n`);
  const failed = new Set(res.problems.map((p) => p.path)).size;
  if (failed > 0) {
    throw new HushError(
      "GENERIC",
      `${failed} of ${res.checked} ${res.checked === 1 ? "file" : "files"} failed the check`,
      flags.staged
        ? "encrypt them (`hush encrypt -i FILE`, then `git add FILE`) or unstage them (`git restore --staged FILE`)"
        : "encrypt them with `hush encrypt -i FILE`",
    );
  }
}
