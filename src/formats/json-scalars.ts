/**
 * JSON spelling exactly as sops 3.13.2 writes it through Go `encoding/json` (SOPS-FORMAT.md §10.3):
 * numbers ({@link jsonNumber}) and strings with HTML escaping ({@link jsonString}).
 */
import { formatFloatE, formatFloatF } from "../model/go-number.js";
import type { PlainValue } from "../model/value.js";

// ---------------------------------------------------------------------------------------------------------------------
// Numbers (Go encoding/json floatEncoder)
// ---------------------------------------------------------------------------------------------------------------------

/**
 * A float64 as Go `encoding/json` writes it (`encode.go` `floatEncoder`, SOPS-FORMAT.md §10.3): ES6-like — `'f'`
 * shortest unless `abs < 1e-6 || abs >= 1e21`, then `'e'` shortest with `e-07` cleaned to `e-7`.
 * `1.5`, `1`, `1000`, `-0`, `12345678901234567000`, `1e+21`, `1e-7`.
 *
 * @throws RangeError for NaN and ±Inf, which `json.Marshal` rejects (`json: unsupported value: NaN`).
 */
export function jsonNumber(x: number): string {
  // formatFloatF spells the non-finite values as Go does (NaN, +Inf, -Inf).
  if (!Number.isFinite(x)) throw new RangeError(`json: unsupported value: ${formatFloatF(x)}`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    let s = formatFloatE(x);
    // "clean up e-09 to e-9" (only negative exponents: positive ones here are ≥ 21 anyway).
    const n = s.length;
    if (n >= 4 && s.charAt(n - 4) === "e" && s.charAt(n - 3) === "-" && s.charAt(n - 2) === "0") {
      s = s.slice(0, n - 2) + s.charAt(n - 1);
    }
    return s;
  }
  return formatFloatF(x);
}

// ---------------------------------------------------------------------------------------------------------------------
// JSON strings (Go encoding/json appendString with escapeHTML = true)
// ---------------------------------------------------------------------------------------------------------------------

const LOWER_HEX = "0123456789abcdef";

/**
 * Go's `json.Marshal` of a string that holds bytes (a {@link PlainValue} with `bytes`): every byte
 * Go's UTF-8 decoder rejects (`RuneError` of size 1) becomes `\ufffd`, valid sequences are kept.
 */
export function jsonStringOfValue(value: PlainValue): string {
  return jsonString(value.bytes ? markInvalidUtf8(value.bytes) : value.text);
}

/** Decodes UTF-8 as Go does, each invalid byte becoming a lone surrogate (which {@link jsonString} escapes as `\ufffd`). */
function markInvalidUtf8(b: Uint8Array): string {
  let out = "";
  const cont = (i: number, lo = 0x80, hi = 0xbf): boolean => i < b.length && b[i]! >= lo && b[i]! <= hi;
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    let n = 0;
    if (c < 0x80) n = 1;
    else if (c >= 0xc2 && c <= 0xdf) n = cont(i + 1) ? 2 : 0;
    else if (c >= 0xe0 && c <= 0xef) {
      const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
      n = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
    } else if (c >= 0xf0 && c <= 0xf4) {
      const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
      n = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
    }
    if (n === 0) {
      out += "\ud800";
      i++;
    } else {
      out += Buffer.from(b.subarray(i, i + n)).toString("utf8");
      i += n;
    }
  }
  return out;
}

/**
 * Go `json.Marshal` of a string (SOPS-FORMAT.md §10.3: sops's JSON store marshals every key and string value this
 * way, HTML escaping included): quotes; `\"` `\\`; `\n` `\r` `\t` `\b` `\f`; other C0 controls as `\u00XX` (lowercase
 * hex); `<` `>` `&` as `\u003c` `\u003e` `\u0026`; U+2028/U+2029 as `\u2028`/`\u2029`; a lone UTF-16 surrogate (what
 * Go would see as invalid UTF-8) as `\ufffd`; everything else (DEL and all other non-ASCII) raw.
 *
 * `\b` and `\f` use the short escapes introduced in Go 1.22; sops 3.13.2 release binaries are built with a newer Go.
 */
export function jsonString(s: string): string {
  let out = '"';
  let start = 0;
  const n = s.length;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      // htmlSafeSet: printable ASCII except `"`, `\`, `<`, `>`, `&` (DEL 0x7f is "safe").
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
        i++;
        continue;
      }
      out += s.slice(start, i);
      switch (c) {
        case 0x5c:
          out += "\\\\";
          break;
        case 0x22:
          out += '\\"';
          break;
        case 0x08:
          out += "\\b";
          break;
        case 0x0c:
          out += "\\f";
          break;
        case 0x0a:
          out += "\\n";
          break;
        case 0x0d:
          out += "\\r";
          break;
        case 0x09:
          out += "\\t";
          break;
        default:
          out += `\\u00${LOWER_HEX.charAt(c >> 4)}${LOWER_HEX.charAt(c & 0xf)}`;
      }
      i++;
      start = i;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i += 2; // a well-formed pair is one valid UTF-8 rune: raw
        continue;
      }
      out += s.slice(start, i) + "\\ufffd";
      i++;
      start = i;
      continue;
    }
    if (c === 0x2028 || c === 0x2029) {
      out += `${s.slice(start, i)}\\u202${LOWER_HEX.charAt(c & 0xf)}`;
      i++;
      start = i;
      continue;
    }
    i++;
  }
  return `${out}${s.slice(start)}"`;
}
