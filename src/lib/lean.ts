/**
 * Which formats have a lean decrypt (issue 20, memory), and the choice to use it: one entry per
 * format in {@link LEAN_SCANNERS}. A scanner (formats/*-lean.ts) streams an encrypted document's
 * values off its text; core/lean.ts decrypts them and checks the MAC. Whatever a scanner does not
 * handle, or any failure, falls back to the full path (files.ts), which gives the real result
 * or the real error; the data key is unwrapped once either way.
 */
import type { FormatName } from "../model/tree.js";
import type { LeanByteScanner, LeanDocument, LeanScanner } from "../formats/lean.js";
import { yamlLeanScanner } from "../formats/yaml-lean.js";
import { jsonLeanScanner } from "../formats/json-lean.js";
import { dotenvLeanScanner } from "../formats/dotenv-lean.js";
import { readMetadata } from "../core/metadata.js";
import type { Metadata } from "../model/metadata.js";
import { utf8 } from "../formats/index.js";

/** The lean scanner of each format that has one, reading text (JSON and dotenv plug in here). */
const LEAN_SCANNERS: Partial<Record<FormatName, LeanScanner>> = {};

/** Lean scanners that read the file's bytes (no string copy of a large file). */
const LEAN_BYTE_SCANNERS: Partial<Record<FormatName, LeanByteScanner>> = {
  yaml: yamlLeanScanner,
  json: jsonLeanScanner,
  dotenv: dotenvLeanScanner,
};

/** A document the lean path took, with its metadata read as the full path reads it. */
export interface LeanOpened {
  doc: LeanDocument;
  metadata: Metadata;
}

/**
 * A lone surrogate: its UTF-8 encoding (U+FFFD) would not be what the full path prints. (With
 * `u`, a pair is one code point outside the range: as `\p{Cs}`, which costs ~0.2 ms of ICU
 * lookup when the module loads, at every start.)
 */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Opens `text` with the lean scanner of `format`, or returns null (no scanner, outside its
 * subset, or metadata the full path should report on: its error is the one the user sees).
 */
export function openLean(text: string | Uint8Array, format: FormatName): LeanOpened | null {
  let doc: LeanDocument | null = null;
  const bytes = LEAN_BYTE_SCANNERS[format];
  const scan = LEAN_SCANNERS[format];
  if (bytes) {
    if (typeof text !== "string") doc = bytes(text);
    else if (!LONE_SURROGATE.test(text)) doc = bytes(Buffer.from(text, "utf8"));
  } else if (scan) doc = scan(typeof text === "string" ? text : utf8(text));
  if (!doc || doc.rawMetadata === undefined) return null;
  try {
    return { doc, metadata: readMetadata(doc.rawMetadata) };
  } catch {
    return null;
  }
}

/**
 * How `format`'s lean scanner reads its input: "text" (the caller decodes bytes once, up front,
 * and reuses the text if it falls back), "bytes", or undefined (no lean path).
 */
export function leanInput(format: FormatName): "text" | "bytes" | undefined {
  return LEAN_BYTE_SCANNERS[format] ? "bytes" : LEAN_SCANNERS[format] ? "text" : undefined;
}
