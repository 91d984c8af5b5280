/**
 * Recipients as data: the `{kind, spec}` pairs that `.sops.yaml` and the key flags name, before any
 * key service module is loaded. Building the real recipients is `recipientFor(kind, spec)` in
 * `keys/registry.ts`; this module only splits, trims and orders the way sops does (each service's
 * descriptor says how), so that the order and duplicates of the written metadata match sops's.
 */
import type { KeyKind } from "../model/metadata.js";
import type { RecipientSpec } from "../keys/key-source.js";
import { camelCase, keyService, parseKmsContext, SERVICES_FLAG_ORDER } from "../keys/index.js";
import type { KmsContext, SpecOptions } from "../keys/service.js";

export { parseKmsContext } from "../keys/index.js";
export { splitList } from "../keys/service.js";
export type { KmsContext };

/** One recipient named by the config or the command line, not yet built. */
export interface KeySpec {
  readonly kind: KeyKind;
  /**
   * A string for every kind (`age1…`, a fingerprint, a resource id, a Key Vault or Vault URL,
   * `region:uuid`) except `kms`, which is `{arn, role, aws_profile, context}`: the ARN string syntax
   * `arn+arn:aws:iam::…:role/r` is split here so that a profile and a context can travel with it.
   */
  readonly spec: RecipientSpec;
}

/** Specs of one kind from a comma-separated string, normalised as sops's per-kind parsers do. */
export function specsFromString(kind: KeyKind, csv: string, options: SpecOptions = {}): KeySpec[] {
  return keyService(kind)
    .specsFromString(csv, options)
    .map((spec) => ({ kind, spec }));
}

/**
 * The identity sops deduplicates a config key group by (`%T/ToString()`), so that the same
 * recipient reached twice (directly and through `merge`) is wrapped once.
 */
function specKey(k: KeySpec): string {
  const s = keyService(k.kind);
  if (s.dedupKey) return `${k.kind}/${s.dedupKey(k.spec)}`;
  return typeof k.spec === "string" ? `${k.kind}/${k.spec}` : `${k.kind}/${JSON.stringify(k.spec)}`;
}

/** Removes later duplicates, keeping the first occurrence's place (`deduplicateKeygroup`). */
export function dedupGroup(group: readonly KeySpec[]): KeySpec[] {
  const seen = new Set<string>();
  return group.filter((k) => {
    const id = specKey(k);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * The key options of `encrypt`, `edit` and others, as commander hands them over: one entry per
 * flag of `keyFlagOptions()` (`age`, `gcpKms`, `awsProfile`, `encryptionContext`, …).
 */
export interface KeyFlags {
  readonly [flag: string]: unknown;
  awsProfile?: string;
  encryptionContext?: string;
}

/**
 * The single key group named by key flags or their environment variables, or undefined when none
 * is set (then the keys come from `.sops.yaml`). A flag wins over its variable; an empty value
 * counts as unset, as in sops. `--aws-profile` and `--encryption-context` apply to `--kms` keys.
 * The group is built in sops's order (`keyGroups` in main.go).
 */
export function keySpecsFromFlags(flags: KeyFlags, env: NodeJS.ProcessEnv = process.env): KeySpec[] | undefined {
  const context = parseKmsContext(flags.encryptionContext);
  const options: SpecOptions = { ...(context ? { context } : {}), awsProfile: flags.awsProfile ?? "" };
  let any = false;
  const group: KeySpec[] = [];
  for (const s of SERVICES_FLAG_ORDER) {
    const flag = flags[camelCase(s.flags.recipients.name)];
    const value = (typeof flag === "string" ? flag : "") || env[s.flags.env] || "";
    if (value === "") continue;
    any = true;
    group.push(...specsFromString(s.kind, value, options));
  }
  return any ? group : undefined;
}
