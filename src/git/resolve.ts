/**
 * `hush git resolve FILE`: finishes a merge the driver left conflicted. It reads the three index
 * stages git recorded (base, ours, theirs), merges them by key like the driver, lets the caller
 * pick a side for each conflicting path, writes the merged file (encrypted) and stages it.
 */
import { resolve as resolvePath } from "node:path";
import { HushError } from "../errors.js";
import { emitTrees, formatNameForPath, mergeEncrypted, withFileLock, writeFileAtomic, type ConflictChooser, type MergeConflict, type TreeNode } from "../lib/internal.js";
import { git, repoRoot, runGit } from "./run.js";
import { committedRuleSpecs } from "./committed-config.js";

export interface ResolveOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** How to decide each conflict; without it a conflict is an error listing the paths. */
  choose?: ConflictChooser;
}

export interface ResolveResult {
  /** The file's path from the top of the repository. */
  path: string;
  /** The conflicts that were decided. */
  resolved: MergeConflict[];
  notes: string[];
}

/** The unmerged index entries of one file: stage number → blob id, and its path from the top. */
async function unmergedStages(file: string, opts: ResolveOptions): Promise<{ path: string; stages: Map<number, string> }> {
  const out = await git(["ls-files", "-u", "-z", "--full-name", "--", file], gitOpts(opts));
  const stages = new Map<number, string>();
  let path = "";
  for (const rec of out.split("\0")) {
    const m = /^\d+ ([0-9a-f]+) ([123])\t(.*)$/s.exec(rec);
    if (!m) continue;
    stages.set(Number(m[2]), m[1]!);
    path = m[3]!;
  }
  if (stages.size === 0) {
    throw new HushError("USAGE", `${file} is not in a merge conflict (it has no unmerged index entries)`);
  }
  return { path, stages };
}

function gitOpts(opts: ResolveOptions): { cwd?: string; env?: NodeJS.ProcessEnv } {
  return { ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) };
}

async function blob(id: string | undefined, opts: ResolveOptions): Promise<string> {
  if (id === undefined) return "";
  const r = await runGit(["cat-file", "blob", id], gitOpts(opts));
  if (r.status !== 0) throw new HushError("CANNOT_READ_INPUT", `cannot read blob ${id.slice(0, 12)} from the index`);
  return r.stdout.toString("utf8");
}

/**
 * Merges the index stages of `file`, writes the result into the working tree and `git add`s it.
 * Plaintext never reaches the disk or the index: only the chooser sees values.
 */
export async function resolveConflict(file: string, opts: ResolveOptions = {}): Promise<ResolveResult> {
  // The file's lock (util/lock.ts) from the read of the index to `git add`: a second resolve, or a
  // `hush set`, waits, then sees the resolved file, instead of two writers racing to the index.
  return withFileLock(resolvePath(opts.cwd ?? process.cwd(), file), () => resolveLocked(file, opts), opts.env ?? process.env);
}

async function resolveLocked(file: string, opts: ResolveOptions): Promise<ResolveResult> {
  const { path, stages } = await unmergedStages(file, opts);
  if (!stages.has(2) || !stages.has(3)) {
    throw new HushError(
      "USAGE",
      `${file} was deleted on one side of the merge; there is nothing to merge by key`,
      "keep one side with `git checkout --ours/--theirs -- FILE` and `git add`, or `git rm` it",
    );
  }
  const format = formatNameForPath(path);
  if (format !== "yaml" && format !== "json") {
    throw new HushError("USAGE", `${file}: hush resolves YAML and JSON files by key, not ${format} files`);
  }
  const [base, ours, theirs] = await Promise.all([blob(stages.get(1), opts), blob(stages.get(2), opts), blob(stages.get(3), opts)]);
  const allowed = await committedRuleSpecs(path, gitOpts(opts));
  const res = await mergeEncrypted(
    { base, ours: ours!, theirs: theirs!, format },
    { ...(opts.env ? { env: opts.env } : {}), ...(opts.choose ? { choose: opts.choose } : {}), ...(allowed ? { allowedRecipients: allowed } : {}) },
  );
  if (res.status === "conflict") {
    const labels = res.conflicts.map((c) => c.label);
    throw new HushError(
      "GENERIC",
      `${file}: ${labels.length} ${labels.length === 1 ? "path was" : "paths were"} changed on both sides: ${labels.join(", ")}`,
      "choose a side with --ours or --theirs, or run `hush git resolve` on a terminal to choose per path",
    );
  }
  const root = await repoRoot(gitOpts(opts));
  await writeFileAtomic(resolvePath(root, path), res.text);
  await git(["add", "--", path], { ...gitOpts(opts), cwd: root });
  return { path, resolved: res.resolved, notes: res.notes };
}

/** A conflicting node shown to the user (YAML), or "(absent)". For `resolve`'s prompt only. */
export function showNode(node: TreeNode | undefined): string {
  if (node === undefined) return "(absent)";
  return emitTrees("yaml", [new Map([["value", node]])]).replace(/^value:\s?/, "").trimEnd();
}
