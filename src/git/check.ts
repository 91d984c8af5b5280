/**
 * `hush check [--staged] [PATHS…]`: the guard behind the pre-commit hook. It needs no key and
 * decrypts nothing, so it is fast enough for every commit. A file fails when
 * - `.sops.yaml` says it must be encrypted (its first matching creation rule has a `path_regex`)
 *   but it has no sops metadata;
 * - it is encrypted but holds values in clear that its own selection rules would encrypt (a
 *   hand-edit, or a bad merge);
 * - it is encrypted but its structure is broken: it does not parse (conflict markers), or its
 *   metadata is unreadable, has no MAC, or a key entry without its wrapped key.
 *
 * - it is encrypted but its recipients differ from its creation rule's (an injected recipient, or
 *   one the rule names that the file lacks), or a key-service address in it (`vault_address`,
 *   `vault_url`) differs from the configuration's: the `sops` block is outside the MAC, so a keyless
 *   writer can change it (issue 14, attack 2);
 * - it is plaintext and looks like a decrypted copy: a dotenv file with values (`.env`, `.env.*`,
 *   but not templates such as `.env.example`), a file named `*.dec.*`, or a file holding the key
 *   paths of a tracked encrypted file with values in clear (issue 14, attack 5).
 *
 * A file meant to be committed in clear is allowed with the git attribute `hush-plaintext`
 * (`.gitattributes`: `config/.env.test hush-plaintext`).
 *
 * A creation rule without `path_regex` (a catch-all) gives keys to files one chooses to encrypt;
 * it does not make every file of the repository a secret, so it requires nothing.
 */
import { readFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { displayPath, encryptionProblems, formatNameForPath, loadEffectiveConfig, selectCreationRule, type SopsConfig } from "../lib/internal.js";
import { plaintextProblems, type EncryptedShapes } from "./check-plaintext.js";
import { git, repoRoot, runGit } from "./run.js";

export interface CheckOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Check the staged versions of the files staged for commit (added, copied, modified, renamed). */
  staged?: boolean;
  /** Files to check (with `staged`: limits the staged files to these). Default: every tracked file. */
  paths?: readonly string[];
  /** `--config`: the `.sops.yaml` to use instead of discovering one. */
  configPath?: string;
  /** Called after each file (for a progress line): files done so far, and of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** One failed file. */
interface CheckProblem {
  path: string;
  /** One line, secret-free (key paths at most). */
  problem: string;
}

export interface CheckResult {
  /** Files looked at. */
  checked: number;
  problems: CheckProblem[];
}

const ENC_MARK = "ENC[AES256_GCM,";

/** Checks one file's text; returns its problems (none when it is fine). */
function checkText(path: string, text: string, config: SopsConfig | undefined, cwd: string): string[] {
  const rule = config?.creationRules && basename(path) !== ".sops.yaml" ? selectCreationRule(config, path, cwd) : undefined;
  const required = rule !== undefined && rule.pathRegex !== undefined;
  const format = formatNameForPath(path);
  const structured = format === "yaml" || format === "json" || format === "dotenv" || format === "ini";
  const looksEncrypted = text.includes(ENC_MARK);
  // Files nobody asked to encrypt, with nothing encrypted in them, are not hush's business.
  if (!required && !(structured && looksEncrypted)) return [];
  const ruleName = rule && config ? `creation_rules[${rule.index}] of ${displayPath(config.path, cwd)}` : "";
  return encryptionProblems(text, format, required ? ruleName : undefined, rule ? { groups: rule.groups, name: ruleName } : undefined);
}

/** Checks files (on disk, or as staged); never decrypts, needs no key. */
export async function checkFiles(opts: CheckOptions = {}): Promise<CheckResult> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  let base = cwd;
  let files: { path: string; read: () => Promise<string | undefined> }[];
  if (opts.staged) {
    const root = await repoRoot({ cwd, env });
    base = root;
    const out = await git(["diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--", ...(opts.paths ?? [])], { cwd, env });
    // Names are relative to the top of the repository.
    files = out
      .split("\0")
      .filter(Boolean)
      .map((path) => ({
        path,
        read: async () => {
          const r = await runGit(["cat-file", "blob", `:${path}`], { cwd: root, env });
          return r.status === 0 ? r.stdout.toString("utf8") : undefined;
        },
      }));
  } else {
    const list =
      opts.paths && opts.paths.length > 0 ? [...opts.paths] : (await git(["ls-files", "-z"], { cwd, env })).split("\0").filter(Boolean);
    files = list.map((path) => ({
      path,
      read: async () => {
        try {
          return await readFile(resolve(cwd, path), "utf8");
        } catch (e) {
          // A tracked file deleted in the working tree has nothing to check; a named one must exist.
          if (opts.paths && opts.paths.length > 0) throw e;
          return undefined;
        }
      },
    }));
  }
  // Nothing staged (or listed): done, without loading (and validating) the config.
  if (files.length === 0) return { checked: 0, problems: [] };
  const shapes: EncryptedShapes = { cwd: base, env, staged: opts.staged ?? false };
  const config = await loadEffectiveConfig({ cwd: base, env, ...(opts.configPath ? { configPath: opts.configPath } : {}) });
  const problems: CheckProblem[] = [];
  let checked = 0;
  let done = 0;
  for (const f of files) {
    opts.onProgress?.(done++, files.length);
    let text: string | undefined;
    try {
      text = await f.read();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "read failed";
      problems.push({ path: f.path, problem: `cannot be read (${code})` });
      continue;
    }
    if (text === undefined) continue;
    checked++;
    for (const problem of checkText(f.path, text, config, base)) problems.push({ path: f.path, problem });
    for (const problem of await plaintextProblems(f.path, text, shapes)) problems.push({ path: f.path, problem });
  }
  opts.onProgress?.(done, files.length);
  return { checked, problems };
}
