/**
 * A protocol-level HashiCorp Vault transit server for tests, on 127.0.0.1 (an ephemeral port).
 *
 * It speaks the two endpoints sops uses (https://developer.hashicorp.com/vault/api-docs/secret/transit):
 * `POST /v1/<mount>/encrypt/<key>` `{"plaintext": base64}` → `{"data": {"ciphertext": "vault:v1:…"}}`
 * and `POST /v1/<mount>/decrypt/<key>` `{"ciphertext": "vault:v1:…"}` → `{"data": {"plaintext":
 * base64}}`. It really encrypts: AES-256-GCM under a key held by the server per mount and key name
 * (created on first encrypt, as transit's upsert does), 12-byte nonce first, as transit's
 * `aes256-gcm96` keys do. So a wrong key name, a foreign ciphertext or a tampered one fails as it
 * would against Vault.
 *
 * Errors have Vault's shape, `{"errors": ["…"]}`: 403 `permission denied` for a missing or wrong
 * `X-Vault-Token`, 400 for bad input (`encryption key not found`, `invalid ciphertext: …`,
 * `cipher: message authentication failed`), 404 for an unmounted path, 503 `Vault is sealed` when
 * told to fail. It can be made slow (`delayMs`) or stopped (`close`) for timeout and outage tests,
 * and it records every request (without bodies). AppRole and Kubernetes logins
 * (`POST /v1/auth/<mount>/login`) check the role and secret ID or JWT they were started with and
 * issue tokens the transit endpoints then accept.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface VaultServerOptions {
  /** The token clients must send (default: a random `hvs.` token). */
  token?: string;
  /** Mounted transit engines (default `["transit"]`); paths may contain `/`. */
  mounts?: readonly string[];
  /** AppRole auth at `auth/<mount>/login` (default mount `approle`): the one role and secret ID it accepts. */
  approle?: { roleId: string; secretId: string; mount?: string };
  /** Kubernetes auth at `auth/<mount>/login` (default mount `kubernetes`): the role and service-account JWT it accepts. */
  kubernetes?: { role: string; jwt: string; mount?: string };
}

/** One request seen by the server. */
interface SeenRequest {
  method: string;
  path: string;
  /** Whether an `X-Vault-Token` header was sent (its value is not kept). */
  hadToken: boolean;
}

export interface VaultServer {
  /** `http://127.0.0.1:<port>`: what sops writes as `vault_address`. */
  readonly address: string;
  readonly token: string;
  /** The key URL sops takes (`--hc-vault-transit`): `<address>/v1/<mount>/keys/<name>`. */
  keyUrl(name: string, mount?: string): string;
  /** Every request so far, in order. */
  readonly requests: SeenRequest[];
  /** The tokens issued by logins so far (accepted like `token`). */
  readonly issued: string[];
  /** Milliseconds to wait before answering each request (0: answer at once). */
  delayMs: number;
  /** The next `n` requests get `status` (default 503, "Vault is sealed") instead of an answer. */
  failNext(n: number, status?: number): void;
  /** Stops listening and drops open connections; the address then refuses connections. */
  close(): Promise<void>;
}

const ENGINE_OPS = /^\/v1\/(.+)\/(encrypt|decrypt)\/([^/]+)$/;

