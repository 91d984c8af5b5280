/**
 * INI files (SOPS-FORMAT §10.5), read as sops reads them through gopkg.in/ini.v1 and kept
 * byte for byte where nothing changes.
 *
 * Reading follows ini.v1's parser (`parser.go`), so values, paths and the MAC are sops's:
 * - keys before the first `[section]` are in the implicit `DEFAULT` section, always the first
 *   section (path `DEFAULT:<key>:`);
 * - `key = value` or `key: value`; the key and value are trimmed; a value may be `"""…"""` (which
 *   may span lines) or `` `…` `` (verbatim, text after the closing quote is ignored), or end with
 *   `\` to continue on the next line; otherwise the first `#` or `;` starts an inline comment and
 *   surrounding `"…"` or `'…'` are removed;
 * - comment lines (`;` or `#`) above a key, plus its inline comment, are one comment **after** the
 *   key in sops's tree (path `[section]`); above a `[section]` header they are the section's
 *   comment, the section's first item; `; `/`# ` prefixes are stripped as sops's `stripCommentChar`
 *   does. hush also keeps comments after the last key of a file (ini.v1 drops them) as a comment
 *   of the last section, encrypted like the others, so no comment is ever left in clear.
 * - the `[sops]` section holds the flattened metadata; `\n` (two characters) is a newline in it,
 *   which reads both the `\n`-escaped form and the `"""` multi-line form of 3.13.0/3.13.1 (§14-Q17).
 *
 * Writing keeps every untouched byte: a new value replaces only the value's text, quoted as ini.v1
 * quotes (`"""…"""` for a newline or backtick, `` `…` `` for `#` or `;`, `"…"` for surrounding
 * spaces, checked by reading it back); a comment is rewritten as `; text` lines above its key or
 * section (keeping the original `#`/`;` prefix of its first line, and moving an inline comment
 * above its key, as ini.v1 does). The `[sops]` section goes last, after one blank line, its keys
 * aligned and `\n`-escaped as sops 3.13.2 writes them. Converting other formats to INI writes
 * ini.v1's pretty format. Duplicate keys in one section are refused: ini.v1 keeps only the last
 * value and sops would silently drop the others (in clear).
 */
import { HushError } from "../errors.js";
import type { MetadataBlock } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";
import { decodeFlatMetadata, flattenMetadata, unflattenMetadata } from "./flatten.js";
import { valToString } from "../model/env.js";
import type { Format, FormatDocument, Leaf } from "./format.js";
import type { TreeCell, TreeMap, TreeNode } from "../model/tree.js";
import { isCrlf, toCrlf } from "./cst-layout.js";

/** The implicit first section (ini.v1 `DefaultSection`). */
const DEFAULT_SECTION = "DEFAULT";

// Go's unicode.IsSpace (JS `\s` would also take U+FEFF).
const SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEFT_SPACE = new RegExp(`^[${SPACE}]+`);
const SPACE_CHAR = new RegExp(`^[${SPACE}]$`);
const trimLeft = (s: string) => s.replace(LEFT_SPACE, "");
/** Trims the end by a loop: the regex `[…]+$` retries at every blank of a long run (quadratic). */
function trimRight(s: string): string {
  let e = s.length;
  while (e > 0 && SPACE_CHAR.test(s[e - 1]!)) e--;
  return s.slice(0, e);
}
const trimSpace = (s: string) => trimRight(s.replace(LEFT_SPACE, ""));
/** The length of the run of spaces and tabs at the end of `s` (linear, unlike /[ \t]*$/). */
function blankTail(s: string): number {
  let n = 0;
  while (n < s.length && (s[s.length - 1 - n] === " " || s[s.length - 1 - n] === "\t")) n++;
  return n;
}

