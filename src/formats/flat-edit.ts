/**
 * `set` and `unset` on the flat formats, dotenv and INI, as text edits of the plaintext that leave
 * every other line as it was. A dotenv path is one key (`API_KEY`, `["API_KEY"]`); an INI path is
 * a section and a key (`["section"]["key"]`, or `section.key`; keys before the first header are in
 * the section `DEFAULT`, as in sops). Values are strings there (sops reads every dotenv and INI
 * value as one), so a JSON number or boolean is written as its text and a map or list is refused.
 *
 * Only the format's own parser and writer are used (`Format.parse`, `Leaf.set`, `toString`), so a
 * value is quoted and escaped exactly as the format writes values; positions come from a marker
 * value written through the same writer, then located in the text.
 */
import { randomBytes } from "node:crypto";
import { HushError } from "../errors.js";
import { valToString } from "../model/env.js";
import type { TreePath } from "../model/tree-path.js";
import type { TreeNode } from "../model/tree.js";
import { getFormat } from "./index.js";

/** The value a new line is written with before the format's writer replaces it (plain in every format). */
const PLACEHOLDER = "hush-new-value";

/** The formats edited here. */
export type FlatFormat = "dotenv" | "ini";

/** The string a flat file stores for a `set` value (sops's `ValToString` for non-strings). */
function flatString(value: TreeNode, format: FlatFormat): string {
  if (value instanceof Map || Array.isArray(value)) {
    throw new HushError("USAGE", `${format === "ini" ? "INI" : "dotenv"} values are strings: a map or list cannot be set`);
  }
  return valToString(value.value);
}

/** The path's keys, checked against the format's shape. */
function keysOf(path: TreePath, format: FlatFormat): string[] {
  const want = format === "dotenv" ? 1 : 2;
  if (path.length !== want || path.some((p) => typeof p !== "string")) {
    throw new HushError(
      "INVALID_TREE_PATH",
      format === "dotenv"
        ? `a dotenv path is one key, e.g. API_KEY or '["API_KEY"]' (a key with dots: '["a.b"]')`
        : `an INI path is a section and a key, e.g. '["section"]["key"]' or section.key`,
    );
  }
  const keys = path as string[];
  for (const k of keys) {
    if (k === "" || /[\r\n=]/.test(k) || k.trim() !== k || (format === "ini" && /[[\]:;#]/.test(k))) {
      throw new HushError("INVALID_TREE_PATH", `${JSON.stringify(k)} cannot be a ${format === "ini" ? "INI" : "dotenv"} key`);
    }
  }
  if (format === "dotenv" && (/^[#\s]/.test(keys[0]!) || /\s/.test(keys[0]!) || keys[0] === "sops" || keys[0]!.startsWith("sops_"))) {
    throw new HushError("INVALID_TREE_PATH", `${JSON.stringify(keys[0])} cannot be a dotenv key`);
  }
  if (format === "ini" && keys[0] === "sops") throw new HushError("INVALID_TREE_PATH", "the [sops] section holds the metadata");
  return keys;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Sets the value of the leaf at `keys` in `text`; false when there is no such leaf. */
function setLeaf(text: string, format: FlatFormat, keys: string[], value: string): string | undefined {
  const doc = getFormat(format).parse(text);
  const leaf = doc.leaves().find((l) => l.kind === "value" && same(l.path, keys));
  if (!leaf) return undefined;
  leaf.set({ type: "str", text: value });
  return doc.toString();
}

/** Returns `text` with the value at `path` set, adding the key (and an INI section) when missing. */
export function setFlatValue(text: string, format: FlatFormat, path: TreePath, value: TreeNode): string {
  const keys = keysOf(path, format);
  const str = flatString(value, format);
  const existing = setLeaf(text, format, keys, str);
  if (existing !== undefined) return existing;
  const added = format === "dotenv" ? appendLine(text, `${keys[0]}=${PLACEHOLDER}`) : addIniKey(text, keys[0]!, keys[1]!);
  const next = setLeaf(added, format, keys, str);
  // The new line must read back as exactly this key (a key the parser reads otherwise is refused).
  if (next === undefined) throw new HushError("INVALID_TREE_PATH", `cannot add ${JSON.stringify(keys.join("."))} to this ${format} file`);
  return next;
}

/** Returns `text` without the value at `path`, or undefined when there is none. */
export function unsetFlatValue(text: string, format: FlatFormat, path: TreePath): string | undefined {
  const keys = keysOf(path, format);
  const marker = `hush-unset-${randomBytes(12).toString("hex")}`;
  const marked = setLeaf(text, format, keys, marker);
  if (marked === undefined) return undefined;
  const at = marked.indexOf(marker);
  const start = marked.lastIndexOf("\n", at) + 1;
  const nl = marked.indexOf("\n", at);
  const end = nl < 0 ? marked.length : nl + 1;
  const next = marked.slice(0, start) + marked.slice(end);
  const doc = getFormat(format).parse(next);
  if (doc.leaves().some((l) => l.kind === "value" && same(l.path, keys)) || next.includes(marker)) {
    throw new HushError("INTERNAL", `could not remove ${JSON.stringify(keys.join("."))}`);
  }
  return next;
}

function appendLine(text: string, line: string): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  return text === "" || text.endsWith("\n") ? `${text}${line}${eol}` : `${text}${eol}${line}${eol}`;
}

/** Adds `key = ` at the end of `section` (after its last non-blank line), or a new section at the end. */
function addIniKey(text: string, section: string, key: string): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split("\n");
  const header = (l: string) => /^\s*\[(.*)\]\s*$/.exec(l.replace(/\r$/, ""))?.[1]?.trim();
  const headers = lines.map(header);
  let start = headers.findIndex((h) => h === section);
  let end: number;
  if (start < 0 && section === "DEFAULT") {
    // The implicit DEFAULT section: the lines before the first header.
    start = -1;
    end = headers.findIndex((h) => h !== undefined);
    if (end < 0) end = lines.length;
  } else if (start < 0) {
    const body = text === "" || text.endsWith("\n") ? text : text + eol;
    return `${body}${body === "" ? "" : eol}[${section}]${eol}${key} = ${PLACEHOLDER}${eol}`;
  } else {
    end = headers.findIndex((h, i) => i > start && h !== undefined);
    if (end < 0) end = lines.length;
  }
  let at = end;
  while (at > start + 1 && lines[at - 1]!.replace(/\r$/, "").trim() === "") at--;
  lines.splice(at, 0, `${key} = ${PLACEHOLDER}${eol === "\r\n" ? "\r" : ""}`);
  return lines.join("\n");
}
