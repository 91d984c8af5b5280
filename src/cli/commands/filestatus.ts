/** `hush filestatus`: is the file encrypted? Prints sops's JSON (`{"encrypted":true}`). */
import { HushError, isHushError } from "../../errors.js";
import { isEncryptedFile } from "../../lib/internal.js";
import { commandConfig, readInputFile, type ConfigFlags } from "../common.js";

export async function runFilestatus(file: string, flags: { inputType?: string } & ConfigFlags): Promise<void> {
  await commandConfig(flags, false); // an explicit --config must still be valid, as in sops
  let encrypted: boolean;
  try {
    const input = await readInputFile(file, flags.inputType ? { inputType: flags.inputType } : {});
    // sops: metadata without `version` or `mac` does not count.
    encrypted = isEncryptedFile(input.data, input.format);
  } catch (e) {
    // sops reports any failure to read or parse the file as a plain error: exit 1, not 100 or 2,
    // so a script's `sops filestatus f || …` sees the same status.
    if (!isHushError(e) || e.code === "LOCKED") throw e;
    throw new HushError("GENERIC", `cannot check file status: ${e.message}`, e.hint, { cause: e });
  }
  process.stdout.write(`${JSON.stringify({ encrypted })}\n`);
}
