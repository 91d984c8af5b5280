/**
 * The lean encrypt (issue 20, memory): the same selection, cipher, additional data and MAC as
 * `encryptLeaves` (document.ts), over a {@link LeanPlainDocument} that streams the text instead
 * of a parsed tree. The metadata is then sealed by `sealMetadata` (document.ts), shared with the
 * full path, and appended by the scanner.
 */
import type { LeanPlainDocument } from "../formats/lean-plain.js";
import type { SelectionRules } from "../model/metadata.js";
import { checkDataKey, encryptValue, type IvSource } from "./cipher.js";
import { MacBuilder } from "./mac.js";
import { selector } from "./selection.js";

/** Options of {@link encryptLean}. */
export interface LeanEncryptOptions {
  /** The rules to apply (already defaulted: `encryptionRules` in document.ts). */
  rules: SelectionRules;
  macOnlyEncrypted: boolean;
  dataKey: Uint8Array;
  ivs: IvSource;
}

/** Encrypts every selected value and comment of `doc` in file order; returns the MAC (hex) over them. */
export function encryptLean(doc: LeanPlainDocument, options: LeanEncryptOptions): string {
  const { dataKey: key, ivs } = options;
  checkDataKey(key);
  const sel = selector(options.rules);
  const mac = new MacBuilder(options.macOnlyEncrypted);
  doc.walk((path, aad, value, stack, inList) => {
    const comment = value.type === "comment";
    const encrypted = sel.encrypts(path, stack, comment);
    // Comments are outside the MAC; inside lists they stay in clear (SOPS-FORMAT §14-Q8).
    if (comment) return encrypted && !inList && value.text !== "" ? encryptValue(key, value, aad, ivs()) : undefined;
    mac.add(value, encrypted);
    // sops never encrypts empty strings.
    return encrypted && value.text !== "" ? encryptValue(key, value, aad, ivs()) : undefined;
  });
  return mac.digest();
}
