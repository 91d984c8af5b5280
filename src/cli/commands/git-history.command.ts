/**
 * `hush git log` and `hush git diff`: git's own command with hush's textconv served in one process.
 * One declaration for both, as they share their body (`git-history.ts`) and their help.
 */
import type { CommandSpec } from "../command.js";

/** The declaration of `hush git <sub>`; `example` shows arguments in its `--help`. */
function historyCommand(sub: "log" | "diff", example: string): CommandSpec {
  return {
    name: sub,
    define(git) {
      git
        .command(sub)
        .description(`git ${sub} with encrypted files shown decrypted, in one process (fast textconv)`)
        .argument("[git-args...]", `passed to \`git ${sub}\` unchanged (e.g. ${example})`)
        .allowUnknownOption()
        .addHelpText(
          "after",
          `
The output is what \`git ${sub}\` prints with hush's textconv driver (\`hush git install\`):
git runs as usual (pager, colours, every option), but the files marked \`diff=hush\` are
decrypted by this one process instead of one hush process per file version, so a diff over
hundreds of encrypted files takes seconds, not minutes. Plaintext goes to git through a pipe,
never to a file; git's textconv cache (refs/notes/textconv/hush) is neither read nor written.
Every argument goes to git except --help (for git's own: \`git ${sub} --help\`).`,
        )
        .action(async (args: string[]) => {
          const { runGitHistory } = await import("./git-history.js");
          await runGitHistory(sub, args);
        });
    },
  };
}

export const log = historyCommand("log", "-p -- secrets/");
export const diff = historyCommand("diff", "HEAD~1 HEAD --stat");
