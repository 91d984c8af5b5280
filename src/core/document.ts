/**
 * The pipeline every command shares: decrypt a parsed document in place (unwrap the data key,
 * decrypt each selected leaf with its path as additional data, check the MAC) and encrypt one
 * (encrypt each selected leaf, MAC, wrap the data key for every recipient).
 */
import { createHash, randomBytes } from "node:crypto";
import { HushError } from "../errors.js";
import { warn } from "../util/warn.js";
import type { FormatDocument, Leaf } from "../formats/format.js";
import type { KeyRecipient } from "../keys/key-source.js";
import { Keyring, unwrapDataKey } from "../keys/registry.js";
import { checkDataKey, decryptValue, encryptValue, isEncrypted, randomIvSource, type IvSource } from "./cipher.js";
import { canonicalLastModified, MacBuilder, nowLastModified } from "./mac.js";
import { metadataToNode, readMetadata } from "./metadata.js";
import { SOPS_VERSION, type Metadata, type SelectionRules, type WrappedKey } from "../model/metadata.js";
import { selector } from "./selection.js";
import type { PlainValue } from "../model/value.js";

/** The additional data of a path: `a:b:` (sops joins map keys with `:` and adds one). */
export function aadOf(path: readonly string[]): string {
  return path.length === 0 ? ":" : `${path.join(":")}:`;
}

/**
 * Ciphertexts seen while decrypting, by (path, type, plaintext), so that a rewrite can copy an
 * unchanged value's ciphertext verbatim. Keys are hashed: the map holds no plaintext.
 */
export class CiphertextStash {
  private readonly exact = new Map<string, string>();
  private readonly byValue = new Map<string, string[]>();
  private readonly used = new Set<string>();
  /** Recorded but not yet indexed: decrypt-only runs never pay for hashing. */
  private pending: [aad: string, v: PlainValue, enc: string, nth: number][] = [];
  private static key(aad: string, v: PlainValue): string {
    // By bytes when the text is lossy: two binary contents can decode to the same text.
    const h = createHash("sha256").update(aad).update("\0").update(v.type).update("\0");
    return (v.bytes ? h.update("\0bytes\0").update(v.bytes) : h.update(v.text)).digest("base64");
  }
  /** `nth` counts earlier leaves at the same path (list items share their list's path). */
  record(aad: string, v: PlainValue, enc: string, nth = 0): void {
    this.pending.push([aad, v, enc, nth]);
  }
  private index(): void {
    for (const [aad, v, enc, nth] of this.pending) {
      const k = CiphertextStash.key(aad, v);
      this.exact.set(`${k}#${nth}`, enc);
      const list = this.byValue.get(k);
      if (list) list.push(enc);
      else this.byValue.set(k, [enc]);
    }
    this.pending = [];
  }
  /**
   * The ciphertext this value had at this path and position; else an unused one it had at this
   * path (a list item that moved); else undefined, and a fresh one is drawn.
   */
  lookup(aad: string, v: PlainValue, nth = 0): string | undefined {
    if (this.pending.length > 0) this.index();
    const k = CiphertextStash.key(aad, v);
    const exact = this.exact.get(`${k}#${nth}`);
    if (exact !== undefined && !this.used.has(exact)) {
      this.used.add(exact);
      return exact;
    }
    const free = this.byValue.get(k)?.find((e) => !this.used.has(e));
    if (free !== undefined) this.used.add(free);
    return free;
  }
  get size(): number {
    return this.byValue.size + this.pending.length;
  }
}

/** Counts leaves per path in file order, for {@link CiphertextStash} positions. */
function counter(): (aad: string, kind: string) => number {
  // One map per kind: no key string to build and hash per leaf (it showed in decrypt profiles).
  const seen = new Map<string, Map<string, number>>();
  return (aad, kind) => {
    let perKind = seen.get(kind);
    if (!perKind) seen.set(kind, (perKind = new Map()));
    const n = perKind.get(aad) ?? 0;
    perKind.set(aad, n + 1);
    return n;
  };
}

