/**
 * The semantic merge of encrypted files, the crypto part that `hush git merge %O %A %B %P` and
 * `hush git resolve` (src/git) run. The data keys of the three versions are held here only and
 * zero-filled in {@link mergeEncrypted}'s `finally`.
 *
 * sops files always conflict in git when two branches edit different keys: both sides rewrite
 * `mac` and `lastmodified`. Here the three versions are decrypted in memory and merged by key
 * path; the result is ours' plaintext *text* with theirs' changes applied as structural edits (so
 * ours' layout and comments stay), encrypted again with stable ciphertext: every value whose
 * plaintext did not change keeps the exact ciphertext it had, so the merged file's diff against
 * either side shows only the other side's changes (plus `mac` and `lastmodified`).
 *
 * Safety: nothing here writes plaintext anywhere. A conflict leaves ours (encrypted) as it is; the
 * caller reports the conflicting key paths, never their values.
 */
import { randomFillSync, timingSafeEqual } from "node:crypto";
import { HushError } from "../errors.js";
import { CiphertextStash, wrapForGroups } from "../core/document.js";
import { SOPS_VERSION, type KeyEntry, type Metadata, type WrappedKey } from "../model/metadata.js";
import type { PlainValue } from "../model/value.js";
import { formatTreePath, type TreePath } from "../model/tree-path.js";
import type { TreeMap, TreeNode } from "../model/tree.js";
import { setAtPath, unsetAtPath } from "../formats/cst-edit.js";
import { decryptHeld, decryptText, encryptText, parseDocument } from "./files.js";
import { entryLabel, specFromEntry } from "./rewrite.js";
import type { KeyRecipient } from "../keys/key-source.js";
import { Keyring, recipientFor } from "../keys/registry.js";
import type { KeySpec } from "../config/index.js";
import { specMatchesEntry } from "./recipients.js";

/** The formats the semantic merge edits structurally. */
type MergeFormat = "yaml" | "json";

/** One thing both sides changed differently. */
export interface MergeConflict {
  /** A value (or subtree) at a key path, the file's recipients, or its encryption settings. */
  readonly kind: "value" | "recipients" | "settings";
  /** Safe to print: `["db"]["password"]`, `sops recipients`, `sops settings`. */
  readonly label: string;
  /** For values: the key path. */
  readonly path?: TreePath;
  /**
   * For values: the plaintext nodes (undefined = absent). Only `hush git resolve` shows them, on
   * the user's terminal; the merge driver never prints them.
   */
  readonly base?: TreeNode | undefined;
  readonly ours?: TreeNode | undefined;
  readonly theirs?: TreeNode | undefined;
  /** For recipients and settings: a description of each side (no secrets in it). */
  readonly oursText?: string;
  readonly theirsText?: string;
}

/** Which side wins a conflict. */
export type MergeChoice = "ours" | "theirs";

/** Decides a conflict (`hush git resolve`); without one, any conflict ends the merge. */
export type ConflictChooser = (c: MergeConflict) => MergeChoice | Promise<MergeChoice>;

/** The three versions, as stored (encrypted). */
export interface MergeInput {
  /** The common ancestor; "" when there is none (both sides added the file). */
  base: string;
  ours: string;
  theirs: string;
  format: MergeFormat;
}

export interface MergeOptions {
  env?: NodeJS.ProcessEnv;
  keyring?: Keyring;
  choose?: ConflictChooser;
  /**
   * The recipients both sides' committed `.sops.yaml` name for this file (git/committed-config.ts):
   * the result keeps no other (issue 14, attack 2). Undefined when no side has a rule: the
   * recipients then come from the files, and a note says they are unauthenticated.
   */
  allowedRecipients?: readonly KeySpec[];
}

/** What a merge came to. */
export type MergeOutcome =
  | {
      status: "merged";
      /** The merged file, encrypted. */
      text: string;
      /** False when the result is ours exactly (nothing to write). */
      changed: boolean;
      /** One-line remarks for stderr (a forced key rotation, …), secret-free. */
      notes: string[];
      /** Conflicts decided by the chooser. */
      resolved: MergeConflict[];
    }
  | { status: "conflict"; conflicts: MergeConflict[] };

/** One version, decrypted in memory. */
interface Version {
  encrypted: string;
  /** The plaintext text in the file's layout ("" for a missing base). */
  plain: string;
  tree: TreeMap;
  meta?: Metadata;
  dataKey?: Uint8Array;
  stash?: CiphertextStash;
  /** The document's indentation step (YAML), for new blocks. */
  step?: number;
}

