/**
 * The shell command that runs this hush again, for what hush installs to be run later by another
 * program: git's drivers and hooks (`git/install.ts`), the kustomize plugin script
 * (`k8s/plugin.ts`), which take it through `lib/internal.ts`. It names the version that installed
 * it, not whichever `hush` is on PATH then.
 */
import { realpathSync, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { shellQuote } from "./shlex.js";

function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/**
 * `hush` when that name on PATH is this very script (a global install), else this node and this
 * hush's script by absolute path (a checkout or a local install). With `nodeFromPath`, `node`
 * stands for the node when the one on PATH is this one (git runs with the user's PATH); without,
 * the node is always named by its path (kustomize under Argo CD may have another PATH).
 */
export function selfCommand(env: NodeJS.ProcessEnv, { nodeFromPath }: { nodeFromPath: boolean }): string {
  const script = process.argv[1];
  if (!script) return "hush";
  const self = real(script);
  const onPath = which("hush", env);
  if (onPath && real(onPath) === self) return "hush";
  const node = nodeFromPath ? which("node", env) : undefined;
  const nodeCmd = node && real(node) === real(process.execPath) ? "node" : process.execPath;
  return `${shellQuote(nodeCmd)} ${shellQuote(self)}`;
}
