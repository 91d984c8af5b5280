/**
 * A compact index of a document's structure for `load()` (issue 20, memory): typed arrays of
 * byte offsets into the file's bytes, one slot per map, list, value or null, and an
 * open-addressing table from (parent, key) to entry, instead of a tree of objects and strings.
 * A lookup by key hashes the key and compares it with the one in the file: one probe, whatever
 * the document's size. Built by a lean scanner (yaml-lean.ts), read by core/sealed-lean.ts.
 * In compact mode (a file read in windows, yaml-lean-stream.ts) the offsets point into a store
 * of the index's own instead: each key and value copied, each `ENC[…]` value decoded.
 */
import type { PlainValue } from "../model/value.js";

export const KIND_MAP = 0;
export const KIND_SEQ = 1;
export const KIND_VALUE = 2;
export const KIND_NULL = 3;
type Kind = typeof KIND_MAP | typeof KIND_SEQ | typeof KIND_VALUE | typeof KIND_NULL;

/** How the scanner reads a key or a scalar back from its bytes. */
export interface TokenReader {
  key(bytes: Uint8Array, start: number, end: number): string;
  scalar(bytes: Uint8Array, start: number, end: number): PlainValue | null;
}

/** The read side of the index (what core/sealed-lean.ts needs). */
export interface LeanIndex {
  kind(id: number): Kind;
  /** The children of a map or list, in file order. */
  children(id: number): number[];
  /** A map entry's key. */
  key(id: number): string;
  /** The child of map `parent` with key `key`, or -1. */
  find(parent: number, key: string): number;
  /** A value's scalar, as the full reader types it. */
  value(id: number): PlainValue | null;
  /** Drops the bytes and the arrays (Secrets.dispose). */
  clear(): void;
}

