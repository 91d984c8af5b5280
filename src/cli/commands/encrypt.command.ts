/** `hush encrypt`: its arguments, flags and help (the body is `encrypt.ts`). */
import type { CommandSpec } from "../command.js";
import { configOption, thresholdOption, withKeyOptions } from "../key-options.js";
import { filenameOverrideOption, indentOption, typeOption } from "../options.js";
import { withKeyserviceOptions } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "encrypt",
  define(program) {
    withKeyOptions(
      withKeyserviceOptions(program.command("encrypt"))
        .description("encrypt the values of a YAML, JSON, dotenv or INI file (keys stay readable), or any file whole")
        .argument("[file]", "file to encrypt; standard input when omitted or -"),
    )
      .option("-i, --in-place", "replace the file with its encrypted form (atomically)")
      .option(
        "--reuse <previous>",
        "keep PREVIOUS's data key, recipients and rules, and the exact ciphertext of every unchanged value",
      )
      .option("-o, --output <path>", "write to this file instead of standard output")
      .addOption(typeOption("input-type", "format of the input (default: from the file name)"))
      .addOption(typeOption("output-type", "format of the output (default: the input's)"))
      .addOption(filenameOverrideOption())
      .option("--unencrypted-suffix <suffix>", "leave values under keys ending with this in clear (default _unencrypted)")
      .option("--encrypted-suffix <suffix>", "encrypt only values under keys ending with this")
      .option("--unencrypted-regex <re>", "leave values under keys matching this in clear")
      .option("--encrypted-regex <re>", "encrypt only values under keys matching this")
      .option("--unencrypted-comment-regex <re>", "leave values after a comment matching this in clear")
      .option("--encrypted-comment-regex <re>", "encrypt only values after a comment matching this")
      .option("--mac-only-encrypted", "compute the MAC over encrypted values only")
      .addOption(indentOption("indentation for new blocks (YAML spaces; JSON spaces, -1 for a tab)"))
      .addOption(thresholdOption())
      .addOption(configOption())
      .addHelpText(
        "after",
        `
Only values are encrypted, each with AES-256-GCM under a fresh data key and its path as
additional data; comments are encrypted too. The data key is wrapped for every recipient.

Recipients come from the key options (or their SOPS_* variables); when none is given, from
the first creation rule of .sops.yaml whose path_regex matches the file's path relative to
the directory of .sops.yaml (found from the working directory up; --config or SOPS_CONFIG
to choose one). The rule also sets the selection options, mac_only_encrypted and the
Shamir threshold, unless given here; its stores: settings give the default --indent.

A .env file is read exactly as sops reads it: KEY=VALUE split at the first "=", quotes and
"#" part of the value. For a .env written for Node's dotenv package, use import-dotenv.

Examples:
  hush encrypt --age age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p secrets.yaml
  SOPS_AGE_RECIPIENTS=age1… hush encrypt -i config.json
  hush encrypt -i secrets/prod.yaml             keys and options from .sops.yaml`,
      )
      .action(async (file: string | undefined, opts: Record<string, unknown>) => {
        const { runEncrypt } = await import("./encrypt.js");
        await runEncrypt(file, opts);
      });
  },
};
