/** `hush rotation-status`: its arguments, flags and help (the body is `rotation-status.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "rotation-status",
  define(program) {
    program
      .command("rotation-status")
      .description("when each encrypted value last changed, from git history (no key needed)")
      .argument("[files...]", "encrypted files (default: every tracked encrypted file)")
      .option("--max-age <duration>", "exit 1 when a value is older than this: 90d, 12h, 2w")
      .option("--json", "print JSON")
      .addHelpText("after", "\nData-key rotations do not count as changes: they re-encrypt the same secrets.")
      .action(async (files: string[], opts: Record<string, unknown>) => {
        const { runRotationStatus } = await import("./rotation-status.js");
        await runRotationStatus(files, opts);
      });
  },
};
