/**
 * Any other file (SOPS-FORMAT §10.6, sops's `BinaryStore`): the whole content is one string value
 * under the key `data` (additional data `data:`), encrypted into the JSON store's layout
 * (`{"data": "ENC[…]", "sops": {…}}`, tab indent, final newline); decrypting gives back the raw
 * content with nothing added.
 *
 * Selection rules do not apply to a single value: the document says so with
 * {@link FormatDocument.singleValue}, and the pipeline then encrypts `data` whatever rules were
 * given and records none (sops ≥ 3.11 writes no `unencrypted_suffix` here, §5.5, §14-Q25).
 *
 * A text that is a JSON object with a top-level `sops` key is read as an encrypted envelope (sops
 * reads it as JSON when decrypting). Encrypting such a text is refused as already encrypted,
 * where sops would encrypt the envelope a second time.
 */
import { HushError } from "../errors.js";
import type { MetadataBlock } from "../model/metadata.js";
import { jsonString } from "./json-scalars.js";
import { strFromBytes, valueBytes, type PlainValue } from "../model/value.js";
import { jsonValue } from "./emit.js";
import { jsonFormat } from "./json.js";
import { BINARY_PER_ENVELOPE_BYTE, BINARY_PER_PLAIN_BYTE, checkBinaryMemory } from "./limits.js";
import type { Format, FormatDocument, FormatOptions, Leaf } from "./format.js";
import type { TreeCell, TreeMap, TreeNode } from "../model/tree.js";

/** The only key of a binary document. */
const BINARY_KEY = "data";

/** The parsed envelope (a JSON object with a `sops` key), or undefined when `text` is not one. */
function envelopeOf(text: string): Record<string, unknown> | undefined {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, "sops")
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Above this size an envelope of the usual shape (`data` and `sops` only) is read from
 * `JSON.parse`'s result instead of the lossless JSON reader, which needs ~30 bytes of heap per
 * byte of a long line (a 70 MB envelope took 2.5 GB and half a minute before decrypting anything).
 */
const LARGE_ENVELOPE = 1 << 20;

/** The `data` value of a decrypted tree, or sops's error when there is none. */
function dataValue(tree: TreeNode | undefined): PlainValue {
  const node = tree instanceof Map ? tree.get(BINARY_KEY) : undefined;
  const v = node && !(node instanceof Map) && !Array.isArray(node) ? node.value : undefined;
  if (!v || (v.type !== "str" && v.type !== "bytes")) {
    throw new HushError(
      "CANNOT_DUMP_TREE",
      "error emitting binary store: no binary data found in tree",
      "this is likely not an encrypted binary file; give --input-type/--output-type",
    );
  }
  return v;
}

/** The raw content of a decrypted tree as text (lossy when it is not UTF-8: see {@link dataBytes}). */
function dataOf(tree: TreeNode | undefined): string {
  return dataValue(tree).text;
}

/** The raw content of a decrypted tree, byte for byte. */
function dataBytes(tree: TreeNode | undefined): Uint8Array {
  return valueBytes(dataValue(tree));
}

/** A plaintext file: one `data` leaf. */
class PlainBinaryDocument implements FormatDocument {
  readonly format = "binary" as const;
  readonly documentCount = 1;
  readonly singleValue = true;
  private readonly cell: TreeCell & { value: PlainValue };
  private readonly leaf: Leaf;
  private meta: MetadataBlock | undefined | null = null;

  constructor(
    content: string | Uint8Array,
    private readonly unit: string,
  ) {
    const cell = { value: typeof content === "string" ? ({ type: "str", text: content } as PlainValue) : strFromBytes(content) };
    this.cell = cell;
    this.leaf = {
      path: [BINARY_KEY],
      kind: "value",
      value: cell.value,
      commentStack: [],
      inList: false,
      set(next: PlainValue) {
        cell.value = next;
      },
    };
  }

  leaves(): readonly Leaf[] {
    return [this.leaf];
  }

  trees(): TreeMap[] {
    return [new Map([[BINARY_KEY, this.cell]])];
  }

  rawMetadata(): unknown {
    return undefined;
  }

  setMetadata(meta: MetadataBlock | undefined): void {
    this.meta = meta;
  }

  toBytes(): Uint8Array {
    return this.meta ? Buffer.from(this.toString(), "utf8") : valueBytes(this.cell.value);
  }

  toString(): string {
    if (!this.meta) return this.cell.value.text;
    const u = this.unit;
    return `{\n${u}${jsonString(BINARY_KEY)}: ${jsonString(this.cell.value.text)},\n${u}${jsonString("sops")}: ${jsonValue(this.meta, u, 1)}\n}\n`;
  }
}

/** An encrypted envelope: the JSON document, printed as raw data once decrypted. */
class EnvelopeDocument implements FormatDocument {
  readonly format = "binary" as const;
  readonly documentCount = 1;
  readonly singleValue = true;
  private decrypted = false;

  constructor(private readonly json: FormatDocument) {}

  leaves(): readonly Leaf[] {
    return this.json.leaves();
  }

  trees(): TreeMap[] {
    return this.json.trees();
  }

  rawMetadata(): unknown {
    return this.json.rawMetadata();
  }

  setMetadata(meta: MetadataBlock | undefined): void {
    this.decrypted = meta === undefined;
    this.json.setMetadata(meta);
  }

