/**
 * Scalar spelling exactly as sops 3.13.2 (Go) produces it.
 *
 * sops formats the same value differently depending on where it goes (SOPS-FORMAT.md §14-Q4):
 * - the encrypted plaintext and the MAC use `strconv.FormatFloat(f,'f',-1,64)` (§3.3) → {@link formatFloatF};
 * - YAML output goes through yaml.v3 (`'g'`, `.inf`, …, §10.2.5) → {@link yamlFloat}, {@link yamlScalar};
 * - JSON output goes through `encoding/json` (§10.3) → {@link jsonNumber}, {@link jsonString};
 * - dotenv / INI / exec-env use `stores.ValToString` (§10.8) → {@link goValToStringFloat}.
 *
 * YAML input typing (which plain scalar is an int, a float, a timestamp…) follows yaml.v3 `resolve.go` (§10.2.2)
 * → {@link resolveYamlPlain}.
 *
 * Everything here is pure and synchronous. The Go sources mirrored are cited per function; the emitter parts follow
 * go.yaml.in/yaml/v3 v3.0.4 (= gopkg.in/yaml.v3 v3.0.1 code: libyaml port `emitterc.go`, `encode.go`).
 */

import type { PlainValue } from "../model/value.js";

// ---------------------------------------------------------------------------------------------------------------------
// Floats (Go strconv ftoa.go, shortest mode)
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Shortest round-trip decimal digits of a positive finite double, in Go's `decimalSlice` shape:
 * value = 0.d[0]d[1]… × 10^dp. `d` has no leading or trailing zeros; it is "" for zero.
 */
interface Digits {
  readonly d: string;
  readonly dp: number;
}

function shortestDigits(abs: number): Digits {
  if (abs === 0) return { d: "", dp: 0 };
  // JS Number#toString produces the shortest digit string that round-trips, choosing the closest candidate: the same
  // digits as Go's Ryu-based shortest mode (precision -1). Only the layout differs, so re-derive (digits, point).
  const s = String(abs);
  const e = s.indexOf("e");
  const mant = e >= 0 ? s.slice(0, e) : s;
  const exp = e >= 0 ? Number(s.slice(e + 1)) : 0;
  const dot = mant.indexOf(".");
  const intPart = dot >= 0 ? mant.slice(0, dot) : mant;
  const frac = dot >= 0 ? mant.slice(dot + 1) : "";
  let digits = intPart + frac;
  let dp = intPart.length + exp;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 0x30) lead++;
  digits = digits.slice(lead);
  dp -= lead;
  digits = digits.replace(/0+$/, "");
  return { d: digits, dp };
}

/** Go `fmtF`: %f with `prec` fraction digits taken from the (already shortest) digits, zero-padded. */
function fmtF(neg: boolean, digs: Digits, prec: number): string {
  const { d, dp } = digs;
  const nd = d.length;
  let out = neg ? "-" : "";
  if (dp > 0) {
    const m = Math.min(nd, dp);
    out += d.slice(0, m);
    if (m < dp) out += "0".repeat(dp - m);
  } else {
    out += "0";
  }
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = dp + i - 1;
      out += j >= 0 && j < nd ? d.charAt(j) : "0";
    }
  }
  return out;
}

/** Go `fmtE`: d.ddd e±XX with at least two exponent digits. */
function fmtE(neg: boolean, digs: Digits, prec: number, expChar: "e" | "E"): string {
  const { d, dp } = digs;
  const nd = d.length;
  let out = neg ? "-" : "";
  out += nd !== 0 ? d.charAt(0) : "0";
  if (prec > 0) {
    out += ".";
    let i = 1;
    const m = Math.min(nd, prec + 1);
    if (i < m) {
      out += d.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) out += "0";
  }
  out += expChar;
  let exp = nd === 0 ? 0 : dp - 1;
  if (exp < 0) {
    out += "-";
    exp = -exp;
  } else {
    out += "+";
  }
  out += exp < 10 ? `0${exp}` : String(exp);
  return out;
}

