/**
 * Rewriting an encrypted document: decrypt, change the plaintext, encrypt again with the same data
 * key, copying every unchanged value's ciphertext verbatim (stable ciphertext: the diff shows only
 * what changed, plus `mac` and `lastmodified`). Used by edit, set, unset and the merge driver.
 */
import { randomFillSync } from "node:crypto";
import { HushError } from "../errors.js";
import { type KeyEntry, type KeyKind, type Metadata, SOPS_VERSION, type WrappedKey } from "../model/metadata.js";
import { wrapForGroups } from "../core/document.js";
import type { FormatName } from "../model/tree.js";
import type { KeyRecipient } from "../keys/key-source.js";
import { Keyring, type RecipientSpec } from "../keys/registry.js";
import { keyService, specLabel } from "../keys/index.js";
import { utf8 } from "../formats/index.js";
import { decryptHeld, decryptText, encryptText, type DecryptTextOptions, type HeldDecryption } from "./files.js";
import { authorizeRewrap, ruleFor } from "./recipients.js";
import { cachedRecipient, type UpdateKeysSession } from "./bulk-session.js";

export interface RewriteOptions {
  format: FormatName;
  keyring?: Keyring;
  ignoreMac?: boolean;
  /** Keep the file's `version` (set, unset, rotate do; edit upgrades it, as sops). */
  keepVersion?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Use this data key instead of unwrapping it (it is copied: the caller's buffer is never modified). */
  dataKey?: Uint8Array;
}

export interface RewriteResult {
  /** The new encrypted text (the input itself when nothing changed). */
  text: string;
  changed: boolean;
  metadata: Metadata;
}

function decryptOptions(opts: RewriteOptions): DecryptTextOptions {
  return {
    format: opts.format,
    ...(opts.keyring ? { keyring: opts.keyring } : {}),
    ...(opts.ignoreMac ? { ignoreMac: true } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.dataKey ? { dataKey: opts.dataKey } : {}),
  };
}

/**
 * Applies `change` to the plaintext of `encrypted`. When the plaintext comes back identical the
 * file is left byte for byte as it was (no new `lastmodified`, no new MAC).
 */
export async function rewriteText(
  encrypted: string | Uint8Array,
  change: (plain: string) => string | Promise<string>,
  opts: RewriteOptions,
): Promise<RewriteResult> {
  return rewrite(encrypted, async (dec) => {
    const next = await change(dec.text);
    return next === dec.text ? undefined : next;
  }, opts);
}

/**
 * {@link rewriteText} on the plaintext's bytes: for binary files, whose content need not be UTF-8
 * (`hush edit` of an image or a keystore keeps every byte).
 */
export async function rewriteBytes(
  encrypted: string | Uint8Array,
  change: (plain: Uint8Array) => Uint8Array | Promise<Uint8Array>,
  opts: RewriteOptions,
): Promise<RewriteResult> {
  return rewrite(encrypted, async (dec) => {
    const before = dec.bytes;
    const next = await change(before);
    return Buffer.from(next.buffer, next.byteOffset, next.byteLength).equals(before) ? undefined : next;
  }, opts);
}

async function rewrite(
  encrypted: string | Uint8Array,
  change: (dec: HeldDecryption) => Promise<string | Uint8Array | undefined>,
  opts: RewriteOptions,
): Promise<RewriteResult> {
  const dec = await decryptHeld(encrypted, decryptOptions(opts));
  try {
    const next = await change(dec);
    if (next === undefined) {
      return { text: typeof encrypted === "string" ? encrypted : utf8(encrypted), changed: false, metadata: dec.metadata };
    }
    const m = dec.metadata;
    const { text, metadata } = await encryptText(next, {
      format: opts.format,
      groups: [],
      dataKey: dec.dataKey,
      stash: dec.stash,
      wrappedKeys: m.keyGroups,
      rules: m.rules,
      macOnlyEncrypted: m.macOnlyEncrypted,
      shamirThreshold: m.shamirThreshold,
      version: opts.keepVersion ? m.version : SOPS_VERSION,
    });
    return { text, changed: true, metadata };
  } finally {
    dec.dataKey.fill(0);
  }
}

/** The spec a recipient was created from, rebuilt from its stored entry (for rotate and revoke). */
export function specFromEntry(kind: KeyKind, e: KeyEntry): RecipientSpec {
  return keyService(kind).specFromEntry(e);
}

/** A short identity of an entry, to match `--rm-*` arguments and to print. */
export function entryLabel(kind: KeyKind, e: KeyEntry): string {
  return specLabel(kind, specFromEntry(kind, e));
}

export interface RotateOptions extends RewriteOptions {
  /** Recipients to add to the first key group. */
  add?: { kind: KeyKind; spec: RecipientSpec }[];
  /** Recipients to remove from every group, by their label (`age1…`, fingerprint, ARN…). */
  remove?: { kind: KeyKind; label: string }[];
  /**
   * The file's path: its `.sops.yaml` rule decides which of its recipients may receive the new
   * data key (lib/recipients.ts). Without a path (standard input) or a rule, the file's own
   * recipients are used, with a warning.
   */
  path?: string;
  cwd?: string;
  /** `--config`. */
  configPath?: string;
  /** Leave out recipients the rule does not name instead of refusing (`--drop-unknown-recipients`). */
  dropUnknownRecipients?: boolean;
  /** Receives the "unauthenticated recipients" warning. */
  warn?: (message: string) => void;
  /**
   * Shared state of a run over many files (lib/bulk-session.ts): its config stands for
   * `.sops.yaml` lookups (it must be loaded with this call's cwd, configPath and env), its
   * recipients are made once, its keyring is used when no `keyring` is given.
   */
  session?: UpdateKeysSession;
}

/**
 * A new data key: every value re-encrypted with fresh IVs, the key wrapped anew for the file's
 * recipients (plus or minus the given ones). Entries keep their `created_at`.
 */
export async function rotateText(encrypted: string | Uint8Array, opts: RotateOptions): Promise<RewriteResult & { removed: string[]; dropped: string[] }> {
  // The old key is not needed (rotation draws a new one; decryptText zero-fills it), nor are the
  // old ciphertexts: so the plain decrypt, which takes the lean path where it can (one pass over
  // the bytes, no CST: issue 20), and gives the same text and errors as the full path.
  const dec = await decryptText(encrypted, decryptOptions(opts.session && !opts.keyring ? { ...opts, keyring: opts.session.keyring } : opts));
  const env = opts.env ?? process.env;
  const removed: string[] = [];
  const kept: WrappedKey[][] = dec.metadata.keyGroups.map((g) =>
    g.filter((w) => {
      const gone = (opts.remove ?? []).some((r) => r.kind === w.kind && r.label === entryLabel(w.kind, w.entry));
      if (gone) removed.push(`${w.kind} ${entryLabel(w.kind, w.entry)}`);
      return !gone;
    }),
  );
  const missing = (opts.remove ?? []).filter((r) => !removed.includes(`${r.kind} ${r.label}`));
  if (missing.length > 0) {
    throw new HushError("USAGE", `not a recipient of this file: ${missing.map((m) => `${m.kind} ${m.label}`).join(", ")}`);
  }
  // The new data key goes only to recipients .sops.yaml names (issue 14, attack 2).
  const rule = await ruleFor(opts.path, { ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.configPath ? { configPath: opts.configPath } : {}), env }, opts.session?.config);
  const allowed = await authorizeRewrap(kept, {
    ruleGroups: rule?.groups,
    ...(rule ? { ruleName: rule.name } : {}),
    ...(opts.dropUnknownRecipients ? { dropUnknown: true } : {}),
    env,
    ...(opts.warn ? { warn: opts.warn } : {}),
  });
  const dropped = allowed.dropped;
  const groups: { kind: KeyKind; entry: KeyEntry | undefined; spec: RecipientSpec }[][] = allowed.groups.map((g) =>
    g.map((w) => ({ kind: w.kind, entry: w.entry, spec: specFromEntry(w.kind, w.entry) })),
  );
  for (const a of opts.add ?? []) groups[0]!.push({ kind: a.kind, entry: undefined, spec: a.spec });
  if (groups.some((g) => g.length === 0)) {
    throw new HushError("USAGE", "removing these recipients would leave a key group with no keys");
  }
  const recipients: KeyRecipient[][] = await Promise.all(groups.map((g) => Promise.all(g.map((r) => cachedRecipient(r, env, opts.session)))));
  // Filled in place: no other buffer ever holds the new key, and this one is zeroed below.
  const dataKey = randomFillSync(new Uint8Array(32));
  try {
    const wrapped: WrappedKey[][] = await wrapForGroups(dataKey, recipients, dec.metadata.shamirThreshold);
    // A key read from the file keeps its creation date across rotations (as in sops).
    wrapped.forEach((g, i) =>
      g.forEach((w, j) => {
        const old = groups[i]![j]!.entry;
        if (old && typeof old["created_at"] === "string" && "created_at" in w.entry) {
          g[j] = { kind: w.kind, entry: { ...w.entry, created_at: old["created_at"] } };
        }
      }),
    );
    const m = dec.metadata;
    // Binary content goes back as bytes: its text form is lossy when it is not UTF-8.
    const { text, metadata } = await encryptText(opts.format === "binary" ? dec.bytes : dec.text, {
      format: opts.format,
      groups: [],
      dataKey,
      wrappedKeys: wrapped,
      rules: m.rules,
      macOnlyEncrypted: m.macOnlyEncrypted,
      shamirThreshold: m.shamirThreshold,
      version: m.version,
    });
    return { text, changed: true, metadata, removed, dropped };
  } finally {
    dataKey.fill(0);
  }
}
