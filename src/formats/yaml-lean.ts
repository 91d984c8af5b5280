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
import { isUtf8 } from "node:buffer";
import { LEAN_DECLINE, type LeanByteScanner, type LeanDocument, type LeanVisitor } from "./lean.js";
import { IndexBuilder, KIND_MAP, KIND_NULL, KIND_SEQ, type LeanIndex, type TokenReader } from "./lean-index.js";
import { resolveYamlPlain } from "./yaml-resolve.js";
import { yamlDialect, yamlFormat } from "./yaml.js";

/**
 * As the fast reader (its SPECIAL_CHARS): tab, CR, BOM, control and line-separator characters
 * have rules of their own; checked on the bytes by plainBytes.
 */
/** Characters a plain scalar may not start with (YAML c-indicator, less `-?:`, handled apart). */
const INDICATOR = new Set([..."#,[]{}&*!|>'\"%@`"].map((c) => c.charCodeAt(0)));
/** A decrypted text that yaml.v3 would not write as a one-line scalar independent of indentation. */
const BREAKS = /[\r\n\x85\u2028\u2029]/;
/** Deeper nesting is left to the full reader (its limits and errors). */
const MAX_FRAMES = 100;

const SP = 32;
const HASH = 35;
const NL = 10;
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
  /** Its entry in the index (load()), -1 when none is built. */
  readonly id: number;
}

/** Opens a YAML document in the lean subset, or returns null. */
export const yamlLeanScanner: LeanByteScanner = (bytes) => {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 0 || b[b.length - 1] !== NL || !plainBytes(b)) return null;
  const sops = sopsStart(b);
  if (sops === -1) return null;
  // An encrypted comment the walk cannot take (anywhere but a whole line at column 0) declines it
  // when reached: find one now, before any value of a large file is decrypted twice (here, then
  // by the full reader).
  for (let at = b.indexOf(ENC_COMMENT); at !== -1 && at < sops; at = b.indexOf(ENC_COMMENT, at + 1)) {
    if (at !== 0 && b[at - 1] !== NL) return null;
  }
  let rawMetadata: unknown;
  try {
    // The block alone, read by the full reader: the same tokens, so the same metadata and errors.
    rawMetadata = yamlFormat.parse(b.toString("utf8", sops)).rawMetadata();
  } catch {
    return null;
  }
  if (rawMetadata === undefined) return null;
  const doc: LeanDocument = {
    rawMetadata,
    walk(visit) {
      const w = new Walk(b, sops, visit);
      try {
        return w.run();
      } catch (e) {
        w.wipe(); // the values decrypted before the walk gave up
        if (e === LEAN_DECLINE) return null;
        throw e;
      }
    },
    index(visit): LeanIndex | null {
      // One entry per line is the usual case (more only with `- - x` or `- k: v`: the arrays grow).
      let lines = 0;
      for (let i = b.indexOf(NL); i !== -1 && i < sops; i = b.indexOf(NL, i + 1)) lines++;
      const ix = new IndexBuilder(b, READER, lines + 16);
      try {
        new Walk(b, sops, visit, ix).run();
      } catch (e) {
        if (e === LEAN_DECLINE) return null;
        throw e;
      }
      return ix.finish();
    },
  };
  return doc;
};

/**
 * Up to this size {@link plainBytes} searches with Buffer#indexOf (memchr, one search per byte it
 * looks for) instead of a JS loop over every byte: a loop that long makes V8 compile it with
 * TurboFan (~1 ms of CPU on another thread) at every start of `hush decrypt`. Larger files loop,
 * once (33 searches of a large file cost more than the loop, and its compile no longer counts).
 */
const NATIVE_SCAN_MAX = 64 * 1024;
/** The bytes below 0x80 that plainBytes refuses: C0 controls but `\n`, and DEL. */
const CONTROL_BYTES: readonly number[] = [...Array.from({ length: 32 }, (_, c) => c).filter((c) => c !== NL), 0x7f];

/**
 * Valid UTF-8 (else the full reader's U+FFFD replacements decide the output) without the
 * characters {@link SPECIAL_CHARS} names, checked on the bytes: C0 controls but `\n`, DEL, C1
 * controls (`C2 80`–`C2 9F`), U+2028/2029 (`E2 80 A8`/`A9`), U+FEFF (`EF BB BF`), U+FFFE/FFFF
 * (`EF BF BE`/`BF`).
 */
