/**
 * The contract every key service implements (age, PGP, AWS KMS, GCP KMS, Vault transit, Azure Key
 * Vault). Modelled on age's Recipient/Identity: stateless, one job each.
 */

import type { KeyEntry, KeyKind } from "../model/metadata.js";

/** Wraps the data key for one recipient. */
export interface KeyRecipient {
  readonly kind: KeyKind;
  /** A stable, human readable id: `age1…`, a PGP fingerprint, a KMS ARN, … */
  readonly id: string;
  /** Wraps `dataKey` (or a Shamir share) and returns the metadata entry sops would store. */
  wrap(dataKey: Uint8Array): Promise<KeyEntry>;
}

/**
 * Something that may be able to unwrap the data key from metadata entries of one kind: a set of
 * age identities, a PGP keyring, a KMS client.
 */
export interface KeyUnwrapper {
  readonly kind: KeyKind;
  /**
   * Returns the unwrapped key, or `null` when this entry is not for any key we hold (for example an
   * age entry for another recipient). Throws a `HushError` only when the entry is ours but
   * unwrapping fails (corrupt entry, network error, access denied).
   */
  unwrap(entry: KeyEntry): Promise<Uint8Array | null>;
}

/** The recipient id of an entry, for messages ("age1…", "FBC7…"). */
export function entryId(kind: KeyKind, entry: KeyEntry): string {
  const field: Record<KeyKind, string> = {
    age: "recipient",
    pgp: "fp",
    kms: "arn",
    gcp_kms: "resource_id",
    hc_vault: "key_name",
    azure_kv: "name",
    hckms: "key_id",
  };
  const v = entry[field[kind]];
  return typeof v === "string" ? v : "(unknown)";
}
