/**
 * Logging in to Vault when no token is given: AppRole and Kubernetes auth, the "first secret"
 * problem in CI and in a cluster.
 *
 * - AppRole: `VAULT_ROLE_ID` (and `VAULT_SECRET_ID`, unless the role does not bind one), mount
 *   `VAULT_APPROLE_MOUNT` (default `approle`): `POST /v1/auth/<mount>/login {role_id, secret_id}`.
 * - Kubernetes: `VAULT_K8S_ROLE`, the service-account JWT from `VAULT_K8S_TOKEN_PATH` (default
 *   `/var/run/secrets/kubernetes.io/serviceaccount/token`), mount `VAULT_K8S_MOUNT` (default
 *   `kubernetes`): `POST /v1/auth/<mount>/login {role, jwt}`.
 *
 * Trust: the login goes only to `VAULT_ADDR` (never to an address a file names: a file is not
 * trusted, and the role's secret or the JWT would go to whoever wrote it), and the token it gives
 * is sent only to that same address. `VAULT_TOKEN` wins over a login; a login wins over
 * `~/.vault-token`. One login per run and per set of credentials, whatever the number of keys.
 * Neither the credentials nor the token appear in a message.
 */
import { promises as fsp } from "node:fs";
import { HushError } from "../errors.js";

const DEFAULT_K8S_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** A configured login, or none. */
interface LoginSpec {
  readonly method: "approle" | "kubernetes";
  readonly address: string;
  readonly mount: string;
  readonly body: () => Promise<Record<string, string>>;
  readonly label: string;
}

const trimAddr = (a: string) => a.trim().replace(/\/+$/, "");

function loginSpec(env: NodeJS.ProcessEnv): LoginSpec | undefined {
  const roleId = env["VAULT_ROLE_ID"]?.trim();
  const k8sRole = env["VAULT_K8S_ROLE"]?.trim();
  if (!roleId && !k8sRole) return undefined;
  const address = trimAddr(env["VAULT_ADDR"] ?? "");
  const method = roleId ? "approle" : "kubernetes";
  if (!address) {
    throw new HushError(
      "KEY_SOURCE",
      `hc_vault: a Vault ${method === "approle" ? "AppRole" : "Kubernetes"} login needs VAULT_ADDR`,
      "set VAULT_ADDR to your Vault server; hush logs in only there, never at an address a file names",
    );
  }
  if (roleId) {
    const mount = (env["VAULT_APPROLE_MOUNT"]?.trim() || "approle").replace(/^\/+|\/+$/g, "");
    const secretId = env["VAULT_SECRET_ID"]?.trim();
    return {
      method: "approle",
      address,
      mount,
      label: `AppRole login at ${address}/v1/auth/${mount}`,
      body: async () => ({ role_id: roleId, ...(secretId ? { secret_id: secretId } : {}) }),
    };
  }
  const mount = (env["VAULT_K8S_MOUNT"]?.trim() || "kubernetes").replace(/^\/+|\/+$/g, "");
  const path = env["VAULT_K8S_TOKEN_PATH"]?.trim() || DEFAULT_K8S_TOKEN_PATH;
  const label = `Kubernetes login at ${address}/v1/auth/${mount}`;
  return {
    method: "kubernetes",
    address,
    mount,
    label,
    body: async () => {
      let jwt: string;
      try {
        jwt = (await fsp.readFile(path, "utf8")).trim();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
        throw new HushError("KEY_SOURCE", `hc_vault: ${label}: cannot read the service-account token ${path} (${code})`, "set VAULT_K8S_TOKEN_PATH");
      }
      if (jwt === "") throw new HushError("KEY_SOURCE", `hc_vault: ${label}: the service-account token ${path} is empty`);
      return { role: k8sRole!, jwt };
    },
  };
}

/** Logins made in this process, by their parameters: at most one each per run. */
const logins = new Map<string, Promise<string>>();

/** The first of Vault's `errors`, one line, shortened. */
function firstError(json: unknown): string {
  const errs = (json as { errors?: unknown } | null)?.errors;
  const first = Array.isArray(errs) ? String(errs[0] ?? "").split(/\r?\n/)[0]! : "";
  return first.length > 200 ? `${first.slice(0, 197)}…` : first;
}

async function login(spec: LoginSpec, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const body = await spec.body();
  const url = `${spec.address}/v1/auth/${spec.mount.split("/").map(encodeURIComponent).join("/")}/login`;
  const headers: Record<string, string> = { "content-type": "application/json", "x-vault-request": "true" };
  const ns = env["VAULT_NAMESPACE"]?.trim();
  if (ns) headers["x-vault-namespace"] = ns;
  const fail = (reason: string) => new HushError("KEY_SOURCE", `hc_vault: ${spec.label}: ${reason}`);
  let res: Response;
  try {
    // No redirects: the credentials go to VAULT_ADDR and nowhere else.
    res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: NodeJS.ErrnoException };
    if (err.name === "TimeoutError" || err.name === "AbortError") throw fail(`no answer within ${timeoutMs} ms (HUSH_KEY_TIMEOUT_MS)`);
    throw fail(err.cause?.code === "ECONNREFUSED" ? "connection refused" : `network error${err.cause?.code ? ` (${err.cause.code})` : ""}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await res.text());
  } catch {
    json = undefined;
  }
  if (!res.ok) throw fail(`${firstError(json) || "login refused"} (HTTP ${res.status})`);
  const token = (json as { auth?: { client_token?: unknown } } | undefined)?.auth?.client_token;
  if (typeof token !== "string" || token === "") throw fail("the answer has no client token");
  return token;
}

/**
 * The token a configured AppRole or Kubernetes login gives, for a request to `address`; undefined
 * when no login is configured or `address` is not `VAULT_ADDR` (the token never goes elsewhere).
 * Throws HushError KEY_SOURCE (one line, no secret) when the login fails; the failure is kept, so
 * every key of the run reports it without another attempt.
 */
export async function loginToken(env: NodeJS.ProcessEnv, address: string, timeoutMs: number): Promise<string | undefined> {
  const spec = loginSpec(env);
  if (!spec || trimAddr(address) !== spec.address) return undefined;
  const id = JSON.stringify([spec.method, spec.address, spec.mount, env["VAULT_ROLE_ID"], env["VAULT_SECRET_ID"], env["VAULT_K8S_ROLE"], env["VAULT_K8S_TOKEN_PATH"], env["VAULT_NAMESPACE"]]);
  let p = logins.get(id);
  if (!p) {
    p = login(spec, env, timeoutMs);
    p.catch(() => {});
    logins.set(id, p);
  }
  return p;
}

/** Whether an AppRole or Kubernetes login is configured (for hints). */
export function loginConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env["VAULT_ROLE_ID"]?.trim() || env["VAULT_K8S_ROLE"]?.trim());
}