/** A comment: comment lines (offsets of whole lines), and possibly an inline part of a line. */
interface CommentBlock {
  /** [start, end) of each comment line, its line end included. */
  readonly lines: [number, number][];
  /** [start, end) of an inline comment (after a value or a section header), and where its leading whitespace starts. */
  readonly inline: { start: number; end: number; wsStart: number } | undefined;
  /** Where a rewritten block goes when there are no comment lines: the start of the owner's line. */
  readonly anchor: number;
  /** The line end to use for rewritten lines. */
  readonly eol: string;
  /** What `stripCommentChar` removed from the first line (`; `, `#`…), reused when rewriting. */
  readonly prefix: string;
  readonly isKeyComment: boolean;
  text: string;
  dirty: boolean;
}

interface KeyEntry {
  readonly name: string;
  readonly line: number;
  /** [start, end) of the value's source text (quotes included). */
  readonly valueStart: number;
  readonly valueEnd: number;
  /** The value's line has the delimiter right before an empty value (`k =`). */
  readonly needsSpace: boolean;
  readonly cell: TreeCell & { value: PlainValue };
  comment: CommentBlock | undefined;
  dirty: boolean;
}

interface Section {
  readonly name: string;
  /** [start, end) of the header line, or undefined for the implicit DEFAULT section. */
  readonly header: [number, number] | undefined;
  readonly comment: CommentBlock | undefined;
  readonly keys: KeyEntry[];
  /** Comments after the last key of the file (or before `[sops]`): hush keeps and encrypts them. */
  trailing: CommentBlock | undefined;
  /** End of the section's text (start of the next section's comments or header, or EOF). */
  end: number;
}

function parseError(line: number, what: string): HushError {
  // ini.v1's messages quote the line; ours never do (it may hold a secret).
  return new HushError("PARSE", `invalid INI input at line ${line}: ${what}`);
}