/** A string hash (FNV-1a over UTF-16 units), mixed with the parent's id. */
function hashKey(parent: number, key: string): number {
  let h = (0x811c9dc5 ^ parent) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** The largest compact store (offsets are kept in 29 bits); a larger file is read whole. */
export const STORE_MAX_BYTES = 2 ** 29;

/** Builds the index while a scanner walks the document (entry 0 is the root map). */
export class IndexBuilder implements LeanIndex {
  private n = 0;
  private kinds: Uint8Array;
  private parent: Int32Array;
  private keyStart: Int32Array;
  private keyEnd: Int32Array;
  private valStart: Int32Array;
  private valEnd: Int32Array;
  private next: Int32Array;
  private last: Int32Array;
  private first: Int32Array;
  private hash: Int32Array;
  private table = new Int32Array(0);
  private bytes: Uint8Array | undefined;
  /**
   * The compact store (load() of a file read in windows): the keys' bytes and the values' bytes,
   * each `ENC[…]` value decoded (see {@link IndexBuilder.keepValue}); offsets then point into it
   * and `bytes` is only the window being walked. Undefined when offsets point into `bytes`.
   */
  private store: Buffer | undefined;
  private storeLen = 0;
  private readonly compact: boolean;
  /** Compact mode: where the store ended after the last add() (its value must follow at once). */
  private added = -1;

  /**
   * `capacity`: the expected number of entries (one per line is the usual case). The arrays are
   * sized for it once and never trimmed: copies to grow or trim were most of the index's peak,
   * and the pages of a typed array's unused tail are never written, so never resident.
   * `storeCapacity`: with one (at least the bytes the walk will cover), keys and values are copied
   * into a store of their own as they are indexed, so the caller may walk the document in windows
   * and drop each one (see {@link IndexBuilder.source}). Its unused tail is never written either.
   */
  constructor(
    bytes: Uint8Array,
    private readonly reader: TokenReader,
    capacity = 1024,
    storeCapacity?: number,
  ) {
    this.bytes = bytes;
    this.compact = storeCapacity !== undefined;
    if (storeCapacity !== undefined) {
      if (storeCapacity >= STORE_MAX_BYTES) throw new RangeError("the index's store holds at most 512 MiB");
      this.store = Buffer.allocUnsafeSlow(storeCapacity + 64);
    }
    const n = Math.max(16, capacity);
    this.kinds = new Uint8Array(n);
    this.parent = new Int32Array(n);
    // Compact mode: one slot per entry, keyStart, holds where its record starts in the store
    // (shifted left, bit 0 set when a key comes first): a key (length, bytes), then its value
    // (see keepValue), each read back in order; the other three arrays are not used.
    const m = storeCapacity === undefined ? n : 0;
    this.keyStart = new Int32Array(n);
    this.keyEnd = new Int32Array(m);
    this.valStart = new Int32Array(m);
    this.valEnd = new Int32Array(m);
    this.next = new Int32Array(n);
    this.last = new Int32Array(n);
    this.first = new Int32Array(n);
    this.hash = new Int32Array(n);
    this.add(KIND_MAP, -1, -1, -1, "");
  }

  /** A new entry, last child of `parent`; its key's byte range and text (-1 and "" in a list). */
  add(kind: Kind, parent: number, keyStart: number, keyEnd: number, key: string): number {
    if (this.n === this.kinds.length) this.grow();
    const id = this.n++;
    this.kinds[id] = kind;
    this.parent[id] = parent;
    if (this.compact) {
      this.keyStart[id] = keyStart === -1 ? this.storeLen * 2 : this.keep(keyStart, keyEnd) * 2 + 1;
      this.added = this.storeLen;
    } else {
      this.keyStart[id] = keyStart;
      this.keyEnd[id] = keyEnd;
    }
    this.next[id] = -1;
    this.first[id] = -1;
    this.last[id] = -1;
    this.hash[id] = keyStart === -1 ? 0 : hashKey(parent, key);
    if (parent !== -1) {
      const l = this.last[parent]!;
      if (l === -1) this.first[parent] = id;
      else this.next[l] = id;
      this.last[parent] = id;
    }
    return id;
  }

  setKind(id: number, kind: Kind): void {
    this.kinds[id] = kind;
  }

  setValue(id: number, start: number, end: number): void {
    this.kinds[id] = KIND_VALUE;
    if (this.compact) {
      // Its record follows its key's: nothing may have been stored since its add().
      if (id !== this.n - 1 || this.storeLen !== this.added) throw new Error("lean index: a value set out of order");
      this.keepValue(start, end);
      this.added = -1;
      return;
    }
    this.valStart[id] = start;
    this.valEnd[id] = end;
  }

  /** The window the walk reads now (compact mode: keys and values are copied out of it). */
  source(bytes: Uint8Array): void {
    this.bytes = bytes;
  }

  /** Room for `n` more bytes in the store (sized for the whole walk, so normally never grown). */
  private room(n: number): Buffer {
    const store = this.store!;
    if (this.storeLen + n <= store.length) return store;
    const next = Buffer.allocUnsafeSlow(Math.max(this.storeLen + n, store.length * 2));
    store.copy(next, 0, 0, this.storeLen);
    this.store = next;
    return next;
  }

  /**
   * Copies bytes of the window into the store after their length (one byte below 0xFE, else 0xFE
   * and four); returns where the record starts.
   */
  private keep(start: number, end: number): number {
    const n = end - start;
    const store = this.room(n + 5);
    const at = this.storeLen;
    let o = at;
    if (n < 0xfe) store[o++] = n;
    else {
      store[o++] = 0xfe;
      store.writeUInt32LE(n, o);
      o += 4;
    }
    copyBytes(this.bytes!, start, end, store, o);
    this.storeLen = o + n;
    return at;
  }

  /**
   * Copies a value into the store. A plain `ENC[AES256_GCM,data:A,iv:B,tag:C,type:T]` whose A, B
   * and C are canonical base64 (what the cipher accepts: {@link decodeBase64}) and T a short
   * lower-case word is kept decoded, half its size: `0xFF` (never a byte of UTF-8 text), A's
   * length (4 bytes), B's, C's and T's (1 byte each), T, A, B, C. Base64 that decodes only one way
   * and encodes back the same, and parts without commas, make {@link encText} give back exactly
   * the original bytes. Anything else is copied as it is.
   */
  private keepValue(start: number, end: number): number {
    const b = this.bytes!;
    if (end - start < ENC_HEAD.length + 20 || b[end - 1] !== 93 /* ] */) return this.keep(start, end);
    for (let i = 0; i < ENC_HEAD.length; i++) if (b[start + i] !== ENC_HEAD[i]) return this.keep(start, end);
    const a = start + ENC_HEAD.length;
    const aEnd = sep(b, a, end, SEP_IV);
    const bEnd = aEnd === -1 ? -1 : sep(b, aEnd + SEP_IV.length, end, SEP_TAG);
    const cEnd = bEnd === -1 ? -1 : sep(b, bEnd + SEP_TAG.length, end, SEP_TYPE);
    if (cEnd === -1) return this.keep(start, end);
    const t = cEnd + SEP_TYPE.length;
    const typeLen = end - 1 - t;
    if (typeLen < 1 || typeLen > 32) return this.keep(start, end);
    for (let i = t; i < end - 1; i++) if (b[i]! < 97 || b[i]! > 122) return this.keep(start, end);
    const store = this.room(8 + typeLen + (end - start));
    const at = this.storeLen;
    let o = at + 8;
    copyBytes(b, t, end - 1, store, o);
    o += typeLen;
    const dataLen = decodeBase64(b, a, aEnd, store, o);
    const ivLen = dataLen < 1 ? -1 : decodeBase64(b, aEnd + SEP_IV.length, bEnd, store, o + dataLen);
    const tagLen = ivLen < 1 || ivLen > 255 ? -1 : decodeBase64(b, bEnd + SEP_TAG.length, cEnd, store, o + dataLen + ivLen);
    if (tagLen < 1 || tagLen > 255) return this.keep(start, end);
    store[at] = 0xff;
    store.writeUInt32LE(dataLen, at + 1);
    store[at + 5] = ivLen;
    store[at + 6] = tagLen;
    store[at + 7] = typeLen;
    this.storeLen = o + dataLen + ivLen + tagLen;
    return at;
  }

  /** A value kept decoded, as the text it was read from. */
  private encText(s: Buffer, at: number): string {
    const dataLen = s.readUInt32LE(at + 1);
    const ivLen = s[at + 5]!;
    const tagLen = s[at + 6]!;
    const t = at + 8;
    const d = t + s[at + 7]!;
    return `ENC[AES256_GCM,data:${s.toString("base64", d, d + dataLen)},iv:${s.toString("base64", d + dataLen, d + dataLen + ivLen)},tag:${s.toString("base64", d + dataLen + ivLen, d + dataLen + ivLen + tagLen)},type:${s.toString("latin1", t, d)}]`;
  }

  private grow(): void {
    const size = this.kinds.length * 2;
    const g = <T extends Uint8Array | Int32Array>(a: T): T => {
      if (a.length === 0) return a;
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.kinds = g(this.kinds);
    this.parent = g(this.parent);
    this.keyStart = g(this.keyStart);
    this.keyEnd = g(this.keyEnd);
    this.valStart = g(this.valStart);
    this.valEnd = g(this.valEnd);
    this.next = g(this.next);
    this.last = g(this.last);
    this.first = g(this.first);
    this.hash = g(this.hash);
  }

  /** Builds the key table; the index is then read-only. */
  finish(): LeanIndex {
    const n = this.n;
    this.last = new Int32Array(0);
    let size = 16;
    while (size < n * 2) size *= 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let id = 1; id < n; id++) {
      if (this.compact ? (this.keyStart[id]! & 1) === 0 : this.keyStart[id] === -1) continue;
      let slot = this.hash[id]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.table = table;
    return this;
  }

  kind(id: number): Kind {
    return this.kinds[id] as Kind;
  }

  children(id: number): number[] {
    const out: number[] = [];
    for (let c = this.first[id]!; c !== -1; c = this.next[c]!) out.push(c);
    return out;
  }

  key(id: number): string {
    if (!this.compact) return this.reader.key(this.live(), this.keyStart[id]!, this.keyEnd[id]!);
    const s = this.live();
    const at = this.keyStart[id]! >> 1;
    return this.reader.key(s, recordStart(s, at), recordEnd(s, at));
  }

  /** What keys and values are read from: the store in compact mode, else the document's bytes. */
  private live(): Uint8Array {
    const b = this.compact ? this.store : this.bytes;
    if (!b) throw new Error("the index was cleared");
    return b;
  }

  find(parent: number, key: string): number {
    const table = this.table;
    if (table.length === 0) return -1;
    const mask = table.length - 1;
    const h = hashKey(parent, key);
    for (let slot = h & mask; table[slot] !== 0; slot = (slot + 1) & mask) {
      const id = table[slot]! - 1;
      if (this.hash[id] === h && this.parent[id] === parent && this.key(id) === key) return id;
    }
    return -1;
  }

  value(id: number): PlainValue | null {
    if (this.kinds[id] !== KIND_VALUE) return null;
    const b = this.live();
    if (!this.compact) return this.reader.scalar(b, this.valStart[id]!, this.valEnd[id]!);
    const rec = this.keyStart[id]!;
    const at = rec & 1 ? recordEnd(b, rec >> 1) : rec >> 1;
    // The very text the walk read: a plain scalar starting `ENC[`, which no reader types as
    // anything but a string (YAML's resolution: not a null, bool, number, time or merge key).
    if (b[at] === 0xff) return { type: "str", text: this.encText(b as Buffer, at) };
    return this.reader.scalar(b, recordStart(b, at), recordEnd(b, at));
  }

  clear(): void {
    this.bytes = undefined;
    this.store = undefined;
    this.table = new Int32Array(0);
    this.n = 0;
  }
}

/** Copies src[start, end) to dst at `at` (a loop for the short keys and types: no view made). */
function copyBytes(src: Uint8Array, start: number, end: number, dst: Buffer, at: number): void {
  if (end - start > 64) dst.set(src.subarray(start, end), at);
  else for (let i = start; i < end; i++) dst[at++] = src[i]!;
}

/** Where the bytes of the record at `at` start (after its length; see IndexBuilder.keep). */
function recordStart(s: Uint8Array, at: number): number {
  return s[at] === 0xfe ? at + 5 : at + 1;
}

/** Where the record at `at` ends. */
function recordEnd(s: Uint8Array, at: number): number {
  return s[at] === 0xfe ? at + 5 + (s as Buffer).readUInt32LE(at + 1) : at + 1 + s[at]!;
}

const ENC_HEAD = Buffer.from("ENC[AES256_GCM,data:", "latin1");
const SEP_IV = Buffer.from(",iv:", "latin1");
const SEP_TAG = Buffer.from(",tag:", "latin1");
const SEP_TYPE = Buffer.from(",type:", "latin1");

/** Where the first `,` in b[from, end) is, when `mark` starts there and ends by `end`; else -1. */
function sep(b: Uint8Array, from: number, end: number, mark: Buffer): number {
  let c = from;
  while (c < end && b[c] !== 44) c++;
  if (c + mark.length > end) return -1;
  for (let i = 1; i < mark.length; i++) if (b[c + i] !== mark[i]) return -1;
  return c;
}

/** Each standard base64 character's value, -1 for every other byte. */
const B64 = new Int8Array(256).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].entries()) B64[c.charCodeAt(0)] = i;