async function open(text: string, format: MergeFormat, keyring: Keyring, allowEmpty: boolean): Promise<Version> {
  if (allowEmpty && text.trim() === "") return { encrypted: text, plain: "", tree: new Map() };
  const doc = parseDocument(text, format);
  if (doc.documentCount !== 1) throw new HushError("USAGE", "the semantic merge handles files of exactly one document");
  if (doc.rawMetadata() === undefined) throw new HushError("METADATA_NOT_FOUND", "a version of the file is not encrypted");
  const dec = await decryptHeld(text, { format, keyring });
  const plainDoc = parseDocument(dec.text, format);
  const step = (plainDoc as { indentStep?: unknown }).indentStep;
  return {
    encrypted: text,
    plain: dec.text,
    tree: plainDoc.trees()[0] ?? new Map(),
    meta: dec.metadata,
    dataKey: dec.dataKey,
    stash: dec.stash,
    ...(typeof step === "number" && step > 0 ? { step } : {}),
  };
}

// ---- tree comparison ----

const isMap = (n: TreeNode | undefined): n is TreeMap => n instanceof Map;

function sameValue(a: PlainValue | null, b: PlainValue | null): boolean {
  if (a === null || b === null) return a === b;
  return a.type === b.type && a.text === b.text;
}

/** Deep equality of trees; key order is not a change (ours' order is kept anyway). */
function sameNode(a: TreeNode | undefined, b: TreeNode | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!sameNode(v, b.get(k))) return false;
    return true;
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameNode(x, b[i]));
  if (b instanceof Map || Array.isArray(b)) return false;
  return sameValue(a.value, b.value);
}

/** A change to apply to ours' text: set the node at the path, or remove it (undefined). */
interface Edit {
  path: TreePath;
  node: TreeNode | undefined;
}

interface TreeMergeState {
  edits: Edit[];
  conflicts: MergeConflict[];
  resolved: MergeConflict[];
  choose: ConflictChooser | undefined;
}

/**
 * Three-way merge of maps by key: equal sides agree; a side equal to the base takes the other's;
 * two maps recurse; anything else (lists included: they are atomic) is a conflict. Returns the
 * merged map and records, in `st.edits`, theirs' changes to apply to ours' text.
 */
async function mergeMaps(o: TreeMap, a: TreeMap, b: TreeMap, path: string[], st: TreeMergeState): Promise<TreeMap> {
  const out: TreeMap = new Map();
  const keys = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
  for (const k of keys) {
    const ov = o.get(k);
    const av = a.get(k);
    const bv = b.get(k);
    const p = [...path, k];
    let take: TreeNode | undefined;
    if (sameNode(av, bv) || sameNode(bv, ov)) take = av;
    else if (sameNode(av, ov)) {
      take = bv;
      st.edits.push({ path: p, node: bv });
    } else if (isMap(av) && isMap(bv)) {
      take = await mergeMaps(isMap(ov) ? ov : new Map(), av, bv, p, st);
    } else {
      const conflict: MergeConflict = { kind: "value", label: formatTreePath(p), path: p, base: ov, ours: av, theirs: bv };
      if (!st.choose) {
        st.conflicts.push(conflict);
        take = av;
      } else {
        st.resolved.push(conflict);
        if ((await st.choose(conflict)) === "theirs") {
          take = bv;
          st.edits.push({ path: p, node: bv });
        } else take = av;
      }
    }
    if (take !== undefined) out.set(k, take);
  }
  return out;
}

// ---- recipients and settings ----

/** A recipient's identity across versions: kind and label (`age age1…`, `kms arn:…`). */
function recipientId(w: WrappedKey): string {
  return `${w.kind} ${entryLabel(w.kind, w.entry)}`;
}

function groupIds(meta: Metadata | undefined): string[][] {
  return meta ? meta.keyGroups.map((g) => g.map(recipientId)) : [];
}

function sameGroups(x: readonly string[][], y: readonly string[][]): boolean {
  return x.length === y.length && x.every((g, i) => g.length === y[i]!.length && g.every((id) => y[i]!.includes(id)));
}

/**
 * Recipients merge as sets, per key group: ours, plus those theirs added, minus those theirs
 * removed (those ours removed stay removed). Undefined when the groups themselves were changed
 * differently on both sides, or a group would end up empty.
 */
