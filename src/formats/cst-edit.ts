/**
 * Structural edits of plaintext YAML and JSON that keep every other byte: setting a value at a
 * tree path (creating missing keys, appending to lists) and removing one. Used by `hush set`,
 * `hush unset` and the merge driver. Edits are text splices at CST offsets of a fresh parse.
 */
import { CST, Parser } from "yaml";
import { HushError } from "../errors.js";
import { formatTreePath, listIndex, type TreePath } from "../model/tree-path.js";
import type { TreeNode } from "../model/tree.js";
import { childIndent, emitJsonDocument } from "./emit.js";
import { CELL_RENDERERS, emitTrees, getFormat } from "./index.js";
import { blockStyleOf, isCrlf, restyleBlock, toCrlf } from "./cst-layout.js";

type Token = CST.Token;
type Item = CST.CollectionItem;
type Collection = CST.BlockMap | CST.BlockSequence | CST.FlowCollection;

interface Located {
  /** The collection holding the last component found. */
  parent: Collection;
  item: Item;
}

const isFlow = (c: Collection): c is CST.FlowCollection => c.type === "flow-collection";
const isMap = (c: Collection) => c.type === "block-map" || (c.type === "flow-collection" && c.start.source === "{");

function keyText(key: Token | null | undefined): string | undefined {
  if (!key || !CST.isScalar(key)) return undefined;
  return CST.resolveAsScalar(key)?.value;
}

function asCollection(t: Token | undefined): Collection | undefined {
  return t && (t.type === "block-map" || t.type === "block-seq" || t.type === "flow-collection") ? t : undefined;
}

function entries(c: Collection): Item[] {
  return (c.items as Item[]).filter((i) => i.key || i.value || (c.type === "block-seq" && i.start.some((t) => t.type === "seq-item-ind")));
}

/** The offset just past a token's own text (without trailing spaces, comments or newlines). */
function endOf(t: Token): number {
  switch (t.type) {
    case "scalar":
    case "single-quoted-scalar":
    case "double-quoted-scalar":
    case "alias":
      return t.offset + t.source.length;
    case "block-scalar":
      return t.offset + CST.stringify(t).length;
    case "flow-collection": {
      const close = t.end.find((e) => e.type === "flow-map-end" || e.type === "flow-seq-end");
      return close ? close.offset + 1 : t.offset + CST.stringify(t).length;
    }
    default:
      return t.offset + CST.stringify(t).length;
  }
}