export function plainBytes(b: Buffer): boolean {
  if (!isUtf8(b)) return false;
  if (b.length <= NATIVE_SCAN_MAX) {
    // Valid UTF-8: 0xC2, 0xE2 and 0xEF are only ever lead bytes, so finding each is the loop's test.
    for (const c of CONTROL_BYTES) if (b.indexOf(c) !== -1) return false;
    for (let i = b.indexOf(0xc2); i !== -1; i = b.indexOf(0xc2, i + 1)) if (b[i + 1]! <= 0x9f) return false;
    for (let i = b.indexOf(0xe2); i !== -1; i = b.indexOf(0xe2, i + 1)) if (b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) return false;
    for (let i = b.indexOf(0xef); i !== -1; i = b.indexOf(0xef, i + 1)) {
      if ((b[i + 1] === 0xbb && b[i + 2] === 0xbf) || (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf))) return false;
    }
    return true;
  }
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x80) {
      if ((c < 0x20 && c !== NL) || c === 0x7f) return false;
      continue;
    }
    if (c === 0xc2) {
      if (b[i + 1]! <= 0x9f) return false;
    } else if (c === 0xe2) {
      if (b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) return false;
    } else if (c === 0xef) {
      if ((b[i + 1] === 0xbb && b[i + 2] === 0xbf) || (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf))) return false;
    }
  }
  return true;
}

export const SOPS_LINE = Buffer.from("\nsops:\n");
export const ENC_COMMENT = Buffer.from("#ENC[");
const SPACE_HASH = Buffer.from(" #");
/** The root's sops path (a comment's, at column 0); never written to. */
const ROOT_PATH: readonly string[] = Object.freeze([]);

/**
 * Where the `sops:` line starts, when the block is last and plain: `sops:` alone on its line at
 * column 0, then only indented, non-blank, non-comment lines to the end. Else -1.
 */
function sopsStart(b: Buffer): number {
  const head = b.subarray(0, 6).equals(SOPS_LINE.subarray(1));
  const at = head ? 0 : b.lastIndexOf(SOPS_LINE) + 1;
  if (at === 0 && !head) return -1;
  for (let p = at + 6; p < b.length; ) {
    const eol = b.indexOf(NL, p);
    let q = p;
    while (b[q] === SP) q++;
    if (q === p || q === eol || b[q] === HASH) return -1;
    p = eol + 1;
  }
  return at;
}

/** The output, written as the walk goes: bytes copied from the input and rendered values. */
class Output {
  private buf: Buffer;
  private len = 0;
  /**
   * Sized for the usual case, a decrypted file no larger than the encrypted one; pages never
   * written are never resident. It grows if a file's values render longer than their ciphertexts.
   */
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity + 1024);
  }
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.len + n, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len);
    this.buf.fill(0, 0, this.len);
    this.buf = next;
  }
  copy(from: Uint8Array, start: number, end: number): void {
    this.room(end - start);
    this.buf.set(from.subarray(start, end), this.len);
    this.len += end - start;
  }
  write(s: string): void {
    this.room(s.length * 3);
    this.len += this.buf.write(s, this.len, "utf8");
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
  /** Zero-fills what was written (plaintext of a walk that is abandoned). */
  wipe(): void {
    this.buf.fill(0, 0, this.len);
    this.len = 0;
  }
}

/** Bytes as text (the scanner checked they are valid UTF-8). */
function utf8(b: Uint8Array, start: number, end: number): string {
  return (b as Buffer).toString("utf8", start, end);
}

/** A one-line quoted scalar's text (`p` its opening quote, `end` after its closing one). */
function quotedText(b: Uint8Array, p: number, end: number): string {
  const inner = utf8(b, p + 1, end - 1);
  if (b[p] === SQ) return inner.replaceAll("''", "'");
  return inner.includes("\\") ? unescapeDouble(inner) : inner;
}

/** Reads the keys and scalars the walk indexed back from the bytes, as the walk typed them. */
export const READER: TokenReader = {
  key(b, start, end) {
    return b[start] === SQ || b[start] === DQ ? quotedText(b, start, end) : utf8(b, start, end);
  },
  scalar(b, start, end) {
    return b[start] === SQ || b[start] === DQ ? { type: "str", text: quotedText(b, start, end) } : resolveYamlPlain(utf8(b, start, end));
  },
};

/**
 * The walk over a document's lines. Decrypting (and encrypting: yaml-lean-plain.ts) it writes
 * the output; indexing (load()) it fills `ix` instead. `plain`: the text is a plaintext to
 * encrypt (comments decline: sops encrypts them, with paths only the full reader knows).
 */
