/**
 * Which key-service endpoints a file may send hush to (issue 14, attack 1; docs/security.md).
 *
 * Everything in a file's `sops` block is outside the MAC: anyone who can push can change an
 * entry's `vault_address` to their own server, and whoever decrypts then POSTs their Vault token
 * there. The same holds for an Azure Key Vault `vault_url` (the bearer token goes there) and an
 * AWS KMS `role` (the caller's credentials assume it). So an endpoint a file names is contacted
 * only when something the *user* controls names it too:
 *
 * - **Vault** (`vault_address`): `SOPS_HC_VAULT_ALLOWLIST` when set, exactly as sops 3.13 reads it
 *   (`all`, `none`, or comma-separated URL prefixes, each compared with a `/` appended; an empty
 *   entry is an error); otherwise hush's default, which is *not* "all": the address must be
 *   `VAULT_ADDR`, in `SOPS_VAULT_URIS`, or in a `.sops.yaml` creation rule.
 * - **Azure Key Vault** (`vault_url`): `HUSH_AZURE_KV_ALLOWLIST` when set (same syntax), otherwise a
 *   vault named in `SOPS_AZURE_KEYVAULT_URLS` or a `.sops.yaml` rule.
 * - **AWS KMS role** (`role`): `HUSH_AWS_KMS_ROLE_ALLOWLIST` when set (`all`, `none`, or exact role
 *   ARNs), otherwise a role named in `SOPS_KMS_ARN` or a `.sops.yaml` rule. The KMS endpoint itself
 *   comes from the ARN's region or the SDK's `AWS_ENDPOINT_URL*` variables, never from the file.
 * - Plain `http://` only to a loopback address, or with `HUSH_ALLOW_HTTP=1`.
 *
 * A refused endpoint is never contacted; the entry counts as one that could not decrypt, with a
 * one-line reason naming the address, and the file's other recipients are still tried.
 *
 * The policy lives in the key layer, which knows nothing of `.sops.yaml`; the library supplies the
 * configured endpoints ({@link setDefaultConfiguredEndpoints}, `lib/trust.ts`).
 */
import type { KeyEntry, KeyKind } from "../model/metadata.js";

/** Endpoints the configuration names, by service (normalised with {@link normaliseUrl}). */
export interface ConfiguredEndpoints {
  /** Vault addresses (`scheme://host[:port]`). */
  readonly hcVault: readonly string[];
  /** Key Vault URLs (`https://name.vault.azure.net`). */
  readonly azureKv: readonly string[];
  /** IAM role ARNs. */
  readonly kmsRoles: readonly string[];
}

/** Where configured endpoints come from: loaded once, when a file first names an endpoint. */
export type ConfiguredEndpointsSource = () => Promise<ConfiguredEndpoints | undefined>;

let defaultSource: ConfiguredEndpointsSource | undefined;

/**
 * Sets where every {@link EndpointTrust} built without its own source reads configured endpoints
 * (the library sets `.sops.yaml` discovery from the current directory). Without one, only the
 * environment and the allowlists count: the safe side.
 */
export function setDefaultConfiguredEndpoints(source: ConfiguredEndpointsSource | undefined): void {
  defaultSource = source;
}

/** `scheme://host[:port]` in lower case, without a trailing slash or path; undefined if not a URL. */
export function normaliseUrl(url: string): string | undefined {
  try {
    const u = new URL(url.trim());
    if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
    return `${u.protocol}//${u.host}`.toLowerCase();
  } catch {
    return undefined;
  }
}

/** True for `localhost`, 127.0.0.0/8 and `::1`. */
function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
    return host === "localhost" || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host) || host === "::1";
  } catch {
    return false;
  }
}

/** A parsed allowlist: every address, or these prefixes. */
export type Allowlist = { all: true } | { all: false; prefixes: readonly string[] };

