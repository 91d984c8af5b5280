// Issue 14, attack 1: credentials sent where the file says. An attacker who can push but holds no
// key changes `vault_address` in a file's sops block to a server of theirs; whoever decrypts it
// (`hush decrypt`, or just `git log -p` through textconv) must not send that server anything:
// the attacker's listener records zero requests. The legitimate paths (VAULT_ADDR, a .sops.yaml
// rule, an explicit SOPS_HC_VAULT_ALLOWLIST) still work, and the file's other recipients still
// decrypt. Azure vault_url and KMS roles go through the same policy (keys/trust.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { recipientFor } from "../src/keys/registry.js";
import { EndpointTrust, parseAllowlist, allowlistAllows } from "../src/keys/trust.js";
import { encryptText } from "../src/lib/files.js";
import { HUSH } from "./helpers.js";
import { COMMAND, makeRepo, ok, runAsync, type Repo } from "./support/git-repo.js";
import { startVaultServer, type VaultServer } from "./servers/vault.js";

const PLAIN = "db:\n    password: vault-protected-9c1e\n";
let vault: VaultServer;
let attacker: VaultServer;
let age: { identity: string; recipient: string };
let legit: string;
let legitWithAge: string;
const repos: Repo[] = [];

beforeAll(async () => {
  [vault, attacker, age] = await Promise.all([startVaultServer(), startVaultServer(), generateAgeKeyFile()]);
  const env = { VAULT_TOKEN: vault.token, VAULT_ADDR: vault.address };
  const v = await recipientFor("hc_vault", vault.keyUrl("app"), env);
  legit = (await encryptText(PLAIN, { format: "yaml", groups: [[v]] })).text;
  legitWithAge = (await encryptText(PLAIN, { format: "yaml", groups: [[v, await recipientFor("age", age.recipient)]] })).text;
});
afterAll(async () => {
  await Promise.all([vault.close(), attacker.close()]);
  for (const r of repos) r.dispose();
});

/** The attacker's commit: only the address changes (outside the MAC; no key needed). */
const redirect = (text: string, to: string) => text.replace(/vault_address: \S+/, `vault_address: ${to}`);

function repo(extraEnv: Record<string, string> = {}, sopsYaml?: string): Repo {
  const r = makeRepo({ identity: extraEnv["SOPS_AGE_KEY"] ?? "", ...(sopsYaml ? { sopsYaml } : {}), extraEnv: { VAULT_TOKEN: vault.token, ...extraEnv } });
  if (!extraEnv["SOPS_AGE_KEY"]) delete r.env["SOPS_AGE_KEY"];
  repos.push(r);
  return r;
}
const hush = (r: Repo, args: string[], env = r.env) => runAsync(process.execPath, [HUSH, ...args], r.dir, env);
const errorLine = (stderr: string) => stderr.split("\n").find((l) => l.startsWith("hush: error:")) ?? "";

