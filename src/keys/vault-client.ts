/**
 * HashiCorp Vault transit master keys (sops `hcvault/keysource.go`, SOPS-FORMAT.md §7.3, §8.7),
 * over plain `fetch`: two endpoints do not need the Vault SDK.
 *
 * - A recipient is a key URL, `https://vault.example.com:8200/v1/<engine path>/keys/<key name>`;
 *   the engine path may contain `/`.
 * - Encrypt: `POST <address>/v1/<engine>/encrypt/<key>` `{"plaintext": base64(key)}`; the entry is
 *   `{created_at, enc: data.ciphertext, engine_path, key_name, vault_address}`.
 * - Decrypt: `POST <address>/v1/<engine>/decrypt/<key>` `{"ciphertext": enc}` → base64
 *   `data.plaintext`. The address comes from the entry (`VAULT_ADDR` only when it has none).
 * - Token: `VAULT_TOKEN`, else an AppRole or Kubernetes login at `VAULT_ADDR` (`vault-login.ts`),
 *   else `~/.vault-token` (what `vault login` writes), as the Vault client sops uses does. `VAULT_NAMESPACE` is sent as `X-Vault-Namespace`. For a private CA, Node's
 *   `NODE_EXTRA_CA_CERTS` applies.
 * - `SOPS_HC_VAULT_ALLOWLIST` (sops 3.13): `all` (the default), `none`, or comma-separated URL
 *   prefixes; a request to any other URL is refused before it is made. A file names its own
 *   `vault_address`, and the token is sent there: decrypting an untrusted file with the default
 *   `all` hands the token to whoever wrote it (GHSA-jgf3-f6rg-8x3h). Redirects are followed only to
 *   allowed URLs, for the same reason.
 * - Every operation has one deadline, `HUSH_KEY_TIMEOUT_MS` (default 10 s), across up to 3 attempts:
 *   network errors and 5xx answers are retried with a short backoff, nothing else is.
 *
 * Messages are one line, `hc_vault <key URL>: <reason>`, and never contain the token or key bytes.
 */
import { promises as fsp } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient, KeyUnwrapper } from "./key-source.js";
import { loginConfigured, loginToken } from "./vault-login.js";
// The deadline of one operation (`HUSH_KEY_TIMEOUT_MS`, retries included) and the attempts per
// operation, as for the other network key services.
import { keyTimeoutMs, MAX_ATTEMPTS } from "./remote.js";

/** Backoff before retry n (1-based). */
const BACKOFF_MS = [0, 200, 600];
/** Redirects followed per request (Vault standbys may redirect to the active node). */
const MAX_REDIRECTS = 3;

/** A Vault transit key: where it lives and what it is called. */
export interface VaultKey {
  /** `scheme://host[:port]`, as written in the URL: the entry's `vault_address`. */
  address: string;
  /** The transit engine's mount path, maybe with `/`: the entry's `engine_path`. */
  enginePath: string;
  /** The key's name: the entry's `key_name`. */
  keyName: string;
}

/** The key URL sops prints for a key (`ToString`): `<address>/v1/<engine>/keys/<key>`. */
export function vaultKeyUrl(k: VaultKey): string {
  return `${k.address}/v1/${k.enginePath}/keys/${k.keyName}`;
}

const EXAMPLE = "https://vault.example.com:8200/v1/transit/keys/keyName";

