/** `hush audit`: its arguments, flags and help (the body is `audit.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "audit",
  define(program) {
    program
      .command("audit")
      .description("history of an encrypted file: who changed which keys and recipients (no key needed)")
      .argument("<file>", "an encrypted file tracked by git")
      .option("--json", "print JSON")
      .option("--no-keys", "never use a key: values a rotation re-encrypted are listed as unknown instead of compared")
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runAudit } = await import("./audit.js");
        await runAudit(file, opts);
      });
  },
};
