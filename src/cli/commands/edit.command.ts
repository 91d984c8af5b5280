/** `hush edit`: its arguments, flags and help (the body is `edit.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption, withKeyOptions } from "../key-options.js";
import { ignoreMacOption, indentOption, typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "edit",
  define(program) {
    withKeyOptions(
      program
        .command("edit")
        .description("edit an encrypted file in $EDITOR; unchanged values keep their exact ciphertext")
        .argument("<file>", "encrypted file (a new one is created from a template)"),
    )
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(ignoreMacOption("do not verify the MAC before editing"))
      .addOption(indentOption("indentation of a new file's metadata (default: .sops.yaml stores:)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The plaintext lives only in a private temp directory (0700, file 0600) while the editor
runs ($SOPS_EDITOR, $VISUAL, $EDITOR, else vi), and is removed on every exit path. An edit
that does not parse reopens the editor with the error shown. Saving without changes leaves
the file untouched; otherwise only changed values get new ciphertext (plus mac and
lastmodified), so diffs stay small.

A new file is encrypted for the key options' recipients, else for the matching creation rule
of .sops.yaml (--config or SOPS_CONFIG to choose one), with the rule's selection options.`,
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runEdit } = await import("./edit.js");
        await runEdit(file, opts);
      });
  },
};
