/** `hush filestatus`: is the file encrypted? Prints sops's JSON (`{"encrypted":true}`). */
import { parseInput } from "../../formats/index.js";
import { commandConfig, readInputFile, type ConfigFlags } from "../common.js";

export async function runFilestatus(file: string, flags: { inputType?: string } & ConfigFlags): Promise<void> {
  await commandConfig(flags, false); // an explicit --config must still be valid, as in sops
  const input = await readInputFile(file, flags.inputType ? { inputType: flags.inputType } : {});
  const raw = parseInput(input.data, input.format).rawMetadata() as Record<string, unknown> | undefined;
  // sops: metadata without `version` or `mac` does not count.
  const encrypted = !!raw && typeof raw === "object" && !!raw["version"] && !!raw["mac"];
  process.stdout.write(`${JSON.stringify({ encrypted })}\n`);
}
