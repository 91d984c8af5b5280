/** `hush verify [PATHS…]`: structure, MAC and policy of every encrypted file (see src/git/verify.ts). */
import { HushError } from "../../errors.js";
import { formatVerify, verifyFiles } from "../../git/verify.js";
import { writeStdout } from "../stdout.js";

interface VerifyFlags {
  json?: boolean;
  /** False with `--no-keys`. */
  keys?: boolean;
  config?: string;
}

/** Prints the report; fails (exit 1) when anything is wrong. */
export async function runVerify(paths: string[], flags: VerifyFlags): Promise<void> {
  const noKeys = flags.keys === false;
  const report = await verifyFiles({ paths, noKeys, ...(flags.config ? { configPath: flags.config } : {}) });
  await writeStdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerify(report, noKeys));
  if (report.problems > 0) {
    const failing = report.files.filter((f) => !f.ok).length;
    throw new HushError("GENERIC", `${report.problems} problem${report.problems === 1 ? "" : "s"} in ${failing} file${failing === 1 ? "" : "s"}`);
  }
}
