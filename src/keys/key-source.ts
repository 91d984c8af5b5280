/**
 * The contract every key service implements (age, PGP, AWS KMS, GCP KMS, Vault transit, Azure Key
 * Vault). Modelled on age's Recipient/Identity: stateless, one job each.
 */

import type { KeyEntry, KeyKind } from "../model/metadata.js";

export type { KeyEntry, KeyKind };

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

/**
 * A recipient as the CLI or `.sops.yaml` names it: a string (`age1…`, a fingerprint, an ARN with
 * `+role`, a Vault or Key Vault URL, `region:uuid`) or, inside `key_groups`, an object (`{arn, role,
 * context, aws_profile}`).
 */
export type RecipientSpec = string | Readonly<Record<string, unknown>>;

/** Something that can be asked to unwrap entries, with a description of why it could not. */
export interface LoadedUnwrapper extends KeyUnwrapper {
  /** One line on what this source holds, for "no key could decrypt" messages. */
  describe(): string;
  /** Load problems worth reporting when nothing decrypted (unreadable key files, …). */
  readonly problems: readonly string[];
}

/**
 * What a key service's client file (`keys/<service>-client.ts`) provides, loaded lazily by its
 * descriptor: the only place a cloud SDK, openpgp or the age library is imported.
 */
export interface KeyClient {
  /** A recipient for a spec; throws HushError for a malformed spec. */
  recipient(spec: RecipientSpec, env: NodeJS.ProcessEnv): KeyRecipient | Promise<KeyRecipient>;
  /** The decryption side: identities, a keyring or a service client, read from `env`. */
  unwrapper(env: NodeJS.ProcessEnv): Promise<LoadedUnwrapper>;
}
