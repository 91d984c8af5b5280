/** `hush rotate-value`: its arguments, flags and help (the body is `rotate-value.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { ignoreMacOption, typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "rotate-value",
  define(program) {
    program
      .command("rotate-value")
      .description("give secrets new random values (\"rotate this secret\"); other values keep their ciphertext")
      .argument("<file>", "encrypted YAML or JSON file, changed in place")
      .argument("<paths...>", `the values: dotted (db.password) or tree paths ('["db"]["password"]')`)
      .option("--generate <spec>", "the new values' shape (default: like the old value: a UUID stays a UUID, hex stays hex of its length, …); see `hush set --help`")
      .option("--show", "print the new values (as JSON, by path) on standard output")
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .addHelpText("after", "\nThe new values are never printed unless --show. Commit, then roll them out; `hush rotation-status` dates them from that commit.")
      .action(async (file: string, paths: string[], opts: Record<string, unknown>) => {
        const { runRotateValue } = await import("./rotate-value.js");
        await runRotateValue(file, paths, opts);
      });
  },
};
