/**
 * AWS KMS master keys (sops `kms/keysource.go`, SOPS-FORMAT.md §7.3, §8.5).
 *
 * An entry is `{arn, aws_profile, context, created_at, enc, role}`: `aws_profile` is always written
 * (`""` when none), `context` and `role` only when set, `enc` is the standard base64 of the KMS
 * `CiphertextBlob`. Encrypt and Decrypt both name the key (`KeyId: arn`) and pass the encryption
 * context, which KMS binds to the ciphertext: a different context does not decrypt.
 *
 * Where things come from, as in sops:
 * - the region from the ARN (`AWS_REGION` is ignored: a key lives in one region); a bare
 *   `alias/NAME` (not in sops) takes the region as the SDK does (`AWS_REGION`, `AWS_DEFAULT_REGION`,
 *   the profile's `region`) and is stored as its full alias ARN, which sops reads;
 * - credentials from the SDK's default chain (environment, shared config and credentials files,
 *   SSO, web identity, container and instance roles), with `aws_profile` choosing the profile;
 * - `role`: STS `AssumeRole` with the session name `sops@<hostname>`, then KMS with those
 *   temporary credentials;
 * - endpoints: the SDK's own `AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL_STS` and
 *   `AWS_ENDPOINT_URL` (and `endpoint_url` in the shared config), which `@aws-sdk/client-kms`
 *   3.1164 resolves itself (`@smithy/core` `getEndpointFromConfig`), so LocalStack-style endpoints
 *   work with no code here. The SDK reads these, and its credential variables, from `process.env`.
 *
 * Each request has `HUSH_KEY_TIMEOUT_MS` (default 10 s) in all, retries included, and at most
 * {@link MAX_ATTEMPTS} attempts. `@aws-sdk/client-kms` costs ~90 ms to import (STS ~60 ms more),
 * so both are imported only when a KMS key is used.
 *
 * sops before 3.3.0 wrapped data keys under a wrong encryption context when the context had two or
 * more different values: every key got the same one of them (SOPS-FORMAT.md §14-Q20, sops PR 435).
 * As sops does, when KMS rejects such an entry's context, each "all values equal" variant is tried.
 * sops tries them only for files whose `version` is below 3.3.0; hush tries them whatever the
 * version (a variant can only succeed where the blob was made under it, which is that bug), and
 * does not rewrite the file: `hush rotate` re-wraps the data key under the recorded context.
 */
import { hostname } from "node:os";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient } from "./key-source.js";
import type { LoadedUnwrapper, RecipientSpec } from "./key-source.js";
import { createdAtNow, decodeBase64, entryString, firstLine, keyTimeoutMs, MAX_ATTEMPTS, remoteUnwrapper, serviceReason, withDeadline } from "./remote.js";

type KmsLib = typeof import("@aws-sdk/client-kms");
type StsLib = typeof import("@aws-sdk/client-sts");

let kmsLib: Promise<KmsLib> | undefined;
let stsLib: Promise<StsLib> | undefined;
const loadKms = (): Promise<KmsLib> => (kmsLib ??= (quietNodeVersionWarning(), import("@aws-sdk/client-kms")));
const loadSts = (): Promise<StsLib> => (stsLib ??= (quietNodeVersionWarning(), import("@aws-sdk/client-sts")));

/**
 * On Node < 22 the SDK prints a multi-line `NodeVersionSupportWarning` on stderr at the first
 * client, which would break hush's one-line error output; this is the SDK's documented opt-out,
 * left alone when the user set it either way.
 */
function quietNodeVersionWarning(): void {
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
}

/**
 * The SDK logs to `console` by default, for example a multi-line warning when both a profile and
 * `AWS_ACCESS_KEY_ID` are set. hush prints one line per failure, so SDK logging goes nowhere unless
 * `HUSH_DEBUG` is set. A plain object, not the SDK's NoOpLogger: that class name is what makes the
 * SDK fall back to `console.warn`. No `info` at all: the SDK's logger middleware calls
 * `logger?.info?.(…)` after every call, and with an `info` present it first copies the request and
 * the response through their sensitive-field filters, only for `info` to drop them (a measurable
 * share of each KMS call's CPU in a 1,000-file updatekeys, issue 20).
 */