/** Go's special spellings for non-finite values, shared by every FormatFloat verb. */
function goSpecial(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "+Inf";
  if (x === -Infinity) return "-Inf";
  return undefined;
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

/**
 * Go `strconv.FormatFloat(x, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
 *
 * This is the float plaintext sops encrypts and feeds to the MAC (§3.3, `aes/cipher.go` `Encrypt`, `sops.go`
 * `ToBytes`), hence also `PlainValue.text` for floats. Examples: `1234568000`, `0.000001`, `1`, `1.5`,
 * `1000000000000000000000`, `-0`, `NaN`, `+Inf`, `-Inf`.
 */
export function formatFloatF(x: number): string {
  const special = goSpecial(x);
  if (special !== undefined) return special;
  const digs = shortestDigits(Math.abs(x));
  return fmtF(isNegative(x), digs, Math.max(digs.d.length - digs.dp, 0));
}

/** Go's shortest `%g`/`%G` (ftoa.go `formatDigits`): %e iff exponent < -4 or ≥ 6 (eprec is 6 in shortest mode). */
function formatFloatShortestG(x: number, expChar: "e" | "E"): string {
  const special = goSpecial(x);
  if (special !== undefined) return special;
  const digs = shortestDigits(Math.abs(x));
  const neg = isNegative(x);
  const nd = digs.d.length;
  const exp = digs.dp - 1;
  // `if shortest { eprec = 6 }`: the cut-over does not depend on the digit count.
  if (exp < -4 || exp >= 6) return fmtE(neg, digs, nd - 1, expChar);
  return fmtF(neg, digs, Math.max(nd - digs.dp, 0));
}

/**
 * Go `strconv.FormatFloat(x, 'g', -1, 64)`: shortest digits, exponent form iff the decimal exponent is < -4 or ≥ 6,
 * exponent with a sign and at least two digits. `1e+06`, `1.2345675e+06`, `1.234568e+09`, `1e-05`, `100000`,
 * `999999`, `0.0001`, `-0`; non-finite values give `NaN`, `+Inf`, `-Inf` (see {@link yamlFloat} for YAML).
 */
export function formatFloatG(x: number): string {
  return formatFloatShortestG(x, "e");
}

/**
 * A float64 as yaml.v3 writes it (`encode.go` `floatv`, SOPS-FORMAT.md §10.2.5): {@link formatFloatG} with `.inf`,
 * `-.inf`, `.nan` for the non-finite values. Always emitted plain.
 */
export function yamlFloat(x: number): string {
  if (Number.isNaN(x)) return ".nan";
  if (x === Infinity) return ".inf";
  if (x === -Infinity) return "-.inf";
  return formatFloatG(x);
}

/**
 * The float branch of sops `stores.ValToString` (§10.8, used for dotenv/INI values and `exec-env`):
 * `FormatFloat(v,'G',-1,64)`, and if that has neither `.` nor `E`, `FormatFloat(v,'f',1,64)`.
 * `3` → `3.0`, `1.5`, `1234568000` → `1.234568E+09`, `1e-06` → `1E-06`, `100000` → `100000.0`, `-0` → `-0.0`,
 * `NaN`, `+Inf`, `-Inf` (the `'f',1` fallback keeps those spellings).
 */
export function goValToStringFloat(x: number): string {
  const g = formatFloatShortestG(x, "E");
  if (g.includes(".") || g.includes("E")) return g;
  // Only integral values below 1e6 (and the specials) get here, so `'f',1` is exact: the digits plus ".0".
  if (!Number.isFinite(x)) return g;
  return `${formatFloatF(x)}.0`;
}

/**
 * A float64 as Go `encoding/json` writes it (`encode.go` `floatEncoder`, SOPS-FORMAT.md §10.3): ES6-like — `'f'`
 * shortest unless `abs < 1e-6 || abs >= 1e21`, then `'e'` shortest with `e-07` cleaned to `e-7`.
 * `1.5`, `1`, `1000`, `-0`, `12345678901234567000`, `1e+21`, `1e-7`.
 *
 * @throws RangeError for NaN and ±Inf, which `json.Marshal` rejects (`json: unsupported value: NaN`).
 */
export function jsonNumber(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`json: unsupported value: ${goSpecial(x) ?? String(x)}`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    const digs = shortestDigits(abs);
    let s = fmtE(isNegative(x), digs, digs.d.length - 1, "e");
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
 * Go `json.Marshal` of a string (SOPS-FORMAT.md §10.3: sops's JSON store marshals every key and string value this
 * way, HTML escaping included): quotes; `\"` `\\`; `\n` `\r` `\t` `\b` `\f`; other C0 controls as `\u00XX` (lowercase
 * hex); `<` `>` `&` as `\u003c` `\u003e` `\u0026`; U+2028/U+2029 as `\u2028`/`\u2029`; a lone UTF-16 surrogate (what
 * Go would see as invalid UTF-8) as `\ufffd`; everything else (DEL and all other non-ASCII) raw.
 *
 * `\b` and `\f` use the short escapes introduced in Go 1.22; sops 3.13.2 release binaries are built with a newer Go.
 */
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
 * yaml.v3's text for a string that is not valid UTF-8 (`encodeBase64` in its resolve.go): standard
 * base64 in lines of 70, each ending in a newline when there is more than one (then printed as a
 * literal block), written with the `!!binary` tag.
 */
export function yamlBinaryBase64(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = Math.floor(b64.length / 70) + 1;
  if (lines === 1) return b64;
  let out = "";
  for (let i = 0; i < b64.length; i += 70) out += `${b64.slice(i, i + 70)}\n`;
  return out;
}

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

// ---------------------------------------------------------------------------------------------------------------------
// Go strconv integer / float parsing (the subset yaml.v3 resolve.go relies on)
// ---------------------------------------------------------------------------------------------------------------------

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN_ABS = 1n << 63n;
const UINT64_MAX = (1n << 64n) - 1n;

function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Go strconv `underscoreOK`: `_` only between digits, or between a base prefix and a digit. */
function underscoreOK(s0: string): boolean {
  let s = s0;
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s.charAt(0) === "-" || s.charAt(0) === "+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s.charAt(0) === "0" && "boxBOX".includes(s.charAt(1))) {
    i = 2;
    saw = "0";
    hex = s.charAt(1).toLowerCase() === "x";
  }
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const lc = c | 0x20;
    if (isAsciiDigit(c) || (hex && lc >= 0x61 && lc <= 0x66)) {
      saw = "0";
      continue;
    }
    if (c === 0x5f) {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** Go `strconv.ParseUint(s, base, 64)` (base 0, 2, 8, 10 or 16); `undefined` on any syntax or range error. */
function goParseUint(s0: string, base0: number): bigint | undefined {
  if (s0 === "") return undefined;
  let s = s0;
  let base = base0;
  const isBase0 = base === 0;
  if (isBase0) {
    base = 10;
    if (s.charAt(0) === "0") {
      const p = s.charAt(1).toLowerCase();
      if (s.length >= 3 && p === "b") {
        base = 2;
        s = s.slice(2);
      } else if (s.length >= 3 && p === "o") {
        base = 8;
        s = s.slice(2);
      } else if (s.length >= 3 && p === "x") {
        base = 16;
        s = s.slice(2);
      } else {
        base = 8;
        s = s.slice(1);
      }
    }
  }
  const b = BigInt(base);
  let n = 0n;
  let underscores = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c === 0x5f && isBase0) {
      underscores = true;
      continue;
    } else if (isAsciiDigit(c)) {
      d = c - 0x30;
    } else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) {
      d = (c | 0x20) - 0x61 + 10;
    } else {
      return undefined;
    }
    if (d >= base) return undefined;
    n = n * b + BigInt(d);
    // Out of range already (Go returns ErrRange here too): stop before the BigInt grows with the
    // input, which made a long run of digits quadratic.
    if (n > UINT64_MAX) return undefined;
  }
  if (underscores && !underscoreOK(s0)) return undefined;
  return n;
}

