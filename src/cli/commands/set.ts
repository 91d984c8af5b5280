/** `hush set` and `hush unset`: change one value of an encrypted file, keeping every other ciphertext. */
import { existsSync } from "node:fs";
import { HushError } from "../../errors.js";
import { generateValue, isEditableFormat, Keyring, parseGenerateSpec, parseSetValue, readInput, setValues, unsetValue, type EditableFormat, type FormatName, type TreeNode } from "../../lib/internal.js";
import { formatTreePath, parsePath } from "../../model/tree-path.js";
import { commandConfig, outputIndent, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";
import { parseDecryptionOrder } from "./decrypt.js";

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
  string?: boolean;
  decryptionOrder?: string;
}

function editable(format: FormatName): EditableFormat {
  if (!isEditableFormat(format)) throw new HushError("USAGE", `set and unset work on YAML, JSON, dotenv and INI files, not ${format}`);
  return format;
}

/** The keyring for `--decryption-order` (or SOPS_DECRYPTION_ORDER), when one is given. */
function keyringFor(flags: SetFlags): { keyring?: Keyring } {
  const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
  return order ? { keyring: new Keyring({ decryptionOrder: order }) } : {};
}

/**
 * The value to set: JSON, as sops reads it (`'"text"'`, `42`, `{"a": 1}`), or with `--string` the
 * text itself (from a file or standard input, less one final newline).
 */
function valueNode(raw: string, fromInput: boolean, asString: boolean): TreeNode {
  if (!asString) return asSetFormat(() => parseSetValue(raw.trim()));
  const text = fromInput ? raw.replace(/\r?\n$/, "") : raw;
  return { value: { type: "str", text } };
}

/**
 * A path or value `set`/`unset` cannot read exits 7, as sops's "Invalid set index format" and
 * "Value for --set is not valid JSON" (ErrorInvalidSetFormat), not 8 or 91.
 */
function asSetFormat<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HushError && (e.code === "USAGE" || e.code === "INVALID_TREE_PATH")) throw new HushError("INVALID_SET_FORMAT", e.message, e.hint, { cause: e });
    throw e;
  }
}

export async function runSet(fileArg: string, indexArg: string | undefined, value: string | undefined, flags: SetFlags): Promise<void> {
  let file = fileArg;
  let index = indexArg;
  // sops's --value-file is a switch and the value argument names the file:
  // `set --value-file FILE INDEX VALUE_FILE`. Here it takes the path (`set --value-file VALUE_FILE
  // FILE INDEX`); both read the same to commander, so sops's form is recognised by its file
  // coming first: the second word then names no file.
  if (flags.valueFile !== undefined && index !== undefined && value === undefined && !existsSync(file) && existsSync(flags.valueFile)) {
    [file, index, flags] = [flags.valueFile, file, { ...flags, valueFile: index }];
  }
  // `--generate FILE PATH`: commander's optional option-argument took FILE as the spec.
  if (typeof flags.generate === "string" && index === undefined) {
    index = file;
    file = flags.generate;
    flags = { ...flags, generate: true };
  }
  if (index === undefined) throw new HushError("USAGE", "missing the path: hush set FILE PATH VALUE");
  const generating = flags.generate !== undefined && flags.generate !== false;
  if (generating && flags.string) throw new HushError("CONFLICTING_PARAMETERS", "--generate makes a string already: drop --string");
  if ([value !== undefined, flags.valueStdin, flags.valueFile !== undefined, generating].filter(Boolean).length !== 1) {
    throw new HushError("CONFLICTING_PARAMETERS", "give the value as an argument, or --value-stdin, --value-file or --generate (exactly one)");
  }
  const path = asSetFormat(() => parsePath(index));
  let raw = value;
  let generated: string | undefined;
  if (generating) {
    generated = generateValue(parseGenerateSpec(flags.generate === true ? undefined : String(flags.generate)));
    raw = JSON.stringify(generated);
  }
  if (flags.valueStdin) raw = (await readInput("-")).toString("utf8");
  if (flags.valueFile !== undefined) raw = (await readInput(flags.valueFile)).toString("utf8");
  const node = valueNode(raw!, value === undefined, flags.string === true && !generating);
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  const format = editable(input.format);
  // New YAML blocks are new text: `stores.yaml.indent` sets their indentation (else the file's own, else 4 as sops).
  const config = await commandConfig(flags, format === "yaml");
  const step = format === "yaml" ? await outputIndent(format, config?.stores, undefined) : 4;
  const res = await setValues(input.text, [{ path, node }], { format, ...(step !== undefined ? { step } : {}), ...keyringFor(flags), ...(flags.ignoreMac ? { ignoreMac: true } : {}) });
  // An unchanged value leaves the file untouched (sops does so with --idempotent; hush always).
  if (res.changed) await writeOutput(input, io, res.text);
  if (generated !== undefined && flags.show) process.stdout.write(`${generated}\n`);
}

export async function runUnset(file: string, index: string, flags: SetFlags): Promise<void> {
  const path = asSetFormat(() => parsePath(index));
  await commandConfig(flags, false); // an explicit --config must still be valid
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  const format = editable(input.format);
  const res = await unsetValue(input.text, path, {
    format,
    ...(flags.idempotent ? { idempotent: true } : {}),
    ...keyringFor(flags),
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
  });
  if (res.changed) await writeOutput(input, io, res.text);
}