function mergeRecipients(o: string[][] | undefined, a: string[][], b: string[][]): string[][] | undefined {
  if (sameGroups(a, b)) return a;
  if (o && sameGroups(a, o)) return b;
  if (o && sameGroups(b, o)) return a;
  if (a.length !== b.length) return undefined;
  const out = a.map((ag, i) => {
    const og = o?.[i] ?? [];
    const bg = b[i]!;
    return [...ag.filter((id) => !(og.includes(id) && !bg.includes(id))), ...bg.filter((id) => !og.includes(id) && !ag.includes(id))];
  });
  return out.some((g) => g.length === 0) ? undefined : out;
}

function settingsOf(m: Metadata): string {
  return JSON.stringify([m.rules, m.macOnlyEncrypted, m.shamirThreshold]);
}

function describeSettings(m: Metadata): string {
  const parts = Object.entries(m.rules).map(([k, v]) => `${k}=${v}`);
  if (m.macOnlyEncrypted) parts.push("mac_only_encrypted");
  if (m.shamirThreshold) parts.push(`shamir_threshold=${m.shamirThreshold}`);
  return parts.join(", ");
}

/** Three-way choice of a plain value: the side that changed it wins; undefined when both did. */
function threeWay<T>(o: T | undefined, a: T, b: T): T | undefined {
  if (a === b || b === o) return a;
  if (a === o) return b;
  return undefined;
}