export class Walk {
  private readonly out: Output;
  private copied = 0;
  private readonly frames: Frame[];
  /** A key whose value is not on its line: a nested block below it, or null. */
  private pending: { key: string; col: number; frame: Frame; id: number } | undefined;
  private lineStart = 0;
  private eol = 0;
  /**
   * For the index: the full reader's tree holds a comment inside a list as a null item (sops
   * does, SOPS-FORMAT §14-Q8); which comments it counts there is its business: a document with
   * both comments and lists is left to it. Not a comment before the first entry (a file's
   * header, common): the root has not begun, so no list can hold it.
   */
  private sawComment = false;
  private sawSeq = false;

  constructor(
    private t: Buffer,
    private end: number,
    private readonly visit: LeanVisitor,
    private readonly ix?: IndexBuilder,
    private readonly plain = false,
  ) {
    // `sops` is taken: an earlier root `sops` key is a duplicate (the full reader's error).
    this.frames = [{ seq: false, col: 0, path: [], aad: "", keys: new Set(["sops"]), id: ix ? 0 : -1 }];
    // Encrypting: ciphertexts are several times their values.
    this.out = new Output(ix ? 0 : plain ? end * 4 + 4096 : end);
  }

  /**
   * The indentation step the full reader detects (cst.ts `enter`): the least amount a block
   * nested under a key is indented by; 0 when there is none.
   */
  step = 0;

  /** Zero-fills the output written so far (the caller abandons this walk). */
  wipe(): void {
    this.out.wipe();
  }

  run(): Uint8Array {
    this.lines();
    return this.done();
  }

  /** Whether no line was walked yet (the first must be at column 0). */
  private first = true;

  /** The lines of `t` up to `end`. */
  private lines(): void {
    const t = this.t;
    for (let pos = 0; pos < this.end; ) {
      const eol = t.indexOf(NL, pos);
      this.lineStart = pos;
      this.eol = eol;
      let p = pos;
      while (t[p] === SP) p++;
      pos = eol + 1;
      if (p === eol) continue;
      if (t[p] === HASH) {
        this.comment(p, this.first);
        continue;
      }
      const col = p - this.lineStart;
      if (col === 0 && (t[p] === DASH || t[p] === 46) && t[p + 1] === t[p] && t[p + 2] === t[p]) throw LEAN_DECLINE; // `---`, `...`
      if (this.first && col !== 0) throw LEAN_DECLINE;
      this.first = false;
      this.line(p, col);
    }
  }

  /**
   * For an index built over a file read in windows (yaml-lean-stream.ts): walks the whole lines
   * `t[0, end)`, continuing the walk of the windows before it. Keys and values are copied out of
   * the window as they are indexed (the index's compact store), so nothing keeps it afterwards.
   */
  window(t: Buffer, end: number): void {
    this.t = t;
    this.end = end;
    this.hashFrom = Infinity; // commentStart's cache is an offset into the previous window
    this.ix!.source(t);
    this.lines();
  }

  /** After the last line: the checks of the whole document, then the output. */
  done(): Uint8Array {
    if (this.first && this.plain) throw LEAN_DECLINE; // an empty document: the full reader's error
    if (this.ix) return new Uint8Array(0); // (comments with lists declined when both were seen)
    return this.plain ? new Uint8Array(0) : this.finish();
  }

  /** The output: what was written, the rest of the text up to `end`, then `extra`. */
  finish(extra = ""): Uint8Array {
    this.out.copy(this.t, this.copied, this.end);
    this.copied = this.end;
    if (extra) this.out.write(extra);
    return this.out.bytes();
  }

