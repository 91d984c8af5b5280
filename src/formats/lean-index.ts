/**
 * A compact index of a document's structure for `load()` (issue 20, memory): typed arrays of
 * byte offsets into the file's bytes, one slot per map, list, value or null, and an
 * open-addressing table from (parent, key) to entry, instead of a tree of objects and strings.
 * A lookup by key hashes the key and compares it with the one in the file: one probe, whatever
 * the document's size. Built by a lean scanner (yaml-lean.ts), read by core/sealed-lean.ts.
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
   * `capacity`: the expected number of entries (one per line is the usual case). The arrays are
   * sized for it once and never trimmed: copies to grow or trim were most of the index's peak,
   * and the pages of a typed array's unused tail are never written, so never resident.
   */
  constructor(
    bytes: Uint8Array,
    private readonly reader: TokenReader,
    capacity = 1024,
  ) {
    this.bytes = bytes;
    const n = Math.max(16, capacity);
    this.kinds = new Uint8Array(n);
    this.parent = new Int32Array(n);
    this.keyStart = new Int32Array(n);
    this.keyEnd = new Int32Array(n);
    this.valStart = new Int32Array(n);
    this.valEnd = new Int32Array(n);
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
    this.keyStart[id] = keyStart;
    this.keyEnd[id] = keyEnd;
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
    this.valStart[id] = start;
    this.valEnd[id] = end;
  }

  private grow(): void {
    const size = this.kinds.length * 2;
    const g = <T extends Uint8Array | Int32Array>(a: T): T => {
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
      if (this.keyStart[id] === -1) continue;
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
    return this.reader.key(this.live(), this.keyStart[id]!, this.keyEnd[id]!);
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
    return this.kinds[id] === KIND_VALUE ? this.reader.scalar(this.live(), this.valStart[id]!, this.valEnd[id]!) : null;
  }

  clear(): void {
    this.bytes = undefined;
    this.table = new Int32Array(0);
    this.n = 0;
  }

  private live(): Uint8Array {
    if (!this.bytes) throw new Error("the index was cleared");
    return this.bytes;
  }
}
