// AWS KMS, GCP KMS and Azure Key Vault key sources, each through its real SDK against a
// protocol-level loopback server in test/servers/ (SigV4-checked KMS JSON + STS query protocol,
// Cloud KMS gRPC from the shipped protos, Key Vault REST over HTTPS with the challenge flow):
// round trips with sops's exact entries, one file readable by any single recipient kind, and every
// failure (wrong key, wrong context, server down, slow server, bad credentials) as one clear line,
// exit 128 from the CLI, while an age key beside it still decrypts the file.
//
// The AWS SDK reads its settings (AWS_ENDPOINT_URL, the shared credentials file, …) from
// process.env, so they are set on process.env here; every other setting goes through the `env`
// given to the Keyring or recipient. vitest runs each test file in its own process.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HushError } from "../src/errors.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { Keyring, recipientFor, type RecipientSpec } from "../src/keys/registry.js";
import type { KeyKind } from "../src/model/metadata.js";
import type { KeyRecipient } from "../src/keys/key-source.js";
import { buggyContextVariants, kmsRegion, parseKmsSpec, stsSessionName } from "../src/keys/aws-kms-client.js";
import { parseGcpKmsSpec } from "../src/keys/gcp-kms-client.js";
import { parseAzureKvSpec } from "../src/keys/azure-kv-client.js";
import { FIXTURES, HUSH, ROOT } from "./helpers.js";
import { startVaultServer, type VaultServer } from "./servers/vault.js";
import { startAwsKmsServer, type AwsKmsServer } from "./servers/aws-kms.js";
import { startGcpKmsServer, type GcpKmsServer } from "./servers/gcp-kms.js";
import { startAzureKvServer, type AzureKvServer } from "./servers/azure-kv.js";

const PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";

// ---- AWS principals and keys (test-only credentials, known to the loopback server) -----------
const ALICE = { accessKeyId: "AKIAALICE00000000001", secretAccessKey: "alice/secret/for/loopback/tests/only/0000", arn: "arn:aws:iam::111122223333:user/alice" };
const CAROL = { accessKeyId: "AKIACAROL00000000001", secretAccessKey: "carol/secret/for/loopback/tests/only/0000", arn: "arn:aws:iam::111122223333:user/carol" };
const ROLE = "arn:aws:iam::111122223333:role/sops-decrypt";
const KEY1 = "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111";
const KEY2 = "arn:aws:kms:us-east-1:111122223333:key/22222222-2222-4222-8222-222222222222";
const KEY_EU = "arn:aws:kms:eu-west-1:111122223333:key/33333333-3333-4333-8333-333333333333";
const KEY_CAROL = "arn:aws:kms:us-west-2:111122223333:key/44444444-4444-4444-8444-444444444444";
const KEY_ROLE = "arn:aws:kms:us-east-1:111122223333:key/55555555-5555-4555-8555-555555555555";
const ALIAS1 = "arn:aws:kms:us-east-1:111122223333:alias/app";

// ---- GCP and Azure ------------------------------------------------------------------------------
const RES1 = "projects/p/locations/global/keyRings/r/cryptoKeys/k1";
const RES2 = "projects/p/locations/global/keyRings/r/cryptoKeys/k2";
const GCP_TOKEN = "ya29.loopback-test-token";
const AZ_TOKEN = "eyJ0eXAi.loopback-test-token";

let aws: AwsKmsServer;
let gcp: GcpKmsServer;
let az: AzureKvServer;
let tmp: string;
let age: { identity: string; recipient: string };
let deadPort: number;
const savedEnv = { ...process.env };

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "hush-cloud-test-"));
  [aws, gcp, az, age, deadPort] = await Promise.all([
    startAwsKmsServer({
      users: [ALICE, CAROL],
      keys: [
        { arn: KEY1, aliases: [ALIAS1] },
        { arn: KEY2 },
        { arn: KEY_EU },
        { arn: KEY_CAROL, allow: [CAROL.arn] },
        { arn: KEY_ROLE, allow: [ROLE] },
      ],
      roles: [{ arn: ROLE, allow: [ALICE.arn] }],
    }),
    startGcpKmsServer({ keys: [RES1, RES2], token: GCP_TOKEN, tls: true }),
    startAzureKvServer({ keys: ["k1", "k2", "locked"], token: AZ_TOKEN, forbidden: ["locked"] }),
    generateAgeKeyFile(),
    freePort(),
  ]);
  // The shared credentials file the AWS SDK reads: alice by default, carol as a named profile.
  const credentials = join(tmp, "aws-credentials");
  writeFileSync(
    credentials,
    `[default]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n\n` +
      `[carol]\naws_access_key_id = ${CAROL.accessKeyId}\naws_secret_access_key = ${CAROL.secretAccessKey}\n`,
  );
  writeFileSync(join(tmp, "aws-config"), "");
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_") || k.startsWith("SOPS_") || k.startsWith("HUSH_")) delete process.env[k];
  Object.assign(process.env, awsEnv());
});

