/**
 * `hush encrypt`: encrypt a plaintext file's values for the recipients named by the key flags, or
 * by the matching `.sops.yaml` creation rule (precedence as sops: `config/index.ts`).
 */
import { HushError } from "../../errors.js";
import { encryptAsConfigured, encryptReusing, keySpecsFromFlags, nodeStyleDotenvNote, parseKmsContext, RULE_NAMES, type KeyFlags, type SelectionRules } from "../../lib/internal.js";
import { readInputFile, writeOutput, type IoOptions } from "../common.js";

interface EncryptFlags extends IoOptions, KeyFlags {
  indent?: number;
  macOnlyEncrypted?: boolean;
  shamirSecretSharingThreshold?: number;
  config?: string;
  reuse?: string;
  [rule: string]: unknown;
}

const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

/** Runs `hush encrypt [file]` with commander's parsed options. */
export async function runEncrypt(file: string | undefined, flags: EncryptFlags): Promise<void> {
  const env = process.env;
  const rules: SelectionRules = {};
  for (const name of RULE_NAMES) {
    const v = flags[camel(name)];
    if (typeof v === "string") rules[name] = v;
  }
  if (Object.keys(rules).length > 1) {
    throw new HushError("CONFLICTING_PARAMETERS", `use only one of ${RULE_NAMES.map((r) => `--${r.replace(/_/g, "-")}`).join(", ")}`);
  }
  if (flags.reuse !== undefined) return runReuse(file, flags, flags.reuse);
  // Parsed before anything is read, so a malformed context fails first (sops's exit 6).
  const keys = keySpecsFromFlags(flags, env);
  const kmsEncryptionContext = parseKmsContext(flags.encryptionContext);
  const input = await readInputFile(file, flags);
  // The bytes as read: the lean JSON/dotenv path reads them without a string copy (issue 20).
  const res = await encryptAsConfigured(input.bytes, {
    file: flags.filenameOverride ?? (input.path === "-" ? undefined : input.path),
    keys,
    rules,
    ...(flags.macOnlyEncrypted ? { macOnlyEncrypted: true } : {}),
    ...(flags.shamirSecretSharingThreshold ? { shamirThreshold: flags.shamirSecretSharingThreshold } : {}),
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(kmsEncryptionContext ? { kmsEncryptionContext } : {}),
    env,
    inputFormat: input.format,
    format: input.outputFormat,
    indent: flags.indent,
  });
  // Bytes: the lean path writes them, so no text copy of a large output is made (issue 20).
  await writeOutput(input, flags, res.bytes);
  // sops's reading was used; say so when a Node app would have seen other values (issue 16).
  const note = input.format === "dotenv" ? nodeStyleDotenvNote(input.bytes, input.path === "-" ? "-" : input.path) : undefined;
  if (note) process.stderr.write(`hush: note: ${note}\n`);
}

/**
 * `--reuse PREVIOUS`: encrypt with PREVIOUS's data key, recipients and rules, copying the
 * ciphertext of every value whose path, type and plaintext are unchanged (stable ciphertext for a
 * decrypt → edit → encrypt workflow). Recipients change with updatekeys or rotate, not here.
 */
async function runReuse(file: string | undefined, flags: EncryptFlags, previousPath: string): Promise<void> {
  const input = await readInputFile(file, flags);
  const previous = await readInputFile(previousPath, {});
  const { text } = await encryptReusing(input.data, previous.data, {
    format: input.format,
    outputFormat: input.outputFormat,
    previousFormat: previous.format,
    path: input.path === "-" ? previous.path : input.path,
    ...(flags.config ? { configPath: flags.config } : {}),
    warn: (w) => process.stderr.write(`hush: warning: ${previous.path}: ${w}\n`),
    ...(flags.indent !== undefined ? { indent: flags.indent } : {}),
  });
  await writeOutput(input, flags, text);
}
