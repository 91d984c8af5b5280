/**
 * dotenv files (SOPS-FORMAT §10.4), read two ways:
 *
 * - **sops rules**, for every file that holds sops metadata (a line whose key starts with
 *   `sops_`, which is how sops itself tells): lines split on `\n`; empty lines skipped; `#` in
 *   column 0 starts a comment; every other line is `KEY=VALUE` split at the first `=` with nothing
 *   trimmed and no quote handling; the two characters `\n` in a value are a newline. This is
 *   exactly how sops reads, so the values, the additional data and the MAC are sops's.
 * - **extended rules**, for plaintext files, where sops's parser is too primitive. The key is still
 *   everything before the first `=`, exactly as sops reads it (it is the additional data of the
 *   value, so `export A=1` has the key `export A` and `foo = bar` the key `foo `, as in sops: a
 *   file hush writes must decrypt with sops). Values are read the way the `dotenv` package reads
 *   them, where sops would read garbage:
 *   - `"…"`: may span lines; escapes `\n`, `\r`, `\"` and `\\` (any other backslash stays);
 *   - `'…'` and `` `…` ``: literal, may span lines;
 *   - whitespace before an opening quote is layout; after the closing quote only whitespace and
 *     an optional `# comment` may follow;
 *   - unquoted: the rest of the line, untrimmed (so `foo = bar` is `" bar"`, as sops reads it),
 *     `\n` is a newline (as in sops), and `#` after a space or tab starts an inline comment;
 *   - blank lines (also whitespace-only ones) are kept, comments may be indented, `\r\n` line ends
 *     are accepted.
 *
 * Layout is kept: untouched lines are emitted byte for byte, and setting a leaf rewrites only its
 * value. Two exceptions, both so that **every encrypted file hush writes reads the same in sops**:
 * on encryption, a line sops would read differently is rewritten in sops's form (an inline comment
 * moves to its own line above its entry, a quoted or multi-line value left in clear is written
 * unquoted with `\n` escapes, indentation before `#` and whitespace-only lines go, line ends become
 * `\n`); and the `sops_*` lines go last, flattened and sorted structurally (§10.4.1).
 *
 * How a value is written (decrypted output, conversions), so that reading it back gives the value:
 * 1. as is, if it has no newline, carriage return or trailing whitespace and reads back unchanged
 *    (leading whitespace is fine: `foo = bar` stays as sops writes it);
 * 2. else in single quotes, if it has no `'`, newline or carriage return;
 * 3. else in double quotes, escaping `\`, `"`, newline (`\n`) and carriage return (`\r`).
 * So a plaintext file whose values are written that way round-trips encrypt → decrypt byte for
 * byte (with `\n` line ends).
 */
import { HushError } from "../errors.js";
import type { MetadataBlock } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";
import { decodeFlatMetadata, flattenMetadata, unflattenMetadata } from "./flatten.js";
import { valToString } from "../model/env.js";
import type { Format, FormatDocument, Leaf } from "./format.js";
import type { TreeCell, TreeMap, TreeNode } from "../model/tree.js";

/** The prefix sops puts before every flattened metadata key in a dotenv file. */
const SOPS_PREFIX = "sops_";

interface InlineComment {
  /** Whitespace between the value and `#`. */
  readonly gap: string;
  text: string;
  dirty: boolean;
}

interface EntryItem {
  readonly kind: "entry";
  readonly line: number;
  /** Everything before the value: the key and `=`. */
  readonly pre: string;
  readonly key: string;
  /** The value's source text after `=` (quotes and the whitespace before them included). */
  readonly valueRaw: string;
  /** Whitespace after a closing quote (extended rules). */
  readonly trail: string;
  readonly inline: InlineComment | undefined;
  readonly eol: string;
  readonly meta: boolean;
  readonly cell: TreeCell & { value: PlainValue };
  dirty: boolean;
}

interface CommentItem {
  readonly kind: "comment";
  readonly line: number;
  readonly indent: string;
  text: string;
  readonly eol: string;
  dirty: boolean;
}

interface BlankItem {
  readonly kind: "blank";
  readonly raw: string;
  readonly eol: string;
}

type Item = EntryItem | CommentItem | BlankItem;

function parseError(line: number, what: string): HushError {
  // Never quote the line: it may hold a secret (sops's message does, SOPS-FORMAT §14-Q29).
  return new HushError("PARSE", `invalid dotenv input at line ${line}: ${what}`, "lines are KEY=VALUE or # comments");
}

