/** `hush filestatus`: is the file encrypted? Prints sops's JSON (`{"encrypted":true}`). */
import { isEncryptedFile } from "../../lib/internal.js";
import { commandConfig, readInputFile, type ConfigFlags } from "../common.js";

export async function runFilestatus(file: string, flags: { inputType?: string } & ConfigFlags): Promise<void> {
  await commandConfig(flags, false); // an explicit --config must still be valid, as in sops
  const input = await readInputFile(file, flags.inputType ? { inputType: flags.inputType } : {});
  // sops: metadata without `version` or `mac` does not count.
  const encrypted = isEncryptedFile(input.data, input.format);
  process.stdout.write(`${JSON.stringify({ encrypted })}\n`);
}
