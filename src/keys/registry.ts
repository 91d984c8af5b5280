/**
 * Key services by kind, loaded lazily: an age-only file never loads a cloud SDK or openpgp.
 * Adding a key service is one module plus one line in {@link UNWRAPPER_LOADERS}.
 */
import { HushError } from "../errors.js";
import { KEY_KINDS_LOAD_ORDER, type KeyEntry, type KeyKind, type Metadata, type WrappedKey } from "../model/metadata.js";
import { entryId, type KeyRecipient, type KeyUnwrapper } from "./key-source.js";

/** Where decryption keys come from (the environment, by default). */
export interface KeyringOptions {
  env?: NodeJS.ProcessEnv;
  /** Kinds to try first, in order (sops's `--decryption-order`; default age, pgp). */
  decryptionOrder?: readonly KeyKind[];
}

/** Something that can be asked to unwrap entries, with a description of why it could not. */
export interface LoadedUnwrapper extends KeyUnwrapper {
  /** One line on what this source holds, for "no key could decrypt" messages. */
  describe(): string;
  /** Load problems worth reporting when nothing decrypted (unreadable key files, …). */
  readonly problems: readonly string[];
}

type Loader = (env: NodeJS.ProcessEnv) => Promise<LoadedUnwrapper>;

const UNWRAPPER_LOADERS: Partial<Record<KeyKind, Loader>> = {
  age: async (env) => {
    const { loadAgeIdentities } = await import("./age.js");
    const set = await loadAgeIdentities(env);
    return {
      kind: "age",
      problems: set.problems,
      unwrap: (entry: KeyEntry) => set.unwrap(entry),
      describe: () =>
        set.count === 0
          ? "no age identity found (set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or SOPS_AGE_KEY_CMD, or create ~/.config/sops/age/keys.txt)"
          : `none of the ${set.count} age ${set.count === 1 ? "identity" : "identities"} loaded matches`,
    };
  },
  pgp: async (env) => (await import("./pgp.js")).loadPgpKeyring(env),
  hc_vault: async (env) => (await import("./vault.js")).loadVaultUnwrapper(env),
  kms: async (env) => (await import("./aws-kms.js")).loadKmsUnwrapper(env),
  gcp_kms: async (env) => (await import("./gcp-kms.js")).loadGcpKmsUnwrapper(env),
  azure_kv: async (env) => (await import("./azure-kv.js")).loadAzureKvUnwrapper(env),
};

/**
 * A recipient as the CLI or `.sops.yaml` names it: a string (`age1…`, a fingerprint, an ARN with
 * `+role`, a Vault or Key Vault URL) or, inside `key_groups`, an object (`{arn, role, context,
 * aws_profile}`, `{resource_id}`, `{vaultUrl, key, version}`).
 */
export type RecipientSpec = string | Readonly<Record<string, unknown>>;

type RecipientLoader = (spec: RecipientSpec, env: NodeJS.ProcessEnv) => Promise<KeyRecipient>;

/** Builds recipients by kind; each key service module is imported only when used. */
const RECIPIENT_LOADERS: Partial<Record<KeyKind, RecipientLoader>> = {
  age: async (spec) => {
    const { ageRecipient } = await import("./age.js");
    if (typeof spec !== "string") throw new HushError("CONFIG", "an age recipient must be a string (age1…)");
    return ageRecipient(spec.trim());
  },
  pgp: async (spec, env) => (await import("./pgp.js")).pgpRecipient(spec, env),
  hc_vault: async (spec, env) => (await import("./vault.js")).vaultRecipient(spec, env),
  kms: async (spec, env) => (await import("./aws-kms.js")).kmsRecipient(spec, env),
  gcp_kms: async (spec, env) => (await import("./gcp-kms.js")).gcpKmsRecipient(spec, env),
  azure_kv: async (spec, env) => (await import("./azure-kv.js")).azureKvRecipient(spec, env),
};

