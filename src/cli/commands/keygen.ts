/** `hush keygen`: a new age identity, appended to a 0600 key file; the public key on stdout. */
import { appendNewAgeIdentity, defaultAgeKeyFile } from "../../lib/internal.js";

export async function runKeygen(flags: { output?: string }): Promise<void> {
  const path = flags.output ?? defaultAgeKeyFile(process.env);
  const recipient = await appendNewAgeIdentity(path);
  process.stderr.write(`hush: wrote a new age identity to ${path}\n`);
  process.stdout.write(`${recipient}\n`);
}
