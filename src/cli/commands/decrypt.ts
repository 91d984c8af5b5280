/** `hush decrypt`: print (or write) the plaintext of an encrypted file. */
import { HushError } from "../../errors.js";
import { decryptText, type KeyKind } from "../../lib/internal.js";
import { parsePath } from "../../model/tree-path.js";
import { isKeyKind, KEY_KINDS } from "../../lib/key-services.js";
import { commandConfig, outputIndent, readInputFile, writeOutput, type ConfigFlags, type IoOptions } from "../common.js";

interface DecryptFlags extends IoOptions, ConfigFlags {
  extract?: string;
  ignoreMac?: boolean;
  decryptionOrder?: string;
  indent?: number;
}

/** Parses `--decryption-order` / SOPS_DECRYPTION_ORDER; a duplicate kind is sops's exit 112. */
export function parseDecryptionOrder(s: string | undefined): KeyKind[] | undefined {
  if (!s) return undefined;
  const kinds = s.split(",").map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!isKeyKind(k)) throw new HushError("USAGE", `unknown key kind ${JSON.stringify(k)} in the decryption order (known: ${KEY_KINDS.join(", ")})`);
  }
  if (new Set(kinds).size !== kinds.length) throw new HushError("DUPLICATE_DECRYPTION_KEY_TYPE", "the decryption order names a key kind twice");
  return kinds as KeyKind[];
}

export async function runDecrypt(file: string | undefined, flags: DecryptFlags): Promise<void> {
  const input = await readInputFile(file, flags);
  const extract = flags.extract !== undefined ? parsePath(flags.extract) : undefined;
  if (extract && flags.inPlace) throw new HushError("CONFLICTING_PARAMETERS", "--extract cannot be used with --in-place");
  const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
  // `stores:` shapes only text hush generates (another output format, an extracted subtree); the
  // file's own layout is kept otherwise, so the config is not even read then (README, "stores").
  const generates = input.outputFormat !== input.format || extract !== undefined;
  const config = await commandConfig(flags, generates && flags.indent === undefined);
  const indent = generates ? await outputIndent(input.outputFormat, config?.stores, flags.indent) : flags.indent;
  // The bytes as read: the library decodes them (once) only if it needs the text.
  const res = await decryptText(input.bytes, {
    format: input.format,
    outputFormat: input.outputFormat,
    ...(flags.ignoreMac ? { ignoreMac: true } : {}),
    ...(extract ? { extract } : {}),
    ...(order ? { decryptionOrder: order } : {}),
    ...(indent !== undefined ? { indent } : {}),
  });
  await writeOutput(input, flags, res.bytes);
}
