/**
 * A fast reader for the YAML that sops writes and most configuration files are made of: block
 * mappings and sequences indented with spaces, one-line plain and quoted scalars, `|`/`|-`
 * literal blocks, comments and blank lines. The yaml package's lexer and parser (a generator per
 * token, every character looked at several times) were the largest cost of decrypting a large
 * file, and loading the package a visible part of every `hush decrypt`.
 *
 * It produces the same CST tokens as the yaml package's Parser, by the same steps (the functions
 * below follow `parser.js` of yaml 2.x closely: where a comment ends up decides which sops path
 * it is encrypted with), so that the walker in cst.ts gives exactly the leaves, trees and text
 * the package would. Anything outside that subset, or that the package's Composer might report as
 * an error, returns null instead: the caller then reads the text with the package, which gives
 * the real result or the real error.
 */
import type { CST } from "yaml";
import type { ParsedCst } from "./cst-dialect.js";
import { checkTokens, readSops, stringify, type FastScalar } from "./yaml-fast-check.js";
import { DECLINE, FastLexer } from "./yaml-fast-lexer.js";

type Token = CST.Token;
type SourceToken = CST.SourceToken;
type ScalarToken = CST.FlowScalar | CST.BlockScalar;
type Node = CST.Document | CST.BlockMap | CST.BlockSequence | CST.FlowScalar | CST.BlockScalar;

/** The tokens of `text` if it is in the subset, else null. */
export function parseFastYaml(text: string): ParsedCst | null {
  if (!plainChars(text)) return null;
  try {
    const p = new FastParser(text);
    const tokens = p.run();
    const root = checkTokens(text, tokens);
    return { tokens, raw: { value: readSops(root) }, resolve, stringify };
  } catch (e) {
    if (e === DECLINE) return null;
    throw e;
  }
}

/**
 * Replaces the layout tokens that nearly every entry of a block mapping has (an indentation
 * `space` before the key, `: ` after it, the value's line break) with one frozen copy per spelling,
 * in place. For the walker (cst.ts) and `stringify` only: these tokens' offsets are then not
 * their own, and nothing reads them (offsets come from keys, values, comments and `-`
 * indicators, which stay unshared); nothing rewrites them either (a tag's `drop` edits only
 * separators that hold a tag; a rewritten value gets a new `end`). Freezing makes a write throw
 * rather than change every entry. A 100k-value file's tokens shrink by ~40%.
 */
export function shareLayoutTokens(tokens: readonly Token[]): void {
  const starts = new Map<string, SourceToken[]>();
  const seps = new Map<string, SourceToken[]>();
  const frozen = (type: SourceToken["type"], source: string): SourceToken => Object.freeze({ type, offset: -1, indent: -1, source }) as SourceToken;
  const endNewline = Object.freeze([frozen("newline", "\n")]) as unknown as SourceToken[];
  const todo: Token[] = [];
  for (const t of tokens) if (t.type === "document" && t.value) todo.push(t.value);
  for (let t = todo.pop(); t; t = todo.pop()) {
    if (t.type === "block-seq") {
      for (const item of t.items) if (item.value) todo.push(item.value);
      continue;
    }
    if (t.type !== "block-map") continue;
    for (const item of t.items as CST.CollectionItem[]) {
      const st = item.start;
      if (st.length === 1 && st[0]!.type === "space") {
        const src = st[0]!.source;
        let shared = starts.get(src);
        if (!shared) starts.set(src, (shared = Object.freeze([frozen("space", src)]) as unknown as SourceToken[]));
        item.start = shared;
      }
      const sep = item.sep;
      if (sep?.length === 2 && sep[0]!.type === "map-value-ind" && sep[0]!.source === ":" && sep[1]!.type === "space") {
        const src = sep[1]!.source;
        let shared = seps.get(src);
        if (!shared) seps.set(src, (shared = Object.freeze([frozen("map-value-ind", ":"), frozen("space", src)]) as unknown as SourceToken[]));
        item.sep = shared;
      }
      const v = item.value;
      if (!v) continue;
      if (v.type === "block-map" || v.type === "block-seq") todo.push(v);
      else if ((v.type === "scalar" || v.type === "single-quoted-scalar" || v.type === "double-quoted-scalar") && v.end?.length === 1 && v.end[0]!.type === "newline" && v.end[0]!.source === "\n") {
        v.end = endNewline;
      }
    }
  }
}

