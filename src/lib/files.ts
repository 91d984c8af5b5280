/**
 * Whole-document encryption and decryption of text, the functions the CLI, the git drivers, the
 * GitHub Action and user code share.
 */
import { HushError } from "../errors.js";
import { CiphertextStash, decryptDocument, encryptDocument, metadataOf, type EncryptOptions } from "../core/document.js";
import { decryptLean } from "../core/lean.js";
import { leanInput, openLean } from "./lean.js";
import { encryptLeanText, hasLeanEncrypt } from "./lean-encrypt.js";
import type { Metadata, SelectionRules, WrappedKey } from "../model/metadata.js";
import { getTreePath, type TreePath } from "../model/tree-path.js";
import type { IvSource } from "../core/cipher.js";
import { CELL_RENDERERS, documentBytes, emitTrees, emitTreesBytes, type FormatDocument, type FormatName, parseInput, treesHoldBytes, utf8 } from "../formats/index.js";
import { Keyring, unwrapDataKey, type KeyringOptions } from "../keys/registry.js";
import type { KeyRecipient } from "../keys/key-source.js";
// The endpoint policy reads .sops.yaml through the library (keys/trust.ts, lib/trust.ts).
import "./trust.js";

export interface DecryptTextOptions extends KeyringOptions {
  format: FormatName;
  /** Output format; the input format by default (then the file's layout is kept). */
  outputFormat?: FormatName;
  ignoreMac?: boolean;
  /** Print only this part of the tree (sops's `--extract`). */
  extract?: TreePath;
  keyring?: Keyring;
  /** Use this data key instead of unwrapping it. */
  dataKey?: Uint8Array;
  indent?: number;
}

/**
 * What {@link decryptText} returns. It carries no data key: the library unwraps it, uses it and
 * zero-fills it before returning. (hush 0.1.0 also returned `dataKey` and `stash` here; the
 * library's operations now keep both inside.)
 */
export interface DecryptTextResult {
  /** The plaintext as text. Binary content that is not UTF-8 is lossy here: use {@link bytes}. */
  text: string;
  /** The plaintext byte for byte (binary output and string `extract`s keep non-UTF-8 bytes). */
  readonly bytes: Uint8Array;
  metadata: Metadata;
}

/**
 * Library-internal: a decryption whose data key is still held, with the ciphertexts seen (for a
 * stable rewrite). Never leaves `src/lib`; whoever calls {@link decryptHeld} zero-fills `dataKey`
 * in its own `finally`.
 */
export interface HeldDecryption extends DecryptTextResult {
  dataKey: Uint8Array;
  stash: CiphertextStash;
}

/**
 * Parses text (or bytes) in a format, with the format's own errors. Bytes are read as UTF-8,
 * except for the binary format, which keeps them exactly.
 */
export function parseDocument(text: string | Uint8Array, format: FormatName, indent?: number): FormatDocument {
  return parseInput(text, format, indent === undefined ? {} : { indent });
}

/**
 * Decrypts a document's text and returns the plaintext. Pass bytes (a `Uint8Array`) for binary
 * files, and read {@link DecryptTextResult.bytes} for their output. The data key is zero-filled
 * before this returns (a `dataKey` passed in is copied, never modified).
 */
export async function decryptText(text: string | Uint8Array, options: DecryptTextOptions): Promise<DecryptTextResult> {
  // No stash: nothing is re-encrypted, so the ciphertexts need not outlive the walk.
  const res = await decryptPlain(text, options, false);
  res.dataKey.fill(0);
  return textResult(res.plain, { metadata: res.metadata });
}

/**
 * Library-internal {@link decryptText} that keeps the data key: the caller (an operation in
 * `src/lib`) owns `dataKey` and zero-fills it in its `finally`. A `dataKey` option is copied, so
 * zeroing the result never touches the caller's buffer. On failure nothing is left unzeroed.
 */
export async function decryptHeld(text: string | Uint8Array, options: DecryptTextOptions): Promise<HeldDecryption> {
  const res = await decryptPlain(text, options);
  return textResult(res.plain, { metadata: res.metadata, dataKey: res.dataKey, stash: res.stash });
}

/**
 * The data key is unwrapped here, not in core, so that the library owns it from the start: any
 * failure after unwrapping (a bad MAC, a missing `--extract` path) zero-fills it before throwing.
 */
async function decryptPlain(text: string | Uint8Array, options: DecryptTextOptions, stash = true) {
  let dataKey: Uint8Array | undefined;
  // The lean path (lib/lean.ts): a plain decrypt of the whole file to its own format, nothing
  // kept for a rewrite. It declines anything it does not handle; the data key it unwrapped is
  // then reused below, so a key service is asked once.
  const out = options.outputFormat ?? options.format;
  const lean = !stash && !options.extract && out === options.format ? leanInput(options.format) : undefined;
  if (lean) {
    if (lean === "text" && typeof text !== "string") text = utf8(text);
    const opened = openLean(text, options.format);
    if (opened) {
      dataKey = options.dataKey ? Uint8Array.from(options.dataKey) : await unwrapDataKey(opened.metadata, options.keyring ?? new Keyring(options));
      let plain: string | Uint8Array | null;
      try {
        plain = decryptLean(opened.doc, { dataKey, metadata: opened.metadata, ...(options.ignoreMac ? { ignoreMac: true } : {}) });
      } catch (e) {
        dataKey.fill(0);
        throw e;
      }
      if (plain !== null) return { plain, metadata: opened.metadata, dataKey, stash: new CiphertextStash() };
    }
  }
  let doc: FormatDocument;
  try {
    doc = parseDocument(text, options.format, options.indent);
  } catch (e) {
    dataKey?.fill(0);
    throw e;
  }
  dataKey ??= options.dataKey
    ? Uint8Array.from(options.dataKey)
    : await unwrapDataKey(metadataOf(doc), options.keyring ?? new Keyring(options));
  try {
    const res = await decryptDocument(doc, { dataKey, stash, ...(options.ignoreMac ? { ignoreMac: true } : {}) });
    // Text, or bytes where the output may not be UTF-8 (binary output, a string leaf).
    let plain: string | Uint8Array;
    if (options.extract) plain = extract(doc, options.extract, out, options.indent);
    else if (out === options.format) plain = out === "binary" ? documentBytes(doc) : doc.toString();
    else plain = out === "binary" ? emitTreesBytes(out, doc.trees()) : emitTrees(out, doc.trees(), options.indent);
    return { plain, metadata: res.metadata, dataKey, stash: res.stash };
  } catch (e) {
    dataKey.fill(0);
    throw e;
  }
}

