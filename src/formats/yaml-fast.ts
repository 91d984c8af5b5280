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
import { MAX_DEPTH, type ParsedCst } from "./cst.js";

type Token = CST.Token;
type SourceToken = CST.SourceToken;
type Item = CST.CollectionItem;
type ScalarToken = CST.FlowScalar | CST.BlockScalar;
/** A scalar token with its value, resolved while lexing. */
type FastScalar = ScalarToken & { resolved?: string };
type Node = CST.Document | CST.BlockMap | CST.BlockSequence | CST.FlowScalar | CST.BlockScalar;

/** Thrown inside the reader when the text leaves the subset; never escapes {@link parseFastYaml}. */
class Decline {}
const DECLINE = new Decline();

/**
 * Nesting deeper than this is left to the yaml package, which refuses more than MAX_DEPTH levels
 * with the proper error (the validation here recurses, well within the stack at this depth).
 */
const FAST_DEPTH = Math.min(MAX_DEPTH - 100, 200);
/** The yaml package refuses implicit keys longer than 1024 characters. */
const MAX_KEY = 1000;

const SP = 0x20;
const NL = 0x0a;

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
class FastParser {
  private readonly out: Token[] = [];
  private readonly stack: Node[] = [];
  // Parser state (parser.js).
  private atNewLine = true;
  private indent = 0;
  private offset = 0;
  private onKeyLine = false;
  private type = "";
  private source = "";
  // Lexer state (lexer.js).
  private indentNext = 0;
  private indentValue = 0;
  private resolved: string | undefined;

  constructor(private readonly text: string) {}

  run(): Token[] {
    const text = this.text;
    let pos = 0;
    // Leading blank and comment lines belong to the stream, before the document starts.
    while (pos < text.length) {
      let i = pos;
      while (text.charCodeAt(i) === SP) i++;
      const c = text.charCodeAt(i);
      if (c === 0x23 /* # */) {
        if (i > pos) this.next("space", pos, i);
        const nl = lineEnd(text, i);
        this.next("comment", i, nl);
        if (nl < text.length) this.next("newline", nl, nl + 1);
        pos = nl + 1;
      } else if (c === NL) {
        if (i > pos) this.next("space", pos, i);
        this.next("newline", i, i + 1);
        pos = i + 1;
      } else break;
    }
    if (pos >= text.length) throw DECLINE; // no document
    this.next("doc-mode", pos, pos);
    while (pos < text.length) pos = this.line(pos);
    while (this.stack.length > 0) this.pop();
    return this.out;
  }