/** Go `strconv.ParseInt(s, base, 64)`: optional sign, then {@link goParseUint}; `undefined` outside int64. */
function goParseInt(s0: string, base: number): bigint | undefined {
  if (s0 === "") return undefined;
  let s = s0;
  let neg = false;
  if (s.charAt(0) === "+") s = s.slice(1);
  else if (s.charAt(0) === "-") {
    neg = true;
    s = s.slice(1);
  }
  const un = goParseUint(s, base);
  if (un === undefined) return undefined;
  if (!neg && un > INT64_MAX) return undefined;
  if (neg && un > INT64_MIN_ABS) return undefined;
  return neg ? -un : un;
}

/**
 * Go `strconv.ParseFloat(s, 64)` for decimal (non-hex, non-`inf`/`nan`) spellings: sign, digits with at most one
 * `.`, optional exponent, underscores per {@link underscoreOK}; the whole string must be consumed. Overflow to ±Inf
 * is an error in Go (ErrRange), so `undefined` here; underflow to 0 is not.
 */
function goParseFloatDecimal(s: string): number | undefined {
  let i = 0;
  const n = s.length;
  if (i < n && (s.charAt(i) === "+" || s.charAt(i) === "-")) i++;
  let sawDot = false;
  let sawDigits = false;
  let underscores = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) {
      underscores = true;
    } else if (c === 0x2e) {
      if (sawDot) break;
      sawDot = true;
    } else if (isAsciiDigit(c)) {
      sawDigits = true;
    } else {
      break;
    }
  }
  if (!sawDigits) return undefined;
  if (i < n && (s.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (i >= n) return undefined;
    if (s.charAt(i) === "+" || s.charAt(i) === "-") i++;
    if (i >= n || !isAsciiDigit(s.charCodeAt(i))) return undefined;
    for (; i < n && (isAsciiDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 0x5f); i++) {
      if (s.charCodeAt(i) === 0x5f) underscores = true;
    }
  }
  if (i !== n) return undefined;
  if (underscores && !underscoreOK(s)) return undefined;
  const v = Number(s.replace(/_/g, ""));
  if (!Number.isFinite(v)) return undefined;
  return v;
}

// ---------------------------------------------------------------------------------------------------------------------
// Timestamps (yaml.v3 resolve.go parseTimestamp + Go time.Parse / Time.MarshalText)
// ---------------------------------------------------------------------------------------------------------------------

/** A parsed timestamp: wall-clock fields as written plus the zone offset in seconds (`null`: UTC, no zone given). */
interface GoTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly min: number;
  readonly sec: number;
  readonly nsec: number;
  readonly offset: number | null;
}

type LayoutItem =
  | { readonly k: "lit"; readonly v: string }
  | { readonly k: "year" | "month" | "day" | "hour" | "minute" | "second" | "frac9" | "tz" };

const lit = (v: string): LayoutItem => ({ k: "lit", v });
const LAYOUT_DATE: readonly LayoutItem[] = [{ k: "year" }, lit("-"), { k: "month" }, lit("-"), { k: "day" }];
const LAYOUT_TIME: readonly LayoutItem[] = [
  { k: "hour" },
  lit(":"),
  { k: "minute" },
  lit(":"),
  { k: "second" },
  { k: "frac9" },
];

/**
 * yaml.v3 `allowedTimestampFormats`, tried in this order:
 * `2006-1-2T15:4:5.999999999Z07:00`, `2006-1-2t15:4:5.999999999Z07:00`, `2006-1-2 15:4:5.999999999`, `2006-1-2`.
 */
const TIMESTAMP_LAYOUTS: readonly (readonly LayoutItem[])[] = [
  [...LAYOUT_DATE, lit("T"), ...LAYOUT_TIME, { k: "tz" }],
  [...LAYOUT_DATE, lit("t"), ...LAYOUT_TIME, { k: "tz" }],
  [...LAYOUT_DATE, lit(" "), ...LAYOUT_TIME],
  LAYOUT_DATE,
];

function cutspace(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 0x20) i++;
  return s.slice(i);
}