  toString(): string {
    return this.decrypted ? dataOf(this.json.trees()[0]) : this.json.toString();
  }

  toBytes(): Uint8Array {
    return this.decrypted ? dataBytes(this.json.trees()[0]) : Buffer.from(this.json.toString(), "utf8");
  }
}

/**
 * A large envelope of sops's shape, `{"data": "ENC[…]", "sops": {…}}`: one leaf, the metadata as
 * JSON.parse read it. Unchanged, it prints its text as read; changed (rotate, updatekeys), it is
 * printed as sops lays out a binary file (the same bytes the lossless reader would give for a file
 * sops or hush wrote).
 */
class LargeEnvelopeDocument implements FormatDocument {
  readonly format = "binary" as const;
  readonly documentCount = 1;
  readonly singleValue = true;
  private readonly cell: TreeCell & { value: PlainValue };
  private readonly leaf: Leaf;
  private meta: MetadataBlock | undefined | null = null;
  private changed = false;

  constructor(
    private text: string,
    data: string,
    private readonly raw: unknown,
    private readonly unit: string,
  ) {
    const cell = { value: { type: "str", text: data } as PlainValue };
    this.cell = cell;
    const self = this;
    this.leaf = {
      path: [BINARY_KEY],
      kind: "value",
      value: cell.value,
      commentStack: [],
      inList: false,
      set(next: PlainValue) {
        cell.value = next;
        self.changed = true;
        // The original text holds the ciphertext again: let it go once the value has moved on.
        self.text = "";
      },
    };
  }

  leaves(): readonly Leaf[] {
    return [this.leaf];
  }

  trees(): TreeMap[] {
    return [new Map([[BINARY_KEY, this.cell]])];
  }

  rawMetadata(): unknown {
    return this.raw;
  }

  setMetadata(meta: MetadataBlock | undefined): void {
    this.meta = meta;
    this.changed = true;
  }

  toString(): string {
    if (this.meta === undefined) return dataOf(this.trees()[0]);
    if (!this.changed) return this.text;
    const u = this.unit;
    // (Metadata never set but the value changed: not a path the pipeline takes; keep the block as read.)
    const block = this.meta ? jsonValue(this.meta, u, 1) : JSON.stringify(this.raw, null, u).replace(/\n/g, `\n${u}`);
    const sops = `,\n${u}${jsonString("sops")}: ${block}`;
    return `{\n${u}${jsonString(BINARY_KEY)}: ${jsonString(this.cell.value.text)}${sops}\n}\n`;
  }

  toBytes(): Uint8Array {
    return this.meta === undefined ? dataBytes(this.trees()[0]) : Buffer.from(this.toString(), "utf8");
  }
}

/** The binary format (SOPS-FORMAT §10.6). `indent` sets the envelope's JSON indent, as for JSON. */
export const binaryFormat: Format = {
  name: "binary",
  parse(text: string, options?: FormatOptions): FormatDocument {
    const braced = /^\s*\{/.test(text);
    checkSize(text.length, braced);
    return parseBinary(braced ? text : "", text, options);
  },
  /** The bytes as they are: a file that is not UTF-8 (an image, a keystore) round-trips exactly. */
  parseBytes(bytes: Uint8Array, options?: FormatOptions): FormatDocument {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Only a text starting with `{` (after JSON whitespace) can be an envelope: nothing else is decoded.
    let i = 0;
    while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
    checkSize(buf.length, buf[i] === 0x7b);
    const text = buf[i] === 0x7b ? buf.toString("utf8") : "";
    return parseBinary(text, buf, options);
  },
};

/**
 * The memory check (limits.ts), before anything is decoded: a content starting with `{` may be an
 * envelope and is charged as one (a plaintext that merely starts with `{` is charged a bit less).
 */
function checkSize(size: number, braced: boolean): void {
  if (braced) checkBinaryMemory(size, BINARY_PER_ENVELOPE_BYTE, "encrypted data");
  else checkBinaryMemory(size, BINARY_PER_PLAIN_BYTE, "data");
}

function parseBinary(text: string, content: string | Uint8Array, options?: FormatOptions): FormatDocument {
  const envelope = envelopeOf(text);
  if (envelope) {
    const keys = Object.keys(envelope);
    if (text.length > LARGE_ENVELOPE && keys.length === 2 && typeof envelope[BINARY_KEY] === "string") {
      const unit = options?.indent !== undefined && options.indent >= 0 ? " ".repeat(options.indent) : /^\s*\{[ \t]*\r?\n([ \t]+)\S/.exec(text)?.[1] ?? "\t";
      return new LargeEnvelopeDocument(text, envelope[BINARY_KEY] as string, envelope["sops"], unit);
    }
    return new EnvelopeDocument(jsonFormat.parse(text, options));
  }
  const indent = options?.indent;
  return new PlainBinaryDocument(content, indent !== undefined && indent >= 0 ? " ".repeat(indent) : "\t");
}

/** Trees as a binary file: the `data` string of the first tree (sops's `EmitPlainFile`). */
export function emitBinaryTrees(trees: readonly TreeNode[]): string {
  return dataOf(trees[0]);
}

/** {@link emitBinaryTrees} byte for byte. */
export function emitBinaryTreesBytes(trees: readonly TreeNode[]): Uint8Array {
  return dataBytes(trees[0]);
}
