/**
 * git's textconv cache for hush's diff driver: `refs/notes/textconv/hush`.
 *
 * With `diff.hush.cachetextconv=true` (what `hush git install` set before issue 14), git stores the
 * output of `hush git textconv` — the decrypted file — as notes in this clone's object store. That
 * is plaintext in `.git`: it survives `hush revoke`, leaves with `git push --mirror` and with every
 * backup of the clone. hush no longer turns the cache on; this module finds and deletes what an
 * earlier install left behind.
 *
 * Deleting the ref is not enough: the note blobs stay in the object store (loose, or in a pack
 * after `git gc`) until git prunes them, weeks later. So the objects only the cache reached are
 * removed too: loose ones directly, packed ones by repacking (`git repack -a -d`, which keeps
 * everything reachable from a ref, a reflog or the index).
 */
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { git, runGit, type GitOptions } from "./run.js";

/** The notes ref git's textconv cache uses for the `hush` diff driver. */
export const TEXTCONV_CACHE_REF = "refs/notes/textconv/hush";

/** True when this repository has a textconv cache for hush. */
export async function hasTextconvCache(opts: GitOptions = {}): Promise<boolean> {
  const r = await runGit(["rev-parse", "--verify", "-q", TEXTCONV_CACHE_REF], opts);
  return r.status === 0;
}

/** What {@link deleteTextconvCache} did. */
export interface CacheDeletion {
  /** False when there was no cache. */
  deleted: boolean;
  /** Objects only the cache reached, removed from the object store. */
  objects: number;
}

/**
 * Deletes the textconv cache: the ref, its reflog, and every object that only it (or its reflog)
 * reached. Objects something else reaches (a ref, a reflog, the index) are kept.
 */
export async function deleteTextconvCache(opts: GitOptions = {}): Promise<CacheDeletion> {
  if (!(await hasTextconvCache(opts))) return { deleted: false, objects: 0 };
  const tips = new Set<string>([(await git(["rev-parse", "--verify", TEXTCONV_CACHE_REF], opts)).trim()]);
  // Earlier values of the ref (each cached `git log -p` run adds a notes commit).
  const log = await runGit(["reflog", "show", "--format=%H", TEXTCONV_CACHE_REF, "--"], opts);
  if (log.status === 0) for (const h of log.stdout.toString("utf8").split("\n")) if (/^[0-9a-f]{40,64}$/.test(h)) tips.add(h);

  await git(["update-ref", "-d", TEXTCONV_CACHE_REF], opts);

  // The objects the cache reached that nothing else reaches: git computes the difference.
  const only = (
    await git(["rev-list", "--objects", "--no-object-names", ...tips, "--not", "--all", "--reflog", "--indexed-objects"], opts)
  )
    .split("\n")
    .filter((h) => /^[0-9a-f]{40,64}$/.test(h));
  if (only.length === 0) return { deleted: true, objects: 0 };

  const gitDir = await git(["rev-parse", "--git-path", "objects"], opts);
  const cwd = opts.cwd ?? process.cwd();
  const objectsDir = isAbsolute(gitDir.trim()) ? gitDir.trim() : resolve(cwd, gitDir.trim());
  for (const h of only) await rm(join(objectsDir, h.slice(0, 2), h.slice(2)), { force: true });
  // Whatever is still there is packed: rewrite the packs without the unreachable objects.
  const left = await runGit(["cat-file", "--batch-check=%(objectname)"], { ...opts, input: `${only.join("\n")}\n` });
  const present = left.stdout
    .toString("utf8")
    .split("\n")
    .filter((l) => /^[0-9a-f]{40,64}$/.test(l));
  if (present.length > 0) {
    await git(["repack", "-a", "-d", "-q"], opts);
    await git(["prune-packed", "-q"], opts);
  }
  // `git gc` records the notes commits in the commit-graph; a graph naming deleted commits fails
  // `git fsck`. It is only an index of reachable commits: write it again from the refs.
  if (existsSync(join(objectsDir, "info", "commit-graph")) || existsSync(join(objectsDir, "info", "commit-graphs"))) {
    await git(["commit-graph", "write", "--reachable"], opts);
  }
  return { deleted: true, objects: only.length };
}
