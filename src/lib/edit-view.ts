/**
 * `hush edit --show-master-keys` (sops's `-s`): the plaintext shown with the file's `sops` block,
 * so the recipients can be seen while editing. The block is shown, not edited: recipients change
 * through `rotate`, `updatekeys` and `groups`, which re-wrap the data key; a block changed in the
 * editor is refused (sops would write the edited keys as they are, wrapped keys included).
 */
import { HushError } from "../errors.js";
import { metadataToNode } from "../core/metadata.js";
import type { FormatName } from "../model/tree.js";
import { parseDocument } from "./files.js";
import { storedMetadata } from "./inspect.js";

/** The plaintext `plain` of the encrypted text `encrypted`, with that file's `sops` block added. */
export function withMetadataShown(plain: string, encrypted: string, format: FormatName): string {
  if (format === "binary") throw new HushError("USAGE", "--show-master-keys needs a YAML, JSON, dotenv or INI file");
  const meta = storedMetadata(parseDocument(encrypted, format));
  if (!meta) throw new HushError("METADATA_NOT_FOUND", "sops metadata not found: the file is not encrypted");
  const doc = parseDocument(plain, format);
  doc.setMetadata(metadataToNode(meta));
  return doc.toString();
}

/**
 * The plaintext of an edit made from {@link withMetadataShown}'s `shown`: the `sops` block removed.
 * Throws PARSE when it was removed or changed.
 */
export function withoutMetadataShown(edited: string, shown: string, format: FormatName): string {
  const doc = parseDocument(edited, format);
  const raw = doc.rawMetadata();
  if (raw === undefined) throw new HushError("PARSE", "the sops metadata was removed; leave it as it is (it is shown, not edited)");
  if (JSON.stringify(raw) !== JSON.stringify(parseDocument(shown, format).rawMetadata())) {
    throw new HushError(
      "PARSE",
      "the sops metadata was changed; it is shown, not edited here",
      "change recipients with hush rotate --add-…/--rm-…, hush updatekeys or hush groups",
    );
  }
  doc.setMetadata(undefined);
  return doc.toString();
}