/**
 * Parses an allowlist as sops 3.13 parses `SOPS_HC_VAULT_ALLOWLIST` (`hcvault/keysource.go`
 * `parseAllowlistString`): `all`, `none`, else comma-separated entries, each trimmed of spaces and
 * given a trailing `/`; an empty entry is an error (returned as a string).
 */
export function parseAllowlist(raw: string, name: string): Allowlist | string {
  if (raw === "all") return { all: true };
  if (raw === "none") return { all: false, prefixes: [] };
  const prefixes: string[] = [];
  const parts = raw.split(",");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!.replace(/^ +| +$/g, "");
    if (p === "") return `${name}'s entry ${i + 1} is empty`;
    prefixes.push(p.endsWith("/") ? p : `${p}/`);
  }
  return { all: false, prefixes };
}

/** sops's `allowList.Allows`: the address with a `/` appended starts with one of the prefixes. */
export function allowlistAllows(list: Allowlist, address: string): boolean {
  if (list.all) return true;
  const a = address.endsWith("/") ? address : `${address}/`;
  return list.prefixes.some((p) => a.startsWith(p));
}

/** The endpoint an entry makes hush contact, when a file can choose it. */
function entryEndpoint(kind: KeyKind, entry: KeyEntry): { service: "hc_vault" | "azure_kv" | "kms_role"; address: string } | undefined {
  const str = (f: string) => (typeof entry[f] === "string" ? (entry[f] as string).trim() : "");
  if (kind === "hc_vault" && str("vault_address") !== "") return { service: "hc_vault", address: str("vault_address").replace(/\/+$/, "") };
  if (kind === "azure_kv" && str("vault_url") !== "") return { service: "azure_kv", address: str("vault_url").replace(/\/+$/, "") };
  if (kind === "kms" && str("role") !== "") return { service: "kms_role", address: str("role") };
  return undefined;
}

/** The environment variable holding an explicit allowlist, per service. */
const ALLOWLIST_ENV = {
  hc_vault: "SOPS_HC_VAULT_ALLOWLIST",
  azure_kv: "HUSH_AZURE_KV_ALLOWLIST",
  kms_role: "HUSH_AWS_KMS_ROLE_ALLOWLIST",
} as const;

const SHORT_NAME = { hc_vault: "Vault", azure_kv: "Azure Key Vault", kms_role: "AWS roles" } as const;
const SERVICE_NAME = { hc_vault: "Vault address", azure_kv: "Azure Key Vault", kms_role: "AWS role to assume" } as const;

function shown(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}…` : s;
}

/** Origins of the comma-separated URLs of a recipients variable (`SOPS_VAULT_URIS`, …). */
function envOrigins(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((u) => normaliseUrl(u))
    .filter((u): u is string => u !== undefined);
}

/** Role ARNs in `SOPS_KMS_ARN` (`arn+arn:aws:iam::…:role/x`, comma-separated). */
function envRoles(value: string | undefined): string[] {
  return (value ?? "")
    .replace(/ /g, "")
    .split(",")
    .flatMap((s) => {
      const at = s.indexOf("+arn:aws:iam::");
      return at > 0 ? [s.slice(at + 1)] : [];
    });
}

/**
 * The region part of an AWS KMS ARN or a Huawei Cloud KMS key id becomes part of a host name
 * (`kms.<region>.amazonaws.com`): one that is not a plain region name (`x@attacker.example/`) would
 * send the request elsewhere. Returns why, or undefined when the region is a plain name.
 */
function badRegion(kind: KeyKind, entry: KeyEntry): string | undefined {
  const field = kind === "kms" ? "arn" : kind === "hckms" ? "key_id" : undefined;
  if (field === undefined || typeof entry[field] !== "string") return undefined;
  const id = entry[field] as string;
  const region = kind === "kms" ? /^arn:aws[\w-]*:kms:([^:]*):/.exec(id)?.[1] : id.split(":")[0]!.trim();
  if (region === undefined) return undefined; // not an ARN at all: the key service reports it
  return /^[a-z0-9-]+$/.test(region) ? undefined : `the ${kind} key's region ${JSON.stringify(shown(region))} is not a region name`;
}

