/** `hush keygen`: its flags and help (the body is `keygen.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "keygen",
  define(program) {
    program
      .command("keygen")
      .description("create an age identity (file mode 0600) and print its public key")
      .option("-o, --output <path>", "key file to write or append to (default: sops's age keys file)")
      .addHelpText(
        "after",
        `
The identity is appended to the key file (created with mode 0600), never overwriting keys
already there. The public key (age1…) is printed on standard output: give it to whoever
encrypts files for you, or put it in .sops.yaml.`,
      )
      .action(async (opts: Record<string, unknown>) => {
        const { runKeygen } = await import("./keygen.js");
        await runKeygen(opts);
      });
  },
};
