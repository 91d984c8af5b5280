/**
 * A loopback AWS KMS (and STS) server for tests: the real `@aws-sdk/client-kms` and
 * `@aws-sdk/client-sts` talk to it through `AWS_ENDPOINT_URL`.
 *
 * It speaks the wire protocols the SDKs use: KMS's JSON 1.1 (`POST /`, `X-Amz-Target:
 * TrentService.Encrypt|Decrypt`, `application/x-amz-json-1.1`, errors as `{"__type", "message"}`
 * with `x-amzn-ErrorType`) and STS's query protocol (`Action=AssumeRole`, XML answers). Every
 * request's SigV4 signature is recomputed from the known secret of its access key and checked, so
 * wrong credentials fail as they would at AWS (`UnrecognizedClientException`,
 * `InvalidSignatureException`). Encrypt really encrypts: AES-256-GCM under a per-key secret with
 * the encryption context as additional data, so a wrong context is `InvalidCiphertextException`
 * and another key's blob is `IncorrectKeyException`. Alias ARNs name their key, and a bare
 * `alias/NAME` is looked up in the request's region, as KMS does. Keys may be limited to some principals
 * (`AccessDeniedException`), and roles hand out temporary credentials through AssumeRole.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Long-lived credentials the server accepts. */
interface TestAwsUser {
  accessKeyId: string;
  secretAccessKey: string;
  /** The principal's ARN, used in access lists and error messages. */
  arn: string;
}

interface TestKmsKey {
  /** `arn:aws:kms:REGION:ACCOUNT:key/ID`. */
  arn: string;
  /** Alias ARNs that name the same key. */
  aliases?: string[];
  /** Principal ARNs (users or roles) allowed to use the key; everyone when omitted. */
  allow?: string[];
}

interface TestRole {
  arn: string;
  /** Users allowed to assume it; everyone when omitted. */
  allow?: string[];
}

export interface AwsKmsServerOptions {
  users: TestAwsUser[];
  keys: TestKmsKey[];
  roles?: TestRole[];
}

