/**
 * The lean YAML scanner (lean.ts, issue 20): one pass over the text, line by line, tracking the
 * sops path by indentation, handing each value to the visitor and writing the output as it goes.
 * No CST, leaves or tree: what a 100k-value file costs is its text, the output and the values.
 *
 * The subset is a strict part of what the fast reader (yaml-fast.ts) accepts, which is what sops
 * writes and most configuration files are: one document, a block mapping at column 0, block
 * mappings and sequences indented with spaces, one-line plain and quoted scalars (double-quoted
 * ones without escapes), comments and blank lines, the `sops` block last. A value is rewritten in
 * place with the text yaml.ts renders for it; where that would be more than a one-line scalar, or
 * for anything else outside the subset (block scalars, flow collections, anchors, aliases, tags,
 * multi-line scalars, duplicate keys, encrypted comments, …) the scan declines and the full reader
 * handles the document, with its real result or its real error.
 */
import type { PlainValue } from "../model/value.js";
import { LEAN_DECLINE, type LeanDocument, type LeanScanner, type LeanVisitor } from "./lean.js";
import { resolveYamlPlain } from "./yaml-resolve.js";
import { yamlDialect, yamlFormat } from "./yaml.js";

/** As the fast reader: tab, CR, BOM, control and line-separator characters have rules of their own. */
const SPECIAL_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
/** Characters a plain scalar may not start with (YAML c-indicator, less `-?:`, handled apart). */
const INDICATOR = new Set([..."#,[]{}&*!|>'\"%@`"].map((c) => c.charCodeAt(0)));
/** A decrypted text that yaml.v3 would not write as a one-line scalar independent of indentation. */
const BREAKS = /[\r\n\x85\u2028\u2029]/;
/** Deeper nesting is left to the full reader (its limits and errors). */
const MAX_FRAMES = 100;

const SP = 32;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const SQ = 39;
const DQ = 34;

/** A block collection being walked: its column, its path and additional data, its keys seen. */
interface Frame {
  readonly seq: boolean;
  readonly col: number;
  /** Map keys from the root (a map pushes a key while visiting a value, then pops it). */
  readonly path: string[];
  /** aadOf(path) without its last `:` for the root: `""` at the root, `a:b:` below. */
  readonly aad: string;
  readonly keys: Set<string> | undefined;
}

/** Opens a YAML document in the lean subset, or returns null. */
export const yamlLeanScanner: LeanScanner = (text) => {
  if (SPECIAL_CHARS.test(text) || !text.endsWith("\n")) return null;
  const sops = sopsStart(text);
  if (sops === -1) return null;
  let rawMetadata: unknown;
  try {
    // The block alone, read by the full reader: the same tokens, so the same metadata and errors.
    rawMetadata = yamlFormat.parse(text.slice(sops)).rawMetadata();
  } catch {
    return null;
  }
  if (rawMetadata === undefined) return null;
  const doc: LeanDocument = {
    rawMetadata,
    walk(visit) {
      try {
        return new Walk(text, sops, visit).run();
      } catch (e) {
        if (e === LEAN_DECLINE) return null;
        throw e;
      }
    },
  };
  return doc;
};

/**
 * Where the `sops:` line starts, when the block is last and plain: `sops:` alone on its line at
 * column 0, then only indented, non-blank, non-comment lines to the end. Else -1.
 */
function sopsStart(text: string): number {
  const at = text.startsWith("sops:\n") ? 0 : text.lastIndexOf("\nsops:\n") + 1;
  if (at === 0 && !text.startsWith("sops:\n")) return -1;
  for (let p = at + 6; p < text.length; ) {
    const eol = text.indexOf("\n", p);
    let q = p;
    while (text.charCodeAt(q) === SP) q++;
    if (q === p || q === eol || text.charCodeAt(q) === HASH) return -1;
    p = eol + 1;
  }
  return at;
}

class Walk {
  private readonly pieces: string[] = [];
  private copied = 0;
  private readonly frames: Frame[];
  /** A key whose value is not on its line: a nested block below it, or null. */
  private pending: { key: string; col: number; frame: Frame } | undefined;
  private lineStart = 0;
  private eol = 0;

