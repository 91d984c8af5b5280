/**
 * A decrypted document as a tree, for tools that pick values out of it: the GitHub Action (values
 * to mask and export), `hush share` (a few keys handed to someone) and `hush revoke` (which values
 * a recipient could read). One decryption, MAC verified, and the plaintext both as text (the
 * file's own layout) and as trees of typed cells.
 */
import { HushError } from "../errors.js";
import { decryptDocument, metadataOf } from "../core/document.js";
import type { Metadata } from "../model/metadata.js";
import { formatPath, formatTreePath, lookupPath, parsePathExpr, type TreePath } from "../model/tree-path.js";
import { documentBytes, type FormatName, type TreeCell, type TreeMap, type TreeNode } from "../formats/index.js";
import { Keyring, unwrapDataKey, type KeyringOptions } from "../keys/registry.js";
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
  const dataKey = await unwrapDataKey(metadataOf(doc), options.keyring ?? new Keyring(options));
  try {
    const res = await decryptDocument(doc, { dataKey });
    return { text: doc.toString(), bytes: documentBytes(doc), trees: doc.trees(), metadata: res.metadata };
  } finally {
    dataKey.fill(0);
  }
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
  return path.length === 0 ? "(the whole document)" : formatPath(path);
}

/**
 * Finds a node by a path in either form (`model/tree-path.ts`): `["db"]["password"]`,
 * `db.password`, `hosts[0]` or `hosts.0`. Read leniently: a dotted path also finds keys that
 * contain dots (`labels.app.kubernetes.io/name`), the nested reading first. Returns the node and
 * its exact path, or throws PATH_NOT_FOUND naming the path (never a value).
 */
export function findPath(tree: TreeNode, expr: string): { node: TreeNode; path: TreePath } {
  const trimmed = expr.trim();
  if (trimmed === "") throw new HushError("INVALID_TREE_PATH", "empty path");
  const parsed = parsePathExpr(trimmed);
  const found = lookupPath(tree, parsed);
  if (!found) throw new HushError("PATH_NOT_FOUND", `${trimmed.startsWith("[") ? formatTreePath(parsed.path) : JSON.stringify(trimmed)} not found`);
  return found;
}
