/**
 * An encrypted document indexed for decryption on demand (the library's `load()`): the data key is
 * unwrapped and the MAC verified once, then only ciphertexts stay in memory and each value is
 * decrypted when it is asked for.
 *
 * Verifying the MAC needs every plaintext once (SOPS-FORMAT §6.3). They are fed to the hash one by
 * one and dropped, so the whole plaintext is never held at once; what is kept is the first
 * document's tree with an `ENC[...]` string (or a value stored in clear) at every leaf.
 */
import { HushError } from "../errors.js";
import type { FormatDocument, Leaf } from "../formats/format.js";
import type { TreeNode } from "../model/tree.js";
import { Keyring, unwrapDataKey } from "../keys/registry.js";
import { checkDataKey, decryptValue, feedDecrypted } from "./cipher.js";
import { aadOf, metadataOf, verifyMac } from "./document.js";
import { MacBuilder } from "./mac.js";
import type { Metadata } from "../model/metadata.js";
import { selector } from "./selection.js";
import type { PlainValue } from "../model/value.js";

/** A value still encrypted: its `ENC[...]` text, decrypted with its map-key path as AAD on demand. */
export class SealedValue {
  constructor(readonly enc: string) {}
}

/** A value the file stores in clear (unencrypted suffix or regex, an empty string), or null. */
export class ClearValue {
  constructor(readonly value: PlainValue | null) {}
}

export type SealedLeaf = SealedValue | ClearValue;
export type SealedMap = Map<string, SealedNode>;
/** The document tree with ciphertext leaves: maps keep file order, lists keep their items. */
export type SealedNode = SealedMap | SealedNode[] | SealedLeaf;

/** What {@link sealDocument} returns. */
export interface SealedDocument {
  /** The first document's tree (sops's `exec-env` and `--extract` also use branch 0). */
  readonly root: SealedMap;
  readonly metadata: Metadata;
  /** The unwrapped data key; the caller owns it and should zero-fill it when done. */
  readonly dataKey: Uint8Array;
}

export interface SealOptions {
  keyring?: Keyring;
  /** Skip MAC verification; a tampered value then fails only when it is read. */
  ignoreMac?: boolean;
  /** Use this data key instead of unwrapping one (it is copied, never modified). */
  dataKey?: Uint8Array;
}

/** A copy over an ArrayBuffer of its own (off V8's heap, see age-native.ts decryptPayload). */
function offHeapCopy(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(key.length));
  out.set(key);
  return out;
}

/**
 * Unwraps the data key, verifies the MAC over every value (decrypting each once and dropping it)
 * and returns the first document's tree with its ciphertexts. Throws what `decryptDocument` throws:
 * COULD_NOT_RETRIEVE_KEY, DECRYPT_TREE, MAC_MISMATCH.
 */
export async function sealDocument(doc: FormatDocument, options: SealOptions = {}): Promise<SealedDocument> {
  const metadata = metadataOf(doc);
  const dataKey = options.dataKey ? offHeapCopy(options.dataKey) : await unwrapDataKey(metadata, options.keyring ?? new Keyring());
  checkDataKey(dataKey);
  try {
    const { values, sealed } = checkLeaves(doc.leaves(), metadata, dataKey, options.ignoreMac ?? false);
    const tree = doc.trees()[0];
    const root = tree ? (indexTree(tree, values, sealed) as SealedMap) : new Map<string, SealedNode>();
    return { root, metadata, dataKey };
  } catch (e) {
    dataKey.fill(0);
    throw e;
  }
}

/**
 * One pass over the leaves in file order: decides which values are encrypted and, unless told not
 * to, decrypts each to feed the MAC, keeping none of the plaintexts.
 */