function sdkLogger(env: NodeJS.ProcessEnv) {
  const quiet = (): void => {};
  // The SDK's Logger type lists `info`; its only caller checks for it (`logger?.info?.(…)`).
  type SdkLogger = { debug: typeof quiet; info: typeof quiet; warn: typeof quiet; error: typeof quiet };
  const logger = env["HUSH_DEBUG"] ? { debug: quiet, warn: console.warn, error: console.error } : { debug: quiet, warn: quiet, error: quiet };
  return logger as unknown as SdkLogger;
}

/** sops's ARN pattern; group 1 is the region. */
const ARN_RE = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/;

/** One AWS KMS key as sops describes it. */
export interface KmsKey {
  /** Key or alias ARN. */
  readonly arn: string;
  /** IAM role ARN to assume first, or "". */
  readonly role: string;
  /** Encryption context (may be empty). */
  readonly context: Readonly<Record<string, string>>;
  /** Shared-config profile, or "". */
  readonly awsProfile: string;
}

/** The region of a KMS key ARN, or undefined when the ARN does not match sops's pattern. */
export function kmsRegion(arn: string): string | undefined {
  return ARN_RE.exec(arn)?.[1];
}

/** A bare alias, `alias/NAME` (KMS's own alias name syntax), which hush accepts beside ARNs. */
const BARE_ALIAS_RE = /^alias\/[A-Za-z0-9/_-]+$/;

/**
 * The region a key lives in: the ARN's, or for a bare `alias/NAME` the environment's
 * (`AWS_REGION`, then `AWS_DEFAULT_REGION`), or "" to let the SDK find it in the profile's
 * shared config, as it does for any client. Undefined when `arn` is neither.
 */
function keyRegion(arn: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = kmsRegion(arn);
  if (r) return r;
  if (!BARE_ALIAS_RE.test(arn)) return undefined;
  return env["AWS_REGION"]?.trim() || env["AWS_DEFAULT_REGION"]?.trim() || "";
}

/**
 * The alias ARN for a bare alias, from the key ARN KMS answered with (`KeyId`): sops only reads
 * ARNs (it takes the region from them), so a bare alias is stored as the full alias ARN.
 */
function aliasArn(alias: string, keyArn: string | undefined): string {
  const m = keyArn ? /^arn:(aws[\w-]*):kms:([^:]+):([0-9]+):key\/.+$/.exec(keyArn) : null;
  if (!m) throw new HushError("KEY_SOURCE", `AWS KMS Encrypt with ${alias}: the answer names no key ARN to store`);
  return `arn:${m[1]}:kms:${m[2]}:${m[3]}:${alias}`;
}

