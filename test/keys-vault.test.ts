// HashiCorp Vault transit key source against the loopback transit server in test/servers/vault.ts:
// key URL parsing as sops does it, round trips through the library and the real CLI, the
// `~/.vault-token` fallback, retries, the allowlist, and every failure (wrong token, server down,
// slow server, tampered ciphertext) as one clear line and exit 128, while an age key beside it
// still decrypts the file.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptText, encryptText } from "../src/lib/files.js";
import { isHushError } from "../src/errors.js";
import { recipientFor } from "../src/keys/registry.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { parseVaultKeyUrl, vaultUrlAllowed } from "../src/keys/vault-client.js";
import { keyTimeoutMs } from "../src/keys/remote.js";
import { cleanEnv, HUSH, ROOT, withTempDir, type RunResult } from "./helpers.js";
import { startVaultServer, type VaultServer } from "./servers/vault.js";

const PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";

let vault: VaultServer;
beforeAll(async () => {
  vault = await startVaultServer({ mounts: ["transit", "team/transit"] });
});
afterAll(async () => {
  await vault.close();
});

/** An environment with the server's token and nothing from the developer's machine. */
function vaultEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const k of ["VAULT_ADDR", "VAULT_NAMESPACE", "VAULT_TOKEN", "HUSH_KEY_TIMEOUT_MS"]) delete env[k];
  // The loopback server's address is allowed explicitly, as a user would (keys/trust.ts).
  return { ...env, VAULT_TOKEN: vault.token, SOPS_HC_VAULT_ALLOWLIST: vault.address, ...extra };
}

/**
 * Runs the built CLI without blocking this process: the Vault server lives in this process, so
 * helpers' `runHush` (spawnSync) would keep it from answering.
 */
function runHush(args: string[], opts: { env: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env: opts.env, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, stdout, stderr });
    });
  });
}

/** Encrypts PLAIN to the given key URLs (and age recipients), with the server's token. */
async function encryptTo(urls: string[], ages: string[] = [], env = vaultEnv()): Promise<string> {
  const group = [
    ...(await Promise.all(urls.map((u) => recipientFor("hc_vault", u, env)))),
    ...(await Promise.all(ages.map((a) => recipientFor("age", a, env)))),
  ];
  const { text } = await encryptText(PLAIN, { format: "yaml", groups: [group] });
  return text;
}

/** The stderr's `hush: error:` line; asserts there is exactly one and no stack trace. */
function errorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  const errs = lines.filter((l) => l.startsWith("hush: error: "));
  expect(errs).toHaveLength(1);
  expect(lines.every((l) => l.startsWith("hush: "))).toBe(true);
  expect(stderr).not.toMatch(/\n\s+at /);
  return errs[0]!;
}

