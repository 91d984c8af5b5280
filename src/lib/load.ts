/**
 * `load()`: an encrypted file opened for reading values one at a time. Loading unwraps the data
 * key and verifies the MAC; afterwards only ciphertexts are kept, and `get()` decrypts the one value
 * asked for. Lookups walk maps by key, so a `get` costs the same in a file of ten keys or of a
 * hundred thousand.
 */
import { HushError } from "../errors.js";
import { parseGoFloat } from "../model/go-number.js";
import { ClearValue, openValue, openValueBuffer, sealDocument, SealedValue, type SealedLeaf, type SealedMap, type SealedNode } from "../core/sealed.js";
import type { Metadata } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";
import { formatNameForPath, parseInput, utf8, type FormatName } from "../formats/index.js";
import { Keyring, unwrapDataKey, type KeyringOptions } from "../keys/registry.js";
import { sealLean } from "../core/sealed-lean.js";
import { leanInput, openLean } from "./lean.js";
import { readInput } from "../util/fs.js";
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { yamlLeanStream } from "../formats/yaml-lean-stream.js";
import type { LeanDocument } from "../formats/lean.js";
import { readMetadata } from "../core/metadata.js";
import { formatLoosePath, lookupPath, parsePathExpr } from "../model/tree-path.js";
import { treeToEnv, type EnvOptions, type EnvSourceEntry } from "../model/env.js";
// The endpoint policy reads .sops.yaml through the library (keys/trust.ts, lib/trust.ts).
import "./trust.js";

/**
 * A file path, or a document's text with its format. The text may be bytes (a `Uint8Array`): for
 * binary files they are kept exactly; other formats read them as UTF-8.
 */
export type SecretsSource = string | { readonly text: string | Uint8Array; readonly format: FormatName };

/**
 * Where a value is: a string in the dotted or tree form (`"db.password"`, `"hosts[0]"` or
 * `"hosts.0"`, `'["db"]["password"]'`, `"a\\.b"` for the key `a.b`; the grammar is in
 * `model/tree-path.ts`), or the steps themselves (`["db", "password"]`, `["hosts", 0]`).
 */
export type SecretPath = string | readonly (string | number)[];

/**
 * A decrypted value: strings, integers (a `bigint` beyond ±2^53), floats, booleans, timestamps
 * (`Date`), null, and for a map or list a plain object or array of those.
 */
export type SecretValue = string | number | bigint | boolean | Date | null | SecretValue[] | { [key: string]: SecretValue };

export interface LoadOptions extends KeyringOptions {
  /** The format; by default from the file name (`.yaml`/`.yml`, `.json`, `.env`, also with a final `.enc`). */
  format?: FormatName;
  /** A keyring to share between loads (identities are then read once). */
  keyring?: Keyring;
  /** Skip MAC verification at load; a tampered value then fails only when read. */
  ignoreMac?: boolean;
  /** Use this data key instead of unwrapping one (it is copied). */
  dataKey?: Uint8Array;
}

/**
 * The format for a secrets file name: sops's rule (SOPS-FORMAT §10.1), after dropping a final
 * `.enc`, so `.env.enc` and `secrets.yaml.enc` are read as dotenv and YAML.
 */
export function formatForSecretsPath(path: string): FormatName {
  const byName = formatNameForPath(path);
  return byName === "binary" && path.endsWith(".enc") ? formatNameForPath(path.slice(0, -4)) : byName;
}

/**
 * Reads a {@link SecretsSource}: its text, what to parse (`data`: the bytes for the binary format,
 * which keeps them exactly, else the text) and its format.
 */
export async function readSource(
  source: SecretsSource,
  format?: FormatName,
): Promise<{ text: string; data: string | Uint8Array; format: FormatName }> {
  if (typeof source === "string") {
    const bytes = await readInput(source);
    const f = format ?? formatForSecretsPath(source);
    const text = bytes.toString("utf8");
    return { text, data: f === "binary" ? bytes : text, format: f };
  }
  if (source === null || typeof source !== "object" || (typeof source.text !== "string" && !(source.text instanceof Uint8Array))) {
    throw new TypeError("source must be a file path or { text, format }");
  }
  const f = format ?? source.format;
  const text = typeof source.text === "string" ? source.text : utf8(source.text);
  return { text, data: f === "binary" ? source.text : text, format: f };
}

/**
 * Opens an encrypted file (or text) for reading values on demand. Unwraps the data key with the
 * keys sops would use (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, …, or `options.env`), verifies the MAC,
 * and keeps only ciphertexts. Call {@link Secrets.dispose} when done.
 *
 * @example
 * const secrets = await load("secrets.enc.yaml");
 * const password = secrets.get("db.password");
 * secrets.dispose();
 */
