/** `hush rotation-status`: its arguments, flags and help (the body is `rotation-status.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "rotation-status",
  define(program) {
    program
      .command("rotation-status")
      .description("when each encrypted value last changed, from git history (no key needed)")
      .argument("[files...]", "encrypted files (default: every tracked encrypted file)")
      .option("--max-age <duration>", "exit 1 when a value is older than this: 90d, 12h, 2w (instead of the policy)")
      .option("--json", "print JSON (each value's state: ok, expiring, expired)")
      .option("--no-keys", "never use a key to tell whether a rotation also changed a value")
      .option("--config <path>", "the .sops.yaml with the policy (default: found from the current directory, or SOPS_CONFIG)")
      .addHelpText(
        "after",
        `
The rotation policy is the hush.rotation section of .sops.yaml (sops ignores it):
  hush:
    rotation:
      classes:
        critical: { max_age: 90d, warn_before: 14d }
        medium: { max_age: 365d, warn_before: 30d }
      rules:                       # first match per value: file path, dotted key path
        - { path_regex: ^prod/, key_regex: password|token, class: critical }
        - { class: medium }
      data_key: { max_age: 365d }  # each file's data key, since added or rotated
Exit codes: 0 all within limits, 1 something expired, 10 nothing expired but something
expires within its warn_before.
Data-key rotations do not count as changes: they re-encrypt the same secrets. A commit that
rotated and changed values at once (a revoke with an edit) is compared with a key when one opens it.`,
      )
      .action(async (files: string[], opts: Record<string, unknown>) => {
        const { runRotationStatus } = await import("./rotation-status.js");
        await runRotationStatus(files, opts);
      });
  },
};
