/** `hush invite`: its arguments, flags and help (the body is `invite.ts`). */
import type { CommandSpec } from "../command.js";
import { jobsOption, repeatable } from "../options.js";

export const command: CommandSpec = {
  name: "invite",
  define(program) {
    program
      .command("invite")
      .description("add an age recipient to .sops.yaml and re-key every encrypted file for them")
      .argument("<recipient>", "their age public key (age1…), from `hush keygen` or `age-keygen`")
      .option("--name <name>", "who it is, written as a comment next to the key")
      .option("--rule <index>", "the creation rule(s) to add them to (repeatable or comma-separated); required unless --all", repeatable)
      .option("--all", "add them to every creation rule that names keys (production included)")
      .option("--dry-run", "list the files they would be able to read, and change nothing")
      .option("--no-update", "only edit .sops.yaml; re-key later with `hush updatekeys -y .`")
      .option("--config <path>", "the .sops.yaml to edit (default: found from the current directory, or SOPS_CONFIG)")
      .addOption(jobsOption())
      .addHelpText(
        "after",
        `
Least privilege: name the rules (--rule N; \`hush invite RECIPIENT\` alone lists them) or say
--all. --dry-run shows which files the new member would be able to read.
Needs a key that decrypts the files (yours). Only the wrapped data keys change, so values,
MACs and other recipients' entries stay as they are. Commit .sops.yaml and the files; the
new member decrypts after pulling.

Example:
  hush invite age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --name bob --rule 0 --dry-run`,
      )
      .action(async (recipient: string, opts: Record<string, unknown>) => {
        const { runInvite } = await import("./invite.js");
        await runInvite(recipient, opts);
      });
  },
};