  /**
   * A comment: kept as it is unless it may be encrypted. The full reader tries a comment under its
   * own container's path and then the others around it, the root's always among them (cst.ts
   * `comment`); a whole-line one at column 0 between root entries belongs to the root there, and
   * is tried here under the root's path (`:`), so what decrypts here decrypts there to the same
   * text. Anything else, or one that does not decrypt under the root, declines (the full reader
   * then finds its path, or warns and keeps it).
   */
  private comment(hash: number, header = false): void {
    const t = this.t;
    if (!header) {
      this.sawComment = true;
      // Declined now rather than at the end: no value after this is decrypted for nothing.
      if (this.ix && this.sawSeq) throw LEAN_DECLINE;
    }
    if (this.plain) throw LEAN_DECLINE;
    if (!(t[hash + 1] === 69 && t[hash + 2] === 78 && t[hash + 3] === 67 && t[hash + 4] === 91)) return; // not `#ENC[`
    // load() (the index) decrypts no comment, as the full path's sealDocument, and before the
    // first entry (a file's header) a comment is in no list: nothing to it.
    if (this.ix && header) return;
    if (this.ix || hash !== this.lineStart) throw LEAN_DECLINE;
    // Only between root entries (or before the first): with a nested block open, or a key whose
    // block may follow, the full reader may give the comment to that container, whose path also
    // decides whether it is decrypted at all (`x_unencrypted:`): left to it.
    if (this.frames.length !== 1 || this.pending !== undefined) throw LEAN_DECLINE;
    const next = this.visit(ROOT_PATH, ":", { type: "comment", text: utf8(t, hash + 1, this.eol) });
    if (next === undefined) return;
    this.out.copy(t, this.copied, hash);
    // As cst.ts writes a decrypted comment: one line, so it can never inject YAML.
    this.out.write(`#${next.text.replace(/\r?\n|\r/g, " ")}`);
    this.copied = this.eol;
  }

  private isDash(p: number): boolean {
    return this.t[p] === DASH && (p + 1 === this.eol || this.t[p + 1] === SP);
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
        const indent = col - pend.frame.col;
        if (indent > 0 && (this.step === 0 || indent < this.step)) this.step = indent;
        const path = [...pend.frame.path, pend.key];
        const frame: Frame = { seq: dash, col, path, aad: `${pend.frame.aad}${pend.key}:`, keys: dash ? undefined : new Set(), id: pend.id };
        this.ix?.setKind(pend.id, dash ? KIND_SEQ : KIND_MAP);
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
    this.sawSeq = true;
    if (this.ix && this.sawComment) throw LEAN_DECLINE; // as in comment()
    let q = p + 1;
    if (q === this.eol) throw LEAN_DECLINE; // `-` alone (its value below, or null)
    while (t[q] === SP) q++;
    if (q === this.eol || t[q] === HASH) throw LEAN_DECLINE;
    if (this.frames.length >= MAX_FRAMES) throw LEAN_DECLINE;
    const col = q - this.lineStart;
    const id = this.ix ? this.ix.add(KIND_NULL, seq.id, -1, -1, "") : -1;
    if (this.isDash(q)) {
      this.ix?.setKind(id, KIND_SEQ);
      const inner: Frame = { seq: true, col, path: seq.path, aad: seq.aad, keys: undefined, id };
      this.frames.push(inner);
      this.seqItem(inner, q);
      return;
    }
    const key = this.key(q);
    if (key) {
      this.ix?.setKind(id, KIND_MAP);
      const map: Frame = { seq: false, col, path: seq.path, aad: seq.aad, keys: new Set(), id };
      this.frames.push(map);
      this.entry(map, q, key);
      return;
    }
    this.value(seq, undefined, q, id);
  }

  /** `key: …` at `p` in mapping `map`. */
  private keyLine(map: Frame, p: number): void {
    const key = this.key(p);
    if (!key) throw LEAN_DECLINE;
    this.entry(map, p, key);
  }

  private entry(map: Frame, p: number, key: { text: string; end: number; after: number }): void {
    const t = this.t;
    const keys = map.keys!;
    if (keys.has(key.text)) throw LEAN_DECLINE; // the full reader's duplicate-key error
    keys.add(key.text);
    const id = this.ix ? this.ix.add(KIND_NULL, map.id, p, key.end, key.text) : -1;
    let q = key.after;
    while (t[q] === SP) q++;
    if (q === this.eol || t[q] === HASH) {
      if (q !== this.eol) this.comment(q);
      this.pending = { key: key.text, col: p - this.lineStart, frame: map, id };
      return;
    }
    this.value(map, key.text, q, id);
  }

