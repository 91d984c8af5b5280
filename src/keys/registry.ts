/**
 * Key services by kind, loaded lazily through their descriptors (`keys/index.ts`): an age-only
 * file never loads a cloud SDK or openpgp.
 */
import { HushError } from "../errors.js";
import type { KeyKind, Metadata, WrappedKey } from "../model/metadata.js";
import type { KeyRecipient, LoadedUnwrapper, RecipientSpec } from "./key-source.js";
import { entryId, keyService } from "./index.js";
import { EndpointTrust } from "./trust.js";

/** Where decryption keys come from (the environment, by default). */
export interface KeyringOptions {
  env?: NodeJS.ProcessEnv;
  /** Kinds to try first, in order (sops's `--decryption-order`; default age, pgp). */
  decryptionOrder?: readonly KeyKind[];
  /** Which endpoints a file may make hush contact (default: the environment's and `.sops.yaml`'s; see keys/trust.ts). */
  trust?: EndpointTrust;
}

export type { LoadedUnwrapper, RecipientSpec };

/** The recipient for a spec of a kind; the service's client file is imported now. */
export async function recipientFor(kind: KeyKind, spec: RecipientSpec, env: NodeJS.ProcessEnv = process.env): Promise<KeyRecipient> {
  const client = await keyService(kind).load();
  return client.recipient(spec, env);
}

/** Loads unwrappers on first use and keeps them for the run (one load per kind). */
export class Keyring {
  private readonly loaded = new Map<KeyKind, Promise<LoadedUnwrapper>>();
  private readonly env: NodeJS.ProcessEnv;
  readonly order: readonly KeyKind[];
  /** The endpoint policy applied before any entry is handed to its key service. */
  readonly trust: EndpointTrust;

  constructor(options: KeyringOptions = {}) {
    this.env = options.env ?? process.env;
    this.order = options.decryptionOrder ?? ["age", "pgp"];
    this.trust = options.trust ?? new EndpointTrust({ env: this.env });
  }

  /** The unwrapper for a kind, loaded (with its service's client) on first use. */
  unwrapper(kind: KeyKind): Promise<LoadedUnwrapper> {
    let p = this.loaded.get(kind);
    if (!p) {
      p = keyService(kind).load().then((c) => c.unwrapper(this.env));
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
      // An endpoint only the file names (outside the MAC) is never contacted (keys/trust.ts).
      const refused = await keyring.trust.refusal(w.kind, w.entry);
      if (refused) {
        reasons.push(`${id}: ${refused}`);
        continue;
      }
      const u = await keyring.unwrapper(w.kind);
      try {
        const key = await u.unwrap(w.entry);
        if (key) {
          parts.push(key);
          break;
        }
        reasons.push(`${id}: ${u.describe()}`);
      } catch (e) {
        reasons.push(`${id}: ${e instanceof HushError ? e.message : "unexpected failure"}`);
      } finally {
        // After the attempt: some sources (age's per-entry commands, passphrase files) report then.
        for (const p of u.problems) problems.add(p);
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
