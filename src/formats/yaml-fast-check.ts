/**
 * The fast YAML reader's last steps (yaml-fast.ts): checking that the tokens are what the yaml
 * package's Composer would accept without an error, reading the `sops` block, and the tokens'
 * text. Anything else throws {@link DECLINE}, and the package reads the text instead.
 */
import type { CST } from "yaml";
import { MAX_DEPTH } from "./cst-dialect.js";
import { DECLINE } from "./yaml-fast-lexer.js";

type Token = CST.Token;
type SourceToken = CST.SourceToken;
type Item = CST.CollectionItem;
/** A scalar token with the value the lexer found for it. */
export type FastScalar = (CST.FlowScalar | CST.BlockScalar) & { resolved?: string };

/**
 * Nesting deeper than this is left to the yaml package, which refuses more than MAX_DEPTH levels
 * with the proper error (the validation here recurses, well within the stack at this depth).
 */
const FAST_DEPTH = Math.min(MAX_DEPTH - 100, 200);

// ---- what the Composer would accept -----------------------------------------------------------

/**
 * Checks the tokens have the shapes the subset allows (so the yaml package's Composer would
 * report no error, and its reading of the `sops` block is known): one document whose value is a
 * block mapping at column 0, keys one-line scalars at their mapping's column, values on the key's
 * line or nested blocks below it. Returns the root mapping.
 */
export function checkTokens(text: string, tokens: readonly Token[]): CST.BlockMap {
  const column = (t: { offset: number }) => t.offset - text.lastIndexOf("\n", t.offset - 1) - 1;
  let doc: CST.Document | undefined;
  for (const t of tokens) {
    if (t.type === "document") {
      if (doc) throw DECLINE;
      doc = t;
    } else if (t.type !== "comment" && t.type !== "newline" && t.type !== "space") throw DECLINE;
  }
  const root = doc?.value;
  if (!doc || !root || root.type !== "block-map" || root.indent !== 0) throw DECLINE;
  onlyBlank(doc.start);
  if (doc.end) onlyBlank(doc.end);
  checkMap(root, 0, 0);
  return root;

  function checkMap(map: CST.BlockMap, col: number, depth: number): void {
    if (depth > FAST_DEPTH) throw DECLINE;
    for (const item of map.items) {
      onlyBlank(item.start);
      const key = item.key;
      if (!key) {
        if (item.sep || item.value) throw DECLINE;
        continue;
      }
      if (key.type !== "scalar" && key.type !== "single-quoted-scalar" && key.type !== "double-quoted-scalar") throw DECLINE;
      if (key.indent !== col || column(key) !== col || key.end) throw DECLINE;
      const sep = item.sep!;
      if (sep.length === 0 || sep[0]!.type !== "map-value-ind") throw DECLINE;
      onlyBlank(sep.slice(1));
      checkValue(item.value, sep, col, depth, true);
    }
  }

  function checkSeq(seq: CST.BlockSequence, col: number, depth: number): void {
    if (depth > FAST_DEPTH) throw DECLINE;
    for (const item of seq.items) {
      let dash = -1;
      for (let i = 0; i < item.start.length; i++) {
        const t = item.start[i]!;
        if (t.type === "seq-item-ind") {
          if (dash !== -1 || column(t) !== col) throw DECLINE;
          dash = i;
        } else if (t.type !== "space" && t.type !== "comment" && t.type !== "newline") throw DECLINE;
      }
      if (dash === -1 || ("key" in item && item.key) || ("sep" in item && item.sep)) throw DECLINE;
      if (item.value && hasNewline(item.start, dash)) throw DECLINE; // `-` alone, its value below
      checkValue(item.value, [], col, depth, false);
    }
  }

  /** A value: a scalar on its owner's line, or a nested block (below a key, or `- k: v`, `- - v`). */
  function checkValue(value: Token | undefined, sep: readonly SourceToken[], col: number, depth: number, inMap: boolean): void {
    if (!value) return;
    switch (value.type) {
      case "scalar":
      case "single-quoted-scalar":
      case "double-quoted-scalar":
        if (hasNewline(sep)) throw DECLINE;
        if (value.end) onlyBlank(value.end);
        return;
      case "block-scalar":
        if (hasNewline(sep) || value.props.length !== 2) throw DECLINE;
        return;
      case "block-map": {
        const first = value.items[0]?.key;
        if (!first) throw DECLINE;
        const c = column(first);
        if (c <= col || (inMap && !hasNewline(sep))) throw DECLINE;
        checkMap(value, c, depth + 1);
        return;
      }
      case "block-seq": {
        // Below its key (at the key's column or deeper), or on its parent's `- ` line.
        const c = column(value);
        if (inMap ? !hasNewline(sep) || c < col : c <= col) throw DECLINE;
        checkSeq(value, c, depth + 1);
        return;
      }
    }
    throw DECLINE;
  }
}