/** True when the text holds sops metadata, by sops's own test (`HasSopsTopLevelKey`). */
function hasSopsKeys(text: string): boolean {
  return text.split("\n").some((l) => l.startsWith(SOPS_PREFIX) && l.includes("="));
}

/** sops's `LoadPlainFile`: no trimming, no quotes, `\n` → newline. */
function parseSops(text: string): Item[] {
  const items: Item[] = [];
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    const last = i === lines.length - 1;
    const eol = last ? "" : "\n";
    if (l === "") {
      if (!last) items.push({ kind: "blank", raw: "", eol });
      return;
    }
    if (l[0] === "#") {
      items.push({ kind: "comment", line: i + 1, indent: "", text: l.slice(1), eol, dirty: false });
      return;
    }
    const eq = l.indexOf("=");
    if (eq === -1) throw parseError(i + 1, "expected KEY=VALUE or a # comment");
    const key = l.slice(0, eq);
    const valueRaw = l.slice(eq + 1);
    items.push(entry(i + 1, l.slice(0, eq + 1), key, valueRaw, "", undefined, eol, valueRaw.replace(/\\n/g, "\n"), key.startsWith(SOPS_PREFIX)));
  });
  return items;
}

function entry(
  line: number,
  pre: string,
  key: string,
  valueRaw: string,
  trail: string,
  inline: InlineComment | undefined,
  eol: string,
  value: string,
  meta = false,
): EntryItem {
  return { kind: "entry", line, pre, key, valueRaw, trail, inline, eol, meta, cell: { value: { type: "str", text: value } }, dirty: false };
}

const QUOTES = new Set(['"', "'", "`"]);

