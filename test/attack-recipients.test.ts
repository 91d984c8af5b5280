// Issue 14, attack 2: injected recipients get the next data key. An attacker who can push but holds
// no key adds `- recipient: age1<attacker>` (with any enc blob) under `sops.age`, or an hc_vault
// entry pointing at their server. Decryption still works, so nothing looks wrong; but whenever hush
// wraps a new data key (rotate, revoke, merge, encrypt --reuse) the recipients must be those of the
// .sops.yaml rule: the attacker's are refused with one line naming them (exit 5, nothing written)
// or dropped with --drop-unknown-recipients, and the attacker's identity never opens the result.
// The attacker's Vault listener records zero requests throughout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { HUSH } from "./helpers.js";
import { COMMAND, makeRepo, ok, runAsync, type Repo } from "./support/git-repo.js";
import { startVaultServer, type VaultServer } from "./servers/vault.js";

const TIMEOUT = 120_000;
const SECRETS = "db:\n    password: hunter2-a1b2\napi:\n    token: tok-c3d4\n";

let me: { identity: string; recipient: string };
let attacker: { identity: string; recipient: string };
let listener: VaultServer;
const repos: Repo[] = [];

beforeAll(async () => {
  [me, attacker, listener] = await Promise.all([generateAgeKeyFile(), generateAgeKeyFile(), startVaultServer()]);
});
afterAll(async () => {
  await listener.close();
  for (const r of repos) r.dispose();
});

const RULE = () => `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${me.recipient}\n`;

function repo(withConfig = true): Repo {
  const r = makeRepo({ identity: me.identity, ...(withConfig ? { sopsYaml: RULE() } : {}), extraEnv: { VAULT_TOKEN: listener.token, VAULT_ADDR: "https://vault.example.com:8200" } });
  repos.push(r);
  r.write("s.enc.yaml", SECRETS);
  ok(r.hush(["encrypt", "-i", "--age", me.recipient, "s.enc.yaml"]));
  return r;
}

/** The attacker's edit: an extra age entry (a junk blob: they do not have the data key). */
function injectAge(r: Repo, path = "s.enc.yaml"): void {
  const entry = `    age:\n        - recipient: ${attacker.recipient}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n            -----END AGE ENCRYPTED FILE-----\n`;
  r.write(path, r.read(path).replace("    age:\n", entry));
}

/** The attacker's edit: an hc_vault entry at their own server. */
function injectVault(r: Repo): void {
  const entry = `    hc_vault:\n        - vault_address: ${listener.address}\n          engine_path: transit\n          key_name: steal\n          created_at: "2026-12-07T07:00:00Z"\n          enc: vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`;
  r.write("s.enc.yaml", r.read("s.enc.yaml").replace("    lastmodified:", `${entry}    lastmodified:`));
}

const hush = (r: Repo, args: string[], env = r.env) => runAsync(process.execPath, [HUSH, ...args], r.dir, env);
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("hush: error:"));

/** The attacker's view: can their identity open the file? */
async function attackerOpens(r: Repo): Promise<boolean> {
  const d = await hush(r, ["decrypt", "s.enc.yaml"], { ...r.env, SOPS_AGE_KEY: attacker.identity });
  return d.status === 0;
}

