/** `hush git resolve`: its arguments, flags and help (the body is `git-resolve.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "resolve",
  define(git) {
    git
      .command("resolve")
      .description("finish a conflicted merge of an encrypted file: choose per path, then stage it")
      .argument("<file>", "the conflicted file")
      .option("--ours", "keep our side of every conflicting path")
      .option("--theirs", "keep their side of every conflicting path")
      .addHelpText(
        "after",
        "\nOn a terminal, without --ours/--theirs, each conflicting path is shown with both values\n(on the terminal only) and you choose. The result is written encrypted and `git add`ed.",
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runGitResolve } = await import("./git-resolve.js");
        await runGitResolve(file, opts);
      });
  },
};