/** Shortens a URL for a message. */
function shown(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 117)}…` : s);
}

/**
 * Parses a Vault transit key URL as sops does (`NewMasterKeyFromURI`): the scheme is required, the
 * path is `/v1/<engine…>/keys/<key>`, and a prefix before `/v1` is refused. The address keeps the
 * authority as written (sops writes `u.String()` with the path cleared). Throws HushError USAGE.
 */
export function parseVaultKeyUrl(uri: string): VaultKey {
  const s = uri.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(s);
  if (!m) {
    throw new HushError("USAGE", `not a Vault key URL (the scheme is required): ${shown(s)}`, `write it like ${EXAMPLE}`);
  }
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const path = m[3] ?? "";
  if (scheme !== "https" && scheme !== "http") {
    throw new HushError("USAGE", `a Vault key URL must start with https:// or http://: ${shown(s)}`, `write it like ${EXAMPLE}`);
  }
  if (authority.includes("@")) {
    // Never echo it: the user part may be a credential.
    throw new HushError("USAGE", "a Vault key URL must not contain credentials", "give the token in VAULT_TOKEN or ~/.vault-token");
  }
  if (authority === "") throw new HushError("USAGE", `a Vault key URL needs a host: ${shown(s)}`, `write it like ${EXAMPLE}`);
  if (m[4] || m[5]) throw new HushError("USAGE", `a Vault key URL has no query or fragment: ${shown(s)}`, `write it like ${EXAMPLE}`);
  const segs = path.replace(/^\/+/, "").replace(/\/+$/, "").split("/");
  if (segs[0] !== "v1") {
    const prefixed = /\/v\d+\//.test(path);
    throw new HushError(
      "USAGE",
      prefixed
        ? `Vault behind a path prefix is not supported: ${shown(s)}`
        : `not a Vault transit key URL: ${shown(s)}`,
      `write it like ${EXAMPLE}`,
    );
  }
  if (segs.length < 4 || segs[segs.length - 2] !== "keys" || segs.some((x) => x === "")) {
    throw new HushError("USAGE", `not a Vault transit key URL: ${shown(s)}`, `write it like ${EXAMPLE}`);
  }
  // URL() checks the authority (port range, host characters); its normalised form is not kept.
  try {
    new URL(`${scheme}://${authority}/`);
  } catch {
    throw new HushError("USAGE", `not a valid URL: ${shown(s)}`, `write it like ${EXAMPLE}`);
  }
  return {
    address: `${m[1]!}://${authority}`,
    enginePath: segs.slice(1, -2).join("/"),
    keyName: segs[segs.length - 1]!,
  };
}

// ---------------------------------------------------------------------------------------------
// Settings from the environment

/**
 * Whether `SOPS_HC_VAULT_ALLOWLIST` lets hush contact `url`: unset, empty or `all` allows every
 * URL, `none` none, anything else is a comma-separated list of URL prefixes.
 */
export function vaultUrlAllowed(url: string, env: NodeJS.ProcessEnv): boolean {
  const raw = (env["SOPS_HC_VAULT_ALLOWLIST"] ?? "").trim();
  if (raw === "" || raw === "all") return true;
  if (raw === "none") return false;
  return raw
    .split(",")
    .map((p) => p.trim())
    .some((p) => p !== "" && url.startsWith(p));
}

/**
 * The Vault token for a request to `address`: `VAULT_TOKEN`, else an AppRole or Kubernetes login
 * at `VAULT_ADDR` (`vault-login.ts`; only for requests to that address), else `~/.vault-token`
 * trimmed, else none.
 */
async function vaultToken(env: NodeJS.ProcessEnv, address: string, timeoutMs: number): Promise<string | undefined> {
  const t = env["VAULT_TOKEN"]?.trim();
  if (t) return t;
  const login = await loginToken(env, address, timeoutMs);
  if (login) return login;
  const file = join(env["HOME"] || homedir(), ".vault-token");
  try {
    const s = (await fsp.readFile(file, "utf8")).trim();
    return s === "" ? undefined : s;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** A failure to report: its one-line reason, and whether another attempt may help. */
class Attempt extends Error {
  constructor(
    readonly reason: string,
    readonly retry: boolean,
  ) {
    super(reason);
  }
}

const RETRY_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);

/** A one-line reason for a `fetch` rejection (`TypeError: fetch failed` with a coded cause). */
function networkReason(err: unknown, timeoutMs: number): Attempt {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
    return new Attempt(`no answer within ${formatMs(timeoutMs)} (HUSH_KEY_TIMEOUT_MS)`, false);
  }
  const cause = (err as { cause?: unknown } | undefined)?.cause as
    | (NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] })
    | undefined;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  switch (code) {
    case "ECONNREFUSED":
      return new Attempt("connection refused", true);
    case "ENOTFOUND":
      return new Attempt("host not found", false);
    case "EAI_AGAIN":
      return new Attempt("host name lookup failed", true);
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
    case "EPIPE":
      return new Attempt("connection closed by the server", true);
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new Attempt("host unreachable", true);
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return new Attempt("connection timed out", true);
    default:
      break;
  }
  if (typeof code === "string" && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code)) {
    return new Attempt(`TLS: the server's certificate is not trusted (${code}; for a private CA set NODE_EXTRA_CA_CERTS)`, false);
  }
  return new Attempt(`network error${code ? ` (${code})` : ""}`, typeof code === "string" && RETRY_CODES.has(code));
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The first line of Vault's `{"errors": [...]}`, shortened. */
function vaultErrors(body: unknown): string {
  const errs = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errs)) return "";
  const first = errs.map((e) => String(e)).join("; ").split(/\r?\n/)[0] ?? "";
  return first.length > 200 ? `${first.slice(0, 197)}…` : first;
}