describe("attack 2: recipients come from .sops.yaml when a data key is wrapped", { timeout: TIMEOUT }, () => {
  it("the injected file still decrypts (so nothing else would notice)", async () => {
    const r = repo();
    injectAge(r);
    expect(ok(await hush(r, ["decrypt", "s.enc.yaml"])).stdout).toBe(SECRETS);
  });

  it("rotate refuses, naming the injected recipient, and writes nothing; --drop-unknown-recipients drops it", async () => {
    const r = repo();
    injectAge(r);
    const before = r.read("s.enc.yaml");
    const d = await hush(r, ["rotate", "-i", "s.enc.yaml"]);
    expect(d.status).toBe(5);
    expect(errorLines(d.stderr)).toEqual([
      `hush: error: refusing to wrap a new data key for recipients creation_rules[0] of .sops.yaml does not name: age ${attacker.recipient}`,
    ]);
    expect(r.read("s.enc.yaml")).toBe(before);

    const drop = ok(await hush(r, ["rotate", "-i", "--drop-unknown-recipients", "s.enc.yaml"]));
    expect(drop.stderr).toContain(`dropped age ${attacker.recipient}`);
    expect(r.read("s.enc.yaml")).not.toContain(attacker.recipient);
    expect(ok(await hush(r, ["decrypt", "s.enc.yaml"])).stdout).toBe(SECRETS);
    expect(await attackerOpens(r)).toBe(false);
  });

  it("revoke refuses to rotate a file with an injected recipient, and changes nothing", async () => {
    const r = repo();
    const bob = await generateAgeKeyFile();
    ok(await hush(r, ["invite", bob.recipient, "--name", "bob", "--all"]));
    injectAge(r);
    const before = [r.read(".sops.yaml"), r.read("s.enc.yaml")];
    const d = await hush(r, ["revoke", bob.recipient]);
    expect(d.status).not.toBe(0);
    expect(errorLines(d.stderr)).toHaveLength(1);
    expect(errorLines(d.stderr)[0]).toContain(`does not name: age ${attacker.recipient}`);
    expect([r.read(".sops.yaml"), r.read("s.enc.yaml")]).toEqual(before);
  });

  it("encrypt --reuse refuses a previous file with an injected recipient", async () => {
    const r = repo();
    injectAge(r);
    r.write("next.enc.yaml", SECRETS.replace("tok-c3d4", "tok-e5f6"));
    const d = await hush(r, ["encrypt", "--reuse", "s.enc.yaml", "next.enc.yaml"]);
    expect(d.status).toBe(5);
    expect(errorLines(d.stderr)[0]).toContain(`does not name: age ${attacker.recipient}`);
    expect(d.stdout).toBe("");
  });

  it("an injected hc_vault entry: rotate sends the attacker's listener nothing, refused or dropped", async () => {
    const r = repo();
    injectVault(r);
    const before = r.read("s.enc.yaml");
    // Vault first, so an unwrap attempt would really be made if the policy let it.
    const env = { ...r.env, SOPS_DECRYPTION_ORDER: "hc_vault,age" };
    const d = await hush(r, ["rotate", "-i", "s.enc.yaml"], env);
    expect(d.status).toBe(5);
    expect(errorLines(d.stderr)[0]).toContain(`does not name: hc_vault ${listener.address}/v1/transit/keys/steal`);
    expect(r.read("s.enc.yaml")).toBe(before);
    ok(await hush(r, ["rotate", "-i", "--drop-unknown-recipients", "s.enc.yaml"], env));
    expect(r.read("s.enc.yaml")).not.toContain(listener.address);
    expect(listener.requests).toHaveLength(0);
  });

  it("without .sops.yaml the file's recipients are kept, with a plain warning; a file-only endpoint is still refused", async () => {
    const r = repo(false);
    const k = ok(await hush(r, ["rotate", "-i", "s.enc.yaml"]));
    expect(k.stderr).toMatch(/hush: warning: .*recipients.*unauthenticated/);
    injectVault(r);
    const before = r.read("s.enc.yaml");
    const d = await hush(r, ["rotate", "-i", "s.enc.yaml"]);
    expect(d.status).toBe(128);
    expect(errorLines(d.stderr)[0]).toContain(`refusing to send a new data key to hc_vault ${listener.address}/v1/transit/keys/steal`);
    expect(r.read("s.enc.yaml")).toBe(before);
    expect(listener.requests).toHaveLength(0);
  });

  it("the merge driver never adds a recipient neither side's committed .sops.yaml names", async () => {
    const r = repo();
    ok(await hush(r, ["git", "install", "--command", COMMAND, "--no-hook"]));
    r.commit("secrets");
    ok(await runAsync("git", ["checkout", "-q", "-b", "attacker"], r.dir, r.env));
    injectAge(r);
    r.commit("tidy");
    ok(await runAsync("git", ["checkout", "-q", "main"], r.dir, r.env));
    ok(await hush(r, ["set", "s.enc.yaml", '["api"]["token"]', '"tok-main"']));
    r.commit("main change");
    const m = await runAsync("git", ["merge", "--no-edit", "attacker"], r.dir, r.env);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stderr).toContain(`left out age ${attacker.recipient}`);
    const merged = r.read("s.enc.yaml");
    expect(merged).not.toContain(attacker.recipient);
    expect(await attackerOpens(r)).toBe(false);
    expect(ok(await hush(r, ["decrypt", "--extract", '["api"]["token"]', "s.enc.yaml"])).stdout).toBe("tok-main");
  });
});
