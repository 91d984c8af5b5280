/** `hush rotate-value FILE PATH…`: new random values for secrets, every other ciphertext kept. */
import { HushError } from "../../errors.js";
import { parseGenerateSpec, regenerateValues } from "../../lib/internal.js";
import { commandConfig, outputIndent, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";

interface RotateValueFlags extends ConfigFlags {
  generate?: string;
  show?: boolean;
  ignoreMac?: boolean;
  inputType?: string;
}

/** Replaces each named value with a new random one of the same shape (or `--generate`'s). */
export async function runRotateValue(file: string, paths: string[], flags: RotateValueFlags): Promise<void> {
  const spec = flags.generate !== undefined ? parseGenerateSpec(flags.generate) : undefined;
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  if (input.format !== "yaml" && input.format !== "json") throw new HushError("USAGE", `rotate-value works on YAML and JSON files, not ${input.format}`);
  const format = input.format;
  const config = await commandConfig(flags, format === "yaml");
  const step = format === "yaml" ? ((await outputIndent(format, config?.stores, undefined)) ?? 4) : 4;
  const res = await regenerateValues(input.text, paths, { format, step, ...(spec ? { spec } : {}), ...(flags.ignoreMac ? { ignoreMac: true } : {}) });
  if (res.changed) await writeOutput(input, io, res.text);
  const names = Object.keys(res.values);
  if (flags.show) process.stdout.write(`${JSON.stringify(res.values, null, 2)}\n`);
  else process.stderr.write(`rotated ${names.length} value${names.length === 1 ? "" : "s"} in ${file} (new values not shown; --show prints them): ${names.join(", ")}\n`);
}
