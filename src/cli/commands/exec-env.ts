/** `hush exec-env`: run a command with the decrypted values in its environment. */
import type { Command } from "commander";
import { HushError } from "../../errors.js";
import { isFormatName } from "../../lib/internal.js";
import { execEnv } from "../../exec/exec-env.js";
import { execOperands, propagateExit } from "../exec-args.js";
import { parseDecryptionOrder } from "./decrypt.js";
import { commandConfig, type ConfigFlags } from "../common.js";

interface ExecEnvFlags extends ConfigFlags {
  keepKeyEnv?: boolean;
  file?: string[];
  pristine?: boolean;
  overload?: boolean;
  only?: string[];
  flatten?: boolean;
  separator?: string;
  allowEnvName?: string[];
  envLists?: boolean;
  inputType?: string;
  ignoreMac?: boolean;
  decryptionOrder?: string;
}

/** Runs `hush exec-env` with its parsed operands and flags; sets the process exit code to the child's. */
export async function runExecEnv(operands: string[], flags: ExecEnvFlags, cmd: Command): Promise<void> {
  const { files, command } = execOperands(cmd, operands, flags.file ?? [], "exec-env");
  const only = flags.only?.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  if (flags.only && only?.length === 0) throw new HushError("USAGE", "--only needs at least one variable name");
  const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
  await commandConfig(flags, false); // nothing is read from it, but an explicit --config must be valid
  const exit = await execEnv(files, command, {
    flatten: flags.flatten !== false,
    ...(flags.separator !== undefined ? { separator: flags.separator } : {}),
    ...(only ? { only } : {}),
    ...(flags.pristine ? { pristine: true } : {}),
    ...(flags.overload === false ? { overload: false } : {}),
    ...(flags.inputType && isFormatName(flags.inputType) ? { format: flags.inputType } : {}),
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
    ...(order ? { decryptionOrder: order } : {}),
    ...(flags.allowEnvName ? { allowNames: flags.allowEnvName } : {}),
    ...(flags.envLists ? { lists: true } : {}),
    onSkip: (path, reason) => process.stderr.write(`hush: warning: not exported: ${path}: ${reason}\n`),
    ...(flags.keepKeyEnv ? { keepKeyEnv: true } : {}),
  });
  propagateExit(exit);
}