  /** Lexes one line (parseLineStart, parseBlockStart, parseDocument); returns the next line's start. */
  private line(pos: number): number {
    const text = this.text;
    const c0 = text.charCodeAt(pos);
    if ((c0 === 0x2d /* - */ || c0 === 0x2e) /* . */ && text.charCodeAt(pos + 1) === c0 && text.charCodeAt(pos + 2) === c0) {
      if (isEmptyAt(text, pos + 3)) throw DECLINE; // `---`, `...`: documents
    }
    let p = pos;
    while (text.charCodeAt(p) === SP) p++;
    if (p > pos) this.next("space", pos, p);
    this.indentValue = p - pos;
    if (this.indentNext > this.indentValue && !isEmptyAt(text, p + 1)) this.indentNext = this.indentValue;
    // `- `, or `- - ` for a list in a list (yaml.v3 writes those on one line).
    while (text.charCodeAt(p) === 0x2d && isEmptyAt(text, p + 1)) {
      this.next("seq-item-ind", p, p + 1);
      let q = p + 1;
      while (text.charCodeAt(q) === SP) q++;
      if (q > p + 1) this.next("space", p + 1, q);
      this.indentNext = this.indentValue + 1;
      this.indentValue += q - p;
      p = q;
    }
    let colons = 0;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === 0x3a /* : */ && isEmptyAt(text, p + 1)) {
        if (++colons > 1) throw DECLINE; // `a: b: c`
        this.next("map-value-ind", p, p + 1);
        this.indentNext = this.indentValue + 1;
        let q = p + 1;
        while (text.charCodeAt(q) === SP) q++;
        if (q > p + 1) this.next("space", p + 1, q);
        p = q;
        continue;
      }
      if (p >= text.length) return p;
      switch (c) {
        case NL:
          this.next("newline", p, p + 1);
          return p + 1;
        case 0x23: {
          // `#` starts a comment only after white space; a scalar's scan stops before ` #`.
          const end = lineEnd(text, p);
          this.next("comment", p, end);
          if (end < text.length) this.next("newline", end, end + 1);
          return end + 1;
        }
        case 0x27 /* ' */:
        case 0x22 /* " */:
          p = this.quoted(p, c);
          break;
        case 0x7c /* | */:
          return this.blockScalar(p);
        default:
          p = this.plain(p);
      }
      // After a scalar: spaces, then a comment, the end of the line or (a key) `: `.
      let q = p;
      while (text.charCodeAt(q) === SP) q++;
      if (q > p) this.next("space", p, q);
      const c2 = text.charCodeAt(q);
      if (q < text.length && c2 !== NL && !(c2 === 0x3a && isEmptyAt(text, q + 1) && q === p) && !(c2 === 0x23 && q > p)) throw DECLINE;
      p = q;
    }
  }

  /** A plain scalar (parsePlainScalar, block context); one line only. Returns its end. */
  private plain(p: number): number {
    const text = this.text;
    const c = text.charCodeAt(p);
    // Indicators and characters the package refuses or reads otherwise at the start of a plain scalar.
    if ("-?:,[]{}#&*!|>'\"%@`".includes(text[p]!) && !(c === 0x2d && !isEmptyAt(text, p + 1))) throw DECLINE;
    let end = p;
    let i = p;
    for (; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x3a) {
        if (isEmptyAt(text, i + 1)) break;
        end = i + 1;
      } else if (ch === SP) {
        if (text.charCodeAt(i + 1) === 0x23) break;
      } else if (ch === NL) {
        break;
      } else end = i + 1;
    }
    if (text.charCodeAt(i) === NL && this.continues(i + 1)) throw DECLINE; // a multi-line plain scalar
    if (end - p > MAX_KEY) throw DECLINE;
    this.resolved = text.slice(p, end);
    this.next("scalar", p, end);
    return end;
  }

  /** Whether a plain scalar would go on at `offset` (continueScalar, for the first non-blank line). */
  private continues(offset: number): boolean {
    const text = this.text;
    for (let at = offset; at < text.length; ) {
      let i = at;
      while (text.charCodeAt(i) === SP) i++;
      if (i >= text.length) return false;
      const c = text.charCodeAt(i);
      if (c === NL) {
        at = i + 1;
        continue;
      }
      if (this.indentNext === 0) return true;
      return c !== 0x23 && i - at >= this.indentNext;
    }
    return false;
  }

  /** A quoted scalar closed on its line (parseQuotedScalar). Returns its end. */
  private quoted(p: number, q: number): number {
    const text = this.text;
    const eol = lineEnd(text, p);
    let value = "";
    let i = p + 1;
    for (;;) {
      if (i >= eol) throw DECLINE; // not closed on this line
      const c = text.charCodeAt(i);
      if (c === q) {
        if (q === 0x27 && text.charCodeAt(i + 1) === 0x27) {
          value += "'";
          i += 2;
          continue;
        }
        break;
      }
      if (q === 0x22 && c === 0x5c /* \ */) {
        const r = unescape(text, i + 1, eol);
        value += r.text;
        i = r.end;
        continue;
      }
      value += text[i];
      i++;
    }
    if (i + 1 - p > MAX_KEY + 2) throw DECLINE;
    this.resolved = value;
    this.next(q === 0x27 ? "single-quoted-scalar" : "double-quoted-scalar", p, i + 1);
    return i + 1;
  }

  /**
   * A `|` or `|-` block scalar (parseBlockScalarHeader, parseBlockScalar): its content lines are
   * indented alike (no indentation indicator, no `+`), start on the next line and end with a line
   * break; empty lines inside are kept, trailing ones are not part of it. Returns the next line.
   */
  private blockScalar(p: number): number {
    const text = this.text;
    const strip = text.charCodeAt(p + 1) === 0x2d;
    const hEnd = strip ? p + 2 : p + 1;
    if (text.charCodeAt(hEnd) !== NL) throw DECLINE; // indicators, comments or spaces after the header
    this.next("block-scalar-header", p, hEnd);
    this.next("newline", hEnd, hEnd + 1);
    const start = hEnd + 1;
    let indent = 0;
    while (text.charCodeAt(start + indent) === SP) indent++;
    // The first line holds content, more indented than the owner (else the block is empty).
    if (indent < this.indentNext || indent === 0 || start + indent >= text.length || text.charCodeAt(start + indent) === NL) throw DECLINE;
    const lines: string[] = [];
    let at = start;
    let end = start; // after the last content line's break
    while (at < text.length) {
      let i = at;
      while (text.charCodeAt(i) === SP) i++;
      if (i > at && (i >= text.length || text.charCodeAt(i) === NL)) throw DECLINE; // a line of spaces: its own rules
      if (i >= text.length) break;
      if (text.charCodeAt(i) === NL) {
        lines.push("");
        at = i + 1;
        continue;
      }
      if (i - at < indent) break;
      const nl = text.indexOf("\n", i);
      if (nl === -1) throw DECLINE; // the last line has no line break
      lines.push(text.slice(at + indent, nl));
      at = nl + 1;
      end = at;
    }
    while (lines[lines.length - 1] === "") lines.pop();
    this.resolved = lines.join("\n") + (strip ? "" : "\n");
    this.indentNext = indent;
    this.next("scalar", start, end);
    return end;
  }

  // ---- the parser (parser.js `next` and the states the subset reaches) ----------------------

  private next(type: string, start: number, end: number): void {
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

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  return nl === -1 ? text.length : nl;
}

