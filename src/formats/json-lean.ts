/**
 * A streaming reader of JSON for the lean decrypt and encrypt paths (issue 20, memory): one pass
 * over the file's bytes (as read: no string copy of the file is made) reporting each member key
 * and scalar by its offsets, building no tree and no CST. It is at least as strict as `JSON.parse` (anything it does not accept makes
 * it return null, and the caller takes the full path, which gives the real result or error), and
 * it accepts only the layouts whose output it knows byte for byte:
 *
 * - valid UTF-8 (the full path reads other bytes as U+FFFD), and no `\r` (a CRLF file goes
 *   through the full path, which keeps it CRLF);
 * - the top level is an object, with at most one member named `sops`; when there is one, it is
 *   the last member, at least one member comes before it, and a `,` follows that member's value
 *   immediately (what sops and hush write);
 * - nesting no deeper than {@link MAX_DEPTH}.
 *
 * {@link jsonLeanScanner} (decrypt, `lean.ts`) and {@link jsonLeanPlainScanner} (encrypt,
 * `lean-plain.ts`) are built on it.
 */
import { isUtf8 } from "node:buffer";
import type { MetadataBlock } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";
import { OutBuffer } from "../util/out-buffer.js";
import { detectUnit, jsonMetadataMember, jsonScalarSource, typeJsonNumber } from "./json.js";
import { jsonString } from "./json-scalars.js";
import type { LeanByteScanner, LeanDocument, LeanVisitor } from "./lean.js";
import type { LeanPlainByteScanner, LeanPlainDocument, LeanSealVisitor } from "./lean-plain.js";

/** Kinds of scalar reported by {@link scanJson}. */
const JSON_STRING = 0;
/** A string with a `\` escape (decoded by `JSON.parse`). */
const JSON_STRING_ESCAPED = 5;
const JSON_NUMBER = 1;
const JSON_TRUE = 2;
const JSON_FALSE = 3;
const JSON_NULL = 4;

/** What a scan reports, in file order. The top-level `sops` member is never reported. */
interface JsonScanSink {
  /** An object member's key (decoded); its value follows, then {@link leave}. */
  enter(key: string): void;
  leave(): void;
  /** A scalar value (in an object or a list), as its source span `[start, end)`. */
  scalar(kind: number, start: number, end: number): void;
}

/** Where the pieces of the document are, for writing it back with or without its `sops` member. */
interface JsonLayout {
  /** The top-level `sops` member: from the `,` after the previous value to the end of its value; absent when the file has none. */
  readonly sops?: { readonly cutStart: number; readonly valueStart: number; readonly valueEnd: number };
  /** Offset of the root object's closing `}`. */
  readonly close: number;
  /** True when the root object has a member other than `sops`. */
  readonly hasMembers: boolean;
}

/** Deeper documents take the full path (the reader recurses). */
const MAX_DEPTH = 400;

class Unhandled extends Error {}
const UNHANDLED = new Unhandled();

/** The bytes as a Buffer (a view, no copy). */
export function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Scans `bytes` as a JSON document, calling `sink` (when given) for every member and scalar
 * outside the top-level `sops` member. Returns null for anything outside what the module comment
 * lists; exceptions thrown by the sink propagate. `checked`: the bytes were already found valid
 * UTF-8 without `\r` (a second pass over the same bytes).
 */
function scanJson(bytes: Buffer, sink?: JsonScanSink, checked = false): JsonLayout | null {
  if (!checked && (bytes.indexOf(0x0d) !== -1 || !isUtf8(bytes))) return null;
  const s = new Scanner(bytes, sink);
  try {
    return s.document();
  } catch (e) {
    if (e === UNHANDLED) return null;
    throw e;
  }
}

