/**
 * Looking at encrypted files without a key (`hush check`, `hush audit`, `hush revoke`): what is
 * stored encrypted, what is in clear, and whether the metadata holds together. Nothing here
 * decrypts.
 */
import { isHushError } from "../errors.js";
import { isEncrypted } from "../core/cipher.js";
import { readMetadata } from "../core/metadata.js";
import type { Metadata } from "../model/metadata.js";
import { selector } from "../core/selection.js";
import { formatTreePath } from "../model/tree-path.js";
import type { FormatDocument } from "../formats/format.js";
import type { FormatName } from "../model/tree.js";
import { parseDocument } from "./files.js";
import type { KeySpec } from "../config/index.js";
import { diffRecipients } from "./recipients.js";

/** True when `s` is a stored `ENC[AES256_GCM,…]` value (well formed; not decrypted). */
export function isSealedText(s: string): boolean {
  return isEncrypted(s);
}

/** The document's sops metadata, read (and validated); undefined when it has none. Throws on an unreadable block. */
export function storedMetadata(doc: FormatDocument): Metadata | undefined {
  const raw = doc.rawMetadata();
  return raw === undefined ? undefined : readMetadata(raw);
}

/**
 * The problems `hush check` reports for a file's text, one secret-free line each (key paths at
 * most): it does not parse, has no metadata (`requiredBy` names the rule that wants it encrypted;
 * undefined: the file only has encrypted-looking values), unreadable metadata, no valid MAC, a key
 * entry without its wrapped key, values in clear that its own selection rules encrypt, or (given
 * its creation rule) recipients or key-service addresses that differ from the rule's.
 */
export function encryptionProblems(
  text: string,
  format: FormatName,
  requiredBy: string | undefined,
  rule?: { groups: readonly (readonly KeySpec[])[]; name: string },
): string[] {
  let doc;
  try {
    doc = parseDocument(text, format);
  } catch {
    return [`cannot be parsed as ${format}${text.includes("\n<<<<<<< ") || text.startsWith("<<<<<<< ") ? " (it has conflict markers)" : ""}`];
  }
  let meta;
  try {
    meta = storedMetadata(doc);
  } catch (e) {
    return [isHushError(e) ? e.message : "has unreadable sops metadata"];
  }
  if (meta === undefined) {
    return [requiredBy !== undefined ? `is plaintext, but ${requiredBy} says it must be encrypted` : "has encrypted values but no sops metadata"];
  }
  const problems: string[] = [];
  if (meta.mac === "" || !isEncrypted(meta.mac)) problems.push("has no valid MAC in its sops metadata");
  meta.keyGroups.forEach((g) =>
    g.forEach((w) => {
      if (typeof w.entry["enc"] !== "string" || w.entry["enc"] === "") problems.push(`has a ${w.kind} key entry without its wrapped key`);
    }),
  );
  // The sops block is outside the MAC: its recipients and addresses must be the rule's (issue 14).
  if (rule && rule.groups.some((g) => g.length > 0)) {
    const d = diffRecipients(meta.keyGroups, rule.groups);
    for (const m of d.moved) problems.push(`has a key-service address that differs from ${rule.name}: ${m.kind} ${m.address} (configured: ${m.configured})`);
    const unknown = d.unknown.filter((u) => !d.moved.some((m) => m.label === u.label));
    if (unknown.length > 0) problems.push(`has recipients ${rule.name} does not name: ${unknown.map((u) => `${u.kind} ${u.label}`).join(", ")}`);
    if (d.missing.length > 0 && d.moved.length === 0) problems.push(`lacks recipients ${rule.name} names: ${d.missing.join(", ")} (run \`hush updatekeys\`)`);
  }
  const sel = selector(meta.rules);
  const clear = new Set<string>();
  for (const leaf of doc.leaves()) {
    if (leaf.kind === "comment") continue;
    if (!doc.singleValue && !sel.encrypts(leaf.path, leaf.commentStack, false)) continue;
    const v = leaf.value;
    if (v.type === "str" && (v.text === "" || isEncrypted(v.text))) continue;
    clear.add(leaf.path.length === 0 ? "(the document)" : formatTreePath([...leaf.path]));
  }
  if (clear.size > 0) {
    const list = [...clear];
    problems.push(`${list.length} ${list.length === 1 ? "value is" : "values are"} in clear that its rules encrypt: ${list.slice(0, 10).join(", ")}${list.length > 10 ? ", …" : ""}`);
  }
  return problems;
}
