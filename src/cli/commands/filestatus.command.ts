/** `hush filestatus`: its arguments, flags and help (the body is `filestatus.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "filestatus",
  define(program) {
    program
      .command("filestatus")
      .description('print {"encrypted":true} or {"encrypted":false} for a file, as sops does')
      .argument("<file>", "file to inspect")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runFilestatus } = await import("./filestatus.js");
        await runFilestatus(file, opts);
      });
  },
};
