/**
 * `hush git textconv`: what `git diff`, `git log -p` and `git show` display for an encrypted file.
 * The decrypted document in the file's own layout, then a short metadata summary (recipients and
 * settings, never ciphertext, MAC or lastmodified, so a value change diffs as that one line).
 *
 * It must never break a diff: without a usable key (or for a file it cannot read as encrypted) it
 * prints the file as stored, after a one-line notice, and succeeds. The format comes from the
 * content, not the name: git hands textconv a temporary file name.
 */
import { isHushError } from "../errors.js";
import { decryptText, entryLabel, Keyring, parseDocument, type FormatName, type Metadata } from "../lib/internal.js";

/** How to read the file. */
export interface TextconvOptions {
  /** Forces the format (`--input-type`); otherwise `{` first means JSON, anything else YAML. */
  format?: FormatName;
  env?: NodeJS.ProcessEnv;
  keyring?: Keyring;
}

/** The format of a file known only by its content: JSON when it starts with `{`, else YAML. */
export function sniffFormat(text: string): "yaml" | "json" {
  return /^\uFEFF?\s*\{/.test(text) ? "json" : "yaml";
}

/** The comment prefix of the summary lines (JSON has no comments; a diff does not care). */
function commentPrefix(format: FormatName): string {
  return format === "json" ? "//" : "#";
}

/** The summary lines shown under the plaintext: recipients, then settings that differ from sops's defaults. */
function metadataSummary(meta: Metadata): string[] {
  const lines: string[] = [];
  meta.keyGroups.forEach((group, i) => {
    const prefix = meta.keyGroups.length > 1 ? `group ${i}: ` : "";
    for (const w of group) lines.push(`recipient: ${prefix}${w.kind} ${entryLabel(w.kind, w.entry)}`);
  });
  if (meta.shamirThreshold > 0) lines.push(`shamir_threshold: ${meta.shamirThreshold}`);
  for (const [name, value] of Object.entries(meta.rules)) {
    if (name === "unencrypted_suffix" && value === "_unencrypted") continue;
    lines.push(`${name}: ${value}`);
  }
  if (meta.macOnlyEncrypted) lines.push("mac_only_encrypted: true");
  return lines;
}

/**
 * The text git should diff for `text`. Never throws for content problems: anything hush cannot
 * decrypt comes back as the stored text after a one-line notice.
 */
export async function textconvText(text: string, opts: TextconvOptions = {}): Promise<string> {
  const format = opts.format ?? sniffFormat(text);
  const c = commentPrefix(format);
  const keyring = opts.keyring ?? new Keyring(opts.env ? { env: opts.env } : {});
  const asStored = (why: string) =>
    `${c} hush: ${why}; showing the encrypted text\n${text}`;
  let plain: string;
  let meta: Metadata;
  let notice = "";
  try {
    // Decrypted first: for an encrypted file (what git runs this on) the text is parsed once, not
    // once to look for a sops block and again to decrypt (~3 ms of a call). decryptText parses
    // before anything else (no key is looked for when the text does not parse or has no sops
    // block), so when it fails the checks below see exactly what they saw when they came first.
    ({ text: plain, metadata: meta } = await decryptText(text, { format, keyring }));
  } catch (e) {
    try {
      // A plaintext file (no sops block) is shown as it is.
      if (parseDocument(text, format).rawMetadata() === undefined) return text;
    } catch {
      return asStored(`cannot parse the file as ${format}`);
    }
    if (isHushError(e, "MAC_MISMATCH")) {
      // Show the values anyway, flagged: a diff is where one wants to see what was tampered with.
      try {
        ({ text: plain, metadata: meta } = await decryptText(text, { format, keyring, ignoreMac: true }));
        notice = `${c} hush: WARNING: the MAC does not verify (the file was changed outside sops/hush)\n`;
      } catch {
        return asStored("cannot decrypt (MAC mismatch)");
      }
    } else if (isHushError(e, "COULD_NOT_RETRIEVE_KEY", "KEY_SOURCE", "NO_ENCRYPTION_KEY")) {
      return asStored("no usable key to decrypt this file");
    } else if (isHushError(e)) {
      return asStored(`cannot decrypt (${e.code.toLowerCase().replace(/_/g, " ")})`);
    } else {
      return asStored("cannot decrypt (internal error)");
    }
  }
  const body = plain.endsWith("\n") || plain === "" ? plain : `${plain}\n`;
  const summary = metadataSummary(meta).map((l) => `${c} sops ${l}\n`);
  return `${notice}${body}${c} ---- sops metadata (hush git textconv) ----\n${summary.join("")}`;
}