export interface AwsKmsServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`. */
  readonly url: string;
  /** Requests answered, by operation (`Encrypt`, `Decrypt`, `AssumeRole`). */
  readonly calls: Record<string, number>;
  /** Requests received (answered or not, e.g. still delayed), by their `X-Amz-Target` operation. */
  readonly received: Record<string, number>;
  /** Requests whose client closed the connection before the answer (a client-side abort or timeout). */
  readonly abandoned: Record<string, number>;
  /** Session names given to AssumeRole, in order. */
  readonly sessionNames: string[];
  /** Delay every answer by this many milliseconds (a slow or hung server). */
  delayMs: number;
  stop(): Promise<void>;
}

interface Principal {
  secretAccessKey: string;
  sessionToken?: string;
  arn: string;
}

interface KeyState {
  arn: string;
  region: string;
  secret: Buffer;
  allow?: string[];
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Checks a request's SigV4 `Authorization` header against the principals the server knows, and
 * returns the principal, the credential scope's region and service. Throws AwsError with the
 * error AWS gives for each failure.
 */
function verifySigV4(req: IncomingMessage, body: Buffer, principals: Map<string, Principal>): { principal: Principal; region: string; service: string } {
  const auth = req.headers["authorization"];
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth ?? "");
  if (!m) throw new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token");
  const [, akid, date, region, service, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string, string];
  const principal = principals.get(akid);
  if (!principal) throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");
  if (principal.sessionToken !== undefined && req.headers["x-amz-security-token"] !== principal.sessionToken) {
    throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!when || !amzDate.startsWith(date)) throw new AwsError("IncompleteSignatureException", "Bad X-Amz-Date");
  const t = Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!);
  if (Math.abs(Date.now() - t) > 15 * 60_000) throw new AwsError("InvalidSignatureException", "Signature expired");

  const url = new URL(req.url ?? "/", "http://x");
  const path = url.pathname.split("/").map((seg) => uriEncode(decodeURIComponent(seg))).join("/") || "/";
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const names = signedHeaders.split(";");
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      const value = Array.isArray(v) ? v.join(",") : (v ?? "");
      return `${n}:${value.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const payloadHash = typeof req.headers["x-amz-content-sha256"] === "string" ? req.headers["x-amz-content-sha256"] : sha256(body);
  const canonicalRequest = [req.method, path, query, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const kDate = hmac(`AWS4${principal.secretAccessKey}`, date);
  const kSigning = hmac(hmac(hmac(kDate, region), service), "aws4_request");
  const expected = createHmac("sha256", kSigning).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    throw new AwsError(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
  return { principal, region, service };
}

/** The additional data binding a ciphertext to its encryption context: sorted JSON. */
function contextAad(ctx: unknown): Buffer {
  const obj = ctx && typeof ctx === "object" ? (ctx as Record<string, unknown>) : {};
  return Buffer.from(JSON.stringify(Object.keys(obj).sort().map((k) => [k, String(obj[k])])));
}

/** Starts the server on 127.0.0.1 with a free port. */
export async function startAwsKmsServer(options: AwsKmsServerOptions): Promise<AwsKmsServer> {
  const principals = new Map<string, Principal>();
  for (const u of options.users) principals.set(u.accessKeyId, { secretAccessKey: u.secretAccessKey, arn: u.arn });
  const keys = new Map<string, KeyState>();
  const keysById = new Map<string, KeyState>();
  for (const k of options.keys) {
    const region = k.arn.split(":")[3]!;
    const state: KeyState = { arn: k.arn, region, secret: randomBytes(32), ...(k.allow ? { allow: k.allow } : {}) };
    keys.set(k.arn, state);
    keysById.set(k.arn.split("/").pop()!, state);
    for (const a of k.aliases ?? []) keys.set(a, state);
  }
  const roles = new Map((options.roles ?? []).map((r) => [r.arn, r]));
  const calls: Record<string, number> = {};
  const received: Record<string, number> = {};
  const abandoned: Record<string, number> = {};
  const sessionNames: string[] = [];

  function findKey(keyId: unknown, region: string): KeyState {
    // KMS resolves a bare `alias/NAME` in the region (and account) of the request.
    const alias = typeof keyId === "string" && keyId.startsWith("alias/") ? [...keys.keys()].find((a) => a.split(":")[3] === region && a.endsWith(`:${keyId}`)) : undefined;
    const k = typeof keyId === "string" ? (keys.get(alias ?? keyId) ?? keysById.get(keyId)) : undefined;
    // A key lives in one region: asking another region's endpoint does not find it.
    if (!k || k.region !== region) throw new AwsError("NotFoundException", `Key '${String(keyId)}' does not exist`);
    return k;
  }

  function checkAccess(k: KeyState, who: Principal, action: string): void {
    if (k.allow && !k.allow.includes(who.arn)) {
      throw new AwsError(
        "AccessDeniedException",
        `User: ${who.arn} is not authorized to perform: kms:${action} on resource: ${k.arn} because no resource-based policy allows the kms:${action} action`,
      );
    }
  }

  function kms(target: string, input: Record<string, unknown>, who: Principal, region: string): unknown {
    if (target === "Encrypt") {
      const k = findKey(input["KeyId"], region);
      checkAccess(k, who, "Encrypt");
      const plaintext = Buffer.from(String(input["Plaintext"] ?? ""), "base64");
      if (plaintext.length === 0 || plaintext.length > 4096) throw new AwsError("ValidationException", "Plaintext must be 1 to 4096 bytes");
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", k.secret, iv);
      c.setAAD(contextAad(input["EncryptionContext"]));
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      const keyId = Buffer.from(k.arn);
      const blob = Buffer.concat([Buffer.from([1, keyId.length >> 8, keyId.length & 0xff]), keyId, iv, c.getAuthTag(), ct]);
      return { CiphertextBlob: blob.toString("base64"), KeyId: k.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
    }
    if (target === "Decrypt") {
      const blob = Buffer.from(String(input["CiphertextBlob"] ?? ""), "base64");
      const invalid = () => new AwsError("InvalidCiphertextException", "");
      if (blob.length < 3 || blob[0] !== 1) throw invalid();
      const n = (blob[1]! << 8) | blob[2]!;
      if (blob.length < 3 + n + 12 + 16) throw invalid();
      const owner = keys.get(blob.subarray(3, 3 + n).toString());
      if (!owner) throw invalid();
      if (input["KeyId"] !== undefined) {
        const named = findKey(input["KeyId"], region);
        if (named !== owner) {
          throw new AwsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.");
        }
      }
      if (owner.region !== region) throw invalid();
      checkAccess(owner, who, "Decrypt");
      const iv = blob.subarray(3 + n, 3 + n + 12);
      const tag = blob.subarray(3 + n + 12, 3 + n + 28);
      const d = createDecipheriv("aes-256-gcm", owner.secret, iv);
      d.setAAD(contextAad(input["EncryptionContext"]));
      d.setAuthTag(tag);
      let plain: Buffer;
      try {
        plain = Buffer.concat([d.update(blob.subarray(3 + n + 28)), d.final()]);
      } catch {
        throw invalid();
      }
      return { KeyId: owner.arn, Plaintext: plain.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
    }
    throw new AwsError("UnknownOperationException", "");
  }

  function assumeRole(params: URLSearchParams, who: Principal): string {
    const roleArn = params.get("RoleArn") ?? "";
    const name = params.get("RoleSessionName") ?? "";
    const role = roles.get(roleArn);
    if (!role || (role.allow && !role.allow.includes(who.arn))) {
      throw new AwsError("AccessDenied", `User: ${who.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(name)) throw new AwsError("ValidationError", "Invalid RoleSessionName", 400);
    sessionNames.push(name);
    const akid = `ASIA${randomBytes(8).toString("hex").toUpperCase()}`;
    const secret = randomBytes(30).toString("base64");
    const token = randomBytes(48).toString("base64");
    principals.set(akid, { secretAccessKey: secret, sessionToken: token, arn: roleArn });
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <AssumedRoleId>AROA0000000000000000:${name}</AssumedRoleId>
      <Arn>${roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")}/${name}</Arn>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${akid}</AccessKeyId>
      <SecretAccessKey>${secret}</SecretAccessKey>
      <SessionToken>${token}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;
  }

  const sockets = new Set<import("node:net").Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const state = { delayMs: 0 };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers["x-amz-target"] ?? "");
      const isKms = target.startsWith("TrentService.");
      const name = target.slice(target.indexOf(".") + 1) || "(none)";
      received[name] = (received[name] ?? 0) + 1;
      res.on("close", () => {
        if (!res.writableEnded) abandoned[name] = (abandoned[name] ?? 0) + 1;
      });
      const answer = () => {
        try {
          const { principal, region, service } = verifySigV4(req, body, principals);
          if (isKms) {
            if (service !== "kms") throw new AwsError("InvalidSignatureException", "Credential should be scoped to correct service: 'kms'.");
            if (req.headers["content-type"] !== "application/x-amz-json-1.1") throw new AwsError("SerializationException", "bad content type");
            const op = target.slice("TrentService.".length);
            const out = kms(op, JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>, principal, region);
            calls[op] = (calls[op] ?? 0) + 1;
            res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() });
            res.end(JSON.stringify(out));
            return;
          }
          const params = new URLSearchParams(body.toString("utf8"));
          if (service !== "sts" || params.get("Action") !== "AssumeRole") throw new AwsError("InvalidAction", "Could not find operation", 400);
          const xml = assumeRole(params, principal);
          calls["AssumeRole"] = (calls["AssumeRole"] ?? 0) + 1;
          res.writeHead(200, { "content-type": "text/xml" });
          res.end(xml);
        } catch (e) {
          const err = e instanceof AwsError ? e : new AwsError("InternalFailure", String(e), 500);
          if (isKms) {
            res.writeHead(err.status, {
              "content-type": "application/x-amz-json-1.1",
              "x-amzn-errortype": `${err.type}:http://internal.amazon.com/coral/com.amazonaws.kms/`,
              "x-amzn-requestid": randomUUID(),
            });
            res.end(JSON.stringify({ __type: err.type, message: err.message }));
          } else {
            // STS's query protocol: authentication failures are 403 with their own names.
            const type = err.type === "UnrecognizedClientException" ? "InvalidClientTokenId" : err.type === "InvalidSignatureException" ? "SignatureDoesNotMatch" : err.type;
            const status = type === "InvalidClientTokenId" || type === "SignatureDoesNotMatch" ? 403 : err.status;
            res.writeHead(status, { "content-type": "text/xml" });
            res.end(
              `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${type}</Code><Message>${err.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
            );
          }
        }
      };
      if (state.delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          answer();
        }, state.delayMs);
        timers.add(t);
      } else answer();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    received,
    abandoned,
    sessionNames,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
