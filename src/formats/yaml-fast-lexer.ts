/**
 * The lexer half of the fast YAML reader (yaml-fast.ts): the yaml package's Lexer (`lexer.js`)
 * for the subset, line by line, handing each token to the parser as the package's lexer would
 * emit it. Anything outside the subset throws {@link DECLINE}.
 */
import type { CST } from "yaml";

/** Thrown inside the reader when the text leaves the subset; never escapes `parseFastYaml`. */
class Decline {}
export const DECLINE = new Decline();

/** The yaml package refuses implicit keys longer than 1024 characters. */
const MAX_KEY = 1000;

const SP = 0x20;
const NL = 0x0a;

/**
 * The lexer's state and steps; the parser ({@link FastLexer.next}, {@link FastLexer.end}) is the
 * subclass in yaml-fast.ts, as in the package, where the lexer feeds the parser token by token.
 */
export abstract class FastLexer {
  // Lexer state (lexer.js).
  private indentNext = 0;
  private indentValue = 0;
  /** The value of the scalar token just emitted (plain, quoted or block), for the parser. */
  protected resolved: string | undefined;

  constructor(protected readonly text: string) {}

  /** Takes one token (parser.js `next`). */
  protected abstract next(type: string, start: number, end: number): void;
  /** Closes what is still open at the end of the text and returns the tokens. */
  protected abstract end(): CST.Token[];

  run(): CST.Token[] {
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
    return this.end();
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
