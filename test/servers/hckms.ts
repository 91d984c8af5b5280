/**
 * A protocol-level Huawei Cloud KMS server for tests, on 127.0.0.1 (an ephemeral port).
 *
 * It speaks what sops's `hckms` key source uses through the Huawei SDK
 * (https://support.huaweicloud.com/intl/en-us/api-dew/EncryptData.html):
 * `POST /v1.0/{project_id}/kms/encrypt-data` `{"key_id", "plain_text", "encryption_algorithm"}` →
 * `{"key_id", "cipher_text"}` and `POST /v1.0/{project_id}/kms/decrypt-data` `{"cipher_text",
 * "encryption_algorithm", "key_id"}` → `{"plain_text", "plain_text_base64"}`, plus IAM's
 * `GET /v3/projects?name={region}` (the SDK's project lookup). It really encrypts: AES-256-GCM under
 * a secret per key, the key uuid as additional data, so a foreign or tampered ciphertext fails.
 *
 * Every request is authenticated the way Huawei's API gateway does it, independently of hush's
 * signer: the `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header is
 * parsed, the canonical request is rebuilt from what actually arrived (method, path, sorted query,
 * the listed headers, the body's SHA-256), the HMAC-SHA256 is recomputed with the user's secret key
 * and compared; `host` and `x-sdk-date` must be signed and the date within 15 minutes. Failures
 * answer 401 `APIGW.0301` as the gateway does. A user may use only the keys allowed to it.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

interface TestHuaweiUser {
  ak: string;
  sk: string;
  projectId: string;
}

interface TestHckmsKey {
  uuid: string;
  /** AKs allowed to use it (default: every user). */
  allow?: readonly string[];
}

export interface HckmsServerOptions {
  /** The region this endpoint serves (IAM's project lookup answers for it). */
  region: string;
  users: readonly TestHuaweiUser[];
  keys: readonly TestHckmsKey[];
}

/** One request seen by the server (no bodies, no secrets). */
interface SeenHckmsRequest {
  method: string;
  path: string;
  /** The AK that signed it, or "" when the signature was rejected. */
  ak: string;
  status: number;
}

export interface HckmsServer {
  /** `http://127.0.0.1:<port>` */
  readonly address: string;
  readonly requests: SeenHckmsRequest[];
  /** Milliseconds to wait before answering each request. */
  delayMs: number;
  /** The next `n` requests get `status` (default 503) instead of an answer. */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const AUTH = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

/** The gateway's check; returns the user or a reason. */
function authenticate(req: IncomingMessage, body: Buffer, users: readonly TestHuaweiUser[]): TestHuaweiUser | string {
  const m = AUTH.exec(req.headers["authorization"] ?? "");
  if (!m) return "missing or malformed Authorization";
  const [, ak, signed, signature] = m as unknown as [string, string, string, string];
  const user = users.find((u) => u.ak === ak);
  if (!user) return "unknown access key";
  const names = signed.split(";");
  if (!names.includes("host") || !names.includes("x-sdk-date")) return "host and x-sdk-date must be signed";
  if ([...names].sort().join(";") !== signed) return "signed headers not sorted";
  const date = String(req.headers["x-sdk-date"] ?? "");
  const d = SDK_DATE.exec(date);
  if (!d) return "bad X-Sdk-Date";
  const t = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!);
  if (Math.abs(Date.now() - t) > 15 * 60_000) return "request expired";
  const url = new URL(req.url ?? "/", "http://x");
  let path = url.pathname.split("/").map((p) => enc(decodeURIComponent(p))).join("/");
  if (!path.endsWith("/")) path += "/";
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .sort()
    .join("&");
  const headerLines = names.map((n) => {
    const v = req.headers[n];
    return `${n}:${(Array.isArray(v) ? v.join(",") : (v ?? "")).trim()}\n`;
  });
  const canonical = [req.method, path, query, headerLines.join(""), signed, sha256(body)].join("\n");
  const toSign = ["SDK-HMAC-SHA256", date, sha256(canonical)].join("\n");
  const want = createHmac("sha256", user.sk).update(toSign).digest();
  return timingSafeEqual(want, Buffer.from(signature, "hex")) ? user : "signature mismatch";
}