/** `"…"` content: `\n`, `\r`, `\"`, `\\` are escapes; any other backslash stays as written. */
function unescapeDouble(s: string): string {
  return s.replace(/\\([nr"\\])/g, (_, c: string) => (c === "n" ? "\n" : c === "r" ? "\r" : c));
}

/** The extended reader (see the module comment). */
function parseExtended(text: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let lineNo = 1;
  /** The physical line at `at`: its content (no line end) and line end. */
  const lineAt = (at: number): { content: string; eol: string; next: number } => {
    const nl = text.indexOf("\n", at);
    if (nl === -1) return { content: text.slice(at), eol: "", next: text.length };
    const cr = nl > at && text[nl - 1] === "\r";
    return { content: text.slice(at, cr ? nl - 1 : nl), eol: cr ? "\r\n" : "\n", next: nl + 1 };
  };
  while (pos < text.length) {
    const { content, eol, next } = lineAt(pos);
    const indent = /^[ \t]*/.exec(content)![0];
    const body = content.slice(indent.length);
    if (body === "") {
      items.push({ kind: "blank", raw: content, eol });
    } else if (body[0] === "#") {
      items.push({ kind: "comment", line: lineNo, indent, text: body.slice(1), eol, dirty: false });
    } else {
      const eq = content.indexOf("=");
      if (eq === -1) throw parseError(lineNo, "expected KEY=VALUE or a # comment");
      const pre = content.slice(0, eq + 1);
      const key = content.slice(0, eq);
      const rest = content.slice(eq + 1);
      const ws = /^[ \t]*/.exec(rest)![0];
      const q = rest[ws.length];
      if (q !== undefined && QUOTES.has(q)) {
        const open = pos + eq + 1 + ws.length;
        let close = -1;
        if (q === '"') {
          for (let i = open + 1; i < text.length; i++) {
            if (text[i] === "\\") i++;
            else if (text[i] === '"') {
              close = i;
              break;
            }
          }
        } else {
          close = text.indexOf(q, open + 1);
        }
        if (close === -1) throw parseError(lineNo, "the quoted value is never closed");
        const inner = text.slice(open + 1, close).replace(/\r\n/g, "\n");
        const value = q === '"' ? unescapeDouble(inner) : inner;
        const valueRaw = text.slice(pos + eq + 1, close + 1);
        const tail = lineAt(close + 1);
        const m = /^([ \t]*)(?:#(.*))?$/.exec(tail.content);
        const startLine = lineNo;
        lineNo += countNewlines(text, pos, close + 1);
        if (!m) throw parseError(lineNo, "unexpected text after the closing quote");
        const inline = m[2] === undefined ? undefined : { gap: m[1]!, text: m[2], dirty: false };
        items.push(entry(startLine, pre, key, valueRaw, inline ? "" : m[1]!, inline, tail.eol, value));
        pos = tail.next;
        lineNo++;
        continue;
      }
      // The first `#` after a space or tab, and the whole run of blanks before it. (The regex
      // /[ \t]+#/ did the same but backtracked quadratically over a long run of blanks.)
      const h = /[ \t]#/.exec(rest);
      let gapStart = h ? h.index : -1;
      while (gapStart > 0 && (rest[gapStart - 1] === " " || rest[gapStart - 1] === "\t")) gapStart--;
      const valueRaw = h ? rest.slice(0, gapStart) : rest;
      const inline = h ? { gap: rest.slice(gapStart, h.index + 1), text: rest.slice(h.index + 2), dirty: false } : undefined;
      items.push(entry(lineNo, pre, key, valueRaw, "", inline, eol, valueRaw.replace(/\\n/g, "\n")));
    }
    pos = next;
    lineNo++;
  }
  return items;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf("\n", from); i !== -1 && i < to; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** What the extended reader makes of `KEY=<rest>`: the value, or undefined if not a plain entry. */
function readBack(rest: string): string | undefined {
  if (/[\r\n]/.test(rest)) return undefined;
  try {
    const items = parseExtended(`K=${rest}`);
    const e = items[0];
    if (items.length !== 1 || e?.kind !== "entry" || e.inline) return undefined;
    return e.cell.value.text;
  } catch {
    return undefined;
  }
}

/**
 * A value as hush writes it in a dotenv file (see the module comment for the rules). The result
 * is one line, and the extended reader gives `value` back from it.
 */
export function dotenvValue(value: string): string {
  if (!/[\r\n]|[ \t]$/.test(value) && readBack(value) === value) return value;
  if (!/['\r\n]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

/** How sops writes a value (`\n` escaped, nothing else), or undefined when sops would read it back differently. */
function sopsValue(value: string): string | undefined {
  const s = value.replace(/\n/g, "\\n");
  return s.replace(/\\n/g, "\n") === value ? s : undefined;
}

function checkKeyWritable(key: string, line: number | undefined): void {
  // `  # x` would read back as a comment; `=` or a line break would split the key.
  if (/^[ \t]*#/.test(key) || /[\r\n=]/.test(key)) {
    const where = line === undefined ? `the key ${JSON.stringify(key)}` : `the key on line ${line}`;
    throw new HushError("CANNOT_DUMP_TREE", `${where} cannot be written in a dotenv file`);
  }
}

/** A parsed dotenv file; see the module comment. */
export class DotenvDocument implements FormatDocument {
  readonly format = "dotenv" as const;
  readonly documentCount = 1;
  /** True when the file held sops metadata and was read with sops's rules. */
  readonly sopsRules: boolean;
  private readonly items: Item[];
  private readonly leafList: Leaf[] = [];
  private readonly tree: TreeMap = new Map();
  private meta: MetadataBlock | undefined | null = null; // null: unchanged

  constructor(text: string) {
    this.sopsRules = hasSopsKeys(text);
    this.items = this.sopsRules ? parseSops(text) : parseExtended(text);
    // sops's comment stack at the top level: comments since the last value (SOPS-FORMAT §5.2).
    const level: string[] = [];
    const commentLeaf = (text: string, set: (next: PlainValue) => void): void => {
      level.push(text);
      this.leafList.push({ path: [], kind: "comment", value: { type: "comment", text }, commentStack: [...level], inList: false, set });
    };
    for (const item of this.items) {
      if (item.kind === "comment") {
        commentLeaf(item.text, (next) => {
          item.text = next.text;
          item.dirty = true;
        });
      } else if (item.kind === "entry" && !item.meta) {
        const inline = item.inline;
        // An inline comment comes before its value in sops's tree, as for YAML (§10.2.3).
        if (inline) {
          commentLeaf(inline.text, (next) => {
            inline.text = next.text;
            inline.dirty = true;
          });
        }
        this.leafList.push({
          path: [item.key],
          kind: "value",
          value: item.cell.value,
          commentStack: [...level],
          inList: false,
          set(next: PlainValue) {
            item.cell.value = next;
            item.dirty = true;
          },
        });
        level.length = 0;
        if (!this.tree.has(item.key)) this.tree.set(item.key, item.cell);
      }
    }
  }

  leaves(): readonly Leaf[] {
    return this.leafList;
  }

  trees(): TreeMap[] {
    return [this.tree];
  }

  rawMetadata(): unknown {
    const flat = this.items
      .filter((i): i is EntryItem => i.kind === "entry" && i.meta)
      .map((i) => [i.key.slice(SOPS_PREFIX.length), i.cell.value.text] as const);
    if (flat.length === 0) return undefined;
    return unflattenMetadata(decodeFlatMetadata(flat));
  }

  setMetadata(meta: MetadataBlock | undefined): void {
    this.meta = meta;
  }

  toString(): string {
    const sopsForm = this.meta !== null && this.meta !== undefined;
    let out = "";
    for (const item of this.items) {
      if (item.kind === "blank") out += sopsForm ? "\n" : item.raw + item.eol;
      else if (item.kind === "comment") out += this.commentText(item, sopsForm);
      else if (item.meta) {
        if (this.meta === null) out += `${item.pre}${item.valueRaw}${item.eol}`;
      } else out += sopsForm ? this.sopsEntry(item) : this.plainEntry(item);
    }
    if (this.meta) {
      if (out !== "" && !out.endsWith("\n")) out += "\n";
      for (const [k, v] of flattenMetadata(this.meta, SOPS_PREFIX)) out += `${k}=${v.replace(/\n/g, "\\n")}\n`;
    }
    return out;
  }

  private commentText(c: CommentItem, sopsForm: boolean): string {
    // A decrypted comment is one line; never let one inject entries.
    const text = c.dirty ? oneLine(c.text) : c.text;
    if (sopsForm) return `#${text}\n`;
    return `${c.indent}#${text}${c.eol}`;
  }

  /** An entry as sops must read it back (encryption output). */
  private sopsEntry(e: EntryItem): string {
    let out = e.inline ? `#${oneLine(e.inline.text)}\n` : "";
    const value = e.cell.value.text;
    const raw = e.valueRaw + e.trail;
    let rest: string | undefined;
    if (!e.dirty && !e.inline && !raw.includes("\n") && raw.replace(/\\n/g, "\n") === value) rest = raw;
    else rest = sopsValue(e.cell.value.type === "str" ? value : valToString(e.cell.value));
    if (rest === undefined) {
      throw new HushError(
        "CANNOT_DUMP_TREE",
        `the value of ${JSON.stringify(e.key)} (line ${e.line}) contains the two characters \\n, which sops's dotenv format cannot store in clear`,
        "encrypt that value, or write it without a literal backslash-n",
      );
    }
    out += `${e.pre}${rest}\n`;
    return out;
  }

  /** An entry as the extended reader must read it back (decrypted output, plain rewrites). */
  private plainEntry(e: EntryItem): string {
    const value = e.cell.value.type === "str" ? e.cell.value.text : valToString(e.cell.value);
    const inline = e.inline ? `${e.inline.gap}#${e.inline.dirty ? oneLine(e.inline.text) : e.inline.text}` : "";
    // Lines read with the extended rules read back as they are; a line read with sops's rules is
    // kept only if the extended reader gives the same value (`A="x"` means `"x"` to sops).
    if (!e.dirty && (!this.sopsRules || (readBack(e.valueRaw) === value && !/^[ \t]*#/.test(e.key)))) {
      return `${e.pre}${e.valueRaw}${e.trail}${inline}${e.eol}`;
    }
    checkKeyWritable(e.key, e.line);
    return `${e.pre}${dotenvValue(value)}${inline}${e.eol}`;
  }
}

function oneLine(s: string): string {
  return s.replace(/\r\n|\r|\n/g, " ");
}

/** The dotenv format. */
export const dotenvFormat: Format = {
  name: "dotenv",
  parse(text: string) {
    return new DotenvDocument(text);
  },
};

/**
 * A tree as a dotenv file (conversions, `--extract`): one `KEY=VALUE` line per top-level value,
 * values written as {@link dotenvValue} does, non-strings with sops's `ValToString`. A map or a
 * list cannot be written (sops: `cannot use complex value in dotenv file`).
 */
export function emitDotenvTrees(trees: readonly TreeNode[]): string {
  const tree = trees[0];
  if (tree === undefined) return "";
  if (!(tree instanceof Map)) throw new HushError("CANNOT_DUMP_TREE", "cannot use complex value in dotenv file: the document is not a mapping");
  let out = "";
  for (const [k, node] of tree) {
    if (node instanceof Map || Array.isArray(node)) {
      throw new HushError("CANNOT_DUMP_TREE", `cannot use complex value in dotenv file; offending key ${JSON.stringify(k)}`);
    }
    checkKeyWritable(k, undefined);
    out += `${k}=${dotenvValue(valToString(node.value))}\n`;
  }
  return out;
}