describe("attack 1: a file's vault_address is not trusted", { timeout: 120_000 }, () => {
  it("hush decrypt of a redirected file sends nothing to the attacker; one line names the address; exit 128", async () => {
    const r = repo({ VAULT_ADDR: vault.address });
    r.write("s.enc.yaml", redirect(legit, attacker.address));
    const before = vault.requests.length;
    const d = await hush(r, ["decrypt", "s.enc.yaml"]);
    expect(d.status).toBe(128);
    expect(errorLine(d.stderr)).toContain(`refused: Vault address ${attacker.address} is named only by the file`);
    expect(d.stderr).not.toContain(vault.token);
    expect(d.stdout).toBe("");
    expect(attacker.requests).toHaveLength(0);
    expect(vault.requests.length).toBe(before);
  });

  it("a non-loopback http:// address is refused as plain http, before any lookup", async () => {
    const r = repo({ VAULT_ADDR: vault.address, SOPS_HC_VAULT_ALLOWLIST: "all" });
    r.write("s.enc.yaml", redirect(legit, "http://vault.attacker.invalid:8200"));
    const d = await hush(r, ["decrypt", "s.enc.yaml"]);
    expect(d.status).toBe(128);
    expect(errorLine(d.stderr)).toContain("refused: Vault address http://vault.attacker.invalid:8200 is plain http://");
  });

  it("git log -p (textconv) over the attacker's commit sends nothing to the attacker", async () => {
    const r = repo({ VAULT_ADDR: vault.address });
    ok(await hush(r, ["git", "install", "--command", COMMAND, "*.enc.yaml"]));
    r.write("s.enc.yaml", legit);
    r.commit("secrets");
    r.write("s.enc.yaml", redirect(legit, attacker.address));
    r.commit("innocent-looking change");
    const log = ok(await runAsync("git", ["log", "-p"], r.dir, r.env)).stdout;
    // The good version is shown decrypted; the attacker's as stored, after a notice.
    expect(log).toContain("password: vault-protected-9c1e");
    expect(log).toContain("hush: no usable key to decrypt this file");
    expect(attacker.requests).toHaveLength(0);
  });

  it("the file's other recipients still decrypt it, and the attacker still gets nothing", async () => {
    const r = repo({ VAULT_ADDR: vault.address, SOPS_AGE_KEY: age.identity, SOPS_DECRYPTION_ORDER: "hc_vault,age" });
    r.write("s.enc.yaml", redirect(legitWithAge, attacker.address));
    const d = await hush(r, ["decrypt", "s.enc.yaml"]);
    expect(d.stderr).toBe("");
    expect(d.status).toBe(0);
    expect(d.stdout).toBe(PLAIN);
    expect(attacker.requests).toHaveLength(0);
  });

  it("the legitimate paths work: VAULT_ADDR, a .sops.yaml rule, an explicit allowlist", async () => {
    const viaEnv = repo({ VAULT_ADDR: vault.address });
    viaEnv.write("s.enc.yaml", legit);
    expect(ok(await hush(viaEnv, ["decrypt", "s.enc.yaml"])).stdout).toBe(PLAIN);

    const viaConfig = repo({}, `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    hc_vault_transit_uri: ${vault.keyUrl("app")}\n`);
    viaConfig.write("s.enc.yaml", legit);
    expect(ok(await hush(viaConfig, ["decrypt", "s.enc.yaml"])).stdout).toBe(PLAIN);

    const viaList = repo({ SOPS_HC_VAULT_ALLOWLIST: `https://vault.example.com, ${vault.address}` });
    viaList.write("s.enc.yaml", legit);
    expect(ok(await hush(viaList, ["decrypt", "s.enc.yaml"])).stdout).toBe(PLAIN);

    // Without any of them the legitimate file is refused too: the default is not "all".
    const none = repo({});
    none.write("s.enc.yaml", legit);
    const d = await hush(none, ["decrypt", "s.enc.yaml"]);
    expect(d.status).toBe(128);
    expect(errorLine(d.stderr)).toContain(`refused: Vault address ${vault.address} is named only by the file`);
    expect(attacker.requests).toHaveLength(0);
  });

  it("SOPS_HC_VAULT_ALLOWLIST=all restores sops's default, and then the attacker is contacted (the listener works)", async () => {
    const r = repo({ VAULT_ADDR: vault.address, SOPS_HC_VAULT_ALLOWLIST: "all" });
    r.write("s.enc.yaml", redirect(legit, attacker.address));
    const d = await hush(r, ["decrypt", "s.enc.yaml"]);
    expect(d.status).toBe(128);
    expect(attacker.requests.length).toBeGreaterThan(0);
    attacker.requests.length = 0;
  });
});

