/**
 * A decrypted document as a tree, for tools that pick values out of it: the GitHub Action (values
 * to mask and export), `hush share` (a few keys handed to someone) and `hush revoke` (which values
 * a recipient could read). One decryption, MAC verified, and the plaintext both as text (the
 * file's own layout) and as trees of typed cells.
 */
import { HushError } from "../errors.js";
import { decryptDocument } from "../core/document.js";
import type { Metadata } from "../model/metadata.js";
import { formatTreePath, parseTreePath, type TreePath } from "../model/tree-path.js";
import { documentBytes, type FormatName, type TreeCell, type TreeMap, type TreeNode } from "../formats/index.js";
import { Keyring, type KeyringOptions } from "../keys/registry.js";
import { parseDocument } from "./files.js";

/** How to open an encrypted document. */
export interface OpenOptions extends KeyringOptions {
  format: FormatName;
  keyring?: Keyring;
}

/** The plaintext of an encrypted document. */
export interface OpenedDocument {
  /** The plaintext in the file's own format and layout (what `hush decrypt` prints). */
  text: string;
  /** The same plaintext byte for byte (a binary file's content need not be UTF-8). */
  readonly bytes: Uint8Array;
  /** One tree per document (YAML may hold several), values decrypted. */
  trees: TreeMap[];
  metadata: Metadata;
}

/**
 * Decrypts `text` (MAC verified, never skipped: callers of this function hand values onwards) and
 * returns the plaintext as text and as trees. The data key is zero-filled before returning.
 */
export async function openDocument(text: string, options: OpenOptions): Promise<OpenedDocument> {
  const doc = parseDocument(text, options.format);
  const keyring = options.keyring ?? new Keyring(options);
  const res = await decryptDocument(doc, { keyring });
  res.dataKey.fill(0);
  return { text: doc.toString(), bytes: documentBytes(doc), trees: doc.trees(), metadata: res.metadata };
}

/** A scalar of a tree with its full path (map keys and list indexes). */
export interface ScalarEntry {
  readonly path: TreePath;
  readonly cell: TreeCell;
}

/** Every scalar below `node`, in document order; `prefix` is the path of `node` itself. */
export function* scalars(node: TreeNode, prefix: TreePath = []): Generator<ScalarEntry> {
  if (node instanceof Map) {
    for (const [k, v] of node) yield* scalars(v, [...prefix, k]);
  } else if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* scalars(node[i]!, [...prefix, i]);
  } else {
    yield { path: prefix, cell: node };
  }
}

/** A path as people write it: `db.password`, `hosts[1]` (keys are not secret; values never appear). */
export function pathLabel(path: TreePath): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[^.[\]"\s]+$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === "" ? "(the whole document)" : out;
}

/**
 * Finds a node by a sops tree path (`["db"]["password"]`, `["hosts"][0]`) or a dotted path
 * (`db.password`, `hosts.0`). In the dotted form a key may itself contain dots: at each map the
 * shortest key made of the next parts is tried first, then longer ones. Returns the node and its
 * exact path, or throws PATH_NOT_FOUND naming the path (never a value).
 */
export function findPath(tree: TreeNode, expr: string): { node: TreeNode; path: TreePath } {
  const trimmed = expr.trim();
  if (trimmed === "") throw new HushError("INVALID_TREE_PATH", "empty path");
  if (trimmed.startsWith("[")) {
    const path = parseTreePath(trimmed);
    let node: TreeNode = tree;
    for (const p of path) {
      const next = stepInto(node, p);
      if (next === undefined) throw new HushError("PATH_NOT_FOUND", `${formatTreePath(path)} not found`);
      node = next;
    }
    return { node, path };
  }
  const found = descend(tree, trimmed.split("."), 0, []);
  if (!found) throw new HushError("PATH_NOT_FOUND", `${JSON.stringify(trimmed)} not found`);
  return found;
}

function stepInto(node: TreeNode, p: string | number): TreeNode | undefined {
  if (node instanceof Map) return node.get(String(p));
  if (Array.isArray(node)) {
    const i = typeof p === "number" ? p : /^\d+$/.test(p) ? Number(p) : -1;
    return i >= 0 ? node[i] : undefined;
  }
  return undefined;
}

function descend(node: TreeNode, parts: readonly string[], at: number, path: TreePath): { node: TreeNode; path: TreePath } | undefined {
  if (at === parts.length) return { node, path };
  if (Array.isArray(node)) {
    const part = parts[at]!;
    if (!/^\d+$/.test(part)) return undefined;
    const next = node[Number(part)];
    return next === undefined ? undefined : descend(next, parts, at + 1, [...path, Number(part)]);
  }
  if (!(node instanceof Map)) return undefined;
  let key = "";
  for (let end = at; end < parts.length; end++) {
    key = end === at ? parts[at]! : `${key}.${parts[end]!}`;
    const next = node.get(key);
    if (next === undefined) continue;
    const found = descend(next, parts, end + 1, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
