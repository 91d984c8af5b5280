/**
 * Huawei Cloud KMS (sops ≥ 3.12, `hckms/keysource.go`): the data key is encrypted with the KMS
 * `encrypt-data` API and decrypted with `decrypt-data`, as sops does through the Huawei Go SDK:
 *
 *   POST {endpoint}/v1.0/{project_id}/kms/encrypt-data
 *        {"key_id": uuid, "plain_text": base64(data key), "encryption_algorithm": "SYMMETRIC_DEFAULT"}
 *     → {"key_id": …, "cipher_text": …}                      (the entry's `enc`, verbatim)
 *   POST {endpoint}/v1.0/{project_id}/kms/decrypt-data
 *        {"cipher_text": enc, "encryption_algorithm": "SYMMETRIC_DEFAULT", "key_id": uuid}
 *     → {"plain_text": base64(data key), …}
 *
 * Requests are signed with Huawei's SDK-HMAC-SHA256 (APIG AK/SK signing), implemented here in the
 * way the official SDK core signs (`AKSKSigner`): the SDK core package
 * (`@huaweicloud/huaweicloud-sdk-core`) would add 45 packages and 23 MB (axios, log4js,
 * moment-timezone, lodash, ramda) to hush for about forty lines of HMAC, and its signer uses the
 * deprecated `url.parse`.
 *
 * Where requests go: `https://kms.{region}.myhuaweicloud.com`, the region taken from the key id
 * `region:uuid`, which is checked to be a plain region name, so a file can only choose among
 * Huawei's own hosts. `HUAWEICLOUD_SDK_REGION_KMS_{REGION}` (the SDK's own override, e.g.
 * `HUAWEICLOUD_SDK_REGION_KMS_CN_NORTH_4`; the first of a comma list) replaces it; that is how
 * tests reach the loopback server. Nothing in the file names an address.
 *
 * Credentials, as the SDK's basic credential chain: `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`
 * (+ `HUAWEICLOUD_SDK_SECURITY_TOKEN` for temporary keys), `HUAWEICLOUD_SDK_PROJECT_ID`; else the
 * `[basic]` section of `~/.huaweicloud/credentials` (or `HUAWEICLOUD_SDK_CREDENTIALS_FILE`).
 * Without a project id, the region's project is looked up with IAM (`GET /v3/projects?name=region`
 * at `HUAWEICLOUD_SDK_IAM_ENDPOINT`, default `https://iam.myhuaweicloud.com`), as the SDK does.
 * ECS metadata credentials are not supported.
 */
import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient, LoadedUnwrapper, RecipientSpec } from "./key-source.js";
import { createdAtNow, entryString, firstLine, keyTimeoutMs, MAX_ATTEMPTS, remoteUnwrapper, serviceReason, withDeadline } from "./remote.js";

/** A key id split: `region:uuid`. */
export interface HckmsKey {
  readonly keyId: string;
  readonly region: string;
  readonly uuid: string;
}

/** Region names are host labels: letters, digits and dashes (`cn-north-4`, `ap-southeast-1`). */
const REGION_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Parses `region:uuid` as sops's `parseKeyID` does (split at the first colon, both parts trimmed
 * and non-empty), and checks the region is a plain name, since it becomes part of a host name.
 */
export function parseHckmsKeyId(spec: RecipientSpec): HckmsKey {
  if (typeof spec !== "string") throw new HushError("CONFIG", "an hckms key id must be a string region:uuid");
  const keyId = spec.trim();
  const at = keyId.indexOf(":");
  const region = at < 0 ? "" : keyId.slice(0, at).trim();
  const uuid = at < 0 ? "" : keyId.slice(at + 1).trim();
  const shown = JSON.stringify(keyId.slice(0, 100));
  if (at < 0) throw new HushError("CONFIG", `invalid hckms key id ${shown}: expected region:key-uuid`);
  if (region === "" || uuid === "") throw new HushError("CONFIG", `invalid hckms key id ${shown}: the region and the key uuid must not be empty`);
  if (region.length > 40 || !REGION_RE.test(region)) throw new HushError("CONFIG", `invalid hckms key id ${shown}: ${JSON.stringify(region.slice(0, 40))} is not a region name`);
  if (!/^[A-Za-z0-9-]{1,64}$/.test(uuid)) throw new HushError("CONFIG", `invalid hckms key id ${shown}: the key uuid has unexpected characters`);
  return { keyId, region, uuid };
}

/** The KMS endpoint of a region: the SDK's environment override, else Huawei's public host. */
export function hckmsEndpoint(region: string, env: NodeJS.ProcessEnv): string {
  const override = env[`HUAWEICLOUD_SDK_REGION_KMS_${region.toUpperCase().replace(/-/g, "_")}`];
  const first = override?.split(",")[0]?.trim();
  return (first || `https://kms.${region}.myhuaweicloud.com`).replace(/\/+$/, "");
}

