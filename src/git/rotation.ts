/**
 * `hush rotation-status`: how old each encrypted value and each file's data key is, from git
 * history (see audit.ts: values are dated by the commits that changed their ciphertext), judged
 * against the rotation policy of `.sops.yaml` (`hush.rotation`, config/rotation-policy.ts) or a
 * `--max-age` given on the command line.
 */
import { HushError } from "../errors.js";
import { findConfigFile, limitsFor, loadConfig, matchPath, pathLabel, stateOf, type AppliedLimits, type RotationLimits, type RotationPolicy, type RotationState } from "../lib/internal.js";
import { auditFile, openGit, show, snapshot, topPath, type AuditOptions } from "./audit.js";

/** When one encrypted value last changed, and where that stands against its limits. */
interface ValueAge {
  /** The key path, sops's tree form (`["db"]["password"]`). */
  path: string;
  /** Author date of the last commit that changed it, rotations not counted. */
  date: string;
  commit: string;
  ageMs: number;
  /** True when expired (older than its max age). */
  stale: boolean;
  /** Against its policy or `--max-age`; absent when nothing applies to it. */
  state?: RotationState;
  /** The policy class that applies, when a rule names one. */
  class?: string;
  /** The max age that applies, in days. */
  maxAgeDays?: number;
  /** When it expires (ISO 8601), when a limit applies. */
  expires?: string;
  /**
   * A later rotation re-encrypted this value and no key was at hand to tell whether it also
   * changed there: its real age may be less. Absent when every rotation was resolved.
   */
  maybeChanged?: { date: string; commit: string };
}

/** A file's values and data key. */
export interface FileRotationStatus {
  file: string;
  values: ValueAge[];
  /** The newest data-key rotation, if any. */
  lastRotation?: { date: string; commit: string };
  /** The data key's age (since the file was added or its key last rotated), against `data_key`. */
  dataKey: { date: string; commit: string; ageMs: number; state?: RotationState; expires?: string };
}

/** How to judge. */
export interface RotationStatusOptions {
  cwd?: string;
  /** `--max-age`: replaces the policy's limits for every value (no warning period). */
  maxAgeMs?: number;
  now?: Date;
  keys?: AuditOptions["keys"];
  /** `--config`; default: the `.sops.yaml` found from `cwd` (or `SOPS_CONFIG`). */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
}

const DAY = 86_400_000;