/** A JSON string token's bytes (with its quotes) decoded; `escaped`: it holds a `\`. */
function decodeString(b: Buffer, start: number, end: number, escaped: boolean): string {
  return escaped ? (JSON.parse(b.toString("utf8", start, end)) as string) : b.toString("utf8", start + 1, end - 1);
}

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && (isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

class Scanner {
  private i = 0;
  /** Whether the last string scanned held an escape. */
  private escaped = false;
  constructor(
    private readonly t: Buffer,
    private readonly sink: JsonScanSink | undefined,
  ) {}

  private ws(): void {
    const t = this.t;
    let i = this.i;
    while (isWs(t[i])) i++;
    this.i = i;
  }

  private at(): number {
    return this.t[this.i] ?? -1;
  }

  document(): JsonLayout {
    this.ws();
    if (this.at() !== 0x7b) throw UNHANDLED;
    this.i++;
    let sops: JsonLayout["sops"];
    let hasMembers = false;
    let prevEnd = -1;
    this.ws();
    if (this.at() === 0x7d) {
      this.i++;
      return this.end({ close: this.i - 1, hasMembers });
    }
    for (;;) {
      if (this.at() !== 0x22) throw UNHANDLED;
      const ks = this.i;
      const ke = this.string();
      const key = decodeString(this.t, ks, ke, this.escaped);
      this.ws();
      if (this.at() !== 0x3a) throw UNHANDLED;
      this.i++;
      this.ws();
      const vs = this.i;
      if (key === "sops") {
        if (sops || prevEnd === -1 || this.t[prevEnd] !== 0x2c) throw UNHANDLED;
        this.value(0, false);
        sops = { cutStart: prevEnd, valueStart: vs, valueEnd: this.i };
      } else {
        if (sops) throw UNHANDLED; // `sops` must be the last member
        hasMembers = true;
        this.sink?.enter(key);
        this.value(1, true);
        this.sink?.leave();
      }
      prevEnd = this.i;
      this.ws();
      const c = this.at();
      this.i++;
      if (c === 0x7d) return this.end({ ...(sops ? { sops } : {}), close: this.i - 1, hasMembers });
      if (c !== 0x2c) throw UNHANDLED;
      this.ws();
    }
  }

  private end(layout: JsonLayout): JsonLayout {
    this.ws();
    if (this.i !== this.t.length) throw UNHANDLED;
    return layout;
  }

  /** One value at `depth`; `report`: tell the sink. Leaves `i` just after it. */
  private value(depth: number, report: boolean): void {
    if (depth > MAX_DEPTH) throw UNHANDLED;
    const sink = report ? this.sink : undefined;
    const start = this.i;
    const c = this.at();
    if (c === 0x22) {
      const end = this.string();
      sink?.scalar(this.escaped ? JSON_STRING_ESCAPED : JSON_STRING, start, end);
    } else if (c === 0x7b) {
      this.i++;
      this.ws();
      if (this.at() === 0x7d) {
        this.i++;
        return;
      }
      for (;;) {
        if (this.at() !== 0x22) throw UNHANDLED;
        const ks = this.i;
        const ke = this.string();
        const escaped = this.escaped;
        this.ws();
        if (this.at() !== 0x3a) throw UNHANDLED;
        this.i++;
        this.ws();
        if (sink) sink.enter(decodeString(this.t, ks, ke, escaped));
        this.value(depth + 1, report);
        sink?.leave();
        this.ws();
        const d = this.at();
        this.i++;
        if (d === 0x7d) return;
        if (d !== 0x2c) throw UNHANDLED;
        this.ws();
      }
    } else if (c === 0x5b) {
      this.i++;
      this.ws();
      if (this.at() === 0x5d) {
        this.i++;
        return;
      }
      for (;;) {
        this.value(depth + 1, report);
        this.ws();
        const d = this.at();
        this.i++;
        if (d === 0x5d) return;
        if (d !== 0x2c) throw UNHANDLED;
        this.ws();
      }
    } else if (c === 0x74) {
      this.literal(TRUE);
      sink?.scalar(JSON_TRUE, start, this.i);
    } else if (c === 0x66) {
      this.literal(FALSE);
      sink?.scalar(JSON_FALSE, start, this.i);
    } else if (c === 0x6e) {
      this.literal(NULL);
      sink?.scalar(JSON_NULL, start, this.i);
    } else {
      this.number();
      sink?.scalar(JSON_NUMBER, start, this.i);
    }
  }

  private literal(word: Buffer): void {
    if (this.i + word.length > this.t.length || this.t.compare(word, 0, word.length, this.i, this.i + word.length) !== 0) throw UNHANDLED;
    this.i += word.length;
  }

  /** `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?` */
  private number(): void {
    const t = this.t;
    let i = this.i;
    if (t[i] === 0x2d) i++;
    const first = t[i];
    if (first === 0x30) i++;
    else if (first !== undefined && first >= 0x31 && first <= 0x39) while (isDigit(t[i])) i++;
    else throw UNHANDLED;
    if (t[i] === 0x2e) {
      i++;
      if (!isDigit(t[i])) throw UNHANDLED;
      while (isDigit(t[i])) i++;
    }
    const e = t[i];
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = t[i];
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(t[i])) throw UNHANDLED;
      while (isDigit(t[i])) i++;
    }
    this.i = i;
  }

  /** A string token from `i` (at its `"`); returns the offset after its closing quote. */
  private string(): number {
    const t = this.t;
    let i = this.i + 1;
    this.escaped = false;
    for (;;) {
      const c = t[i];
      if (c === undefined) throw UNHANDLED;
      if (c === 0x22) break;
      if (c < 0x20) throw UNHANDLED;
      if (c === 0x5c) {
        this.escaped = true;
        const e = t[i + 1];
        if (e === 0x75) {
          if (!isHex(t[i + 2]) || !isHex(t[i + 3]) || !isHex(t[i + 4]) || !isHex(t[i + 5])) throw UNHANDLED;
          i += 6;
          continue;
        }
        // " \ / b f n r t
        if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) throw UNHANDLED;
        i += 2;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    return this.i;
  }
}

const TRUE = Buffer.from("true");
const FALSE = Buffer.from("false");
const NULL = Buffer.from("null");