interface Credentials {
  ak: string;
  sk: string;
  securityToken: string;
  projectId: string;
}

/** The `[basic]` section of the SDK's credentials file (INI; `key = value`). */
async function credentialsFile(env: NodeJS.ProcessEnv): Promise<Partial<Credentials> | undefined> {
  const path = env["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] || join(env["HOME"] || homedir(), ".huaweicloud", "credentials");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const out: Record<string, string> = {};
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!.trim().toLowerCase();
      continue;
    }
    const eq = line.indexOf("=");
    if (section === "basic" && eq > 0) out[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return { ak: out["ak"] ?? "", sk: out["sk"] ?? "", securityToken: out["security_token"] ?? "", projectId: out["project_id"] ?? "" };
}

async function credentials(env: NodeJS.ProcessEnv): Promise<Credentials> {
  const fromEnv = { ak: env["HUAWEICLOUD_SDK_AK"] ?? "", sk: env["HUAWEICLOUD_SDK_SK"] ?? "" };
  const c = fromEnv.ak && fromEnv.sk ? { ...fromEnv, securityToken: env["HUAWEICLOUD_SDK_SECURITY_TOKEN"] ?? "", projectId: env["HUAWEICLOUD_SDK_PROJECT_ID"] ?? "" } : await credentialsFile(env);
  if (!c?.ak || !c.sk) {
    throw new HushError(
      "KEY_SOURCE",
      "no Huawei Cloud credentials found (set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or write ~/.huaweicloud/credentials)",
    );
  }
  return { ak: c.ak, sk: c.sk, securityToken: c.securityToken ?? "", projectId: c.projectId || env["HUAWEICLOUD_SDK_PROJECT_ID"] || "" };
}

const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** RFC 3986 percent-encoding of one path segment or query part, as the SDK signer encodes. */
function encodePart(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `20261207T063000Z`: the `X-Sdk-Date` form. */
export function sdkDate(now: Date = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/**
 * The SDK-HMAC-SHA256 signature of a request (Huawei APIG AK/SK signing): the canonical request is
 * method, path segments encoded and ending in `/`, the sorted query, the signed headers (lower-case
 * `name:value` lines, sorted) and their names, and the body's SHA-256; the string to sign is the
 * algorithm, the `X-Sdk-Date` and the canonical request's SHA-256; the signature is its HMAC with
 * the secret key. Returns the `Authorization` header value.
 */
export function signRequest(
  req: { method: string; url: URL; headers: Readonly<Record<string, string>>; body: string },
  ak: string,
  sk: string,
): string {
  const names = Object.keys(req.headers)
    .map((h) => h.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  let path = req.url.pathname.split("/").map((p) => encodePart(decodeURIComponent(p))).join("/");
  if (!path.endsWith("/")) path += "/";
  const query = [...req.url.searchParams.entries()]
    .map(([k, v]) => [encodePart(k), encodePart(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonical = [req.method, path, query, names.map((n) => `${n}:${lower[n]}\n`).join(""), names.join(";"), sha256Hex(req.body)].join("\n");
  const toSign = ["SDK-HMAC-SHA256", lower["x-sdk-date"] ?? "", sha256Hex(canonical)].join("\n");
  const signature = createHmac("sha256", sk).update(toSign).digest("hex");
  return `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
}

/** An HTTP answer that is not 2xx, with Huawei's error code and message when the body has them. */
class HuaweiHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** One signed JSON call, retried on network failures and 429/5xx, all under `signal`. */
async function call(creds: Credentials, method: "GET" | "POST", url: URL, body: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
  const text = body === undefined ? "" : JSON.stringify(body);
  let last: unknown;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const headers: Record<string, string> = { host: url.host, "x-sdk-date": sdkDate() };
    if (body !== undefined) headers["content-type"] = "application/json;charset=UTF-8";
    if (creds.projectId) headers["x-project-id"] = creds.projectId;
    if (creds.securityToken) headers["x-security-token"] = creds.securityToken;
    headers["authorization"] = signRequest({ method, url, headers, body: text }, creds.ak, creds.sk);
    try {
      // fetch sets Host itself, from the same URL.
      const sent = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== "host"));
      const res = await fetch(url, { method, headers: sent, ...(body === undefined ? {} : { body: text }), signal });
      const raw = await res.text();
      let json: unknown;
      try {
        json = raw === "" ? {} : JSON.parse(raw);
      } catch {
        json = undefined;
      }
      if (res.ok) {
        if (typeof json !== "object" || json === null) throw new HuaweiHttpError(res.status, "", "the answer is not JSON");
        return json as Record<string, unknown>;
      }
      const err = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
      const inner = (typeof err["error"] === "object" && err["error"] !== null ? err["error"] : err) as Record<string, unknown>;
      const e = new HuaweiHttpError(res.status, String(inner["error_code"] ?? ""), String(inner["error_msg"] ?? res.statusText));
      if (!RETRYABLE.has(res.status)) throw e;
      last = e;
    } catch (e) {
      if (e instanceof HuaweiHttpError || signal.aborted) throw e;
      last = e;
    }
  }
  throw last;
}

/** One line for a failure: network, Huawei's error code and message, or HTTP status. */
function huaweiReason(err: unknown): string {
  return serviceReason(err, (e) => {
    if (!(e instanceof HuaweiHttpError)) return undefined;
    const what = e.status === 401 || e.status === 403 ? "access denied" : e.status === 404 ? "not found" : `HTTP ${e.status}`;
    return `${what}: ${firstLine(e.message, 120)}${e.code ? ` (${e.code})` : ""}`;
  });
}

/** The project id: from the credentials, else IAM's project named after the region (as the SDK does). */
async function projectId(env: NodeJS.ProcessEnv, creds: Credentials, region: string, signal: AbortSignal): Promise<string> {
  if (creds.projectId) return creds.projectId;
  const iam = (env["HUAWEICLOUD_SDK_IAM_ENDPOINT"] || "https://iam.myhuaweicloud.com").replace(/\/+$/, "");
  const url = new URL(`${iam}/v3/projects`);
  url.searchParams.set("name", region);
  const res = await call(creds, "GET", url, undefined, signal);
  const projects = Array.isArray(res["projects"]) ? (res["projects"] as Record<string, unknown>[]) : [];
  const id = projects.find((p) => typeof p?.["id"] === "string")?.["id"] as string | undefined;
  if (!id) throw new HushError("KEY_SOURCE", `no Huawei Cloud project for region ${region} (set HUAWEICLOUD_SDK_PROJECT_ID)`);
  return id;
}

/** Runs one KMS call for a key under the deadline; failures are HushError KEY_SOURCE naming the key. */
async function kms(key: HckmsKey, env: NodeJS.ProcessEnv, what: string, op: "encrypt-data" | "decrypt-data", body: Record<string, string>): Promise<Record<string, unknown>> {
  const timeoutMs = keyTimeoutMs(env);
  try {
    const creds = await credentials(env);
    return await withDeadline(timeoutMs, async (signal) => {
      const project = await projectId(env, creds, key.region, signal);
      const url = new URL(`${hckmsEndpoint(key.region, env)}/v1.0/${encodePart(project)}/kms/${op}`);
      return call({ ...creds, projectId: project }, "POST", url, body, signal);
    });
  } catch (e) {
    if (e instanceof HushError) throw new HushError(e.code, `${what} failed: ${e.message}`, e.hint, { cause: e });
    throw new HushError("KEY_SOURCE", `${what} failed: ${huaweiReason(e)}`, undefined, { cause: e });
  }
}

/** A recipient that encrypts the data key with Huawei Cloud KMS `encrypt-data`. */
export function hckmsRecipient(spec: RecipientSpec, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  const key = parseHckmsKeyId(spec);
  return {
    kind: "hckms",
    id: key.keyId,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const res = await kms(key, env, `Huawei Cloud KMS encrypt with ${key.keyId}`, "encrypt-data", {
        key_id: key.uuid,
        plain_text: Buffer.from(dataKey).toString("base64"),
        encryption_algorithm: "SYMMETRIC_DEFAULT",
      });
      const enc = res["cipher_text"];
      if (typeof enc !== "string" || enc === "") throw new HushError("KEY_SOURCE", `Huawei Cloud KMS encrypt with ${key.keyId} failed: the answer has no cipher_text`);
      return { created_at: createdAtNow(), enc, key_id: key.keyId };
    },
  };
}

/** Unwraps `sops.hckms[]` entries with `decrypt-data` (never null: see remoteUnwrapper). */
export function loadHckmsUnwrapper(env: NodeJS.ProcessEnv = process.env): Promise<LoadedUnwrapper> {
  return remoteUnwrapper("hckms", "Huawei Cloud KMS", (entry) => {
    const keyId = entryString(entry, "key_id");
    const enc = entryString(entry, "enc");
    return {
      id: [keyId, enc],
      async unwrap() {
        const key = parseHckmsKeyId(keyId);
        if (enc === "") throw new HushError("KEY_SOURCE", `hckms entry for ${key.keyId} has no enc`);
        const what = `Huawei Cloud KMS decrypt with ${key.keyId}`;
        const res = await kms(key, env, what, "decrypt-data", { cipher_text: enc, encryption_algorithm: "SYMMETRIC_DEFAULT", key_id: key.uuid });
        const plain = res["plain_text"];
        const bytes = typeof plain === "string" && /^[A-Za-z0-9+/]+={0,2}$/.test(plain) ? Buffer.from(plain, "base64") : undefined;
        if (!bytes || bytes.length === 0) throw new HushError("KEY_SOURCE", `${what} failed: the answer has no base64 plain_text`);
        const out = Uint8Array.from(bytes);
        bytes.fill(0);
        return out;
      },
    };
  });
}