afterAll(async () => {
  await Promise.all([aws?.stop(), gcp?.stop(), az?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
  process.env = savedEnv;
});

/** What the AWS SDK reads: the loopback endpoint, the test credentials files, no instance metadata. */
function awsEnv(endpoint = aws.url): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_SHARED_CREDENTIALS_FILE: join(tmp, "aws-credentials"),
    AWS_CONFIG_FILE: join(tmp, "aws-config"),
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

/** The environment for hush: every service reachable, no age key unless asked for. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env["PATH"] ?? "",
    HOME: join(tmp, "home"),
    XDG_CONFIG_HOME: join(tmp, "home"),
    ...awsEnv(),
    SOPS_GCP_KMS_ENDPOINT: gcp.endpoint,
    HUSH_GCP_KMS_INSECURE: "1",
    GOOGLE_OAUTH_ACCESS_TOKEN: GCP_TOKEN,
    HUSH_AZURE_TOKEN: AZ_TOKEN,
    HUSH_AZURE_KV_CA_FILE: az.certFile,
    HUSH_KEY_TIMEOUT_MS: "5000",
    // These tests are about the SDKs; the endpoint policy (keys/trust.ts) is opted out explicitly
    // here and tested in attack-endpoints.test.ts.
    SOPS_HC_VAULT_ALLOWLIST: "all",
    HUSH_AZURE_KV_ALLOWLIST: "all",
    HUSH_AWS_KMS_ROLE_ALLOWLIST: "all",
    ...extra,
  };
}

/** Sets process.env variables (for the AWS SDK) during `fn`, then puts them back. */
async function withProcessEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    before[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function encryptFor(specs: [KeyKind, RecipientSpec][], e: NodeJS.ProcessEnv = env()): Promise<string> {
  const recipients: KeyRecipient[] = [];
  for (const [kind, spec] of specs) recipients.push(await recipientFor(kind, spec, e));
  return (await encryptText(PLAIN, { format: "yaml", groups: [recipients] })).text;
}

function decrypt(text: string, e: NodeJS.ProcessEnv, order?: KeyKind[]): Promise<string> {
  return decryptText(text, { format: "yaml", keyring: new Keyring({ env: e, ...(order ? { decryptionOrder: order } : {}) }) }).then((r) => r.text);
}

/** A key id as the registry prints it in "could not decrypt" lists (cut at 72 characters). */
function shown(id: string): string {
  return id.length > 72 ? `${id.slice(0, 69)}…` : id;
}

/** The error a decryption fails with (a HushError, or the test fails). */
async function failure(p: Promise<unknown>): Promise<HushError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HushError);
    return e as HushError;
  }
  throw new Error("expected a failure");
}

function sopsBlock(text: string): Record<string, unknown[]> {
  return (parseYaml(text) as { sops: Record<string, unknown[]> }).sops;
}

/** Runs the built CLI without blocking this process (the servers live here). */
function runHush(args: string[], e: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env: e, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - start }));
  });
}

