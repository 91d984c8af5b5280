/** `hush import BUNDLE [--into FILE]`: open a share bundle; print it or merge it (src/team/share.ts). */
import { existsSync } from "node:fs";
import { HushError } from "../../errors.js";
import { formatForSecretsPath, readInput, writeFileAtomic } from "../../lib/internal.js";
import { importBundle, openBundle } from "../../team/share.js";
import { lockFile } from "../../lib/internal.js";
import { writeStdout } from "../stdout.js";

interface ImportFlags {
  into?: string;
  config?: string;
}

/** Runs `hush import BUNDLE`: prints the bundle, or merges it `--into` a file. */
export async function runImport(bundlePath: string, flags: ImportFlags): Promise<void> {
  const bundle = await openBundle(await readInput(bundlePath));
  if (!flags.into) {
    await writeStdout(bundle.text);
    return;
  }
  const path = flags.into;
  await lockFile(path); // read-change-write, as `hush set` (util/lock.ts)
  const exists = existsSync(path);
  const format = formatForSecretsPath(path);
  if (format !== "yaml" && format !== "json") throw new HushError("USAGE", `--into takes a YAML or JSON file, not ${format}`);
  const r = await importBundle(bundle, {
    target: { path, text: exists ? (await readInput(path)).toString("utf8") : undefined, format },
    ...(flags.config ? { configPath: flags.config } : {}),
  });
  if (r.text !== undefined) await writeFileAtomic(path, r.text);
  process.stderr.write(
    `hush: ${r.text === undefined ? "nothing changed in" : exists ? "merged into" : "created"} ${path}: ${r.paths.join(", ")}\n`,
  );
}
