/** `hush rotate-value FILE PATH…`: new random values for secrets, every other ciphertext kept. */
import { HushError } from "../../errors.js";
import { setAtPath, parseSetValue } from "../../formats/cst-edit.js";
import { generateValue, parseGenerateSpec, specLike } from "../../lib/generate.js";
import { parseDocument } from "../../lib/files.js";
import { findPath, pathLabel } from "../../lib/plain.js";
import { rewriteText } from "../../lib/rewrite.js";
import { commandConfig, outputIndent, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";

interface RotateValueFlags extends ConfigFlags {
  generate?: string;
  show?: boolean;
  ignoreMac?: boolean;
  inputType?: string;
}

/** Replaces each named value with a new random one of the same shape (or `--generate`'s). */
export async function runRotateValue(file: string, paths: string[], flags: RotateValueFlags): Promise<void> {
  const fixed = flags.generate !== undefined ? parseGenerateSpec(flags.generate) : undefined;
  const io: IoOptions = { inPlace: true, ...(flags.inputType ? { inputType: flags.inputType } : {}) };
  const input = await readInputFile(file, io);
  if (input.format !== "yaml" && input.format !== "json") throw new HushError("USAGE", `rotate-value works on YAML and JSON files, not ${input.format}`);
  const format = input.format;
  const config = await commandConfig(flags, format === "yaml");
  const step = format === "yaml" ? ((await outputIndent(format, config?.stores, undefined)) ?? 4) : 4;
  const shown: Record<string, string> = {};
  const res = await rewriteText(
    input.text,
    (plain) => {
      let text = plain;
      for (const expr of paths) {
        const trees = parseDocument(text, format).trees();
        if (trees.length !== 1) throw new HushError("NEED_ONE_DOCUMENT", "rotate-value works on single-document files");
        const { node, path } = findPath(trees[0]!, expr);
        if (node instanceof Map || Array.isArray(node) || node.value === null) {
          throw new HushError("USAGE", `${pathLabel(path)} is not a single value`, "name each value to rotate (a leaf, not a map or list)");
        }
        const next = generateValue(fixed ?? specLike(node.value.text));
        text = setAtPath(text, format, path, parseSetValue(JSON.stringify(next)), step);
        shown[pathLabel(path)] = next;
      }
      return text;
    },
    { format, keepVersion: true, ...(flags.ignoreMac ? { ignoreMac: true } : {}) },
  );
  if (res.changed) await writeOutput(input, io, res.text);
  const n = Object.keys(shown).length;
  if (flags.show) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  else process.stderr.write(`rotated ${n} value${n === 1 ? "" : "s"} in ${file} (new values not shown; --show prints them): ${Object.keys(shown).join(", ")}\n`);
}