  constructor(
    private readonly t: string,
    private readonly end: number,
    private readonly visit: LeanVisitor,
  ) {
    // `sops` is taken: an earlier root `sops` key is a duplicate (the full reader's error).
    this.frames = [{ seq: false, col: 0, path: [], aad: "", keys: new Set(["sops"]) }];
  }

  run(): string {
    const t = this.t;
    let first = true;
    for (let pos = 0; pos < this.end; ) {
      const eol = t.indexOf("\n", pos);
      this.lineStart = pos;
      this.eol = eol;
      let p = pos;
      while (t.charCodeAt(p) === SP) p++;
      pos = eol + 1;
      if (p === eol) continue;
      if (t.charCodeAt(p) === HASH) {
        this.comment(p);
        continue;
      }
      const col = p - this.lineStart;
      if (col === 0 && (t.startsWith("---", p) || t.startsWith("...", p))) throw LEAN_DECLINE;
      if (first && col !== 0) throw LEAN_DECLINE;
      first = false;
      this.line(p, col);
    }
    this.pieces.push(t.slice(this.copied, this.end));
    return this.pieces.join("");
  }

  /** A comment: kept as it is, unless it may be encrypted (its sops path needs the full reader). */
  private comment(hash: number): void {
    if (this.t.startsWith("ENC[", hash + 1)) throw LEAN_DECLINE;
  }

  private isDash(p: number): boolean {
    return this.t.charCodeAt(p) === DASH && (p + 1 === this.eol || this.t.charCodeAt(p + 1) === SP);
  }

  private line(p: number, col: number): void {
    const frames = this.frames;
    const dash = this.isDash(p);
    const pend = this.pending;
    if (pend) {
      this.pending = undefined;
      if (col > pend.col || (col === pend.col && dash)) {
        // The pending key's value is this block. Pop to the key's own map first.
        while (frames[frames.length - 1] !== pend.frame) frames.pop();
        if (frames.length >= MAX_FRAMES) throw LEAN_DECLINE;
        const path = [...pend.frame.path, pend.key];
        const frame: Frame = { seq: dash, col, path, aad: `${pend.frame.aad}${pend.key}:`, keys: dash ? undefined : new Set() };
        frames.push(frame);
        if (dash) this.seqItem(frame, p);
        else this.keyLine(frame, p);
        return;
      }
      // Otherwise the key's value was null: no leaf.
    }
    while (frames[frames.length - 1]!.col > col) frames.pop();
    let top = frames[frames.length - 1]!;
    if (top.seq && top.col === col && !dash) {
      // A sequence at its key's column (`k:\n- a`) ends at the next key.
      frames.pop();
      top = frames[frames.length - 1]!;
    }
    if (top.col !== col || top.seq !== dash) throw LEAN_DECLINE;
    if (dash) this.seqItem(top, p);
    else this.keyLine(top, p);
  }

  /** `- …` at `p` in sequence `seq`. */
  private seqItem(seq: Frame, p: number): void {
    const t = this.t;
    let q = p + 1;
    if (q === this.eol) throw LEAN_DECLINE; // `-` alone (its value below, or null)
    while (t.charCodeAt(q) === SP) q++;
    if (q === this.eol || t.charCodeAt(q) === HASH) throw LEAN_DECLINE;
    if (this.frames.length >= MAX_FRAMES) throw LEAN_DECLINE;
    const col = q - this.lineStart;
    if (this.isDash(q)) {
      const inner: Frame = { seq: true, col, path: seq.path, aad: seq.aad, keys: undefined };
      this.frames.push(inner);
      this.seqItem(inner, q);
      return;
    }
    const key = this.key(q);
    if (key) {
      const map: Frame = { seq: false, col, path: seq.path, aad: seq.aad, keys: new Set() };
      this.frames.push(map);
      this.entry(map, q, key);
      return;
    }
    this.value(seq, undefined, q);
  }

