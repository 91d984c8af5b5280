/** sops's tree paths: `["key"][0]['other']` (SOPS-FORMAT §13, `--extract` and `set`). */
import { HushError } from "../errors.js";
import type { TreeNode } from "./tree.js";

/** A path into a document tree: map keys and list indexes from the root. */
export type TreePath = (string | number)[];

/** Parses a sops index expression. Each `[...]` holds a quoted key or a list index. */
export function parseTreePath(expr: string): TreePath {
  const out: TreePath = [];
  const re = /\[(?:"([^"]*)"|'([^']*)'|(\d+))\]/y;
  let at = 0;
  while (at < expr.length) {
    re.lastIndex = at;
    const m = re.exec(expr);
    if (!m) {
      throw new HushError("INVALID_TREE_PATH", `invalid tree path ${JSON.stringify(expr)}: expected ["key"] or [0] at character ${at + 1}`);
    }
    if (m[3] !== undefined && !Number.isSafeInteger(Number(m[3]))) {
      // Number() would round it to another index (or to Infinity); sops's strconv.Atoi fails too.
      throw new HushError("INVALID_TREE_PATH", `invalid tree path: list index at character ${at + 2} is too large`);
    }
    out.push(m[3] !== undefined ? Number(m[3]) : (m[1] ?? m[2])!);
    at = re.lastIndex;
  }
  if (out.length === 0) throw new HushError("INVALID_TREE_PATH", "empty tree path");
  return out;
}

/** Formats a path the way sops prints one: `["a"][0]`. */
export function formatTreePath(path: TreePath): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `[${JSON.stringify(p)}]`)).join("");
}

/** Follows a path in a document tree; a clear error names the first missing component. */
export function getTreePath(tree: TreeNode, path: TreePath): TreeNode {
  let node: TreeNode = tree;
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    let next: TreeNode | undefined;
    if (node instanceof Map) next = typeof p === "string" ? node.get(p) : node.get(String(p));
    else if (Array.isArray(node) && typeof p === "number") next = node[p];
    if (next === undefined) {
      throw new HushError("PATH_NOT_FOUND", `component ${formatTreePath([p])} of ${formatTreePath(path)} not found`);
    }
    node = next;
  }
  return node;
}
