/** `hush set` and `hush unset`: change one value of an encrypted file, keeping every other ciphertext. */
import { HushError } from "../../errors.js";
import { parseSetValue, readInput, setValues, unsetValue } from "../../lib/internal.js";
import { formatTreePath, parsePath } from "../../model/tree-path.js";
import { commandConfig, outputIndent, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";

interface SetFlags extends ConfigFlags {
  valueStdin?: boolean;
  valueFile?: string;
  idempotent?: boolean;
  ignoreMac?: boolean;
  inputType?: string;
}

function editable(format: string): "yaml" | "json" {
  if (format !== "yaml" && format !== "json") throw new HushError("USAGE", `set and unset work on YAML and JSON files, not ${format}`);
  return format;
}

export async function runSet(file: string, index: string, value: string | undefined, flags: SetFlags): Promise<void> {
  if ([value !== undefined, flags.valueStdin, flags.valueFile !== undefined].filter(Boolean).length !== 1) {
    throw new HushError("CONFLICTING_PARAMETERS", "give the value as an argument, or --value-stdin, or --value-file (exactly one)");
  }
  const path = parsePath(index);
  let raw = value;
  if (flags.valueStdin) raw = (await readInput("-")).toString("utf8");
  if (flags.valueFile !== undefined) raw = (await readInput(flags.valueFile)).toString("utf8");
  const node = parseSetValue(raw!.trim());
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  const format = editable(input.format);
  // New YAML blocks are new text: `stores.yaml.indent` sets their indentation (else 4, as sops).
  const config = await commandConfig(flags, format === "yaml");
  const step = format === "yaml" ? ((await outputIndent(format, config?.stores, undefined)) ?? 4) : 4;
  const res = await setValues(input.text, [{ path, node }], { format, step, ...(flags.ignoreMac ? { ignoreMac: true } : {}) });
  if (res.changed) await writeOutput(input, io, res.text);
}

export async function runUnset(file: string, index: string, flags: SetFlags): Promise<void> {
  const path = parsePath(index);
  await commandConfig(flags, false); // an explicit --config must still be valid
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  const format = editable(input.format);
  const res = await unsetValue(input.text, path, {
    format,
    ...(flags.idempotent ? { idempotent: true } : {}),
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
  });
  if (res.changed) await writeOutput(input, io, res.text);
}