/** sops's `stripCommentChar`: the comment without its leading `;`/`#` and spaces, and what was removed. */
function stripCommentChar(c: string): { text: string; prefix: string } {
  const m = c.startsWith(";") ? /^[; ]*/.exec(c) : c.startsWith("#") ? /^[# ]*/.exec(c) : null;
  const prefix = m ? m[0] : "";
  return { text: c.slice(prefix.length), prefix };
}

function hasSurroundedQuote(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1;
}

/** One physical line: text with its line end, and its offset. */
interface RawLine {
  readonly start: number;
  readonly raw: string;
}

function splitLines(text: string, from: number): RawLine[] {
  const out: RawLine[] = [];
  let at = from;
  while (at < text.length) {
    const nl = text.indexOf("\n", at);
    const end = nl === -1 ? text.length : nl + 1;
    out.push({ start: at, raw: text.slice(at, end) });
    at = end;
  }
  return out;
}

/** The offset of the end of a line's content (before trailing whitespace and the line end). */
function contentEnd(l: RawLine): number {
  return l.start + trimRight(l.raw).length;
}

function lineEnd(raw: string): string {
  return raw.endsWith("\r\n") ? "\r\n" : raw.endsWith("\n") ? "\n" : "";
}

interface Parsed {
  readonly sections: Section[];
}

/** ini.v1's `parse`, recording where every value and comment is. */
function parseIni(text: string, bom: number): Parsed {
  const lines = splitLines(text, bom);
  const sections: Section[] = [];
  let section: Section = { name: DEFAULT_SECTION, header: undefined, comment: undefined, keys: [], trailing: undefined, end: text.length };
  sections.push(section);
  let pendingText = "";
  let pendingLines: [number, number][] = [];
  let autoCount = 1;
  const seen = new Set<string>();

  const takeComment = (inline: CommentBlock["inline"], anchor: number, eol: string, isKeyComment: boolean): CommentBlock | undefined => {
    const all = trimSpace(pendingText);
    const block =
      all === "" && pendingLines.length === 0
        ? undefined
        : { lines: pendingLines, inline, anchor, eol, isKeyComment, dirty: false, ...stripCommentChar(all) };
    pendingText = "";
    pendingLines = [];
    return block;
  };

  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const t = trimLeft(l.raw);
    if (t === "") continue;
    const tStart = l.start + (l.raw.length - t.length);
    const lineNo = i + 1;
    if (t[0] === "#" || t[0] === ";") {
      pendingText += t;
      pendingLines.push([l.start, l.start + l.raw.length]);
      continue;
    }
    if (t[0] === "[") {
      const close = t.lastIndexOf("]");
      if (close === -1) throw parseError(lineNo, "unclosed section header");
      const name = t.slice(1, close);
      if (name === "") throw parseError(lineNo, "empty section name");
      const firstPending = pendingLines[0]?.[0] ?? l.start;
      section.end = firstPending;
      const after = t.slice(close + 1);
      const ci = after.search(/[#;]/);
      let inline: CommentBlock["inline"];
      if (ci !== -1) {
        pendingText += after.slice(ci);
        const start = tStart + close + 1 + ci;
        inline = { start, end: contentEnd(l), wsStart: start - blankTail(after.slice(0, ci)) };
      }
      if (name === "sops" && pendingLines.length > 0) {
        // Comments just above [sops] belong to the data above it (hush writes trailing ones there).
        section.trailing = takeComment(undefined, firstPending, lineEnd(l.raw) || "\n", false);
      }
      const comment = takeComment(inline, l.start, lineEnd(l.raw) || "\n", false);
      section = { name, header: [l.start, l.start + l.raw.length], comment, keys: [], trailing: undefined, end: text.length };
      sections.push(section);
      autoCount = 1;
      seen.clear();
      continue;
    }
    // readKeyName
    let name: string;
    let offset: number;
    const quote = t[0] === '"' ? (t.length > 6 && t.startsWith('"""') ? '"""' : '"') : t[0] === "`" ? "`" : "";
    if (quote !== "") {
      const pos = t.indexOf(quote, quote.length);
      if (pos === -1) throw parseError(lineNo, "missing closing key quote");
      const d = t.slice(pos + quote.length).search(/[=:]/);
      if (d === -1) throw parseError(lineNo, "expected key = value");
      name = trimSpace(t.slice(quote.length, pos));
      offset = pos + d + quote.length + 1;
    } else {
      const d = t.search(/[=:]/);
      if (d === -1) throw parseError(lineNo, "expected key = value");
      name = trimSpace(t.slice(0, d));
      offset = d + 1;
    }
    if (name === "-") {
      name = `#${autoCount}`;
      autoCount++;
    }
    // readValue
    const inVal = t.slice(offset);
    const v = trimLeft(inVal);
    // An empty value sits at the end of the line's text, not past its line end.
    const vStart = v === "" ? Math.min(tStart + offset, contentEnd(l)) : tStart + offset + (inVal.length - v.length);
    let value: string;
    let valueEnd: number;
    let inline: CommentBlock["inline"];
    let lastLine = l;
    const valQuote = v.length > 3 && v.startsWith('"""') ? '"""' : v[0] === "`" ? "`" : "";
    if (v === "") {
      value = "";
      valueEnd = vStart;
    } else if (valQuote !== "") {
      const pos = v.slice(valQuote.length).lastIndexOf(valQuote);
      if (pos !== -1) {
        value = v.slice(valQuote.length, valQuote.length + pos);
        valueEnd = vStart + valQuote.length + pos + valQuote.length;
      } else {
        // readMultilines: whole following lines until one holds the closing quote.
        value = v.slice(valQuote.length);
        for (;;) {
          const next = lines[i + 1];
          if (!next) throw parseError(lineNo, "missing closing quote of a multi-line value");
          i++;
          lastLine = next;
          const p = next.raw.lastIndexOf(valQuote);
          if (p !== -1) {
            value += next.raw.slice(0, p);
            valueEnd = next.start + p + valQuote.length;
            const rest = next.raw.slice(p);
            const ci = rest.search(/[#;]/);
            if (ci !== -1) {
              pendingText += trimSpace(rest.slice(ci));
              const start = next.start + p + ci;
              inline = { start, end: contentEnd(next), wsStart: start - blankTail(rest.slice(0, ci)) };
            }
            break;
          }
          value += next.raw;
        }
      }
    } else {
      let line = trimSpace(v);
      valueEnd = vStart + line.length;
      if (line.endsWith("\\")) {
        // readContinuationLines: trimmed lines appended until one does not end with `\`.
        value = line.slice(0, -1);
        for (;;) {
          const next = lines[i + 1];
          if (!next) break;
          i++;
          const n = trimSpace(next.raw);
          if (n === "") break;
          lastLine = next;
          valueEnd = contentEnd(next);
          value += n;
          if (!value.endsWith("\\")) break;
          value = value.slice(0, -1);
        }
      } else {
        const ci = line.search(/[#;]/);
        if (ci !== -1) {
          pendingText += line.slice(ci);
          const before = line.slice(0, ci);
          inline = { start: vStart + ci, end: vStart + line.length, wsStart: vStart + trimRight(before).length };
          line = trimSpace(before);
          valueEnd = vStart + line.length;
        }
        if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1);
        value = line;
      }
    }
    if (seen.has(name)) {
      throw parseError(lineNo, `the key ${JSON.stringify(name)} appears twice in section [${section.name}]; ini.v1 would keep only the last value`);
    }
    seen.add(name);
    const valueLine = text.slice(l.start, vStart);
    const key: KeyEntry = {
      name,
      line: lineNo,
      valueStart: vStart,
      valueEnd: valueEnd!,
      needsSpace: valueEnd! === vStart && /[=:]$/.test(valueLine),
      cell: { value: { type: "str", text: value } },
      comment: undefined,
      dirty: false,
    };
    key.comment = takeComment(inline, l.start, lineEnd(lastLine.raw) || "\n", true);
    section.keys.push(key);
  }
  if (pendingLines.length > 0) section.trailing = takeComment(undefined, pendingLines[0]![0], "\n", false);
  return { sections };
}

/** What ini.v1 reads back from `k = <rendered>`, or undefined when it is not one plain key. */
function readBack(rendered: string): string | undefined {
  try {
    const { sections } = parseIni(`k = ${rendered}\n`, 0);
    const keys = sections[0]?.keys ?? [];
    if (sections.length !== 1 || keys.length !== 1 || keys[0]!.comment) return undefined;
    return keys[0]!.cell.value.text;
  } catch {
    return undefined;
  }
}

/**
 * A value as ini.v1 writes it (`"""…"""` for a newline or backtick, `` `…` `` for `#` or `;`,
 * `"…"` for surrounding whitespace, else as is), or the first other of those forms that reads
 * back as the value. Throws when none does (e.g. a multi-line value holding `"""`).
 */
export function iniValue(value: string, what = "a value"): string {
  const forms = [`"""${value}"""`, `\`${value}\``, `"${value}"`, value];
  let first: string;
  if (/[\n`]/.test(value)) first = forms[0]!;
  else if (/[#;]/.test(value)) first = forms[1]!;
  else if (trimSpace(value) !== value) first = forms[2]!;
  else first = value;
  for (const f of [first, ...forms]) if (readBack(f) === value) return f;
  throw new HushError("CANNOT_DUMP_TREE", `${what} cannot be written in an INI file (no quoting reads it back unchanged)`);
}

/** ini.v1's writing of a key name: backticks around `"`, `=` or `:`, triple quotes around a backtick. */
function iniKey(name: string): string {
  if (name.includes('"') || /[=:]/.test(name)) return `\`${name}\``;
  if (name.includes("`")) return `"""${name}"""`;
  return name;
}

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

/** ini.v1's pretty key lines of one section: `=` aligned on the longest (quoted) key. */
function iniKeyLines(entries: readonly (readonly [string, string])[], where: string): string {
  const names = entries.map(([k]) => iniKey(k));
  const width = Math.max(0, ...names.map(byteLength));
  return entries
    .map(([k, v], i) => {
      const name = names[i]!;
      return `${name}${" ".repeat(width - byteLength(name))} = ${iniValue(v, `the value of ${where}${JSON.stringify(k)}`)}\n`;
    })
    .join("");
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** A parsed INI file; see the module comment. */
class IniDocument implements FormatDocument {
  readonly format = "ini" as const;
  readonly documentCount = 1;
  private readonly sections: Section[];
  private readonly leafList: Leaf[] = [];
  private readonly tree: TreeMap = new Map();
  private meta: MetadataBlock | undefined | null = null; // null: unchanged
  private readonly bom: string;

  constructor(private readonly text: string) {
    this.bom = text.startsWith("\ufeff") ? "\ufeff" : "";
    this.sections = parseIni(text, this.bom.length).sections;
    let emptyImplicitDefault = false;
    for (const s of this.sections) {
      // The [sops] section is metadata: no leaves (comments in it go with it).
      if (s.name === "sops") continue;
      const path = [s.name];
      // sops's comment stack: sections are top-level values, so only this level's comments count.
      const level: string[] = [];
      const map: TreeMap = new Map();
      if (s.comment) this.pushComment(s.comment, path, level);
      for (const k of s.keys) {
        this.leafList.push({
          path: [s.name, k.name],
          kind: "value",
          value: k.cell.value,
          commentStack: [...level],
          inList: false,
          set(next: PlainValue) {
            k.cell.value = next;
            k.dirty = true;
          },
        });
        level.length = 0;
        map.set(k.name, k.cell);
        if (k.comment) this.pushComment(k.comment, path, level);
      }
      if (s.trailing) this.pushComment(s.trailing, path, level);
      // A repeated section keeps its first copy (as YAML keeps a first duplicate key), except the
      // implicit DEFAULT when it is empty: an explicit `[DEFAULT]` header then takes its place.
      if (!this.tree.has(s.name) || (s.name === DEFAULT_SECTION && emptyImplicitDefault)) {
        this.tree.delete(s.name);
        this.tree.set(s.name, map);
        emptyImplicitDefault = s === this.sections[0] && s.keys.length === 0;
      }
    }
  }

  private pushComment(c: CommentBlock, path: readonly string[], level: string[]): void {
    level.push(c.text);
    this.leafList.push({
      path,
      kind: "comment",
      value: { type: "comment", text: c.text },
      commentStack: [...level],
      inList: false,
      set(next: PlainValue) {
        c.text = next.text;
        c.dirty = true;
      },
    });
  }

  leaves(): readonly Leaf[] {
    return this.leafList;
  }

  trees(): TreeMap[] {
    return [this.tree];
  }

  rawMetadata(): unknown {
    const s = this.sections.find((x) => x.name === "sops");
    if (!s) return undefined;
    return unflattenMetadata(decodeFlatMetadata(s.keys.map((k) => [k.name, k.cell.value.text] as const)));
  }

  setMetadata(meta: MetadataBlock | undefined): void {
    this.meta = meta;
  }

  toString(): string {
    const edits: Edit[] = [];
    for (const s of this.sections) {
      if (s.name === "sops") {
        if (this.meta !== null) edits.push(this.sopsRemoval(s));
        continue;
      }
      if (s.comment?.dirty) this.commentEdits(s.comment, edits);
      for (const k of s.keys) {
        if (k.dirty) {
          const v = k.cell.value.type === "str" ? k.cell.value.text : valToString(k.cell.value);
          const text = iniValue(v, `the value of [${s.name}] ${JSON.stringify(k.name)}`);
          edits.push({ start: k.valueStart, end: k.valueEnd, text: k.needsSpace ? ` ${text}` : text });
        }
        if (k.comment?.dirty) this.commentEdits(k.comment, edits);
      }
      if (s.trailing?.dirty) this.commentEdits(s.trailing, edits);
    }
    edits.sort((a, b) => a.start - b.start || a.end - b.end);
    let out = "";
    let at = 0;
    for (const e of edits) {
      if (e.start < at) throw new HushError("INTERNAL", "overlapping INI edits");
      out += this.text.slice(at, e.start) + e.text;
      at = e.end;
    }
    out += this.text.slice(at);
    if (this.meta) out = appendSopsSection(out, this.meta);
    // The [sops] section is generated with `\n`: a CRLF file stays CRLF.
    return isCrlf(this.text) ? toCrlf(out) : out;
  }

  /** The `[sops]` section's text and one blank line before it. */
  private sopsRemoval(s: Section): Edit {
    let start = s.header![0];
    const before = this.text.lastIndexOf("\n", start - 2);
    const prev = this.text.slice(before + 1, start);
    if (start > 0 && trimSpace(prev) === "") start = before + 1;
    return { start, end: s.end, text: "" };
  }

  /** Rewrites a comment block as `; text` lines above its owner (ini.v1's `writeToBuffer`). */
  private commentEdits(c: CommentBlock, edits: Edit[]): void {
    const parts = c.text.split("\n").map((p) => p.replace(/\r$/, ""));
    const rendered = parts
      .map((p, i) => {
        if (i === 0) return `${c.prefix || "; "}${p}`;
        if (p.startsWith("#") || p.startsWith(";")) return `${p[0]} ${trimSpace(p.slice(1))}`;
        return `; ${trimSpace(p)}`;
      })
      .map((p) => p + c.eol)
      .join("");
    const lastLine = c.lines[c.lines.length - 1];
    c.lines.forEach(([start, end]) => edits.push({ start, end, text: end === lastLine?.[1] ? rendered : "" }));
    if (!lastLine) edits.push({ start: c.anchor, end: c.anchor, text: rendered });
    if (c.inline) edits.push({ start: c.inline.wsStart, end: c.inline.end, text: "" });
  }
}

/** The text with the `[sops]` section appended after one blank line, as sops 3.13.2 writes it. */
function appendSopsSection(text: string, meta: MetadataBlock): string {
  let out = text;
  if (out !== "" && !out.endsWith("\n")) out += "\n";
  if (out !== "") out += "\n";
  const flat = flattenMetadata(meta, "").map(([k, v]) => [k, v.replace(/\n/g, "\\n")] as const);
  return `${out}[sops]\n${iniKeyLines(flat, "[sops] ")}`;
}

/** The INI format. */
export const iniFormat: Format = {
  name: "ini",
  parse(text: string) {
    return new IniDocument(text);
  },
};

/**
 * Trees as an INI file in ini.v1's pretty format (conversions): every top-level value must be a
 * map (a section) of scalars; `DEFAULT` comes first and is written without a header (nothing when
 * empty); a blank line separates sections. Non-strings are written with sops's `ValToString`.
 */
export function emitIniTrees(trees: readonly TreeNode[]): string {
  const sections = new Map<string, [string, string][]>([[DEFAULT_SECTION, []]]);
  for (const tree of trees) {
    if (!(tree instanceof Map)) throw new HushError("CANNOT_DUMP_TREE", "an INI document must be a mapping of sections");
    for (const [name, node] of tree) {
      if (!(node instanceof Map)) {
        throw new HushError("CANNOT_DUMP_TREE", `INI section values must be mappings; ${JSON.stringify(name)} is not`);
      }
      if (name === "") throw new HushError("CANNOT_DUMP_TREE", "an INI section name cannot be empty");
      if (/[\r\n]/.test(name) || name.includes("]")) {
        throw new HushError("CANNOT_DUMP_TREE", `the section name ${JSON.stringify(name)} cannot be written in an INI file`);
      }
      const keys = sections.get(name) ?? [];
      sections.set(name, keys);
      for (const [k, v] of node) {
        if (v instanceof Map || Array.isArray(v)) {
          throw new HushError("CANNOT_DUMP_TREE", `cannot use complex value in INI file; offending key ${JSON.stringify(k)} in [${name}]`);
        }
        const at = keys.findIndex(([x]) => x === k);
        const entry: [string, string] = [k, valToString(v.value)];
        if (at === -1) keys.push(entry);
        else keys[at] = entry;
      }
    }
  }
  const parts: string[] = [];
  for (const [name, keys] of sections) {
    if (name === DEFAULT_SECTION && parts.length === 0) {
      if (keys.length > 0) parts.push(iniKeyLines(keys, ""));
      continue;
    }
    parts.push(`[${name}]\n${iniKeyLines(keys, `[${name}] `)}`);
  }
  return parts.join("\n");
}
