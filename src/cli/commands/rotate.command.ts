/** `hush rotate`: its arguments, flags and help (the body is `rotate.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption, rotateKeyOptions } from "../key-options.js";
import { ignoreMacOption, typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "rotate",
  define(program) {
    const rotate = program
      .command("rotate")
      .description("generate a new data key and re-encrypt every value; optionally add or remove recipients")
      .argument("<file>", "encrypted file")
      .option("-i, --in-place", "replace the file (atomically) instead of printing the result")
      .option("-o, --output <path>", "write to this file")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .option("--drop-unknown-recipients", "leave out recipients .sops.yaml does not name (default: refuse)")
      .addOption(configOption());
    for (const o of rotateKeyOptions()) rotate.addOption(o);
    rotate
      .addHelpText(
        "after",
        "\nAfter a rotation the old data key decrypts nothing in the new file. Key entries kept keep their created_at.\nThe new key goes only to recipients the file's .sops.yaml rule names: anyone who can push can add\none to a file, so others are refused (or left out with --drop-unknown-recipients). See docs/security.md.",
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runRotate } = await import("./rotate.js");
        await runRotate(file, opts);
      });
  },
};
