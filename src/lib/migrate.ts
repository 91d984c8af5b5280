/**
 * Migrating plaintext secrets into an encrypted file: a Node-style `.env` (`hush import-dotenv`)
 * or variables of the environment (`hush import-env`), encrypted for the matching `.sops.yaml`
 * creation rule (its recipients and its encrypted_regex / unencrypted_suffix / … selection), or
 * for the key flags, exactly as `hush encrypt` would encrypt the file.
 *
 * Values never leave this module except encrypted (or left in clear where the rule says so); what
 * the caller gets to show is keys, line numbers and the report of what the import changed.
 */
import { HushError } from "../errors.js";
import { keySpecsFromFlags, parseKmsContext, type EncryptionRequest, type KeyFlags } from "../config/index.js";
import { formatNameForPath } from "../formats/index.js";
import { importNodeDotenv, readAlikeBySopsAndNode, unwritableDotenvValue, type DotenvImport, type DotenvImportChange } from "../formats/dotenv-node.js";
import type { FormatName } from "../model/tree.js";
import { encryptAsConfigured } from "./operations.js";

export type { DotenvImportChange };

/** Where and how the migrated file is encrypted. */
export interface MigrateRequest extends EncryptionRequest {
  /** The encrypted file's format: dotenv (sops's), or YAML / JSON. */
  outputFormat: FormatName;
  /** Indentation of generated YAML/JSON (`--indent`; else the config's `stores:`). */
  indent?: number;
}