  /**
   * A mapping key at `p` (plain, or quoted without escapes), its text and where its `:` ends;
   * undefined when the line is not a `key:` entry.
   */
  private key(p: number): { text: string; end: number; after: number } | undefined {
    const t = this.t;
    const eol = this.eol;
    const c = t[p];
    if (c === SQ || c === DQ) {
      const q = this.quotedEnd(p);
      if (t[q] !== COLON || (q + 1 !== eol && t[q + 1] !== SP)) return undefined;
      return { text: quotedText(t, p, q), end: q, after: q + 1 };
    }
    this.plainStart(p);
    for (let j = t.indexOf(COLON, p); j !== -1 && j < eol; j = t.indexOf(COLON, j + 1)) {
      if (j + 1 !== eol && t[j + 1] !== SP) continue;
      if (this.commentStart(p, j) !== j) return undefined;
      // `a : b` (space before the colon), merge keys, keys the parser limits: the full reader.
      if (t[j - 1] === SP || j - p > 1000) throw LEAN_DECLINE;
      const text = utf8(t, p, j);
      if (text === "<<") throw LEAN_DECLINE;
      const typed = resolvePlain(text);
      if (typed === null || typed.type !== "str") throw LEAN_DECLINE; // "only string keys"
      return { text, end: j, after: j + 1 };
    }
    return undefined;
  }

  /**
   * The first ` #` at or after {@link hashFrom} (-1: none): found by Buffer#indexOf, not a loop
   * over each value's bytes (which V8 would compile with TurboFan at every start); kept, so a file
   * without comments is searched once, not from every value to its end.
   */
  private hashAt = -1;
  private hashFrom = Infinity;

  /** Where a comment (` #`) starts between `from` and `to` (its space), else `to`; on this line only. */
  private commentStart(from: number, to: number): number {
    if (from < this.hashFrom || (this.hashAt !== -1 && this.hashAt < from)) {
      this.hashAt = this.t.indexOf(SPACE_HASH, from);
      this.hashFrom = from;
    }
    return this.hashAt !== -1 && this.hashAt + 1 < to ? this.hashAt : to;
  }

  /** Declines a plain scalar that cannot start at `p` (an indicator, `- `, `? `, `: `). */
  private plainStart(p: number): void {
    const t = this.t;
    const c = t[p];
    if (c === undefined || INDICATOR.has(c)) throw LEAN_DECLINE;
    if ((c === DASH || c === 63 || c === COLON) && (p + 1 === this.eol || t[p + 1] === SP)) throw LEAN_DECLINE;
  }

  /** The end (after the closing quote) of a one-line quoted scalar at `p`. */
  private quotedEnd(p: number): number {
    const t = this.t;
    const quote = t[p];
    for (let j = p + 1; ; ) {
      const k = t.indexOf(quote!, j);
      if (k === -1 || k >= this.eol) throw LEAN_DECLINE;
      if (quote === SQ && t[k + 1] === SQ) {
        j = k + 2;
        continue;
      }
      if (quote === DQ) {
        // An escaped quote: skip it (an even run of backslashes before it escapes nothing).
        let b = k;
        while (t[b - 1] === 92 && b - 1 > p) b--;
        if ((k - b) % 2 === 1) {
          j = k + 1;
          continue;
        }
      }
      return k + 1;
    }
  }

  /** A one-line scalar value at `q` of `frame` (under `key` in a mapping, an item in a sequence). */
  private value(frame: Frame, key: string | undefined, q: number, id: number): void {
    const t = this.t;
    const eol = this.eol;
    const c = t[q];
    let end: number;
    let typed: PlainValue | null;
    if (c === SQ || c === DQ) {
      end = this.quotedEnd(q);
      typed = { type: "str", text: quotedText(t, q, end) };
      let r = end;
      while (t[r] === SP) r++;
      if (r !== eol) {
        if (r === end || t[r] !== HASH) throw LEAN_DECLINE;
        this.comment(r);
      }
    } else if ((c === 123 || c === 91) && t[q + 1] === (c === 123 ? 125 : 93)) {
      // `{}` or `[]`: an empty mapping or sequence, no leaf.
      let r = q + 2;
      while (t[r] === SP) r++;
      if (r !== eol) {
        if (r === q + 2 || t[r] !== HASH) throw LEAN_DECLINE;
        this.comment(r);
      }
      this.ix?.setKind(id, c === 123 ? KIND_MAP : KIND_SEQ);
      return;
    } else {
      this.plainStart(q);
      const stop = this.commentStart(q, eol);
      end = stop;
      while (t[end - 1] === SP) end--;
      const src = utf8(t, q, end);
      // `a: b: c` and `a: b:` are mapping errors in YAML.
      if (src.includes(": ") || src.endsWith(":")) throw LEAN_DECLINE;
      if (stop !== eol) this.comment(stop + 1);
      typed = resolvePlain(src);
    }
    if (typed === null) return; // a null is no leaf
    this.ix?.setValue(id, q, end);
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
    this.out.copy(t, this.copied, q);
    this.out.write(r.source);
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