export async function load(source: SecretsSource, options: LoadOptions = {}): Promise<Secrets> {
  const keyring = options.keyring ?? new Keyring(options);
  // The lean path (lib/lean.ts, issue 20): the file's bytes and a compact index instead of a
  // parsed tree; anything it declines loads as before, with the data key it unwrapped.
  let dataKey: Uint8Array | undefined;
  const lean = await loadLean(source, options, keyring);
  if (lean && "secrets" in lean) return lean.secrets;
  dataKey = lean?.dataKey;
  try {
    const { data, format } = lean ? { data: lean.data, format: lean.format } : await readSource(source, options.format);
    const doc = parseInput(data, format);
    const sealed = await sealDocument(doc, {
      keyring,
      ...(options.ignoreMac ? { ignoreMac: true } : {}),
      ...(dataKey ? { dataKey } : options.dataKey ? { dataKey: options.dataKey } : {}),
    });
    return new Secrets(sealed.root, sealed.dataKey, sealed.metadata, format);
  } finally {
    // sealDocument copies a key it is given.
    dataKey?.fill(0);
  }
}

/**
 * The lean load: the secrets, or (declined) the data key it unwrapped and the input to load
 * through the full reader, or undefined when the format has no lean path.
 */
async function loadLean(
  source: SecretsSource,
  options: LoadOptions,
  keyring: Keyring,
): Promise<{ secrets: Secrets } | { dataKey: Uint8Array | undefined; data: string | Uint8Array; format: FormatName } | undefined> {
  let data: string | Uint8Array;
  let format: FormatName;
  // A key unwrapped by the streamed load, which declined after it: used again below.
  let unwrapped: Uint8Array | undefined;
  if (typeof source === "string") {
    format = options.format ?? formatForSecretsPath(source);
    if (leanInput(format) !== "bytes") return undefined;
    if (format === "yaml" && source !== "-") {
      const streamed = await loadStreamed(source, options, keyring);
      if (streamed && "secrets" in streamed) return streamed;
      unwrapped = streamed?.dataKey;
    }
    try {
      data = await readInput(source);
    } catch (e) {
      unwrapped?.fill(0);
      throw e;
    }
  } else {
    if (source === null || typeof source !== "object" || (typeof source.text !== "string" && !(source.text instanceof Uint8Array))) return undefined;
    format = options.format ?? source.format;
    if (leanInput(format) !== "bytes") return undefined;
    data = source.text;
  }
  const opened = openLean(data, format);
  if (!opened) return { dataKey: unwrapped, data, format };
  const sealed = await sealOpened(opened.doc, opened.metadata, format, options, keyring, unwrapped);
  return "secrets" in sealed ? sealed : { dataKey: sealed.dataKey, data, format };
}

/**
 * Unwraps the data key (or takes `unwrapped`, or a copy of the caller's) and checks a lean
 * document's MAC: the secrets, or the key when the document declines (zero-filled on a throw).
 */
async function sealOpened(
  doc: LeanDocument,
  metadata: Metadata,
  format: FormatName,
  options: LoadOptions,
  keyring: Keyring,
  unwrapped?: Uint8Array,
): Promise<{ secrets: Secrets } | { dataKey: Uint8Array }> {
  const dataKey = unwrapped ?? (options.dataKey ? offHeapKey(options.dataKey) : offHeapKey(await unwrapDataKey(metadata, keyring), true));
  let sealed;
  try {
    sealed = sealLean(doc, metadata, dataKey, options.ignoreMac ?? false);
  } catch (e) {
    dataKey.fill(0);
    throw e;
  }
  if (!sealed) return { dataKey };
  return { secrets: new Secrets(sealed.root, sealed.dataKey, sealed.metadata, format) };
}

/** From this size on, `load()` of a YAML file reads it in windows ({@link loadStreamed}). */
const STREAM_MIN_BYTES = 1024 * 1024;

/**
 * The lean load of a YAML file read in windows (formats/yaml-lean-stream.ts: the process never
 * holds the whole file): the secrets, or the data key it unwrapped before it declined (the caller
 * then reads the file whole), or undefined (not a regular file, not in the subset: nothing done).
 */
