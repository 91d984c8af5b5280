// Vault AppRole and Kubernetes logins against the loopback Vault (test/servers/vault.ts): a
// correct login decrypts through the real CLI with one login per run, a wrong role or secret is
// one clear line with exit 128, no credential or token is printed, and the login goes only to
// VAULT_ADDR, never to an address the file names (the attack: a pushed file pointing elsewhere).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptText } from "../src/lib/files.js";
import { recipientFor } from "../src/keys/registry.js";
import { cleanEnv, HUSH, ROOT, withTempDir, type RunResult } from "./helpers.js";
import { startVaultServer, type VaultServer } from "./servers/vault.js";

const PLAIN = "db:\n    password: hunter2\n";
const ROLE_ID = "3c1d2f0e-role";
const SECRET_ID = "s3cr3t-id-5f2a";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwOmFwcCJ9.c2ln";

let vault: VaultServer;
beforeAll(async () => {
  vault = await startVaultServer({
    approle: { roleId: ROLE_ID, secretId: SECRET_ID },
    kubernetes: { role: "app", jwt: JWT, mount: "k8s-prod" },
  });
});
afterAll(async () => {
  await vault.close();
});

function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const k of Object.keys(env)) if (k.startsWith("VAULT_")) delete env[k];
  return { ...env, ...extra };
}

/** The CLI without blocking this process (the server lives here). */
function runHush(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

/** A file encrypted (with the root token) to the given transit keys, written in `dir`. */
async function encryptedFile(dir: string, urls: string[], token = vault.token): Promise<string> {
  const env = baseEnv({ VAULT_TOKEN: token });
  const group = await Promise.all(urls.map((u) => recipientFor("hc_vault", u, env)));
  const { text } = await encryptText(PLAIN, { format: "yaml", groups: [group] });
  const file = join(dir, "s.enc.yaml");
  writeFileSync(file, text);
  return file;
}

const logins = (v: VaultServer) => v.requests.filter((r) => r.path.endsWith("/login")).length;

function oneErrorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.startsWith("hush: error: "));
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

function noSecrets(text: string): void {
  for (const s of [SECRET_ID, JWT, vault.token, ...vault.issued]) expect(text).not.toContain(s);
}

describe("AppRole", () => {
  it("logs in once at VAULT_ADDR and decrypts a file with two transit keys", async () => {
    await withTempDir(async (dir) => {
      // Two keys in two groups with a threshold of one would stop at the first; two groups
      // of one key each need both, so both requests use the one login.
      const env = baseEnv({ VAULT_TOKEN: vault.token });
      const groups = [[await recipientFor("hc_vault", vault.keyUrl("a"), env)], [await recipientFor("hc_vault", vault.keyUrl("b"), env)]];
      const { text } = await encryptText(PLAIN, { format: "yaml", groups, shamirThreshold: 2 });
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, text);
      const before = logins(vault);
      const r = await runHush(["decrypt", file], baseEnv({ VAULT_ADDR: vault.address, VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: SECRET_ID }));
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("hunter2");
      expect(logins(vault) - before).toBe(1);
      noSecrets(r.stdout + r.stderr);
    });
  });

  it("a wrong secret ID: one line naming the login, exit 128, nothing secret printed", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir, [vault.keyUrl("c")]);
      const r = await runHush(["decrypt", file], baseEnv({ VAULT_ADDR: vault.address, VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: "wrong" }));
      expect(r.status).toBe(128);
      expect(oneErrorLine(r.stderr)).toContain(`AppRole login at ${vault.address}/v1/auth/approle: invalid role or secret ID (HTTP 400)`);
      noSecrets(r.stdout + r.stderr);
    });
  });

  it("VAULT_TOKEN wins over a configured login", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir, [vault.keyUrl("d")]);
      const before = logins(vault);
      const r = await runHush(["decrypt", file], baseEnv({ VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: "wrong" }));
      expect(r.status).toBe(0);
      expect(logins(vault)).toBe(before);
    });
  });

  it("a login without VAULT_ADDR is refused with a clear line", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir, [vault.keyUrl("e")]);
      // The allowlist lets the file's address through, so the login itself is what refuses.
      const r = await runHush(["decrypt", file], baseEnv({ VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: SECRET_ID, SOPS_HC_VAULT_ALLOWLIST: "all" }));
      expect(r.status).toBe(128);
      expect(oneErrorLine(r.stderr)).toContain("a Vault AppRole login needs VAULT_ADDR");
    });
  });

  it("attack: a file naming another Vault gets neither the login nor its token, even with SOPS_HC_VAULT_ALLOWLIST=all", async () => {
    const evil = await startVaultServer();
    try {
      await withTempDir(async (dir) => {
        const file = await encryptedFile(dir, [evil.keyUrl("x")], evil.token);
        const seen = evil.requests.length;
        const before = logins(vault);
        // With the default trust policy the address is refused before any request (keys/trust.ts);
        // with `all` (sops's default) it is contacted, but without the login's token.
        const r = await runHush(
          ["decrypt", file],
          baseEnv({ VAULT_ADDR: vault.address, VAULT_ROLE_ID: ROLE_ID, VAULT_SECRET_ID: SECRET_ID, SOPS_HC_VAULT_ALLOWLIST: "all" }),
        );
        expect(r.status).toBe(128);
        expect(evil.requests.length).toBeGreaterThan(seen);
        const atEvil = evil.requests.slice(seen);
        expect(atEvil.some((q) => q.path.includes("/login"))).toBe(false);
        expect(atEvil.every((q) => !q.hadToken)).toBe(true);
        expect(logins(vault)).toBe(before);
        expect(oneErrorLine(r.stderr)).toContain("permission denied");
      });
    } finally {
      await evil.close();
    }
  });
});

describe("Kubernetes auth", () => {
  it("logs in with the service-account JWT from VAULT_K8S_TOKEN_PATH and decrypts", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir, [vault.keyUrl("k")]);
      const jwtFile = join(dir, "token");
      writeFileSync(jwtFile, `${JWT}\n`);
      const r = await runHush(
        ["decrypt", file],
        baseEnv({ VAULT_ADDR: vault.address, VAULT_K8S_ROLE: "app", VAULT_K8S_MOUNT: "k8s-prod", VAULT_K8S_TOKEN_PATH: jwtFile }),
      );
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("hunter2");
    });
  });

  it("a wrong role: one line, exit 128; a missing token file is named", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir, [vault.keyUrl("k2")]);
      const jwtFile = join(dir, "token");
      writeFileSync(jwtFile, JWT);
      const env = { VAULT_ADDR: vault.address, VAULT_K8S_MOUNT: "k8s-prod", VAULT_K8S_TOKEN_PATH: jwtFile };
      const r = await runHush(["decrypt", file], baseEnv({ ...env, VAULT_K8S_ROLE: "admin" }));
      expect(r.status).toBe(128);
      expect(oneErrorLine(r.stderr)).toContain(`Kubernetes login at ${vault.address}/v1/auth/k8s-prod: invalid role name "admin" (HTTP 400)`);
      noSecrets(r.stdout + r.stderr);
      const missing = await runHush(["decrypt", file], baseEnv({ ...env, VAULT_K8S_ROLE: "app", VAULT_K8S_TOKEN_PATH: join(dir, "nope") }));
      expect(missing.status).toBe(128);
      expect(oneErrorLine(missing.stderr)).toContain(`cannot read the service-account token ${join(dir, "nope")} (ENOENT)`);
    });
  });
});