describe("Vault key URLs", () => {
  it("parses as sops does: address as written, engine path with slashes, key name", () => {
    expect(parseVaultKeyUrl("https://vault.example.com:8200/v1/transit/keys/keyName")).toEqual({
      address: "https://vault.example.com:8200",
      enginePath: "transit",
      keyName: "keyName",
    });
    expect(parseVaultKeyUrl("http://127.0.0.1:8200/v1/team/a/transit/keys/k/")).toEqual({
      address: "http://127.0.0.1:8200",
      enginePath: "team/a/transit",
      keyName: "k",
    });
    expect(parseVaultKeyUrl("https://vault.example.com/v1/sops/keys/firstkey").address).toBe("https://vault.example.com");
  });

  it.each([
    ["vault.example.com:8200/v1/transit/keys/k", /scheme is required/],
    ["ftp://vault.example.com/v1/transit/keys/k", /https:\/\/ or http:\/\//],
    ["/v1/transit/keys/k", /scheme is required/],
    ["https://vault.example.com:8200/prefix/v1/transit/keys/k", /path prefix is not supported/],
    ["https://vault.example.com:8200/v1/transit/k", /not a Vault transit key URL/],
    ["https://vault.example.com:8200/v1/keys/k", /not a Vault transit key URL/],
    ["https://vault.example.com:8200/v1/transit/keys/k?x=1", /no query/],
  ])("refuses %s", (uri, msg) => {
    const e = (() => {
      try {
        parseVaultKeyUrl(uri);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(isHushError(e, "USAGE")).toBe(true);
    expect((e as Error).message).toMatch(msg);
  });

  it("never echoes credentials written into the URL", () => {
    try {
      parseVaultKeyUrl("https://user:s3cr3t@vault.example.com/v1/transit/keys/k");
      expect.unreachable();
    } catch (e) {
      expect(isHushError(e, "USAGE")).toBe(true);
      expect((e as Error).message).not.toContain("s3cr3t");
    }
  });

  it("reads SOPS_HC_VAULT_ALLOWLIST as sops documents it", () => {
    const url = "https://vault.example.com:8200/v1/transit/decrypt/k";
    expect(vaultUrlAllowed(url, {})).toBe(true);
    expect(vaultUrlAllowed(url, { SOPS_HC_VAULT_ALLOWLIST: "all" })).toBe(true);
    expect(vaultUrlAllowed(url, { SOPS_HC_VAULT_ALLOWLIST: "none" })).toBe(false);
    expect(vaultUrlAllowed(url, { SOPS_HC_VAULT_ALLOWLIST: "https://other.example.com, https://vault.example.com:8200" })).toBe(true);
    expect(vaultUrlAllowed(url, { SOPS_HC_VAULT_ALLOWLIST: "https://vault.example.com:8200/v1/other/" })).toBe(false);
  });

  it("reads HUSH_KEY_TIMEOUT_MS", () => {
    expect(keyTimeoutMs({})).toBe(10_000);
    expect(keyTimeoutMs({ HUSH_KEY_TIMEOUT_MS: "250" })).toBe(250);
    expect(() => keyTimeoutMs({ HUSH_KEY_TIMEOUT_MS: "soon" })).toThrow(/HUSH_KEY_TIMEOUT_MS/);
  });
});

describe("Vault transit round trip", () => {
  it("writes sops's hc_vault entry and decrypts it through the library", async () => {
    const text = await encryptTo([vault.keyUrl("sops-key")]);
    const meta = (parseYaml(text) as { sops: { hc_vault: Record<string, string>[] } }).sops;
    expect(meta.hc_vault).toHaveLength(1);
    const entry = meta.hc_vault[0]!;
    expect(Object.keys(entry)).toEqual(["created_at", "enc", "engine_path", "key_name", "vault_address"]);
    expect(entry["vault_address"]).toBe(vault.address);
    expect(entry["engine_path"]).toBe("transit");
    expect(entry["key_name"]).toBe("sops-key");
    expect(entry["enc"]).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/);
    expect(entry["created_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(text).toMatch(/\n {4}hc_vault:\n {8}- created_at: "/);

    const { text: plain } = await decryptText(text, { format: "yaml", env: vaultEnv() });
    expect(plain).toBe(PLAIN);
    const last = vault.requests[vault.requests.length - 1]!;
    expect(last).toEqual({ method: "POST", path: "/v1/transit/decrypt/sops-key", hadToken: true });
  });

  it("handles an engine path with slashes", async () => {
    const text = await encryptTo([vault.keyUrl("k2", "team/transit")]);
    expect(text).toContain("engine_path: team/transit");
    const { text: plain } = await decryptText(text, { format: "yaml", env: vaultEnv() });
    expect(plain).toBe(PLAIN);
  });

  it("decrypts through the CLI, with the token from ~/.vault-token and no VAULT_ADDR", async () => {
    const text = await encryptTo([vault.keyUrl("cli-key")]);
    await withTempDir(async (dir) => {
      const home = join(dir, "home");
      mkdirSync(home);
      writeFileSync(join(home, ".vault-token"), `${vault.token}\n`);
      const file = join(dir, "secrets.enc.yaml");
      writeFileSync(file, text);
      const env = vaultEnv();
      delete env["VAULT_TOKEN"];
      env["HOME"] = home;
      const r = await runHush(["decrypt", file], { env });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(PLAIN);
    });
  });

  it("without any token, Vault's permission denied comes with a hint to log in", async () => {
    const text = await encryptTo([vault.keyUrl("sops-key")]);
    const env = vaultEnv();
    delete env["VAULT_TOKEN"];
    const err = await decryptText(text, { format: "yaml", env }).catch((e: unknown) => e);
    expect(isHushError(err, "COULD_NOT_RETRIEVE_KEY")).toBe(true);
    expect((err as Error).message).toContain(`hc_vault ${vault.keyUrl("sops-key")}: permission denied (HTTP 403)`);
    expect(vault.requests[vault.requests.length - 1]!.hadToken).toBe(false);
    const direct = await (await import("../src/keys/vault-client.js")).loadVaultUnwrapper(env);
    const entry = (parseYaml(text) as { sops: { hc_vault: Record<string, string>[] } }).sops.hc_vault[0]!;
    const e2 = await direct.unwrap(entry).catch((e: unknown) => e);
    expect(isHushError(e2, "KEY_SOURCE")).toBe(true);
    expect((e2 as { hint?: string }).hint).toMatch(/VAULT_TOKEN|vault login/);
  });

  it("retries 5xx answers and succeeds within the attempts", async () => {
    const text = await encryptTo([vault.keyUrl("retry-key")]);
    const before = vault.requests.length;
    vault.failNext(2);
    const { text: plain } = await decryptText(text, { format: "yaml", env: vaultEnv() });
    expect(plain).toBe(PLAIN);
    expect(vault.requests.length - before).toBe(3);
  });

  it("gives up after 3 attempts with Vault's own message", async () => {
    const text = await encryptTo([vault.keyUrl("retry-key")]);
    const before = vault.requests.length;
    vault.failNext(10);
    try {
      const err = await decryptText(text, { format: "yaml", env: vaultEnv() }).catch((e: unknown) => e);
      expect(isHushError(err, "COULD_NOT_RETRIEVE_KEY")).toBe(true);
      expect((err as Error).message).toContain(`hc_vault ${vault.keyUrl("retry-key")}: Vault is sealed (HTTP 503) (after 3 attempts)`);
      expect(vault.requests.length - before).toBe(3);
    } finally {
      vault.failNext(0);
    }
  });

  it("does not retry a 4xx answer", async () => {
    const text = (await encryptTo([vault.keyUrl("tamper-key")])).replace(/vault:v1:(.)/, (_m, c: string) => `vault:v1:${c === "A" ? "B" : "A"}`);
    const before = vault.requests.length;
    const err = await decryptText(text, { format: "yaml", env: vaultEnv() }).catch((e: unknown) => e);
    expect(isHushError(err, "COULD_NOT_RETRIEVE_KEY")).toBe(true);
    expect((err as Error).message).toContain("cipher: message authentication failed (HTTP 400)");
    expect(vault.requests.length - before).toBe(1);
  });
});

describe("SOPS_HC_VAULT_ALLOWLIST", () => {
  it("none: no request is made, encrypting or decrypting", async () => {
    const text = await encryptTo([vault.keyUrl("allow-key")]);
    const before = vault.requests.length;
    const err = await decryptText(text, { format: "yaml", env: vaultEnv({ SOPS_HC_VAULT_ALLOWLIST: "none" }) }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/contacting Vault is disabled \(SOPS_HC_VAULT_ALLOWLIST=none\)/);
    const err2 = await encryptTo([vault.keyUrl("allow-key")], [], vaultEnv({ SOPS_HC_VAULT_ALLOWLIST: "none" })).catch((e: unknown) => e);
    expect(isHushError(err2, "KEY_SOURCE")).toBe(true);
    expect(vault.requests.length).toBe(before);
  });

  it("a list of prefixes lets through only the addresses it names", async () => {
    const text = await encryptTo([vault.keyUrl("allow-key")]);
    const before = vault.requests.length;
    const err = await decryptText(text, { format: "yaml", env: vaultEnv({ SOPS_HC_VAULT_ALLOWLIST: "https://vault.example.com" }) }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain(`${vault.address} is not in SOPS_HC_VAULT_ALLOWLIST`);
    expect(vault.requests.length).toBe(before);
    const ok = await decryptText(text, {
      format: "yaml",
      env: vaultEnv({ SOPS_HC_VAULT_ALLOWLIST: `https://vault.example.com,${vault.address}` }),
    });
    expect(ok.text).toBe(PLAIN);
  });
});

describe("Vault failures through the CLI", () => {
  it("wrong token: permission denied (HTTP 403), exit 128, the token never printed", async () => {
    const text = await encryptTo([vault.keyUrl("cli-key")]);
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, text);
      const r = await runHush(["decrypt", file], { env: vaultEnv({ VAULT_TOKEN: "hvs.not-the-token" }) });
      expect(r.status).toBe(128);
      expect(r.stdout).toBe("");
      const line = errorLine(r.stderr);
      expect(line).toContain(`hc_vault ${vault.keyUrl("cli-key")}: permission denied (HTTP 403)`);
      expect(line).toMatch(/^hush: error: could not decrypt the data key: /);
      expect(r.stderr).not.toContain("hvs.not-the-token");
      expect(r.stderr).not.toContain(vault.token);
    });
  });

  it("server down: connection refused, fast, exit 128", async () => {
    const down = await startVaultServer();
    const text = await encryptTo([down.keyUrl("gone")], [], vaultEnv({ VAULT_TOKEN: down.token, SOPS_HC_VAULT_ALLOWLIST: down.address }));
    await down.close();
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, text);
      const t0 = Date.now();
      const r = await runHush(["decrypt", file], { env: vaultEnv({ VAULT_TOKEN: down.token, SOPS_HC_VAULT_ALLOWLIST: down.address }) });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(r.status).toBe(128);
      expect(errorLine(r.stderr)).toContain(`hc_vault ${down.keyUrl("gone")}: connection refused (after 3 attempts)`);
    });
  });

  it("slow server: fails within HUSH_KEY_TIMEOUT_MS, exit 128", async () => {
    const text = await encryptTo([vault.keyUrl("slow-key")]);
    vault.delayMs = 20_000;
    try {
      await withTempDir(async (dir) => {
        const file = join(dir, "s.enc.yaml");
        writeFileSync(file, text);
        const t0 = Date.now();
        const r = await runHush(["decrypt", file], { env: vaultEnv({ HUSH_KEY_TIMEOUT_MS: "400" }) });
        const elapsed = Date.now() - t0;
        expect(r.status).toBe(128);
        expect(errorLine(r.stderr)).toContain(`hc_vault ${vault.keyUrl("slow-key")}: no answer within 400 ms (HUSH_KEY_TIMEOUT_MS)`);
        // Node's start-up plus the 400 ms deadline (with room for a loaded machine); far below
        // the server's 20 s delay.
        expect(elapsed).toBeLessThan(8_000);
      });
    } finally {
      vault.delayMs = 0;
    }
  });

  it("a file that also has a working age recipient still decrypts when Vault fails", async () => {
    const age = await generateAgeKeyFile();
    const down = await startVaultServer({ token: vault.token });
    const both = `${down.address},${vault.address}`;
    const text = await encryptTo([down.keyUrl("gone"), vault.keyUrl("mixed-key")], [age.recipient], vaultEnv({ SOPS_HC_VAULT_ALLOWLIST: both }));
    await down.close();
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, text);
      const keys = join(dir, "keys.txt");
      writeFileSync(keys, age.text);
      // Vault first, so its failures are really met before age is tried.
      const env = vaultEnv({ VAULT_TOKEN: "hvs.wrong", SOPS_DECRYPTION_ORDER: "hc_vault,age", SOPS_HC_VAULT_ALLOWLIST: both });
      const bad = await runHush(["decrypt", file], { env });
      expect(bad.status).toBe(128);
      const line = errorLine(bad.stderr);
      expect(line).toContain("connection refused");
      expect(line).toContain("permission denied (HTTP 403)");
      expect(line).toMatch(/age .*no age identity found/);

      const r = await runHush(["decrypt", file], { env: { ...env, SOPS_AGE_KEY_FILE: keys } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(PLAIN);
    });
  });
});