async function loadStreamed(path: string, options: LoadOptions, keyring: Keyring): Promise<{ secrets: Secrets } | { dataKey: Uint8Array } | undefined> {
  // A small file is read whole: the windows save nothing there, and reading the `sops` block
  // apart parses it with the full reader, a cost at every start of exec-env (issue 20). Looked at
  // before it is opened: opening a FIFO here, then again in readInput, could lose its writer.
  // (O_NONBLOCK: should it have become a FIFO since, the open does not wait for a writer.)
  let fd: number;
  try {
    const before = statSync(path);
    if (!before.isFile() || before.size < STREAM_MIN_BYTES) return undefined;
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined; // readInput reports it
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const doc = yamlLeanStream(stat.size, (buf, offset, length, position) => readSync(fd, buf, offset, length, position));
    if (!doc) return undefined;
    let metadata: Metadata;
    try {
      metadata = readMetadata(doc.rawMetadata);
    } catch {
      return undefined; // the full reader's error
    }
    return await sealOpened(doc, metadata, "yaml", options, keyring);
  } finally {
    closeSync(fd);
  }
}

/**
 * A copy of the data key over an ArrayBuffer of its own (off V8's heap, as sealed.ts keeps it);
 * `wipe` zero-fills the original (one this module unwrapped, never the caller's).
 */
function offHeapKey(key: Uint8Array, wipe = false): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(key.length));
  out.set(key);
  if (wipe) key.fill(0);
  return out;
}

interface Found {
  node: SealedNode;
  /** The map keys walked (the AAD of a value; list indexes are not part of it). */
  keys: string[];
}

/**
 * The values of one encrypted document, decrypted one at a time. Private state is in `#` fields,
 * so neither `console.log` nor `JSON.stringify` shows ciphertexts or the data key.
 */
export class Secrets {
  readonly #root: SealedMap;
  readonly #key: Uint8Array;
  readonly #metadata: Metadata;
  #disposed = false;
  /** The document's format. */
  readonly format: FormatName;

  /** Built by {@link load}; not meant to be called directly. */
  constructor(root: SealedMap, dataKey: Uint8Array, metadata: Metadata, format: FormatName) {
    this.#root = root;
    this.#key = dataKey;
    this.#metadata = metadata;
    this.format = format;
  }

  /** The file's sops metadata (recipients, wrapped keys, rules): nothing secret. */
  get metadata(): Metadata {
    return this.#metadata;
  }

  /** True once {@link dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * The value at `path`, decrypted now, or undefined when there is none. For a map or a list, the
   * whole subtree as a plain object or array (every value in it is decrypted).
   *
   * A dotted path also finds keys that contain dots (`"labels.app.kubernetes.io/name"`), trying the
   * nested reading first; `'labels["app.kubernetes.io/name"]'`, `"labels.app\\.kubernetes\\.io/name"`
   * and the array form (`["labels", "app.kubernetes.io/name"]`) are exact. A string that is not a
   * path (`"a["`, `"a..b"`) throws a HushError (INVALID_TREE_PATH).
   */
  get(path: SecretPath): SecretValue | undefined;
  /**
   * The value at `path` when it is a `string` (a `number`, a `boolean`), typed as such: no cast
   * needed (`const pw: string | undefined = secrets.get("db.password", "string")`). Undefined when
   * there is none; a value of another type throws a HushError (PARSE) that names the path and the
   * types, never the value.
   */
  get(path: SecretPath, type: "string"): string | undefined;
  get(path: SecretPath, type: "number"): number | undefined;
  get(path: SecretPath, type: "boolean"): boolean | undefined;
  get(path: SecretPath, type?: "string" | "number" | "boolean"): SecretValue | undefined {
    const found = this.#find(path);
    const value = found ? this.#toJs(found.node, found.keys) : undefined;
    if (type !== undefined && value !== undefined && typeof value !== type) {
      const actual = value === null ? "null" : Array.isArray(value) ? "list" : value instanceof Date ? "timestamp" : typeof value === "object" ? "map" : typeof value;
      throw new HushError("PARSE", `the value at ${typeof path === "string" ? path : formatLoosePath(path)} is a ${actual}, not a ${type}`);
    }
    return value;
  }

