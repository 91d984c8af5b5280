/** `hush check`: its arguments, flags and help (the body is `check.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";

export const command: CommandSpec = {
  name: "check",
  define(program) {
    program
      .command("check")
      .description("fail on plaintext files .sops.yaml says must be encrypted, or broken encrypted files (no key needed)")
      .argument("[paths...]", "files to check (default: every tracked file)")
      .option("--staged", "check what is staged for commit (the pre-commit hook runs this)")
      .addOption(configOption())
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runCheck } = await import("./check.js");
        await runCheck(paths, opts);
      });
  },
};