/** Writes an encrypted text to a file for the CLI. */
function encFile(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

// ==============================================================================================
describe("AWS KMS", () => {
  it("parses ARNs, roles and the region as sops does", () => {
    expect(parseKmsSpec(` ${KEY1} + ${ROLE} `)).toEqual({ arn: KEY1, role: ROLE, context: {}, awsProfile: "" });
    expect(parseKmsSpec({ arn: KEY1, context: { n: 1 }, aws_profile: "p" })).toEqual({ arn: KEY1, role: "", context: { n: "1" }, awsProfile: "p" });
    expect(kmsRegion(KEY_EU)).toBe("eu-west-1");
    expect(kmsRegion("arn:aws-us-gov:kms:us-gov-west-1:1:alias/x")).toBe("us-gov-west-1");
    expect(() => parseKmsSpec("arn:aws:kms:us-east-1:key/x")).toThrow(/not an AWS KMS key ARN/);
    // sops's pattern [^a-zA-Z0-9=,.@-_] strips "-" too (`@-_` is a range), and cuts at 64.
    expect(stsSessionName("some-hostname")).toBe("sops@somehostname");
    expect(stsSessionName("a".repeat(100))).toHaveLength(64);
  });

  it("round-trips through the SDK with sops's entry, region taken from the ARN", async () => {
    const text = await encryptFor([["kms", KEY_EU]]);
    const [entry] = sopsBlock(text)["kms"] as Record<string, unknown>[];
    expect(Object.keys(entry!)).toEqual(["arn", "aws_profile", "created_at", "enc"]);
    expect(entry).toMatchObject({ arn: KEY_EU, aws_profile: "" });
    expect(entry!["enc"]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(entry!["created_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(text).toContain('          aws_profile: ""\n');
    expect(await decrypt(text, env(), ["kms"])).toBe(PLAIN);
    // The SDK's service-specific variable wins over AWS_ENDPOINT_URL.
    const kmsOnly = { AWS_ENDPOINT_URL: `http://127.0.0.1:${deadPort}`, AWS_ENDPOINT_URL_KMS: aws.url };
    expect(await withProcessEnv(kmsOnly, () => decrypt(text, env(), ["kms"]))).toBe(PLAIN);
  });

  it("binds the encryption context, written sorted, and rejects another context", async () => {
    const text = await encryptFor([["kms", { arn: ALIAS1, context: { zone: "b", app: "web" } }]]);
    expect(text).toContain("          context:\n            app: web\n            zone: b\n");
    expect(await decrypt(text, env(), ["kms"])).toBe(PLAIN);
    const e = await failure(decrypt(text.replace("zone: b", "zone: c"), env(), ["kms"]));
    expect(e.code).toBe("COULD_NOT_RETRIEVE_KEY");
    expect(e.message).toContain(`kms ${shown(ALIAS1)}: AWS KMS Decrypt failed: the ciphertext or its encryption context does not match (InvalidCiphertextException)`);
  });

  it("reads files from sops < 3.3.0 whose key was wrapped under the wrong context (§14-Q20)", async () => {
    expect(buggyContextVariants({ a: "x" })).toEqual([]);
    expect(buggyContextVariants({ a: "x", b: "x" })).toEqual([]);
    expect(buggyContextVariants({ app: "web", zone: "b" })).toEqual([
      { app: "web", zone: "web" },
      { app: "b", zone: "b" },
    ]);
    // What that sops wrote: the blob made under {app: b, zone: b}, the entry recording the context asked for.
    const made = await encryptFor([["kms", { arn: KEY1, context: { app: "b", zone: "b" } }]]);
    const old = made.replace("            app: b\n", "            app: web\n").replace(/version: \S+/, "version: 3.2.0");
    expect(old).toContain("          context:\n            app: web\n            zone: b\n");
    const before = aws.calls["Decrypt"] ?? 0;
    expect(await decrypt(old, env(), ["kms"])).toBe(PLAIN);
    // The server counts successful calls: the recorded context and the web → web variant failed.
    expect((aws.calls["Decrypt"] ?? 0) - before).toBe(1);
    // Not a way around the context: a blob made under another context still fails.
    const e = await failure(decrypt(made.replace("            app: b\n", "            app: web\n").replace("zone: b", "zone: c"), env(), ["kms"]));
    expect(e.message).toContain("(InvalidCiphertextException)");
  });

  it("assumes the role (session sops@host) and uses a named profile", async () => {
    const calls = aws.calls["AssumeRole"] ?? 0;
    const text = await encryptFor([
      ["kms", `${KEY_ROLE}+${ROLE}`],
      ["kms", { arn: KEY_CAROL, aws_profile: "carol" }],
    ]);
    const [withRole, withProfile] = sopsBlock(text)["kms"] as Record<string, unknown>[];
    expect(withRole).toMatchObject({ arn: KEY_ROLE, role: ROLE, aws_profile: "" });
    expect(Object.keys(withProfile!)).toEqual(["arn", "aws_profile", "created_at", "enc"]);
    expect(withProfile!["aws_profile"]).toBe("carol");
    expect(aws.calls["AssumeRole"]).toBe(calls + 1);
    expect(aws.sessionNames.at(-1)).toBe(stsSessionName());
    // Each entry alone: only the role may use KEY_ROLE, only carol KEY_CAROL.
    expect(await decrypt(text.replace(/    kms:\n        - arn: arn:aws:kms:us-east-1[\s\S]*?(?=        - arn)/, "    kms:\n"), env(), ["kms"])).toBe(PLAIN);
    const noRole = text.replace(`          role: ${ROLE}\n`, "").replace(/          aws_profile: carol\n/, '          aws_profile: ""\n');
    const e = await failure(decrypt(noRole, env(), ["kms"]));
    expect(e.message).toContain(`kms ${shown(KEY_ROLE)}: AWS KMS Decrypt failed: access denied (AccessDeniedException)`);
    expect(e.message).toContain(`kms ${shown(KEY_CAROL)}: AWS KMS Decrypt failed: access denied (AccessDeniedException)`);
    expect(await decrypt(text, env(), ["kms"])).toBe(PLAIN);
    const otherRole = ROLE.replace("sops-decrypt", "admin");
    const role = await failure(encryptFor([["kms", `${KEY_ROLE}+${otherRole}`]]));
    expect(role.message).toBe(`AWS STS AssumeRole ${otherRole} failed: access denied (AccessDenied)`);
  });

  it("asks KMS once per distinct wrapped key in a run", async () => {
    const text = await encryptFor([["kms", KEY1]]);
    const before = aws.calls["Decrypt"] ?? 0;
    const keyring = new Keyring({ env: env(), decryptionOrder: ["kms"] });
    for (let i = 0; i < 3; i++) expect((await decryptText(text, { format: "yaml", keyring })).text).toBe(PLAIN);
    expect(aws.calls["Decrypt"]).toBe(before + 1);
  });

  it("a kept client (cached middleware) still aborts the request at the deadline: the connection is closed, no retry is sent", async () => {
    const text = await encryptFor([["kms", KEY1]]);
    const received = aws.received["Decrypt"] ?? 0;
    const abandoned = aws.abandoned["Decrypt"] ?? 0;
    aws.delayMs = 5000;
    try {
      const keyring = new Keyring({ env: env({ HUSH_KEY_TIMEOUT_MS: "300" }), decryptionOrder: ["kms"] });
      const e = await failure(decryptText(text, { format: "yaml", keyring }));
      expect(e.message).toContain("AWS KMS Decrypt failed: timed out after 300 ms (HUSH_KEY_TIMEOUT_MS)");
      // The abort reaches the request: the server sees the connection closed long before it
      // would answer (without it, the request stays open until the answer, 5 s later).
      for (let i = 0; i < 50 && (aws.abandoned["Decrypt"] ?? 0) === abandoned; i++) await new Promise((r) => setTimeout(r, 50));
      expect((aws.abandoned["Decrypt"] ?? 0) - abandoned).toBe(1);
      expect((aws.received["Decrypt"] ?? 0) - received).toBe(1);
    } finally {
      aws.delayMs = 0;
    }
    // A kept client with its cached stack serves the next calls normally.
    const keyring = new Keyring({ env: env(), decryptionOrder: ["kms"] });
    expect((await decryptText(text, { format: "yaml", keyring })).text).toBe(PLAIN);
  });

  it("names the key and the cause: wrong key, unknown key, bad credentials", async () => {
    const text = await encryptFor([["kms", KEY1]]);
    const wrongKey = await failure(decrypt(text.replace(`arn: ${KEY1}`, `arn: ${KEY2}`), env(), ["kms"]));
    expect(wrongKey.message).toContain(`kms ${shown(KEY2)}: AWS KMS Decrypt failed: the data key was encrypted under a different KMS key (IncorrectKeyException)`);

    const unknown = KEY1.replace("11111111-", "99999999-");
    const enc = await failure(encryptFor([["kms", unknown]]));
    expect(enc.code).toBe("KEY_SOURCE");
    expect(enc.message).toBe(`AWS KMS Encrypt with ${unknown} failed: key not found (NotFoundException)`);

    const badSecret = await withProcessEnv({ AWS_ACCESS_KEY_ID: ALICE.accessKeyId, AWS_SECRET_ACCESS_KEY: "wrong" }, () =>
      failure(decrypt(text, env(), ["kms"])),
    );
    expect(badSecret.message).toContain("AWS KMS Decrypt failed: bad credentials: signature mismatch (wrong secret key?) (InvalidSignatureException)");
    const badId = await withProcessEnv({ AWS_ACCESS_KEY_ID: "AKIAUNKNOWN000000000", AWS_SECRET_ACCESS_KEY: "x" }, () =>
      failure(decrypt(text, env(), ["kms"])),
    );
    expect(badId.message).toContain("AWS KMS Decrypt failed: bad credentials: the access key is not recognised (UnrecognizedClientException)");
    for (const e of [wrongKey, enc, badSecret, badId]) expect(e.message).not.toMatch(/\n|secret\/for/);
  });
});

// ==============================================================================================
describe("GCP KMS", () => {
  it("validates resource ids as sops does", () => {
    expect(parseGcpKmsSpec(` ${RES1} `)).toBe(RES1);
    expect(parseGcpKmsSpec({ resource_id: RES2 })).toBe(RES2);
    expect(() => parseGcpKmsSpec(`${RES1}/cryptoKeyVersions/1`)).toThrow(/not a GCP KMS key resource id/);
  });

  it("round-trips through the gRPC client with sops's entry", async () => {
    const text = await encryptFor([["gcp_kms", RES1]]);
    const [entry] = sopsBlock(text)["gcp_kms"] as Record<string, unknown>[];
    expect(Object.keys(entry!)).toEqual(["created_at", "enc", "resource_id"]);
    expect(entry!["resource_id"]).toBe(RES1);
    expect(entry!["enc"]).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(await decrypt(text, env(), ["gcp_kms"])).toBe(PLAIN);
  });

  it("the CLI over TLS, authenticated by google-auth-library with GOOGLE_OAUTH_ACCESS_TOKEN", async () => {
    // The production path: a TLS channel with call credentials, no HUSH_GCP_KMS_INSECURE. grpc-js
    // reads GRPC_DEFAULT_SSL_ROOTS_FILE_PATH when it loads, hence a child process.
    const path = encFile("gcp.enc.yaml", await encryptFor([["gcp_kms", RES1]]));
    const tlsEnv = (token: string): NodeJS.ProcessEnv => {
      // By name: TLS to an IP address makes Node warn that SNI cannot carry one (RFC 6066).
      const endpoint = gcp.tlsEndpoint!.replace("127.0.0.1", "localhost");
      const e = env({ SOPS_GCP_KMS_ENDPOINT: endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: token, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: gcp.certFile! });
      delete e["HUSH_GCP_KMS_INSECURE"];
      return e;
    };
    expect(await runHush(["decrypt", path], tlsEnv(GCP_TOKEN))).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    const bad = await runHush(["decrypt", path], tlsEnv("revoked"));
    expect({ status: bad.status, stderr: bad.stderr }).toEqual({
      status: 128,
      stderr: expect.stringMatching(/^hush: error: could not decrypt the data key: gcp_kms \S+: GCP KMS Decrypt failed: bad credentials: Request had invalid authentication credentials\.\nhush: hint: /),
    });
  });

  it("names the key and the cause: wrong key, unknown key, bad token", async () => {
    const text = await encryptFor([["gcp_kms", RES1]]);
    const wrong = await failure(decrypt(text.replace(RES1, RES2), env(), ["gcp_kms"]));
    expect(wrong.message).toContain(`gcp_kms ${RES2}: GCP KMS Decrypt failed: rejected: Decryption failed: the ciphertext is invalid.`);
    const unknown = RES1.replace("k1", "nope");
    const enc = await failure(encryptFor([["gcp_kms", unknown]]));
    expect(enc.code).toBe("KEY_SOURCE");
    expect(enc.message).toMatch(new RegExp(`^GCP KMS Encrypt with ${unknown} failed: permission denied: Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource`));
    const token = await failure(decrypt(text, env({ GOOGLE_OAUTH_ACCESS_TOKEN: "expired" }), ["gcp_kms"]));
    expect(token.message).toContain(`gcp_kms ${RES1}: GCP KMS Decrypt failed: bad credentials: Request had invalid authentication credentials.`);
    for (const e of [wrong, enc, token]) expect(e.message).not.toMatch(/\n|loopback-test-token/);
    const timeout = await failure(decrypt(text, env({ HUSH_KEY_TIMEOUT_MS: "soon" }), ["gcp_kms"]));
    expect(timeout.message).toContain(`gcp_kms ${RES1}: HUSH_KEY_TIMEOUT_MS must be a positive number of milliseconds, not "soon"`);
  });
});

// ==============================================================================================
describe("Azure Key Vault", () => {
  it("parses key URLs and config objects as sops does", () => {
    expect(parseAzureKvSpec("https://v.vault.azure.net/keys/k/abc")).toEqual({ vaultUrl: "https://v.vault.azure.net", name: "k", version: "abc" });
    expect(parseAzureKvSpec("https://v.vault.azure.net/keys/k")).toEqual({ vaultUrl: "https://v.vault.azure.net", name: "k", version: "" });
    expect(parseAzureKvSpec({ vaultUrl: "https://v.vault.azure.net", key: "k", version: "1" })).toMatchObject({ name: "k", version: "1" });
    expect(() => parseAzureKvSpec("http://v.vault.azure.net/keys/k")).toThrow(/not an Azure Key Vault key URL/);
  });

  it("round-trips with RSA-OAEP-256, base64url without padding, the latest version fetched", async () => {
    const latest = az.rotate("k1");
    const text = await encryptFor([["azure_kv", `${az.vaultUrl}/keys/k1`]]);
    const [entry] = sopsBlock(text)["azure_kv"] as Record<string, unknown>[];
    expect(Object.keys(entry!)).toEqual(["created_at", "enc", "name", "vault_url", "version"]);
    expect(entry).toMatchObject({ name: "k1", vault_url: az.vaultUrl, version: latest });
    expect(entry!["enc"]).toMatch(/^[A-Za-z0-9_-]{342}$/); // 256 bytes, unpadded base64url
    expect(await decrypt(text, env(), ["azure_kv"])).toBe(PLAIN);
  });

  it("uses a given version without fetching the key", async () => {
    const [oldest] = az.versions("k2");
    const gets = az.calls["get"] ?? 0;
    const text = await encryptFor([["azure_kv", `${az.vaultUrl}/keys/k2/${oldest}`]]);
    expect((sopsBlock(text)["azure_kv"] as Record<string, unknown>[])[0]).toMatchObject({ version: oldest });
    expect(await decrypt(text, env(), ["azure_kv"])).toBe(PLAIN);
    expect(az.calls["get"] ?? 0).toBe(gets);
  });

  it("names the key and the cause: wrong key, forbidden key, bad token, untrusted TLS", async () => {
    const text = await encryptFor([["azure_kv", `${az.vaultUrl}/keys/k1`]]);
    const [entry] = sopsBlock(text)["azure_kv"] as Record<string, string>[];
    const url = `${az.vaultUrl}/keys/k1/${entry!["version"]}`;
    // Another key's version: the service does not know that version of k2.
    const wrong = await failure(decrypt(text.replace("name: k1", "name: k2"), env(), ["azure_kv"]));
    expect(wrong.message).toMatch(/azure_kv k2: Azure Key Vault unwrapKey with \S+\/keys\/k2\/\w+ failed: key not found: .* \(KeyNotFound\)/);
    const tampered = await failure(decrypt(text.replace(`enc: ${entry!["enc"]!.slice(0, 8)}`, "enc: AAAAAAAA"), env(), ["azure_kv"]));
    expect(tampered.message).toContain(`Azure Key Vault unwrapKey with ${url} failed: rejected: The parameter is incorrect. (BadParameter)`);
    const locked = await failure(encryptFor([["azure_kv", `${az.vaultUrl}/keys/locked`]]));
    expect(locked.message).toMatch(/^Azure Key Vault wrapKey with \S+\/keys\/locked failed: access denied: .*\(Forbidden\)$/);
    const token = await failure(decrypt(text, env({ HUSH_AZURE_TOKEN: "stolen" }), ["azure_kv"]));
    expect(token.message).toContain(`Azure Key Vault unwrapKey with ${url} failed: bad credentials (Unauthorized)`);
    const untrusted = await failure(decrypt(text, env({ HUSH_AZURE_KV_CA_FILE: "" }), ["azure_kv"]));
    expect(untrusted.message).toContain(`Azure Key Vault unwrapKey with ${url} failed: TLS certificate not trusted`);
    for (const e of [wrong, tampered, locked, token, untrusted]) expect(e.message).not.toMatch(/\n|loopback-test-token/);
  });
});

// ==============================================================================================
describe("one file, every kind of recipient", () => {
  let text: string;
  let vault: VaultServer;
  // PGP from the sops test key as a file; GnuPG made unavailable so only the file can work.
  const PGP_FP = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
  const pgpEnv = { SOPS_PGP_KEY_FILE: join(FIXTURES, "key-pgp-sops-functional-tests-private.asc"), SOPS_GPG_EXEC: "/nonexistent/gpg" };
  beforeAll(async () => {
    vault = await startVaultServer();
    text = await encryptFor(
      [
        ["kms", { arn: KEY1, context: { app: "web" } }],
        ["gcp_kms", RES1],
        ["azure_kv", `${az.vaultUrl}/keys/k2`],
        ["hc_vault", vault.keyUrl("k")],
        ["pgp", PGP_FP],
        ["age", age.recipient],
      ],
      env({ ...pgpEnv, VAULT_TOKEN: vault.token }),
    );
    expect(Object.keys(sopsBlock(text))).toEqual([
      "age",
      "azure_kv",
      "gcp_kms",
      "hc_vault",
      "kms",
      "lastmodified",
      "mac",
      "pgp",
      "unencrypted_suffix",
      "version",
    ]);
  });
  afterAll(async () => {
    await vault.close();
  });

  /** Every service unreachable (refused or untrusted) and no age key, unless `only` is kept. */
  function only(kind: KeyKind | "none"): { e: NodeJS.ProcessEnv; aws: Record<string, string> } {
    const e = env({
      SOPS_GPG_EXEC: "/nonexistent/gpg",
      ...(kind === "pgp" ? pgpEnv : {}),
      ...(kind === "hc_vault" ? { VAULT_TOKEN: vault.token } : {}),
      ...(kind === "age" ? { SOPS_AGE_KEY: age.identity } : {}),
      ...(kind === "gcp_kms" ? {} : { SOPS_GCP_KMS_ENDPOINT: `127.0.0.1:${deadPort}` }),
      ...(kind === "azure_kv" ? {} : { HUSH_AZURE_KV_CA_FILE: "" }),
    });
    return { e, aws: kind === "kms" ? {} : { AWS_ENDPOINT_URL: `http://127.0.0.1:${deadPort}` } };
  }

  it("age alone decrypts it, and no network key service is asked", async () => {
    const before = JSON.stringify([aws.calls, gcp.calls, az.calls]);
    const { e } = only("age");
    expect(await decrypt(text, e)).toBe(PLAIN);
    expect(JSON.stringify([aws.calls, gcp.calls, az.calls])).toBe(before);
  });

  for (const kind of ["kms", "gcp_kms", "azure_kv", "hc_vault", "pgp"] as const) {
    it(`${kind} alone decrypts it, the others failing fast`, async () => {
      const { e, aws: awsVars } = only(kind);
      const start = Date.now();
      expect(await withProcessEnv(awsVars, () => decrypt(text, e))).toBe(PLAIN);
      expect(Date.now() - start).toBeLessThan(6000);
    });
  }

  it("with nothing available, lists every key tried with its reason, in one line", async () => {
    const { e, aws: awsVars } = only("none");
    const err = await withProcessEnv(awsVars, () => failure(decrypt(text, e)));
    expect(err.code).toBe("COULD_NOT_RETRIEVE_KEY");
    expect(err.exitCode).toBe(128);
    expect(err.message).not.toContain("\n");
    expect(err.message).toContain(`kms ${shown(KEY1)}: AWS KMS Decrypt failed: connection refused (127.0.0.1:${deadPort})`);
    expect(err.message).toContain(`gcp_kms ${RES1}: GCP KMS Decrypt failed: connection refused (127.0.0.1:${deadPort})`);
    expect(err.message).toMatch(/azure_kv k2: Azure Key Vault unwrapKey with \S+ failed: TLS certificate not trusted/);
    expect(err.message).toMatch(/age age1\w+…?: no age identity found/);
  });
});

// ==============================================================================================
describe("lazy loading", () => {
  it("an age-only decrypt never loads a cloud SDK (checked by a module resolve hook)", async () => {
    // A resolve hook in the CLI process refuses the SDK packages: the age file must still decrypt,
    // and a KMS file must fail on the refused import, which shows the hook is in force.
    const hooks = join(tmp, "forbid-sdks-hooks.mjs");
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
  if (/^(@aws-sdk|@google-cloud|@azure|google-gax|@grpc)\\/|\\/dist\\/bundle\\/vendor\\/(aws-sdk|google-cloud|azure)__|\\/dist\\/bundle\\/vendor\\/google-gax\\./.test(specifier)) throw new Error("refused " + specifier);
  return next(specifier, context);
}\n`,
    );
    const register = join(tmp, "forbid-sdks.mjs");
    writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const e = { ...env({ SOPS_AGE_KEY: age.identity }), NODE_OPTIONS: `--import=file://${register}` };
    const ageOnly = encFile("age-only.enc.yaml", await encryptFor([["age", age.recipient]]));
    expect(await runHush(["decrypt", ageOnly], e)).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    const kmsOnly = encFile("kms-only.enc.yaml", await encryptFor([["kms", KEY1]]));
    const refused = await runHush(["decrypt", kmsOnly], e);
    expect(refused.status).toBe(128);
    // (the package name from the unbundled CLI, the vendored file from the bundled one)
    expect(refused.stderr).toMatch(/refused (@aws-sdk\/client-kms|\S*\/dist\/bundle\/vendor\/aws-sdk__client-kms\.js)/);
  });
});

// ==============================================================================================
describe("failures beside a working age key", () => {
  type Setup = { kind: KeyKind; spec: () => RecipientSpec };
  const kinds: Setup[] = [
    { kind: "kms", spec: () => KEY1 },
    { kind: "gcp_kms", spec: () => RES1 },
    { kind: "azure_kv", spec: () => `${az.vaultUrl}/keys/k1` },
  ];

  /** Decrypts with the cloud key tried first: it fails with `reason`, then age succeeds. */
  async function failsThenAge(kind: KeyKind, text: string, e: NodeJS.ProcessEnv, reason: RegExp, awsVars: Record<string, string> = {}) {
    const err = await withProcessEnv(awsVars, () => failure(decrypt(text, e, [kind])));
    expect(err.message).toMatch(reason);
    expect(err.message).not.toContain("\n");
    expect(await withProcessEnv(awsVars, () => decrypt(text, { ...e, SOPS_AGE_KEY: age.identity }, [kind, "age"]))).toBe(PLAIN);
  }

  for (const { kind, spec } of kinds) {
    it(`${kind}: server down`, async () => {
      const text = await encryptFor([[kind, spec()], ["age", age.recipient]]);
      const down: { e: NodeJS.ProcessEnv; aws: Record<string, string> } =
        kind === "kms"
          ? { e: env(), aws: { AWS_ENDPOINT_URL: `http://127.0.0.1:${deadPort}` } }
          : kind === "gcp_kms"
            ? { e: env({ SOPS_GCP_KMS_ENDPOINT: `127.0.0.1:${deadPort}` }), aws: {} }
            : { e: env(), aws: {} };
      const file = kind === "azure_kv" ? text.replace(az.vaultUrl, `https://127.0.0.1:${deadPort}`) : text;
      await failsThenAge(kind, file, down.e, new RegExp(`failed: connection refused \\(127\\.0\\.0\\.1:${deadPort}\\); age `), down.aws);
    });

    it(`${kind}: slow server times out within HUSH_KEY_TIMEOUT_MS`, async () => {
      const text = await encryptFor([[kind, spec()], ["age", age.recipient]]);
      const server = kind === "kms" ? aws : kind === "gcp_kms" ? gcp : az;
      server.delayMs = 3000;
      try {
        const start = Date.now();
        await failsThenAge(kind, text, env({ HUSH_KEY_TIMEOUT_MS: "600" }), /failed: timed out after 600 ms \(HUSH_KEY_TIMEOUT_MS\); age /);
        // Twice (without and with the age key), each bounded by the deadline.
        expect(Date.now() - start).toBeLessThan(2 * 600 + 2000);
      } finally {
        server.delayMs = 0;
      }
    });
  }

  it("the CLI: exit 128 with one error line, and the age key still decrypts", async () => {
    const text = await encryptFor([["kms", { arn: KEY1, context: { app: "web" } }], ["age", age.recipient]]);
    const path = encFile("ctx.enc.yaml", text.replace("app: web", "app: api"));
    const e = { ...env(), SOPS_DECRYPTION_ORDER: "kms,age" };
    const bad = await runHush(["decrypt", path], e);
    expect(bad.status).toBe(128);
    expect(bad.stdout).toBe("");
    const lines = bad.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^hush: error: could not decrypt the data key: kms arn:\S+: AWS KMS Decrypt failed: the ciphertext or its encryption context does not match \(InvalidCiphertextException\); age age1\S+: no age identity found/);
    expect(lines.slice(1).every((l) => l.startsWith("hush: hint: "))).toBe(true);

    const good = await runHush(["decrypt", path], { ...e, SOPS_AGE_KEY: age.identity });
    expect(good).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
  });

  it("the CLI: a dead endpoint fails within the timeout and the process exits at once", async () => {
    const text = await encryptFor([["gcp_kms", RES1], ["azure_kv", `${az.vaultUrl}/keys/k1`], ["kms", KEY1]]);
    const path = encFile("dead.enc.yaml", text);
    az.delayMs = 60_000;
    try {
      const r = await runHush(["decrypt", path], {
        ...env({ HUSH_KEY_TIMEOUT_MS: "3000", SOPS_GCP_KMS_ENDPOINT: `127.0.0.1:${deadPort}` }),
        AWS_ENDPOINT_URL: `http://127.0.0.1:${deadPort}`,
      });
      // One object, so that a failure shows all of it.
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: 128,
        stdout: "",
        stderr: expect.stringMatching(
          /^hush: error: could not decrypt the data key: kms \S+: AWS KMS Decrypt failed: connection refused .*; gcp_kms \S+: GCP KMS Decrypt failed: connection refused .*; azure_kv k1: Azure Key Vault unwrapKey with \S+ failed: timed out after 3 s \(HUSH_KEY_TIMEOUT_MS\)\nhush: hint: [^\n]+\n$/,
        ),
      });
      // Node starts in ~0.1 s and loads three SDKs (~0.6 s); the refused connections fail at once,
      // the slow server after 3 s, and nothing may keep the process waiting for its answer, which
      // comes after 60 s (a bound far from both, so that a busy machine does not fail it: 8 s
      // were seen under load).
      expect(r.ms).toBeLessThan(25_000);
    } finally {
      az.delayMs = 0;
    }
  });

  it("the CLI: Azure over TLS trusted through NODE_EXTRA_CA_CERTS, and a prompt exit", async () => {
    const text = await encryptFor([["azure_kv", `${az.vaultUrl}/keys/k1`]]);
    const r = await runHush(["decrypt", encFile("az.enc.yaml", text)], { ...env({ HUSH_AZURE_KV_CA_FILE: "" }), NODE_EXTRA_CA_CERTS: az.certFile });
    expect(r).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    expect(r.ms).toBeLessThan(6000);
  });
});

