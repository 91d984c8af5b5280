/**
 * The `sops` metadata block as plain data (SOPS-FORMAT §7): the parsed shape every layer passes
 * around, the key kinds it lists, and the ordered tree the formats write. Reading and writing it
 * (`readMetadata`, `metadataToNode`) live in `core/metadata.ts`.
 */

/** The sops format version hush writes; sops itself then leaves the file's `version` alone. */
export const SOPS_VERSION = "3.13.2";

/**
 * The metadata list names, which are also the key kinds: one per key service descriptor in
 * `keys/index.ts` (the compiler checks the two agree).
 */
export type KeyKind = "age" | "pgp" | "kms" | "gcp_kms" | "hc_vault" | "azure_kv" | "hckms";

/** One entry of a key list in the `sops` metadata, as stored (field names are sops's). */
export type KeyEntry = Readonly<Record<string, unknown>>;

/** One wrapped copy of the data key (or of a Shamir share), as stored. */
export interface WrappedKey {
  readonly kind: KeyKind;
  readonly entry: KeyEntry;
}

/** Which leaves stay in clear (SOPS-FORMAT §5). At most one rule may be set. */
export interface SelectionRules {
  unencrypted_suffix?: string;
  encrypted_suffix?: string;
  unencrypted_regex?: string;
  encrypted_regex?: string;
  unencrypted_comment_regex?: string;
  encrypted_comment_regex?: string;
}

/** The selection rule names, in the order sops checks them. */
export const RULE_NAMES = [
  "unencrypted_suffix",
  "encrypted_suffix",
  "unencrypted_regex",
  "encrypted_regex",
  "unencrypted_comment_regex",
  "encrypted_comment_regex",
] as const satisfies readonly (keyof SelectionRules)[];

/** The parsed metadata of an encrypted file. */
export interface Metadata {
  /** One list per key group; a file without `key_groups` has exactly one group. */
  keyGroups: WrappedKey[][];
  /** 0 when unset. */
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  rules: SelectionRules;
  macOnlyEncrypted: boolean;
  version: string;
}

/** An ordered tree for emission: maps keep insertion order (already sorted). */
export type MetaNode = string | number | boolean | MetaNode[] | Map<string, MetaNode>;

/**
 * The `sops` block ready to write: every map sorted as sops 3.13 sorts it, empty optional fields
 * left out (what `metadataToNode` returns). Formats write it as it is and know nothing else of it.
 */
export type MetadataBlock = Map<string, MetaNode>;
