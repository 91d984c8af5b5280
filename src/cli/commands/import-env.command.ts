/** `hush import-env`: its arguments, flags and help (the body is `import-dotenv.ts`). */
import { Option } from "commander";
import type { CommandSpec } from "../command.js";
import { configOption, withKeyOptions } from "../key-options.js";
import { indentOption } from "../options.js";

/** `--output-type` of the migration commands: the formats an imported file can be written in. */
export function migrateOutputTypeOption(): Option {
  return new Option("--output-type <type>", "format of the encrypted file (default: from -o, else dotenv)").choices(["dotenv", "yaml", "json"]);
}

export const command: CommandSpec = {
  name: "import-env",
  define(program) {
    withKeyOptions(
      program
        .command("import-env")
        .description("encrypt variables of the current environment into a new file (values never printed)")
        .argument("[names...]", "variables to take, by name (each must be set)"),
    )
      .option("--prefix <prefix>", "also take every variable whose name starts with this")
      .option("-o, --output <path>", "write the encrypted file here instead of standard output")
      .addOption(migrateOutputTypeOption())
      .option("--filename-override <path>", "the path .sops.yaml's creation rules are matched with (default: -o)")
      .addOption(indentOption("indentation of a YAML or JSON output (default: .sops.yaml stores:)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
Moves secrets out of a shell's or a CI job's environment into an encrypted file: the named
variables in the order given, then those matching --prefix, sorted by name. Values are read
from hush's own environment and never printed; standard error lists the names taken.

Recipients and the selection of what is encrypted come from the key options, else from the
creation rule of .sops.yaml that matches the output path (-o). The output is in sops's dotenv
format unless -o or --output-type names YAML or JSON.

Examples:
  hush import-env DB_PASSWORD API_TOKEN -o secrets.enc.env
  hush import-env --prefix APP_ -o config/prod.enc.yaml`,
      )
      .action(async (names: string[], opts: Record<string, unknown>) => {
        const { runImportEnv } = await import("./import-dotenv.js");
        await runImportEnv(names, opts);
      });
  },
};