/** No tab, CR, BOM, control or line-separator character anywhere (each has its own YAML rules). */
const SPECIAL_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
function plainChars(text: string): boolean {
  return !SPECIAL_CHARS.test(text);
}

function resolve(token: ScalarToken): { value: string } | null {
  const v = (token as FastScalar).resolved;
  return v === undefined ? null : { value: v };
}

// ---- lexer and parser -----------------------------------------------------------------------

/**
 * The yaml package's Lexer (for the subset, line by line) feeding a port of its Parser. The
 * lexer calls {@link FastParser.next} with each token as the package's lexer would emit it.
 */
class FastParser extends FastLexer {
  private readonly out: Token[] = [];
  private readonly stack: Node[] = [];
  // Parser state (parser.js).
  private atNewLine = true;
  private indent = 0;
  private offset = 0;
  private onKeyLine = false;
  private type = "";
  private source = "";

  protected end(): Token[] {
    while (this.stack.length > 0) this.pop();
    return this.out;
  }

  // ---- the parser (parser.js `next` and the states the subset reaches) ----------------------

  protected next(type: string, start: number, end: number): void {
    this.source = this.text.slice(start, end);
    this.type = type;
    this.offset = start;
    if (type === "scalar") {
      // Plain scalars and block scalar bodies: the lexer's SCALAR mark, then the source.
      this.atNewLine = false;
      this.step();
      return;
    }
    this.step();
    switch (type) {
      case "newline":
        this.atNewLine = true;
        this.indent = 0;
        break;
      case "space":
        if (this.atNewLine) this.indent += end - start;
        break;
      case "map-value-ind":
      case "seq-item-ind":
        if (this.atNewLine) this.indent += 1;
        break;
      case "doc-mode":
        return;
      default:
        this.atNewLine = false;
    }
  }

  private get sourceToken(): SourceToken {
    return { type: this.type, offset: this.offset, indent: this.indent, source: this.source } as SourceToken;
  }

  private peek(n: number): Node | undefined {
    return this.stack[this.stack.length - n];
  }

  private step(): void {
    const top = this.peek(1);
    if (!top) return this.stream();
    switch (top.type) {
      case "document":
        return this.document(top);
      case "scalar":
      case "single-quoted-scalar":
      case "double-quoted-scalar":
        return this.scalar(top);
      case "block-scalar":
        return this.blockScalarState(top);
      case "block-map":
        return this.blockMap(top);
      case "block-seq":
        return this.blockSequence(top);
    }
    throw DECLINE;
  }

  private pop(): void {
    const token = this.stack.pop()!;
    if (this.stack.length === 0) {
      this.out.push(token as Token);
      return;
    }
    const top = this.peek(1)!;
    if (token.type === "block-scalar") token.indent = "indent" in top ? top.indent : 0;
    switch (top.type) {
      case "document":
        top.value = token as Token;
        break;
      case "block-map": {
        const it = top.items[top.items.length - 1]!;
        if (it.value) {
          top.items.push({ start: [], key: token as Token, sep: [] });
          this.onKeyLine = true;
          return;
        } else if (it.sep) {
          it.value = token as Token;
        } else {
          Object.assign(it, { key: token, sep: [] });
          this.onKeyLine = true;
          return;
        }
        break;
      }
      case "block-seq": {
        const it = top.items[top.items.length - 1]!;
        if (it.value) top.items.push({ start: [], value: token as Token });
        else it.value = token as Token;
        break;
      }
      default:
        throw DECLINE;
    }
    if ((top.type === "document" || top.type === "block-map" || top.type === "block-seq") && (token.type === "block-map" || token.type === "block-seq")) {
      const last = token.items[token.items.length - 1];
      if (
        last &&
        !("sep" in last && last.sep) &&
        !last.value &&
        last.start.length > 0 &&
        findNonEmptyIndex(last.start) === -1 &&
        (token.indent === 0 || last.start.every((st) => st.type !== "comment" || st.indent < token.indent))
      ) {
        if (top.type === "document") top.end = last.start;
        else top.items.push({ start: last.start });
        token.items.splice(-1, 1);
      }
    }
  }

  private stream(): void {
    switch (this.type) {
      case "space":
      case "comment":
      case "newline":
        this.out.push(this.sourceToken);
        return;
      case "doc-mode":
        this.stack.push({ type: "document", offset: this.offset, start: [] } as unknown as CST.Document);
        return;
    }
    throw DECLINE;
  }