/** Starts a Huawei Cloud KMS (and IAM project lookup) server on 127.0.0.1. */
export async function startHckmsServer(options: HckmsServerOptions): Promise<HckmsServer> {
  const secrets = new Map(options.keys.map((k) => [k.uuid, { secret: randomBytes(32), allow: k.allow }]));
  const requests: SeenHckmsRequest[] = [];
  const sockets = new Set<Socket>();
  let failures = 0;
  let failStatus = 503;
  const state = { delayMs: 0 };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  const kmsError = (res: ServerResponse, status: number, code: string, msg: string) => send(res, status, { error: { error_code: code, error_msg: msg } });

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): number => {
    if (failures > 0) {
      failures--;
      kmsError(res, failStatus, "KMS.0001", "service unavailable (test)");
      return failStatus;
    }
    const user = authenticate(req, body, options.users);
    if (typeof user === "string") {
      send(res, 401, { error_msg: `Incorrect IAM authentication information: ${user}`, error_code: "APIGW.0301", request_id: "test" });
      return 401;
    }
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/v3/projects") {
      const name = url.searchParams.get("name");
      send(res, 200, { projects: name === options.region ? [{ id: user.projectId, name }] : [] });
      return 200;
    }
    const m = /^\/v1\.0\/([^/]+)\/kms\/(encrypt-data|decrypt-data)$/.exec(url.pathname);
    if (req.method !== "POST" || !m) {
      kmsError(res, 404, "APIGW.0101", "The API does not exist or has not been published in the environment");
      return 404;
    }
    if (m[1] !== user.projectId || req.headers["x-project-id"] !== user.projectId) {
      kmsError(res, 403, "KMS.0303", "project id does not match the credentials");
      return 403;
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    } catch {
      kmsError(res, 400, "KMS.0201", "Invalid request body");
      return 400;
    }
    if (json["encryption_algorithm"] !== "SYMMETRIC_DEFAULT") {
      kmsError(res, 400, "KMS.0201", "Invalid encryption_algorithm");
      return 400;
    }
    const uuid = String(json["key_id"] ?? "");
    const key = secrets.get(uuid);
    if (!key) {
      kmsError(res, 404, "KMS.0205", `The key ${uuid} does not exist`);
      return 404;
    }
    if (key.allow && !key.allow.includes(user.ak)) {
      kmsError(res, 403, "KMS.0303", "You have no permission to use this key");
      return 403;
    }
    if (m[2] === "encrypt-data") {
      const plain = json["plain_text"];
      if (typeof plain !== "string" || plain === "") {
        kmsError(res, 400, "KMS.0201", "plain_text is required");
        return 400;
      }
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key.secret, iv).setAAD(Buffer.from(uuid));
      const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
      send(res, 200, { key_id: uuid, cipher_text: Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64") });
      return 200;
    }
    const blob = Buffer.from(String(json["cipher_text"] ?? ""), "base64");
    try {
      if (blob.length < 29) throw new Error("short");
      const d = createDecipheriv("aes-256-gcm", key.secret, blob.subarray(0, 12)).setAAD(Buffer.from(uuid));
      d.setAuthTag(blob.subarray(12, 28));
      const plain = Buffer.concat([d.update(blob.subarray(28)), d.final()]).toString("utf8");
      send(res, 200, { key_id: uuid, plain_text: plain, plain_text_base64: Buffer.from(plain).toString("base64") });
      return 200;
    } catch {
      kmsError(res, 400, "KMS.0209", "Failed to decrypt the data");
      return 400;
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = () => {
        if (res.destroyed) return;
        const body = Buffer.concat(chunks);
        const status = handle(req, res, body);
        const ak = /Access=([^,]+)/.exec(req.headers["authorization"] ?? "")?.[1] ?? "";
        requests.push({ method: req.method ?? "", path: new URL(req.url ?? "/", "http://x").pathname, ak: status === 401 ? "" : ak, status });
      };
      if (state.delayMs > 0) setTimeout(answer, state.delayMs).unref();
      else answer();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v: number) {
      state.delayMs = v;
    },
    failNext(n: number, status = 503) {
      failures = n;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
