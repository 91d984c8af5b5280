/** `hush share --to AGE_RECIPIENT KEY…`: a few values as one armored age file (src/team/share.ts). */
import { HushError } from "../../errors.js";
import { formatForSecretsPath, readInput, withFileLock, writeFileAtomic } from "../../lib/internal.js";
import { shareSecrets } from "../../team/share.js";
import { writeStdout } from "../stdout.js";

interface ShareFlags {
  to?: string[];
  file?: string;
  output?: string;
  inputType?: string;
}

/** Runs `hush share KEY…`: the bundle on stdout (or `--output`), a summary on stderr. */
export async function runShare(keys: string[], flags: ShareFlags): Promise<void> {
  const to = flags.to ?? [];
  if (to.length === 0) throw new HushError("USAGE", "give the recipient with --to age1…", "they run `hush keygen` (or `age-keygen`) and send you the public key");
  const file = flags.file ?? "secrets.enc.yaml";
  const text = (await readInput(file)).toString("utf8");
  const format = flags.inputType === "yaml" || flags.inputType === "json" ? flags.inputType : formatForSecretsPath(file);
  const r = await shareSecrets({ text, format, keys, to, source: file });
  if (flags.output) await withFileLock(flags.output, () => writeFileAtomic(flags.output!, r.armored, 0o644));
  else await writeStdout(r.armored);
  process.stderr.write(
    `hush: shared ${r.values} value${r.values === 1 ? "" : "s"} (${r.paths.join(", ")}) with ${to.length === 1 ? to[0] : `${to.length} recipients`}${flags.output ? ` in ${flags.output}` : ""}; they open it with \`hush import\` or \`age -d\`\n`,
  );
}
