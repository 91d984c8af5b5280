/**
 * A loopback Cloud KMS server for tests: `google.cloud.kms.v1.KeyManagementService` over gRPC
 * on 127.0.0.1, built from the `.proto` files `@google-cloud/kms` ships, loaded with
 * `@grpc/proto-loader` and served with the `@grpc/grpc-js` google-gax itself uses. The real
 * `@google-cloud/kms` client reaches the plaintext port through `SOPS_GCP_KMS_ENDPOINT` +
 * `HUSH_GCP_KMS_INSECURE`, and the optional TLS port (self-signed certificate) through
 * `SOPS_GCP_KMS_ENDPOINT` alone, with grpc-js trusting the certificate through
 * `GRPC_DEFAULT_SSL_ROOTS_FILE_PATH` (read when grpc-js loads, so in a child process).
 *
 * Encrypt and Decrypt really encrypt (AES-256-GCM under a per-key secret, the key name as
 * additional data), so another key's ciphertext fails as at Google (`INVALID_ARGUMENT`,
 * "Decryption failed"). Unknown keys are `PERMISSION_DENIED` (Cloud KMS does not tell a missing
 * key from a forbidden one), and when a token is configured every call must carry it
 * (`UNAUTHENTICATED` otherwise).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import gax from "google-gax";
import * as protoLoader from "@grpc/proto-loader";
import { selfSignedCert } from "./tls.js";

const { grpc } = gax;
type ServerUnaryCall = import("@grpc/grpc-js").ServerUnaryCall<Record<string, unknown>, unknown>;
type UnaryCallback = import("@grpc/grpc-js").sendUnaryData<unknown>;

export interface GcpKmsServerOptions {
  /** Crypto key resource ids the server holds. */
  keys: string[];
  /** When set, calls must carry `authorization: Bearer <token>`. */
  token?: string;
  /** Also listen with TLS (a self-signed certificate), as Google's endpoint does. */
  tls?: boolean;
}

export interface GcpKmsServer {
  /** `127.0.0.1:PORT` of the plaintext port, for `SOPS_GCP_KMS_ENDPOINT` + `HUSH_GCP_KMS_INSECURE`. */
  readonly endpoint: string;
  /** `127.0.0.1:PORT` of the TLS port, when asked for. */
  readonly tlsEndpoint?: string;
  /** The TLS port's certificate file, to trust (`GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`). */
  readonly certFile?: string;
  /** Calls answered, by method. */
  readonly calls: Record<string, number>;
  /** Delay every answer by this many milliseconds. */
  delayMs: number;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The KMS protos shipped with `@google-cloud/kms`, and google-gax's common protos for imports. */
function protoDirs(): { file: string; includeDirs: string[] } {
  const kmsRoot = join(dirname(require.resolve("@google-cloud/kms/package.json")), "build", "protos");
  const gaxRoot = join(dirname(require.resolve("google-gax")), "..", "protos");
  return { file: join(kmsRoot, "google", "cloud", "kms", "v1", "service.proto"), includeDirs: [kmsRoot, gaxRoot] };
}

/** Starts the server on 127.0.0.1 with a free port. */
export async function startGcpKmsServer(options: GcpKmsServerOptions): Promise<GcpKmsServer> {
  const { file, includeDirs } = protoDirs();
  const def = protoLoader.loadSync(file, { includeDirs, keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(def) as unknown as {
    google: { cloud: { kms: { v1: { KeyManagementService: { service: import("@grpc/grpc-js").ServiceDefinition } } } } };
  };
  const service = loaded.google.cloud.kms.v1.KeyManagementService.service;

  const secrets = new Map(options.keys.map((k) => [k, randomBytes(32)]));
  const calls: Record<string, number> = {};
  const state = { delayMs: 0 };
  const timers = new Set<NodeJS.Timeout>();

  const fail = (code: number, details: string) => Object.assign(new Error(details), { code, details });

  function guard(method: string, call: ServerUnaryCall, cb: UnaryCallback, work: () => unknown): void {
    const run = () => {
      try {
        if (options.token !== undefined) {
          const auth = call.metadata.get("authorization")[0];
          if (auth !== `Bearer ${options.token}`) {
            throw fail(
              grpc.status.UNAUTHENTICATED,
              "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            );
          }
        }
        const out = work();
        calls[method] = (calls[method] ?? 0) + 1;
        cb(null, out);
      } catch (e) {
        cb(e as Error);
      }
    };
    if (state.delayMs > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        run();
      }, state.delayMs);
      timers.add(t);
    } else run();
  }

  function secretFor(name: unknown, permission: string): Buffer {
    const s = typeof name === "string" ? secrets.get(name) : undefined;
    if (!s) {
      throw fail(grpc.status.PERMISSION_DENIED, `Permission '${permission}' denied on resource '${String(name)}' (or it may not exist).`);
    }
    return s;
  }

  const server = new grpc.Server();
  // Only Encrypt and Decrypt are implemented: grpc-js answers UNIMPLEMENTED for the rest.
  server.addService(service, {
    Encrypt: (call: ServerUnaryCall, cb: UnaryCallback) =>
      guard("Encrypt", call, cb, () => {
        const name = call.request["name"];
        const secret = secretFor(name, "cloudkms.cryptoKeyVersions.useToEncrypt");
        const plaintext = call.request["plaintext"] as Buffer;
        if (plaintext.length === 0) throw fail(grpc.status.INVALID_ARGUMENT, "plaintext is required");
        const iv = randomBytes(12);
        const c = createCipheriv("aes-256-gcm", secret, iv);
        c.setAAD(Buffer.from(String(name)));
        const ct = Buffer.concat([c.update(plaintext), c.final()]);
        return { name: `${String(name)}/cryptoKeyVersions/1`, ciphertext: Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), ct]) };
      }),
    Decrypt: (call: ServerUnaryCall, cb: UnaryCallback) =>
      guard("Decrypt", call, cb, () => {
        const name = call.request["name"];
        const secret = secretFor(name, "cloudkms.cryptoKeyVersions.useToDecrypt");
        const blob = call.request["ciphertext"] as Buffer;
        const invalid = () => fail(grpc.status.INVALID_ARGUMENT, "Decryption failed: the ciphertext is invalid.");
        if (blob.length < 1 + 12 + 16 || blob[0] !== 1) throw invalid();
        const d = createDecipheriv("aes-256-gcm", secret, blob.subarray(1, 13));
        d.setAAD(Buffer.from(String(name)));
        d.setAuthTag(blob.subarray(13, 29));
        try {
          return { plaintext: Buffer.concat([d.update(blob.subarray(29)), d.final()]), usedPrimary: true };
        } catch {
          throw invalid();
        }
      }),
  });

  const bind = (creds: import("@grpc/grpc-js").ServerCredentials) =>
    new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", creds, (err, p) => (err ? reject(err) : resolve(p))));
  const port = await bind(grpc.ServerCredentials.createInsecure());
  // The same keys behind TLS too: what the client does with a real endpoint (TLS channel plus
  // call credentials from google-auth-library) is then testable as well.
  const cert = options.tls ? selfSignedCert() : undefined;
  const tlsPort = cert
    ? await bind(grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(cert.key), cert_chain: Buffer.from(cert.cert) }], false))
    : undefined;

  return {
    endpoint: `127.0.0.1:${port}`,
    ...(cert && tlsPort ? { tlsEndpoint: `127.0.0.1:${tlsPort}`, certFile: cert.certFile } : {}),
    calls,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      server.forceShutdown();
      cert?.remove();
    },
  };
}
