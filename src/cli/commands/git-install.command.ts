/** `hush git install`: its arguments, flags and help (the body is `git-install.ts`). */
import { Option } from "commander";
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "install",
  define(git) {
    git
      .command("install")
      .description("set up diff/merge drivers, .gitattributes and a pre-commit hook (idempotent)")
      .argument("[patterns...]", "gitattributes patterns of encrypted files (default: from .sops.yaml path_regex)")
      .option("--uninstall", "remove exactly what install added")
      .option("--global", "use the global git config and attributes file instead of the repository's")
      .option("--command <cmd>", "how git should run hush (default: this hush: `hush`, or `node /path/bin/hush.js`)")
      .addOption(new Option("--no-cache").hideHelp()) // accepted: the decrypted view is never cached now
      .option("--delete-textconv-cache", "delete refs/notes/textconv/hush (decrypted views an earlier install let git cache)")
      .option("--no-hook", "do not install the pre-commit hook")
      .addHelpText(
        "after",
        `
Writes '<pattern> diff=hush merge=hush' lines in a marked block of .gitattributes, sets
diff.hush.textconv, merge.hush.name and merge.hush.driver, and installs a pre-commit hook
running \`hush check --staged\` (an existing hook is kept as pre-commit.hush-chained and
run first). It never sets diff.hush.cachetextconv: git would store the decrypted view in
.git. A cache an earlier version left (refs/notes/textconv/hush) is reported; on a terminal
you are asked to delete it, else use --delete-textconv-cache. --uninstall deletes it.

Examples:
  hush git install                       patterns from .sops.yaml creation rules
  hush git install '*.enc.yaml' 'secrets/**'
  hush git install --uninstall`,
      )
      .action(async (patterns: string[], opts: Record<string, unknown>) => {
        const { runGitInstall } = await import("./git-install.js");
        await runGitInstall(patterns, opts);
      });
  },
};
