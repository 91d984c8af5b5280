/**
 * The lean path's interface (issue 20, memory): a format scanner that walks an encrypted
 * document's values in file order straight off its text, without building a CST, leaves or a
 * tree, and writes the output as it goes. A scanner handles a subset of its format; for anything
 * else (and for every error) it declines, and the caller runs the full reader, which gives the
 * real result or the real error. Scanners live beside their format (`yaml-lean.ts`, …); the table
 * that picks one is `lib/lean.ts`; the cipher and the MAC are applied by `core/lean.ts`.
 */
import type { PlainValue } from "../model/value.js";
import type { LeanIndex } from "./lean-index.js";

/**
 * Thrown (by a scanner, or by the visitor it calls) to give up: the full reader then handles the
 * document. Not an error: nothing is reported.
 */
export const LEAN_DECLINE: unique symbol = Symbol("hush.leanDecline");

/**
 * Called once per value leaf in file order (never for nulls or the `sops` block), and for the
 * comments a scanner passes (`value.type` "comment", its text after `#`; only comments whose one
 * sops path is `path`: the visitor returns the decrypted comment, or undefined to keep it).
 * `path` is the sops path (map keys from the root; the array is reused: copy it to keep it),
 * `aad` its additional data (`a:b:`), `value` the leaf as the full reader types it. Returns the
 * value to write in its place (rendered as the full reader renders it), or undefined to keep
 * the source text. May throw {@link LEAN_DECLINE}.
 */
export type LeanVisitor = (path: readonly string[], aad: string, value: PlainValue) => PlainValue | undefined;

/** An encrypted document opened by a lean scanner. */
export interface LeanDocument {
  /** The `sops` block as plain JS, exactly what the full reader's `rawMetadata()` gives. */
  readonly rawMetadata: unknown;
  /**
   * Walks every value leaf in file order, then returns the document's text (or its UTF-8 bytes) with each value the
   * visitor replaced and the `sops` block removed, byte for byte what the full reader's
   * `toString()` gives after the same `set()` calls and `setMetadata(undefined)`; or null when
   * the scanner declines part-way (nothing of the walk may then be used).
   */
  walk(visit: LeanVisitor): string | Uint8Array | null;
  /**
   * For `load()`: walks every value leaf as {@link walk} does (the visitor must return undefined)
   * and returns an index of the document's structure over its bytes instead of an output, or null
   * when the scanner declines. Optional: a format without it loads through the full reader.
   */
  index?(visit: LeanVisitor): LeanIndex | null;
}

/** A format's lean scanner: opens a document, or returns null when it is outside the subset. */
export type LeanScanner = (text: string) => LeanDocument | null;

/**
 * A lean scanner that reads the bytes the file was read into (UTF-8), so that the process holds
 * no string copy of a large file; it returns null for bytes that are not valid UTF-8.
 */
export type LeanByteScanner = (bytes: Uint8Array) => LeanDocument | null;
