/** `hush audit FILE`: who changed which keys and recipients, from history alone (see src/git/audit.ts). */
import { auditFile, formatAudit } from "../../git/audit.js";
import { writeStdout } from "../stdout.js";

interface AuditFlags {
  json?: boolean;
  /** False with `--no-keys`. */
  keys?: boolean;
}

/** Prints the audit (text or `--json`). */
export async function runAudit(file: string, flags: AuditFlags): Promise<void> {
  const report = await auditFile(file, flags.keys === false ? { keys: false } : {});
  await writeStdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
}