/** The result with `text` and `bytes` both available; the one not produced is derived on first use. */
function textResult<T extends object>(plain: string | Uint8Array, rest: T): T & { text: string; readonly bytes: Uint8Array } {
  let text = typeof plain === "string" ? plain : undefined;
  let bytes = typeof plain === "string" ? undefined : plain;
  return {
    ...rest,
    get text(): string {
      return (text ??= utf8(bytes!));
    },
    set text(v: string) {
      text = v;
      bytes = undefined;
    },
    get bytes(): Uint8Array {
      return (bytes ??= Buffer.from(text!, "utf8"));
    },
  };
}

function extract(doc: FormatDocument, path: TreePath, out: FormatName, indent?: number): string | Uint8Array {
  const tree = doc.trees()[0];
  if (!tree) throw new HushError("PATH_NOT_FOUND", "the document is empty");
  const node = getTreePath(tree, path);
  if (node instanceof Map || Array.isArray(node)) return emitTrees(out, [node], indent);
  const v = node.value;
  // A string leaf is printed raw, with no newline added (as sops does); its bytes need not be UTF-8.
  if (v === null) return out === "json" ? "null" : "null\n";
  if (v.type === "str" || v.type === "bytes") return v.bytes ?? v.text;
  return out === "json" ? CELL_RENDERERS.json(node) : `${CELL_RENDERERS.yaml(node, 0, 4)}\n`;
}

/** Internal: the key of {@link EncryptTextOptions}' IV hook (tests only; not exported by lib/index.ts). */
export const IV_SOURCE: unique symbol = Symbol("hush.ivSource");

export interface EncryptTextOptions {
  format: FormatName;
  outputFormat?: FormatName;
  /** Recipients, one list per key group. */
  groups: readonly (readonly KeyRecipient[])[];
  rules?: SelectionRules;
  macOnlyEncrypted?: boolean;
  shamirThreshold?: number;
  indent?: number;
  /** Test and rewrite hooks: see {@link EncryptOptions}. */
  dataKey?: Uint8Array;
  /**
   * Fixed IVs, for tests that reproduce sops files byte for byte. Keyed by a symbol this package
   * does not export: through the public API an `ivSource` (or any other way to choose IVs) is
   * ignored, since two values under one data key and one IV break AES-GCM.
   */
  [IV_SOURCE]?: IvSource;
  now?: Date;
  stash?: CiphertextStash;
  /** Keep these wrapped keys instead of wrapping the data key anew (rewrites, writer tests). */
  wrappedKeys?: WrappedKey[][];
  /** The sops format version to record (default: the one hush targets). */
  version?: string;
}

/**
 * What {@link encryptText} returns: the encrypted document as text and as UTF-8 bytes (the one
 * not produced is derived on first use), and its metadata.
 */
export interface EncryptTextResult {
  text: string;
  readonly bytes: Uint8Array;
  metadata: Metadata;
}

/** Encrypts a plaintext document's text (bytes for binary files: every byte is kept). */
export async function encryptText(text: string | Uint8Array, options: EncryptTextOptions): Promise<EncryptTextResult> {
  const out = options.outputFormat ?? options.format;
  const opts: EncryptOptions = { groups: options.groups };
  if (options.rules) opts.rules = options.rules;
  if (options.macOnlyEncrypted) opts.macOnlyEncrypted = true;
  if (options.shamirThreshold) opts.shamirThreshold = options.shamirThreshold;
  if (options.dataKey) opts.dataKey = options.dataKey;
  if (options[IV_SOURCE]) opts.ivSource = options[IV_SOURCE];
  if (options.now) opts.now = options.now;
  if (options.stash) opts.stash = options.stash;
  if (options.wrappedKeys) opts.wrappedKeys = options.wrappedKeys;
  if (options.version) opts.version = options.version;
  // The lean path (lib/lean-encrypt.ts): the plain case, no conversion and no stash. It takes the
  // text or leaves it, before drawing any key or IV, so the full path below sees the same ones.
  if (out === options.format && !options.stash && hasLeanEncrypt(options.format)) {
    const lean = await encryptLeanText(text, options.format, { ...opts, ...(options.indent === undefined ? {} : { indent: options.indent }) });
    if (lean) return textResult(lean.output, { metadata: lean.metadata });
  }
  let doc = parseDocument(text, options.format, options.indent);
  if (out !== options.format) {
    const trees = doc.trees();
    // Converting goes through text, which cannot carry bytes that are not UTF-8 (binary input).
    if (treesHoldBytes(trees)) {
      throw new HushError("CANNOT_DUMP_TREE", `the input is not UTF-8 text, so it cannot be converted to ${out} before encryption; encrypt it as ${options.format}`);
    }
    doc = parseDocument(emitTrees(out, trees, options.indent), out, options.indent);
  }
  const metadata = await encryptDocument(doc, opts);
  return textResult(doc.toString(), { metadata });
}