  private document(doc: CST.Document): void {
    if (doc.value) return this.lineEnd(doc as unknown as CST.FlowScalar);
    switch (this.type) {
      case "space":
      case "comment":
      case "newline":
        doc.start.push(this.sourceToken);
        return;
    }
    this.stack.push(this.startBlockValue());
  }

  private scalar(scalar: CST.FlowScalar): void {
    if (this.type === "map-value-ind") {
      const prev = getPrevProps(this.peek(2)!);
      const start = getFirstKeyStartProps(prev);
      let sep: SourceToken[];
      if (scalar.end) {
        sep = scalar.end;
        sep.push(this.sourceToken);
        delete scalar.end;
      } else sep = [this.sourceToken];
      const map: CST.BlockMap = { type: "block-map", offset: scalar.offset, indent: scalar.indent, items: [{ start, key: scalar, sep }] };
      this.onKeyLine = true;
      this.stack[this.stack.length - 1] = map;
    } else this.lineEnd(scalar);
  }

  private blockScalarState(scalar: CST.BlockScalar): void {
    switch (this.type) {
      case "space":
      case "comment":
      case "newline":
        scalar.props.push(this.sourceToken);
        return;
      case "scalar":
        scalar.source = this.source;
        (scalar as FastScalar).resolved = this.resolved;
        this.atNewLine = true;
        this.indent = 0;
        this.pop();
        return;
    }
    throw DECLINE;
  }

  private blockMap(map: CST.BlockMap): void {
    const it = map.items[map.items.length - 1]!;
    switch (this.type) {
      case "newline":
        this.onKeyLine = false;
        if (it.value) {
          const end = "end" in it.value ? it.value.end : undefined;
          const last = Array.isArray(end) ? end[end.length - 1] : undefined;
          if (last?.type === "comment") end?.push(this.sourceToken);
          else map.items.push({ start: [this.sourceToken] });
        } else if (it.sep) it.sep.push(this.sourceToken);
        else it.start.push(this.sourceToken);
        return;
      case "space":
      case "comment":
        if (it.value) map.items.push({ start: [this.sourceToken] });
        else if (it.sep) it.sep.push(this.sourceToken);
        else {
          if (this.atIndentedComment(it.start, map.indent)) {
            const prev = map.items[map.items.length - 2];
            const end = (prev?.value as { end?: SourceToken[] } | undefined)?.end;
            if (Array.isArray(end)) {
              end.push(...it.start);
              end.push(this.sourceToken);
              map.items.pop();
              return;
            }
          }
          it.start.push(this.sourceToken);
        }
        return;
    }
    if (this.indent >= map.indent) {
      const atMapIndent = !this.onKeyLine && this.indent === map.indent;
      const atNextItem = atMapIndent && it.sep && this.type !== "seq-item-ind";
      // For empty nodes, assign newline-separated not indented empty tokens to following node
      let start: SourceToken[] = [];
      if (atNextItem && it.sep && !it.value) {
        const nl: number[] = [];
        for (let i = 0; i < it.sep.length; ++i) {
          const st = it.sep[i]!;
          switch (st.type) {
            case "newline":
              nl.push(i);
              break;
            case "space":
              break;
            case "comment":
              if (st.indent > map.indent) nl.length = 0;
              break;
            default:
              nl.length = 0;
          }
        }
        if (nl.length >= 2) start = it.sep.splice(nl[1]!);
      }
      switch (this.type) {
        case "map-value-ind":
          // The `:` after a key; `: value` with no key, or a second `:`, are left to the package.
          if (!it.sep || it.value || atNextItem || includesToken(it.sep, "map-value-ind")) throw DECLINE;
          it.sep.push(this.sourceToken);
          this.onKeyLine = true;
          return;
        case "scalar":
        case "single-quoted-scalar":
        case "double-quoted-scalar": {
          const fs = this.flowScalar();
          if (atNextItem || it.value) {
            map.items.push({ start, key: fs, sep: [] });
            this.onKeyLine = true;
          } else if (it.sep) {
            this.stack.push(fs);
          } else {
            Object.assign(it, { key: fs, sep: [] });
            this.onKeyLine = true;
          }
          return;
        }
        default: {
          const bv = this.startBlockValue();
          if (bv.type === "block-seq") {
            if (it.sep && !includesToken(it.sep, "newline")) throw DECLINE; // `a: - b`
          } else if (atMapIndent) {
            map.items.push({ start });
          }
          this.stack.push(bv);
          return;
        }
      }
    }
    this.pop();
    this.step();
  }

