/** `hush init`: its flags and help (the body is `init.ts`; team workflows in docs/team.md). */
import type { CommandSpec } from "../command.js";
import { repeatable } from "../options.js";

export const command: CommandSpec = {
  name: "init",
  define(program) {
    program
      .command("init")
      .description("start a repository's secrets: an age key for you, a .sops.yaml, git drivers (idempotent)")
      .option("--recovery <age1…>", "also encrypt to this offline recovery key (repeatable)", repeatable)
      .option("--name <name>", "a name for your key, as a comment in .sops.yaml (default: git user.email)")
      .option("--no-git", "do not install the git drivers and hook")
      .option("--command <cmd>", "how git should run hush (default: this hush)")
      .option("--kubernetes", "add a rule for Kubernetes Secret manifests: only data and stringData encrypted (docs/kubernetes.md)")
      .option("--path <dir>", "with --kubernetes: the directory of Secret manifests (default k8s/secrets)")
      .addHelpText(
        "after",
        `
Uses your age key (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, ~/.config/sops/age/keys.txt), or creates
one in the keys file. Writes .sops.yaml at the top of the working tree with one rule for
*.enc.{yaml,yml,json,env,ini} files, encrypting to you (and the recovery keys), unless one
exists. Then runs \`hush git install\`. See docs/team.md.

Examples:
  hush init
  hush init --recovery age1…               a key generated offline, for restoring access
  hush init --kubernetes --path k8s/secrets   Secret manifests: apiVersion, kind, metadata in clear`,
      )
      .action(async (opts: Record<string, unknown>) => {
        const { runInit } = await import("./init.js");
        await runInit(opts);
      });
  },
};
