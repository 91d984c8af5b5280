/**
 * `updatekeys`: make a file's recipients match its `.sops.yaml` creation rule. Only the wrapped data
 * keys change: values, `mac` and `lastmodified` stay byte for byte (as sops), and recipients that
 * stay keep their entry verbatim, so the diff shows exactly who was added and removed.
 */
import { HushError } from "../errors.js";
import { wrapForGroups } from "../core/document.js";
import { metadataToNode } from "../core/metadata.js";
import type { KeyKind, WrappedKey } from "../model/metadata.js";
import { rulesForFile, type ConfigOptions } from "../config/index.js";
import type { KeySpec } from "../config/key-specs.js";
import type { FormatName } from "../model/tree.js";
import { Keyring, unwrapDataKey } from "../keys/registry.js";
import { keyService, specLabel } from "../keys/index.js";
import { entryLabel } from "./rewrite.js";
import { openSopsBlock } from "./sops-block.js";
import { cachedRecipient, type UpdateKeysSession } from "./bulk-session.js";

export { updateKeysSession } from "./bulk-session.js";

/** Whether a stored entry is the recipient a config spec names. */
function sameRecipient(w: WrappedKey, k: KeySpec): boolean {
  if (w.kind !== k.kind) return false;
  const have = entryLabel(w.kind, w.entry);
  const want = specLabel(k.kind, k.spec);
  return have === want || (keyService(w.kind).sameRecipient?.(have, want) ?? false);
}

export interface KeyChanges {
  added: string[];
  removed: string[];
}

export interface UpdateKeysResult extends KeyChanges {
  /** The new text, or undefined when the recipients already match. */
  text: string | undefined;
}

/**
 * Default number of files in flight for whole-directory operations (updatekeys, invite, revoke).
 * Sized by latency, not by cores: hush runs on one thread, so concurrency only overlaps waiting,
 * and a remote key service's round trip (tens of ms) dwarfs the ~1-2 ms of local work per file.
 * 32 keeps a 50 ms service busy enough for 1,000 files in under 2 s of waiting, well inside any
 * KMS request quota, and bounds the files held in memory at once.
 */
export const DEFAULT_JOBS = 32;

export interface UpdateKeysOptions extends ConfigOptions {
  format: FormatName;
  keyring?: Keyring;
  /** Shared state for a run over many files ({@link updateKeysSession}); its keyring wins. */
  session?: UpdateKeysSession;
  /** Override the rule's threshold (sops: the flag, else the file's, capped at the group count). */
  shamirThreshold?: number;
  /** Only work out the changes: no key is needed and nothing is wrapped. */
  dryRun?: boolean;
}

/** Computes and applies the recipient changes for one file's text. */
export async function updateKeysText(path: string, text: string, opts: UpdateKeysOptions): Promise<UpdateKeysResult> {
  const rule = await rulesForFile(path, opts, opts.session ? await opts.session.config : undefined);
  if (!rule) throw new HushError("CONFIG", "updatekeys needs a .sops.yaml with creation rules (none found)");
  // A dry run's parse is kept for the run that applies (it does not change the document); taken
  // only for the very same text, and only once.
  const kept = opts.session?.parsed.get(path);
  if (kept) opts.session!.parsed.delete(path);
  // Only the `sops` block changes: it is spliced where that is byte-identical (sops-block.ts).
  const doc = kept && kept.text === text ? kept.doc : openSopsBlock(text, opts.format);
  const meta = doc.metadata;
  const want = rule.groups.filter((g) => g.length > 0);
  if (want.length === 0) throw new HushError("CONFIG", `the creation rule for ${path} names no keys`);
  const label = (kind: KeyKind, l: string) => `${kind} ${l}`;
  const added: string[] = [];
  const removed: string[] = [];
  const flatHave = meta.keyGroups.flat();
  const flatWant = want.flat();
  for (const k of flatWant) if (!flatHave.some((w) => sameRecipient(w, k))) added.push(label(k.kind, specLabel(k.kind, k.spec)));
  for (const w of flatHave) if (!flatWant.some((k) => sameRecipient(w, k))) removed.push(label(w.kind, entryLabel(w.kind, w.entry)));
  const sameShape =
    want.length === meta.keyGroups.length && want.every((g, i) => g.length === meta.keyGroups[i]!.length && g.every((k) => meta.keyGroups[i]!.some((w) => sameRecipient(w, k))));
  const threshold = Math.min(opts.shamirThreshold || rule.shamirThreshold || meta.shamirThreshold || want.length, want.length);
  if (sameShape && (want.length === 1 || threshold === meta.shamirThreshold)) return { text: undefined, added, removed };
  if (opts.dryRun) {
    opts.session?.parsed.set(path, { text, doc });
    return { text: text, added, removed };
  }

  const keyring = opts.session?.keyring ?? opts.keyring ?? new Keyring(opts.env ? { env: opts.env } : {});
  const dataKey = await unwrapDataKey(meta, keyring);
  try {
    let groups: WrappedKey[][];
    if (want.length === 1 && meta.keyGroups.length === 1) {
      // One group: keep the entries that stay verbatim, wrap the data key for new ones only.
      const keep = want[0]!.map((k) => meta.keyGroups[0]!.find((w) => sameRecipient(w, k)));
      const fresh = await Promise.all(want[0]!.map((k, i) => (keep[i] ? undefined : cachedRecipient(k, opts.env, opts.session))));
      const toWrap = fresh.filter((r) => r !== undefined);
      const wrapped = toWrap.length > 0 ? await wrapForGroups(dataKey, [toWrap], 0) : [[]];
      let n = 0;
      groups = [keep.map((w) => w ?? wrapped[0]![n++]!)];
    } else {
      // Several groups: the Shamir shares are split anew, so every entry is wrapped anew.
      const recipients = await Promise.all(want.map((g) => Promise.all(g.map((k) => cachedRecipient(k, opts.env, opts.session)))));
      groups = await wrapForGroups(dataKey, recipients, threshold);
    }
    return { text: doc.withMetadata(metadataToNode({ ...meta, keyGroups: groups, shamirThreshold: groups.length > 1 ? threshold : meta.shamirThreshold })), added, removed };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Runs `task` over `items` with at most `limit` in flight, in input order of start; results keep
 * the input order. A failing item does not stop the others.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await task(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