describe("the endpoint policy (keys/trust.ts)", () => {
  const none = { configured: async () => undefined };

  it("reads SOPS_HC_VAULT_ALLOWLIST as sops 3.13 does", () => {
    expect(parseAllowlist("all", "X")).toEqual({ all: true });
    expect(parseAllowlist("none", "X")).toEqual({ all: false, prefixes: [] });
    expect(parseAllowlist(" foo/ ,  bar,   baz    ", "X")).toEqual({ all: false, prefixes: ["foo/", "bar/", "baz/"] });
    expect(parseAllowlist("a,", "SOPS_HC_VAULT_ALLOWLIST")).toBe("SOPS_HC_VAULT_ALLOWLIST's entry 2 is empty");
    const l = parseAllowlist("https://vault.example.com:82", "X");
    expect(typeof l !== "string" && allowlistAllows(l, "https://vault.example.com:82")).toBe(true);
    expect(typeof l !== "string" && allowlistAllows(l, "https://vault.example.com:8200")).toBe(false);
  });

  it("Azure vault_url: only SOPS_AZURE_KEYVAULT_URLS, .sops.yaml or HUSH_AZURE_KV_ALLOWLIST", async () => {
    const entry = { vault_url: "https://evil.vault.azure.net", name: "k", version: "1", enc: "x" };
    expect(await new EndpointTrust({ env: {}, ...none }).refusal("azure_kv", entry)).toMatch(/^refused: Azure Key Vault https:\/\/evil\.vault\.azure\.net is named only by the file/);
    expect(await new EndpointTrust({ env: { SOPS_AZURE_KEYVAULT_URLS: "https://good.vault.azure.net/keys/k" }, ...none }).refusal("azure_kv", entry)).toBeDefined();
    expect(await new EndpointTrust({ env: { SOPS_AZURE_KEYVAULT_URLS: "https://EVIL.vault.azure.net/keys/k" }, ...none }).refusal("azure_kv", entry)).toBeUndefined();
    const cfg = { configured: async () => ({ hcVault: [], azureKv: ["https://evil.vault.azure.net"], kmsRoles: [] }) };
    expect(await new EndpointTrust({ env: {}, ...cfg }).refusal("azure_kv", entry)).toBeUndefined();
    expect(await new EndpointTrust({ env: { HUSH_AZURE_KV_ALLOWLIST: "https://good.vault.azure.net" }, ...cfg }).refusal("azure_kv", entry)).toMatch(/not in HUSH_AZURE_KV_ALLOWLIST/);
  });

  it("AWS KMS role: only SOPS_KMS_ARN, .sops.yaml or HUSH_AWS_KMS_ROLE_ALLOWLIST; no role is fine", async () => {
    const role = "arn:aws:iam::999999999999:role/attacker";
    const entry = { arn: "arn:aws:kms:us-east-1:111122223333:key/k", role, enc: "x" };
    expect(await new EndpointTrust({ env: {}, ...none }).refusal("kms", entry)).toMatch(/^refused: AWS role to assume arn:aws:iam::999999999999:role\/attacker is named only by the file/);
    expect(await new EndpointTrust({ env: {}, ...none }).refusal("kms", { ...entry, role: "" })).toBeUndefined();
    expect(await new EndpointTrust({ env: { SOPS_KMS_ARN: `arn:aws:kms:us-east-1:111122223333:key/k+${role}` }, ...none }).refusal("kms", entry)).toBeUndefined();
    expect(await new EndpointTrust({ env: { HUSH_AWS_KMS_ROLE_ALLOWLIST: role }, ...none }).refusal("kms", entry)).toBeUndefined();
    expect(await new EndpointTrust({ env: { HUSH_AWS_KMS_ROLE_ALLOWLIST: `${role}x` }, ...none }).refusal("kms", entry)).toMatch(/not in HUSH_AWS_KMS_ROLE_ALLOWLIST/);
  });

  it("a KMS ARN or Huawei key id whose region is not a region name is refused (it becomes a host name)", async () => {
    const t = new EndpointTrust({ env: {}, ...none });
    expect(await t.refusal("kms", { arn: "arn:aws:kms:us-east-1:111122223333:key/k", enc: "x" })).toBeUndefined();
    expect(await t.refusal("kms", { arn: "arn:aws:kms:x@attacker.example/:1:key/k", enc: "x" })).toMatch(/^refused: the kms key's region "x@attacker\.example\/" is not a region name$/);
    expect(await t.refusal("hckms", { key_id: "tr-west-1:0f1e", enc: "x" })).toBeUndefined();
    expect(await t.refusal("hckms", { key_id: "attacker.example#:0f1e", enc: "x" })).toMatch(/is not a region name/);
  });

  it("age, pgp and GCP entries name no endpoint a file could choose", async () => {
    const t = new EndpointTrust({ env: {}, ...none });
    expect(await t.refusal("age", { recipient: "age1x", enc: "x" })).toBeUndefined();
    expect(await t.refusal("gcp_kms", { resource_id: "projects/p/…", enc: "x" })).toBeUndefined();
    // A Vault entry without an address uses VAULT_ADDR: the user's own.
    expect(await t.refusal("hc_vault", { engine_path: "transit", key_name: "k", enc: "x" })).toBeUndefined();
  });
});
