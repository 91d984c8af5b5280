/**
 * What every file format gives the encryption pipeline: the leaves of a document in file order,
 * each with its sops path, and a way to rewrite one leaf without touching any other byte.
 */
import type { PlainValue } from "../model/value.js";
import type { MetadataBlock } from "../model/metadata.js";
import type { FormatName, TreeMap } from "../model/tree.js";

/** One value or comment of a document. */
export interface Leaf {
  /** Map keys from the document root (list indexes are not part of sops's path). */
  readonly path: readonly string[];
  readonly kind: "value" | "comment";
  /**
   * The value as the format types it (a YAML `0x1F` is `{type:"int", text:"31"}`); an encrypted
   * value is the `str` holding its `ENC[...]` text. For comments, the text after `#`.
   */
  readonly value: PlainValue;
  /** Other paths a comment may have been encrypted with by other writers, tried on decrypt. */
  readonly altPaths?: readonly (readonly string[])[];
  /** Comments on sops's comment stack when this leaf is reached (SOPS-FORMAT §5.2). */
  readonly commentStack: readonly string[];
  /** True for a comment inside a list (sops mangles those, SOPS-FORMAT §14-Q8). */
  readonly inList: boolean;
  /** Replaces the leaf: with an `ENC[...]` string (encrypting) or a plaintext value (decrypting). */
  set(next: PlainValue): void;
}

/** A parsed file. Untouched bytes are emitted unchanged. */
export interface FormatDocument {
  readonly format: FormatName;
  /** Number of documents (YAML may hold several; every other format has one). */
  readonly documentCount: number;
  /**
   * True when the document is one opaque value (sops's `IsSingleValueStore`, the binary format):
   * selection rules do not apply, the value is always encrypted and no rule is recorded
   * (SOPS-FORMAT §5.5).
   */
  readonly singleValue?: boolean;
  /** All leaves of all documents, in file order; the `sops` block is never among them. */
  leaves(): readonly Leaf[];
  /** The value tree of each document (comments left out), reflecting values set since parsing. */
  trees(): TreeMap[];
  /** The raw `sops` block of the first document (plain JS), or undefined when there is none. */
  rawMetadata(): unknown;
  /** Sets (or, with undefined, removes) the `sops` block; YAML writes it into every document. */
  setMetadata(meta: MetadataBlock | undefined): void;
  toString(): string;
  /**
   * The output as bytes, for documents whose plaintext may not be UTF-8 (binary); absent means
   * the UTF-8 encoding of {@link toString}.
   */
  toBytes?(): Uint8Array;
}

/** A file format: parses text into a {@link FormatDocument}. */
export interface Format {
  readonly name: FormatName;
  parse(text: string, options?: FormatOptions): FormatDocument;
  /** Parses raw bytes without decoding them (binary); formats without it parse the UTF-8 text. */
  parseBytes?(bytes: Uint8Array, options?: FormatOptions): FormatDocument;
}

export interface FormatOptions {
  /** Indentation for new blocks (YAML: spaces, default 4 or the file's own; JSON: -1 = tab). */
  indent?: number;
}