  private blockSequence(seq: CST.BlockSequence): void {
    const it = seq.items[seq.items.length - 1]!;
    switch (this.type) {
      case "newline":
        if (it.value) {
          const end = "end" in it.value ? it.value.end : undefined;
          const last = Array.isArray(end) ? end[end.length - 1] : undefined;
          if (last?.type === "comment") end?.push(this.sourceToken);
          else seq.items.push({ start: [this.sourceToken] });
        } else it.start.push(this.sourceToken);
        return;
      case "space":
      case "comment":
        if (it.value) seq.items.push({ start: [this.sourceToken] });
        else {
          if (this.atIndentedComment(it.start, seq.indent)) {
            const prev = seq.items[seq.items.length - 2];
            const end = (prev?.value as { end?: SourceToken[] } | undefined)?.end;
            if (Array.isArray(end)) {
              end.push(...it.start);
              end.push(this.sourceToken);
              seq.items.pop();
              return;
            }
          }
          it.start.push(this.sourceToken);
        }
        return;
      case "seq-item-ind":
        if (this.indent !== seq.indent) break;
        if (it.value || includesToken(it.start, "seq-item-ind")) seq.items.push({ start: [this.sourceToken] });
        else it.start.push(this.sourceToken);
        return;
    }
    if (this.indent > seq.indent) {
      this.stack.push(this.startBlockValue());
      return;
    }
    this.pop();
    this.step();
  }

  private flowScalar(): CST.FlowScalar {
    const t = { type: this.type, offset: this.offset, indent: this.indent, source: this.source } as FastScalar & CST.FlowScalar;
    t.resolved = this.resolved;
    return t;
  }

  private startBlockValue(): Node {
    switch (this.type) {
      case "scalar":
      case "single-quoted-scalar":
      case "double-quoted-scalar":
        return this.flowScalar();
      case "block-scalar-header":
        return { type: "block-scalar", offset: this.offset, indent: this.indent, props: [this.sourceToken], source: "" };
      case "seq-item-ind":
        return { type: "block-seq", offset: this.offset, indent: this.indent, items: [{ start: [this.sourceToken] }] };
    }
    throw DECLINE;
  }

  private atIndentedComment(start: SourceToken[], indent: number): boolean {
    if (this.type !== "comment") return false;
    if (this.indent <= indent) return false;
    return start.every((st) => st.type === "newline" || st.type === "space");
  }

  private lineEnd(token: CST.FlowScalar): void {
    if (this.type === "map-value-ind") {
      this.pop();
      this.step();
      return;
    }
    if (this.type !== "newline" && this.type !== "space" && this.type !== "comment") throw DECLINE;
    if (token.end) token.end.push(this.sourceToken);
    else token.end = [this.sourceToken];
    if (this.type === "newline") {
      this.onKeyLine = false;
      this.pop();
    }
  }
}

function includesToken(list: readonly SourceToken[], type: string): boolean {
  for (const t of list) if (t.type === type) return true;
  return false;
}

function findNonEmptyIndex(list: readonly SourceToken[]): number {
  for (let i = 0; i < list.length; ++i) {
    const t = list[i]!.type;
    if (t !== "space" && t !== "comment" && t !== "newline") return i;
  }
  return -1;
}

function getPrevProps(parent: Node): SourceToken[] {
  switch (parent.type) {
    case "document":
      return parent.start;
    case "block-map": {
      const it = parent.items[parent.items.length - 1]!;
      return it.sep ?? it.start;
    }
    case "block-seq":
      return parent.items[parent.items.length - 1]!.start;
    default:
      return [];
  }
}

/** Note: may modify its input (as the package's). */
function getFirstKeyStartProps(prev: SourceToken[]): SourceToken[] {
  if (prev.length === 0) return [];
  let i = prev.length;
  loop: while (--i >= 0) {
    switch (prev[i]!.type) {
      case "doc-start":
      case "explicit-key-ind":
      case "map-value-ind":
      case "seq-item-ind":
      case "newline":
        break loop;
    }
  }
  while (prev[++i]?.type === "space") {
    /* skip */
  }
  return prev.splice(i, prev.length);
}
