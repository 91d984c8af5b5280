/**
 * Recipients as data: the `{kind, spec}` pairs that `.sops.yaml` and the key flags name, before any
 * key service module is loaded. Building the real recipients is `recipientFor(kind, spec)` in
 * `keys/registry.ts`; this module only splits, trims and orders the way sops does, so that the
 * order and duplicates of the written metadata match sops's.
 */
import { HushError } from "../errors.js";
import type { KeyKind } from "../model/metadata.js";
import type { RecipientSpec } from "../keys/registry.js";

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

/** A KMS encryption context (`--encryption-context k:v,…`, or `context:` in a key group). */
export type KmsContext = Readonly<Record<string, string>>;

/** Splits a comma-separated list, trimming each entry and dropping empty ones. */
export function splitList(csv: string): string[] {
  return csv
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** sops removes every space from fingerprints, ARNs and resource ids (`strings.Replace(s, " ", "", -1)`). */
const noSpaces = (s: string) => s.replace(/ /g, "");

/**
 * The spec of one KMS key from sops's ARN string syntax: `arn[+arn:aws:iam::…:role/name]`, spaces
 * removed, the role split at `+arn:aws:iam::` (`kms.NewMasterKeyFromArn`).
 */
export function kmsSpec(arnString: string, context: KmsContext = {}, awsProfile = ""): Record<string, unknown> {
  const s = noSpaces(arnString);
  const at = s.indexOf("+arn:aws:iam::");
  return {
    arn: at > 0 ? s.slice(0, at) : s,
    role: at > 0 ? s.slice(at + 1) : "",
    aws_profile: awsProfile,
    context: { ...context },
  };
}

/**
 * Parses `--encryption-context`: `k1:v1,k2:v2`, each pair split at its only colon, nothing trimmed
 * (`kms.ParseKMSContext`). Returns undefined for an empty string; a malformed one is sops's exit 6.
 */
export function parseKmsContext(text: string | undefined): KmsContext | undefined {
  if (text === undefined || text === "") return undefined;
  const out: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const kv = pair.split(":");
    if (kv.length !== 2) {
      throw new HushError(
        "INVALID_KMS_CONTEXT",
        "invalid KMS encryption context format: expected key:value pairs separated by commas",
        "for example --encryption-context app:web,env:prod",
      );
    }
    out[kv[0]!] = kv[1]!;
  }
  return out;
}

/** Specs of one kind from a comma-separated string, normalised as sops's per-kind parsers do. */
export function specsFromString(kind: KeyKind, csv: string, kms: { context?: KmsContext; awsProfile?: string } = {}): KeySpec[] {
  return splitList(csv).map((s) => {
    switch (kind) {
      case "kms":
        return { kind, spec: kmsSpec(s, kms.context, kms.awsProfile) };
      case "pgp":
      case "gcp_kms":
        return { kind, spec: noSpaces(s) };
      default:
        return { kind, spec: s };
    }
  });
}

/**
 * The identity sops deduplicates a config key group by (`%T/ToString()`), so that the same
 * recipient reached twice (directly and through `merge`) is wrapped once.
 */
export function specKey(k: KeySpec): string {
  if (typeof k.spec === "string") return `${k.kind}/${k.spec}`;
  const s = k.spec;
  const str = (f: string) => (typeof s[f] === "string" ? (s[f] as string) : "");
  if (k.kind === "kms") {
    // kms.MasterKey.ToString: arn[+role][|k:v,… sorted][|profile]
    const ctx = (s["context"] ?? {}) as Record<string, string>;
    const pairs = Object.keys(ctx)
      .sort()
      .map((c) => `${c}:${ctx[c]}`)
      .join(",");
    return `kms/${str("arn")}${str("role") ? `+${str("role")}` : ""}${pairs ? `|${pairs}` : ""}${str("aws_profile") ? `|${str("aws_profile")}` : ""}`;
  }
  return `${k.kind}/${JSON.stringify(s)}`;
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

/** The key options of `encrypt` (and later `edit`, `groups add`), as commander hands them over. */
export interface KeyFlags {
  age?: string;
  pgp?: string;
  kms?: string;
  awsProfile?: string;
  gcpKms?: string;
  azureKv?: string;
  hcVaultTransit?: string;
  hckms?: string;
  encryptionContext?: string;
}

/**
 * The environment variable behind each key flag (urfave `EnvVar`s in sops). Setting one has the
 * same effect as the flag, including that `.sops.yaml` keys are then ignored (SOPS-FORMAT §14-Q27).
 */
export const KEY_FLAG_ENV = {
  kms: "SOPS_KMS_ARN",
  gcpKms: "SOPS_GCP_KMS_IDS",
  hckms: "SOPS_HUAWEICLOUD_KMS_IDS",
  azureKv: "SOPS_AZURE_KEYVAULT_URLS",
  pgp: "SOPS_PGP_FP",
  hcVaultTransit: "SOPS_VAULT_URIS",
  age: "SOPS_AGE_RECIPIENTS",
} as const satisfies Record<string, string>;

/** Flag name → key kind, in the order sops builds a command-line group (`keyGroups` in main.go). */
const FLAG_KINDS: readonly (readonly [keyof typeof KEY_FLAG_ENV, KeyKind])[] = [
  ["kms", "kms"],
  ["gcpKms", "gcp_kms"],
  ["hckms", "hckms"],
  ["azureKv", "azure_kv"],
  ["pgp", "pgp"],
  ["hcVaultTransit", "hc_vault"],
  ["age", "age"],
];

/**
 * The single key group named by key flags or their environment variables, or undefined when none
 * is set (then the keys come from `.sops.yaml`). A flag wins over its variable; an empty value
 * counts as unset, as in sops. `--aws-profile` and `--encryption-context` apply to `--kms` keys.
 */
export function keySpecsFromFlags(flags: KeyFlags, env: NodeJS.ProcessEnv = process.env): KeySpec[] | undefined {
  const context = parseKmsContext(flags.encryptionContext);
  let any = false;
  const group: KeySpec[] = [];
  for (const [flag, kind] of FLAG_KINDS) {
    const value = flags[flag] || env[KEY_FLAG_ENV[flag]] || "";
    if (value === "") continue;
    any = true;
    group.push(...specsFromString(kind, value, { ...(context ? { context } : {}), awsProfile: flags.awsProfile ?? "" }));
  }
  return any ? group : undefined;
}