/** The recipient for a spec of a kind, or a clear error when hush does not support the kind yet. */
export async function recipientFor(kind: KeyKind, spec: RecipientSpec, env: NodeJS.ProcessEnv = process.env): Promise<KeyRecipient> {
  const loader = RECIPIENT_LOADERS[kind];
  if (!loader) throw new HushError("USAGE", `${kind} keys are not supported by this version of hush`);
  return loader(spec, env);
}

/** Loads unwrappers on first use and keeps them for the run (one load per kind). */
export class Keyring {
  private readonly loaded = new Map<KeyKind, Promise<LoadedUnwrapper | undefined>>();
  private readonly env: NodeJS.ProcessEnv;
  readonly order: readonly KeyKind[];

  constructor(options: KeyringOptions = {}) {
    this.env = options.env ?? process.env;
    this.order = options.decryptionOrder ?? ["age", "pgp"];
  }

  /** The unwrapper for a kind, or undefined when hush has no support for that kind yet. */
  unwrapper(kind: KeyKind): Promise<LoadedUnwrapper | undefined> {
    let p = this.loaded.get(kind);
    if (!p) {
      const loader = UNWRAPPER_LOADERS[kind];
      p = loader ? loader(this.env) : Promise.resolve(undefined);
      this.loaded.set(kind, p);
    }
    return p;
  }
}

/** Sorts a group's keys: listed kinds first in the given order, the rest in file order (sops §8.2). */
function ordered(group: readonly WrappedKey[], order: readonly KeyKind[]): WrappedKey[] {
  const rank = (k: KeyKind) => {
    const i = order.indexOf(k);
    return i === -1 ? order.length : i;
  };
  return group
    .map((w, i) => ({ w, i }))
    .sort((a, b) => rank(a.w.kind) - rank(b.w.kind) || a.i - b.i)
    .map((x) => x.w);
}

/**
 * Recovers the data key: in each group, the first key that unwraps wins; one group gives the key
 * itself, several give Shamir shares combined at the threshold. On failure the error lists every
 * key tried with its reason.
 */
export async function unwrapDataKey(meta: Metadata, keyring: Keyring): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reasons: string[] = [];
  const problems = new Set<string>();
  for (const group of meta.keyGroups) {
    for (const w of ordered(group, keyring.order)) {
      const id = `${w.kind} ${shortId(entryId(w.kind, w.entry))}`;
      const u = await keyring.unwrapper(w.kind);
      if (!u) {
        reasons.push(`${id}: ${w.kind} keys are not supported by this version of hush`);
        continue;
      }
      for (const p of u.problems) problems.add(p);
      try {
        const key = await u.unwrap(w.entry);
        if (key) {
          parts.push(key);
          break;
        }
        reasons.push(`${id}: ${u.describe()}`);
      } catch (e) {
        reasons.push(`${id}: ${e instanceof HushError ? e.message : "unexpected failure"}`);
      }
    }
    if (meta.keyGroups.length === 1 && parts.length === 1) return parts[0]!;
  }
  if (meta.keyGroups.length > 1) {
    const threshold = meta.shamirThreshold || meta.keyGroups.length;
    if (parts.length >= threshold) {
      const { combine } = await import("./shamir.js");
      return combine(parts);
    }
    reasons.unshift(`${parts.length} of ${meta.keyGroups.length} key groups decrypted, ${threshold} needed`);
  }
  const extra = problems.size > 0 ? ` (${[...problems].join("; ")})` : "";
  throw new HushError(
    "COULD_NOT_RETRIEVE_KEY",
    `could not decrypt the data key: ${reasons.join("; ")}${extra}`,
    "hush needs the private key of one of the file's recipients; `hush decrypt --help` lists where it looks",
  );
}

function shortId(id: string): string {
  return id.length > 72 ? `${id.slice(0, 69)}…` : id;
}

export { KEY_KINDS_LOAD_ORDER };
