/**
 * Azure Key Vault master keys (sops `azkv/keysource.go`, SOPS-FORMAT.md §7.3, §8.8).
 *
 * An entry is `{created_at, enc, name, vault_url, version}`: the data key is wrapped with
 * `wrapKey` / `unwrapKey` and `RSA-OAEP-256`, and `enc` is the result in base64url **without
 * padding** (Go's `RawURLEncoding`). `version` is always written: a key named without a version is
 * resolved to its latest version when the entry is created, as sops does.
 *
 * Credentials: `DefaultAzureCredential` (the `AZURE_*` environment, workload identity, managed
 * identity, the Azure CLI, …), as sops uses azidentity's. Additions of hush's, both read from the
 * environment given to hush (`process.env` by default):
 * - `HUSH_AZURE_TOKEN`: a bearer token used as is instead (for CI jobs that already hold one, and
 *   for tests, which have no Microsoft Entra ID to ask);
 * - `HUSH_AZURE_KV_CA_FILE`: a PEM file of CA certificates trusted for Key Vault in addition to
 *   Node's (for TLS-inspecting proxies and test servers; the CLI also honours Node's own
 *   `NODE_EXTRA_CA_CERTS`, which a running process cannot take on).
 *
 * The Key Vault SDK checks that the resource named in the server's authentication challenge is a
 * parent domain of the vault's host (`*.vault.azure.net`). That check cannot hold for an IP
 * address or `localhost`, so it is skipped for loopback vaults (emulators, tests) only.
 *
 * Each operation has `HUSH_KEY_TIMEOUT_MS` (default 10 s) in all and at most
 * {@link MAX_ATTEMPTS} attempts. `@azure/keyvault-keys` costs ~160 ms to import and
 * `@azure/identity` ~300 ms more; both are imported only when an Azure key is used, identity only
 * when no token is given.
 */
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient } from "./key-source.js";
import type { LoadedUnwrapper, RecipientSpec } from "./key-source.js";
import { createdAtNow, decodeBase64, entryString, firstLine, keyTimeoutMs, MAX_ATTEMPTS, remoteUnwrapper, serviceReason, withDeadline } from "./remote.js";

type KvLib = typeof import("@azure/keyvault-keys");
type TokenCredential = ConstructorParameters<KvLib["KeyClient"]>[1];
type ClientOptions = NonNullable<ConstructorParameters<KvLib["KeyClient"]>[2]>;
type KeyVaultKey = import("@azure/keyvault-keys").KeyVaultKey;

let kvLib: Promise<KvLib> | undefined;
const loadKv = (): Promise<KvLib> => (kvLib ??= import("@azure/keyvault-keys"));

/** The wrapping algorithm sops uses. */
const ALGORITHM = "RSA-OAEP-256";

/** sops's key URL pattern: vault, name, optional `/version`. */
const URL_RE = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/;

/** One Key Vault key; `version` "" means "the latest, resolved when wrapping". */
export interface AzureKey {
  readonly vaultUrl: string;
  readonly name: string;
  readonly version: string;
}

/**
 * The key of a recipient spec: a URL `https://VAULT/keys/NAME[/VERSION]` (`--azure-kv`,
 * `SOPS_AZURE_KEYVAULT_URLS`) or a `key_groups` object `{vaultUrl, key, version}` (sops's config
 * names). Throws HushError USAGE for anything else.
 */
export function parseAzureKvSpec(spec: RecipientSpec): AzureKey {
  if (typeof spec !== "string") {
    const { vaultUrl, key, version } = spec;
    if (typeof vaultUrl !== "string" || typeof key !== "string" || vaultUrl === "" || key === "") {
      throw new HushError("CONFIG", "an azure_keys entry needs vaultUrl and key");
    }
    if (version !== undefined && version !== null && typeof version !== "string") throw new HushError("CONFIG", `azure key ${key}: version must be a string`);
    return { vaultUrl: vaultUrl.replace(/\/+$/, ""), name: key, version: version ?? "" };
  }
  const m = URL_RE.exec(spec.trim());
  if (!m) {
    throw new HushError(
      "USAGE",
      `not an Azure Key Vault key URL: ${JSON.stringify(spec.slice(0, 160))}`,
      "expected https://VAULT.vault.azure.net/keys/NAME or …/keys/NAME/VERSION",
    );
  }
  return { vaultUrl: m[1]!, name: m[2]!, version: (m[3] ?? "").slice(1) };
}

