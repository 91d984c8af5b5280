/** `hush revoke`: its arguments, flags and help (the body is `revoke.ts`). */
import type { CommandSpec } from "../command.js";
import { jobsOption } from "../options.js";

export const command: CommandSpec = {
  name: "revoke",
  define(program) {
    program
      .command("revoke")
      .description("remove an age recipient everywhere, rotate data keys, list the values they could read")
      .argument("<recipient>", "the age public key (age1…) to remove")
      .option("--dry-run", "report what would change; write nothing")
      .option("--json", "print the report as JSON")
      .option("--config <path>", "the .sops.yaml to edit (default: found from the current directory, or SOPS_CONFIG)")
      .addOption(jobsOption())
      .addHelpText(
        "after",
        `
Removes the recipient from every creation rule, then gives every encrypted file that named
it a new data key (every value re-encrypted), so nothing written from now on is readable
with their key. Every file is rotated in memory first: if one cannot be (no key for it),
nothing is written. What they already read cannot be taken back: the values listed must be
changed at their source (new passwords, new tokens), then stored with \`hush set\`.`,
      )
      .action(async (recipient: string, opts: Record<string, unknown>) => {
        const { runRevoke } = await import("./revoke.js");
        await runRevoke(recipient, opts);
      });
  },
};