async function policyOf(opts: RotationStatusOptions): Promise<{ policy: RotationPolicy; configPath: string } | undefined> {
  const path = findConfigFile({
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.configPath ? { configPath: opts.configPath } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  if (!path) return undefined;
  const config = await loadConfig(path, opts.cwd ? { cwd: opts.cwd } : {});
  return config.rotation ? { policy: config.rotation, configPath: config.path } : undefined;
}

/**
 * The age of every encrypted value of each file at HEAD. A rotation of the data key does not
 * count as a change: it re-encrypts the same secrets, and this report is about how old the
 * secrets themselves are. A commit that both rotated and changed values (a revoke with an edit) is
 * resolved with a key where one opens both versions; without one, the value keeps its older date
 * and `maybeChanged` names the rotation.
 */
export async function rotationStatus(files: readonly string[], opts: RotationStatusOptions = {}): Promise<FileRotationStatus[]> {
  const cwd = opts.cwd ?? process.cwd();
  const now = (opts.now ?? new Date()).getTime();
  const found = opts.maxAgeMs === undefined ? await policyOf(opts) : undefined;
  const fixed: RotationLimits | undefined = opts.maxAgeMs !== undefined ? { maxAgeMs: opts.maxAgeMs, warnBeforeMs: 0 } : undefined;
  const out: FileRotationStatus[] = [];
  for (const file of files) {
    const report = await auditFile(file, { cwd, ...(opts.keys !== undefined ? { keys: opts.keys } : {}) });
    const sg = await openGit(cwd);
    const headText = await show(sg, "HEAD", await topPath(sg, file));
    if (headText === undefined) continue; // not in HEAD (deleted): nothing to rotate
    const head = snapshot(headText, file);
    const policyPath = found ? matchPath({ path: found.configPath }, file, cwd) : file;
    const values: ValueAge[] = [];
    for (const label of head.sealed) {
      // The newest commit (by author date) that added or changed it; else the file's first commit.
      let when = report.entries[report.entries.length - 1]!;
      let seen = false;
      for (const x of report.entries) {
        if (!x.added.includes(label) && !x.changed.includes(label)) continue;
        if (!seen || Date.parse(x.date) > Date.parse(when.date)) when = x;
        seen = true;
      }
      const ageMs = now - Date.parse(when.date);
      const unknown = report.entries.find((x) => x.reencrypted.includes(label) && Date.parse(x.date) > Date.parse(when.date));
      const path = head.paths.get(label);
      const limits: AppliedLimits | undefined = fixed ?? (found && path ? limitsFor(found.policy, policyPath, pathLabel(path)) : undefined);
      const state = limits ? stateOf(ageMs, limits) : undefined;
      values.push({
        path: label,
        date: when.date,
        commit: when.commit,
        ageMs,
        stale: state === "expired",
        ...(limits
          ? {
              state: state!,
              ...(limits.className !== undefined ? { class: limits.className } : {}),
              maxAgeDays: Math.round((limits.maxAgeMs / DAY) * 100) / 100,
              expires: new Date(Date.parse(when.date) + limits.maxAgeMs).toISOString(),
            }
          : {}),
        ...(unknown ? { maybeChanged: { date: unknown.date, commit: unknown.commit } } : {}),
      });
    }
    const rot = report.entries.find((x) => x.rotated);
    const born = rot ?? report.entries[report.entries.length - 1]!;
    const keyAge = now - Date.parse(born.date);
    const dk = found?.policy.dataKey;
    out.push({
      file,
      values,
      ...(rot ? { lastRotation: { date: rot.date, commit: rot.commit } } : {}),
      dataKey: {
        date: born.date,
        commit: born.commit,
        ageMs: keyAge,
        ...(dk ? { state: stateOf(keyAge, dk), expires: new Date(Date.parse(born.date) + dk.maxAgeMs).toISOString() } : {}),
      },
    });
  }
  return out;
}

/** Counts of expired and expiring values and data keys. */
function rotationCounts(status: readonly FileRotationStatus[]): { expired: number; expiring: number } {
  let expired = 0;
  let expiring = 0;
  for (const f of status) {
    for (const s of [...f.values.map((v) => v.state), f.dataKey.state]) {
      if (s === "expired") expired++;
      else if (s === "expiring") expiring++;
    }
  }
  return { expired, expiring };
}

/** Ages as readable text; `maxAge` is the `--max-age` text, when one replaced the policy. */
export function formatRotationStatus(status: readonly FileRotationStatus[], maxAge?: string): string {
  const lines: string[] = [];
  const days = (ms: number) => `${Math.floor(ms / DAY)}d`;
  const mark = (state: RotationState | undefined, expires: string | undefined, cls?: string) => {
    const c = cls ? ` [${cls}]` : "";
    if (state === "expired") return maxAge !== undefined ? `  STALE (older than ${maxAge})` : `  EXPIRED${c} (since ${expires?.slice(0, 10)})`;
    if (state === "expiring") return `  EXPIRING${c} (on ${expires?.slice(0, 10)})`;
    return c;
  };
  for (const f of status) {
    const dk = f.dataKey;
    lines.push(`${f.file}  (data key: ${f.lastRotation ? `last rotated ${f.lastRotation.date}` : `never rotated, since ${dk.date}`}, ${days(dk.ageMs)}${mark(dk.state, dk.expires)})`);
    for (const v of f.values) {
      const maybe = v.maybeChanged ? `  (re-encrypted ${v.maybeChanged.date}; whether it changed then needs a key)` : "";
      lines.push(`  ${v.date}  ${days(v.ageMs).padStart(6)}  ${v.path}${mark(v.state, v.expires, v.class)}${maybe}`);
    }
    if (f.values.length === 0) lines.push("  (no encrypted values)");
  }
  return `${lines.join("\n")}\n`;
}

/** The error for expired (exit 1) or, when nothing expired, expiring (exit 10) values; else undefined. */
export function rotationProblem(status: readonly FileRotationStatus[]): HushError | undefined {
  const { expired, expiring } = rotationCounts(status);
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  if (expired > 0) {
    return new HushError("GENERIC", `${n(expired, "value or data key")} expired`, "change those secrets (`hush rotate-value FILE KEY`, `hush set`) or the data key (`hush rotate -i FILE`), and commit");
  }
  if (expiring > 0) {
    return new HushError("ROTATION_DUE_SOON", `${n(expiring, "value or data key")} expiring soon`, "rotate them before they expire");
  }
  return undefined;
}
