/** `hush edit`: its arguments, flags and help (the body is `edit.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption, thresholdOption, withKeyOptions } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, indentOption, typeOption } from "../options.js";
import { withKeyserviceOptions, withSameOutputTypeOption } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "edit",
  define(program) {
    withKeyOptions(
      withSameOutputTypeOption(withKeyserviceOptions(program.command("edit")), (a) => [a[0] as string])
        .description("edit an encrypted file in $EDITOR; unchanged values keep their exact ciphertext")
        .argument("<file>", "encrypted file (a new one is created from a template)"),
    )
      .option("-s, --show-master-keys", "show the file's sops metadata (recipients) in the editor, below the values")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(ignoreMacOption("do not verify the MAC before editing"))
      .addOption(decryptionOrderOption())
      .option("--unencrypted-suffix <suffix>", "new file: leave values under keys ending with this in clear (default _unencrypted)")
      .option("--encrypted-suffix <suffix>", "new file: encrypt only values under keys ending with this")
      .option("--unencrypted-regex <re>", "new file: leave values under keys matching this in clear")
      .option("--encrypted-regex <re>", "new file: encrypt only values under keys matching this")
      .option("--unencrypted-comment-regex <re>", "new file: leave values after a comment matching this in clear")
      .option("--encrypted-comment-regex <re>", "new file: encrypt only values after a comment matching this")
      .option("--mac-only-encrypted", "new file: compute the MAC over encrypted values only")
      .addOption(thresholdOption())
      .addOption(indentOption("indentation of a new file's metadata (default: .sops.yaml stores:)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The plaintext lives only in a private temp directory (0700, file 0600) while the editor
runs ($SOPS_EDITOR, $VISUAL, $EDITOR, else the first of vim, nano, vi), and is removed on
every exit path. An edit that does not parse is reported; on a terminal hush waits for Enter
and reopens the editor (Ctrl-C aborts), without one it exits. Only changed values get new
ciphertext (plus mac and lastmodified), so diffs stay small.

Exit codes as sops: 200 when the file was saved without a change (nothing is written), 201
when no editor could run (or it failed). With -s the sops block is shown for reference; it
cannot be changed here (use rotate, updatekeys or groups).

A new file is encrypted for the key options' recipients, else for the matching creation rule
of .sops.yaml (--config or SOPS_CONFIG to choose one), with the rule's selection options.`,
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runEdit } = await import("./edit.js");
        await runEdit(file, opts);
      });
  },
};
