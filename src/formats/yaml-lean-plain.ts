/**
 * The lean YAML encrypt (lean-plain.ts, issue 20): the decrypt scanner's walk (yaml-lean.ts) over
 * a plaintext, each selected value replaced by its `ENC[...]` text as it goes, then the `sops`
 * block appended as the full reader writes it (`yamlMetadataBlock` at the document's detected
 * indentation step). The subset is the decrypt scanner's, less comments (sops encrypts them,
 * under paths only the full reader works out) and less an empty document; the whole text is
 * checked when it is opened, so a walk never gives up part-way.
 */
import { yamlMetadataBlock } from "./emit.js";
import { LEAN_DECLINE } from "./lean.js";
import type { LeanPlainByteScanner, LeanPlainDocument, LeanSealVisitor } from "./lean-plain.js";
import { plainBytes, Walk } from "./yaml-lean.js";

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/** Opens a plaintext YAML document in the lean subset, or returns null. */
export const yamlLeanPlainScanner: LeanPlainByteScanner = (bytes, options) => {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length === 0 || b[b.length - 1] !== 10 || !plainBytes(b)) return null;
  // The check: a walk that changes nothing. (A root `sops` key declines: ALREADY_ENCRYPTED.)
  let step: number;
  try {
    const check = new Walk(b, b.length, () => undefined, undefined, true);
    check.run();
    step = check.step;
  } catch (e) {
    if (e === LEAN_DECLINE) return null;
    throw e;
  }
  // As cst.ts: the indent asked for, else the nested blocks' step, else sops's 4.
  step = options.indent && options.indent > 0 ? options.indent : step || 4;
  let walk: Walk | undefined;
  const doc: LeanPlainDocument = {
    walk(visit: LeanSealVisitor) {
      walk = new Walk(
        b,
        b.length,
        (path, aad, value) => {
          const enc = visit(path, aad, value, NO_COMMENTS, false);
          return enc === undefined ? undefined : { type: "str", text: enc };
        },
        undefined,
        true,
      );
      walk.run();
    },
    finish(meta) {
      if (!walk) throw new Error("finish() before walk()");
      return walk.finish(yamlMetadataBlock(meta, step));
    },
  };
  return doc;
};
