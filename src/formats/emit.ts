/**
 * Writers for whole trees in the layouts sops produces: yaml.v3's block style (indented
 * sequences, literal blocks, unlimited width) and Go's `json.Indent`. They write the `sops`
 * metadata block, and documents converted between formats (`--output-type`, `--extract`).
 */
import type { MetaNode } from "../model/metadata.js";
import { jsonNumber, jsonString } from "./json-scalars.js";
import { yamlScalar } from "./yaml-scalars.js";
import type { TreeCell, TreeNode } from "../model/tree.js";

/** yaml.v3 puts nested content at the next multiple of the indent beyond the owner's column. */
export function childIndent(col: number, step: number): number {
  return (Math.floor(col / step) + 1) * step;
}

/** A tree to emit: maps, lists, and leaves rendered by a callback. */
type Node<L> = Map<string, Node<L>> | Node<L>[] | L;

interface Emitter<L> {
  isLeaf(n: Node<L>): n is L;
  /** YAML text of a leaf (a literal block starts with its header and ends with a newline). */
  yaml(leaf: L, keyCol: number, step: number): string;
  json(leaf: L): string;
}

function yamlEntries<L>(e: Emitter<L>, map: Map<string, Node<L>>, col: number, step: number, firstPrefix?: string): string {
  let out = "";
  let first = true;
  for (const [k, v] of map) {
    const pad = first && firstPrefix !== undefined ? firstPrefix : " ".repeat(col);
    first = false;
    const key = yamlScalar(k, { indent: col + step, bestIndent: step, inFlow: false }).source;
    out += `${pad}${key}:${yamlValue(e, v, col, step)}`;
  }
  return out;
}

/** The text after `key:` or `-` (starting with a space or a newline), ending with a newline. */
function yamlValue<L>(e: Emitter<L>, v: Node<L>, keyCol: number, step: number): string {
  if (e.isLeaf(v)) {
    const s = e.yaml(v, keyCol, step);
    return ` ${s}${s.endsWith("\n") ? "" : "\n"}`;
  }
  if (v instanceof Map) {
    if (v.size === 0) return " {}\n";
    return `\n${yamlEntries(e, v, childIndent(keyCol, step), step)}`;
  }
  if (v.length === 0) return " []\n";
  return `\n${yamlItems(e, v, childIndent(keyCol, step), step)}`;
}

/** Sequence items with their `-` at column `col`; the first line may start with `firstPrefix`. */
function yamlItems<L>(e: Emitter<L>, list: Node<L>[], col: number, step: number, firstPrefix?: string): string {
  let out = "";
  list.forEach((item, i) => {
    const dash = `${i === 0 && firstPrefix !== undefined ? firstPrefix : " ".repeat(col)}- `;
    // A non-empty map or list in an item starts on the dash's line (yaml.v3's compact form).
    if (item instanceof Map && item.size > 0) out += yamlEntries(e, item, col + 2, step, dash);
    else if (Array.isArray(item) && item.length > 0) out += yamlItems(e, item, col + 2, step, dash);
    else out += `${dash.slice(0, -1)}${yamlValue(e, item, col, step)}`;
  });
  return out;
}

function jsonTree<L>(e: Emitter<L>, v: Node<L>, unit: string, depth: number): string {
  if (e.isLeaf(v)) return e.json(v);
  const inner = unit.repeat(depth + 1);
  const close = unit.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + jsonTree(e, x, unit, depth + 1)).join(",\n")}\n${close}]`;
  }
  if (v.size === 0) return "{}";
  const parts: string[] = [];
  for (const [k, x] of v) parts.push(`${inner}${jsonString(k)}: ${jsonTree(e, x, unit, depth + 1)}`);
  return `{\n${parts.join(",\n")}\n${close}}`;
}

// ---- metadata -------------------------------------------------------------------------------

type MetaLeaf = string | number | boolean;
const metaEmitter: Emitter<MetaLeaf> = {
  isLeaf: (n): n is MetaLeaf => typeof n !== "object",
  yaml(v, keyCol, step) {
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") return String(v);
    return yamlScalar(v, { indent: childIndent(keyCol, step), bestIndent: step, inFlow: false }).source;
  },
  json(v) {
    if (typeof v === "string") return jsonString(v);
    if (typeof v === "number") return jsonNumber(v);
    return v ? "true" : "false";
  },
};

/** `sops:` and its block, ending with a newline, for the end of a YAML document. */
export function yamlMetadataBlock(node: Map<string, MetaNode>, step: number): string {
  return `sops:${yamlValue(metaEmitter, node as Node<MetaLeaf>, 0, step)}`;
}

/** Go's `json.Indent` output of a metadata value at `depth` levels of `unit` indentation. */
export function jsonValue(v: MetaNode, unit: string, depth: number): string {
  return jsonTree(metaEmitter, v as Node<MetaLeaf>, unit, depth);
}

// ---- document trees -------------------------------------------------------------------------

/** Leaf renderers for document trees, given by the formats (they own the value styles). */
export interface CellRenderers {
  yaml(cell: TreeCell, keyCol: number, step: number): string;
  json(cell: TreeCell): string;
}

function treeEmitter(r: CellRenderers): Emitter<TreeCell> {
  return {
    isLeaf: (n): n is TreeCell => !(n instanceof Map) && !Array.isArray(n),
    yaml: r.yaml,
    json: r.json,
  };
}

/** A YAML document (several joined by `---`) in sops's layout. */
export function emitYamlDocuments(r: CellRenderers, trees: readonly TreeNode[], step = 4): string {
  const e = treeEmitter(r);
  return trees
    .map((t) => {
      if (t instanceof Map) return t.size === 0 ? "{}\n" : yamlEntries(e, t as Map<string, Node<TreeCell>>, 0, step);
      return yamlValue(e, t as Node<TreeCell>, -step, step).replace(/^[ \n]/, "");
    })
    .join("---\n");
}

/** A JSON document in sops's layout (tab indent unless told otherwise), with no trailing newline. */
export function emitJsonDocument(r: CellRenderers, tree: TreeNode, unit = "\t"): string {
  return jsonTree(treeEmitter(r), tree as Node<TreeCell>, unit, 0);
}