/** Waits `ms`, or rejects when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * POSTs `payload` to a Vault API path and returns the answer's `data`. One deadline for the whole
 * operation; network errors and 5xx are retried; redirects only to allowed URLs. Throws
 * HushError KEY_SOURCE `hc_vault <key URL>: <reason>`.
 */
async function vaultWrite(
  key: VaultKey,
  op: "encrypt" | "decrypt",
  payload: Record<string, string>,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, unknown>> {
  const id = vaultKeyUrl(key);
  const fail = (reason: string, hint?: string) => new HushError("KEY_SOURCE", `hc_vault ${id}: ${reason}`, hint);
  const engine = key.enginePath.split("/").map(encodeURIComponent).join("/");
  const url = `${key.address}/v1/${engine}/${op}/${encodeURIComponent(key.keyName)}`;
  if (!vaultUrlAllowed(url, env)) {
    throw fail(
      (env["SOPS_HC_VAULT_ALLOWLIST"] ?? "").trim() === "none"
        ? "contacting Vault is disabled (SOPS_HC_VAULT_ALLOWLIST=none)"
        : `${key.address} is not in SOPS_HC_VAULT_ALLOWLIST`,
      "add the Vault address to SOPS_HC_VAULT_ALLOWLIST (comma-separated URL prefixes) if you trust it",
    );
  }
  const timeoutMs = keyTimeoutMs(env);
  const token = await vaultToken(env, key.address, timeoutMs);
  const headers: Record<string, string> = { "content-type": "application/json", "x-vault-request": "true" };
  if (token) headers["x-vault-token"] = token;
  const ns = env["VAULT_NAMESPACE"]?.trim();
  if (ns) headers["x-vault-namespace"] = ns;
  const body = JSON.stringify(payload);
  const signal = AbortSignal.timeout(timeoutMs);

  let last: Attempt | undefined;
  let attempts = 0;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) {
      try {
        await sleep(BACKOFF_MS[attempt - 1] ?? 1000, signal);
      } catch {
        break; // the deadline passed while waiting: report the last real failure
      }
    }
    attempts = attempt;
    try {
      return await attemptWrite();
    } catch (e) {
      if (e instanceof HushError) throw e;
      last = e instanceof Attempt ? e : networkReason(e, timeoutMs);
      if (!last.retry || signal.aborted) break;
    }
  }
  const reason = last?.reason ?? "failed";
  throw fail(
    attempts > 1 ? `${reason} (after ${attempts} attempts)` : reason,
    reason.includes("permission denied") && !token
      ? loginConfigured(env)
        ? `the AppRole/Kubernetes login token is sent only to VAULT_ADDR, and this key is at ${key.address}`
        : "no Vault token: set VAULT_TOKEN, VAULT_ROLE_ID/VAULT_SECRET_ID or VAULT_K8S_ROLE, or run `vault login`"
      : undefined,
  );

  async function attemptWrite(): Promise<Record<string, unknown>> {
    let target = url;
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await fetch(target, { method: "POST", headers, body, redirect: "manual", signal });
      } catch (e) {
        throw networkReason(e, timeoutMs);
      }
      if (res.status >= 300 && res.status < 400) {
        const loc = res.headers.get("location");
        await res.body?.cancel();
        if (!loc || hop >= MAX_REDIRECTS) throw new Attempt(`too many redirects (HTTP ${res.status})`, false);
        const next = new URL(loc, target).toString();
        // The token goes with the request: never to a place the allowlist does not name.
        if (!vaultUrlAllowed(next, env)) throw new Attempt(`redirected to a URL not in SOPS_HC_VAULT_ALLOWLIST`, false);
        if (res.status !== 307 && res.status !== 308) throw new Attempt(`unexpected redirect (HTTP ${res.status})`, false);
        target = next;
        continue;
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        throw networkReason(e, timeoutMs);
      }
      let json: unknown;
      try {
        json = text === "" ? null : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        const msg = vaultErrors(json);
        throw new Attempt(`${msg || "error"} (HTTP ${res.status})`, res.status >= 500);
      }
      const data = (json as { data?: unknown } | null | undefined)?.data;
      if (typeof data !== "object" || data === null) throw new Attempt(`the answer has no data (HTTP ${res.status})`, false);
      return data as Record<string, unknown>;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recipients and unwrapping

