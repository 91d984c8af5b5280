/**
 * A leaf value as sops sees it: its sops type tag and the exact plaintext bytes sops encrypts and
 * feeds to the MAC (`sops.go` `ToBytes`, `aes/cipher.go` `Encrypt`). Keeping the text rather than a
 * JS number keeps 64-bit integers and float spellings exact.
 */
export type ValueType = "str" | "int" | "float" | "bool" | "time" | "comment" | "bytes";

export interface PlainValue {
  readonly type: ValueType;
  /**
   * The plaintext as sops encrypts it: `str` UTF-8 text, `int` decimal (`-7`), `float` Go
   * `FormatFloat(f,'f',-1,64)` (`1234568000`, `NaN`, `+Inf`), `bool` `True`/`False`, `time`
   * RFC 3339 with nanoseconds, `comment` the text after `#`.
   */
  readonly text: string;
}

/** The value types that `ENC[...]` may carry. `bytes` is accepted on decrypt only, as in sops. */
export const VALUE_TYPES: readonly ValueType[] = ["str", "int", "float", "bool", "time", "comment", "bytes"];

export function isValueType(s: string): s is ValueType {
  return (VALUE_TYPES as readonly string[]).includes(s);
}
