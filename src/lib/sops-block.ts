/**
 * A document's `sops` block, read and replaced without parsing or re-emitting the rest of it, for
 * operations that change only the metadata (`updatekeys`, over thousands of files: issue 20).
 *
 * The full path parses the whole document into the CST, sets the metadata and prints the whole
 * document again; for YAML that is the text before the `sops` item, verbatim, then the block
 * emitted at the document's indentation step (formats/cst.ts `toString`). When a YAML text is
 * plain enough that its indentation step and the extent of its `sops` block can be read off its
 * lines for certain, the splice here produces the same bytes from the text before the block and
 * a parse of the block alone (test/sops-block.test.ts checks that against the full path on
 * generated documents). Anything else — other formats, flow or block scalars, anchors, tags,
 * quoted keys, several documents, CRLF, tabs, non-ASCII, comments or blank lines after the
 * block, large inputs — takes the full path, which also gives every parse error its usual text.
 */
import { metadataOf } from "../core/document.js";
import { yamlMetadataBlock } from "../formats/emit.js";
import type { MetadataBlock, Metadata } from "../model/metadata.js";
import type { FormatName } from "../model/tree.js";
import { parseDocument } from "./files.js";

/** A document opened for a change of its metadata only. */
export interface SopsBlockDocument {
  readonly metadata: Metadata;
  /** The document's text with `block` as its metadata (as `setMetadata` + `toString`). */
  withMetadata(block: MetadataBlock): string;
}

/** Opens `text` for a metadata change: by splicing when it is safe, else through the full parse. */
export function openSopsBlock(text: string, format: FormatName): SopsBlockDocument {
  if (format === "yaml") {
    const spliced = spliceYaml(text);
    if (spliced) return spliced;
  }
  const doc = parseDocument(text, format);
  return {
    metadata: metadataOf(doc),
    withMetadata(block) {
      doc.setMetadata(block);
      return doc.toString();
    },
  };
}

/** Larger inputs get the full path, whose memory check (formats/limits.ts) starts there. */
const MAX_SPLICE = 1 << 16;
/** Nothing but printable ASCII and newlines: no tabs, CR, BOM or Unicode line breaks to reason about. */
const PLAIN_TEXT = /^[\x20-\x7e\n]*$/;
/**
 * A key that is a plain string for every YAML reader: no quoting, no indicators, not a number,
 * and not a word some reader takes for a boolean or null.
 */
const KEY = "(?!(?:true|false|null|yes|no|on|off|y|n)(?![A-Za-z0-9_./-]))[A-Za-z_][A-Za-z0-9_.\\/-]*";
/**
 * A one-line value: a plain scalar that cannot start an indicator (`ENC[...]` included; `-` only
 * before a digit; never ending in `:`), a single-quoted string, or a double-quoted one without
 * escapes; optionally followed by a comment.
 */
