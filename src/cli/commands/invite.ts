/** `hush invite AGE_RECIPIENT`: add someone to `.sops.yaml` and re-key every file (src/team/invite.ts). */
import { relative } from "node:path";
import { HushError } from "../../errors.js";
import { inviteRecipient, type FileOutcome } from "../../team/invite.js";
import { writeStdout } from "../stdout.js";
import { progressCallback } from "../bulk.js";

interface InviteFlags {
  name?: string;
  rule?: string[];
  all?: boolean;
  dryRun?: boolean;
  update?: boolean;
  config?: string;
  jobs?: string;
}

/** Per-file outcomes as text for stdout (failures go to stderr); returns how many failed. */
function describeOutcomes(files: readonly FileOutcome[]): { text: string; failed: number } {
  let text = "";
  let failed = 0;
  for (const f of files) {
    if (f.status === "failed") {
      failed++;
      process.stderr.write(`${f.shown}: error: ${f.error ?? "failed"}\n`);
      continue;
    }
    const changes = [...f.added.map((a) => `+ ${a}`), ...f.removed.map((r) => `- ${r}`)];
    text += `${f.shown}: ${f.status}${f.status === "updated" && changes.length > 0 ? ` (${changes.join(", ")})` : ""}\n`;
  }
  return { text, failed };
}

/** `--jobs N`: a whole number ≥ 1, or undefined when not given. */
export function parseJobs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new HushError("USAGE", "--jobs takes a whole number ≥ 1");
  return n;
}

/** Runs `hush invite RECIPIENT`; exits non-zero when a file could not be re-keyed. */
export async function runInvite(recipient: string, flags: InviteFlags): Promise<void> {
  const rules = flags.rule?.flatMap((r) => r.split(",")).map((r) => {
    if (!/^\d+$/.test(r.trim())) throw new HushError("USAGE", "--rule takes creation rule indexes (0, 1, …)");
    return Number(r.trim());
  });
  const jobs = parseJobs(flags.jobs);
  const bar = progressCallback("re-keyed");
  const report = await inviteRecipient(recipient, {
    onProgress: bar.onProgress,
    ...(flags.name ? { name: flags.name } : {}),
    ...(rules ? { rules } : {}),
    ...(flags.all ? { all: true } : {}),
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.update === false ? { update: false } : {}),
    ...(flags.config ? { configPath: flags.config } : {}),
    ...(jobs ? { jobs } : {}),
  }).finally(bar.end);
  const config = relative(process.cwd(), report.configPath) || report.configPath;
  if (report.readable) {
    const list = report.readable.map((f) => `  ${f}\n`).join("");
    await writeStdout(
      `${report.recipient} would be able to read ${report.readable.length} file${report.readable.length === 1 ? "" : "s"}` +
        ` (dry run, nothing changed):\n${list}`,
    );
    return;
  }
  let out =
    report.rulesChanged.length > 0
      ? `${config}: added ${report.recipient} to creation_rules ${report.rulesChanged.map((i) => `[${i}]`).join(", ")}\n`
      : `${config}: ${report.recipient} is already in the creation rules\n`;
  const { text, failed } = describeOutcomes(report.files);
  out += text;
  const updated = report.files.filter((f) => f.status === "updated").length;
  if (flags.update === false) out += `files not re-keyed (--no-update): run \`hush updatekeys -y .\` before committing\n`;
  else if (updated === 0) out += `no encrypted file needed re-keying; commit ${config}\n`;
  else out += `re-keyed ${updated} file${updated === 1 ? "" : "s"}; commit ${config} and them, and they can decrypt after pulling\n`;
  await writeStdout(out);
  if (failed > 0) {
    throw new HushError("COULD_NOT_RETRIEVE_KEY", `could not re-key ${failed} file${failed === 1 ? "" : "s"} (listed above)`, "someone who can decrypt them runs `hush updatekeys -y FILE`");
  }
}
