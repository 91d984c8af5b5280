/**
 * The sops MAC (SOPS-FORMAT §6): SHA-512 over the plaintext bytes of every non-null, non-comment
 * leaf in file order, upper-case hex, stored encrypted with `lastmodified` as additional data.
 */
import { createHash, type Hash } from "node:crypto";
import type { PlainValue } from "../model/value.js";

/** SHA-256("sops"), hashed first when `mac_only_encrypted` is set (`MACOnlyEncryptedInitialization`). */
const MAC_ONLY_ENCRYPTED_PREFIX = Buffer.from(
  "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69",
  "hex",
);

/** Accumulates the MAC over leaves, in file order. */
export class MacBuilder {
  private readonly hash: Hash = createHash("sha512");
  constructor(readonly macOnlyEncrypted = false) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_PREFIX);
  }

  /** Adds one leaf; comments never count, and with `mac_only_encrypted` only encrypted leaves do. */
  add(value: PlainValue, encrypted: boolean): void {
    if (value.type === "comment") return;
    if (this.macOnlyEncrypted && !encrypted) return;
    // sops hashes the value's bytes; a non-UTF-8 string carries them in `bytes`.
    if (value.bytes) this.hash.update(value.bytes);
    else this.hash.update(value.text, "utf8");
  }

  /** Adds an encrypted value's plaintext bytes (a `str`, or another type's `ToBytes` text). */
  addBytes(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  /** The MAC as sops prints it: 128 upper-case hex digits. */
  digest(): string {
    return this.hash.digest("hex").toUpperCase();
  }
}

/**
 * `lastmodified` as the MAC's additional data: parsed as RFC 3339 and re-formatted the way Go's
 * `time.Format(time.RFC3339)` does (fractional seconds dropped, `+00:00` → `Z`), SOPS-FORMAT §6.2.
 * Returns undefined when the text is not RFC 3339.
 */
export function canonicalLastModified(text: string): string | undefined {
  // Upper-case `T` and `Z` only, as Go's `time.Parse(time.RFC3339)`: accepting `t`/`z` too let a
  // one-byte change to `lastmodified` pass the MAC check (same canonical form), in files sops rejects.
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, , zone] = m;
  const z = zone === "Z" || zone === "+00:00" || zone === "-00:00" ? "Z" : zone!;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${z}`;
}

/** `time.Now().UTC().Format(time.RFC3339)`. */
export function nowLastModified(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}
