/**
 * Recipients come from configuration, not from the file (issue 14, attack 2; docs/security.md).
 *
 * A file's `sops` block is outside the MAC: anyone who can push can add an entry (`- recipient:
 * age1<attacker>` with any `enc`, or an `hc_vault` entry with their own address). Decryption still
 * works (another entry unwraps), so nothing looks wrong, but every later operation that wraps a new
 * data key for "the file's recipients" would hand it to the attacker. This module compares a
 * file's entries with the `.sops.yaml` creation rule that matches it, so that `hush check` can
 * refuse such a commit and every operation that wraps a data key can refuse to re-wrap for a
 * recipient the configuration does not name.
 */
import { HushError } from "../errors.js";
import { dirname } from "node:path";
import { displayPath, findConfigFile, parseConfig, rulesForFile, selectCreationRule, type ConfigOptions, type KeySpec, type SopsConfig } from "../config/index.js";
import type { KeyEntry, KeyKind, WrappedKey } from "../model/metadata.js";
import { EndpointTrust, normaliseUrl } from "../keys/trust.js";

/**
 * A short identity of an entry, as `rewrite.ts`'s `entryLabel` prints it (kept here too, so this
 * module and rewrite.ts do not import each other).
 */
function entryLabel(kind: KeyKind, e: KeyEntry): string {
  const s = (k: string) => (typeof e[k] === "string" ? (e[k] as string) : "");
  switch (kind) {
    case "age":
      return s("recipient");
    case "pgp":
      return s("fp");
    case "kms":
      return s("role") ? `${s("arn")}+${s("role")}` : s("arn");
    case "gcp_kms":
      return s("resource_id");
    case "azure_kv":
      return `${s("vault_url")}/keys/${s("name")}${s("version") ? `/${s("version")}` : ""}`;
    case "hc_vault":
      return `${s("vault_address")}/v1/${s("engine_path")}/keys/${s("key_name")}`;
    case "hckms":
      return s("key_id");
  }
}

const str = (e: Readonly<Record<string, unknown>>, k: string) => (typeof e[k] === "string" ? (e[k] as string).trim() : "");
const noSpaces = (s: string) => s.replace(/\s+/g, "");

/** A Vault key URL split as sops writes its entry; undefined when it is not one. */
function vaultParts(url: string): { address: string; engine: string; key: string } | undefined {
  const m = /^(https?:\/\/[^/]+)\/v1\/(.+)\/keys\/([^/]+)\/?$/i.exec(url.trim());
  if (!m) return undefined;
  const address = normaliseUrl(m[1]!);
  return address ? { address, engine: m[2]!, key: m[3]! } : undefined;
}

/** An Azure key URL split (`https://vault/keys/name[/version]`), or the `{vaultUrl, key, version}` form. */
function azureParts(spec: KeySpec["spec"]): { vault: string; name: string; version: string } | undefined {
  if (typeof spec === "string") {
    const m = /^(https?:\/\/[^/]+)\/keys\/([^/]+)(?:\/([^/]*))?\/?$/i.exec(spec.trim());
    const vault = m ? normaliseUrl(m[1]!) : undefined;
    return m && vault ? { vault, name: m[2]!, version: m[3] ?? "" } : undefined;
  }
  const vault = normaliseUrl(str(spec, "vaultUrl"));
  return vault ? { vault, name: str(spec, "key"), version: str(spec, "version") } : undefined;
}

/**
 * True when a stored entry is the key a config spec names. Exact on ids; an Azure spec without a
 * version matches any version of its key (hush records the version it wrapped with).
 */
export function specMatchesEntry(spec: KeySpec, kind: KeyKind, entry: KeyEntry): boolean {
  if (spec.kind !== kind) return false;
  const s = spec.spec;
  switch (kind) {
    case "age":
      return typeof s === "string" && s.trim() === str(entry, "recipient");
    case "pgp":
      return typeof s === "string" && noSpaces(s).toUpperCase() === noSpaces(str(entry, "fp")).toUpperCase();
    case "kms": {
      if (typeof s === "string") return false;
      return noSpaces(str(s, "arn")) === str(entry, "arn") && noSpaces(str(s, "role")) === str(entry, "role");
    }
    case "gcp_kms":
      return typeof s === "string" && noSpaces(s) === str(entry, "resource_id");
    case "hckms":
      return typeof s === "string" && s.trim() === str(entry, "key_id");
    case "hc_vault": {
      const p = typeof s === "string" ? vaultParts(s) : undefined;
      return p !== undefined && p.address === normaliseUrl(str(entry, "vault_address")) && p.engine === str(entry, "engine_path") && p.key === str(entry, "key_name");
    }
    case "azure_kv": {
      const p = azureParts(s);
      return p !== undefined && p.vault === normaliseUrl(str(entry, "vault_url")) && p.name === str(entry, "name") && (p.version === "" || p.version === str(entry, "version"));
    }
  }
}