/** Decides, per key entry, whether hush may contact the endpoint it names. */
export class EndpointTrust {
  readonly #env: NodeJS.ProcessEnv;
  readonly #source: ConfiguredEndpointsSource | undefined;
  #configured: Promise<ConfiguredEndpoints | undefined> | undefined;

  constructor(options: { env?: NodeJS.ProcessEnv; configured?: ConfiguredEndpointsSource } = {}) {
    this.#env = options.env ?? process.env;
    this.#source = options.configured ?? defaultSource;
  }

  #config(): Promise<ConfiguredEndpoints | undefined> {
    // A config that cannot be read trusts nothing from it (and the reason shows as a refusal).
    this.#configured ??= (this.#source?.() ?? Promise.resolve(undefined)).catch(() => undefined);
    return this.#configured;
  }

  /**
   * Why hush must not contact the endpoint `entry` names (one line, naming it), or undefined when
   * it may (or the entry names none a file could choose).
   */
  async refusal(kind: KeyKind, entry: KeyEntry): Promise<string | undefined> {
    const bad = badRegion(kind, entry);
    if (bad !== undefined) return `refused: ${bad}`;
    const ep = entryEndpoint(kind, entry);
    if (!ep) return undefined;
    const env = this.#env;
    const what = `${SERVICE_NAME[ep.service]} ${shown(ep.address)}`;
    if (ep.service !== "kms_role") {
      const origin = normaliseUrl(ep.address);
      if (origin === undefined) return `refused: ${what} is not an http(s) URL`;
      if (origin.startsWith("http:") && !isLoopbackUrl(origin) && !/^(1|true|yes)$/i.test(env["HUSH_ALLOW_HTTP"] ?? "")) {
        return `refused: ${what} is plain http:// (credentials would travel unencrypted); only loopback may, unless HUSH_ALLOW_HTTP=1`;
      }
    }
    const listName = ALLOWLIST_ENV[ep.service];
    const raw = env[listName];
    if (raw !== undefined && raw !== "") {
      const list = parseAllowlist(raw, listName);
      if (typeof list === "string") return `refused: ${list}`;
      if (!list.all && list.prefixes.length === 0) return `refused: contacting ${SHORT_NAME[ep.service]} is disabled (${listName}=none): ${shown(ep.address)}`;
      const ok = ep.service === "kms_role" ? list.all || list.prefixes.includes(`${ep.address}/`) : allowlistAllows(list, ep.address);
      return ok ? undefined : `refused: ${what} is not in ${listName}`;
    }
    // hush's default: only what the user's environment or configuration names.
    const config = await this.#config();
    if (ep.service === "hc_vault") {
      const origin = normaliseUrl(ep.address)!;
      const trusted = [...envOrigins(env["VAULT_ADDR"]), ...envOrigins(env["SOPS_VAULT_URIS"]), ...(config?.hcVault ?? [])];
      if (trusted.includes(origin)) return undefined;
      return `refused: ${what} is named only by the file (not VAULT_ADDR, SOPS_VAULT_URIS, a .sops.yaml rule or ${listName})`;
    }
    if (ep.service === "azure_kv") {
      const origin = normaliseUrl(ep.address)!;
      const trusted = [...envOrigins(env["SOPS_AZURE_KEYVAULT_URLS"]), ...(config?.azureKv ?? [])];
      if (trusted.includes(origin)) return undefined;
      return `refused: ${what} is named only by the file (not SOPS_AZURE_KEYVAULT_URLS, a .sops.yaml rule or ${listName})`;
    }
    const trusted = [...envRoles(env["SOPS_KMS_ARN"]), ...(config?.kmsRoles ?? [])];
    if (trusted.includes(ep.address)) return undefined;
    return `refused: ${what} is named only by the file (not SOPS_KMS_ARN, a .sops.yaml rule or ${listName})`;
  }
}