export interface DecryptOptions {
  keyring?: Keyring;
  /** Skip MAC verification (sops's `--ignore-mac`). */
  ignoreMac?: boolean;
  /** Use this data key instead of unwrapping one (tests, tools that already hold it). */
  dataKey?: Uint8Array;
  /**
   * false: record no ciphertexts (the result's stash stays empty). For a plain decrypt that
   * rewrites nothing: the stash holds a few hundred bytes per value until the output is written.
   */
  stash?: boolean;
}

export interface DecryptResult {
  metadata: Metadata;
  dataKey: Uint8Array;
  /** Ciphertexts of the values as they were, for stable rewrites. */
  stash: CiphertextStash;
}

/** Reads the metadata of an encrypted document; a clear error when it has none. */
export function metadataOf(doc: FormatDocument): Metadata {
  const raw = doc.rawMetadata();
  if (raw === undefined) {
    throw new HushError("METADATA_NOT_FOUND", "sops metadata not found: the file is not encrypted", "encrypt it first with `hush encrypt`");
  }
  return readMetadata(raw);
}

/** Decrypts `doc` in place and removes its metadata. Throws on a wrong key or a bad MAC. */
export async function decryptDocument(doc: FormatDocument, options: DecryptOptions = {}): Promise<DecryptResult> {
  const metadata = metadataOf(doc);
  const dataKey = options.dataKey ?? (await unwrapDataKey(metadata, options.keyring ?? new Keyring()));
  checkDataKey(dataKey);
  const stash = new CiphertextStash();
  const computed = decryptLeaves(doc.leaves(), metadata, dataKey, options.stash === false ? undefined : stash);
  if (!options.ignoreMac) verifyMac(metadata, dataKey, computed);
  doc.setMetadata(undefined);
  return { metadata, dataKey, stash };
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? "the top level" : path.map((k) => JSON.stringify(k)).join(".");
}

function decryptLeaves(leaves: readonly Leaf[], meta: Metadata, key: Uint8Array, stash: CiphertextStash | undefined): string {
  const sel = selector(meta.rules);
  const mac = new MacBuilder(meta.macOnlyEncrypted);
  const nth = counter();
  for (const leaf of leaves) {
    const encrypted = sel.encrypts(leaf.path, leaf.commentStack, leaf.kind === "comment");
    const aad = aadOf(leaf.path);
    // Positions only matter to the stash; counting hashes every path (~6% of a plain decrypt).
    const position = stash ? nth(aad, leaf.kind) : 0;
    if (leaf.kind === "comment") {
      if (encrypted && isEncrypted(leaf.value.text)) decryptComment(leaf, key, stash, position);
      continue;
    }
    if (!encrypted) {
      mac.add(leaf.value, false);
      continue;
    }
    if (leaf.value.type !== "str") {
      throw new HushError("DECRYPT_TREE", `value at ${describePath(leaf.path)} should be encrypted but is a plain ${leaf.value.type}`);
    }
    if (leaf.value.text === "") {
      // sops never encrypts empty strings; Decrypt("") is "".
      mac.add(leaf.value, true);
      continue;
    }
    let plain: PlainValue;
    try {
      plain = decryptValue(key, leaf.value.text, aad);
    } catch (e) {
      if (e instanceof HushError) {
        throw new HushError("DECRYPT_TREE", `cannot decrypt the value at ${describePath(leaf.path)}: ${e.message}`, undefined, { cause: e });
      }
      throw e;
    }
    stash?.record(aad, plain, leaf.value.text, position);
    mac.add(plain, true);
    leaf.set(plain.type === "bytes" ? { ...plain, type: "str" } : plain);
  }
  return mac.digest();
}