function checkLeaves(leaves: readonly Leaf[], meta: Metadata, key: Uint8Array, ignoreMac: boolean): { values: Leaf[]; sealed: Uint8Array } {
  const sel = selector(meta.rules);
  const mac = new MacBuilder(meta.macOnlyEncrypted);
  const values: Leaf[] = [];
  const sealed = new Uint8Array(leaves.length);
  for (const leaf of leaves) {
    if (leaf.kind === "comment") continue; // comments are not values and not in the MAC
    const i = values.push(leaf) - 1;
    if (!sel.encrypts(leaf.path, leaf.commentStack, false)) {
      mac.add(leaf.value, false);
      continue;
    }
    if (leaf.value.type !== "str") {
      throw new HushError("DECRYPT_TREE", `value at ${describePath(leaf.path)} should be encrypted but is a plain ${leaf.value.type}`);
    }
    if (leaf.value.text === "") {
      // sops never encrypts empty strings (SOPS-FORMAT §3.4): it stays a clear "".
      mac.add(leaf.value, true);
      continue;
    }
    sealed[i] = 1;
    // Straight from the decipher to the hash, then zeroed: no JS string of a value not yet read.
    if (!ignoreMac) feedValue(key, leaf.value.text, leaf.path, (b) => mac.addBytes(b));
  }
  if (!ignoreMac) verifyMac(meta, key, mac.digest());
  return { values, sealed };
}

/**
 * Copies the tree, replacing each cell by a {@link SealedValue} or a {@link ClearValue}. Cells and
 * value leaves come in the same file order; a leaf is paired with the next cell at the same path
 * holding the same value, which also skips leaves the tree does not keep (a repeated JSON key).
 */
function indexTree(tree: TreeNode, values: readonly Leaf[], sealed: Uint8Array): SealedNode {
  let next = 0;
  const keys: string[] = [];
  const walk = (node: TreeNode): SealedNode => {
    if (node instanceof Map) {
      const out: SealedMap = new Map();
      for (const [k, child] of node) {
        keys.push(k);
        out.set(k, walk(child));
        keys.pop();
      }
      return out;
    }
    if (Array.isArray(node)) return node.map(walk);
    const v = node.value;
    if (v === null) return new ClearValue(null);
    while (next < values.length && !matches(values[next]!, keys, v)) next++;
    if (next === values.length) throw new HushError("INTERNAL", `no leaf found for the value at ${describePath(keys)}`);
    const i = next++;
    return sealed[i] === 1 ? new SealedValue(v.text) : new ClearValue(v);
  };
  return walk(tree);
}

function matches(leaf: Leaf, path: readonly string[], v: PlainValue): boolean {
  if (leaf.value !== v && (leaf.value.type !== v.type || leaf.value.text !== v.text)) return false;
  if (leaf.path.length !== path.length) return false;
  for (let i = 0; i < path.length; i++) if (leaf.path[i] !== path[i]) return false;
  return true;
}

/**
 * Decrypts one value (its AAD is its map-key path; list indexes are not part of it). Failures name
 * the path, never the value.
 */
export function openValue(key: Uint8Array, enc: string, path: readonly string[]): PlainValue {
  try {
    return decryptValue(key, enc, aadOf(path));
  } catch (e) {
    if (e instanceof HushError) {
      throw new HushError("DECRYPT_TREE", `cannot decrypt the value at ${describePath(path)}: ${e.message}`, undefined, { cause: e });
    }
    throw e;
  }
}

/** {@link openValue} as bytes the caller owns and may zero (`Secrets.getBuffer`). */
export function openValueBuffer(key: Uint8Array, enc: string, path: readonly string[]): Buffer {
  let out: Buffer | undefined;
  // One copy, made from the decipher's buffer, which is zeroed.
  feedValue(key, enc, path, (b) => {
    out = Buffer.alloc(b.length); // not from Node's shared pool: the caller's fill(0) covers it all
    out.set(b);
  });
  return out!;
}

/** {@link openValue} for the MAC: the plaintext bytes go to `sink` and are zeroed (cipher.ts). */
function feedValue(key: Uint8Array, enc: string, path: readonly string[], sink: (bytes: Uint8Array) => void): void {
  try {
    feedDecrypted(key, enc, aadOf(path), sink);
  } catch (e) {
    if (e instanceof HushError) {
      throw new HushError("DECRYPT_TREE", `cannot decrypt the value at ${describePath(path)}: ${e.message}`, undefined, { cause: e });
    }
    throw e;
  }
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? "the top level" : path.map((k) => JSON.stringify(k)).join(".");
}
