/** `hush exec-file`: its operands, flags and help (the body is `exec-file.ts`). */
import type { Command } from "commander";
import type { CommandSpec } from "../command.js";
import { configOption } from "../key-options.js";
import { decryptionOrderOption, ignoreMacOption, indentOption, typeOption } from "../options.js";
import { withKeyserviceOptions, withSopsExecOptions } from "../sops-compat.js";

export const command: CommandSpec = {
  name: "exec-file",
  define(program) {
    withSopsExecOptions(withKeyserviceOptions(program.command("exec-file")), false)
      .usage("[options] <file> -- <command> [args...]")
      .description("run a command that reads the decrypted file at {} (a FIFO by default)")
      .argument("[args...]", "the file, then -- and the command; {} in it is replaced by the path")
      .option("--no-fifo", "use a regular temp file (mode 0600, removed afterwards) instead of a FIFO")
      .option("--keep-key-env", "keep key material variables (SOPS_AGE_KEY, VAULT_TOKEN, AWS_SECRET_ACCESS_KEY…) in the command's environment")
      .option("--filename <name>", "name of the FIFO or file (default: the input's name without .enc)")
      .addOption(typeOption("input-type", "format of the file (default: from the file name)"))
      .addOption(typeOption("output-type", "format the command reads (default: the input's)"))
      .addOption(indentOption("indentation when converting formats (default: .sops.yaml stores:)"))
      .addOption(ignoreMacOption("do not verify the MAC"))
      .addOption(decryptionOrderOption())
      .addOption(configOption())
      .addHelpText(
        "after",
        `
The FIFO (or file) lives in a private directory (0700) in $XDG_RUNTIME_DIR or /dev/shm when
available, and is removed when the command exits, however it exits. A FIFO passes the
plaintext through a pipe, so it never reaches a disk, and can be read once (as with sops);
programs that read their input twice, seek in it or check its size need --no-fifo. Exit
codes and signals are handled as for exec-env.

Examples:
  hush exec-file kubeconfig.enc.yaml -- kubectl --kubeconfig {} get pods
  hush exec-file --no-fifo --filename app.json config.enc.json -- ./app --config {}`,
      )
      .action(async (args: string[], opts: Record<string, unknown>, cmd: Command) => {
        const { runExecFile } = await import("./exec-file.js");
        await runExecFile(args, opts, cmd);
      });
  },
};