/** Comments written by old sops versions are plaintext; one that does not decrypt is kept as is. */
function decryptComment(leaf: Leaf, key: Uint8Array, stash: CiphertextStash | undefined, position: number): void {
  for (const path of [leaf.path, ...(leaf.altPaths ?? [])]) {
    try {
      const plain = decryptValue(key, leaf.value.text, aadOf(path));
      stash?.record(aadOf(leaf.path), { type: "comment", text: plain.text }, leaf.value.text, position);
      leaf.set({ type: "comment", text: plain.text });
      return;
    } catch {
      // try the next candidate path
    }
  }
  // Comments are outside the MAC: one that looks encrypted but does not decrypt was altered (or
  // copied from another file). Kept as it is, as sops keeps it, but not silently.
  warn(`the encrypted comment under ${describePath(leaf.path)} does not decrypt (altered, or copied from another file); it is kept as it is`);
}

/** Checks the MAC computed over the leaves against the one stored (encrypted) in the metadata. */
export function verifyMac(meta: Metadata, key: Uint8Array, computed: string): void {
  if (meta.mac === "") {
    // Exit 51 as in sops: its MacNotFound (52) is defined but never used; a missing MAC decrypts
    // to "" and fails as a mismatch (SOPS-FORMAT.md §"MAC", exit codes table).
    throw new HushError("MAC_MISMATCH", "MAC mismatch: the file has no MAC", "decrypt with --ignore-mac if you trust the file");
  }
  const aad = canonicalLastModified(meta.lastModified)!;
  let stored: string;
  try {
    stored = decryptValue(key, meta.mac, aad).text;
  } catch {
    throw new HushError(
      "MAC_MISMATCH",
      "cannot decrypt the MAC: the file's mac or lastmodified was altered",
      "decrypt with --ignore-mac if you trust the file",
    );
  }
  if (stored !== computed) {
    throw new HushError(
      "MAC_MISMATCH",
      "MAC mismatch: the file's values or their order were changed outside sops/hush",
      "decrypt with --ignore-mac if you trust the file",
    );
  }
}

export interface EncryptOptions {
  /** Recipients, one list per key group (one group is the usual case). */
  groups: readonly (readonly KeyRecipient[])[];
  rules?: SelectionRules;
  macOnlyEncrypted?: boolean;
  shamirThreshold?: number;
  /** An existing data key (rewrites keep it); a fresh random one otherwise. */
  dataKey?: Uint8Array;
  /** Existing wrapped keys to keep as they are (rewrites), instead of wrapping anew. */
  wrappedKeys?: WrappedKey[][];
  /** Ciphertexts to reuse for unchanged values (stable ciphertext). */
  stash?: CiphertextStash;
  ivSource?: IvSource;
  now?: Date;
  version?: string;
}

/** Encrypts `doc` in place and appends its metadata. Returns the metadata written. */
export async function encryptDocument(doc: FormatDocument, options: EncryptOptions): Promise<Metadata> {
  if (doc.rawMetadata() !== undefined) {
    throw new HushError("ALREADY_ENCRYPTED", "the file is already encrypted (it has a sops metadata block)", "use `hush edit` or `hush set` to change it");
  }
  if (doc.documentCount === 0) throw new HushError("NEED_ONE_DOCUMENT", "the file is empty: there is nothing to encrypt");
  // A single-value document (binary) ignores the rules and records none, as sops ≥ 3.11 does.
  const rules = encryptionRules(options.rules, doc.singleValue);
  const dataKey = options.dataKey ?? new Uint8Array(randomBytes(32));
  checkDataKey(dataKey);
  const ivs = options.ivSource ?? randomIvSource();
  const macHex = encryptLeaves(doc.leaves(), rules, options.macOnlyEncrypted ?? false, dataKey, ivs, options.stash);
  const metadata = await sealMetadata(macHex, rules, dataKey, ivs, options);
  doc.setMetadata(metadataToNode(metadata));
  return metadata;
}

/**
 * The selection rules an encryption records: none for a single-value document (binary), as
 * sops ≥ 3.11; else the ones given, or sops's default `unencrypted_suffix: _unencrypted`.
 */
export function encryptionRules(rules: SelectionRules | undefined, singleValue = false): SelectionRules {
  return singleValue ? {} : rules && Object.keys(rules).length > 0 ? rules : { unencrypted_suffix: "_unencrypted" };
}

