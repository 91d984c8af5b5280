/**
 * Whole-document `encrypt` and `decrypt` for tools that need the full text (renderers, the git
 * drivers, build steps); `load()` is the better fit for reading a few values.
 */
import { HushError } from "../errors.js";
import type { TreePath } from "../model/tree-path.js";
import type { FormatName } from "../model/tree.js";
import type { KeyRecipient } from "../keys/key-source.js";
import { Keyring } from "../keys/registry.js";
import { decryptText, encryptText, type EncryptTextOptions } from "./files.js";
import { readSource, type LoadOptions, type SecretsSource } from "./load.js";

export interface DecryptOptions extends LoadOptions {
  /** Output format; the input's by default (then the file's layout is kept byte for byte). */
  outputFormat?: FormatName;
  /** Only this part of the tree, e.g. `["db", "password"]` (sops's `--extract`). */
  extract?: TreePath;
}

/**
 * Decrypts a whole document and returns its plaintext. The MAC is verified unless `ignoreMac`.
 *
 * @example
 * const yaml = await decrypt("secrets.enc.yaml");
 * const json = await decrypt({ text, format: "yaml" }, { outputFormat: "json" });
 */
export async function decrypt(source: SecretsSource, options: DecryptOptions = {}): Promise<string> {
  return (await decryptWhole(source, options)).text;
}

/**
 * {@link decrypt}, byte for byte: for binary files, whose content (an image, a keystore) need not be
 * UTF-8. Other formats give the UTF-8 bytes of their text.
 *
 * @example
 * const png = await decryptBytes("logo.png.enc");
 * const raw = await decryptBytes({ text: encryptedBytes, format: "binary" });
 */
export async function decryptBytes(source: SecretsSource, options: DecryptOptions = {}): Promise<Uint8Array> {
  return (await decryptWhole(source, options)).bytes;
}

async function decryptWhole(source: SecretsSource, options: DecryptOptions) {
  const { data, format } = await readSource(source, options.format);
  const res = await decryptText(data, {
    format,
    keyring: options.keyring ?? new Keyring(options),
    ...(options.outputFormat ? { outputFormat: options.outputFormat } : {}),
    ...(options.ignoreMac ? { ignoreMac: true } : {}),
    ...(options.extract ? { extract: options.extract } : {}),
    ...(options.dataKey ? { dataKey: options.dataKey } : {}),
  });
  return res;
}

export interface EncryptOptions extends Partial<Omit<EncryptTextOptions, "groups">> {
  /** age recipients (`age1…`), as a list or comma-separated; default `SOPS_AGE_RECIPIENTS`. */
  age?: string | readonly string[];
  /** Recipients by key group, for anything beyond one group of age keys. */
  groups?: readonly (readonly KeyRecipient[])[];
  /** Where `SOPS_AGE_RECIPIENTS` is read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Encrypts a plaintext document for the given recipients and returns the encrypted text, in the
 * SOPS format (sops decrypts it).
 *
 * @example
 * const enc = await encrypt({ text: "token: abc\n", format: "yaml" }, { age: "age1…" });
 * const encPng = await encrypt({ text: pngBytes, format: "binary" }, { age: "age1…" });
 */
export async function encrypt(source: SecretsSource, options: EncryptOptions = {}): Promise<string> {
  const { data, format } = await readSource(source, options.format);
  const { age, groups, env, ...rest } = options;
  let recipients = groups;
  if (!recipients) {
    const list = age ?? (env ?? process.env)["SOPS_AGE_RECIPIENTS"];
    const csv = typeof list === "string" ? list : (list ?? []).join(",");
    if (csv.trim() === "") throw new HushError("NO_ENCRYPTION_KEY", "no recipients given", "pass age recipients (age1…) or key groups");
    const { ageRecipient, parseAgeRecipients } = await import("../keys/age-client.js");
    recipients = [parseAgeRecipients(csv).map((r) => ageRecipient(r))];
  }
  const res = await encryptText(data, { ...rest, format, groups: recipients });
  return res.text;
}
