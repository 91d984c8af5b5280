/**
 * Google Cloud KMS master keys (sops `gcpkms/keysource.go`, SOPS-FORMAT.md §7.3, §8.6).
 *
 * An entry is `{created_at, enc, resource_id}`: `resource_id` names a crypto key
 * (`projects/P/locations/L/keyRings/R/cryptoKeys/K`), `enc` is the standard base64 of the
 * ciphertext Cloud KMS returned for the data key.
 *
 * Environment, as in sops (read from the environment given to hush, `process.env` by default):
 * - credentials: `GOOGLE_OAUTH_ACCESS_TOKEN` (a bearer token, used as is), else
 *   `GOOGLE_CREDENTIALS` (a credentials JSON file's path or its text), else Application Default
 *   Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's file, the metadata server);
 * - `SOPS_GCP_KMS_ENDPOINT` (`host:port`) replaces `cloudkms.googleapis.com:443`;
 * - `SOPS_GCP_KMS_CLIENT_TYPE=rest` uses HTTP/1.1 REST instead of gRPC;
 * - `SOPS_GCP_KMS_UNIVERSE_DOMAIN` selects another universe.
 *
 * hush's addition, for emulators and tests: `HUSH_GCP_KMS_INSECURE=1`, with
 * `SOPS_GCP_KMS_ENDPOINT` set, opens a plaintext gRPC channel (no TLS) to that endpoint. gRPC
 * refuses to attach call credentials to a plaintext channel, so in that mode only
 * `GOOGLE_OAUTH_ACCESS_TOKEN` is sent, as an `authorization` header on each call.
 *
 * Each call has `HUSH_KEY_TIMEOUT_MS` (default 10 s) in all and at most {@link MAX_ATTEMPTS}
 * attempts. `@google-cloud/kms` costs ~250 ms to import (gRPC, protobufs, google-auth-library), so
 * it is imported only when a GCP key is used.
 */
import { createRequire } from "node:module";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient } from "./key-source.js";
import type { LoadedUnwrapper, RecipientSpec } from "./key-source.js";
import { createdAtNow, decodeBase64, entryString, firstLine, keyTimeoutMs, MAX_ATTEMPTS, remoteUnwrapper, serviceReason, withDeadline } from "./remote.js";

type GcpKmsLib = typeof import("@google-cloud/kms");
type Gax = typeof import("google-gax");
type ClientOptions = NonNullable<ConstructorParameters<GcpKmsLib["KeyManagementServiceClient"]>[0]>;
type CallOptions = import("google-gax").CallOptions;

/** Defined (as `true`) by the package's bundles only; see loadGcp. */
declare const HUSH_BUNDLE: boolean | undefined;

let gcpLib: Promise<GcpKmsLib> | undefined;
let gaxLoader: (() => Promise<unknown>) | undefined;
/** google-gax as loaded by {@link gaxLoader}, when a bundle provides it. */
let providedGax: Gax | undefined;

/**
 * For a bundle that holds google-gax itself (the GitHub Action, `src/action/main.ts`), where no
 * package can be resolved at run time: how to load the one copy of google-gax it holds.
 */
export function provideGax(load: () => Promise<unknown>): void {
  gaxLoader = load;
}

const loadGcp = (): Promise<GcpKmsLib> =>
  (gcpLib ??= (quietMetadataLookupWarnings(),
  (async () => {
    const kms = await import("@google-cloud/kms");
    // The published package's bundles (scripts/bundle.js, bundle-vendor.js) define HUSH_BUNDLE:
    // their google-gax is the vendored one, the same copy the vendored KMS client holds.
    const loader = gaxLoader ?? (typeof HUSH_BUNDLE !== "undefined" ? () => import("google-gax") : undefined);
    if (loader) {
      const gax = (await loader()) as { default?: Gax };
      providedGax = (gax.default ?? gax) as Gax;
    }
    // CommonJS: Node gives its exports by name (and as `default`); a bundle with code splitting
    // (esbuild) gives only `default`, the module's `exports`.
    return typeof kms.KeyManagementServiceClient === "function" ? kms : ((kms as { default?: GcpKmsLib }).default ?? kms);
  })()));

