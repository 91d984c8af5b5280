/** `hush set`: its arguments, flags and help (the body is `set.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { ignoreMacOption, typeOption } from "../options.js";

export const command: CommandSpec = {
  name: "set",
  define(program) {
    program
      .command("set")
      .description("set one value (JSON) at a path; unchanged values keep their ciphertext")
      .argument("<file>", "encrypted file, changed in place")
      .argument("[path]", `db.password, list[0] or '["key"][0]'; missing keys are created, past a list's end appends`)
      .argument("[value]", "the value as JSON: '\"text\"', 42, true, {\"a\": 1}")
      .option("--value-stdin", "read the value (JSON) from standard input, keeping it out of shell history")
      .option("--value-file <path>", "read the value (JSON) from a file")
      .option("--generate [spec]", "a new random string instead of a value (never printed): alnum[:N] (default, 32), hex[:N], base64[:N bytes], base64url[:N], uuid, django, ascii[:N], chars:ALPHABET:N")
      .option("--show", "with --generate: print the new value on standard output")
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
New YAML blocks are indented by stores.yaml.indent of .sops.yaml (default 4); the rest of the file keeps its layout.

Paths: db.password, hosts[0] (or hosts.0), or sops's '["db"]["password"]'; a dot, bracket or
backslash inside a key is escaped with \\ (a\\.b), or the key is quoted: '["a.b"]'. The path is
taken exactly as written: a.b.c is three nested keys.`,
      )
      .action(async (file: string, path: string | undefined, value: string | undefined, opts: Record<string, unknown>) => {
        const { runSet } = await import("./set.js");
        await runSet(file, path, value, opts);
      });
  },
};
