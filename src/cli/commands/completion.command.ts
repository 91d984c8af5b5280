/** `hush completion bash|zsh|fish`: a shell completion script (the body is `completion.ts`). */
import { Argument, type Command } from "commander";
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "completion",
  needsAllCommands: true,
  define(program) {
    program
      .command("completion")
      .description("print a shell completion script for bash, zsh or fish")
      .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
      .addHelpText(
        "after",
        `
The script completes commands, subcommands and flags, and file names where a file goes; it is
generated from hush's own command definitions, so it matches this version.

To load it:
  bash:  source <(hush completion bash)          (or save it in ~/.local/share/bash-completion/completions/hush)
  zsh:   source <(hush completion zsh)           (or save it as _hush in a directory of $fpath)
  fish:  hush completion fish > ~/.config/fish/completions/hush.fish`,
      )
      .action(async (shell: "bash" | "zsh" | "fish", _opts: unknown, cmd: Command) => {
        const { completionScript } = await import("./completion.js");
        process.stdout.write(completionScript(shell, cmd.parent!));
      });
  },
};
