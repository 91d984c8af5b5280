/**
 * dotenv files (SOPS-FORMAT §10.4), read and written exactly as sops's dotenv store does
 * (`stores/dotenv/store.go`, `LoadPlainFile` / `EmitPlainFile`), for plaintext and encrypted
 * files alike, so the same file gives the same secrets in hush and in sops:
 *
 * - the text is split on `\n` only (a `\r` before it stays part of the value or comment, so a
 *   CRLF file comes back CRLF);
 * - an empty line is skipped; a line whose first byte is `#` is a comment (the rest of the line);
 * - every other line is `KEY=VALUE` split at the first `=`: nothing is trimmed, quotes are part of
 *   the value, `#` is just a character, `export A=1` has the key `export A`; the two characters
 *   `\n` in a value are a newline;
 * - any other line (no `=`: a bare word, a whitespace-only line, an indented `# comment`) is an
 *   error, as in sops (`invalid dotenv input line`), reported by line number, never by content.
 *
 * Written back, a comment is `#TEXT\n` and an entry `KEY=VALUE\n` with each newline in VALUE
 * written as `\n` and nothing else escaped (a value that is not a string is spelled by sops's
 * `ValToString`); every line ends in `\n`. That is byte for byte what sops emits. The one
 * difference is on purpose: hush keeps empty lines where they were (sops drops them), because
 * they are layout and carry no value.
 *
 * Reading a Node-style `.env` (quotes, inline comments, `export`, multi-line values) is a separate,
 * explicit step: `dotenv-node.ts` and `hush import-dotenv`.
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

interface EntryItem {
  readonly kind: "entry";
  readonly line: number;
  readonly key: string;
  /** The value's source text after `=`. */
  readonly valueRaw: string;
  readonly meta: boolean;
  readonly cell: TreeCell & { value: PlainValue };
  dirty: boolean;
}

interface CommentItem {
  readonly kind: "comment";
  text: string;
}

interface BlankItem {
  readonly kind: "blank";
}

type Item = EntryItem | CommentItem | BlankItem;

function parseError(line: number): HushError {
  // Never quote the line: it may hold a secret (sops's message does, SOPS-FORMAT §14-Q29).
  return new HushError(
    "PARSE",
    `invalid dotenv input line ${line}: not KEY=VALUE and not a # comment`,
    "sops's dotenv format has no quotes, inline comments, indented comments or whitespace-only lines; " +
      "`hush import-dotenv FILE` converts a Node-style .env",
  );
}

/** sops's `LoadPlainFile`: no trimming, no quotes, `\n` → newline. Empty lines are kept as layout. */
function parse(text: string): Item[] {
  const items: Item[] = [];
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    if (l === "") {
      // The empty string after a final `\n` is not a line.
      if (i !== lines.length - 1) items.push({ kind: "blank" });
      return;
    }
    if (l[0] === "#") {
      items.push({ kind: "comment", text: l.slice(1) });
      return;
    }
    const eq = l.indexOf("=");
    if (eq === -1) throw parseError(i + 1);
    const key = l.slice(0, eq);
    const valueRaw = l.slice(eq + 1);
    items.push({
      kind: "entry",
      line: i + 1,
      key,
      valueRaw,
      meta: key.startsWith(SOPS_PREFIX),
      cell: { value: { type: "str", text: valueRaw.replace(/\\n/g, "\n") } },
      dirty: false,
    });
  });
  return items;
}

/** True when `value` comes back unchanged from sops's reading of {@link sopsDotenvValue}. */
function survivesSops(value: string): boolean {
  return !value.includes("\\n");
}

/**
 * A value as sops's `EmitPlainFile` writes it: a string with each newline as `\n` and nothing else
 * changed; any other value by `ValToString`, unescaped (as sops).
 */
export function sopsDotenvValue(value: PlainValue): string {
  return value.type === "str" ? value.text.replace(/\n/g, "\\n") : valToString(value);
}

