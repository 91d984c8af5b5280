/** `hush git merge`: the merge driver's arguments and help (the body is `git-merge.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "merge",
  define(git) {
    git
      .command("merge")
      .description("merge driver: three-way merge by key path of encrypted files (merge.hush.driver)")
      .argument("<base>", "%O: the common ancestor's version")
      .argument("<ours>", "%A: our version; the result is written here")
      .argument("<theirs>", "%B: their version")
      .argument("[path]", "%P: the file's path in the repository")
      .argument("[rest...]", "ignored (for drivers configured with more placeholders)")
      .addHelpText(
        "after",
        `
Changes to different keys merge cleanly, re-encrypted with every unchanged value's ciphertext
kept and a fresh MAC; recipients merge as sets. When the same key changed on both sides the
file keeps our encrypted version, the conflicting paths (never values) are printed, and the
exit status is 1: finish with \`hush git resolve FILE\`. Without a key, git's textual merge
of the encrypted text is used instead.`,
      )
      .action(async (base: string, ours: string, theirs: string, path: string | undefined) => {
        const { runGitMerge } = await import("./git-merge.js");
        await runGitMerge(base, ours, theirs, path);
      });
  },
};