function onlyBlank(list: readonly SourceToken[]): void {
  for (const t of list) if (t.type !== "space" && t.type !== "comment" && t.type !== "newline") throw DECLINE;
}

function hasNewline(list: readonly SourceToken[], from = 0): boolean {
  for (let i = from; i < list.length; i++) if (list[i]!.type === "newline") return true;
  return false;
}

// ---- the sops block ---------------------------------------------------------------------------

/** The root's `sops` value as the yaml package's `toJS` gives it (core schema), or undefined. */
export function readSops(root: CST.BlockMap): unknown {
  for (const item of root.items) {
    if (item.key && (item.key as FastScalar).resolved === "sops") return toJS(item.value);
  }
  return undefined;
}

function toJS(t: Token | undefined): unknown {
  if (!t) return null;
  switch (t.type) {
    case "scalar":
      return coreScalar((t as FastScalar).resolved!);
    case "single-quoted-scalar":
    case "double-quoted-scalar":
    case "block-scalar":
      return (t as FastScalar).resolved!;
    case "block-seq":
      return t.items.map((i) => toJS(i.value));
    case "block-map": {
      const out: Record<string, unknown> = {};
      for (const item of t.items) {
        if (!item.key) continue;
        const k = toJS(item.key);
        if (typeof k !== "string" || k === "__proto__") throw DECLINE;
        out[k] = toJS(item.value);
      }
      return out;
    }
  }
  throw DECLINE;
}

/** A plain scalar of the `sops` block in the YAML 1.2 core schema; numbers other than small decimals are declined. */
function coreScalar(s: string): unknown {
  if (s === "" || s === "~" || s === "null" || s === "Null" || s === "NULL") return null;
  if (s === "true" || s === "True" || s === "TRUE") return true;
  if (s === "false" || s === "False" || s === "FALSE") return false;
  if (/^(0|[1-9][0-9]{0,14})$/.test(s)) return Number(s);
  if (/^[-+]?(\.[0-9]|[0-9])/.test(s) || /^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/.test(s)) {
    // int, float or an exponent form in the core schema, or a string that looks like one
    if (/^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$|^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(s)) throw DECLINE;
    if (/^[-+]?\./.test(s)) throw DECLINE;
  }
  return s;
}

// ---- text -------------------------------------------------------------------------------------

/**
 * The text of tokens (the yaml package's `CST.stringify`: sources in order). Collected and joined
 * once: one flat string, where `+=` per token built a rope of a node per token (100k values:
 * tens of MB held while the output is written).
 */
export function stringify(t: Token): string {
  const parts: string[] = [];
  collect(t, parts);
  return parts.join("");
}

function collect(t: Token, out: string[]): void {
  switch (t.type) {
    case "block-scalar":
      for (const tok of t.props) collect(tok, out);
      out.push(t.source);
      return;
    case "block-map":
    case "block-seq":
      for (const item of t.items) collectItem(item, out);
      return;
    case "document":
      collectItem(t as unknown as Item, out);
      if (t.end) for (const st of t.end) out.push(st.source);
      return;
    default: {
      out.push((t as SourceToken).source);
      const end = (t as { end?: SourceToken[] }).end;
      if (end) for (const st of end) out.push(st.source);
    }
  }
}

function collectItem(item: Item, out: string[]): void {
  for (const st of item.start) out.push(st.source);
  if ("key" in item && item.key) collect(item.key, out);
  if ("sep" in item && item.sep) for (const st of item.sep) out.push(st.source);
  if (item.value) collect(item.value, out);
}
