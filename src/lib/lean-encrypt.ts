/**
 * Which formats have a lean encrypt (issue 20, memory), and the choice to use it: one entry per
 * format in {@link LEAN_PLAIN_SCANNERS}. A scanner (formats/*-lean.ts) streams a plaintext
 * document off its text; core/lean-encrypt.ts encrypts its values and computes the MAC;
 * `sealMetadata` (core/document.ts, shared with the full path) makes the metadata. Used by
 * `encryptText` (files.ts) for the plain case only: no conversion to another format and no stash
 * of earlier ciphertexts (a rewrite). Anything a scanner does not handle goes the full way.
 */
import { randomBytes } from "node:crypto";
import type { FormatName } from "../model/tree.js";
import type { Metadata } from "../model/metadata.js";
import type { LeanPlainByteScanner, LeanPlainDocument, LeanPlainScanner } from "../formats/lean-plain.js";
import { jsonLeanPlainScanner } from "../formats/json-lean.js";
import { dotenvLeanPlainScanner } from "../formats/dotenv-lean.js";
import { yamlLeanPlainScanner } from "../formats/yaml-lean-plain.js";
import { randomIvSource } from "../core/cipher.js";
import { encryptionRules, sealMetadata, type EncryptOptions } from "../core/document.js";
import { encryptLean } from "../core/lean-encrypt.js";
import { metadataToNode } from "../core/metadata.js";
import { utf8 } from "../formats/index.js";

/** A lone surrogate: its UTF-8 encoding (U+FFFD) would not be what the full path prints (as lib/lean.ts). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** The lean plaintext scanner of each format that has one over text (YAML plugs in here). */
const LEAN_PLAIN_SCANNERS: Partial<Record<FormatName, LeanPlainScanner>> = {};

/** The lean plaintext scanners over the file's bytes, with no string copy of it (a format is in one table). */
const LEAN_PLAIN_BYTES_SCANNERS: Partial<Record<FormatName, LeanPlainByteScanner>> = {
  yaml: yamlLeanPlainScanner,
  json: jsonLeanPlainScanner,
  dotenv: dotenvLeanPlainScanner,
};

/** True when `format` has a lean encrypt. */
export function hasLeanEncrypt(format: FormatName): boolean {
  return LEAN_PLAIN_SCANNERS[format] !== undefined || LEAN_PLAIN_BYTES_SCANNERS[format] !== undefined;
}

function openPlain(text: string | Uint8Array, format: FormatName, options: { indent?: number }): LeanPlainDocument | null {
  const scanBytes = LEAN_PLAIN_BYTES_SCANNERS[format];
  if (scanBytes) return typeof text !== "string" ? scanBytes(text, options) : !LONE_SURROGATE.test(text) ? scanBytes(Buffer.from(text, "utf8"), options) : null;
  const scan = LEAN_PLAIN_SCANNERS[format];
  return scan ? scan(typeof text === "string" ? text : utf8(text), options) : null;
}

/**
 * Encrypts `text` in `format` the lean way, or returns null when the scanner does not take it
 * (the caller then runs the full path, which gives the real result or error). `options` are the
 * full path's (`encryptDocument`'s); `stash` must not be set.
 */
export async function encryptLeanText(
  text: string | Uint8Array,
  format: FormatName,
  options: EncryptOptions & { indent?: number },
): Promise<{ output: string | Uint8Array; metadata: Metadata } | null> {
  if (options.stash) return null;
  const doc = openPlain(text, format, options.indent === undefined ? {} : { indent: options.indent });
  if (!doc) return null;
  const rules = encryptionRules(options.rules);
  const dataKey = options.dataKey ?? new Uint8Array(randomBytes(32));
  const ivs = options.ivSource ?? randomIvSource();
  const macHex = encryptLean(doc, { rules, macOnlyEncrypted: options.macOnlyEncrypted ?? false, dataKey, ivs });
  const metadata = await sealMetadata(macHex, rules, dataKey, ivs, options);
  return { output: doc.finish(metadataToNode(metadata)), metadata };
}