  /**
   * The value at `path` as bytes, decrypted now, for callers who want to wipe it after use
   * (`buf.fill(0)`): a string's UTF-8 bytes exactly as decrypted (never a JS string, which cannot
   * be wiped), another type's text as sops encrypts it (`5432`, `True`). Null for a null value,
   * undefined when there is none; a map or a list is an error (read its values one by one).
   */
  getBuffer(path: SecretPath): Uint8Array | null | undefined {
    const found = this.#find(path);
    if (!found) return undefined;
    const node = found.node;
    if (node instanceof Map || Array.isArray(node)) throw new HushError("USAGE", "getBuffer reads one value, not a map or a list");
    if (node instanceof SealedValue) return openValueBuffer(this.#key, node.enc, found.keys);
    const v = (node as Exclude<SealedLeaf, SealedValue>).value;
    if (v === null) return null;
    const out = Buffer.alloc(Buffer.byteLength(v.text, "utf8"));
    out.write(v.text, "utf8");
    return v.bytes ? Buffer.from(v.bytes) : out;
  }

  /** True when `path` names a value (null included), a map or a list. Decrypts nothing. */
  has(path: SecretPath): boolean {
    return this.#find(path) !== undefined;
  }

  /**
   * The dotted path of every value, in file order (`db.password`, `hosts.0`), each one a path
   * {@link get} finds (brackets and backslashes in keys escaped). Decrypts nothing.
   */
  keys(): string[] {
    this.#alive();
    const out: string[] = [];
    for (const e of this.#entries()) if (e.read) out.push(formatLoosePath(e.path));
    return out;
  }

  /** The whole document as a plain object (decrypts every value). */
  toObject(): { [key: string]: SecretValue } {
    this.#alive();
    return this.#toJs(this.#root, []) as { [key: string]: SecretValue };
  }

  /**
   * The values as environment variables, named and converted as `hush exec-env` does:
   * `db.password` → `DB_PASSWORD`, non-strings as sops writes them (see {@link EnvOptions}).
   */
  toEnv(options: EnvOptions = {}): Record<string, string> {
    this.#alive();
    return treeToEnv(this.#entries(), options);
  }

  /**
   * Zero-fills the data key and drops the ciphertexts; every later call throws. What `get()`
   * returned is a JS string (or number…), which no one can wipe: it stays in memory until the
   * garbage collector reuses it. Use {@link getBuffer} and zero the Buffer to avoid that.
   */
  dispose(): void {
    this.#key.fill(0);
    this.#root.clear();
    this.#disposed = true;
  }

  #alive(): void {
    if (this.#disposed) throw new HushError("GENERIC", "these secrets were disposed");
  }

  #find(path: SecretPath): Found | undefined {
    this.#alive();
    if (typeof path !== "string" && !Array.isArray(path)) throw new TypeError("path must be a string or an array of keys and indexes");
    // A string in either form, read leniently (dotted keys may join); an array exactly.
    const found = lookupPath<SealedNode>(this.#root, typeof path === "string" ? parsePathExpr(path) : path);
    return found && { node: found.node, keys: found.path.filter((p): p is string => typeof p === "string") };
  }

  #open(leaf: SealedLeaf, keys: readonly string[]): PlainValue | null {
    return leaf instanceof SealedValue ? openValue(this.#key, leaf.enc, keys) : leaf.value;
  }

  #toJs(node: SealedNode, keys: string[]): SecretValue {
    if (node instanceof Map) {
      const out: { [key: string]: SecretValue } = {};
      for (const [k, v] of node) {
        keys.push(k);
        setOwn(out, k, this.#toJs(v, keys));
        keys.pop();
      }
      return out;
    }
    if (Array.isArray(node)) return node.map((item) => this.#toJs(item, keys));
    return plainToJs(this.#open(node, keys));
  }

  /** Every scalar (and every empty map or list) with its path, in file order. */
  *#entries(): Generator<EnvSourceEntry> {
    const path: (string | number)[] = [];
    const keys: string[] = [];
    const self = this;
    const macOnly = this.#metadata.macOnlyEncrypted;
    function* walk(node: SealedNode): Generator<EnvSourceEntry> {
      if (node instanceof Map || Array.isArray(node)) {
        const size = node instanceof Map ? node.size : node.length;
        if (size === 0 && path.length > 0) yield { path: [...path] };
        const items: Iterable<[string | number, SealedNode]> = node instanceof Map ? node : node.entries();
        for (const [k, v] of items) {
          path.push(k);
          if (typeof k === "string") keys.push(k);
          yield* walk(v);
          if (typeof k === "string") keys.pop();
          path.pop();
        }
        return;
      }
      const at = [...keys];
      // Under mac_only_encrypted, a value stored in clear is outside the MAC (SOPS-FORMAT §5.4).
      const outside = macOnly && node instanceof ClearValue && node.value !== null;
      yield { path: [...path], read: () => self.#open(node, at), ...(outside ? { authenticated: false } : {}) };
    }
    yield* walk(this.#root);
  }
}

/** A decrypted scalar as a JS value (see {@link SecretValue}). */
function plainToJs(v: PlainValue | null): SecretValue {
  if (v === null) return null;
  switch (v.type) {
    case "int": {
      const n = Number(v.text);
      return Number.isSafeInteger(n) ? n : BigInt(v.text);
    }
    case "float":
      return parseGoFloat(v.text) ?? Number.NaN;
    case "bool":
      return v.text === "True" || v.text === "true";
    case "time":
      return new Date(v.text);
    default:
      return v.text;
  }
}

/** Sets a property even when the key is `__proto__` (a key in the file, not the prototype). */
function setOwn(o: { [key: string]: SecretValue }, k: string, v: SecretValue): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
