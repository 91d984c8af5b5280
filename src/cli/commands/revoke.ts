/** `hush revoke AGE_RECIPIENT`: remove someone everywhere and rotate data keys (src/team/revoke.ts). */
import { relative } from "node:path";
import { deleteTextconvCache, TEXTCONV_CACHE_REF } from "../../git/textconv-cache.js";
import { revokeRecipient } from "../../team/revoke.js";
import { writeStdout } from "../stdout.js";
import { parseJobs } from "./invite.js";
import { progressCallback } from "../bulk.js";

interface RevokeFlags {
  dryRun?: boolean;
  config?: string;
  jobs?: string;
  json?: boolean;
}

/** Runs `hush revoke RECIPIENT` and prints the report (paths of values, never values). */
export async function runRevoke(recipient: string, flags: RevokeFlags): Promise<void> {
  const jobs = parseJobs(flags.jobs);
  const bar = progressCallback("rotated");
  const r = await revokeRecipient(recipient, {
    onProgress: bar.onProgress,
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.config ? { configPath: flags.config } : {}),
    ...(jobs ? { jobs } : {}),
  }).finally(bar.end);
  // Decrypted diff views an earlier `hush git install` let git cache outlive the revocation.
  let cache = { deleted: false, objects: 0 };
  if (!flags.dryRun) cache = await deleteTextconvCache().catch(() => cache);
  if (flags.json) {
    await writeStdout(`${JSON.stringify({ recipient: r.recipient, dryRun: Boolean(flags.dryRun), rulesChanged: r.rulesChanged, files: r.files }, null, 2)}\n`);
    return;
  }
  const would = flags.dryRun ? "would be " : "";
  const lines: string[] = [];
  if (r.configPath) {
    const config = relative(process.cwd(), r.configPath) || r.configPath;
    lines.push(
      r.rulesChanged.length > 0
        ? `${config}: ${r.recipient} ${would}removed from creation_rules ${r.rulesChanged.map((i) => `[${i}]`).join(", ")}`
        : `${config}: ${r.recipient} is not in the creation rules`,
    );
  }
  lines.push(`${r.files.length} file${r.files.length === 1 ? "" : "s"} ${would}rotated (new data key, ${r.recipient} removed); ${r.untouched} other encrypted file${r.untouched === 1 ? "" : "s"} did not name them`);
  if (r.files.length > 0) {
    lines.push("", "They could read these values. Change each at its source, then store the new value with `hush set`:");
    for (const f of r.files) {
      lines.push(`  ${f.shown}:`);
      for (const p of f.readable) lines.push(`    ${p}`);
    }
    lines.push("", "Values in earlier versions of these files (git history) were readable to them as well.");
  }
  if (cache.deleted) lines.push(`deleted ${TEXTCONV_CACHE_REF} (decrypted diff views git had cached in this clone)`);
  await writeStdout(lines.map((l) => `${l}\n`).join(""));
}
