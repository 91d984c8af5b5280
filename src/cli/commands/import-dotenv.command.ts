/** `hush import-dotenv`: its arguments, flags and help (the body is `import-dotenv.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption, withKeyOptions } from "../key-options.js";
import { indentOption } from "../options.js";
import { migrateOutputTypeOption } from "./import-env.command.js";

export const command: CommandSpec = {
  name: "import-dotenv",
  define(program) {
    withKeyOptions(
      program
        .command("import-dotenv")
        .description("encrypt a Node-style .env (quotes, inline comments, export) with the values the dotenv package reads")
        .argument("<file>", "the .env file, as Node's dotenv package reads it"),
    )
      .option("-o, --output <path>", "write the encrypted file here instead of standard output")
      .option("-i, --in-place", "replace FILE with the encrypted file (atomically)")
      .addOption(migrateOutputTypeOption())
      .option("--filename-override <path>", "the path .sops.yaml's creation rules are matched with (default: -o, else FILE)")
      .option("--dry-run", "only list what differs from sops's reading; encrypt and write nothing")
      .addOption(indentOption("indentation of a YAML or JSON output (default: .sops.yaml stores:)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
\`hush encrypt\` reads a .env file exactly as sops does: every line is KEY=VALUE split at the
first "=", and the value is the rest of the line, quotes and "# ..." included (the key of
"export A=1" is "export A"). A .env written for Node's dotenv package means something else:
P=hunter2 #1 is "hunter2" there, Q="x y" is x y, and a quoted value may span lines.

import-dotenv reads FILE the way the dotenv package does (the values your app saw), writes it
in sops's format (comments kept) and encrypts it. On standard error it lists, per line and key,
every place where sops would have read FILE differently (quotes removed, inline comment
dropped, "export " dropped, ...), so you can check them. Values are never printed.

Recipients and the selection of what is encrypted (encrypted_regex, unencrypted_suffix, ...)
come from the key options, else from the creation rule of .sops.yaml that matches the output
path (-o), else FILE, as for \`hush encrypt\`. The output is in sops's dotenv format unless -o
or --output-type names YAML or JSON.

Examples:
  hush import-dotenv --dry-run .env             what would change, nothing written
  hush import-dotenv .env -o secrets.enc.env    rules matched with secrets.enc.env
  hush import-dotenv .env -o secrets.enc.yaml   the same values as a YAML file`,
      )
      .action(async (file: string, opts: Record<string, unknown>) => {
        const { runImportDotenv } = await import("./import-dotenv.js");
        await runImportDotenv(file, opts);
      });
  },
};