/** The lexer's isEmpty: the end of the text, a space or a line break (tabs and CR are declined). */
function isEmptyAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return Number.isNaN(c) || c === SP || c === NL;
}

/** A double-quoted escape (resolve-flow-scalar.js); `at` is after the backslash. */
function unescape(text: string, at: number, eol: number): { text: string; end: number } {
  const c = text[at];
  switch (c) {
    case "0":
      return { text: "\0", end: at + 1 };
    case "a":
      return { text: "\x07", end: at + 1 };
    case "b":
      return { text: "\b", end: at + 1 };
    case "e":
      return { text: "\x1b", end: at + 1 };
    case "f":
      return { text: "\f", end: at + 1 };
    case "n":
      return { text: "\n", end: at + 1 };
    case "r":
      return { text: "\r", end: at + 1 };
    case "t":
      return { text: "\t", end: at + 1 };
    case "v":
      return { text: "\v", end: at + 1 };
    case "N":
      return { text: "\u0085", end: at + 1 };
    case "_":
      return { text: "\u00a0", end: at + 1 };
    case "L":
      return { text: "\u2028", end: at + 1 };
    case "P":
      return { text: "\u2029", end: at + 1 };
    case " ":
    case '"':
    case "/":
    case "\\":
      return { text: c, end: at + 1 };
    case "x":
    case "u":
    case "U": {
      const n = c === "x" ? 2 : c === "u" ? 4 : 8;
      const hex = text.slice(at + 1, at + 1 + n);
      if (at + 1 + n > eol || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw DECLINE;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw DECLINE;
      return { text: String.fromCodePoint(code), end: at + 1 + n };
    }
  }
  throw DECLINE; // an escape the package reports as an error, or a line continuation
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

// ---- what the Composer would accept -----------------------------------------------------------

/**
 * Checks the tokens have the shapes the subset allows (so the yaml package's Composer would
 * report no error, and its reading of the `sops` block is known): one document whose value is a
 * block mapping at column 0, keys one-line scalars at their mapping's column, values on the key's
 * line or nested blocks below it. Returns the root mapping.
 */
function checkTokens(text: string, tokens: readonly Token[]): CST.BlockMap {
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
function readSops(root: CST.BlockMap): unknown {
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

/** The text of tokens (the yaml package's `CST.stringify`: sources in order). */
function stringify(t: Token): string {
  switch (t.type) {
    case "block-scalar": {
      let res = "";
      for (const tok of t.props) res += stringify(tok);
      return res + t.source;
    }
    case "block-map":
    case "block-seq": {
      let res = "";
      for (const item of t.items) res += stringifyItem(item);
      return res;
    }
    case "document": {
      let res = stringifyItem(t as unknown as Item);
      if (t.end) for (const st of t.end) res += st.source;
      return res;
    }
    default: {
      let res = (t as SourceToken).source;
      const end = (t as { end?: SourceToken[] }).end;
      if (end) for (const st of end) res += st.source;
      return res;
    }
  }
}

function stringifyItem(item: Item): string {
  let res = "";
  for (const st of item.start) res += st.source;
  if ("key" in item && item.key) res += stringify(item.key);
  if ("sep" in item && item.sep) for (const st of item.sep) res += st.source;
  if (item.value) res += stringify(item.value);
  return res;
}
