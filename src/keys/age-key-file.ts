/** Writing new age identities to key files, for `hush keygen` and `hush init`. */
import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { HushError } from "../errors.js";
import { generateAgeKeyFile } from "./age-client.js";

/**
 * Appends a new identity to the key file at `path` (created 0600 in a 0700 directory), so keys
 * already there are never lost; the file is (re)made private. Returns the new public key.
 */
export async function appendNewAgeIdentity(path: string): Promise<string> {
  const key = await generateAgeKeyFile();
  try {
    await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let existing = "";
    try {
      existing = await fsp.readFile(path, "utf8");
    } catch {
      // a new file
    }
    const sep = existing === "" || existing.endsWith("\n") ? "" : "\n";
    await fsp.appendFile(path, sep + key.text, { mode: 0o600 });
    await fsp.chmod(path, 0o600);
  } catch (e) {
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`);
  }
  return key.recipient;
}
