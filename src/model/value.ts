/**
 * A leaf value as sops sees it: its sops type tag and the exact plaintext bytes sops encrypts and
 * feeds to the MAC (`sops.go` `ToBytes`, `aes/cipher.go` `Encrypt`). Keeping the text rather than a
 * JS number keeps 64-bit integers and float spellings exact.
 */
import { isUtf8 } from "node:buffer";
export type ValueType = "str" | "int" | "float" | "bool" | "time" | "comment" | "bytes";

/** One leaf value: its sops type and its plaintext, as the module comment says. */
export interface PlainValue {
  readonly type: ValueType;
  /**
   * The plaintext as sops encrypts it: `str` UTF-8 text, `int` decimal (`-7`), `float` Go
   * `FormatFloat(f,'f',-1,64)` (`1234568000`, `NaN`, `+Inf`), `bool` `True`/`False`, `time`
   * RFC 3339 with nanoseconds, `comment` the text after `#`.
   */
  readonly text: string;
  /**
   * The exact plaintext bytes, when `text` cannot carry them: a `str` whose bytes are not valid
   * UTF-8 (binary files, SOPS-FORMAT §10.6: Go strings are bytes). `text` is then their lossy UTF-8
   * decoding, for display only; the cipher, the MAC and binary output use these bytes.
   */
  readonly bytes?: Uint8Array;
}

/** The bytes sops encrypts and hashes for a value: {@link PlainValue.bytes}, else `text` as UTF-8. */
export function valueBytes(value: PlainValue): Uint8Array {
  return value.bytes ?? Buffer.from(value.text, "utf8");
}

/**
 * A `str` value holding arbitrary bytes: `bytes` is kept only when they are not valid UTF-8 (else
 * `text` is exact and cheaper). `text` is the UTF-8 decoding either way.
 */
export function strFromBytes(bytes: Uint8Array, type: ValueType = "str"): PlainValue {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > LARGE && !isUtf8(buf)) {
    // A large binary value: its lossy text (for display only) is made only if something asks;
    // as a string it would take twice the bytes, and the check below as much again.
    const own = Uint8Array.from(buf);
    let text: string | undefined;
    return {
      type,
      get text() {
        return (text ??= Buffer.from(own.buffer, own.byteOffset, own.byteLength).toString("utf8"));
      },
      bytes: own,
    };
  }
  const text = buf.toString("utf8");
  // Invalid UTF-8 always decodes to U+FFFD, so text without one is exact; with one, compare.
  if (!text.includes("\uFFFD") || Buffer.from(text, "utf8").equals(buf)) return { type, text };
  return { type, text, bytes: Uint8Array.from(buf) };
}

/** Above this size, {@link strFromBytes} checks UTF-8 natively instead of decoding first. */
const LARGE = 1 << 16;

/** The value types that `ENC[...]` may carry. `bytes` is accepted on decrypt only, as in sops. */
const VALUE_TYPES: readonly ValueType[] = ["str", "int", "float", "bool", "time", "comment", "bytes"];

/** True for a value type `ENC[...]` may carry (see {@link VALUE_TYPES}). */
export function isValueType(s: string): s is ValueType {
  return (VALUE_TYPES as readonly string[]).includes(s);
}