/** Go time `skip`: match a literal layout prefix; a space in the layout matches one or more spaces (or the end). */
function goSkip(value0: string, prefix0: string): string | undefined {
  let value = value0;
  let prefix = prefix0;
  while (prefix.length > 0) {
    if (prefix.charCodeAt(0) === 0x20) {
      if (value.length > 0 && value.charCodeAt(0) !== 0x20) return undefined;
      prefix = cutspace(prefix);
      value = cutspace(value);
      continue;
    }
    if (value.length === 0 || value.charAt(0) !== prefix.charAt(0)) return undefined;
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

/** Go time `getnum`: one or two digits (exactly two when `fixed`). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isAsciiDigit(s.charCodeAt(0))) return undefined;
  if (!isAsciiDigit(s.charCodeAt(1))) {
    if (fixed) return undefined;
    return [s.charCodeAt(0) - 0x30, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 0x30) * 10 + (s.charCodeAt(1) - 0x30), s.slice(2)];
}

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Go `time.Parse(layout, value)` restricted to the chunks yaml.v3's timestamp layouts use. */
function goTimeParse(layout: readonly LayoutItem[], value0: string): GoTime | undefined {
  let value = value0;
  let year = 0;
  let month = -1;
  let day = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let offset: number | null = null;
  for (const item of layout) {
    switch (item.k) {
      case "lit": {
        const rest = goSkip(value, item.v);
        if (rest === undefined) return undefined;
        value = rest;
        break;
      }
      case "year": {
        // stdLongYear: exactly four characters, all digits for atoi to accept them after the leading digit check.
        if (value.length < 4 || !/^[0-9]{4}/.test(value)) return undefined;
        year = Number(value.slice(0, 4));
        value = value.slice(4);
        break;
      }
      case "month":
      case "day":
      case "hour":
      case "minute":
      case "second": {
        const r = getnum(value, false);
        if (r === undefined) return undefined;
        const [v, rest] = r;
        value = rest;
        if (item.k === "month") {
          if (v <= 0 || v > 12) return undefined;
          month = v;
        } else if (item.k === "day") {
          day = v; // validated against the month after parsing, as Go does
        } else if (item.k === "hour") {
          if (v >= 24) return undefined;
          hour = v;
        } else if (item.k === "minute") {
          if (v >= 60) return undefined;
          min = v;
        } else {
          if (v >= 60) return undefined;
          sec = v;
          // The layouts always follow seconds with `.999999999`, so Go's "fraction without layout" case is moot.
        }
        break;
      }
      case "frac9": {
        // stdFracSecond9: optional; `.` or `,` then any number of digits (only the first nine count).
        const c0 = value.charAt(0);
        if (value.length < 2 || (c0 !== "." && c0 !== ",") || !isAsciiDigit(value.charCodeAt(1))) break;
        let i = 0;
        while (i + 1 < value.length && isAsciiDigit(value.charCodeAt(i + 1))) i++;
        const nbytes = Math.min(1 + i, 10);
        let ns = Number(value.slice(1, nbytes));
        for (let k = 0; k < 10 - nbytes; k++) ns *= 10;
        nsec = ns;
        value = value.slice(1 + i);
        break;
      }
      case "tz": {
        // stdISO8601ColonTZ (`Z07:00`): `Z`, or ±hh:mm.
        if (value.length >= 1 && value.charAt(0) === "Z") {
          value = value.slice(1);
          offset = 0;
          break;
        }
        if (value.length < 6 || value.charAt(3) !== ":") return undefined;
        const sign = value.charAt(0);
        const hh = getnum(value.slice(1, 3), true);
        const mm = getnum(value.slice(4, 6), true);
        value = value.slice(6);
        if (hh === undefined || mm === undefined) return undefined;
        // "The range test use > rather than >=, as some people do write offsets of 24 hours or 60 minutes".
        if (hh[0] > 24 || mm[0] > 60) return undefined;
        const off = (hh[0] * 60 + mm[0]) * 60;
        if (sign === "+") offset = off;
        else if (sign === "-") offset = -off;
        else return undefined;
        break;
      }
    }
  }
  if (value.length !== 0) return undefined; // "extra text"
  if (day < 1 || day > daysIn(month, year)) return undefined; // "day out of range"
  return { year, month, day, hour, min, sec, nsec, offset };
}

/** yaml.v3 `parseTimestamp`: a quick `YYYY-` check, then the layouts in order. */
function parseYamlTimestamp(s: string): GoTime | undefined {
  let i = 0;
  while (i < s.length && isAsciiDigit(s.charCodeAt(i))) i++;
  if (i !== 4 || i === s.length || s.charAt(i) !== "-") return undefined;
  for (const layout of TIMESTAMP_LAYOUTS) {
    const t = goTimeParse(layout, s);
    if (t !== undefined) return t;
  }
  return undefined;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * Go `time.Time.MarshalText` (strict RFC 3339 with nanoseconds). `undefined` where Go returns an error: a zone
 * offset of 24h or more ("timezone hour outside of range [0,23]"). Years are 0000–9999 by construction.
 */
function marshalTimeText(t: GoTime): string | undefined {
  let s = `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.min, 2)}:${pad(t.sec, 2)}`;
  if (t.nsec !== 0) s += `.${pad(t.nsec, 9).replace(/0+$/, "")}`;
  const off = t.offset ?? 0;
  if (off === 0) return `${s}Z`;
  const zone = Math.trunc(Math.abs(off) / 60);
  const hh = Math.trunc(zone / 60);
  if (hh >= 24) return undefined;
  return `${s}${off < 0 ? "-" : "+"}${pad(hh, 2)}:${pad(zone % 60, 2)}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// yaml.v3 resolve (untagged plain scalars)
// ---------------------------------------------------------------------------------------------------------------------

/** What yaml.v3 `resolve("", s)` decides for an untagged plain scalar, with the decoded Go value. */
type Resolution =
  | { readonly tag: "null" }
  | { readonly tag: "bool"; readonly value: boolean }
  | { readonly tag: "float"; readonly value: number }
  | { readonly tag: "int"; readonly value: bigint }
  | { readonly tag: "uint"; readonly value: bigint }
  | { readonly tag: "timestamp"; readonly value: GoTime }
  | { readonly tag: "merge" }
  | { readonly tag: "str" };

const RESOLVE_MAP: ReadonlyMap<string, Resolution> = new Map<string, Resolution>([
  ...["true", "True", "TRUE"].map((s): [string, Resolution] => [s, { tag: "bool", value: true }]),
  ...["false", "False", "FALSE"].map((s): [string, Resolution] => [s, { tag: "bool", value: false }]),
  ...["", "~", "null", "Null", "NULL"].map((s): [string, Resolution] => [s, { tag: "null" }]),
  ...[".nan", ".NaN", ".NAN"].map((s): [string, Resolution] => [s, { tag: "float", value: NaN }]),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s): [string, Resolution] => [
    s,
    { tag: "float", value: Infinity },
  ]),
  ...["-.inf", "-.Inf", "-.INF"].map((s): [string, Resolution] => [s, { tag: "float", value: -Infinity }]),
  // `<<` is in the map too, but unreachable: `<` has no hint in resolveTable. The parser tags a plain `<<` as
  // !!merge by itself (§10.2.1); as a value it is just a string.
  ["<<", { tag: "merge" }],
]);

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** yaml.v3 `resolveTable`: the first byte decides which checks run. */
function resolveHint(s: string): "N" | "S" | "D" | "M" | "." | undefined {
  if (s === "") return "N";
  const c = s.charCodeAt(0);
  if (c === 0x2b || c === 0x2d) return "S";
  if (isAsciiDigit(c)) return "D";
  if ("yYnNtTfFoO~".includes(s.charAt(0))) return "M";
  if (c === 0x2e) return ".";
  return undefined;
}

/** yaml.v3 `resolve("", in)` for an untagged plain scalar (resolve.go, go.yaml.in/yaml/v3 v3.0.4). */
function resolveTag(s: string): Resolution {
  const hint = resolveHint(s);
  if (hint === undefined) return { tag: "str" };
  const mapped = RESOLVE_MAP.get(s);
  if (mapped !== undefined) return mapped;
  switch (hint) {
    case ".": {
      // "Not in the map, so maybe a normal float": ParseFloat on the text as is (underscores per Go syntax).
      const f = goParseFloatDecimal(s);
      if (f !== undefined) return { tag: "float", value: f };
      break;
    }
    case "D":
    case "S": {
      const t = parseYamlTimestamp(s);
      if (t !== undefined) return { tag: "timestamp", value: t };
      const plain = s.replace(/_/g, "");
      const iv = goParseInt(plain, 0);
      if (iv !== undefined) return { tag: "int", value: iv };
      const uv = goParseUint(plain, 0);
      if (uv !== undefined) return { tag: "uint", value: uv };
      if (YAML_STYLE_FLOAT.test(plain)) {
        const f = Number(plain);
        // ParseFloat fails with ErrRange on overflow: such a scalar falls through and ends up a string.
        if (Number.isFinite(f)) return { tag: "float", value: f };
      }
      // Explicit base-prefix fallbacks (they also accept a sign after the prefix, e.g. `0b-1` → -1).
      if (plain.startsWith("0b")) {
        const i2 = goParseInt(plain.slice(2), 2);
        if (i2 !== undefined) return { tag: "int", value: i2 };
        const u2 = goParseUint(plain.slice(2), 2);
        if (u2 !== undefined) return { tag: "uint", value: u2 };
      } else if (plain.startsWith("-0b")) {
        const i2 = goParseInt(`-${plain.slice(3)}`, 2);
        if (i2 !== undefined) return { tag: "int", value: i2 };
      }
      if (plain.startsWith("0o")) {
        const i8 = goParseInt(plain.slice(2), 8);
        if (i8 !== undefined) return { tag: "int", value: i8 };
        const u8 = goParseUint(plain.slice(2), 8);
        if (u8 !== undefined) return { tag: "uint", value: u8 };
      } else if (plain.startsWith("-0o")) {
        const i8 = goParseInt(`-${plain.slice(3)}`, 8);
        if (i8 !== undefined) return { tag: "int", value: i8 };
      }
      break;
    }
    default:
      break; // 'M' and 'N': only the map applies
  }
  return { tag: "str" };
}

/**
 * The implicit tag yaml.v3 gives an untagged plain scalar: `null`, `bool`, `int` (int64 or uint64), `float`,
 * `timestamp` or `str`. Never throws (unlike {@link resolveYamlPlain}, which also produces the value).
 */
export function yamlPlainTag(src: string): "null" | "bool" | "int" | "float" | "timestamp" | "str" {
  const r = resolveTag(src);
  switch (r.tag) {
    case "uint":
      return "int";
    case "merge":
      return "str";
    default:
      return r.tag;
  }
}

/**
 * How sops types an UNTAGGED PLAIN YAML scalar, given its source text (SOPS-FORMAT.md §10.2.2, §3.3; yaml.v3
 * `resolve.go`, Go `strconv` and `time.Parse`):
 * - `null` for `~`, `null`, `Null`, `NULL` and the empty scalar;
 * - bool for `true True TRUE false False FALSE` only → `{type:"bool", text:"True"|"False"}` (`yes`/`no`/`on`/`off`/
 *   `y`/`n` are strings in YAML 1.2 resolution);
 * - float `NaN`/`+Inf`/`-Inf` for `.nan`, `.inf`, `+.inf`, `-.inf` in their three case variants;
 * - float for a `.`-leading text Go's ParseFloat accepts (`.5`);
 * - time for the yaml.v3 timestamp layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
 *   `2006-1-2 15:4:5.999999999` (no zone: UTC) and `2006-1-2`; the text is Go `MarshalText` (RFC 3339 with trimmed
 *   nanoseconds, offset kept, `Z` for zero): `2024-01-01` → `2024-01-01T00:00:00Z`;
 * - int for Go `ParseInt(text without "_", 0, 64)` (`0x1F` → `31`, `017` → `15`, `0o17`, `0b101`, `-0x10`, `+5` →
 *   `5`), decimal text computed with BigInt;
 * - float for `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (after removing `_`) that does not overflow,
 *   text {@link formatFloatF}: `1.0` → `1`, `08` → `8`, `3.10` → `3.1`, `1e3` → `1000`;
 * - `0b…`/`0o…` with a sign after the prefix (`0b-1` → int `-1`), as resolve.go's fallbacks allow;
 * - otherwise `{type:"str", text: src}` (including `1e999`, which overflows ParseFloat).
 *
 * @throws RangeError("integer out of int64 range") when the scalar only fits uint64 (yaml.v3 yields a Go `uint64`,
 *   which sops cannot encrypt, §10.2.2 / §14-Q12).
 * @throws RangeError when a timestamp's zone offset is 24h or more: yaml.v3 accepts it but Go's `MarshalText` (which
 *   sops uses to encrypt `time` values) fails.
 */
export function resolveYamlPlain(src: string): PlainValue | null {
  const r = resolveTag(src);
  switch (r.tag) {
    case "null":
      return null;
    case "bool":
      return { type: "bool", text: r.value ? "True" : "False" };
    case "float":
      return { type: "float", text: formatFloatF(r.value) };
    case "int":
      return { type: "int", text: r.value.toString() };
    case "uint":
      throw new RangeError("integer out of int64 range");
    case "timestamp": {
      const text = marshalTimeText(r.value);
      if (text === undefined) throw new RangeError("timestamp zone offset outside of range [0,23] hours");
      return { type: "time", text };
    }
    case "merge":
    case "str":
      return { type: "str", text: src };
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// yaml.v3 string emission (encode.go stringv + libyaml emitter analyze/select/write)
// ---------------------------------------------------------------------------------------------------------------------

/** yaml.v3 `isOldBool`: YAML 1.1 booleans are quoted on output (exactly these spellings, not every case mix). */
function isOldBool(s: string): boolean {
  switch (s) {
    case "y":
    case "Y":
    case "yes":
    case "Yes":
    case "YES":
    case "on":
    case "On":
    case "ON":
    case "n":
    case "N":
    case "no":
    case "No":
    case "NO":
    case "off":
    case "Off":
    case "OFF":
      return true;
    default:
      return false;
  }
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** yaml.v3 `isBase60Float`: YAML 1.1 sexagesimal numbers (`1:20`) are quoted on output. */
function isBase60Float(s: string): boolean {
  if (s === "") return false;
  const c = s.charCodeAt(0);
  if (!(c === 0x2b || c === 0x2d || isAsciiDigit(c)) || !s.includes(":")) return false;
  return BASE60_FLOAT.test(s);
}

/** Code points of `s`; a lone surrogate becomes U+FFFD, as it would once the text is written out as UTF-8. */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    out.push(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
  }
  return out;
}

/** libyaml `is_printable`: note that nothing outside the BMP is "printable" (4-byte UTF-8 sequences never match). */
function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

/** libyaml `is_break`: CR, LF, NEL, LS, PS. */
function isBreak(cp: number | undefined): boolean {
  return cp === 0x0d || cp === 0x0a || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

/** libyaml `is_blankz`: space, tab, a break or NUL. */
function isBlankz(cp: number): boolean {
  return cp === 0x20 || cp === 0x09 || cp === 0 || isBreak(cp);
}

function fromCodePoints(cps: readonly number[]): string {
  let out = "";
  for (const c of cps) out += String.fromCodePoint(c);
  return out;
}

function utf8Length(cps: readonly number[]): number {
  let n = 0;
  for (const cp of cps) n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  return n;
}

/** The result of libyaml `yaml_emitter_analyze_scalar`. */
interface ScalarAnalysis {
  readonly multiline: boolean;
  readonly flowPlainAllowed: boolean;
  readonly blockPlainAllowed: boolean;
  readonly singleQuotedAllowed: boolean;
  readonly blockAllowed: boolean;
}

/** libyaml `yaml_emitter_analyze_scalar` as ported in yaml.v3 (tabs allowed in block scalars, issue #471). */
function analyzeScalar(cps: readonly number[]): ScalarAnalysis {
  const n = cps.length;
  if (n === 0) {
    return {
      multiline: false,
      flowPlainAllowed: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let tabCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  const c0 = cps[0];
  if (n >= 3 && c0 === cps[1] && c0 === cps[2] && (c0 === 0x2d || c0 === 0x2e)) {
    // `---` / `...` would read as a document marker.
    blockIndicators = true;
    flowIndicators = true;
  }

  let precededByWhitespace = true;
  for (let i = 0; i < n; i++) {
    const c = cps[i] ?? 0;
    const next = cps[i + 1];
    // Go port: `is_blank` (space or tab) after the character, or the end of the value.
    const followedByWhitespace = i + 1 >= n || next === 0x20 || next === 0x09;

    if (i === 0) {
      switch (c) {
        case 0x23: // #
        case 0x2c: // ,
        case 0x5b: // [
        case 0x5d: // ]
        case 0x7b: // {
        case 0x7d: // }
        case 0x26: // &
        case 0x2a: // *
        case 0x21: // !
        case 0x7c: // |
        case 0x3e: // >
        case 0x27: // '
        case 0x22: // "
        case 0x25: // %
        case 0x40: // @
        case 0x60: // `
          flowIndicators = true;
          blockIndicators = true;
          break;
        case 0x3f: // ?
        case 0x3a: // :
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
          break;
        case 0x2d: // -
          if (followedByWhitespace) {
            flowIndicators = true;
            blockIndicators = true;
          }
          break;
        default:
          break;
      }
    } else {
      switch (c) {
        case 0x2c:
        case 0x3f:
        case 0x5b:
        case 0x5d:
        case 0x7b:
        case 0x7d:
          flowIndicators = true;
          break;
        case 0x3a:
          flowIndicators = true;
          if (followedByWhitespace) blockIndicators = true;
          break;
        case 0x23:
          if (precededByWhitespace) {
            flowIndicators = true;
            blockIndicators = true;
          }
          break;
        default:
          break;
      }
    }

    if (c === 0x09) tabCharacters = true;
    else if (!isPrintable(c)) specialCharacters = true; // emitter.unicode is true in yaml.v3

    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
  }

  let flowPlainAllowed = true;
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    flowPlainAllowed = false;
    blockPlainAllowed = false;
  }
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    flowPlainAllowed = false;
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || tabCharacters || specialCharacters) {
    flowPlainAllowed = false;
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) blockAllowed = false;
  if (lineBreaks) {
    flowPlainAllowed = false;
    blockPlainAllowed = false;
  }
  if (flowIndicators) flowPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, flowPlainAllowed, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

/**
 * The bits of libyaml emitter state the scalar writers touch, to reproduce where `yaml_emitter_write_indent` breaks
 * lines and how far it indents.
 */
class EmitterState {
  out = "";
  column: number;
  whitespace: boolean;
  indention: boolean;

  constructor(column: number, whitespace: boolean, indention: boolean) {
    this.column = column;
    this.whitespace = whitespace;
    this.indention = indention;
  }

  /** `put_break` (line_break is LN). */
  putBreak(): void {
    this.out += "\n";
    this.column = 0;
    this.indention = true;
  }

  /** `write`: one character. */
  write(cp: number): void {
    this.out += String.fromCodePoint(cp);
    this.column++;
  }

  /** `write_break`: LF goes through put_break; other breaks (LS, PS…) are copied raw but still reset the column. */
  writeBreak(cp: number): void {
    if (cp === 0x0a) {
      this.putBreak();
    } else {
      this.out += String.fromCodePoint(cp);
      this.column = 0;
      this.indention = true;
    }
  }

  /** `yaml_emitter_write_indent` (no foot comments involved). */
  writeIndent(indent: number): void {
    const ind = Math.max(indent, 0);
    if (!this.indention || this.column > ind || (this.column === ind && !this.whitespace)) this.putBreak();
    while (this.column < ind) {
      this.out += " ";
      this.column++;
    }
    this.whitespace = true;
  }
}

function hexUpper(v: number, width: number): string {
  return v.toString(16).toUpperCase().padStart(width, "0");
}

/** libyaml's escape for one character in a double-quoted scalar (`yaml_emitter_write_double_quoted_scalar`). */
function escapeDoubleQuoted(v: number): string {
  switch (v) {
    case 0x00:
      return "\\0";
    case 0x07:
      return "\\a";
    case 0x08:
      return "\\b";
    case 0x09:
      return "\\t";
    case 0x0a:
      return "\\n";
    case 0x0b:
      return "\\v";
    case 0x0c:
      return "\\f";
    case 0x0d:
      return "\\r";
    case 0x1b:
      return "\\e";
    case 0x22:
      return '\\"';
    case 0x5c:
      return "\\\\";
    case 0x85:
      return "\\N";
    case 0xa0:
      return "\\_";
    case 0x2028:
      return "\\L";
    case 0x2029:
      return "\\P";
    default:
      if (v <= 0xff) return `\\x${hexUpper(v, 2)}`;
      if (v <= 0xffff) return `\\u${hexUpper(v, 4)}`;
      return `\\U${hexUpper(v, 8)}`;
  }
}

/**
 * A double-quoted YAML scalar exactly as libyaml (yaml.v3) writes it with unlimited width (sops: no folding, §10.2.5).
 * Escaped: `"` `\`, every line break (`\n`, `\r`, `\N`, `\L`, `\P`) and every non-printable character, with the
 * libyaml short forms `\0 \a \b \t \v \f \e` and otherwise `\xXX`/`\uXXXX`/`\UXXXXXXXX` in upper-case hex. Characters
 * outside the BMP are not "printable" for libyaml, so an emoji becomes `\U0001F600`. Quirk kept from the Go port
 * (`is_bom` looks at the start of the value, not at the current character): if the value starts with U+FEFF, every
 * character is escaped (`a` → `\x61`).
 */
export function libyamlDoubleQuoted(s: string): string {
  const cps = codePoints(s);
  const bomQuirk = cps[0] === 0xfeff;
  let out = '"';
  for (const c of cps) {
    if (bomQuirk || !isPrintable(c) || isBreak(c) || c === 0x22 || c === 0x5c) out += escapeDoubleQuoted(c);
    else out += String.fromCodePoint(c);
  }
  return `${out}"`;
}

/**
 * A single-quoted YAML scalar as libyaml (yaml.v3) writes it with unlimited width: `'` doubled. A line break inside
 * (only LS/PS can reach this style through {@link yamlScalar}) is copied raw and the next character is indented to
 * `indent` columns, as `yaml_emitter_write_single_quoted_scalar` does; a LF is doubled (folding rules).
 *
 * @param indent the emitter indentation of the scalar (only used after a line break).
 */
export function libyamlSingleQuoted(s: string, indent = 0): string {
  const cps = codePoints(s);
  const st = new EmitterState(1, false, false);
  st.out = "'";
  let breaks = false;
  for (const c of cps) {
    if (c === 0x20) {
      st.write(c);
    } else if (isBreak(c)) {
      if (!breaks && c === 0x0a) st.putBreak();
      st.writeBreak(c);
      breaks = true;
    } else {
      if (breaks) st.writeIndent(indent);
      if (c === 0x27) st.write(0x27);
      st.write(c);
      st.indention = false;
      breaks = false;
    }
  }
  return `${st.out}'`;
}

/** The block scalar header: `|`, the indentation indicator (best_indent) if needed, the chomping indicator. */
function literalHeader(cps: readonly number[], bestIndent: number): string {
  let h = "|";
  const first = cps[0];
  // yaml_emitter_write_block_scalar_hints: an indicator when the value starts with a space or a line break.
  if (first === 0x20 || isBreak(first)) h += String(bestIndent);
  const n = cps.length;
  if (n === 0 || !isBreak(cps[n - 1])) h += "-";
  else if (n === 1 || isBreak(cps[n - 2])) h += "+";
  return h;
}

/**
 * A literal block scalar as yaml.v3 writes it (`yaml_emitter_write_literal_scalar`, with the v3 fix that always breaks
 * the line after the header). Returns the text from `|` up to and including the line break that ends the scalar:
 * header line, then each non-empty line indented by `indent` spaces (empty lines stay empty). When the value does not
 * end with a line break, the `\n` that the next token's `write_indent` emits is included, so the result always ends
 * at column 0.
 *
 * @param indent the column of the content lines (the emitter indent of the scalar).
 * @param bestIndent the configured indent (2–9), used as the indentation indicator (`|4-`).
 */
function libyamlLiteral(cps: readonly number[], indent: number, bestIndent: number): string {
  const st = new EmitterState(0, true, true);
  st.out = literalHeader(cps, bestIndent);
  st.putBreak();
  st.whitespace = true;
  let breaks = true;
  for (const c of cps) {
    if (isBreak(c)) {
      st.writeBreak(c);
      breaks = true;
    } else {
      if (breaks) st.writeIndent(indent);
      st.write(c);
      st.indention = false;
      breaks = false;
    }
  }
  if (!st.indention) st.putBreak();
  return st.out;
}

/** Options for {@link yamlScalar}. */
export interface YamlScalarOptions {
  /**
   * The emitter indentation of the scalar: the column its continuation lines start at. For a value in a block mapping
   * whose keys are at column `k`, yaml.v3 uses the next multiple of the configured indent after `k` (4 for top-level
   * keys with the sops default indent 4); see SOPS-FORMAT.md §10.2.5 for items in sequences.
   */
  readonly indent: number;
  /** The configured yaml.v3 indent (`SetIndent`), written as the `|N` indentation indicator. Default 4 (sops). */
  readonly bestIndent?: number;
  /** Inside a flow collection (`[...]`/`{...}`): no block scalars, and flow indicators `,[]{}` force quoting. */
  readonly inFlow?: boolean;
}

/** The style and exact source text yaml.v3 picks for a string. */
export interface YamlScalarResult {
  readonly style: "plain" | "single" | "double" | "literal";
  /**
   * The exact text to put after `key: ` / `- `.
   * - `plain`, `single`, `double`: the scalar itself, on one line (a single-quoted value containing U+2028/U+2029 is
   *   the only multi-line case: the raw separator, then `indent` spaces).
   * - `literal`: the header (`|`, `|-`, `|+`, with `|4-`-style indicator when the value starts with a space or a line
   *   break), `\n`, then the body lines each prefixed with `indent` spaces (empty lines have no spaces); it always
   *   ends with the line break that terminates the block, so the next key starts right after it. E.g. `"a\nb"` with
   *   indent 4 → `"|-\n    a\n    b\n"`; `"a\n"` → `"|\n    a\n"`; `"a\n\n"` → `"|+\n    a\n\n"`.
   */
  readonly source: string;
}

/**
 * How yaml.v3 (go.yaml.in/yaml/v3 v3.0.4, `encode.go` `stringv` then the libyaml emitter's
 * `yaml_emitter_select_scalar_style`) writes a STRING value, as sops emits it (SOPS-FORMAT.md §10.2.5):
 * 1. requested style: literal if the text contains `\n` (double-quoted in flow context); else plain if the plain form
 *    resolves back to a string ({@link yamlPlainTag}) and is neither a YAML 1.1 bool (`y yes on off n no` in their
 *    lower/Title/UPPER spellings) nor base-60 (`1:20`); else double-quoted (`"123"`, `"true"`, `"2024-01-01"`, `""`);
 * 2. plain falls back to single-quoted when libyaml forbids plain (leading `*&!|>'"%@#,[]{}` or backtick, `- `, `? `,
 *    `: `, ` #`, a trailing `:`, leading/trailing spaces, `---`/`...`, in flow also `,?[]{}` and `:` anywhere);
 * 3. single-quoted falls back to double-quoted for tabs, control or other non-printable characters (`"a\tb"`,
 *    `"a\0b"`) or a space next to a line break;
 * 4. literal falls back to double-quoted for a trailing space, a space before a line break (`"line \nx"`),
 *    non-printable characters (including `\r`), or in flow context.
 *
 * The two-pass Node encoding sops does (`Node.Encode`, then re-emit) yields the same style for values. For mapping
 * KEYS the same result applies when {@link isSimpleYamlKey} holds; otherwise yaml.v3 writes a complex `? ` key.
 */
export function yamlScalar(s: string, opts: YamlScalarOptions): YamlScalarResult {
  // Most values are words like these: plain in any context, no analysis needed (it took a third
  // of the time of decrypting a large file).
  if (SIMPLE_WORD.test(s) || (opts.inFlow !== true && ENC_TEXT.test(s))) return { style: "plain", source: s };
  const cps = codePoints(s);
  const text = fromCodePoints(cps);
  const inFlow = opts.inFlow === true;
  const bestIndent = clampBestIndent(opts.bestIndent ?? 4);
  const canUsePlain = resolveTag(text).tag === "str" && !isBase60Float(text) && !isOldBool(text);
  let style: YamlScalarResult["style"];
  if (text.includes("\n")) style = inFlow ? "double" : "literal";
  else style = canUsePlain ? "plain" : "double";

  const a = analyzeScalar(cps);
  if (style === "plain") {
    if ((inFlow && !a.flowPlainAllowed) || (!inFlow && !a.blockPlainAllowed)) style = "single";
    if (cps.length === 0 && inFlow) style = "single";
  }
  if (style === "single" && !a.singleQuotedAllowed) style = "double";
  if (style === "literal" && (!a.blockAllowed || inFlow)) style = "double";

  switch (style) {
    case "plain":
      return { style, source: text };
    case "single":
      return { style, source: libyamlSingleQuoted(text, opts.indent) };
    case "double":
      return { style, source: libyamlDoubleQuoted(text) };
    case "literal":
      return { style, source: libyamlLiteral(cps, opts.indent, bestIndent) };
  }
}

/**
 * A first letter that gives no resolve hint (not `f n o t y`, which start bools, null and YAML 1.1
 * bools), then letters, digits and `_-./`: never an indicator, a number, a time or a break.
 */
const SIMPLE_WORD = /^[a-eg-mp-su-xzA-EG-MP-SU-XZ][A-Za-z0-9_./-]*$/;

/** An encrypted value as sops writes it: plain in block context (`:` and `,` are not followed by a space). */
const ENC_TEXT = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]$/;

/** yaml.v3 clamps the configured indent: values outside 2..9 become 2 (§10.2.5). */
function clampBestIndent(n: number): number {
  return n < 2 || n > 9 ? 2 : n;
}

/**
 * Whether libyaml writes `s` as a simple (implicit) mapping key (`yaml_emitter_check_simple_key`): no line break
 * (CR, LF, NEL, LS, PS) and at most 128 UTF-8 bytes. Otherwise yaml.v3 emits an explicit `? key` entry.
 */
export function isSimpleYamlKey(s: string): boolean {
  const cps = codePoints(s);
  if (cps.some((c) => isBreak(c))) return false;
  return utf8Length(cps) <= 128;
}
