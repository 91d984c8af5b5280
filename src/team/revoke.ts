/**
 * `hush revoke AGE_RECIPIENT`: someone leaves. Their recipient is removed from every `.sops.yaml`
 * creation rule, and every encrypted file they could open gets a new data key (all values
 * re-encrypted, their entry dropped), so nothing written from now on is readable with their key.
 *
 * What they already read cannot be taken back: the report lists, per file, every encrypted value
 * they could read (paths only), so those secrets get changed at their source (a new database
 * password, a new API token) and then here with `hush set`.
 *
 * All files are rotated in memory first; if any cannot be (no key for it here), nothing is written.
 */
import { dirname } from "node:path";
import { HushError } from "../errors.js";
import {
  ageRecipientsByRule,
  DEFAULT_JOBS,
  entryLabel,
  findConfigFile,
  isSealedText,
  Keyring,
  lockFile,
  mapLimit,
  parseConfig,
  parseDocument,
  pathLabel,
  removeAgeRecipient,
  rotateText,
  scalars,
  writeFileAtomic,
} from "../lib/internal.js";
import { encryptedFiles, readEncryptedFile, type EncryptedFile } from "./files.js";
import { counted, oneAgeRecipient, readConfigText, type TeamOptions } from "./invite.js";

/** Options of {@link revokeRecipient}. */
export interface RevokeOptions extends TeamOptions {
  /** Work out and report everything, write nothing. */
  dryRun?: boolean;
}

/** One file the revoked recipient could open. */
export interface RevokedFile {
  /** Path relative to the config's directory (or the directory searched). */
  shown: string;
  /** Every encrypted value they could read, as `db.password`, `hosts[1]` (paths, never values). */
  readable: string[];
}

/** What {@link revokeRecipient} did (or would do): paths of values, never values. */
export interface RevokeReport {
  recipient: string;
  /** The `.sops.yaml` edited, if there is one. */
  configPath?: string;
  /** Creation rules the recipient was removed from. */
  rulesChanged: number[];
  /** Files rotated (or that would be, with `dryRun`), with what was readable in each. */
  files: RevokedFile[];
  /** Encrypted files looked at that did not name the recipient. */
  untouched: number;
}

/** The paths of every encrypted value of an encrypted document (read without a key). */
export function encryptedValuePaths(file: Pick<EncryptedFile, "text" | "format">): string[] {
  const doc = parseDocument(file.text, file.format);
  const out: string[] = [];
  doc.trees().forEach((tree, i) => {
    for (const { path, cell } of scalars(tree)) {
      const v = cell.value;
      if (v && v.type === "str" && v.text.startsWith("ENC[") && isSealedText(v.text)) {
        const label = pathLabel(path);
        out.push(doc.documentCount > 1 ? `(document ${i + 1}) ${label}` : label);
      }
    }
  });
  return out;
}

function namesRecipient(file: EncryptedFile, recipient: string): boolean {
  return file.metadata.keyGroups.some((g) => g.some((w) => w.kind === "age" && entryLabel(w.kind, w.entry) === recipient));
}

/** Removes `recipient` everywhere and rotates the data key of every file they could open. */
export async function revokeRecipient(recipientArg: string, options: RevokeOptions = {}): Promise<RevokeReport> {
  const recipient = oneAgeRecipient(recipientArg);
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configPath = findConfigFile({ cwd, env, ...(options.configPath ? { configPath: options.configPath } : {}) });

  // 1. The config edit, checked before anything is written.
  let newConfig: string | undefined;
  let rulesChanged: number[] = [];
  // Locks (util/lock.ts), held to the end (released at exit): the config's before it is read, and
  // below every file's before its final read, so a concurrent `hush set` or team command waits.
  if (configPath && !options.dryRun) await lockFile(configPath, env);
  if (configPath) {
    const source = await readConfigText(configPath);
    const edit = removeAgeRecipient(source, recipient);
    rulesChanged = edit.changed;
    if (edit.changed.length > 0) {
      const before = await parseConfig(source, configPath, { cwd, warn: () => {} });
      const after = await parseConfig(edit.text, configPath, { cwd, warn: () => {} });
      const ages = ageRecipientsByRule(edit.text);
      for (const i of edit.changed) {
        const had = before.creationRules?.[i]?.groups ?? [];
        const has = after.creationRules?.[i]?.groups ?? [];
        if (had.some((g) => g.length > 0) && has.some((g) => g.length === 0)) {
          throw new HushError(
            "USAGE",
            `removing this recipient would leave ${ages[i]!.length > 1 ? "a key group of " : ""}creation_rules[${i}] of .sops.yaml with no keys`,
            "invite someone else (or a recovery key) to that rule first",
          );
        }
      }
      newConfig = edit.text;
    }
  }

  // 2. The files they could open, rotated in memory.
  const root = configPath ? dirname(configPath) : cwd;
  const all = await encryptedFiles(root, env);
  let affected = all.filter((f) => namesRecipient(f, recipient));
  if (!options.dryRun) {
    const fresh: EncryptedFile[] = [];
    for (const f of affected) {
      await lockFile(f.path, env);
      const again = await readEncryptedFile(f.path, root);
      if (again && namesRecipient(again, recipient)) fresh.push(again);
    }
    affected = fresh;
  }
  const keyring = new Keyring({ env });
  const rotated = await mapLimit(affected, options.jobs ?? DEFAULT_JOBS, counted(affected.length, options.onProgress, async (f) => {
    const res = await rotateText(f.text, {
      format: f.format,
      keyring,
      env,
      keepVersion: true,
      remove: [{ kind: "age", label: recipient }],
      // Only recipients the rule names get the new key (the config as it is before this revoke).
      path: f.path,
      cwd,
      ...(options.configPath ? { configPath: options.configPath } : {}),
    });
    return res.text;
  }));
  const failed = rotated.flatMap((r, i) => (r.status === "rejected" ? [`${affected[i]!.shown}: ${r.reason instanceof HushError ? r.reason.message : "unexpected failure"}`] : []));
  if (failed.length > 0) {
    throw new HushError(
      "COULD_NOT_RETRIEVE_KEY",
      `cannot rotate ${failed.length} file${failed.length === 1 ? "" : "s"}, so nothing was changed: ${failed.join("; ")}`,
      "run revoke with a key that opens every file (a recovery key), or re-key those files first",
    );
  }

  // 3. Write: the config, then every file (each atomically).
  if (!options.dryRun) {
    if (configPath && newConfig !== undefined) await writeFileAtomic(configPath, newConfig, 0o644);
    for (let i = 0; i < affected.length; i++) {
      const r = rotated[i]!;
      if (r.status === "fulfilled") await writeFileAtomic(affected[i]!.path, r.value);
    }
  }
  return {
    recipient,
    ...(configPath ? { configPath } : {}),
    rulesChanged,
    files: affected.map((f) => ({ shown: f.shown, readable: encryptedValuePaths(f) })),
    untouched: all.length - affected.length,
  };
}