/** The end of an item including its line break (for block collections). */
function itemEnd(item: Item): number {
  const last = item.value ?? item.key;
  if (!last) return -1;
  return last.offset + CST.stringify(last).length;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function column(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

class Editor {
  readonly root: Collection;
  constructor(
    readonly text: string,
    readonly format: "yaml" | "json",
    readonly step: number,
  ) {
    const tokens = [...new Parser().parse(text)];
    const doc = tokens.find((t): t is CST.Document => t.type === "document");
    const root = asCollection(doc?.value);
    if (!root || !isMap(root)) throw new HushError("PARSE", "the document is not a mapping");
    this.root = root;
  }

  /** Finds the deepest existing prefix of `path`. */
  walk(path: TreePath): { found: number; container: Collection; located?: Located } {
    let container = this.root;
    let located: Located | undefined;
    for (let i = 0; i < path.length; i++) {
      const p = path[i]!;
      const items = entries(container);
      let item: Item | undefined;
      // Steps are followed as every path is (model/tree-path.ts): a number names a map key by its
      // digits, a string of digits a list item (`hosts.0`).
      if (isMap(container)) {
        item = items.find((it) => keyText(it.key) === String(p));
      } else {
        const index = listIndex(p);
        if (index === undefined) throw new HushError("INVALID_TREE_PATH", `${formatTreePath(path.slice(0, i + 1))}: a list is indexed by number`);
        item = items[index];
      }
      if (!item) return { found: i, container, ...(located ? { located } : {}) };
      located = { parent: container, item };
      if (i === path.length - 1) return { found: path.length, container, located };
      const next = asCollection(item.value);
      if (!next) {
        throw new HushError("INVALID_TREE_PATH", `${formatTreePath(path.slice(0, i + 1))} is a value, not a mapping or list`);
      }
      container = next;
    }
    return { found: path.length, container, ...(located ? { located } : {}) };
  }

  /**
   * Text of a new node, for a place whose owner (key or dash) sits at `col`; in flow context
   * (JSON) continuation lines get `lineIndent` (the indentation of the line the member starts on).
   */
  render(node: TreeNode, col: number, inFlow: boolean, lineIndent = ""): { inline: string } | { block: string } {
    if (this.format === "json" || inFlow) {
      const json = emitJsonDocument(CELL_RENDERERS, node, this.format === "json" ? this.jsonUnit() : "    ");
      return { inline: json.split("\n").map((l, i) => (i === 0 ? l : lineIndent + l)).join("\n") };
    }
    if (node instanceof Map || Array.isArray(node)) {
      if ((node instanceof Map ? node.size : node.length) === 0) return { inline: node instanceof Map ? "{}" : "[]" };
      const inner = childIndent(col, this.step);
      const text = emitTrees("yaml", [node instanceof Map ? node : new Map([["x", node]])], this.step);
      const body = node instanceof Map ? text : text.split("\n").slice(1).join("\n");
      const shift = node instanceof Map ? inner : inner - this.step;
      return { block: body.split("\n").map((l) => (l === "" ? l : " ".repeat(shift) + l)).join("\n") };
    }
    const text = emitTrees("yaml", [new Map([["x", node]])], this.step).slice(2).trimStart();
    if (text.startsWith("|")) {
      const inner = childIndent(col, this.step);
      const [head, ...rest] = text.split("\n");
      return { inline: [head, ...rest.map((l) => (l === "" ? l : " ".repeat(inner - this.step) + l))].join("\n").replace(/\n$/, "") };
    }
    return { inline: text.replace(/\n$/, "") };
  }

  jsonUnit(): string {
    const m = /\n([ \t]+)\S/.exec(this.text);
    return m ? m[1]! : "\t";
  }

}

/** Builds the node to insert for the missing part of a path (maps for keys, lists for indexes). */
function nest(rest: TreePath, value: TreeNode): TreeNode {
  let node = value;
  for (let i = rest.length - 1; i >= 1; i--) {
    const p = rest[i]!;
    node = typeof p === "string" ? new Map([[p, node]]) : [node];
  }
  return node;
}

/** Parses a `hush set` value: JSON, typed as the JSON format types it (ints stay ints). */
export function parseSetValue(json: string): TreeNode {
  let doc;
  try {
    doc = getFormat("json").parse(`{"v": ${json}}`);
  } catch {
    throw new HushError("USAGE", "the value must be JSON: a string needs quotes, e.g. '\"text\"'");
  }
  const node = doc.trees()[0]!.get("v");
  if (node === undefined) throw new HushError("USAGE", "the value must be JSON");
  return node;
}

/**
 * Returns `text` with the value at `path` set to `value`, creating missing keys. New YAML blocks
 * are indented by `step`, else by the file's own step (as the reader detects it), else 4.
 */
export function setAtPath(text: string, format: "yaml" | "json", path: TreePath, value: TreeNode, step?: number): string {
  // New text is generated with `\n`: a CRLF file stays CRLF.
  const out = setAtPathLf(text, format, path, value, step);
  return isCrlf(text) ? toCrlf(out) : out;
}

function setAtPathLf(text: string, format: "yaml" | "json", path: TreePath, value: TreeNode, step?: number): string {
  if (path.length === 0) throw new HushError("INVALID_TREE_PATH", "empty tree path");
  const ed = new Editor(text, format, step ?? fileStep(text, format));
  const { found, container, located } = ed.walk(path);
  if (found === path.length && located) return replaceItem(ed, located, value);
  const p = path[found]!;
  const node = nest(path.slice(found), value);
  if (isMap(container)) return insertInto(ed, container, String(p), node);
  if (listIndex(p) === undefined) throw new HushError("INVALID_TREE_PATH", `${formatTreePath(path.slice(0, found + 1))}: a list is indexed by number`);
  return insertInto(ed, container, undefined, node);
}

/** The indentation step the YAML reader finds in `text` (4 for JSON, or when it finds none). */
function fileStep(text: string, format: "yaml" | "json"): number {
  if (format !== "yaml") return 4;
  const doc = getFormat("yaml").parse(text) as { indentStep?: number };
  return doc.indentStep ?? 4;
}

function replaceItem(ed: Editor, loc: Located, value: TreeNode): string {
  const { text } = ed;
  const { parent, item } = loc;
  const flow = isFlow(parent) || ed.format === "json";
  const old = item.value;
  // Where the value starts: after `:` (maps) or `-` (block lists).
  let start: number;
  let ownerCol: number;
  if (item.key) {
    const ind = (item.sep ?? []).find((t) => t.type === "map-value-ind");
    if (!ind) throw new HushError("PARSE", "unsupported mapping entry");
    start = ind.offset + 1;
    ownerCol = column(text, item.key.offset);
  } else {
    const dash = item.start.find((t) => t.type === "seq-item-ind");
    start = dash ? dash.offset + 1 : old!.offset;
    ownerCol = dash ? column(text, dash.offset) : column(text, old!.offset);
  }
  const end = old ? endOf(old) : start;
  let r = ed.render(value, ownerCol, flow, lineIndent(text, start));
  // A block scalar given a new string keeps its style and column (cst-layout.ts).
  const was = !flow && old?.type === "block-scalar" ? blockStyleOf(old) : undefined;
  const cell = value instanceof Map || Array.isArray(value) ? undefined : value.value;
  if (was && "inline" in r && cell?.type === "str" && !cell.bytes) {
    const rendered = r.inline.startsWith("|") ? ({ kind: "block", header: "", body: "" } as const) : ({ kind: "flow", type: "scalar", source: "" } as const);
    const kept = restyleBlock(cell.text, was, rendered, ownerCol);
    if (kept.kind === "block" && kept !== rendered) r = { inline: `${kept.header}\n${kept.body.replace(/\n$/, "")}` };
  }
  if (flow) {
    const from = old ? old.offset : start;
    return text.slice(0, from) + (old ? "" : " ") + ("inline" in r ? r.inline : r.block) + text.slice(end);
  }
  // Keep what followed the value on its line (a comment) for scalars; a block replaces lines.
  if ("inline" in r) {
    const from = old && CST.isScalar(old) && old.type !== "block-scalar" ? old.offset : start;
    const lead = from === start ? " " : "";
    const to = old && old.type === "block-scalar" ? endOf(old) - 1 : end;
    // A block collection's extent ends with its last line break: keep one after the new value.
    const eol = old && (old.type === "block-map" || old.type === "block-seq") && text[to - 1] === "\n" ? "\n" : "";
    return text.slice(0, from) + lead + r.inline + eol + text.slice(to);
  }
  const to = old ? itemEnd(item) : end;
  const tail = text.slice(to);
  return `${text.slice(0, start)}\n${r.block.replace(/\n$/, "")}\n${tail.startsWith("\n") ? tail.slice(1) : tail}`;
}

function insertInto(ed: Editor, c: Collection, key: string | undefined, node: TreeNode): string {
  const { text } = ed;
  const items = entries(c);
  const keyRender = (k: string) => (ed.format === "json" ? JSON.stringify(k) : emitTrees("yaml", [new Map([[k, { value: null }]])]).replace(/: null\n$/, ""));
  if (isFlow(c) || ed.format === "json") {
    const fc = c as CST.FlowCollection;
    const close = fc.end.find((t) => t.type === "flow-map-end" || t.type === "flow-seq-end")!;
    const last = items[items.length - 1];
    const multiline = text.slice(fc.offset, close.offset).includes("\n");
    const memberCol = last ? column(text, (last.key ?? last.value)!.offset) : column(text, fc.offset) + ed.step;
    const indent = last ? lineIndent(text, (last.key ?? last.value)!.offset) : `${lineIndent(text, fc.offset)}${ed.jsonUnit()}`;
    const r = ed.render(node, memberCol, true, multiline ? indent : lineIndent(text, fc.offset));
    const member = `${key !== undefined ? `${keyRender(key)}: ` : ""}${"inline" in r ? r.inline : r.block}`;
    if (!last) {
      const inner = multiline ? `\n${indent}${member}\n${lineIndent(text, fc.offset)}` : member;
      return text.slice(0, fc.offset + 1) + inner + text.slice(close.offset);
    }
    const at = endOf((last.value ?? last.key)!);
    return `${text.slice(0, at)},${multiline ? `\n${indent}` : " "}${member}${text.slice(at)}`;
  }
  // Block collections: a new line after the last item, at the items' column.
  const last = items[items.length - 1]!;
  const col = c.type === "block-map" ? column(text, last.key!.offset) : column(text, last.start.find((t) => t.type === "seq-item-ind")!.offset);
  let at = itemEnd(last);
  let prefix = "";
  if (at > 0 && text[at - 1] !== "\n") prefix = "\n";
  const r = ed.render(node, col, false);
  const pad = " ".repeat(col);
  const head = c.type === "block-map" ? `${pad}${keyRender(key!)}:` : `${pad}-`;
  const line = "inline" in r ? `${head} ${r.inline}\n` : `${head}\n${r.block.replace(/\n$/, "")}\n`;
  at = Math.min(at, text.length);
  return text.slice(0, at) + prefix + line + text.slice(at);
}

function lineIndent(text: string, offset: number): string {
  const ls = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(ls))![0];
}

/** Returns `text` without the value at `path`; undefined when the path does not exist. */
export function unsetAtPath(text: string, format: "yaml" | "json", path: TreePath, step = 4): string | undefined {
  const out = unsetAtPathLf(text, format, path, step);
  return out !== undefined && isCrlf(text) ? toCrlf(out) : out;
}

function unsetAtPathLf(text: string, format: "yaml" | "json", path: TreePath, step: number): string | undefined {
  const ed = new Editor(text, format, step);
  const { found, located } = ed.walk(path);
  if (found !== path.length || !located) return undefined;
  const { parent, item } = located;
  const items = entries(parent);
  const idx = items.indexOf(item);
  if (isFlow(parent) || format === "json") {
    const first = (i: Item) => (i.key ?? i.value)!.offset;
    const endItem = endOf((item.value ?? item.key)!);
    if (idx + 1 < items.length) return text.slice(0, first(item)) + text.slice(first(items[idx + 1]!));
    if (idx > 0) return text.slice(0, endOf((items[idx - 1]!.value ?? items[idx - 1]!.key)!)) + text.slice(endItem);
    const fc = parent as CST.FlowCollection;
    const close = fc.end.find((t) => t.type === "flow-map-end" || t.type === "flow-seq-end")!;
    return text.slice(0, fc.offset + 1) + text.slice(close.offset);
  }
  if (items.length === 1 && parent !== ed.root) {
    // The last entry of a nested block: leave an empty collection behind, as sops does.
    return setAtPath(text, format, path.slice(0, -1), parent.type === "block-map" ? new Map() : [], step);
  }
  const anchor = item.key ?? item.start.find((t) => t.type === "seq-item-ind") ?? item.value!;
  const from = lineStart(text, anchor.offset);
  return text.slice(0, from) + text.slice(itemEnd(item));
}
