/** `hush exec-file`: run a command that reads the decrypted file through a FIFO (or a temp file). */
import type { Command } from "commander";
import { HushError } from "../../errors.js";
import { isFormatName } from "../../lib/internal.js";
import { execFile } from "../../exec/exec-file.js";
import { execOperands, propagateExit } from "../exec-args.js";
import { parseDecryptionOrder } from "./decrypt.js";
import { commandConfig, outputIndent, type ConfigFlags } from "../common.js";

interface ExecFileFlags extends ConfigFlags {
  keepKeyEnv?: boolean;
  fifo?: boolean;
  filename?: string;
  inputType?: string;
  outputType?: string;
  indent?: number;
  ignoreMac?: boolean;
  decryptionOrder?: string;
}

/** Runs `hush exec-file` with its parsed operands and flags; sets the process exit code to the child's. */
export async function runExecFile(operands: string[], flags: ExecFileFlags, cmd: Command): Promise<void> {
  const { files, command } = execOperands(cmd, operands, [], "exec-file");
  if (files.length !== 1) throw new HushError("USAGE", "exec-file takes exactly one file");
  const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
  // Another output format is generated text: `stores:` (or --indent) sets its indentation.
  const out = flags.outputType && isFormatName(flags.outputType) ? flags.outputType : undefined;
  const config = await commandConfig(flags, out !== undefined && flags.indent === undefined);
  const indent = out ? await outputIndent(out, config?.stores, flags.indent) : undefined;
  const exit = await execFile(files[0]!, command, {
    ...(indent !== undefined ? { indent } : {}),
    fifo: flags.fifo !== false,
    ...(flags.filename !== undefined ? { filename: flags.filename } : {}),
    ...(flags.inputType && isFormatName(flags.inputType) ? { format: flags.inputType } : {}),
    ...(flags.outputType && isFormatName(flags.outputType) ? { outputFormat: flags.outputType } : {}),
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
    ...(order ? { decryptionOrder: order } : {}),
    ...(flags.keepKeyEnv ? { keepKeyEnv: true } : {}),
  });
  propagateExit(exit);
}
