/**
 * `load()` over a lean document (issue 20, memory): the MAC is checked at load as sealed.ts does
 * (each value decrypted once, straight into the hash, and zeroed), but what is kept is the file's
 * bytes (or, for a file read in windows, the index's own store of keys and decoded ciphertexts)
 * and a compact index (formats/lean-index.ts) rather than a tree of ciphertext strings.
 * The tree `Secrets` walks is a view over the index: a map is an {@link IndexedMap} (a `Map` whose
 * lookups go to the index, one hash probe per key), made when it is reached; a leaf is the same
 * {@link SealedValue} or {@link ClearValue} sealed.ts makes, read from the bytes when asked for.
 * Anything the lean scanner declines, and every failure, returns null: the caller then loads
 * through the full reader (sealDocument), which gives the real result or the real error.
 */
import { HushError } from "../errors.js";
import { LEAN_DECLINE, type LeanDocument, type LeanVisitor } from "../formats/lean.js";
import { KIND_MAP, KIND_SEQ, KIND_VALUE, type LeanIndex } from "../formats/lean-index.js";
import type { Metadata } from "../model/metadata.js";
import { checkDataKey, feedDecrypted } from "./cipher.js";
import { verifyMac } from "./document.js";
import { MacBuilder } from "./mac.js";
import { ClearValue, SealedValue, type SealedDocument, type SealedMap, type SealedNode } from "./sealed.js";
import { selector, type Selector } from "./selection.js";

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/**
 * Checks the MAC of a lean document and returns its sealed view, or null (see the module
 * comment). `dataKey` is the caller's: it is kept by the result, and zero-filled by the caller
 * when this returns null.
 */
export function sealLean(doc: LeanDocument, metadata: Metadata, dataKey: Uint8Array, ignoreMac: boolean): SealedDocument | null {
  checkDataKey(dataKey);
  if (!doc.index || metadata.rules.unencrypted_comment_regex || metadata.rules.encrypted_comment_regex) return null;
  const sel = selector(metadata.rules);
  const mac = new MacBuilder(metadata.macOnlyEncrypted);
  const visit: LeanVisitor = (path, aad, value) => {
    if (!sel.encrypts(path, NO_COMMENTS, false)) {
      mac.add(value, false);
      return undefined;
    }
    if (value.type !== "str") throw LEAN_DECLINE; // the full path's DECRYPT_TREE error
    if (value.text === "") mac.add(value, true);
    // Straight from the decipher to the hash, then zeroed: no JS string of a value not yet read.
    else if (!ignoreMac) feedDecrypted(dataKey, value.text, aad, (b) => mac.addBytes(b));
    return undefined;
  };
  let index: LeanIndex | null;
  try {
    index = doc.index(visit);
    if (index && !ignoreMac) verifyMac(metadata, dataKey, mac.digest());
  } catch (e) {
    if (e === LEAN_DECLINE || e instanceof HushError) return null;
    throw e;
  }
  if (!index) return null;
  return { root: new IndexedMap(index, 0, [], sel), metadata, dataKey };
}

/** A node of the view: a map, a list (materialised when reached), or a leaf. */
function nodeAt(ix: LeanIndex, id: number, path: readonly string[], sel: Selector): SealedNode {
  const kind = ix.kind(id);
  if (kind === KIND_MAP) return new IndexedMap(ix, id, path, sel);
  if (kind === KIND_SEQ) return ix.children(id).map((c) => nodeAt(ix, c, path, sel));
  if (kind !== KIND_VALUE) return new ClearValue(null);
  const v = ix.value(id)!;
  // As sealDocument: encrypted and not empty is a ciphertext; the rest is stored in clear.
  return sel.encrypts(path, NO_COMMENTS, false) && v.text !== "" ? new SealedValue(v.text) : new ClearValue(v);
}

/**
 * A mapping of the view. A real `Map` (tree-path.ts and Secrets test `instanceof Map`) that holds
 * nothing itself: `get`, `has`, `size` and iteration read the index.
 */
class IndexedMap extends Map<string, SealedNode> {
  #ix: LeanIndex | undefined;
  readonly #id: number;
  readonly #path: readonly string[];
  readonly #sel: Selector;

  constructor(ix: LeanIndex, id: number, path: readonly string[], sel: Selector) {
    super();
    this.#ix = ix;
    this.#id = id;
    this.#path = path;
    this.#sel = sel;
  }

  override get(key: string): SealedNode | undefined {
    const ix = this.#ix;
    if (!ix || typeof key !== "string") return undefined;
    const c = ix.find(this.#id, key);
    return c === -1 ? undefined : nodeAt(ix, c, [...this.#path, key], this.#sel);
  }

  override has(key: string): boolean {
    return this.#ix !== undefined && typeof key === "string" && this.#ix.find(this.#id, key) !== -1;
  }

  override get size(): number {
    return this.#ix ? this.#ix.children(this.#id).length : 0;
  }

  override *entries(): MapIterator<[string, SealedNode]> {
    const ix = this.#ix;
    if (!ix) return;
    for (const c of ix.children(this.#id)) {
      const k = ix.key(c);
      yield [k, nodeAt(ix, c, [...this.#path, k], this.#sel)];
    }
  }

  override [Symbol.iterator](): MapIterator<[string, SealedNode]> {
    return this.entries();
  }

  override *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  override *values(): MapIterator<SealedNode> {
    for (const [, v] of this.entries()) yield v;
  }

  override forEach(fn: (value: SealedNode, key: string, map: Map<string, SealedNode>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  /** Drops the index and the file's bytes it reads (Secrets.dispose clears the root). */
  override clear(): void {
    this.#ix?.clear();
    this.#ix = undefined;
  }

  override set(): this {
    throw new TypeError("a loaded document is read-only");
  }

  override delete(): boolean {
    throw new TypeError("a loaded document is read-only");
  }
}
