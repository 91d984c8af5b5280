/**
 * The recipients the *committed* `.sops.yaml` names for a file, on each side of a merge (HEAD and
 * the other head: the commits git names in `GITHEAD_<sha>` while `git merge` runs, or MERGE_HEAD,
 * REBASE_HEAD, CHERRY_PICK_HEAD, REVERT_HEAD once a merge has stopped). The merge driver may
 * keep a recipient only when one of them names it (issue 14, attack 2): the working tree's
 * `.sops.yaml` is not used, since a merge may be writing it at the same moment.
 */
import { relative, resolve, sep } from "node:path";
import { configFileFor, ruleSpecsFromConfigText, type KeySpec } from "../lib/internal.js";
import { repoRoot, runGit } from "./run.js";

const HEADS = ["HEAD", "MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"] as const;

/**
 * Every recipient the committed `.sops.yaml` rules for `pathName` (relative to the top of the
 * repository) name, over both sides; undefined when no side has a config with a rule for it.
 */
export async function committedRuleSpecs(pathName: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<KeySpec[] | undefined> {
  const env = opts.env ?? process.env;
  const root = await repoRoot({ ...(opts.cwd ? { cwd: opts.cwd } : {}), env });
  const file = resolve(root, pathName);
  const config = configFileFor(file, env);
  if (!config) return undefined;
  const rel = relative(root, config);
  if (rel.startsWith("..")) return undefined; // outside the repository: nothing committed to compare
  const at = { cwd: root, env };
  let found = false;
  const specs: KeySpec[] = [];
  // While `git merge` runs its drivers, MERGE_HEAD is not written yet; git names the merged
  // commits in GITHEAD_<sha> variables instead (builtin/merge.c). A rebase or cherry-pick names
  // none: then only HEAD's config counts, and their side's new recipients wait for updatekeys.
  const merging = Object.keys(env).flatMap((k) => /^GITHEAD_([0-9a-f]{40,64})$/.exec(k)?.[1] ?? []);
  for (const head of [...HEADS, ...merging]) {
    const r = await runGit(["show", `${head}:${rel.split(sep).join("/")}`], at);
    if (r.status !== 0) continue;
    const named = await ruleSpecsFromConfigText(r.stdout.toString("utf8"), config, file, root);
    if (!named) continue;
    found = true;
    specs.push(...named);
  }
  return found ? specs : undefined;
}
