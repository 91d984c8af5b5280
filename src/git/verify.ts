/**
 * `hush verify [PATHS…]`: one pass over a repository's encrypted files for cron and CI. Without a
 * key it runs the structural checks of `hush check` (plaintext where a rule wants encryption,
 * broken metadata, recipients or key-service addresses that differ from `.sops.yaml`); with keys
 * it also decrypts every file and checks its MAC; and it applies the rotation policy
 * (`hush.rotation` in `.sops.yaml`) to files tracked by git. One summary, `--json`, and a non-zero
 * exit on any problem. Values never appear in its output.
 */
import { readFile, stat } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { HushError } from "../errors.js";
import { formatNameForPath, openDocument } from "../lib/internal.js";
import { encryptedFiles } from "../team/files.js";
import { checkFiles } from "./check.js";
import { git } from "./run.js";
import { rotationStatus } from "./rotation.js";

/** What was found in one file. */
interface VerifiedFile {
  path: string;
  /** False when any problem was found. */
  ok: boolean;
  /** True when a key opened it and its MAC matched; false when it was not decrypted. */
  decrypted: boolean;
  /** One line each, secret-free (key paths at most). */
  problems: string[];
  /** Things to act on soon that are not failures (a value expiring within its warning period). */
  warnings: string[];
}

/** The whole run. */
export interface VerifyReport {
  files: VerifiedFile[];
  checked: number;
  problems: number;
  warnings: number;
}

/** How to verify. */
export interface VerifyOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Files or directories (default: every tracked file). */
  paths?: readonly string[];
  /** Never decrypt (structure and policy only). */
  noKeys?: boolean;
  configPath?: string;
}

async function expand(paths: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    let st;
    try {
      st = await stat(abs);
    } catch {
      throw new HushError("NO_FILE", `file not found: ${p}`);
    }
    if (st.isDirectory()) for (const f of await encryptedFiles(abs, env)) out.push(relative(cwd, f.path));
    else out.push(p);
  }
  return out;
}

async function tracked(files: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Set<string>> {
  try {
    const out = await git(["ls-files", "-z", "--", ...files], { cwd, env });
    return new Set(out.split("\0").filter(Boolean));
  } catch {
    return new Set(); // not a git working tree: no history, no policy
  }
}

/** Verifies files; see the module comment. */
export async function verifyFiles(opts: VerifyOptions = {}): Promise<VerifyReport> {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const paths = opts.paths && opts.paths.length > 0 ? await expand(opts.paths, cwd, env) : undefined;
  if (paths && paths.length === 0) throw new HushError("NO_FILE", "no encrypted files found under the paths given");
  const structural = await checkFiles({ cwd, env, ...(paths ? { paths } : {}), ...(opts.configPath ? { configPath: opts.configPath } : {}) });
  const byPath = new Map<string, VerifiedFile>();
  const entry = (path: string): VerifiedFile => {
    let f = byPath.get(path);
    if (!f) byPath.set(path, (f = { path, ok: true, decrypted: false, problems: [], warnings: [] }));
    return f;
  };
  for (const p of structural.problems) entry(p.path).problems.push(p.problem);

  // The encrypted files among those checked: decrypt each (MAC verified) with the keys at hand.
  const candidates = paths ?? (await git(["ls-files", "-z"], { cwd, env })).split("\0").filter(Boolean);
  const encrypted: string[] = [];
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(resolve(cwd, path), "utf8");
    } catch {
      continue; // deleted in the working tree, or unreadable (check reported it when named)
    }
    // Not an encrypted file, or already failing its structural checks: nothing to decrypt.
    if (!text.includes("ENC[AES256_GCM,") || !/\bsops\b/.test(text) || byPath.has(path)) continue;
    encrypted.push(path);
    const f = entry(path);
    if (opts.noKeys) continue;
    try {
      await openDocument(text, { format: formatNameForPath(path), env });
      f.decrypted = true;
    } catch (e) {
      f.problems.push(e instanceof HushError ? `does not decrypt: ${e.message}` : "does not decrypt (unexpected error)");
    }
  }

  // The rotation policy, from git history, for encrypted files git tracks.
  const inGit = await tracked(encrypted, cwd, env);
  const dated = encrypted.filter((p) => inGit.has(p));
  if (dated.length > 0) {
    const status = await rotationStatus(dated, {
      cwd,
      env,
      ...(opts.noKeys ? { keys: false as const } : { keys: env }),
      ...(opts.configPath ? { configPath: opts.configPath } : {}),
    });
    for (const s of status) {
      const f = entry(s.file);
      for (const v of s.values) {
        const cls = v.class ? ` (${v.class})` : "";
        if (v.state === "expired") f.problems.push(`${v.path}${cls} expired on ${v.expires?.slice(0, 10)}: rotate it (hush rotate-value)`);
        else if (v.state === "expiring") f.warnings.push(`${v.path}${cls} expires on ${v.expires?.slice(0, 10)}`);
      }
      if (s.dataKey.state === "expired") f.problems.push(`data key expired on ${s.dataKey.expires?.slice(0, 10)}: rotate it (hush rotate -i)`);
      else if (s.dataKey.state === "expiring") f.warnings.push(`data key expires on ${s.dataKey.expires?.slice(0, 10)}`);
    }
  }
  const files = [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
  for (const f of files) f.ok = f.problems.length === 0;
  return {
    files,
    checked: structural.checked,
    problems: files.reduce((n, f) => n + f.problems.length, 0),
    warnings: files.reduce((n, f) => n + f.warnings.length, 0),
  };
}

/** The report as text: one block per file with something to say, then a summary line. */
export function formatVerify(report: VerifyReport, noKeys: boolean): string {
  const lines: string[] = [];
  for (const f of report.files) {
    const how = f.problems.length > 0 ? "FAIL" : f.decrypted ? "ok (decrypted, MAC verified)" : noKeys ? "ok (structure only)" : "ok";
    lines.push(`${f.path}: ${how}`);
    for (const p of f.problems) lines.push(`  problem: ${p}`);
    for (const w of f.warnings) lines.push(`  warning: ${w}`);
  }
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? "" : "s"}`;
  lines.push(`${n(report.checked, "file")} checked, ${n(report.files.length, "encrypted or failing file")}: ${n(report.problems, "problem")}, ${n(report.warnings, "warning")}`);
  return `${lines.join("\n")}\n`;
}