const VALUE = "(?:(?:-(?=[0-9]))?[A-Za-z0-9_./][^\\s#]*(?<!:)|'(?:[^']|'')*'|\"[^\"\\\\]*\")";
// Case-insensitive for the words in KEY (`True`, `NULL`); every class there is already both cases.
const KEY_LINE = new RegExp(`^( *)(${KEY}):(?:( +)(${VALUE}))?(?: +#.*)? *$`, "i");
const ITEM_LINE = new RegExp(`^( *)- +${VALUE}(?: +#.*)? *$`);
// A list item that starts a map: `- key: value` or `- key:`.
const ITEM_KEY_LINE = new RegExp(`^( *)(- +)(${KEY}):(?:( +)(${VALUE}))?(?: +#.*)? *$`, "i");
const SKIP_LINE = /^ *(?:#.*)?$/;

/**
 * The indentation step formats/cst.ts finds in the text before the `sops` block (the smallest
 * indent of a block map or list nested in a map; 0 when nothing is nested), or undefined when the
 * text is not made only of the simple lines this reader is certain about.
 */
function headStep(head: string): number | undefined {
  type Box = { col: number; kind: "map" | "seq"; keys?: Set<string> };
  const root: Box = { col: 0, kind: "map", keys: new Set(["sops"]) };
  const stack: Box[] = [root];
  let pending: number | undefined; // column of a `key:` with no value on its line
  let step = 0;
  const lines = head.split("\n");
  lines.pop(); // head ends with a newline: the last piece is empty
  for (const line of lines) {
    if (SKIP_LINE.test(line)) continue;
    const key = KEY_LINE.exec(line);
    const itemKey = key ? null : ITEM_KEY_LINE.exec(line);
    const item = key ? null : (itemKey ?? ITEM_LINE.exec(line));
    if (!key && !item) return undefined;
    const col = (key ?? item)![1]!.length;
    let top = stack[stack.length - 1]!;
    if (pending !== undefined) {
      const parent = top;
      if (col > pending) {
        // A nested map or list: what cst.ts's `enter` measures against its parent map.
        if (step === 0 || col - parent.col < step) step = col - parent.col;
        stack.push((top = item ? { col, kind: "seq" } : { col, kind: "map", keys: new Set() }));
      } else if (col === pending && item) {
        // `key:` then `- a` at the key's column: a list that adds no indentation.
        stack.push((top = { col, kind: "seq" }));
      }
      pending = undefined;
    }
    while (top.col > col || (top.kind === "seq" && top.col === col && key)) {
      stack.pop();
      top = stack[stack.length - 1]!;
      if (top === undefined) return undefined;
    }
    if (top.col !== col || top.kind !== (key ? "map" : "seq") || stack.length > 64) return undefined;
    if (key) {
      const name = key[2]!;
      // A duplicate key is a parse error: the full path says so.
      if (top.keys!.has(name)) return undefined;
      top.keys!.add(name);
      if (key[4] === undefined) pending = col;
    } else if (itemKey) {
      // The item's map: its keys sit where this one does. Its parent is a list, which cst.ts's
      // `enter` does not measure; maps nested in it are measured against it.
      const keyCol = col + itemKey[2]!.length;
      stack.push({ col: keyCol, kind: "map", keys: new Set([itemKey[3]!]) });
      if (itemKey[5] === undefined) pending = keyCol;
    }
  }
  return step;
}

/** The splice for YAML, or undefined when the text is not certainly one it handles (exported for its test). */
export function spliceYaml(text: string): SopsBlockDocument | undefined {
  if (text.length > MAX_SPLICE || !text.endsWith("\n") || !PLAIN_TEXT.test(text)) return undefined;
  const at = text.startsWith("sops:\n") ? 0 : text.lastIndexOf("\nsops:\n") + 1;
  if (at === 0 && !text.startsWith("sops:\n")) return undefined;
  const head = text.slice(0, at);
  const block = text.slice(at);
  // Everything after `sops:` belongs to it: indented lines only, no comments (the full path would
  // move a comment above the block), no blank line at the end (it would be dropped).
  const body = block.slice("sops:\n".length);
  if (body === "" || body.endsWith("\n\n") || /^(?:[^ \n]|\s*#)/m.test(body)) return undefined;
  const step = headStep(head);
  if (step === undefined) return undefined;
  let metadata: Metadata;
  let sopsStep: unknown;
  try {
    const parsed = parseDocument(block, "yaml");
    if (parsed.documentCount !== 1 || parsed.leaves().length !== 0) return undefined;
    const trees = parsed.trees();
    if (trees.length !== 1 || trees[0]!.size !== 0) return undefined;
    // The YAML document's step (formats/cst.ts); with no data, the block's own or 4.
    sopsStep = (parsed as { indentStep?: unknown }).indentStep;
    // A block that is not valid metadata: the full path reports it.
    metadata = metadataOf(parsed);
  } catch {
    return undefined;
  }
  if (typeof sopsStep !== "number" || sopsStep <= 0) return undefined;
  // cst.ts: nested maps in the data first, else the `sops` block's own indentation, else 4.
  const indent = step || sopsStep;
  return {
    metadata,
    withMetadata: (meta) => head + yamlMetadataBlock(meta, indent),
  };
}