function checkKeyWritable(key: string, line: number | undefined): void {
  // `#x` would read back as a comment; `=` or a line break would split the key.
  if (key.startsWith("#") || /[\n=]/.test(key)) {
    const where = line === undefined ? `the key ${JSON.stringify(key)}` : `the key on line ${line}`;
    throw new HushError("CANNOT_DUMP_TREE", `${where} cannot be written in a dotenv file`);
  }
}

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/**
 * A value leaf: one object per entry (no `set` closure, and the shared empty comment stack when
 * no comment precedes it), which showed in the memory of 100k-entry files.
 */
class EntryLeaf implements Leaf {
  readonly kind = "value";
  readonly inList = false;
  readonly path: readonly string[];
  readonly value: PlainValue;
  constructor(
    private readonly item: EntryItem,
    readonly commentStack: readonly string[],
  ) {
    this.path = [item.key];
    this.value = item.cell.value;
  }

  set(next: PlainValue): void {
    this.item.cell.value = next;
    this.item.dirty = true;
  }
}

/** A parsed dotenv file; see the module comment. */
export class DotenvDocument implements FormatDocument {
  readonly format = "dotenv" as const;
  readonly documentCount = 1;
  private readonly items: Item[];
  private readonly leafList: Leaf[] = [];
  private readonly tree: TreeMap = new Map();
  private meta: MetadataBlock | undefined | null = null; // null: unchanged

  constructor(text: string) {
    this.items = parse(text);
    // sops's comment stack at the top level: comments since the last value (SOPS-FORMAT §5.2).
    const level: string[] = [];
    for (const item of this.items) {
      if (item.kind === "comment") {
        level.push(item.text);
        this.leafList.push({
          path: [],
          kind: "comment",
          value: { type: "comment", text: item.text },
          commentStack: [...level],
          inList: false,
          set(next: PlainValue) {
            item.text = next.text;
          },
        });
      } else if (item.kind === "entry" && !item.meta) {
        this.leafList.push(new EntryLeaf(item, level.length === 0 ? NO_COMMENTS : [...level]));
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
    const encrypted = this.meta !== null && this.meta !== undefined;
    // Pieces joined once: one flat string, not a rope of a node per piece held until written.
    const out: string[] = [];
    for (const item of this.items) {
      if (item.kind === "blank") out.push("\n");
      // A decrypted comment is one line in sops's tree too; never let one inject entries.
      else if (item.kind === "comment") out.push(`#${item.text.replace(/\n/g, " ")}\n`);
      else if (item.meta) {
        if (this.meta === null) out.push(`${item.key}=${item.valueRaw}\n`);
      } else out.push(this.entryLine(item, encrypted));
    }
    if (this.meta) {
      for (const [k, v] of flattenMetadata(this.meta, SOPS_PREFIX)) out.push(`${k}=${v.replace(/\n/g, "\\n")}\n`);
    }
    return out.join("");
  }

  private entryLine(e: EntryItem, encrypted: boolean): string {
    if (!e.dirty) return `${e.key}=${e.valueRaw}\n`;
    checkKeyWritable(e.key, e.line);
    const value = e.cell.value;
    // In an encrypted file a value left in clear must read back exactly, or sops's MAC check
    // fails; plaintext output is written as sops writes it, even where sops's reading is lossy.
    if (encrypted && value.type === "str" && !survivesSops(value.text)) {
      throw new HushError(
        "CANNOT_DUMP_TREE",
        `the value of ${JSON.stringify(e.key)} (line ${e.line}) contains the two characters \\n, which sops's dotenv format cannot store in clear`,
        "encrypt that value, or write it without a literal backslash-n",
      );
    }
    return `${e.key}=${sopsDotenvValue(value)}\n`;
  }
}

/** The dotenv format. */
export const dotenvFormat: Format = {
  name: "dotenv",
  parse(text: string) {
    return new DotenvDocument(text);
  },
};

/**
 * A tree as a dotenv file (conversions, `--extract`), as sops's `EmitPlainFile` writes it: one
 * `KEY=VALUE` line per top-level value. A map or a list cannot be written (sops: `cannot use
 * complex value in dotenv file`).
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
    out += `${k}=${node.value === null ? "" : sopsDotenvValue(node.value)}\n`;
  }
  return out;
}
