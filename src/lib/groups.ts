/**
 * `hush groups add` / `hush groups delete` (sops's `groups` subcommands): add a key group to a
 * file, or remove one by its index. The data key stays the same; with several groups it is split
 * anew into Shamir shares, one per group, so every entry is wrapped again (kept recipients keep
 * their `created_at`). Only the `sops` block changes: values, `mac` and `lastmodified` stay byte
 * for byte. Unlike sops, the MAC is verified first, and the kept recipients must be named by the
 * file's `.sops.yaml` rule (`authorizeRewrap`, as rotate), so a tampered file is not re-keyed.
 */
import { HushError } from "../errors.js";
import { metadataOf, wrapForGroups } from "../core/document.js";
import { metadataToNode } from "../core/metadata.js";
import type { KeySpec } from "../config/key-specs.js";
import type { FormatName } from "../model/tree.js";
import type { WrappedKey } from "../model/metadata.js";
import { Keyring, recipientFor } from "../keys/registry.js";
import { decryptHeld, parseDocument } from "./files.js";
import { specFromEntry } from "./rewrite.js";
import { authorizeRewrap, ruleFor } from "./recipients.js";

/** What to change: a group to add, or the index of one to delete; optionally the threshold. */
export interface GroupChange {
  format: FormatName;
  /** The keys of a new group (appended after the existing ones). */
  add?: readonly KeySpec[];
  /** The index of the group to delete (0 is the first). */
  delete?: number;
  /** The new Shamir threshold (0 or absent: keep the file's; several groups need at least one). */
  threshold?: number;
  keyring?: Keyring;
  ignoreMac?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The file's path, for its `.sops.yaml` rule: the kept recipients must be named there (trust policy, as rotate). */
  path?: string;
  /** `--config`. */
  configPath?: string;
  /** Told when no rule names the file's recipients (they then come from the file, unauthenticated). */
  warn?: (message: string) => void;
}

/** Returns the encrypted text with its key groups changed (see the module comment). */
export async function changeKeyGroups(encrypted: string, change: GroupChange): Promise<string> {
  const env = change.env ?? process.env;
  const doc = parseDocument(encrypted, change.format);
  const meta = metadataOf(doc);
  const groups = meta.keyGroups.map((g) => [...g]) as (WrappedKey | KeySpec)[][];
  if (change.add !== undefined) {
    if (change.add.length === 0) throw new HushError("USAGE", "the new group names no keys (--age, --pgp, --kms, …)");
    groups.push([...change.add]);
  }
  if (change.delete !== undefined) {
    if (!Number.isInteger(change.delete) || change.delete < 0 || change.delete >= groups.length) {
      throw new HushError("USAGE", `no key group ${change.delete}: the file has ${groups.length} (0 to ${groups.length - 1})`);
    }
    if (groups.length === 1) throw new HushError("USAGE", "cannot delete the only key group");
    groups.splice(change.delete, 1);
  }
  // Down to one group there is nothing to split: the threshold goes (sops would ask for one).
  const threshold = groups.length === 1 ? 0 : change.threshold || meta.shamirThreshold;
  if (threshold > groups.length) {
    throw new HushError(
      "USAGE",
      `the Shamir threshold is ${threshold}, but there would be only ${groups.length} key groups`,
      "give --shamir-secret-sharing-threshold N (N at most the number of groups)",
    );
  }
  // The data key is wrapped anew for the kept entries: only those the .sops.yaml rule names (the
  // file's own list is outside the MAC); the new group comes from the command line.
  const kept = groups.filter((g): g is WrappedKey[] => g.every((k) => "entry" in k));
  const rule = await ruleFor(change.path, { ...(change.configPath ? { configPath: change.configPath } : {}), env });
  const allowed = await authorizeRewrap(kept, { ruleGroups: rule?.groups, ...(rule ? { ruleName: rule.name } : {}), env, ...(change.warn ? { warn: change.warn } : {}) });
  allowed.groups.forEach((g, i) => (groups[groups.indexOf(kept[i]!)] = g));
  const dec = await decryptHeld(encrypted, {
    format: change.format,
    env,
    ...(change.keyring ? { keyring: change.keyring } : {}),
    ...(change.ignoreMac ? { ignoreMac: true } : {}),
  });
  try {
    const recipients = await Promise.all(
      groups.map((g) => Promise.all(g.map((k) => ("entry" in k ? recipientFor(k.kind, specFromEntry(k.kind, k.entry), env) : recipientFor(k.kind, k.spec, env))))),
    );
    const wrapped = await wrapForGroups(dec.dataKey, recipients, groups.length > 1 ? threshold || groups.length : 0);
    // A kept key keeps its creation date, as in rotate and in sops.
    wrapped.forEach((g, i) =>
      g.forEach((w, j) => {
        const old = groups[i]![j]!;
        if ("entry" in old && typeof old.entry["created_at"] === "string" && "created_at" in w.entry) {
          g[j] = { kind: w.kind, entry: { ...w.entry, created_at: old.entry["created_at"] } };
        }
      }),
    );
    const shamirThreshold = groups.length > 1 ? threshold || groups.length : 0;
    doc.setMetadata(metadataToNode({ ...meta, keyGroups: wrapped, shamirThreshold }));
    return doc.toString();
  } finally {
    dec.dataKey.fill(0);
  }
}