/**
 * Decodes canonical base64 b[start, end) into `out` at `at` and returns its length, or -1 unless
 * the text is exactly what encoding those bytes gives (the cipher's strictBase64 rule): a length
 * of 4k, only the 64 characters, `=` only as one or two final pads, zero unused bits before them.
 */
export function decodeBase64(b: Uint8Array, start: number, end: number, out: Buffer, at: number): number {
  const n = end - start;
  if (n === 0 || n % 4 !== 0) return -1;
  const pad = b[end - 1] === 61 ? (b[end - 2] === 61 ? 2 : 1) : 0;
  let o = at;
  for (let i = start; i < end; i += 4) {
    const last = i + 4 === end;
    const v0 = B64[b[i]!]!;
    const v1 = B64[b[i + 1]!]!;
    const v2 = last && pad === 2 ? 0 : B64[b[i + 2]!]!;
    const v3 = last && pad >= 1 ? 0 : B64[b[i + 3]!]!;
    if ((v0 | v1 | v2 | v3) < 0) return -1;
    out[o++] = (v0 << 2) | (v1 >> 4);
    if (last && pad === 2) {
      if ((v1 & 15) !== 0) return -1;
      break;
    }
    out[o++] = ((v1 & 15) << 4) | (v2 >> 2);
    if (last && pad === 1) {
      if ((v2 & 3) !== 0) return -1;
      break;
    }
    out[o++] = ((v2 & 3) << 6) | v3;
  }
  return o - at;
}