/** `vault/keys/name[/version]`, for messages and as the recipient id. */
function azureKeyUrl(key: AzureKey): string {
  return `${key.vaultUrl}/keys/${key.name}${key.version ? `/${key.version}` : ""}`;
}

function isLoopback(vaultUrl: string): boolean {
  const host = new URL(vaultUrl).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A fixed bearer token, for `HUSH_AZURE_TOKEN`. */
function staticToken(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) };
}

const defaultCredential = new Map<NodeJS.ProcessEnv, Promise<TokenCredential>>();

/** The credential for an environment: `HUSH_AZURE_TOKEN`, else one DefaultAzureCredential. */
function credentialFor(env: NodeJS.ProcessEnv): Promise<TokenCredential> {
  const token = env["HUSH_AZURE_TOKEN"];
  if (token) return Promise.resolve(staticToken(token));
  let c = defaultCredential.get(env);
  if (!c) {
    c = import("@azure/identity").then(({ DefaultAzureCredential }) => new DefaultAzureCredential());
    defaultCredential.set(env, c);
  }
  return c;
}

function clientOptions(key: AzureKey, env: NodeJS.ProcessEnv): ClientOptions {
  const options: ClientOptions = {
    retryOptions: { maxRetries: MAX_ATTEMPTS - 1, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    ...(isLoopback(key.vaultUrl) ? { disableChallengeResourceVerification: true } : {}),
  };
  const caFile = env["HUSH_AZURE_KV_CA_FILE"];
  if (caFile) {
    let pem: string;
    try {
      pem = readFileSync(caFile, "utf8");
    } catch {
      throw new HushError("CONFIG", `HUSH_AZURE_KV_CA_FILE ${caFile}: cannot read the file`);
    }
    // Setting `ca` replaces Node's trusted roots, so they are passed along.
    options.tlsOptions = { ca: [...rootCertificates, pem] };
  }
  return options;
}

/** A reference to one key version, enough for remote operations without fetching the key first. */
function keyRef(key: AzureKey, version: string): KeyVaultKey {
  const id = `${key.vaultUrl}/keys/${key.name}${version ? `/${version}` : ""}`;
  // With a bare key id, CryptographyClient first GETs the key (one more round trip, and the
  // `keys/get` permission) to try local cryptography, which has no RSA-OAEP-256 anyway. A
  // KeyVaultKey without key material goes straight to the service, as sops's client does.
  return { name: key.name, id, properties: { id, name: key.name, vaultUrl: key.vaultUrl, ...(version ? { version } : {}) } };
}

/** Reasons by HTTP status, for Key Vault's REST errors. */
const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: "rejected",
  401: "bad credentials",
  403: "access denied",
  404: "key not found",
  409: "conflict",
  429: "throttled",
  500: "Key Vault internal error",
  503: "Key Vault unavailable",
};

/** One line for a REST, credential or network error. */
function azureReason(err: unknown): string {
  return serviceReason(err, (e) => {
    if (e.name === "CredentialUnavailableError" || e.name === "AggregateAuthenticationError") {
      return "no Azure credentials found (DefaultAzureCredential; set AZURE_* or sign in with az login)";
    }
    if (e.name === "AuthenticationError") return `Azure sign-in failed: ${firstLine(e.message, 100)}`;
    const status = (e as { statusCode?: unknown }).statusCode;
    const code = (e as { code?: unknown }).code;
    if (typeof status !== "number") return undefined;
    const reason = STATUS_REASONS[status] ?? `HTTP ${status}`;
    const detail = status === 401 ? "" : firstLine(e.message, 100);
    const name = typeof code === "string" && code !== "" ? ` (${code})` : "";
    return `${reason}${detail ? `: ${detail}` : ""}${name}`;
  });
}

