/**
 * How yaml.v3 types an untagged plain scalar (SOPS-FORMAT.md §10.2.2, `resolve.go` of
 * go.yaml.in/yaml/v3 v3.0.4): null, bool, int, float, timestamp or string, with the Go value sops
 * then encrypts ({@link resolveYamlPlain}). Timestamps follow Go `time.Parse` and `MarshalText`.
 */
import { formatFloatF, goParseFloatDecimal, goParseInt, goParseUint, isAsciiDigit } from "../model/go-number.js";
import type { PlainValue } from "../model/value.js";

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
export function resolveTag(s: string): Resolution {
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
