/** `hush get`: print one value (the body is `get.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "get",
  define(program) {
    program
      .command("get")
      .description("print one value of an encrypted file (a string as it is, a map or list as JSON)")
      .argument("<file>", "encrypted file")
      .argument("<path>", `db.password, hosts[0] or sops's '["db"]["password"]'`)
      .option("--json", "print the value as JSON even when it is a string or another scalar")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(ignoreMacOption("do not verify the MAC"))
      .addOption(decryptionOrderOption())
      .addOption(configOption())
      .addHelpText(
        "after",
        `
A string prints as it is, followed by a newline; a number, boolean or null as its JSON text; a
map or list as JSON (2-space indent). --json prints every value as JSON (a string quoted). Use
decrypt --extract for sops's exact output (no newline added, the file's own format).

Paths as for decrypt --extract; a dotted path also finds a key that contains dots
(labels.app.kubernetes.io/name), as the library's get() does. A missing path exits 1.

Examples:
  hush get secrets.enc.yaml db.password
  PGPASSWORD=$(hush get secrets.enc.yaml db.password) psql …
  hush get --json secrets.enc.yaml db`,
      )
      .action(async (file: string, path: string, opts: Record<string, unknown>) => {
        const { runGet } = await import("./get.js");
        await runGet(file, path, opts);
      });
  },
};