/** Runs one Key Vault operation under the deadline, with a HushError naming the key on failure. */
async function withKeyVault<T>(
  key: AzureKey,
  env: NodeJS.ProcessEnv,
  what: string,
  op: (lib: KvLib, credential: TokenCredential, options: ClientOptions, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const timeoutMs = keyTimeoutMs(env);
  const options = clientOptions(key, env);
  try {
    // Loading the SDKs (~160 ms, identity ~300 ms more, cold) is not the service's time: the
    // deadline starts after it.
    const [lib, credential] = await Promise.all([loadKv(), credentialFor(env)]);
    return await withDeadline(timeoutMs, (signal) => op(lib, credential, options, signal));
  } catch (e) {
    if (e instanceof HushError) throw e;
    throw new HushError("KEY_SOURCE", `${what} failed: ${azureReason(e)}`, undefined, { cause: e });
  }
}

/** A recipient that wraps the data key with Key Vault `wrapKey` (RSA-OAEP-256). */
export function azureKvRecipient(spec: RecipientSpec, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  const key = parseAzureKvSpec(spec);
  const url = azureKeyUrl(key);
  return {
    kind: "azure_kv",
    id: url,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const { version, enc } = await withKeyVault(key, env, `Azure Key Vault wrapKey with ${url}`, async (lib, credential, options, signal) => {
        let version = key.version;
        if (!version) {
          const latest = await new lib.KeyClient(key.vaultUrl, credential, options).getKey(key.name, { abortSignal: signal });
          version = latest.properties.version ?? "";
          if (!version) throw new Error("Key Vault returned the key without a version");
        }
        const crypto = new lib.CryptographyClient(keyRef(key, version), credential, options);
        const res = await crypto.wrapKey(ALGORITHM, dataKey, { abortSignal: signal });
        return { version, enc: Buffer.from(res.result).toString("base64url") };
      });
      return { created_at: createdAtNow(), enc, name: key.name, vault_url: key.vaultUrl, version };
    },
  };
}

/** Unwraps `sops.azure_kv[]` entries with Key Vault `unwrapKey` (never null: see remoteUnwrapper). */
export function loadAzureKvUnwrapper(env: NodeJS.ProcessEnv = process.env): Promise<LoadedUnwrapper> {
  return remoteUnwrapper("azure_kv", "Azure Key Vault", (entry) => {
    const key: AzureKey = { vaultUrl: entryString(entry, "vault_url"), name: entryString(entry, "name"), version: entryString(entry, "version") };
    const enc = entryString(entry, "enc");
    return {
      id: [key.vaultUrl, key.name, key.version, enc],
      async unwrap() {
        if (!/^https:\/\/[^/]+$/.test(key.vaultUrl) || key.name === "") {
          throw new HushError("KEY_SOURCE", `azure_kv entry has no valid vault_url and name: ${JSON.stringify(azureKeyUrl(key).slice(0, 160))}`);
        }
        const url = azureKeyUrl(key);
        const wrapped = decodeBase64(enc);
        if (!wrapped) throw new HushError("KEY_SOURCE", `azure_kv entry for ${url} has no valid base64url enc`);
        return withKeyVault(key, env, `Azure Key Vault unwrapKey with ${url}`, async (lib, credential, options, signal) => {
          const crypto = new lib.CryptographyClient(keyRef(key, key.version), credential, options);
          const res = await crypto.unwrapKey(ALGORITHM, wrapped, { abortSignal: signal });
          if (res.result.length === 0) throw new Error("Key Vault returned no key");
          return Uint8Array.from(res.result);
        });
      },
    };
  });
}
