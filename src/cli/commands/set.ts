/** `hush set` and `hush unset`: change one value of an encrypted file, keeping every other ciphertext. */
import { HushError } from "../../errors.js";
import { generateValue, parseGenerateSpec, parseSetValue, readInput, setValues, unsetValue } from "../../lib/internal.js";
import { formatTreePath, parsePath } from "../../model/tree-path.js";
import { commandConfig, outputIndent, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";

interface SetFlags extends ConfigFlags {
  valueStdin?: boolean;
  valueFile?: string;
  /** `--generate[=SPEC]`: true without a spec. */
  generate?: string | boolean;
  /** Print the generated value. */
  show?: boolean;
  idempotent?: boolean;
  ignoreMac?: boolean;
  inputType?: string;
}

function editable(format: string): "yaml" | "json" {
  if (format !== "yaml" && format !== "json") throw new HushError("USAGE", `set and unset work on YAML and JSON files, not ${format}`);
  return format;
}

export async function runSet(fileArg: string, indexArg: string | undefined, value: string | undefined, flags: SetFlags): Promise<void> {
  let file = fileArg;
  let index = indexArg;
  // `--generate FILE PATH`: commander's optional option-argument took FILE as the spec.
  if (typeof flags.generate === "string" && index === undefined) {
    index = file;
    file = flags.generate;
    flags = { ...flags, generate: true };
  }
  if (index === undefined) throw new HushError("USAGE", "missing the path: hush set FILE PATH VALUE");
  const generating = flags.generate !== undefined && flags.generate !== false;
  if ([value !== undefined, flags.valueStdin, flags.valueFile !== undefined, generating].filter(Boolean).length !== 1) {
    throw new HushError("CONFLICTING_PARAMETERS", "give the value as an argument, or --value-stdin, --value-file or --generate (exactly one)");
  }
  const path = parsePath(index);
  let raw = value;
  let generated: string | undefined;
  if (generating) {
    generated = generateValue(parseGenerateSpec(flags.generate === true ? undefined : String(flags.generate)));
    raw = JSON.stringify(generated);
  }
  if (flags.valueStdin) raw = (await readInput("-")).toString("utf8");
  if (flags.valueFile !== undefined) raw = (await readInput(flags.valueFile)).toString("utf8");
  const node = parseSetValue(raw!.trim());
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  const format = editable(input.format);
  // New YAML blocks are new text: `stores.yaml.indent` sets their indentation (else the file's own, else 4 as sops).
  const config = await commandConfig(flags, format === "yaml");
  const step = format === "yaml" ? await outputIndent(format, config?.stores, undefined) : 4;
  const res = await setValues(input.text, [{ path, node }], { format, ...(step !== undefined ? { step } : {}), ...(flags.ignoreMac ? { ignoreMac: true } : {}) });
  if (res.changed) await writeOutput(input, io, res.text);
  if (generated !== undefined && flags.show) process.stdout.write(`${generated}\n`);
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
