/** `hush git textconv`: its arguments, flags and help (the body is `git-textconv.ts`). */
import type { CommandSpec } from "../command.js";
import { typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "textconv",
  define(git) {
    git
      .command("textconv")
      .description("print the decrypted view git diffs (diff.hush.textconv); never fails the diff")
      .argument("<file>", "the file git passes (a temporary name: the format comes from the content)")
      .addOption(typeOption("input-type", "format of the file (default: JSON if it starts with {, else YAML)"))
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runGitTextconv } = await import("./git-textconv.js");
        await runGitTextconv(file, opts);
      });
  },
};
