/**
 * YAML spelling exactly as sops 3.13.2 writes it through yaml.v3 (SOPS-FORMAT.md §10.2.5): floats
 * ({@link yamlFloat}), bytes ({@link yamlBinaryBase64}) and the style and text of every string
 * ({@link yamlScalar}), following go.yaml.in/yaml/v3 v3.0.4 (= gopkg.in/yaml.v3 v3.0.1 code:
 * libyaml port `emitterc.go`, `encode.go`).
 */
import { formatFloatG, isAsciiDigit } from "../model/go-number.js";
import { resolveTag } from "./yaml-resolve.js";

// ---------------------------------------------------------------------------------------------------------------------
// Floats and bytes
// ---------------------------------------------------------------------------------------------------------------------

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
  if (SIMPLE_WORD.test(s) || HINTED_WORD.test(s) || (opts.inFlow !== true && ENC_TEXT.test(s))) return { style: "plain", source: s };
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

/**
 * A word as {@link SIMPLE_WORD} whose first letter does give a hint (`f n o t y`, either case),
 * with a digit or one of `_./-` in it: the words those letters start that resolve to something
 * else (bools, null, YAML 1.1 bools: yaml.v3's resolve map and isOldBool) are letters only, and
 * numbers and times start with a digit, a sign or a dot. So it is a plain string too (`tok-1`).
 */
const HINTED_WORD = /^[fnotyFNOTY][A-Za-z]*[0-9_./-][A-Za-z0-9_./-]*$/;

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
