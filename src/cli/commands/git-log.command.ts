/** `hush git log`: git's `log` with hush's textconv served in one process (the body is `git-history.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "log",
  define(git) {
    git
      .command("log")
      .description("git log with encrypted files shown decrypted, in one process (fast textconv)")
      .argument("[git-args...]", "passed to `git log` unchanged (e.g. -p -- secrets/)")
      .allowUnknownOption()
      .addHelpText(
        "after",
        `
The output is what \`git log\` prints with hush's textconv driver (\`hush git install\`):
git runs as usual (pager, colours, every option), but the files marked \`diff=hush\` are
decrypted by this one process instead of one hush process per file version, so a diff over
hundreds of encrypted files takes seconds, not minutes. Plaintext goes to git through a pipe,
never to a file; git's textconv cache (refs/notes/textconv/hush) is neither read nor written.
Every argument goes to git except --help (for git's own: \`git log --help\`).`,
      )
      .action(async (args: string[]) => {
        const { runGitHistory } = await import("./git-history.js");
        await runGitHistory("log", args);
      });
  },
};