function contextFrom(raw: unknown, where: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new HushError("CONFIG", `${where}: context must be a mapping of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    // YAML may type a value as a number or boolean; sops reads them into strings.
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else throw new HushError("CONFIG", `${where}: context value for ${JSON.stringify(k)} must be a string`);
  }
  return out;
}

/**
 * A KMS key from a recipient spec: one ARN string of `--kms` or `SOPS_KMS_ARN` (spaces removed;
 * `arn…+arn:aws:iam::…:role/x` sets the role), or an object `{arn, role, context, aws_profile}` as
 * `key_groups` and `config/key-specs.ts` give it. Throws HushError USAGE for an ARN sops would not accept.
 */
export function parseKmsSpec(spec: RecipientSpec): KmsKey {
  let key: KmsKey;
  if (typeof spec === "string") {
    const s = spec.replace(/ /g, "");
    // sops splits at "+arn:aws:iam::" (`NewMasterKeyFromArn`), so other partitions' roles stay in the ARN.
    const i = s.indexOf("+arn:aws:iam::");
    key = i > 0 ? { arn: s.slice(0, i), role: s.slice(i + 1), context: {}, awsProfile: "" } : { arn: s, role: "", context: {}, awsProfile: "" };
  } else {
    const { arn, role, context, aws_profile: awsProfile } = spec;
    if (typeof arn !== "string") throw new HushError("CONFIG", "a kms key needs an arn");
    if (role !== undefined && role !== null && typeof role !== "string") throw new HushError("CONFIG", `kms ${arn}: role must be a string`);
    if (awsProfile !== undefined && awsProfile !== null && typeof awsProfile !== "string") {
      throw new HushError("CONFIG", `kms ${arn}: aws_profile must be a string`);
    }
    key = { arn: arn.replace(/ /g, ""), role: role ?? "", context: contextFrom(context, `kms ${arn}`), awsProfile: awsProfile ?? "" };
  }
  if (!kmsRegion(key.arn) && !BARE_ALIAS_RE.test(key.arn)) {
    throw new HushError(
      "USAGE",
      `not an AWS KMS key ARN: ${JSON.stringify(key.arn.slice(0, 120))}`,
      "expected arn:aws:kms:REGION:ACCOUNT:key/ID, …:alias/NAME or alias/NAME (optionally +arn:aws:iam::ACCOUNT:role/NAME)",
    );
  }
  return key;
}

/** sops's `ToString` form, `arn[+role][|k:v,…][|profile]`, used as the recipient id. */
function kmsKeyId(key: KmsKey): string {
  let s = key.role ? `${key.arn}+${key.role}` : key.arn;
  const ctx = Object.keys(key.context)
    .sort()
    .map((k) => `${k}:${key.context[k]}`)
    .join(",");
  if (ctx) s += `|${ctx}`;
  if (key.awsProfile) s += `|${key.awsProfile}`;
  return s;
}

/**
 * The STS session name sops uses: `sops@` and the host name without the characters its pattern
 * `[^a-zA-Z0-9=,.@-_]` strips, cut to 64 characters. In that pattern `@-_` is a range (0x40–0x5F),
 * so `-` itself is stripped; kept as is, so hush's sessions look like sops's in CloudTrail.
 */
export function stsSessionName(host: string = hostname()): string {
  return `sops@${host.replace(/[^a-zA-Z0-9=,.@-_]+/g, "")}`.slice(0, 64);
}

/** Reasons for AWS error names, in words a user can act on. */
const AWS_REASONS: Readonly<Record<string, string>> = {
  AccessDeniedException: "access denied",
  AccessDenied: "access denied",
  UnrecognizedClientException: "bad credentials: the access key is not recognised",
  InvalidClientTokenId: "bad credentials: the access key is not recognised",
  InvalidSignatureException: "bad credentials: signature mismatch (wrong secret key?)",
  SignatureDoesNotMatch: "bad credentials: signature mismatch (wrong secret key?)",
  ExpiredTokenException: "credentials expired",
  ExpiredToken: "credentials expired",
  InvalidCiphertextException: "the ciphertext or its encryption context does not match",
  IncorrectKeyException: "the data key was encrypted under a different KMS key",
  NotFoundException: "key not found",
  DisabledException: "key disabled",
  KMSInvalidStateException: "key not usable in its current state",
  KeyUnavailableException: "key unavailable",
  DependencyTimeoutException: "KMS timed out",
  KMSInternalException: "KMS internal error",
  ThrottlingException: "throttled",
};

/** One line for an SDK or network error: the cause in words and the AWS error name. */
function awsReason(err: unknown): string {
  return serviceReason(err, (e) => {
    if (e.name === "CredentialsProviderError") return `no usable AWS credentials (${firstLine(e.message, 120)})`;
    const reason = AWS_REASONS[e.name];
    if (reason) return `${reason} (${e.name})`;
    const msg = firstLine(e.message, 120);
    return msg && msg !== e.name ? `${e.name}: ${msg}` : e.name;
  });
}

/** Client options shared by KMS and STS: region, profile, bounded retries and timeouts. */
function clientConfig(region: string, profile: string, timeoutMs: number, env: NodeJS.ProcessEnv) {
  return {
    // "" (a bare alias with no region in the environment): the SDK's own chain (the profile's
    // shared config) decides, and names the problem when it finds none.
    ...(region ? { region } : {}),
    logger: sdkLogger(env),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    ...(profile ? { profile } : {}),
  };
}

/** Temporary credentials from STS AssumeRole. */
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}
/** Credentials per role, profile and region, reused until a minute before they expire. */
const roleCredentials = new Map<string, Credentials>();

/** The role's temporary credentials (undefined without a role); failures name the role. */
async function assumeRole(key: KmsKey, region: string, timeoutMs: number, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Credentials | undefined> {
  if (!key.role) return undefined;
  const cacheKey = JSON.stringify([key.role, key.awsProfile, region]);
  const cached = roleCredentials.get(cacheKey);
  if (cached && cached.expiration.getTime() - Date.now() > 60_000) return cached;
  const { STSClient, AssumeRoleCommand } = await loadSts();
  const sts = new STSClient(clientConfig(region, key.awsProfile, timeoutMs, env));
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: key.role, RoleSessionName: stsSessionName() }), { abortSignal: signal });
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("AssumeRole returned no credentials");
    const creds: Credentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration ?? new Date(Date.now() + 15 * 60_000),
    };
    roleCredentials.set(cacheKey, creds);
    return creds;
  } catch (e) {
    throw new HushError("KEY_SOURCE", `AWS STS AssumeRole ${key.role} failed: ${awsReason(e)}`, undefined, { cause: e });
  } finally {
    sts.destroy();
  }
}

/**
 * KMS clients kept by one unwrapper (one keyring, so one run's environment) by region, profile and
 * credentials: a client resolves its credentials once and keeps its connections alive, where a
 * client per call re-reads the credential files and opens a connection per file (most of the CPU
 * of a 1,000-file updatekeys, issue 20). Idle keep-alive sockets do not hold the process open.
 */
type KmsClients = Map<string, InstanceType<KmsLib["KMSClient"]>>;
type KmsClient = InstanceType<KmsLib["KMSClient"]>;

/**
 * A kept client resolves each command's middleware stack once (the SDK's `cacheMiddleware`): per
 * call, the SDK otherwise rebuilds and sorts its ~30 middlewares, ~0.1 ms of CPU a call (issue 20).
 * The SDK caches only calls made without per-call options, and the deadline's abort signal is one;
 * so the signal rides on the command's input under a symbol (the serializer reads only the
 * operation's members), a last middleware maps the request it produces to the signal, and the
 * request handler passes it on: each attempt's request is aborted at the deadline as before
 * ({@link sendWithin}). Retries and the per-attempt timeouts are the SDK's, unchanged; the retry
 * back-off itself is not cut short by the signal (the next attempt is, at once).
 */
const DEADLINE = Symbol("hush.deadline");
const requestSignals = new WeakMap<object, AbortSignal>();
const cachingClients = new WeakSet<object>();

type Handler = {
  handle(request: unknown, options?: { abortSignal?: unknown }): Promise<unknown>;
  destroy?(): void;
  updateHttpClientConfig?(key: never, value: never): void;
  httpHandlerConfigs?(): unknown;
  metadata?: unknown;
};

function keptClient(lib: KmsLib, config: ReturnType<typeof clientConfig> & { credentials?: Credentials }): KmsClient {
  const client = new lib.KMSClient({ ...config, cacheMiddleware: true });
  const resolved = client.config as unknown as { requestHandler: Handler };
  const inner = resolved.requestHandler;
  resolved.requestHandler = {
    handle(request, options) {
      const signal = requestSignals.get(request as object);
      return inner.handle(request, signal ? { ...options, abortSignal: signal } : options);
    },
    destroy: () => inner.destroy?.(),
    updateHttpClientConfig: (key, value) => inner.updateHttpClientConfig?.(key, value),
    httpHandlerConfigs: () => inner.httpHandlerConfigs?.() ?? {},
    metadata: inner.metadata,
  };
  client.middlewareStack.add(
    (next) => (args) => {
      const signal = (args.input as Record<symbol, AbortSignal | undefined>)[DEADLINE];
      if (signal && args.request) requestSignals.set(args.request as object, signal);
      return next(args);
    },
    // Innermost: the request seen here is the one handed to the request handler.
    { step: "deserialize", priority: "low", name: "hushDeadlineSignal" },
  );
  cachingClients.add(client);
  return client;
}

/** Sends `command` on `client` under the deadline's `signal` (see {@link keptClient}). */
function sendWithin<O>(client: KmsClient, command: { input: object }, signal: AbortSignal): Promise<O> {
  const send = client.send.bind(client) as unknown as (c: unknown, o?: { abortSignal: AbortSignal }) => Promise<O>;
  if (!cachingClients.has(client)) return send(command, { abortSignal: signal });
  Object.defineProperty(command.input, DEADLINE, { value: signal, enumerable: false });
  return send(command);
}

async function withKmsClient<T>(
  key: KmsKey,
  env: NodeJS.ProcessEnv,
  what: string,
  send: (lib: KmsLib, client: InstanceType<KmsLib["KMSClient"]>, signal: AbortSignal) => Promise<T>,
  clients?: KmsClients,
): Promise<T> {
  const region = keyRegion(key.arn, env);
  if (region === undefined) throw new HushError("KEY_SOURCE", `not an AWS KMS key ARN: ${JSON.stringify(key.arn.slice(0, 120))}`);
  const timeoutMs = keyTimeoutMs(env);
  try {
    // Loading the SDKs (~90 ms, STS ~60 ms more, cold) is not the service's time: the deadline
    // starts after it.
    const lib = await loadKms();
    if (key.role) await loadSts();
    return await withDeadline(timeoutMs, async (signal) => {
      const credentials: Credentials | undefined = await assumeRole(key, region, timeoutMs, env, signal);
      const config = { ...clientConfig(region, key.awsProfile, timeoutMs, env), ...(credentials ? { credentials } : {}) };
      if (!clients) {
        const client = new lib.KMSClient(config);
        try {
          return await send(lib, client, signal);
        } finally {
          client.destroy();
        }
      }
      const id = JSON.stringify([region, key.awsProfile, credentials?.accessKeyId ?? null]);
      let client = clients.get(id);
      if (!client) {
        client = keptClient(lib, config);
        clients.set(id, client);
      }
      return await send(lib, client, signal);
    });
  } catch (e) {
    if (e instanceof HushError) throw e;
    throw new HushError("KEY_SOURCE", `${what} failed: ${awsReason(e)}`, undefined, { cause: e });
  }
}

function sortedContext(ctx: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const keys = Object.keys(ctx).sort();
  if (keys.length === 0) return undefined;
  return Object.fromEntries(keys.map((k) => [k, ctx[k]!]));
}

/** The metadata entry, with sops's fields: `aws_profile` always, `context` and `role` when set. */
function kmsEntry(key: KmsKey, enc: string, createdAt: string): KeyEntry {
  const ctx = sortedContext(key.context);
  return {
    arn: key.arn,
    aws_profile: key.awsProfile,
    ...(ctx ? { context: ctx } : {}),
    created_at: createdAt,
    enc,
    ...(key.role ? { role: key.role } : {}),
  };
}

/** A recipient that wraps the data key with AWS KMS `Encrypt`. */
export function kmsRecipient(spec: RecipientSpec, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  const key = parseKmsSpec(spec);
  const id = kmsKeyId(key);
  // The SDK client is kept while wraps keep coming (a run over many files wraps for one recipient
  // object: one client and its connections, not one per file), and destroyed a moment after the
  // last, so a recipient that is dropped leaves no sockets behind.
  const clients: KmsClients = new Map();
  let inFlight = 0;
  let idle: NodeJS.Timeout | undefined;
  return {
    kind: "kms",
    id,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      inFlight++;
      if (idle) clearTimeout(idle);
      idle = undefined;
      let blob;
      try {
        blob = await withKmsClient(key, env, `AWS KMS Encrypt with ${id}`, async (lib, client, signal) => {
          const ctx = sortedContext(key.context);
          const out = await sendWithin<import("@aws-sdk/client-kms").EncryptCommandOutput>(
            client,
            new lib.EncryptCommand({ KeyId: key.arn, Plaintext: dataKey, ...(ctx ? { EncryptionContext: ctx } : {}) }),
            signal,
          );
          if (!out.CiphertextBlob || out.CiphertextBlob.length === 0) throw new Error("KMS returned no ciphertext");
          return { blob: out.CiphertextBlob, keyId: out.KeyId };
        }, clients);
      } finally {
        if (--inFlight === 0) {
          idle = setTimeout(() => {
            for (const c of clients.values()) c.destroy();
            clients.clear();
          }, 1000);
          idle.unref();
        }
      }
      const stored = BARE_ALIAS_RE.test(key.arn) ? { ...key, arn: aliasArn(key.arn, blob.keyId) } : key;
      return kmsEntry(stored, Buffer.from(blob.blob).toString("base64"), createdAtNow());
    },
  };
}

/** The key an entry names, read leniently (the metadata reader has already typed the fields). */
function keyOfEntry(entry: KeyEntry): KmsKey {
  const raw = entry["context"];
  const context: Record<string, string> = {};
  if (raw && typeof raw === "object") for (const [k, v] of Object.entries(raw)) context[k] = String(v);
  return { arn: entryString(entry, "arn"), role: entryString(entry, "role"), context, awsProfile: entryString(entry, "aws_profile") };
}

/**
 * The contexts sops before 3.3.0 may have used instead of `context` (see the module comment): for
 * each distinct value, every key mapped to it. None when the values are all equal already.
 */
export function buggyContextVariants(context: Readonly<Record<string, string>>): Record<string, string>[] {
  const keys = Object.keys(context);
  const values = [...new Set(Object.values(context))];
  if (keys.length < 2 || values.length < 2) return [];
  return values.map((v) => Object.fromEntries(keys.map((k) => [k, v])));
}

/**
 * Unwraps `sops.kms[]` entries with AWS KMS `Decrypt`. There is no way to tell offline whether a
 * key is usable, so `unwrap` never returns null: it asks KMS and throws HushError KEY_SOURCE with
 * the reason (no credentials, access denied, wrong context, connection refused, timeout).
 */
export function loadKmsUnwrapper(env: NodeJS.ProcessEnv = process.env): Promise<LoadedUnwrapper> {
  const clients: KmsClients = new Map();
  return remoteUnwrapper("kms", "AWS KMS", (entry) => {
    const key = keyOfEntry(entry);
    const enc = entryString(entry, "enc");
    return {
      id: [key.arn, key.role, key.awsProfile, sortedContext(key.context) ?? {}, enc],
      async unwrap() {
        if (keyRegion(key.arn, env) === undefined) throw new HushError("KEY_SOURCE", `kms entry has no valid arn: ${JSON.stringify(key.arn.slice(0, 120))}`);
        const blob = decodeBase64(enc);
        if (!blob) throw new HushError("KEY_SOURCE", `kms entry for ${key.arn} has no valid base64 enc`);
        const decrypt = (context: Readonly<Record<string, string>>): Promise<Uint8Array> =>
          withKmsClient(key, env, "AWS KMS Decrypt", async (lib, client, signal) => {
            const ctx = sortedContext(context);
            const out = await sendWithin<import("@aws-sdk/client-kms").DecryptCommandOutput>(
              client,
              new lib.DecryptCommand({ KeyId: key.arn, CiphertextBlob: blob, ...(ctx ? { EncryptionContext: ctx } : {}) }),
              signal,
            );
            if (!out.Plaintext || out.Plaintext.length === 0) throw new Error("KMS returned no plaintext");
            return out.Plaintext;
          }, clients);
        try {
          return Uint8Array.from(await decrypt(key.context));
        } catch (e) {
          if (!(e instanceof HushError) || (e.cause as { name?: unknown } | undefined)?.name !== "InvalidCiphertextException") throw e;
          for (const variant of buggyContextVariants(key.context)) {
            try {
              return Uint8Array.from(await decrypt(variant));
            } catch {
              // not this one; the first failure is the one to report
            }
          }
          throw e;
        }
      },
    };
  });
}
