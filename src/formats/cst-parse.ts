/**
 * YAML and JSON read by the `yaml` package: its CST parser for the tokens the walker (cst.ts)
 * rewrites, and its Composer for the errors the CST does not report and for the `sops` block.
 * The only formats module that loads the package (yaml-fast.ts reads plain files without it).
 */
import { Composer, CST, Parser, type Document } from "yaml";
import { HushError } from "../errors.js";
import type { FormatName } from "../model/tree.js";
import { MAX_DEPTH, type ParsedCst } from "./cst-dialect.js";

type Token = CST.Token;
type Item = CST.CollectionItem;

/**
 * Parses a YAML (or already checked JSON) text; throws the format's errors. `json` is given for
 * a text that passed `JSON.parse` (json.ts), with its top-level `sops` value: the Composer is then
 * skipped. It finds no error in strict JSON, and composing a large JSON file was the peak of its
 * decryption (a node per scalar, each string resolved a character at a time: ~700 MB for 100k
 * values, 16 MB of text).
 */
export function parseCst(text: string, format: FormatName, json?: { readonly sops: unknown }): ParsedCst {
  const what = format === "json" ? "JSON" : "YAML";
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const where = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return ` at line ${lo + 1}, column ${offset - lineStarts[lo]! + 1}`;
  };
  const tokens = [...new Parser().parse(text)];
  checkDepth(tokens, (t) => `invalid ${what}${where(t.offset)}: document nested too deeply (limit ${MAX_DEPTH} levels)`);
  if (json) return { tokens, raw: jsonRaw(tokens, json.sops), resolve: (t) => CST.resolveAsScalar(t), stringify: (t) => CST.stringify(t) };
  // uniqueKeys: false: the Composer's own duplicate-key check compares each key with every
  // earlier one (O(n²): 40,000 keys took 10 s); the walker checks with a Set instead.
  const composed = [...new Composer({ keepSourceTokens: false, uniqueKeys: false }).compose(tokens.slice())];
  for (const doc of composed) {
    for (const err of doc.errors) {
      // The yaml package's message quotes the source line; ours never does (it may hold a secret).
      throw new HushError("PARSE", `invalid ${what}${where(err.pos[0])}: ${err.code.toLowerCase().replace(/_/g, " ")}`);
    }
  }
  // Only the sops block is needed from the composed documents: read it now and let the rest go
  // (for JSON they are larger than the file's tokens and our own tree together).
  return { tokens, raw: readRaw(composed[0]), resolve: (t) => CST.resolveAsScalar(t), stringify: (t) => CST.stringify(t) };
}

/**
 * Refuses documents nested deeper than {@link MAX_DEPTH}, before anything recursive runs (the
 * yaml package's Composer, the walk, emitters): past ~1,400 levels they overflow the stack, at a
 * depth that depends on how deep the caller already is. Iterative, one pass over the tokens.
 */
function checkDepth(tokens: readonly Token[], message: (t: Token) => string): void {
  const todo: [Token, number][] = tokens.map((t) => [t, 0]);
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [t, depth] = next;
    if (t.type === "document") {
      if (t.value) todo.push([t.value, depth]);
    } else if (t.type === "block-map" || t.type === "block-seq" || t.type === "flow-collection") {
      if (depth >= MAX_DEPTH) throw new HushError("PARSE", message(t));
      for (const item of t.items as Item[]) {
        if (item.key) todo.push([item.key, depth + 1]);
        if (item.value) todo.push([item.value, depth + 1]);
      }
    }
  }
}

/** The JSON document's `sops` value (from `JSON.parse`); a second top-level `sops` member is an error, as in readRaw. */
function jsonRaw(tokens: readonly Token[], sops: unknown): ParsedCst["raw"] {
  const doc = tokens.find((t): t is CST.Document => t.type === "document");
  const root = doc?.value;
  if (!root || root.type !== "flow-collection") return { value: undefined };
  let count = 0;
  for (const item of root.items) {
    if (item.key?.type !== "double-quoted-scalar") continue;
    if (item.key.source === '"sops"' || CST.resolveAsScalar(item.key)?.value === "sops") count++;
  }
  if (count > 1) return { error: new HushError("INVALID_METADATA", "found a duplicate sops entry") };
  return { value: sops };
}

/** The `sops` block of a composed document as plain JS; an error (kept for rawMetadata) when unreadable. */
function readRaw(first: Document.Parsed | undefined): ParsedCst["raw"] {
  const contents = first?.contents;
  if (!first || !contents || !("items" in contents)) return { value: undefined };
  let found: unknown;
  let count = 0;
  for (const pair of contents.items as { key: unknown; value: unknown }[]) {
    const k = pair.key as { value?: unknown } | null;
    if (k && typeof k === "object" && k.value === "sops") {
      count++;
      found = pair.value;
    }
  }
  if (count > 1) return { error: new HushError("INVALID_METADATA", "found a duplicate sops entry") };
  if (found === undefined) return { value: undefined };
  const node = found as { toJS?: (doc: Document) => unknown } | null;
  if (node === null || typeof node !== "object" || typeof node.toJS !== "function") return { value: node };
  try {
    return { value: node.toJS(first) };
  } catch (e) {
    // The yaml package refuses alias bombs ("Excessive alias count …", a ReferenceError).
    if (e instanceof HushError) return { error: e };
    return { error: new HushError("INVALID_METADATA", `invalid sops metadata: it cannot be read (${e instanceof Error ? e.name : "error"})`) };
  }
}