  /** `key: …` at `p` in mapping `map`. */
  private keyLine(map: Frame, p: number): void {
    const key = this.key(p);
    if (!key) throw LEAN_DECLINE;
    this.entry(map, p, key);
  }

  private entry(map: Frame, p: number, key: { text: string; after: number }): void {
    const t = this.t;
    const keys = map.keys!;
    if (keys.has(key.text)) throw LEAN_DECLINE; // the full reader's duplicate-key error
    keys.add(key.text);
    let q = key.after;
    while (t.charCodeAt(q) === SP) q++;
    if (q === this.eol || t.charCodeAt(q) === HASH) {
      if (q !== this.eol) this.comment(q);
      this.pending = { key: key.text, col: p - this.lineStart, frame: map };
      return;
    }
    this.value(map, key.text, q);
  }

  /**
   * A mapping key at `p` (plain, or quoted without escapes), its text and where its `:` ends;
   * undefined when the line is not a `key:` entry.
   */
  private key(p: number): { text: string; after: number } | undefined {
    const t = this.t;
    const eol = this.eol;
    const c = t.charCodeAt(p);
    if (c === SQ || c === DQ) {
      const q = this.quotedEnd(p);
      if (t.charCodeAt(q) !== COLON || (q + 1 !== eol && t.charCodeAt(q + 1) !== SP)) return undefined;
      return { text: this.quotedText(p, q), after: q + 1 };
    }
    this.plainStart(p);
    for (let j = t.indexOf(":", p); j !== -1 && j < eol; j = t.indexOf(":", j + 1)) {
      if (j + 1 !== eol && t.charCodeAt(j + 1) !== SP) continue;
      if (this.commentStart(p, j) !== j) return undefined;
      const text = t.slice(p, j);
      // `a : b` (space before the colon), merge keys, keys the parser limits: the full reader.
      if (text.endsWith(" ") || text === "<<" || text.length > 1000) throw LEAN_DECLINE;
      const typed = resolvePlain(text);
      if (typed === null || typed.type !== "str") throw LEAN_DECLINE; // "only string keys"
      return { text, after: j + 1 };
    }
    return undefined;
  }

  /** Where a comment (` #`) starts between `from` and `to` (its space), else `to`; searched on this line only. */
  private commentStart(from: number, to: number): number {
    const t = this.t;
    for (let i = from + 1; i < to; i++) if (t.charCodeAt(i) === HASH && t.charCodeAt(i - 1) === SP) return i - 1;
    return to;
  }

  /** Declines a plain scalar that cannot start at `p` (an indicator, `- `, `? `, `: `). */
  private plainStart(p: number): void {
    const t = this.t;
    const c = t.charCodeAt(p);
    if (INDICATOR.has(c)) throw LEAN_DECLINE;
    if ((c === DASH || c === 63 || c === COLON) && (p + 1 === this.eol || t.charCodeAt(p + 1) === SP)) throw LEAN_DECLINE;
  }

  /** The end (after the closing quote) of a one-line quoted scalar at `p`. */
  private quotedEnd(p: number): number {
    const t = this.t;
    const quote = t.charCodeAt(p);
    for (let j = p + 1; ; ) {
      const k = t.indexOf(quote === SQ ? "'" : '"', j);
      if (k === -1 || k >= this.eol) throw LEAN_DECLINE;
      if (quote === SQ && t.charCodeAt(k + 1) === SQ) {
        j = k + 2;
        continue;
      }
      if (quote === DQ) {
        // An escaped quote: skip it (an even run of backslashes before it escapes nothing).
        let b = k;
        while (t.charCodeAt(b - 1) === 92 && b - 1 > p) b--;
        if ((k - b) % 2 === 1) {
          j = k + 1;
          continue;
        }
      }
      return k + 1;
    }
  }

  private quotedText(p: number, end: number): string {
    const inner = this.t.slice(p + 1, end - 1);
    if (this.t.charCodeAt(p) === SQ) return inner.replaceAll("''", "'");
    return inner.includes("\\") ? unescapeDouble(inner) : inner;
  }