/** How a file's recipients differ from its rule's. */
export interface RecipientDiff {
  /** Entries of the file no spec of the rule names (`kind label`). */
  unknown: { kind: KeyKind; label: string; entry: KeyEntry }[];
  /** Specs of the rule no entry of the file matches (`kind label`). */
  missing: string[];
  /**
   * Unknown entries that are a configured key at another address (a changed `vault_address` or
   * `vault_url`): `[entry address, configured address]`.
   */
  moved: { kind: KeyKind; label: string; address: string; configured: string }[];
}

/** A spec as people write it, for messages. */
function specLabel(spec: KeySpec): string {
  const s = spec.spec;
  if (typeof s === "string") return s.trim();
  if (spec.kind === "kms") return str(s, "role") ? `${str(s, "arn")}+${str(s, "role")}` : str(s, "arn");
  if (spec.kind === "azure_kv") return `${str(s, "vaultUrl")}/keys/${str(s, "key")}${str(s, "version") ? `/${str(s, "version")}` : ""}`;
  return JSON.stringify(s);
}

/** Compares a file's key groups with a rule's (as sets over all groups: who can decrypt). */
export function diffRecipients(fileGroups: readonly (readonly WrappedKey[])[], ruleGroups: readonly (readonly KeySpec[])[]): RecipientDiff {
  const specs = ruleGroups.flat();
  const entries = fileGroups.flat();
  const unknown = entries
    .filter((w) => !specs.some((s) => specMatchesEntry(s, w.kind, w.entry)))
    .map((w) => ({ kind: w.kind, label: entryLabel(w.kind, w.entry), entry: w.entry }));
  const missing = specs.filter((s) => !entries.some((w) => specMatchesEntry(s, w.kind, w.entry))).map((s) => `${s.kind} ${specLabel(s)}`);
  const moved: RecipientDiff["moved"] = [];
  for (const u of unknown) {
    if (u.kind === "hc_vault") {
      const twin = specs.map((s) => (s.kind === "hc_vault" && typeof s.spec === "string" ? vaultParts(s.spec) : undefined)).find((p) => p && p.engine === str(u.entry, "engine_path") && p.key === str(u.entry, "key_name"));
      if (twin) moved.push({ kind: u.kind, label: u.label, address: str(u.entry, "vault_address"), configured: twin.address });
    } else if (u.kind === "azure_kv") {
      const twin = specs.map((s) => (s.kind === "azure_kv" ? azureParts(s.spec) : undefined)).find((p) => p && p.name === str(u.entry, "name"));
      if (twin) moved.push({ kind: u.kind, label: u.label, address: str(u.entry, "vault_url"), configured: twin.vault });
    }
  }
  return { unknown, missing, moved };
}

/** Where a file's rule is looked up, and what to do with recipients the rule does not name. */
export interface RewrapPolicy {
  /** The creation rule's key groups for this file, or undefined when no `.sops.yaml` rule applies. */
  ruleGroups: readonly (readonly KeySpec[])[] | undefined;
  /** Where the rule is, for messages (`creation_rules[0] of .sops.yaml`). */
  ruleName?: string;
  /** `--drop-unknown-recipients`: leave them out instead of refusing. */
  dropUnknown?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Told once when the recipients come from the file alone (no rule): unauthenticated. */
  warn?: (message: string) => void;
}

/**
 * The key groups a new data key may be wrapped for, from a file's own groups: every entry must be
 * named by the file's `.sops.yaml` rule. An entry the rule does not name is refused (HushError
 * CONFIG, naming it) or, with `dropUnknown`, left out (returned in `dropped`). Without a rule the
 * file's recipients are kept, with a warning that they are unauthenticated, but an endpoint only
 * the file names (a Vault or Key Vault address, a KMS role) is still refused (keys/trust.ts): the
 * new data key and the caller's token would go there.
 */
