/**
 * `hush invite AGE_RECIPIENT`: add someone to the repository's secrets. Their recipient goes into
 * the `.sops.yaml` creation rules (comments and layout kept), then every encrypted file below the
 * config is re-keyed to match its rule, as `hush updatekeys --yes` does: only the wrapped data keys
 * change, so values, MACs and everyone else's entries stay byte for byte.
 */
import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { HushError } from "../errors.js";
import {
  addAgeRecipient,
  ageRecipientsByRule,
  DEFAULT_JOBS,
  findConfigFile,
  Keyring,
  loadConfig,
  lockFile,
  mapLimit,
  parseAgeRecipients,
  selectCreationRule,
  updateKeysText,
  withFileLock,
  writeFileAtomic,
} from "../lib/internal.js";
import { encryptedFiles, readEncryptedFile } from "./files.js";

/** Where the config is and how to run. */
export interface TeamOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `--config`: the `.sops.yaml` to edit (default: found from `cwd`, or `SOPS_CONFIG`). */
  configPath?: string;
  /** Files processed at once (default 8). */
  jobs?: number;
  /** Called after each file is processed (for a progress line): files done so far, and of how many. */
  onProgress?: (done: number, total: number) => void;
}

/** `task`, reporting to `onProgress` after each item, done or failed. */
export function counted<T, R>(total: number, onProgress: TeamOptions["onProgress"], task: (item: T) => Promise<R>): (item: T) => Promise<R> {
  let done = 0;
  return (item) => task(item).finally(() => onProgress?.(++done, total));
}

/** Options of {@link inviteRecipient}. */
export interface InviteOptions extends TeamOptions {
  /** Written as a comment after the recipient in `.sops.yaml`. */
  name?: string;
  /** The creation rules (by index) to add the recipient to; required unless `all`. */
  rules?: readonly number[];
  /** Every rule that names keys (explicit: production rules included). */
  all?: boolean;
  /** Change nothing; report which files the recipient would be able to read. */
  dryRun?: boolean;
  /** Re-key the files (default true); false only edits `.sops.yaml`. */
  update?: boolean;
}

/** What happened to one file. */
export interface FileOutcome {
  /** Path relative to the config's directory. */
  shown: string;
  status: "updated" | "up to date" | "no rule" | "failed";
  /** Recipients added and removed (`age age1…`). */
  added: string[];
  removed: string[];
  /** One line, secret-free, for a failed file. */
  error?: string;
}

/** What {@link inviteRecipient} did. */
export interface InviteReport {
  recipient: string;
  configPath: string;
  /** Creation rules the recipient was added to (empty: they were already in every one). */
  rulesChanged: number[];
  files: FileOutcome[];
  /** With `dryRun`: the files (relative to the config) the recipient would be able to read. */
  readable?: string[];
}

/** The rules as a list for messages: `0: path_regex prod/.*` (no keys or values). */
async function describeRules(configPath: string): Promise<string> {
  const config = await loadConfig(configPath);
  const rules = config.creationRules ?? [];
  if (rules.length === 0) return "(no creation rules)";
  return rules.map((r) => `${r.index}: ${r.pathRegex === undefined ? "(every file)" : `path_regex ${r.pathRegex}`}`).join("; ");
}

/** Encrypted files below the config whose creation rule is one of `rules`. */
async function filesOfRules(configPath: string, rules: ReadonlySet<number> | "all", options: TeamOptions): Promise<string[]> {
  const env = options.env ?? process.env;
  const config = await loadConfig(configPath);
  const files = await encryptedFiles(dirname(configPath), env);
  return files
    .filter((f) => {
      const rule = selectCreationRule(config, f.path);
      return rule !== undefined && rule.groups.some((g) => g.length > 0) && (rules === "all" || rules.has(rule.index));
    })
    .map((f) => f.shown);
}