/**
 * When no credentials are configured, google-auth-library's search ends by probing the GCE
 * metadata server, and gcp-metadata reports a failed probe with `process.emitWarning(…,
 * "MetadataLookupWarning")`: a second, confusing line on stderr after hush's own one-line error
 * ("no Google credentials found"). gcp-metadata has no switch for it (`METADATA_SERVER_DETECTION`
 * would also stop real GCE detection), so that one warning type is dropped, unless `HUSH_DEBUG`.
 */
function quietMetadataLookupWarnings(): void {
  if (process.env["HUSH_DEBUG"]) return;
  const emit = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const opt = rest[0];
    const type = typeof opt === "string" ? opt : (opt as { type?: unknown } | undefined)?.type;
    if (type === "MetadataLookupWarning" || (warning instanceof Error && warning.name === "MetadataLookupWarning")) return;
    return (emit as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

/**
 * google-gax exactly as `@google-cloud/kms` loads it, for the gRPC credentials and OAuth2 client
 * that must come from the same copy of grpc-js and google-auth-library the KMS client uses (a
 * second copy's objects fail its `instanceof` checks). Resolved from the KMS package's own
 * location, so a nested install of google-gax is found too; in a bundle, the copy it provides
 * ({@link provideGax}, loaded with the client by {@link loadGcp}).
 */
function gaxOfKms(): Gax {
  if (providedGax) return providedGax;
  const here = createRequire(import.meta.url);
  return createRequire(here.resolve("@google-cloud/kms"))("google-gax") as Gax;
}

/** sops's resource id pattern. */
const RESOURCE_RE = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

/**
 * The resource id of a recipient spec: a string (`--gcp-kms`, `SOPS_GCP_KMS_IDS`; spaces removed)
 * or `{resource_id}` from `key_groups`. Throws HushError USAGE when it is not a crypto key name.
 */
export function parseGcpKmsSpec(spec: RecipientSpec): string {
  const raw = typeof spec === "string" ? spec : spec["resource_id"];
  if (typeof raw !== "string") throw new HushError("CONFIG", "a gcp_kms key needs a resource_id");
  const id = raw.replace(/ /g, "");
  if (!RESOURCE_RE.test(id)) {
    throw new HushError(
      "USAGE",
      `not a GCP KMS key resource id: ${JSON.stringify(id.slice(0, 160))}`,
      "expected projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY",
    );
  }
  return id;
}

/** gRPC status codes (as numbers on errors) in words. */
const GRPC_REASONS: Readonly<Record<number, string>> = {
  1: "cancelled",
  3: "rejected",
  4: "timed out",
  5: "key not found",
  7: "permission denied",
  8: "quota exhausted",
  9: "key not usable in its current state",
  13: "Cloud KMS internal error",
  14: "service unavailable",
  16: "bad credentials",
};

/** One line for a gax, gRPC, auth or network error. */
function gcpReason(err: unknown): string {
  return serviceReason(err, (e) => {
    const code = (e as { code?: unknown }).code;
    const details = (e as { details?: unknown }).details;
    if (typeof code === "number" && code in GRPC_REASONS) {
      // Google's details run to several sentences ("… Expected OAuth 2 access token, login cookie
      // or other valid authentication credential. See https://…"); the first one says it.
      const detail = typeof details === "string" && details !== "" ? firstLine(details.split(/(?<=\.)\s/)[0]!, 120) : "";
      return detail ? `${GRPC_REASONS[code]}: ${detail}` : GRPC_REASONS[code]!;
    }
    if (/default credentials/i.test(e.message)) return "no Google credentials found (Application Default Credentials)";
    return undefined;
  });
}

/** `host:port` (or `[v6]:port`) of SOPS_GCP_KMS_ENDPOINT as the client's apiEndpoint and port. */
function endpointOptions(endpoint: string): { apiEndpoint: string; port?: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(endpoint.trim());
  if (!m) throw new HushError("CONFIG", `SOPS_GCP_KMS_ENDPOINT must be host or host:port, got ${JSON.stringify(endpoint.slice(0, 80))}`);
  return { apiEndpoint: m[1]!.replace(/^\[|\]$/g, ""), ...(m[2] ? { port: Number(m[2]) } : {}) };
}

/** How to reach and authenticate to Cloud KMS, from the environment. */
interface Connection {
  options: ClientOptions;
  /** Headers added to every call (the token on a plaintext channel). */
  headers: Record<string, string>;
}

function connection(env: NodeJS.ProcessEnv): Connection {
  const options: ClientOptions = {};
  const headers: Record<string, string> = {};
  const endpoint = env["SOPS_GCP_KMS_ENDPOINT"];
  const token = env["GOOGLE_OAUTH_ACCESS_TOKEN"];
  if (endpoint) Object.assign(options, endpointOptions(endpoint));
  if (env["SOPS_GCP_KMS_UNIVERSE_DOMAIN"]) options.universeDomain = env["SOPS_GCP_KMS_UNIVERSE_DOMAIN"];
  if (env["SOPS_GCP_KMS_CLIENT_TYPE"] === "rest") options.fallback = true;
  const insecure = !!endpoint && /^(1|true|yes)$/i.test(env["HUSH_GCP_KMS_INSECURE"] ?? "");
  if (insecure) {
    options.sslCreds = gaxOfKms().grpc.credentials.createInsecure();
    // No credentials are used on this channel, but gax still asks google-auth-library for the
    // universe domain of the Application Default Credentials, which probes the GCE metadata
    // server (slow, and a MetadataLookupWarning on stderr) unless the domain is given.
    options.universeDomain ??= "googleapis.com";
    if (token) headers["authorization"] = `Bearer ${token}`;
    return { options, headers };
  }
  if (token) {
    const { OAuth2Client } = gaxOfKms().googleAuthLibrary;
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    options.authClient = client;
  } else {
    const creds = env["GOOGLE_CREDENTIALS"];
    if (creds) {
      // sops: a path to a credentials file, or the file's JSON text itself.
      if (creds.trimStart().startsWith("{")) {
        try {
          options.credentials = JSON.parse(creds) as ClientOptions["credentials"];
        } catch {
          throw new HushError("CONFIG", "GOOGLE_CREDENTIALS is neither a file path nor valid JSON");
        }
      } else options.keyFilename = creds;
    }
  }
  return { options, headers };
}

type Encrypt = { name: string; plaintext: Uint8Array };
type Decrypt = { name: string; ciphertext: Uint8Array };
type Answer = { ciphertext?: Uint8Array | string | null; plaintext?: Uint8Array | string | null };

/**
 * Runs one Cloud KMS call (`encrypt` or `decrypt`) under the deadline, with a client of its own,
 * closed afterwards (its channel would otherwise keep the process alive).
 *
 * The call goes through the client's `innerApiCalls`, the gax call the generated method wraps,
 * because only that returns gax's cancellable promise: the generated method chains a `.then`
 * that drops `cancel()`, and an abandoned gRPC call keeps a CLI process waiting for its own
 * timeout. The generated method's one other job, the routing header, is done here.
 */
async function callKms(env: NodeJS.ProcessEnv, what: string, method: "encrypt", request: Encrypt): Promise<Answer>;
async function callKms(env: NodeJS.ProcessEnv, what: string, method: "decrypt", request: Decrypt): Promise<Answer>;
async function callKms(env: NodeJS.ProcessEnv, what: string, method: "encrypt" | "decrypt", request: Encrypt | Decrypt): Promise<Answer> {
  const timeoutMs = keyTimeoutMs(env);
  try {
    // Loading the SDK (~250 ms cold) is not the service's time: the deadline starts after it.
    const { KeyManagementServiceClient } = await loadGcp();
    return await withDeadline(timeoutMs, async (signal) => {
      const { options, headers } = connection(env);
      const client = new KeyManagementServiceClient(options);
      try {
        // Each generated method starts `initialize()` and rethrows its failure from a detached
        // `.catch`, an unhandled rejection that would end the process; initializing first turns a
        // credentials failure (no ADC, unreadable key file) into an ordinary error here.
        await client.initialize();
        const call = client.innerApiCalls[method];
        if (!call) throw new Error(`the Cloud KMS client has no ${method} method`);
        // gax retries UNAVAILABLE until its own 60 s budget; cap the attempts instead, and give
        // each one the whole timeout (the deadline above bounds the total).
        const callOptions: CallOptions = {
          timeout: timeoutMs,
          maxRetries: MAX_ATTEMPTS - 1,
          otherArgs: { headers: { ...headers, "x-goog-request-params": gaxOfKms().routingHeader.fromParams({ name: request.name }) } },
        };
        const pending = call(request, callOptions) as Promise<[Answer]> & { cancel?: () => void };
        signal.addEventListener("abort", () => pending.cancel?.(), { once: true });
        const [answer] = await pending;
        return answer;
      } finally {
        client.close().catch(() => {});
      }
    });
  } catch (e) {
    if (e instanceof HushError) throw e;
    throw new HushError("KEY_SOURCE", `${what} failed: ${gcpReason(e)}`, undefined, { cause: e });
  }
}

function bytesOf(v: Uint8Array | string | null | undefined): Uint8Array | undefined {
  if (v === null || v === undefined) return undefined;
  const b = typeof v === "string" ? Buffer.from(v, "base64") : v;
  return b.length > 0 ? Uint8Array.from(b) : undefined;
}

/** A recipient that wraps the data key with Cloud KMS `Encrypt`. */
export function gcpKmsRecipient(spec: RecipientSpec, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  const resourceId = parseGcpKmsSpec(spec);
  return {
    kind: "gcp_kms",
    id: resourceId,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const what = `GCP KMS Encrypt with ${resourceId}`;
      const ciphertext = bytesOf((await callKms(env, what, "encrypt", { name: resourceId, plaintext: dataKey })).ciphertext);
      if (!ciphertext) throw new HushError("KEY_SOURCE", `${what} failed: Cloud KMS returned no ciphertext`);
      return { created_at: createdAtNow(), enc: Buffer.from(ciphertext).toString("base64"), resource_id: resourceId };
    },
  };
}

/** Unwraps `sops.gcp_kms[]` entries with Cloud KMS `Decrypt` (never null: see remoteUnwrapper). */
export function loadGcpKmsUnwrapper(env: NodeJS.ProcessEnv = process.env): Promise<LoadedUnwrapper> {
  return remoteUnwrapper("gcp_kms", "GCP KMS", (entry) => {
    const resourceId = entryString(entry, "resource_id");
    const enc = entryString(entry, "enc");
    return {
      id: [resourceId, enc],
      async unwrap() {
        if (!RESOURCE_RE.test(resourceId)) {
          throw new HushError("KEY_SOURCE", `gcp_kms entry has no valid resource_id: ${JSON.stringify(resourceId.slice(0, 160))}`);
        }
        const ciphertext = decodeBase64(enc);
        if (!ciphertext) throw new HushError("KEY_SOURCE", `gcp_kms entry for ${resourceId} has no valid base64 enc`);
        const plain = bytesOf((await callKms(env, "GCP KMS Decrypt", "decrypt", { name: resourceId, ciphertext })).plaintext);
        if (!plain) throw new HushError("KEY_SOURCE", "GCP KMS Decrypt failed: Cloud KMS returned no plaintext");
        return plain;
      },
    };
  });
}
