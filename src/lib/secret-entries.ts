/**
 * A decrypted file as named byte values, for tools that hand secrets to something that stores
 * `name → bytes` (a Kubernetes Secret's `data`, `hush k8s secret`, the kustomize generator).
 *
 * Values are named with exec-env's rule (`db.password` → `DB_PASSWORD`, a top-level key kept as
 * written) and written as exec-env writes them (sops's `ValToString`), except that nulls are
 * skipped (they are outside the MAC, so nothing vouches for them) and a value may hold any byte
 * (NUL included: a Secret is not an environment). Everything is decrypted in memory, MAC verified.
 */
import { basename } from "node:path";
import { HushError } from "../errors.js";
import { valueBytes } from "../model/value.js";
import type { TreeNode } from "../model/tree.js";
import { envName, describeEnvPath, valToString } from "../model/env.js";
import { readSource, type LoadOptions, type SecretsSource } from "./load.js";
import { findPath, openDocument } from "./plain.js";

/** What {@link secretEntries} reads. */
export interface SecretEntriesOptions extends LoadOptions {
  /** Only this part of the tree: `db` or `["db"]` (a map gives its values, a scalar one value). */
  extract?: string;
  /**
   * Put the whole plaintext (or the extracted value) under this one name instead of flattening.
   * Binary files always give one value, named by this or by the file name without `.enc`.
   */
  key?: string;
}

/** One named value; `from` says where it came from (a path or a file name, never a value). */
export interface SecretEntry {
  readonly name: string;
  readonly value: Uint8Array;
  readonly from: string;
}

/**
 * Decrypts `source` and returns its values as named bytes (see the module comment). Two values
 * that get the same name are an error naming both paths.
 */
export async function secretEntries(source: SecretsSource, options: SecretEntriesOptions = {}): Promise<SecretEntry[]> {
  const { text, format } = await readSource(source, options.format);
  const label = typeof source === "string" ? source : "(input)";
  const opened = await openDocument(text, { ...options, format });
  if (format === "binary") {
    if (options.extract !== undefined) throw new HushError("USAGE", `${label} is a binary file: --extract does not apply`);
    const name = options.key ?? defaultKeyFor(label);
    return [{ name, value: opened.bytes, from: label }];
  }
  if (options.key !== undefined && options.extract === undefined) {
    return [{ name: options.key, value: opened.bytes, from: label }];
  }
  if (opened.trees.length !== 1) {
    throw new HushError("USAGE", `${label} holds ${opened.trees.length} YAML documents`, "split it into one file per document, or give --key to keep it whole");
  }
  let node: TreeNode = opened.trees[0]!;
  let prefix: (string | number)[] = [];
  if (options.extract !== undefined) {
    const found = findPath(node, options.extract);
    node = found.node;
    prefix = found.path;
  }
  const out: SecretEntry[] = [];
  if (!(node instanceof Map) && !Array.isArray(node)) {
    // One scalar: named by --key, else by its own key.
    const last = prefix[prefix.length - 1];
    const name = options.key ?? (typeof last === "string" ? last : undefined);
    if (name === undefined) throw new HushError("USAGE", "--extract names a list item: give --key to name it");
    if (node.value !== null) out.push({ name, value: cellBytes(node.value), from: describeEnvPath(prefix) });
    return out;
  }
  if (options.key !== undefined) {
    throw new HushError("USAGE", "--key names one value, but --extract names a map or a list", "drop --key to get one key per value");
  }
  if (Array.isArray(node)) throw new HushError("USAGE", "the values are a list: name a map with --extract");
  const seen = new Map<string, string>();
  const walk = (n: TreeNode, path: (string | number)[]): void => {
    if (n instanceof Map) {
      for (const [k, v] of n) walk(v, [...path, k]);
      return;
    }
    if (Array.isArray(n)) {
      n.forEach((v, i) => walk(v, [...path, i]));
      return;
    }
    if (n.value === null) return; // outside the MAC: not trusted, not passed on
    const name = envName(path);
    const where = describeEnvPath([...prefix, ...path]);
    const earlier = seen.get(name);
    if (earlier !== undefined) throw new HushError("GENERIC", `two values would both be the key ${name}: ${earlier} and ${where}`, "rename one of them");
    seen.set(name, where);
    out.push({ name, value: cellBytes(n.value), from: where });
  };
  walk(node, []);
  return out;
}

/** A binary file's key: its file name without a final `.enc` (`tls.key.enc` → `tls.key`). */
function defaultKeyFor(path: string): string {
  const base = basename(path);
  return base.endsWith(".enc") && base.length > 4 ? base.slice(0, -4) : base;
}

function cellBytes(v: NonNullable<Parameters<typeof valToString>[0]>): Uint8Array {
  // Strings keep their exact bytes (a YAML !!binary value need not be UTF-8); others as exec-env.
  return v.type === "str" ? valueBytes(v) : Buffer.from(valToString(v), "utf8");
}
