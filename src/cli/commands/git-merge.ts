/** `hush git merge %O %A %B %P`: git's merge driver for encrypted files (see src/git/merge.ts). */
import { HushError } from "../../errors.js";
import { runMergeDriver } from "../../git/merge.js";

/** Runs the merge driver; exits 1 on a conflict (naming paths only), git merge-file's status on fallback. */
export async function runGitMerge(base: string, ours: string, theirs: string, pathName: string | undefined): Promise<void> {
  const res = await runMergeDriver({ base, ours, theirs, ...(pathName ? { pathName } : {}) });
  for (const m of res.messages) process.stderr.write(`${m}\n`);
  if (res.conflicts) {
    const shown = pathName ?? "the file";
    const n = res.conflicts.length;
    throw new HushError(
      "GENERIC",
      `merge conflict in ${shown}: ${n} ${n === 1 ? "path was" : "paths were"} changed on both sides: ${res.conflicts.join(", ")}`,
      `the file keeps our (encrypted) version; run \`hush git resolve ${pathName ?? "FILE"}\` to choose per path (or --ours/--theirs)`,
    );
  }
  process.exitCode = res.status;
}
