/**
 * A loopback Azure Key Vault for tests: HTTPS on 127.0.0.1 with a self-signed certificate made at
 * start (test/servers/tls.ts), speaking the Key Vault keys REST API the real
 * `@azure/keyvault-keys` uses: `GET /keys/{name}[/{version}]`,
 * `POST /keys/{name}/{version}/wrapkey|unwrapkey`, each with an `api-version` query parameter.
 *
 * Authentication follows Key Vault's challenge flow: a request without the expected bearer token
 * is answered 401 with `WWW-Authenticate: Bearer authorization=…, resource=…`, and the SDK retries
 * with a token (the SDK sends its first request without a body to draw the challenge). Keys are
 * real RSA-2048 pairs and wrapping is RSA-OAEP-256 (SHA-256), so another key's or a tampered
 * ciphertext fails to unwrap (400 `BadParameter`), as it does at Azure. Keys may be limited to a
 * principal (403 `Forbidden`).
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { selfSignedCert } from "./tls.js";

export interface AzureKvServerOptions {
  /** Key names; each gets one version (`versions` more with {@link AzureKvServer.rotate}). */
  keys: string[];
  /** The bearer token every request must carry. */
  token: string;
  /** Keys the token may not wrap or unwrap with (403). */
  forbidden?: string[];
}

export interface AzureKvServer {
  /** `https://127.0.0.1:PORT`, the vault URL. */
  readonly vaultUrl: string;
  /** The self-signed certificate (PEM), to trust through `HUSH_AZURE_KV_CA_FILE`. */
  readonly certPem: string;
  /** Path of a file holding {@link certPem}. */
  readonly certFile: string;
  /** Requests answered, by operation (`get`, `wrapkey`, `unwrapkey`, `challenge`). */
  readonly calls: Record<string, number>;
  /** The versions of a key, oldest first. */
  versions(name: string): string[];
  /** Adds a new (latest) version to a key and returns it. */
  rotate(name: string): string;
  /** Delay every answer by this many milliseconds. */
  delayMs: number;
  stop(): Promise<void>;
}

interface Version {
  id: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

const b64url = (b: Buffer) => b.toString("base64url");

/** Starts the server on 127.0.0.1 with a free port. */
export async function startAzureKvServer(options: AzureKvServerOptions): Promise<AzureKvServer> {
  const tls = selfSignedCert();
  const keys = new Map<string, Version[]>();
  const newVersion = (): Version => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    return { id: randomBytes(16).toString("hex"), publicKey, privateKey };
  };
  for (const name of options.keys) keys.set(name, [newVersion()]);
  const calls: Record<string, number> = {};
  const state = { delayMs: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let base = "";

  const bundle = (name: string, v: Version) => {
    const jwk = v.publicKey.export({ format: "jwk" });
    return {
      key: { kid: `${base}/keys/${name}/${v.id}`, kty: "RSA", key_ops: ["wrapKey", "unwrapKey", "encrypt", "decrypt"], n: jwk.n, e: jwk.e },
      attributes: { enabled: true, created: 1_700_000_000, updated: 1_700_000_000, recoveryLevel: "Recoverable+Purgeable" },
    };
  };

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
        res.end(JSON.stringify(body));
      };
      const error = (status: number, code: string, message: string) => send(status, { error: { code, message } });
      const answer = () => {
        const url = new URL(req.url ?? "/", base);
        if (!url.searchParams.get("api-version")) return error(400, "BadParameter", "The 'api-version' query parameter is missing.");
        if (req.headers["authorization"] !== `Bearer ${options.token}`) {
          calls["challenge"] = (calls["challenge"] ?? 0) + 1;
          return send(
            401,
            { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
            {
              "www-authenticate": `Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"`,
            },
          );
        }
        const m = /^\/keys\/([^/]+)(?:\/([^/]*))?(?:\/(wrapkey|unwrapkey))?\/?$/.exec(url.pathname);
        if (!m) return error(404, "NotFound", "Not found");
        const [, name, version, op] = m as unknown as [string, string, string | undefined, string | undefined];
        const versions = keys.get(name);
        const v = versions && (version ? versions.find((x) => x.id === version) : versions[versions.length - 1]);
        if (!v) return error(404, "KeyNotFound", `A key with (name/id) ${name} was not found in this key vault.`);
        if (req.method === "GET" && !op) {
          calls["get"] = (calls["get"] ?? 0) + 1;
          return send(200, bundle(name, v));
        }
        if (req.method !== "POST" || !op) return error(405, "MethodNotAllowed", "Method not allowed");
        if (options.forbidden?.includes(name)) {
          return error(403, "Forbidden", `The user, group or application does not have keys ${op === "wrapkey" ? "wrap key" : "unwrap key"} permission on key vault.`);
        }
        let input: { alg?: unknown; value?: unknown };
        try {
          input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { alg?: unknown; value?: unknown };
        } catch {
          return error(400, "BadParameter", "Invalid JSON");
        }
        if (input.alg !== "RSA-OAEP-256") return error(400, "BadParameter", `Unsupported algorithm ${String(input.alg)}`);
        const value = Buffer.from(String(input.value ?? ""), "base64url");
        const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
        let out: Buffer;
        try {
          out = op === "wrapkey" ? publicEncrypt({ key: v.publicKey, ...oaep }, value) : privateDecrypt({ key: v.privateKey, ...oaep }, value);
        } catch {
          return error(400, "BadParameter", "The parameter is incorrect.");
        }
        calls[op] = (calls[op] ?? 0) + 1;
        return send(200, { kid: `${base}/keys/${name}/${v.id}`, value: b64url(out) });
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
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    vaultUrl: base,
    certPem: tls.cert,
    certFile: tls.certFile,
    calls,
    versions: (name) => (keys.get(name) ?? []).map((v) => v.id),
    rotate(name) {
      const v = newVersion();
      keys.get(name)?.push(v);
      return v.id;
    },
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
      tls.remove();
    },
  };
}
