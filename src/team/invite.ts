/**
 * `hush invite AGE_RECIPIENT`: add someone to the repository's secrets. Their recipient goes into
 * the `.sops.yaml` creation rules (comments and layout kept), then every encrypted file below the
 * config is re-keyed to match its rule, as `hush updatekeys --yes` does: only the wrapped data keys
 * change, so values, MACs and everyone else's entries stay byte for byte.
 */
import { promises as fsp } from "node:fs";
import { dirname } from "node:path";
import { HushError } from "../errors.js";
import { addAgeRecipient, ageRecipientsByRule, findConfigFile, Keyring, mapLimit, parseAgeRecipients, updateKeysText, writeFileAtomic } from "../lib/internal.js";
import { encryptedFiles } from "./files.js";

/** Where the config is and how to run. */
export interface TeamOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `--config`: the `.sops.yaml` to edit (default: found from `cwd`, or `SOPS_CONFIG`). */
  configPath?: string;
  /** Files processed at once (default 8). */
  jobs?: number;
}

/** Options of {@link inviteRecipient}. */
export interface InviteOptions extends TeamOptions {
  /** Written as a comment after the recipient in `.sops.yaml`. */
  name?: string;
  /** Only these creation rules (by index); default: every rule that names keys. */
  rules?: readonly number[];
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
  const results = await mapLimit(files, options.jobs ?? 8, async (f) => {
    let res;
    try {
      res = await updateKeysText(f.path, f.text, { format: f.format, configPath, cwd: options.cwd ?? process.cwd(), env, keyring: ring });
    } catch (e) {
      if (e instanceof HushError && e.code === "CONFIG" && /no matching creation rule/.test(e.message)) {
        return { shown: f.shown, status: "no rule", added: [], removed: [] } satisfies FileOutcome;
      }
      throw e;
    }
    if (res.text === undefined) return { shown: f.shown, status: "up to date", added: res.added, removed: res.removed } satisfies FileOutcome;
    await writeFileAtomic(f.path, res.text);
    return { shown: f.shown, status: "updated", added: res.added, removed: res.removed } satisfies FileOutcome;
  });
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
  const source = await readConfigText(configPath);
  const edit = addAgeRecipient(source, recipient, {
    ...(options.name ? { name: options.name } : {}),
    ...(options.rules ? { rules: options.rules } : {}),
  });
  if (edit.changed.length === 0 && !ageRecipientsByRule(source).flat(2).includes(recipient)) {
    throw new HushError("CONFIG", "no creation rule of .sops.yaml names keys, so there is no rule to add the recipient to", "name one with --rule N, or run `hush init`");
  }
  if (edit.text !== source) await writeFileAtomic(configPath, edit.text, 0o644);
  const files = options.update === false ? [] : await updateAllKeys(configPath, options);
  return { recipient, configPath, rulesChanged: edit.changed, files };
}
