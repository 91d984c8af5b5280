/** `hush set`: its arguments, flags and help (the body is `set.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, typeOption } from "../options.js";
import { withKeyserviceOptions, withSameOutputTypeOption, withIgnoredThresholdOption } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "set",
  define(program) {
    withIgnoredThresholdOption(withSameOutputTypeOption(withKeyserviceOptions(program.command("set")), (a) => [a[0] as string]))
      .description("set one value (JSON, or a plain string with --string) at a path; unchanged values keep their ciphertext")
      .argument("<file>", "encrypted file, changed in place")
      .argument("[path]", `db.password, list[0] or '["key"][0]'; missing keys are created, past a list's end appends`)
      .argument("[value]", "the value as JSON: '\"text\"', 42, true, {\"a\": 1}; with --string, the text itself")
      .option("--string", "take the value as a plain string, not JSON (no quotes needed)")
      .option("--value-stdin", "read the value from standard input, keeping it out of shell history")
      .option("--value-file <path>", "read the value from a file")
      .option("--generate [spec]", "a new random string instead of a value (never printed): alnum[:N] (default, 32), hex[:N], base64[:N bytes], base64url[:N], uuid, django, ascii[:N], chars:ALPHABET:N")
      .option("--show", "with --generate: print the new value on standard output")
      .option("--idempotent", "do nothing when the value is already the given one (hush never rewrites an unchanged file)")
      .addOption(ignoreMacOption("do not verify the MAC first"))
      .addOption(decryptionOrderOption())
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The value is JSON, as in sops, so sops scripts work unchanged: a string needs its quotes
('"text"'). --string takes the text as it is instead; from --value-stdin or --value-file, one
final newline is dropped. Setting a value to what it already is leaves the file untouched.

New YAML blocks are indented by stores.yaml.indent of .sops.yaml (default 4); the rest of the file keeps its layout.
dotenv and INI files hold strings: a dotenv path is one key (API_KEY), an INI path a section and
a key ('["section"]["key"]' or section.key; keys before the first section are in DEFAULT); a
number or boolean is written as its text; new keys go at the end (of their section).

Examples:
  hush set secrets.enc.yaml db.password '"s3cret"'
  hush set --string secrets.enc.yaml db.password s3cret
  printf %s "$TOKEN" | hush set --string --value-stdin .env.enc API_TOKEN
  hush set config.enc.json '["features"]' '{"beta": true}'

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
