/**
 * The age identities as the public library shows them. `keys/age-client.ts` returns its
 * `AgeIdentitySet`, whose constructor and helpers name internal types (SSH keys held as
 * `node:crypto` `KeyObject`s and `Buffer`s); the published types must compile without
 * @types/node (issue 17), so the library's `loadAgeIdentities` promises only this interface.
 */
import type { KeyUnwrapper } from "../keys/key-source.js";
import { loadAgeIdentities as loadAgeIdentitySet } from "../keys/age-client.js";

/** The age identities found in the environment, as sops would find them. */
export interface AgeIdentities extends KeyUnwrapper {
  readonly kind: "age";
  /** Problems met while loading, one line each, free of secrets. */
  readonly problems: readonly string[];
  /** How many distinct identities were loaded. */
  readonly count: number;
  /** The public keys (`age1…`, `age1pq1…`) of the identities held, in load order. */
  recipients(): Promise<string[]>;
}

/**
 * Loads every age identity sops would (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, the
 * default keys file) from `env` (default `process.env`). Never throws for a missing or broken
 * source: the problem is listed in `problems`.
 */
export function loadAgeIdentities(env?: NodeJS.ProcessEnv): Promise<AgeIdentities> {
  return loadAgeIdentitySet(env);
}
