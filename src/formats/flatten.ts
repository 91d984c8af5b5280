/**
 * What the flat formats (dotenv and INI) share: sops's metadata flattening (`stores/flatten.go`,
 * SOPS-FORMAT §10.4.1); `ValToString` (§10.8) is `valToString` in `model/env.ts`.
 *
 * Flattening turns the sorted metadata tree into `key → string` pairs: a map child appends
 * `__map_<key>`, a list element `__list_<i>`, depth-first over the tree as `metadataToNode` sorts
 * it (so `__list_10` comes after `__list_9`, which a lexical sort of the strings would not give);
 * empty maps and lists give nothing. Unflattening rebuilds the plain JS form `readMetadata` takes.
 */
import { HushError } from "../errors.js";
import type { MetaNode } from "../model/metadata.js";

const MAP_SEP = "__map_";
const LIST_SEP = "__list_";

/**
 * Flattens a metadata tree (as `metadataToNode` returns it) into `[key, value]` pairs in sops's
 * order. Top-level keys get `prefix` (`sops_` for dotenv, `""` below INI's `[sops]`). Integers are
 * written in decimal and booleans as `true`/`false` (sops's `ValToString`); newlines are left as
 * they are, the caller escapes them.
 */
export function flattenMetadata(node: Map<string, MetaNode>, prefix: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (key: string, v: MetaNode): void => {
    if (v instanceof Map) {
      for (const [k, child] of v) walk(`${key}${MAP_SEP}${k}`, child);
    } else if (Array.isArray(v)) {
      v.forEach((child, i) => walk(`${key}${LIST_SEP}${i}`, child));
    } else {
      out.push([key, typeof v === "string" ? v : typeof v === "boolean" ? (v ? "true" : "false") : String(v)]);
    }
  };
  for (const [k, v] of node) walk(`${prefix}${k}`, v);
  return out;
}

type Token = { kind: "map"; key: string } | { kind: "list"; index: number };

/**
 * Splits a flattened key as sops's `tokenize` does: the text before the first separator is a map
 * key, then each `__map_<key>` or `__list_<i>` is one step. An index that is not a decimal number
 * is an error here (sops would silently read it as 0).
 */
function tokenize(path: string): Token[] {
  const tokens: Token[] = [];
  let kind: "normal" | "map" | "list" = "normal";
  let start = 0;
  const finish = (end: number): void => {
    if (kind === "list") {
      const digits = path.slice(start + LIST_SEP.length, end);
      if (!/^\d+$/.test(digits)) throw invalid(`"${path}" has a list index that is not a number`);
      tokens.push({ kind: "list", index: Number(digits) });
    } else {
      tokens.push({ kind: "map", key: path.slice(kind === "map" ? start + MAP_SEP.length : start, end) });
    }
    start = end;
  };
  let i = 0;
  while (i < path.length) {
    if (path.startsWith(MAP_SEP, i)) {
      finish(i);
      kind = "map";
      i += MAP_SEP.length;
    } else if (path.startsWith(LIST_SEP, i)) {
      finish(i);
      kind = "list";
      i += LIST_SEP.length;
    } else {
      i++;
    }
  }
  finish(path.length);
  return tokens;
}

function invalid(what: string): HushError {
  return new HushError("INVALID_METADATA", `invalid sops metadata: ${what}`);
}

type Node = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Node {
  return typeof v === "object" && v !== null;
}

/**
 * Rebuilds nested maps and lists from flattened `[key, value]` pairs (keys without any prefix).
 * A list with a missing index, or a key used both as a value and as a container, is a
 * {@link HushError} naming the key (metadata keys are not secret).
 */
export function unflattenMetadata(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [flatKey, value] of entries) {
    const tokens = tokenize(flatKey);
    let node: Node = root;
    tokens.forEach((tok, i) => {
      const next = tokens[i + 1];
      const slot = tok.kind === "map" ? tok.key : tok.index;
      if ((tok.kind === "map") === Array.isArray(node)) throw invalid(`"${flatKey}" mixes a list and a map`);
      const holder = node as Record<string | number, unknown>;
      if (next === undefined) {
        if (holder[slot] !== undefined) throw invalid(`"${flatKey}" is given twice or conflicts with another key`);
        holder[slot] = value;
        return;
      }
      let child = holder[slot];
      if (child === undefined) {
        child = next.kind === "map" ? (Object.create(null) as Record<string, unknown>) : [];
        holder[slot] = child;
      }
      if (!isContainer(child) || Array.isArray(child) !== (next.kind === "list")) {
        throw invalid(`"${flatKey}" conflicts with another key`);
      }
      node = child;
    });
  }
  checkComplete(root, "");
  return toPlain(root) as Record<string, unknown>;
}

/** sops's `Incomplete list`: every index from 0 to the highest must be present. */
function checkComplete(node: unknown, where: string): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      if (!(i in node) || node[i] === undefined) throw invalid(`incomplete list at ${where || "the top level"} (index ${i} is missing)`);
      checkComplete(node[i], `${where}${LIST_SEP}${i}`);
    }
  } else if (isContainer(node)) {
    for (const [k, v] of Object.entries(node)) checkComplete(v, where === "" ? k : `${where}${MAP_SEP}${k}`);
  }
}

/** Null-prototype objects (safe against `__proto__` keys) to ordinary ones, keys sorted as sops does. */
function toPlain(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toPlain);
  if (!isContainer(node)) return node;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(node).sort()) {
    Object.defineProperty(out, k, { value: toPlain((node as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * sops's `DecodeNewLines` + `DecodeNonStrings` for metadata read from a flat format: `\n` (two
 * characters) becomes a newline in every value, `mac_only_encrypted` is true only for `"true"`, and
 * `shamir_threshold` must be an integer.
 */
export function decodeFlatMetadata(entries: readonly (readonly [string, string])[]): [string, unknown][] {
  return entries.map(([k, v]) => {
    const s = v.replace(/\\n/g, "\n");
    if (k === "mac_only_encrypted") return [k, s === "true"];
    if (k === "shamir_threshold") {
      if (!/^[+-]?\d+$/.test(s)) throw invalid("shamir_threshold is not an integer");
      return [k, Number(s)];
    }
    return [k, s];
  });
}
