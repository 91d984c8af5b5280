/** `hush rotate`: its arguments, flags and help (the body is `rotate.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { ignoreMacOption, typeOption } from "../options.js";

/** The key flags of `--add-*` / `--rm-*`, with what they name, in `--help` order. */
const RECIPIENT_FLAGS = [
  ["age", "age recipients"],
  ["pgp", "PGP fingerprints"],
  ["kms", "AWS KMS ARNs"],
  ["gcp-kms", "GCP KMS resource ids"],
  ["azure-kv", "Azure Key Vault key URLs"],
  ["hc-vault-transit", "Vault transit key URIs"],
] as const;

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
      .addOption(configOption());
    for (const [flag, what] of RECIPIENT_FLAGS) {
      rotate.option(`--add-${flag} <list>`, `add ${what} (comma-separated) to the first key group`);
      rotate.option(`--rm-${flag} <list>`, `remove ${what} (comma-separated) from every key group`);
    }
    rotate
      .addHelpText("after", "\nAfter a rotation the old data key decrypts nothing in the new file. Key entries kept keep their created_at.")
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runRotate } = await import("./rotate.js");
        await runRotate(file, opts);
      });
  },
};