/** Starts a Vault transit server on 127.0.0.1 and an ephemeral port. */
export async function startVaultServer(options: VaultServerOptions = {}): Promise<VaultServer> {
  const token = options.token ?? `hvs.${randomBytes(18).toString("base64url")}`;
  const mounts = new Set(options.mounts ?? ["transit"]);
  const keys = new Map<string, Buffer>();
  const requests: SeenRequest[] = [];
  const issued: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let failures = 0;
  let failStatus = 503;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  const errors = (res: ServerResponse, status: number, ...msgs: string[]) => send(res, status, { errors: msgs });
  const answer = (res: ServerResponse, data: Record<string, unknown>) =>
    send(res, 200, {
      request_id: randomUUID(),
      lease_id: "",
      renewable: false,
      lease_duration: 0,
      data,
      wrap_info: null,
      warnings: null,
      auth: null,
    });

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (failures > 0) {
      failures--;
      return errors(res, failStatus, failStatus === 503 ? "Vault is sealed" : "internal error");
    }
    const login = /^\/v1\/auth\/(.+)\/login$/.exec(path);
    if (login && req.method === "POST") return handleLogin(res, login[1]!, body);
    const sent = req.headers["x-vault-token"];
    if (sent !== token && !(typeof sent === "string" && issued.includes(sent))) return errors(res, 403, "permission denied");
    const m = ENGINE_OPS.exec(path);
    if (req.method !== "POST" && req.method !== "PUT") return errors(res, 405, "unsupported operation");
    if (!m || !mounts.has(m[1]!)) {
      return errors(res, 404, `no handler for route "${path.replace(/^\/v1\//, "")}". route entry not found.`);
    }
    const [, mount, op, name] = m as unknown as [string, string, "encrypt" | "decrypt", string];
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body || "{}") as Record<string, unknown>;
    } catch {
      return errors(res, 400, "failed to parse JSON input");
    }
    const keyId = `${mount}/${name}`;
    if (op === "encrypt") {
      const plaintext = json["plaintext"];
      if (typeof plaintext !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(plaintext)) {
        return errors(res, 400, "failed to base64-decode plaintext");
      }
      let key = keys.get(keyId);
      if (!key) keys.set(keyId, (key = randomBytes(32)));
      const nonce = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, nonce);
      const ct = Buffer.concat([c.update(Buffer.from(plaintext, "base64")), c.final(), c.getAuthTag()]);
      return answer(res, { ciphertext: `vault:v1:${Buffer.concat([nonce, ct]).toString("base64")}`, key_version: 1 });
    }
    const ciphertext = json["ciphertext"];
    if (typeof ciphertext !== "string" || ciphertext === "") return errors(res, 400, "missing ciphertext to decrypt");
    const key = keys.get(keyId);
    if (!key) return errors(res, 400, "encryption key not found");
    const cm = /^vault:v(\d+):(.*)$/.exec(ciphertext);
    if (!cm) return errors(res, 400, "invalid ciphertext: no prefix");
    if (cm[1] !== "1") return errors(res, 400, "invalid ciphertext: key version not found");
    const raw = Buffer.from(cm[2]!, "base64");
    if (raw.length < 12 + 16) return errors(res, 400, "invalid ciphertext: unable to decrypt");
    try {
      const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(raw.length - 16));
      const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
      return answer(res, { plaintext: pt.toString("base64") });
    } catch {
      return errors(res, 400, "cipher: message authentication failed");
    }
  };

  /** Vault's AppRole and Kubernetes login endpoints, with their error answers. */
  const handleLogin = (res: ServerResponse, mount: string, body: string) => {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body || "{}") as Record<string, unknown>;
    } catch {
      return errors(res, 400, "failed to parse JSON input");
    }
    const issue = (method: string) => {
      const t = `hvs.${randomBytes(18).toString("base64url")}`;
      issued.push(t);
      return send(res, 200, {
        request_id: randomUUID(),
        data: null,
        auth: { client_token: t, accessor: randomUUID(), policies: ["default"], lease_duration: 3600, renewable: true, metadata: { method } },
      });
    };
    const ar = options.approle;
    if (ar && mount === (ar.mount ?? "approle")) {
      if (typeof json["role_id"] !== "string" || json["role_id"] === "") return errors(res, 400, "missing role_id");
      if (json["role_id"] !== ar.roleId || json["secret_id"] !== ar.secretId) return errors(res, 400, "invalid role or secret ID");
      return issue("approle");
    }
    const k8s = options.kubernetes;
    if (k8s && mount === (k8s.mount ?? "kubernetes")) {
      if (typeof json["jwt"] !== "string" || json["jwt"] === "") return errors(res, 400, "missing jwt");
      if (json["role"] !== k8s.role) return errors(res, 400, `invalid role name "${String(json["role"])}"`);
      if (json["jwt"] !== k8s.jwt) return errors(res, 403, "permission denied");
      return issue("kubernetes");
    }
    return errors(res, 400, `no handler for route "auth/${mount}/login". route entry not found.`);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        path: (req.url ?? "/").split("?")[0]!,
        hadToken: typeof req.headers["x-vault-token"] === "string",
      });
      const body = Buffer.concat(chunks).toString("utf8");
      if (vault.delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          handle(req, res, body);
        }, vault.delayMs);
        timers.add(t);
      } else handle(req, res, body);
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const address = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  const vault: VaultServer = {
    address,
    token,
    keyUrl: (name, mount = "transit") => `${address}/v1/${mount}/keys/${name}`,
    requests,
    issued,
    delayMs: 0,
    failNext(n, status = 503) {
      failures = n;
      failStatus = status;
    },
    close() {
      return (closed ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }));
    },
  };
  return vault;
}
