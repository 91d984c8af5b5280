/**
 * The lean encrypt's interface (issue 20, memory), the counterpart of `lean.ts` for plaintext: a
 * format scanner walks a plaintext document's values and comments in file order straight off its
 * text and writes the encrypted document as it goes, then appends the `sops` block, without a
 * CST, leaves or a tree. A scanner handles a subset of its format and checks the whole text when
 * it opens it; for anything else it returns null, and the caller runs the full reader, which
 * gives the real result or the real error (`ALREADY_ENCRYPTED` included). Scanners live beside
 * their format (`json-lean.ts`, `dotenv-lean.ts`, …); the table that picks one is
 * `lib/lean-encrypt.ts`; the cipher and the MAC are applied by `core/lean-encrypt.ts`.
 */
import type { MetadataBlock } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";

/**
 * Called once per value leaf and per comment in file order (never for nulls). `path` is the sops
 * path (map keys from the root; the array is reused: copy it to keep it), `aad` its additional
 * data, `value` the leaf as the full reader types it (`type: "comment"` for a comment, its text
 * after `#`), `commentStack` sops's comment stack there, `inList` true for a comment inside a
 * list. Returns the `ENC[...]` text to write in its place, or undefined to keep the source.
 */
export type LeanSealVisitor = (path: readonly string[], aad: string, value: PlainValue, commentStack: readonly string[], inList: boolean) => string | undefined;

/** A plaintext document opened by a lean scanner. */
export interface LeanPlainDocument {
  /**
   * Walks every value and comment in file order, writing the document with each value the
   * visitor replaced. Never gives up part-way: whatever the scanner does not handle was refused
   * when it opened the text (IVs drawn for a walk that was thrown away would shift a fixed IV
   * source's sequence for the full path).
   */
  walk(visit: LeanSealVisitor): void;
  /**
   * The encrypted document: the walked text with the `sops` block added, byte for byte what the
   * full reader's `toString()` gives after the same `set()` calls and `setMetadata(meta)`.
   */
  finish(meta: MetadataBlock): string | Uint8Array;
}

/** A format's lean plaintext scanner: opens a document, or returns null when it is outside the subset. */
export type LeanPlainScanner = (text: string, options: { indent?: number }) => LeanPlainDocument | null;

/** A lean plaintext scanner over the file's bytes (valid UTF-8 only; it declines others): no string copy of the file. */
export type LeanPlainByteScanner = (bytes: Uint8Array, options: { indent?: number }) => LeanPlainDocument | null;
