/** `hush keygen`: a new age identity, appended to a 0600 key file; the public key on stdout. */
import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { HushError } from "../../errors.js";
import { defaultAgeKeyFile, generateAgeKeyFile } from "../../keys/age.js";

export async function runKeygen(flags: { output?: string }): Promise<void> {
  const path = flags.output ?? defaultAgeKeyFile(process.env);
  const key = await generateAgeKeyFile();
  try {
    await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let existing = "";
    try {
      existing = await fsp.readFile(path, "utf8");
    } catch {
      // new file
    }
    const sep = existing === "" || existing.endsWith("\n") ? "" : "\n";
    // Append, so keys already there are never lost; the file is (re)made private.
    await fsp.appendFile(path, sep + key.text, { mode: 0o600 });
    await fsp.chmod(path, 0o600);
  } catch (e) {
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write the key file ${path}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`);
  }
  process.stderr.write(`hush: wrote a new age identity to ${path}\n`);
  process.stdout.write(`${key.recipient}\n`);
}
