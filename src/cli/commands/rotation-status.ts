/**
 * `hush rotation-status [FILES…] [--max-age 90d]`: how old each encrypted value and data key is,
 * against the rotation policy of `.sops.yaml` or `--max-age` (see src/git/rotation.ts).
 */
import { readFile } from "node:fs/promises";
import { HushError } from "../../errors.js";
import { parseDuration } from "../../lib/internal.js";
import { formatRotationStatus, rotationProblem, rotationStatus } from "../../git/rotation.js";
import { git } from "../../git/run.js";
import { writeStdout } from "../stdout.js";

interface RotationFlags {
  maxAge?: string;
  json?: boolean;
  /** False with `--no-keys`. */
  keys?: boolean;
  config?: string;
}

/** Tracked files that hold sops-encrypted values (when no file is named). */
async function trackedEncryptedFiles(): Promise<string[]> {
  const all = (await git(["ls-files", "-z"])).split("\0").filter(Boolean);
  const out: string[] = [];
  for (const f of all) {
    try {
      const text = await readFile(f, "utf8");
      if (text.includes("ENC[AES256_GCM,") && /\bsops\b/.test(text)) out.push(f);
    } catch {
      // deleted in the working tree, or unreadable: not ours to report
    }
  }
  return out;
}

/** Prints ages; exit 1 when something expired, 10 when something expires soon. */
export async function runRotationStatus(files: string[], flags: RotationFlags): Promise<void> {
  const maxAgeMs = flags.maxAge !== undefined ? parseDuration(flags.maxAge, "--max-age") : undefined;
  const targets = files.length > 0 ? files : await trackedEncryptedFiles();
  if (targets.length === 0) throw new HushError("NO_FILE", "no encrypted files found", "name the files to check");
  const status = await rotationStatus(targets, {
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    ...(flags.keys === false ? { keys: false as const } : {}),
    ...(flags.config ? { configPath: flags.config } : {}),
  });
  await writeStdout(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatRotationStatus(status, flags.maxAge));
  if (maxAgeMs !== undefined) {
    const stale = status.reduce((n, f) => n + f.values.filter((v) => v.stale).length, 0);
    if (stale > 0) {
      throw new HushError(
        "GENERIC",
        `${stale} encrypted ${stale === 1 ? "value is" : "values are"} older than ${flags.maxAge}`,
        "change those secrets (`hush rotate-value FILE KEY`, `hush set` or `hush edit`) and commit",
      );
    }
    return;
  }
  const problem = rotationProblem(status);
  if (problem) throw problem;
}