function sameKey(x: Uint8Array | undefined, y: Uint8Array | undefined): boolean {
  return x !== undefined && y !== undefined && x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Several stashes searched in turn (ours, then theirs, then base: every one made under the data
 * key the result uses), never handing out one ciphertext twice.
 */
class ChainedStash extends CiphertextStash {
  private readonly given = new Set<string>();
  constructor(private readonly parts: readonly CiphertextStash[]) {
    super();
  }
  override lookup(aad: string, v: PlainValue, nth = 0): string | undefined {
    for (const s of this.parts) {
      for (let enc = s.lookup(aad, v, nth); enc !== undefined; enc = s.lookup(aad, v, nth)) {
        if (!this.given.has(enc)) {
          this.given.add(enc);
          return enc;
        }
      }
    }
    return undefined;
  }
}

// ---- the merge ----

/**
 * Merges three encrypted versions of a file by key path. Throws (a `HushError`) when a version
 * cannot be read or decrypted; the merge driver then falls back to git's textual merge.
 */
export async function mergeEncrypted(input: MergeInput, opts: MergeOptions = {}): Promise<MergeOutcome> {
  const env = opts.env ?? process.env;
  const keyring = opts.keyring ?? new Keyring({ env });
  const { format } = input;
  const versions: Version[] = [];
  const fresh = new Uint8Array(32);
  try {
    // Opened one by one and kept as they come, so a failure on theirs still zeroes base's and ours' keys.
    versions.push(await open(input.base, format, keyring, true));
    versions.push(await open(input.ours, format, keyring, false));
    versions.push(await open(input.theirs, format, keyring, false));
    const [O, A, B] = versions as [Version, Version, Version];
    return await mergeVersions(O, A, B, format, env, opts.choose, fresh, opts.allowedRecipients);
  } finally {
    for (const v of versions) v.dataKey?.fill(0);
    fresh.fill(0);
  }
}

async function mergeVersions(
  O: Version,
  A: Version,
  B: Version,
  format: MergeFormat,
  env: NodeJS.ProcessEnv,
  choose: ConflictChooser | undefined,
  freshKey: Uint8Array,
  allowed: readonly KeySpec[] | undefined,
): Promise<MergeOutcome> {
  const hasBase = O.meta !== undefined;
  const aMeta = A.meta!;
  const bMeta = B.meta!;
  const st: TreeMergeState = { edits: [], conflicts: [], resolved: [], choose };
  const notes: string[] = [];

  const decide = async (c: MergeConflict): Promise<MergeChoice | undefined> => {
    if (!choose) {
      st.conflicts.push(c);
      return undefined;
    }
    st.resolved.push(c);
    return choose(c);
  };

  // Values.
  const tree = await mergeMaps(O.tree, A.tree, B.tree, [], st);

  // Recipients (as sets of ids, per key group).
  const oIds = hasBase ? groupIds(O.meta) : undefined;
  const aIds = groupIds(aMeta);
  const bIds = groupIds(bMeta);
  let groups = mergeRecipients(oIds, aIds, bIds);
  if (!groups) {
    const describe = (ids: string[][]) => ids.map((g) => g.join(", ")).join(" | ");
    const pick = await decide({ kind: "recipients", label: "sops recipients", oursText: describe(aIds), theirsText: describe(bIds) });
    groups = pick === "theirs" ? bIds : aIds;
  }

  // Only recipients a committed .sops.yaml names: the sops block is outside the MAC, so a side may
  // carry an entry a keyless writer added.
  const byId = new Map<string, WrappedKey>();
  for (const v of [A, B, O]) for (const g of v.meta?.keyGroups ?? []) for (const w of g) if (!byId.has(recipientId(w))) byId.set(recipientId(w), w);
  if (allowed !== undefined) {
    const outside = groups.flat().filter((id) => {
      const w = byId.get(id);
      return !w || !allowed.some((s) => specMatchesEntry(s, w.kind, w.entry));
    });
    if (outside.length > 0) {
      groups = groups.map((g) => g.filter((id) => !outside.includes(id)));
      if (groups.some((g) => g.length === 0)) {
        throw new HushError("CONFIG", "no recipient of a key group is named by either side's .sops.yaml");
      }
      notes.push(`left out ${[...new Set(outside)].join(", ")}: neither side's committed .sops.yaml names ${outside.length === 1 ? "it" : "them"}`);
    }
  } else {
    notes.push("no committed .sops.yaml rule names this file's recipients: they were taken from the files themselves (unauthenticated)");
  }

  // Encryption settings (selection rules, mac_only_encrypted, Shamir threshold) as one item.
  const aS = settingsOf(aMeta);
  const bS = settingsOf(bMeta);
  const sPick = threeWay(hasBase ? settingsOf(O.meta!) : undefined, aS, bS);
  let settingsFrom: Metadata = sPick === bS ? bMeta : aMeta;
  if (sPick === undefined) {
    const pick = await decide({ kind: "settings", label: "sops settings", oursText: describeSettings(aMeta), theirsText: describeSettings(bMeta) });
    settingsFrom = pick === "theirs" ? bMeta : aMeta;
  }
  const version = threeWay(O.meta?.version, aMeta.version, bMeta.version) ?? aMeta.version;

  if (st.conflicts.length > 0) return { status: "conflict", conflicts: st.conflicts };

  // The plaintext: ours' text with theirs' changes applied (ours' layout and comments kept).
  let plain: string;
  if (hasBase && A.plain === O.plain) plain = B.plain;
  else if ((hasBase && B.plain === O.plain) || B.plain === A.plain) plain = A.plain;
  else plain = applyEdits(A.plain, format, st.edits, A.step);
  const check = parseDocument(plain, format).trees()[0] ?? new Map();
  if (!sameNode(check, tree)) {
    throw new HushError("INTERNAL", "the merged document does not come out as intended (an edit hush cannot make in ours' layout)");
  }

  // The data key. Keep ours' (stable ciphertext); honour a rotation made on exactly one side; but a
  // rotated key must never reach a recipient the merge leaves out (the side that removed someone
  // rotated precisely to lock them out), so then draw a fresh key.
  const resultIds = new Set(groups.flat());
  const rotA = hasBase && !sameKey(A.dataKey, O.dataKey);
  const rotB = hasBase && !sameKey(B.dataKey, O.dataKey);
  let dataKey = rotB && !rotA ? B.dataKey! : A.dataKey!;
  const holders = [A, B, O].filter((v) => v.meta && sameKey(v.dataKey, dataKey));
  const rotated = hasBase && !sameKey(dataKey, O.dataKey);
  const leaks = rotated && holders.some((v) => groupIds(v.meta).flat().some((id) => !resultIds.has(id)));
  if (leaks) {
    randomFillSync(freshKey); // in place: no other buffer ever holds the key
    dataKey = freshKey;
    notes.push("a recipient removed on one side held the other side's new data key: the merged file gets a fresh data key (all values re-encrypted)");
  }
  const keyed = leaks ? [] : holders;

  // Wrapped keys: verbatim from a version with this key and the same recipients when there is one
  // (ours first), else re-used entry by entry, wrapping only for recipients that lack one.
  const entries = new Map<string, WrappedKey>();
  for (const v of [A, B, O]) for (const g of v.meta?.keyGroups ?? []) for (const w of g) if (!entries.has(recipientId(w))) entries.set(recipientId(w), w);
  let wrappedKeys: WrappedKey[][] | undefined;
  for (const v of keyed) {
    if (sameGroups(groupIds(v.meta), groups)) {
      wrappedKeys = v.meta!.keyGroups;
      break;
    }
  }
  const threshold = settingsFrom.shamirThreshold;
  if (!wrappedKeys) wrappedKeys = await wrapKeys(groups, dataKey, keyed, entries, threshold, env);

  // Nothing changed relative to ours (or theirs): keep that file byte for byte.
  for (const v of [A, B]) {
    const m = v.meta!;
    if (
      plain === v.plain &&
      sameKey(dataKey, v.dataKey) &&
      JSON.stringify(wrappedKeys) === JSON.stringify(m.keyGroups) &&
      settingsOf(settingsFrom) === settingsOf(m) &&
      version === m.version
    ) {
      return { status: "merged", text: v.encrypted, changed: v !== A, notes, resolved: st.resolved };
    }
  }

  const stash = leaks ? undefined : new ChainedStash(keyed.map((v) => v.stash!));
  const { text } = await encryptText(plain, {
    format,
    groups: [],
    dataKey,
    ...(stash ? { stash } : {}),
    wrappedKeys,
    rules: settingsFrom.rules,
    macOnlyEncrypted: settingsFrom.macOnlyEncrypted,
    shamirThreshold: settingsFrom.shamirThreshold,
    version: version || SOPS_VERSION,
  });
  // The result must decrypt, MAC included, to what was merged.
  const back = await decryptText(text, { format, dataKey });
  if (!sameNode(parseDocument(back.text, format).trees()[0] ?? new Map(), tree)) {
    throw new HushError("INTERNAL", "the merged file does not decrypt to the merged plaintext");
  }
  return { status: "merged", text, changed: true, notes, resolved: st.resolved };
}

/** Builds the key groups of the result under `dataKey`, re-using entries made under it. */
async function wrapKeys(
  groups: string[][],
  dataKey: Uint8Array,
  keyed: readonly Version[],
  entries: ReadonlyMap<string, WrappedKey>,
  threshold: number,
  env: NodeJS.ProcessEnv,
): Promise<WrappedKey[][]> {
  const known = (id: string) => {
    const w = entries.get(id);
    if (!w) throw new HushError("INTERNAL", `no key entry for recipient ${id}`);
    return w;
  };
  const build = (id: string): Promise<KeyRecipient> => {
    const w = known(id);
    return recipientFor(w.kind, specFromEntry(w.kind, w.entry), env);
  };
  const single = keyed.filter((v) => v.meta!.keyGroups.length === 1);
  if (groups.length === 1 && single.length > 0) {
    // One group: every entry made under this key wraps the key itself, so entries mix freely.
    const under = new Map<string, WrappedKey>();
    for (const v of single) for (const w of v.meta!.keyGroups[0] ?? []) if (!under.has(recipientId(w))) under.set(recipientId(w), w);
    const group = await Promise.all(
      groups[0]!.map(async (id) => under.get(id) ?? { kind: known(id).kind, entry: await wrapOne(await build(id), dataKey) }),
    );
    return [group];
  }
  // Several groups hold Shamir shares of one split; shares of different splits do not combine, so
  // a changed set of groups is split and wrapped anew. Entries keep their creation dates.
  const recipients = await Promise.all(groups.map((g) => Promise.all(g.map(build))));
  const wrapped = await wrapForGroups(dataKey, recipients, threshold);
  return wrapped.map((g, i) =>
    g.map((w, j) => {
      const old = known(groups[i]![j]!).entry;
      return typeof old["created_at"] === "string" && "created_at" in w.entry ? { kind: w.kind, entry: { ...w.entry, created_at: old["created_at"] } } : w;
    }),
  );
}

async function wrapOne(r: KeyRecipient, dataKey: Uint8Array): Promise<KeyEntry> {
  try {
    return await r.wrap(dataKey);
  } catch (e) {
    if (e instanceof HushError) throw e;
    throw new HushError("KEY_SOURCE", `could not wrap the data key for ${r.kind} ${r.id}`, undefined, { cause: e });
  }
}

/** Applies theirs' changes to ours' plaintext text, one structural edit at a time. */
function applyEdits(text: string, format: MergeFormat, edits: readonly Edit[], step: number | undefined): string {
  let out = text;
  for (const e of edits) {
    if (e.node === undefined) out = unsetAtPath(out, format, e.path, step) ?? out;
    else out = setAtPath(out, format, e.path, e.node, step);
  }
  return out;
}
