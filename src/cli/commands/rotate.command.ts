/** `hush rotate`: its arguments, flags and help (the body is `rotate.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption, rotateKeyOptions } from "../key-options.js";
import { decryptionOrderOption, filenameOverrideOption, ignoreMacOption, jobsOption, typeOption } from "../options.js";
import { withKeyChangeOnMissingFileCheck, withKeyserviceOptions, withSameOutputTypeOption } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "rotate",
  define(program) {
    const rotate = withKeyChangeOnMissingFileCheck(withSameOutputTypeOption(withKeyserviceOptions(program.command("rotate")), (a) => a[0] as string[]))
      .description("generate a new data key and re-encrypt every value; optionally add or remove recipients")
      .argument("<paths...>", "encrypted file; or, with -i, several files and directories to search for them")
      .option("-i, --in-place", "replace the file (atomically) instead of printing the result")
      .option("-o, --output <path>", "write to this file (one file only)")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(filenameOverrideOption())
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .addOption(decryptionOrderOption())
      .option("--encryption-context <pairs>", "KMS encryption context for the --add-kms keys (key:value,…)")
      .addOption(jobsOption())
      .option("--drop-unknown-recipients", "leave out recipients .sops.yaml does not name (default: refuse)")
      .addOption(configOption());
    for (const o of rotateKeyOptions()) rotate.addOption(o);
    rotate
      .addHelpText(
        "after",
        `
After a rotation the old data key decrypts nothing in the new file. Key entries kept keep their
created_at. The new key goes only to recipients the file's .sops.yaml rule names: anyone who can
push can add one to a file, so others are refused (or left out with --drop-unknown-recipients).
See docs/security.md. One file is printed (or written with -i / -o), as sops does; several
files, or a directory (searched for encrypted files, skipping .git and node_modules), are
rotated in place (-i), --jobs at a time, each one reported; on a terminal a progress line shows
on stderr.

Examples:
  hush rotate -i secrets.enc.yaml
  hush rotate -i --rm-age age1old… secrets/ config/prod.enc.json`,
      )
      .action(async (paths: string[], opts: Record<string, unknown>) => {
        const { runRotate } = await import("./rotate.js");
        await runRotate(paths, opts);
      });
  },
};