/** `time.Now().UTC().Format(time.RFC3339)`, as sops stamps `created_at`. */
function rfc3339Utc(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A recipient for a Vault transit key URL (`--hc-vault-transit`, `hc_vault_transit_uri`,
 * `SOPS_VAULT_URIS`). Throws HushError USAGE for a malformed URL.
 */
export function vaultRecipient(spec: string | Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  if (typeof spec !== "string") throw new HushError("CONFIG", "a Vault transit recipient must be a URL string");
  const key = parseVaultKeyUrl(spec);
  return {
    kind: "hc_vault",
    id: vaultKeyUrl(key),
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const createdAt = rfc3339Utc(new Date());
      const data = await vaultWrite(key, "encrypt", { plaintext: Buffer.from(dataKey).toString("base64") }, env);
      const enc = data["ciphertext"];
      if (typeof enc !== "string" || !enc.startsWith("vault:")) {
        throw new HushError("KEY_SOURCE", `hc_vault ${vaultKeyUrl(key)}: the answer has no ciphertext`);
      }
      return {
        created_at: createdAt,
        enc,
        engine_path: key.enginePath,
        key_name: key.keyName,
        vault_address: key.address,
      };
    },
  };
}

/** Unwraps `sops.hc_vault[]` entries by asking the Vault server each entry names. */
export class VaultUnwrapper implements KeyUnwrapper {
  readonly kind = "hc_vault" as const;
  /** Nothing is loaded up front, so nothing can go wrong up front. */
  readonly problems: readonly string[] = [];
  readonly #env: NodeJS.ProcessEnv;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }

  /**
   * Returns the data key, or throws HushError KEY_SOURCE (malformed entry, address refused by the
   * allowlist, network failure, timeout, Vault error). Never null: only the server can tell
   * whether the caller may use the key.
   */
  async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
    const str = (f: string) => (typeof entry[f] === "string" ? (entry[f] as string) : "");
    const address = (str("vault_address") || this.#env["VAULT_ADDR"] || "").replace(/\/+$/, "");
    const key: VaultKey = { address, enginePath: str("engine_path"), keyName: str("key_name") };
    const id = address ? vaultKeyUrl(key) : `(no address)/v1/${key.enginePath}/keys/${key.keyName}`;
    if (!address) throw new HushError("KEY_SOURCE", `hc_vault ${id}: the entry has no vault_address and VAULT_ADDR is not set`);
    if (!/^https?:\/\/[^/@?#]+$/i.test(address)) {
      throw new HushError("KEY_SOURCE", `hc_vault: the entry's vault_address is not scheme://host[:port]: ${shown(address)}`);
    }
    if (!key.enginePath || !key.keyName) throw new HushError("KEY_SOURCE", `hc_vault ${id}: the entry has no engine_path or key_name`);
    const enc = str("enc");
    if (!enc) throw new HushError("KEY_SOURCE", `hc_vault ${id}: the entry has no enc`);
    const data = await vaultWrite(key, "decrypt", { ciphertext: enc }, this.#env);
    const plain = data["plaintext"];
    if (typeof plain !== "string" || plain === "") throw new HushError("KEY_SOURCE", `hc_vault ${id}: the answer has no plaintext`);
    const bytes = Buffer.from(plain, "base64");
    if (bytes.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(plain)) {
      throw new HushError("KEY_SOURCE", `hc_vault ${id}: the answer's plaintext is not base64`);
    }
    return new Uint8Array(bytes);
  }

  /** One line for "could not decrypt the data key" messages (unwrap throws rather than says no). */
  describe(): string {
    return "Vault did not return the key";
  }
}

/** The Vault transit unwrapper; loads nothing (the token is read per request). */
export async function loadVaultUnwrapper(env: NodeJS.ProcessEnv = process.env): Promise<VaultUnwrapper> {
  return new VaultUnwrapper(env);
}