export async function authorizeRewrap(groups: readonly (readonly WrappedKey[])[], policy: RewrapPolicy): Promise<{ groups: WrappedKey[][]; dropped: string[] }> {
  const dropped: string[] = [];
  if (policy.ruleGroups && policy.ruleGroups.some((g) => g.length > 0)) {
    const specs = policy.ruleGroups.flat();
    const unknown = groups.flat().filter((w) => !specs.some((s) => specMatchesEntry(s, w.kind, w.entry)));
    if (unknown.length > 0 && !policy.dropUnknown) {
      throw new HushError(
        "CONFIG",
        `refusing to wrap a new data key for recipients ${policy.ruleName ?? "the .sops.yaml rule"} does not name: ${unknown.map((w) => `${w.kind} ${entryLabel(w.kind, w.entry)}`).join(", ")}`,
        "anyone who can push can add a recipient to a file; if they are meant, add them to .sops.yaml (hush invite); else drop them with --drop-unknown-recipients or `hush updatekeys`",
      );
    }
    for (const w of unknown) dropped.push(`${w.kind} ${entryLabel(w.kind, w.entry)}`);
    const kept = groups.map((g) => g.filter((w) => !unknown.includes(w)));
    if (kept.some((g) => g.length === 0)) {
      throw new HushError("CONFIG", "dropping the recipients .sops.yaml does not name would leave a key group with no keys", "run `hush updatekeys` to take the recipients from .sops.yaml");
    }
    return { groups: kept, dropped };
  }
  policy.warn?.("no .sops.yaml rule names this file's recipients: they come from the file itself, which anyone who can push can change (unauthenticated)");
  const trust = new EndpointTrust(policy.env ? { env: policy.env } : {});
  for (const w of groups.flat()) {
    const refused = await trust.refusal(w.kind, w.entry);
    if (refused) throw new HushError("KEY_SOURCE", `refusing to send a new data key to ${w.kind} ${entryLabel(w.kind, w.entry)}: ${refused}`);
  }
  return { groups: groups.map((g) => [...g]), dropped };
}

/** The rule groups and name for a file, or undefined when no `.sops.yaml` rule applies to it. */
export async function ruleFor(
  path: string | undefined,
  options: ConfigOptions = {},
  /** The config already loaded with these options (a run over many files, lib/bulk-session.ts). */
  preloaded?: Promise<{ config: SopsConfig | undefined }>,
): Promise<{ groups: readonly (readonly KeySpec[])[]; name: string } | undefined> {
  if (path === undefined || path === "-") return undefined;
  try {
    const rule = await rulesForFile(path, { ...options, warn: () => {} }, preloaded ? await preloaded : undefined);
    if (!rule) return undefined;
    return { groups: rule.groups, name: `creation_rules[${rule.index}] of ${displayPath(rule.configPath, options.cwd ?? process.cwd())}` };
  } catch (e) {
    // Rules exist but none matches this file: no rule speaks for its recipients.
    if (e instanceof HushError && e.code === "CONFIG" && e.message.startsWith("no matching creation rule")) return undefined;
    throw e;
  }
}

/** A recipient named by `.sops.yaml` (re-exported for the programs above the library). */
export type { KeySpec };

/** The `.sops.yaml` that applies to `file` in the working tree (as for encryption), if any. */
export function configFileFor(file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findConfigFile({ cwd: dirname(file), env });
}

/**
 * The recipients a `.sops.yaml` text (say, one side's committed version) names for `file`: its
 * matching rule's keys, or undefined when it has no rule for the file or does not parse.
 */
export async function ruleSpecsFromConfigText(text: string, configPath: string, file: string, root: string): Promise<KeySpec[] | undefined> {
  try {
    const parsed = await parseConfig(text, configPath, { cwd: root, warn: () => {} });
    const rule = parsed.creationRules ? selectCreationRule(parsed, file, root) : undefined;
    return rule ? rule.groups.flat() : undefined;
  } catch {
    return undefined; // a .sops.yaml that does not parse names nobody
  }
}
