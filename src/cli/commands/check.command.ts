/** `hush check`: its arguments, flags and help (the body is `check.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";

export const command: CommandSpec = {
  name: "check",
  define(program) {
    program
      .command("check")
      .description("fail on plaintext secrets, decrypted copies, and encrypted files that disagree with .sops.yaml (no key needed)")
      .argument("[paths...]", "files to check (default: every tracked file)")
      .option("--staged", "check what is staged for commit (the pre-commit hook runs this)")
      .addOption(configOption())
      .addHelpText(
        "after",
        `
A file fails, with a one-line reason, when .sops.yaml says it must be encrypted and it is not;
when it is encrypted but holds clear values its rules encrypt, or is broken; when its recipients
differ from its creation rule, or a key-service address in it (vault_address, vault_url) differs
from the configuration; when it is a plaintext .env/.env.* with values (templates such as
.env.example pass), is named *.dec.*, or holds a tracked encrypted file's key paths in clear.
Allow a file meant to be in clear with the attribute hush-plaintext in .gitattributes.
See docs/security.md.`,
      )
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runCheck } = await import("./check.js");
        await runCheck(paths, opts);
      });
  },
};
