/**
 * `load()` of a YAML file without holding the file (issue 20, memory): the lean scanner's index
 * walk (yaml-lean.ts) over the file read in windows of whole lines, the index keeping its own
 * compact copy of the keys and values (lean-index.ts: each `ENC[…]` value decoded, half its
 * text), so what stays is that copy and the index, not the file's bytes. The `sops` block, which
 * is last, is read first (its metadata gives the data key that the walk's MAC check needs).
 *
 * The subset and every check are yaml-lean.ts's, applied to the same bytes: the scan gives the
 * same index, the same visits in the same order, or declines (null) where that scanner would
 * decline, and in a few more cases (a file that starts with `sops:`, a `sops` block over 4 MiB, a
 * read that fails or comes up short); the caller then reads the file whole and loads it as before.
 */
import { LEAN_DECLINE, type LeanDocument } from "./lean.js";
import { IndexBuilder, STORE_MAX_BYTES, type LeanIndex } from "./lean-index.js";
import { ENC_COMMENT, plainBytes, READER, SOPS_LINE, Walk } from "./yaml-lean.js";
import { yamlFormat } from "./yaml.js";

/** Reads up to `length` bytes at file offset `position` into `buf` at `offset`; returns the count. */
export type ReadAt = (buf: Buffer, offset: number, length: number, position: number) => number;

const NL = 10;
const SP = 32;
const HASH = 35;
/** The tail read first for the `sops` block, and the most read looking for it. */
const TAIL = 64 * 1024;
const MAX_TAIL = 4 * 1024 * 1024;

/**
 * Opens a YAML file of `size` bytes, read through `read`, for `load()`: a document whose
 * `index()` walks it in windows of about `window` bytes (its `walk()` declines: decrypt and
 * encrypt read the file whole). Null when it is outside the subset.
 */
export function yamlLeanStream(size: number, read: ReadAt, window = 256 * 1024): LeanDocument | null {
  try {
    return open(size, read, Math.max(64, window));
  } catch (e) {
    if (e === LEAN_DECLINE) return null;
    throw e;
  }
}

function open(size: number, read: ReadAt, window: number): LeanDocument | null {
  if (size < 7) return null;
  // As yaml-lean.ts's sopsStart: the block is the last `sops:` line at column 0. A file that
  // starts with one is left to the whole-file path (its rule for that case differs).
  if (readFully(read, 0, 6).equals(SOPS_LINE.subarray(1))) return null;
  let tailLen = Math.min(size, TAIL);
  let tail: Buffer;
  let rel: number;
  for (;;) {
    tail = readFully(read, size - tailLen, tailLen);
    if (tail[tail.length - 1] !== NL) return null;
    const i = tail.lastIndexOf(SOPS_LINE);
    if (i !== -1) {
      rel = i + 1;
      break;
    }
    if (tailLen === size || tailLen >= MAX_TAIL) return null;
    tailLen = Math.min(size, tailLen * 4);
  }
  const sops = size - tailLen + rel;
  // Beyond what the compact store holds: the whole-file path, as before it existed.
  if (sops >= STORE_MAX_BYTES) return null;
  // Only indented, non-blank, non-comment lines to the end.
  for (let p = rel + 6; p < tail.length; ) {
    const eol = tail.indexOf(NL, p);
    let q = p;
    while (tail[q] === SP) q++;
    if (q === p || q === eol || tail[q] === HASH) return null;
    p = eol + 1;
  }
  const block = tail.subarray(rel);
  if (!plainBytes(block)) return null;
  let rawMetadata: unknown;
  try {
    // The block alone, read by the full reader: the same tokens, so the same metadata and errors.
    rawMetadata = yamlFormat.parse(block.toString("utf8")).rawMetadata();
  } catch {
    return null;
  }
  if (rawMetadata === undefined) return null;
  // The checks yaml-lean.ts makes of the whole text before it opens a document (so that what it
  // leaves to the full reader is left before any key is unwrapped here too), and the lines, one
  // index entry each in the usual case (the index is sized for them, as there).
  let lines = 0;
  windows(read, sops, window, (w, end) => {
    const text = w.subarray(0, end);
    if (!plainBytes(text)) throw LEAN_DECLINE;
    // An encrypted comment anywhere but at the start of a line (windows start at one).
    for (let at = text.indexOf(ENC_COMMENT); at !== -1; at = text.indexOf(ENC_COMMENT, at + 1)) {
      if (at !== 0 && text[at - 1] !== NL) throw LEAN_DECLINE;
    }
    for (let i = text.indexOf(NL); i !== -1; i = text.indexOf(NL, i + 1)) lines++;
  });
  return {
    rawMetadata,
    walk: () => null,
    index(visit): LeanIndex | null {
      try {
        const ix = new IndexBuilder(EMPTY, READER, lines + 16, sops);
        const walk = new Walk(EMPTY, 0, visit, ix);
        // The file is read again: a change since (bytes the checks above did not see) declines.
        windows(read, sops, window, (w, end) => {
          if (!plainBytes(w.subarray(0, end))) throw LEAN_DECLINE;
          walk.window(w, end);
        });
        walk.done();
        return ix.finish();
      } catch (e) {
        if (e === LEAN_DECLINE) return null;
        throw e;
      }
    },
  };
}

const EMPTY = Buffer.alloc(0);

/**
 * Calls `each` with windows of whole lines covering the file's bytes [0, `end`) in order (`end`
 * follows a newline), each in one reused buffer of `size` bytes, grown for a longer line.
 */
function windows(read: ReadAt, end: number, size: number, each: (w: Buffer, end: number) => void): void {
  let buf = Buffer.allocUnsafeSlow(Math.min(size, end));
  let have = 0;
  let pos = 0;
  while (pos < end || have > 0) {
    const want = Math.min(buf.length - have, end - pos);
    if (want > 0) {
      readInto(read, buf, have, want, pos);
      pos += want;
      have += want;
    }
    const last = have === 0 ? -1 : buf.lastIndexOf(NL, have - 1);
    if (last === -1) {
      if (pos >= end) throw LEAN_DECLINE; // cannot happen: `end` follows a newline
      const next = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(next, 0, 0, have);
      buf = next;
      continue;
    }
    each(buf, last + 1);
    buf.copy(buf, 0, last + 1, have);
    have -= last + 1;
  }
}

function readFully(read: ReadAt, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  readInto(read, buf, 0, length, position);
  return buf;
}

/** Fills buf[offset, offset + length) from the file; a failed or short read declines. */
function readInto(read: ReadAt, buf: Buffer, offset: number, length: number, position: number): void {
  for (let done = 0; done < length; ) {
    let n: number;
    try {
      n = read(buf, offset + done, length - done, position + done);
    } catch {
      throw LEAN_DECLINE;
    }
    if (n <= 0) throw LEAN_DECLINE;
    done += n;
  }
}