/** What a command line gives a migration. */
export interface MigrateOptions {
  /** The key flags (`--age`, …, `--encryption-context`); none: the creation rule's keys. */
  readonly flags: KeyFlags;
  /** `-o`: where the file goes (its name picks the rule and the format). */
  readonly output?: string | undefined;
  /** `--output-type`. */
  readonly outputType?: string | undefined;
  /** The path creation rules are matched with (default: {@link output}). */
  readonly rulesPath?: string | undefined;
  readonly indent?: number | undefined;
  /** `--config`. */
  readonly configPath?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The request for {@link importDotenv} / {@link importEnv} from command-line options: recipients
 * from the key flags (a malformed `--encryption-context` fails here, sops's exit 6), the format from
 * `--output-type`, else from `-o`'s name (`x.enc.yaml`, `x.yaml.enc`), else sops's dotenv.
 */
export function migrateRequest(o: MigrateOptions): MigrateRequest {
  const env = o.env ?? process.env;
  const keys = keySpecsFromFlags(o.flags, env);
  const kmsEncryptionContext = parseKmsContext(o.flags.encryptionContext);
  let outputFormat: FormatName = "dotenv";
  if (o.outputType === "yaml" || o.outputType === "json" || o.outputType === "dotenv") outputFormat = o.outputType;
  else if (o.output) {
    const f = formatNameForPath(o.output.replace(/\.enc$/, ""));
    if (f === "yaml" || f === "json") outputFormat = f;
  }
  return {
    file: o.rulesPath ?? o.output,
    keys,
    outputFormat,
    ...(o.indent !== undefined ? { indent: o.indent } : {}),
    ...(o.configPath !== undefined ? { configPath: o.configPath } : {}),
    ...(kmsEncryptionContext ? { kmsEncryptionContext } : {}),
    env,
  };
}

/** An encrypted file made from plaintext entries. */
export interface MigrateResult {
  /** The encrypted file. */
  readonly text: string;
  /** The keys it holds, in file order. */
  readonly keys: readonly string[];
}

/**
 * Reads a Node-style `.env` as the `dotenv` package does, without encrypting: its keys and the
 * report of what differs from sops's reading of the same lines (for `--dry-run`).
 */
export function readNodeDotenv(source: string): { keys: readonly string[]; changes: readonly DotenvImportChange[] } {
  const r = importNodeDotenv(source);
  return { keys: r.entries.map((e) => e.key), changes: r.changes };
}

/**
 * Encrypts a Node-style `.env` (quotes, inline comments, `export`, multi-line values) into a file
 * in sops's format, with the values the `dotenv` package reads; the result's `changes` say, per
 * key and line, where that differs from how sops reads the same text.
 */
export async function importDotenv(source: string, request: MigrateRequest): Promise<MigrateResult & { changes: readonly DotenvImportChange[] }> {
  const r = importNodeDotenv(source);
  // sops's test (HasSopsTopLevelKey), before any value is looked at.
  if (r.entries.some((e) => e.key.startsWith("sops_"))) {
    throw new HushError("ALREADY_ENCRYPTED", "the file is already encrypted (it has sops_ metadata lines)", "use `hush decrypt` to read it");
  }
  const text = await encryptEntries(r, request);
  return { text, keys: r.entries.map((e) => e.key), changes: r.changes };
}

/**
 * For `hush encrypt` of a dotenv file: a one-line note when Node's `dotenv` package would read the
 * text differently from sops (quotes, inline comments, `export`, CRLF, …), else undefined. It names
 * the first place by line and key, never a value.
 */
export function nodeStyleDotenvNote(text: string | Uint8Array, name: string): string | undefined {
  // Most files: nothing to say, known without the full reading (which costs ~200 bytes a line).
  if (readAlikeBySopsAndNode(text)) return undefined;
  const changes = importNodeDotenv(typeof text === "string" ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString("utf8")).changes.filter((c) => !c.key?.startsWith("sops_"));
  const first = changes[0];
  if (first === undefined) return undefined;
  const lines = new Set(changes.map((c) => c.line)).size;
  const where = `line ${first.line}${first.key === undefined ? "" : `, ${first.key}`}: ${first.what}`;
  return (
    `${name}: ${lines} line${lines === 1 ? "" : "s"} read differently by Node's dotenv package (${where}); encrypted as sops reads them. ` +
    `For the values a Node app saw: hush import-dotenv ${name} (--dry-run lists them)`
  );
}

/** Which variables of the environment {@link importEnv} takes. */
export interface EnvSelection {
  /** Variables by name; each must be set. */
  readonly names: readonly string[];
  /** Every variable whose name starts with this (sorted by name). */
  readonly prefix?: string | undefined;
}

/**
 * Encrypts variables of `env` into a new file: the named ones in the order given, then those
 * matching the prefix, sorted. A named variable that is not set is an error (naming it only).
 */
export async function importEnv(selection: EnvSelection, env: NodeJS.ProcessEnv, request: MigrateRequest): Promise<MigrateResult> {
  const missing = selection.names.filter((n) => env[n] === undefined);
  if (missing.length > 0) throw new HushError("USAGE", `not set in the environment: ${missing.join(", ")}`);
  const names = [...new Set(selection.names)];
  if (selection.prefix !== undefined) {
    const prefix = selection.prefix;
    if (prefix === "") throw new HushError("USAGE", "--prefix must not be empty (it would take the whole environment)");
    for (const n of Object.keys(env).filter((k) => k.startsWith(prefix)).sort()) if (!names.includes(n)) names.push(n);
  }
  if (names.length === 0) throw new HushError("USAGE", "no variable to import: name some, or give a --prefix that matches");
  const entries = names.map((key) => ({ key, value: env[key]!, line: 0 }));
  const unwritable = entries.find((e) => e.value.includes("\\n"));
  const text = entries.map((e) => `${e.key}=${e.value.replace(/\n/g, "\\n")}\n`).join("");
  return {
    text: await encryptEntries({ text: unwritable ? undefined : text, ...(unwritable ? { unwritable: { key: unwritable.key, line: 0 } } : {}), entries, changes: [] }, request),
    keys: names,
  };
}

/** Encrypts imported entries: sops's dotenv text when the output is dotenv, else a JSON object. */
async function encryptEntries(r: DotenvImport, request: MigrateRequest): Promise<string> {
  const { outputFormat, indent, ...req } = request;
  let plain: string;
  let format: FormatName;
  if (outputFormat === "dotenv") {
    if (r.text === undefined) throw unwritableDotenvValue(r.unwritable!.line === 0 ? { key: r.unwritable!.key } : r.unwritable!);
    plain = r.text;
    format = "dotenv";
  } else if (outputFormat === "yaml" || outputFormat === "json") {
    // Written by hand, not JSON.stringify of an object: keys such as "10" keep their place.
    plain = `{${r.entries.map((e) => `${JSON.stringify(e.key)}: ${JSON.stringify(e.value)}`).join(", ")}}\n`;
    format = "json";
  } else {
    throw new HushError("USAGE", `cannot import into the ${outputFormat} format: use dotenv, YAML or JSON`);
  }
  const { text } = await encryptAsConfigured(plain, { ...req, format: outputFormat, inputFormat: format, indent });
  return text;
}