/** A scalar as the full reader types it (null: a JSON null, which is no leaf). */
function typed(b: Buffer, kind: number, start: number, end: number): PlainValue | null {
  switch (kind) {
    case JSON_STRING:
    case JSON_STRING_ESCAPED:
      return { type: "str", text: decodeString(b, start, end, kind === JSON_STRING_ESCAPED) };
    case JSON_NUMBER:
      return typeJsonNumber(b.toString("latin1", start, end));
    case JSON_TRUE:
      return { type: "bool", text: "True" };
    case JSON_FALSE:
      return { type: "bool", text: "False" };
    default:
      return null;
  }
}

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/**
 * Walks the (checked) bytes, calling `replace` for each non-null scalar with its path and
 * additional data, and writes them into `out` up to the last scalar replaced, each replaced by
 * the source `replace` gave. Returns where the copy stopped.
 */
function rewrite(b: Buffer, out: OutBuffer, replace: (path: readonly string[], aad: string, value: PlainValue) => string | undefined): number {
  const path: string[] = [];
  // aads[i]: the additional data of path[0..i) (`a:b:`), built once per member.
  const aads: string[] = [":"];
  let copied = 0;
  const layout = scanJson(
    b,
    {
      enter(key) {
        aads[path.length + 1] = path.length === 0 ? `${key}:` : `${aads[path.length]!}${key}:`;
        path.push(key);
      },
      leave() {
        path.pop();
      },
      scalar(kind, start, end) {
        const value = typed(b, kind, start, end);
        if (value === null) return;
        const source = replace(path, aads[path.length]!, value);
        if (source === undefined) return;
        out.copy(b, copied, start);
        out.write(source);
        copied = end;
      },
    },
    true,
  );
  if (!layout) throw new Error("json-lean: the bytes changed between open and walk");
  return copied;
}

/**
 * The lean decrypt of an encrypted JSON document (`lean.ts`): the output is the file with each
 * replaced value rendered as the full reader renders it and the `sops` member cut from the `,`
 * after the previous value to the end of its own value (what the CST removal leaves), ending in
 * a newline. Written into one Buffer, zero-filled if the walk fails.
 */
export const jsonLeanScanner: LeanByteScanner = (bytes) => {
  const b = asBuffer(bytes);
  const layout = scanJson(b);
  if (!layout?.sops) return null;
  const sops = layout.sops;
  let rawMetadata: unknown;
  try {
    rawMetadata = JSON.parse(b.toString("utf8", sops.valueStart, sops.valueEnd));
  } catch {
    return null;
  }
  const doc: LeanDocument = {
    rawMetadata,
    walk(visit: LeanVisitor) {
      const out = new OutBuffer(b.length + 1024);
      try {
        const copied = rewrite(b, out, (path, aad, value) => {
          const next = visit(path, aad, value);
          return next === undefined ? undefined : jsonScalarSource(next);
        });
        out.copy(b, copied, sops.cutStart);
        out.copy(b, sops.valueEnd, b.length);
        // sops ≥ 3.10 ends JSON output with a newline (CstDocument.toString).
        if (b[b.length - 1] !== 0x0a) out.write("\n");
        return out.result();
      } catch (e) {
        out.wipe();
        throw e;
      }
    },
  };
  return doc;
};

/** `detectUnit` (json.ts) on the few first bytes it looks at. */
function unitOf(b: Buffer, indent: number | undefined): string {
  let i = 0;
  while (isWs(b[i])) i++;
  if (b[i] === 0x7b) {
    i++;
    while (b[i] === 0x20 || b[i] === 0x09) i++;
    if (b[i] === 0x0a) {
      i++;
      while (b[i] === 0x20 || b[i] === 0x09) i++;
    }
  }
  // The character after the indentation decides (`\S`): up to 4 bytes of it.
  return detectUnit(b.toString("utf8", 0, Math.min(b.length, i + 4)), indent);
}

/**
 * The lean encrypt of a plaintext JSON document (`lean-plain.ts`): each replaced value becomes a
 * JSON string, and the `sops` member goes after the last space before the root's closing brace,
 * indented as the full reader indents it (`insertJsonMember`, `detectUnit`).
 */
export const jsonLeanPlainScanner: LeanPlainByteScanner = (bytes, options) => {
  const b = asBuffer(bytes);
  const layout = scanJson(b);
  // Already encrypted: the full reader reports it.
  if (!layout || layout.sops) return null;
  const out = new OutBuffer(b.length * 4 + 65536);
  let copied = 0;
  const doc: LeanPlainDocument = {
    walk(visit: LeanSealVisitor) {
      copied = rewrite(b, out, (path, aad, value) => {
        const enc = visit(path, aad, value, NO_COMMENTS, false);
        return enc === undefined ? undefined : jsonString(enc);
      });
    },
    finish(meta: MetadataBlock) {
      // Only JSON whitespace lies between the last value and the closing brace.
      let p = layout.close;
      while (p > 0 && isWs(b[p - 1])) p--;
      out.copy(b, copied, p);
      if (layout.hasMembers) out.write(",");
      out.write(jsonMetadataMember(meta, unitOf(b, options.indent)));
      out.copy(b, p, b.length);
      if (b[b.length - 1] !== 0x0a) out.write("\n");
      return out.result();
    },
  };
  return doc;
};
