/**
 * The value tree of a document, as every format yields it and every layer reads it: maps keep
 * file order, lists are arrays, scalars are mutable cells holding a {@link PlainValue}.
 */
import type { PlainValue } from "./value.js";

/** The file formats hush reads and writes (sops's stores). */
export type FormatName = "yaml" | "json" | "dotenv" | "ini" | "binary";

/** A value in a document tree: a map (keys in file order), a list, or a scalar cell. */
export type TreeNode = TreeMap | TreeNode[] | TreeCell;
/** A map of a document tree, keys in file order. */
export type TreeMap = Map<string, TreeNode>;
/** A scalar; `null` for YAML/JSON null. Mutable: it follows `Leaf.set`. */
export interface TreeCell {
  value: PlainValue | null;
}