  /** A one-line scalar value at `q` of `frame` (under `key` in a mapping, an item in a sequence). */
  private value(frame: Frame, key: string | undefined, q: number): void {
    const t = this.t;
    const eol = this.eol;
    const c = t.charCodeAt(q);
    let end: number;
    let typed: PlainValue | null;
    if (c === SQ || c === DQ) {
      end = this.quotedEnd(q);
      typed = { type: "str", text: this.quotedText(q, end) };
      let r = end;
      while (t.charCodeAt(r) === SP) r++;
      if (r !== eol) {
        if (r === end || t.charCodeAt(r) !== HASH) throw LEAN_DECLINE;
        this.comment(r);
      }
    } else if ((c === 123 || c === 91) && t.charCodeAt(q + 1) === (c === 123 ? 125 : 93)) {
      // `{}` or `[]`: an empty mapping or sequence, no leaf.
      let r = q + 2;
      while (t.charCodeAt(r) === SP) r++;
      if (r !== eol) {
        if (r === q + 2 || t.charCodeAt(r) !== HASH) throw LEAN_DECLINE;
        this.comment(r);
      }
      return;
    } else {
      this.plainStart(q);
      const stop = this.commentStart(q, eol);
      end = stop;
      while (t.charCodeAt(end - 1) === SP) end--;
      const src = t.slice(q, end);
      // `a: b: c` and `a: b:` are mapping errors in YAML.
      if (src.includes(": ") || src.endsWith(":")) throw LEAN_DECLINE;
      if (stop !== eol) this.comment(stop + 1);
      typed = resolvePlain(src);
    }
    if (typed === null) return; // a null is no leaf
    const path = frame.path;
    let next: PlainValue | undefined;
    if (key === undefined) next = this.visit(path, frame.aad, typed);
    else {
      path.push(key);
      try {
        next = this.visit(path, `${frame.aad}${key}:`, typed);
      } finally {
        path.pop();
      }
    }
    if (next === undefined) return;
    if (next.bytes || BREAKS.test(next.text)) throw LEAN_DECLINE;
    const ownerCol = key === undefined ? frame.col - 2 : frame.col;
    const r = yamlDialect.render(next, { inFlow: false, ownerCol, step: 4 });
    if (r.kind !== "flow") throw LEAN_DECLINE;
    this.pieces.push(t.slice(this.copied, q), r.source);
    this.copied = end;
  }
}

/** A plain scalar typed as yaml.ts types it; an int out of range (the full reader's error) declines. */
function resolvePlain(src: string): PlainValue | null {
  try {
    return resolveYamlPlain(src);
  } catch {
    throw LEAN_DECLINE;
  }
}

/** YAML's one-character escapes in double-quoted scalars. */
const ESCAPES: Record<string, string> = {
  "0": "\0", a: "\x07", b: "\b", t: "\t", "\t": "\t", n: "\n", v: "\v", f: "\f", r: "\r", e: "\x1b",
  " ": " ", '"': '"', "/": "/", "\\": "\\", N: "\x85", _: "\xa0", L: "\u2028", P: "\u2029",
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** The text of a one-line double-quoted scalar's escapes; an escape YAML does not define declines. */
function unescapeDouble(s: string): string {
  let out = "";
  let from = 0;
  for (let i = s.indexOf("\\"); i !== -1; i = s.indexOf("\\", from)) {
    out += s.slice(from, i);
    const c = s[i + 1];
    if (c === undefined) throw LEAN_DECLINE;
    const simple = ESCAPES[c];
    if (simple !== undefined) {
      out += simple;
      from = i + 2;
      continue;
    }
    const n = HEX_LENGTH[c];
    const hex = n === undefined ? "" : s.slice(i + 2, i + 2 + n);
    if (n === undefined || hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw LEAN_DECLINE;
    const cp = parseInt(hex, 16);
    // Surrogates and values beyond Unicode: the yaml package's handling, not ours.
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw LEAN_DECLINE;
    out += String.fromCodePoint(cp);
    from = i + 2 + n;
  }
  return out + s.slice(from);
}