/** The `.sops.yaml` a team command works on, or a clear error when there is none. */
export function teamConfigPath(options: TeamOptions): string {
  const path = findConfigFile({
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.configPath ? { configPath: options.configPath } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  if (!path) throw new HushError("CONFIG", "no .sops.yaml found from this directory up", "run `hush init` first");
  return path;
}

/** Reads a config file with a clear error. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await fsp.readFile(path, "utf8");
  } catch (e) {
    throw new HushError("CONFIG", `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? "read failed"}`);
  }
}

/** One age recipient from a command-line argument (exactly one). */
export function oneAgeRecipient(arg: string): string {
  const list = parseAgeRecipients(arg);
  if (list.length !== 1) throw new HushError("USAGE", "give exactly one age recipient (age1…)");
  return list[0]!;
}

/** Re-keys every encrypted file below the config to match its creation rule. */
export async function updateAllKeys(configPath: string, options: TeamOptions, keyring?: Keyring): Promise<FileOutcome[]> {
  const env = options.env ?? process.env;
  const files = await encryptedFiles(dirname(configPath), env);
  const ring = keyring ?? new Keyring({ env });
  const root = dirname(configPath);
  // Each file is re-read under its lock (util/lock.ts): a `hush set` that ran since the scan is
  // kept, and one that comes while the file is re-keyed waits, instead of one update being lost.
  const results = await mapLimit(files, options.jobs ?? DEFAULT_JOBS, counted(files.length, options.onProgress, (scanned) =>
    withFileLock(scanned.path, async (): Promise<FileOutcome> => {
      const f = (await readEncryptedFile(scanned.path, root)) ?? scanned;
      let res;
      try {
        res = await updateKeysText(f.path, f.text, { format: f.format, configPath, cwd: options.cwd ?? process.cwd(), env, keyring: ring });
      } catch (e) {
        if (e instanceof HushError && e.code === "CONFIG" && /no matching creation rule/.test(e.message)) {
          return { shown: f.shown, status: "no rule", added: [], removed: [] };
        }
        throw e;
      }
      if (res.text === undefined) return { shown: f.shown, status: "up to date", added: res.added, removed: res.removed };
      await writeFileAtomic(f.path, res.text);
      return { shown: f.shown, status: "updated", added: res.added, removed: res.removed };
    }, env),
  ));
  return results.map((r, i) =>
    r.status === "fulfilled"
      ? r.value
      : { shown: files[i]!.shown, status: "failed", added: [], removed: [], error: r.reason instanceof HushError ? r.reason.message : "unexpected failure" },
  );
}

/** Adds `recipient` to the creation rules and re-keys the repository's files for them. */
export async function inviteRecipient(recipientArg: string, options: InviteOptions = {}): Promise<InviteReport> {
  const recipient = oneAgeRecipient(recipientArg);
  const configPath = teamConfigPath(options);
  if (!options.all && (options.rules === undefined || options.rules.length === 0)) {
    throw new HushError(
      "USAGE",
      `name the creation rules to add ${recipient} to: --rule N (rules: ${await describeRules(configPath)}), or --all for every rule`,
      "add --dry-run to see which files they would be able to read",
    );
  }
  if (options.all && options.rules && options.rules.length > 0) throw new HushError("CONFLICTING_PARAMETERS", "--all and --rule cannot be used together");
  // The config's lock, from before its read to the end (released at exit): two team commands at
  // once take turns instead of one dropping the other's recipient.
  if (!options.dryRun) await lockFile(configPath, options.env ?? process.env);
  const source = await readConfigText(configPath);
  if (options.dryRun) {
    const readable = await filesOfRules(configPath, options.all ? "all" : new Set(options.rules), options);
    return { recipient, configPath, rulesChanged: [], files: [], readable };
  }
  const edit = addAgeRecipient(source, recipient, {
    ...(options.name ? { name: options.name } : {}),
    ...(options.rules && !options.all ? { rules: options.rules } : {}),
  });
  if (edit.changed.length === 0 && !ageRecipientsByRule(source).flat(2).includes(recipient)) {
    throw new HushError("CONFIG", "no creation rule of .sops.yaml names keys, so there is no rule to add the recipient to", "name one with --rule N, or run `hush init`");
  }
  if (edit.text !== source) await writeFileAtomic(configPath, edit.text, 0o644);
  const files = options.update === false ? [] : await updateAllKeys(configPath, options);
  return { recipient, configPath, rulesChanged: edit.changed, files };
}
