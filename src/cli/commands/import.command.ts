/** `hush import`: its arguments, flags and help (the body is `import.ts`). */
import type { CommandSpec } from "../command.js";

export const command: CommandSpec = {
  name: "import",
  define(program) {
    program
      .command("import")
      .description("open a bundle from `hush share`: print it, or merge its values into an encrypted file")
      .argument("<bundle>", "the armored (or binary) age file")
      .option("--into <file>", "merge into this encrypted YAML/JSON file (created for .sops.yaml's recipients if missing)")
      .option("--config <path>", "the .sops.yaml for a new --into file")
      .addHelpText("after", "\nWith --into, each value is set as `hush set` does: every other value keeps its ciphertext.")
      .action(async (bundle: string, opts: Record<string, unknown>) => {
        const { runImport } = await import("./import.js");
        await runImport(bundle, opts);
      });
  },
};
