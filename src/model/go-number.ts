/**
 * Go's number spellings, format-neutral (SOPS-FORMAT.md §14-Q4): the float plaintext sops encrypts
 * and hashes is `strconv.FormatFloat(f,'f',-1,64)` (§3.3) → {@link formatFloatF}; dotenv, INI and
 * exec-env use `stores.ValToString` (§10.8) → {@link goValToStringFloat}; reading numbers back is
 * Go `strconv` ({@link parseGoFloat}, {@link goParseInt}, …). The format-specific spellings (yaml.v3,
 * encoding/json) build on these in `formats/yaml-scalars.ts` and `formats/json-scalars.ts`.
 *
 * Everything here is pure and synchronous; the Go sources mirrored are cited per function.
 */

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
 * `999999`, `0.0001`, `-0`; non-finite values give `NaN`, `+Inf`, `-Inf` (`formats/yaml-scalars.ts` `yamlFloat` spells them for YAML).
 */
export function formatFloatG(x: number): string {
  return formatFloatShortestG(x, "e");
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
 * Go `strconv.FormatFloat(x, 'e', -1, 64)` for a finite `x`: shortest digits as `d.ddde±XX` (at
 * least two exponent digits). `1e+21`, `1.5e-07`, `-0e+00`.
 */
export function formatFloatE(x: number): string {
  const digs = shortestDigits(Math.abs(x));
  return fmtE(isNegative(x), digs, digs.d.length - 1, "e");
}

/** strconv.ParseFloat for the spellings sops writes (plus Go's `inf`/`infinity`/`nan`, any case). */
export function parseGoFloat(text: string): number | undefined {
  const t = text.replace(/_/g, "");
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  // `\d+(\.\d*)?`, not `\d+\.?\d*`: the latter backtracks quadratically on a long run of digits.
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]/.test(t)) {
    const n = Number(t.replace(/^([+-]?)0[xX]/, "$10x"));
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------------
// Go strconv integer / float parsing (the subset yaml.v3 resolve.go relies on)
// ---------------------------------------------------------------------------------------------------------------------

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN_ABS = 1n << 63n;
const UINT64_MAX = (1n << 64n) - 1n;

/** An ASCII digit `0`-`9` (Go `'0' <= c && c <= '9'`). */
export function isAsciiDigit(c: number): boolean {
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
export function goParseUint(s0: string, base0: number): bigint | undefined {
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
export function goParseInt(s0: string, base: number): bigint | undefined {
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
export function goParseFloatDecimal(s: string): number | undefined {
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
