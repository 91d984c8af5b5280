/** `hush verify`: its arguments, flags and help (the body is `verify.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";

export const command: CommandSpec = {
  name: "verify",
  define(program) {
    program
      .command("verify")
      .description("check every encrypted file: structure and recipients, MAC (with keys), rotation policy; for cron and CI")
      .argument("[paths...]", "files or directories (default: every tracked file)")
      .option("--json", "print JSON: each file with its problems and warnings")
      .option("--no-keys", "never decrypt: the structural checks of `hush check` and the rotation policy only")
      .addOption(configOption())
      .addHelpText(
        "after",
        `
Without keys (--no-keys, or none at hand) every file is checked as \`hush check\` does; with keys
each encrypted file is also decrypted and its MAC verified. The rotation policy (hush.rotation in
.sops.yaml; see \`hush rotation-status --help\`) applies to files tracked by git: an expired value or
data key is a problem, one within its warning period a warning. Exit 0 when there is no problem,
1 otherwise. Values never appear in the output.`,
      )
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runVerify } = await import("./verify.js");
        await runVerify(paths, opts);
      });
  },
};
