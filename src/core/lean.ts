/**
 * The lean decrypt (issue 20): the same leaves, cipher, additional data and MAC as
 * `decryptDocument` (document.ts), over a {@link LeanDocument} that streams the text instead of
 * a parsed tree. It gives up (null) wherever it is not certain to match the full path byte for
 * byte and error for error — encrypted comments, comment-regex rules, any value that fails, a MAC
 * that does not match — and the caller then runs the full path, which reports the real result.
 * The MAC is checked before the output is returned, so no plaintext leaves on a bad file.
 */
import { HushError } from "../errors.js";
import { LEAN_DECLINE, type LeanDocument, type LeanVisitor } from "../formats/lean.js";
import type { Metadata } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";
import { checkDataKey, decryptValue } from "./cipher.js";
import { MacBuilder } from "./mac.js";
import { selector } from "./selection.js";
import { verifyMac } from "./document.js";

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/** Options of {@link decryptLean}. */
export interface LeanDecryptOptions {
  dataKey: Uint8Array;
  metadata: Metadata;
  ignoreMac?: boolean;
}

/**
 * Decrypts a lean document and returns its plaintext (text, or UTF-8 bytes), or null when the lean path declines
 * (the caller then decrypts through the full path). Throws nothing of its own for a bad file:
 * every failure declines, so that the full path's error (with its wording and exit code) is the
 * one reported.
 */
export function decryptLean(doc: LeanDocument, options: LeanDecryptOptions): string | Uint8Array | null {
  const { dataKey: key, metadata } = options;
  checkDataKey(key);
  // Comment rules need sops's comment stack, which only the full reader keeps.
  if (metadata.rules.unencrypted_comment_regex || metadata.rules.encrypted_comment_regex) return null;
  const sel = selector(metadata.rules);
  const mac = new MacBuilder(metadata.macOnlyEncrypted);
  let out: string | Uint8Array | null;
  try {
    const visit: LeanVisitor = (path, aad, value): PlainValue | undefined => {
      if (!sel.encrypts(path, NO_COMMENTS, false)) {
        mac.add(value, false);
        return undefined;
      }
      // A plain non-string where a ciphertext belongs is the full path's DECRYPT_TREE error.
      if (value.type !== "str") throw LEAN_DECLINE;
      if (value.text === "") {
        mac.add(value, true);
        return undefined;
      }
      const plain = decryptValue(key, value.text, aad);
      mac.add(plain, true);
      return plain.type === "bytes" ? { ...plain, type: "str" } : plain;
    };
    out = doc.walk(visit);
  } catch (e) {
    if (e === LEAN_DECLINE || e instanceof HushError) return null;
    throw e;
  }
  if (out === null) return null;
  if (!options.ignoreMac) {
    try {
      verifyMac(metadata, key, mac.digest());
    } catch (e) {
      if (typeof out !== "string") out.fill(0); // plaintext of a file that failed its MAC
      if (e instanceof HushError) return null;
      throw e;
    }
  }
  return out;
}
