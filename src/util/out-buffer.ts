/**
 * Output written piece by piece into one Buffer that doubles when full (the lean decrypt and
 * encrypt paths, issue 20: no array of pieces and no joined string kept beside the bytes). The
 * pages of a generous first size are touched only as they are written, so they cost no resident
 * memory until used; the old buffer is zero-filled when it grows (it may hold plaintext).
 */
export class OutBuffer {
  private buf: Buffer;
  private len = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(size, 4096));
  }

  /** Appends `s` as UTF-8 (a lone surrogate becomes U+FFFD, as `Buffer.from(s)` writes it). */
  write(s: string): void {
    // Up to 3 bytes per UTF-16 unit.
    if (this.len + s.length * 3 > this.buf.length) this.grow(this.len + s.length * 3);
    this.len += this.buf.write(s, this.len, "utf8");
  }

  /** Appends `src[from, to)`. */
  copy(src: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    if (this.len + (to - from) > this.buf.length) this.grow(this.len + (to - from));
    this.buf.set(src.subarray(from, to), this.len);
    this.len += to - from;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.len);
    this.buf.fill(0, 0, this.len);
    this.buf = next;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** The bytes written (a view: the buffer is not copied). */
  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Zero-fills what was written (a decryption given up part-way). */
  wipe(): void {
    this.buf.fill(0, 0, this.len);
    this.len = 0;
  }
}