describe("AWS KMS alias/NAME with the region from the environment", () => {
  const entryArn = (text: string) => (sopsBlock(text)["kms"]![0] as { arn: string }).arn;

  it("AWS_REGION: encrypts to the alias, stores the full alias ARN (which sops reads), decrypts", async () => {
    const text = await encryptFor([["kms", "alias/app"]], env({ AWS_REGION: "us-east-1" }));
    expect(entryArn(text)).toBe(ALIAS1);
    // The stored ARN carries its region: decrypting needs no region in the environment.
    expect(await decrypt(text, env())).toBe(PLAIN);
  });

  it("AWS_DEFAULT_REGION, and the profile's region in the shared config, as the SDK reads them", async () => {
    expect(entryArn(await encryptFor([["kms", "alias/app"]], env({ AWS_DEFAULT_REGION: "us-east-1" })))).toBe(ALIAS1);
    const config = join(tmp, "aws-config-region");
    writeFileSync(config, "[default]\nregion = us-east-1\n");
    const text = await withProcessEnv({ AWS_CONFIG_FILE: config }, () => encryptFor([["kms", "alias/app"]], env({ AWS_CONFIG_FILE: config })));
    expect(entryArn(text)).toBe(ALIAS1);
  });

  it("an alias the region does not have, or no region at all: one clear line", async () => {
    const wrong = await failure(encryptFor([["kms", "alias/app"]], env({ AWS_REGION: "eu-west-1" })));
    expect(wrong.message).toMatch(/alias\/app.*NotFoundException/);
    const none = await failure(withProcessEnv({ AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined }, () => encryptFor([["kms", "alias/app"]], env())));
    expect(none.message).toMatch(/alias\/app.*[Rr]egion/);
    expect(none.message).not.toContain("\n");
  });

  it("a rule's alias/NAME is the alias ARN stored for it (updatekeys sees no change); other names are not", async () => {
    const { keyService } = await import("../src/keys/index.js");
    const same = keyService("kms").sameRecipient!;
    expect(same(ALIAS1, "alias/app")).toBe(true);
    expect(same(`${ALIAS1}+${ROLE}`, `alias/app+${ROLE}`)).toBe(true);
    expect(same(ALIAS1, "alias/other")).toBe(false);
    expect(same(KEY1, "alias/app")).toBe(false);
    expect(() => parseKmsSpec("alias/")).toThrow(HushError);
    expect(parseKmsSpec("alias/team/app").arn).toBe("alias/team/app");
  });
});
