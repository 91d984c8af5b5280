/**
 * The git merge driver (`hush git merge %O %A %B %P`): reads the three versions git hands over and
 * runs the library's semantic merge ({@link mergeEncrypted}, src/lib/merge.ts); when that cannot
 * work, git's own textual merge of the encrypted text.
 *
 * Safety: nothing here writes plaintext anywhere. A conflict leaves ours (encrypted) as it is; the
 * caller reports the conflicting key paths, never their values.
 */
import { readFile } from "node:fs/promises";
import { isHushError } from "../errors.js";
import { formatNameForPath, mergeEncrypted, writeFileAtomic } from "../lib/internal.js";
import { runGit } from "./run.js";
import { sniffFormat } from "./textconv.js";
import { committedRuleSpecs } from "./committed-config.js";

/** The semantic merge itself, for callers that imported it from here (it lives in src/lib/merge.ts). */
export { mergeEncrypted } from "../lib/internal.js";

// ---- the git merge driver ----

/** What the driver was given by git (`%O %A %B %P`). */
export interface DriverArgs {
  base: string;
  ours: string;
  theirs: string;
  /** The file's path in the repository (`%P`), for its format and for messages. */
  pathName?: string;
}

/** The driver's outcome: the exit status for git, and lines for stderr (never values). */
export interface DriverResult {
  status: number;
  messages: string[];
  conflicts?: string[];
}

/**
 * Runs the merge driver: on success writes the merged file over `%A` and returns 0; on a conflict
 * leaves `%A` (ours, encrypted) untouched and returns 1 with the conflicting paths; when the
 * versions cannot be decrypted (no key, not encrypted, an unsupported format) runs git's own
 * `git merge-file` on the encrypted text and returns its status.
 */
export async function runMergeDriver(args: DriverArgs, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<DriverResult> {
  const [base, ours, theirs] = await Promise.all([args.base, args.ours, args.theirs].map((p) => readFile(p, "utf8")));
  const shown = args.pathName ?? "the file";
  const byName = args.pathName ? formatNameForPath(args.pathName) : undefined;
  const format = byName === "yaml" || byName === "json" ? byName : byName === undefined ? sniffFormat(ours!) : undefined;
  let why: string;
  if (format) {
    try {
      const allowed = args.pathName ? await committedRuleSpecs(args.pathName, { ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) }) : undefined;
      const res = await mergeEncrypted(
        { base: base!, ours: ours!, theirs: theirs!, format },
        { ...(opts.env ? { env: opts.env } : {}), ...(allowed ? { allowedRecipients: allowed } : {}) },
      );
      if (res.status === "conflict") {
        return { status: 1, messages: [], conflicts: res.conflicts.map((c) => c.label) };
      }
      if (res.changed) await writeFileAtomic(args.ours, res.text);
      return { status: 0, messages: res.notes.map((n) => `hush: ${shown}: ${n}`) };
    } catch (e) {
      why = isHushError(e, "COULD_NOT_RETRIEVE_KEY", "KEY_SOURCE")
        ? "no usable key to decrypt it"
        : isHushError(e)
          ? e.message
          : "an internal error";
    }
  } else {
    why = `${byName} files are merged as text`;
  }
  // git's own behaviour, on the encrypted text: conflict markers around ciphertext, never plaintext.
  const r = await runGit(["merge-file", "-L", "ours", "-L", "base", "-L", "theirs", args.ours, args.base, args.theirs], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  return {
    status: r.status,
    messages: [`hush: cannot merge ${shown} by key (${why}); merged the encrypted text as git would`],
  };
}
