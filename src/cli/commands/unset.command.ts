/** `hush unset`: its arguments, flags and help (the body is `runUnset` in `set.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, typeOption } from "../options.js";
import { withKeyserviceOptions, withSameOutputTypeOption, withIgnoredThresholdOption } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "unset",
  define(program) {
    withIgnoredThresholdOption(withSameOutputTypeOption(withKeyserviceOptions(program.command("unset")), (a) => [a[0] as string]))
      .description("remove the value at a path")
      .argument("<file>", "encrypted file, changed in place")
      .argument("<path>", `db.password, list[0] or '["key"][0]'; a dotenv key, an INI '["section"]["key"]' (as for set)`)
      .option("--idempotent", "succeed without change when the path does not exist")
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .addOption(decryptionOrderOption())
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .action(async (file: string, path: string, opts: Record<string, unknown>) => {
        const { runUnset } = await import("./set.js");
        await runUnset(file, path, opts);
      });
  },
};