/**
 * The metadata of a document whose values are encrypted and whose MAC is `macHex`: the MAC
 * encrypted with `lastmodified` as additional data (after every value's IV), the data key wrapped
 * for every recipient (or the given wrapped keys kept). Shared by {@link encryptDocument} and the
 * lean encrypt (`lean-encrypt.ts`).
 */
export async function sealMetadata(macHex: string, rules: SelectionRules, dataKey: Uint8Array, ivs: IvSource, options: EncryptOptions): Promise<Metadata> {
  const lastModified = nowLastModified(options.now);
  const mac = encryptValue(dataKey, { type: "str", text: macHex }, lastModified, ivs());
  const keyGroups = options.wrappedKeys ?? (await wrapForGroups(dataKey, options.groups, options.shamirThreshold ?? 0));
  return {
    keyGroups,
    // As sops: with several groups an unset threshold becomes "all groups" and is written
    // (`UpdateMasterKeysWithKeyServices` stores it back); a threshold given for one group is kept
    // as given (the metadata carries it; decryption ignores it).
    shamirThreshold: keyGroups.length > 1 ? options.shamirThreshold || keyGroups.length : (options.shamirThreshold ?? 0),
    lastModified,
    mac,
    rules,
    macOnlyEncrypted: options.macOnlyEncrypted ?? false,
    version: options.version ?? SOPS_VERSION,
  };
}

function encryptLeaves(
  leaves: readonly Leaf[],
  rules: SelectionRules,
  macOnlyEncrypted: boolean,
  key: Uint8Array,
  ivs: IvSource,
  stash: CiphertextStash | undefined,
): string {
  const sel = selector(rules);
  const mac = new MacBuilder(macOnlyEncrypted);
  const nth = counter();
  for (const leaf of leaves) {
    const encrypted = sel.encrypts(leaf.path, leaf.commentStack, leaf.kind === "comment");
    const aad = aadOf(leaf.path);
    const position = stash ? nth(aad, leaf.kind) : 0; // only the stash needs positions
    if (leaf.kind === "comment") {
      // Comments inside lists stay in clear: sops turns them into list items and then fails its
      // own MAC check on them (SOPS-FORMAT §14-Q8).
      if (encrypted && !leaf.inList && leaf.value.text !== "") leaf.set({ type: "comment", text: seal(aad, leaf.value, position) });
      continue;
    }
    mac.add(leaf.value, encrypted);
    if (encrypted && leaf.value.text !== "") leaf.set({ type: "str", text: seal(aad, leaf.value, position) });
  }
  return mac.digest();

  function seal(aad: string, value: PlainValue, position: number): string {
    return stash?.lookup(aad, value, position) ?? encryptValue(key, value, aad, ivs());
  }
}

/** Wraps the data key (or, for several groups, one Shamir share per group) for every recipient. */
export async function wrapForGroups(
  dataKey: Uint8Array,
  groups: readonly (readonly KeyRecipient[])[],
  threshold: number,
): Promise<WrappedKey[][]> {
  const nonEmpty = groups.filter((g) => g.length > 0);
  if (nonEmpty.length === 0) {
    throw new HushError(
      "NO_ENCRYPTION_KEY",
      "no recipients: give --age (or SOPS_AGE_RECIPIENTS), or a .sops.yaml creation rule with keys",
    );
  }
  if (nonEmpty.length !== groups.length) throw new HushError("CONFIG", "a key group has no keys");
  let parts: Uint8Array[];
  if (groups.length === 1) parts = [dataKey];
  else {
    const { split } = await import("../keys/shamir.js");
    parts = split(dataKey, groups.length, threshold || groups.length);
  }
  return Promise.all(
    groups.map((g, i) =>
      Promise.all(
        g.map(async (r) => {
          try {
            return { kind: r.kind, entry: await r.wrap(parts[i]!) };
          } catch (e) {
            if (e instanceof HushError) throw e;
            throw new HushError("KEY_SOURCE", `could not wrap the data key for ${r.kind} ${r.id}`, undefined, { cause: e });
          }
        }),
      ),
    ),
  );
}
