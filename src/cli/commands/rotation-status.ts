/** `hush rotation-status [FILES…] [--max-age 90d]`: how old each encrypted value is (see src/git/audit.ts). */
import { readFile } from "node:fs/promises";
import { HushError } from "../../errors.js";
import { formatRotationStatus, parseDuration, rotationStatus } from "../../git/audit.js";
import { git } from "../../git/run.js";
import { writeStdout } from "../stdout.js";

interface RotationFlags {
  maxAge?: string;
  json?: boolean;
  /** False with `--no-keys`. */
  keys?: boolean;
}

/** Tracked files that hold sops-encrypted values (when no file is named). */
async function encryptedFiles(): Promise<string[]> {
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

/** Prints value ages; fails when one is older than `--max-age`. */
export async function runRotationStatus(files: string[], flags: RotationFlags): Promise<void> {
  const maxAgeMs = flags.maxAge !== undefined ? parseDuration(flags.maxAge) : undefined;
  const targets = files.length > 0 ? files : await encryptedFiles();
  if (targets.length === 0) throw new HushError("NO_FILE", "no encrypted files found", "name the files to check");
  const status = await rotationStatus(targets, {
    ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    ...(flags.keys === false ? { keys: false as const } : {}),
  });
  await writeStdout(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatRotationStatus(status, flags.maxAge));
  const stale = status.reduce((n, f) => n + f.values.filter((v) => v.stale).length, 0);
  if (stale > 0) {
    throw new HushError(
      "GENERIC",
      `${stale} encrypted ${stale === 1 ? "value is" : "values are"} older than ${flags.maxAge}`,
      "change those secrets (`hush set` or `hush edit`) and commit",
    );
  }
}
