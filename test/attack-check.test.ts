// Issue 14, attacks 2 and 5 at the guard: `hush check --staged` (the pre-commit hook, and CI; no
// key needed) refuses a decrypted copy of a tracked encrypted file, a plaintext .env with values,
// an injected recipient and a changed key-service address, each with a one-line reason naming
// the file; a good repository still passes; `hush init` ignores decrypted copies up front.
// Real git repositories and the built CLI.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { makeRepo, ok, type Repo } from "./support/git-repo.js";

const TIMEOUT = 120_000;
const SECRETS = "db:\n    user: admin\n    password: hunter2-ff01\napi:\n    token: tok-77aa\n";
const VAULT_URI = "https://vault.example.com:8200/v1/transit/keys/app";

let me: { identity: string; recipient: string };
let attacker: { identity: string; recipient: string };
const repos: Repo[] = [];
beforeAll(async () => {
  [me, attacker] = await Promise.all([generateAgeKeyFile(), generateAgeKeyFile()]);
});
afterAll(() => {
  for (const r of repos) r.dispose();
});

/** A repository with .sops.yaml (age, optionally a Vault key too) and one committed encrypted file. */
function goodRepo(withVault = false): Repo {
  const rule = `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${me.recipient}\n${withVault ? `    hc_vault_transit_uri: ${VAULT_URI}\n` : ""}`;
  const repo = makeRepo({ identity: me.identity, sopsYaml: rule });
  repos.push(repo);
  repo.write("s.enc.yaml", SECRETS);
  ok(repo.hush(["encrypt", "-i", "--age", me.recipient, "s.enc.yaml"]));
  if (withVault) {
    // An hc_vault entry as sops writes it (no Vault server is needed: check never contacts one).
    const entry = `    hc_vault:\n        - vault_address: https://vault.example.com:8200\n          engine_path: transit\n          key_name: app\n          created_at: "2026-12-07T07:00:00Z"\n          enc: vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`;
    repo.write("s.enc.yaml", repo.read("s.enc.yaml").replace("    lastmodified:", `${entry}    lastmodified:`));
  }
  repo.write("README.md", "# app\n");
  repo.write("config.yaml", "port: 8080\nlog_level: info\n");
  repo.write(".env.example", "DATABASE_URL=postgres://user:CHANGEME@localhost/app\nAWS_SECRET_ACCESS_KEY=\n");
  repo.commit("good");
  return repo;
}

/** `hush check --staged` after `git add FILES`: its status and the problem lines. */
function checkStaged(repo: Repo, ...files: string[]): { status: number; lines: string[]; stderr: string } {
  ok(repo.git(["add", ...files]));
  const r = repo.hush(["check", "--staged"]);
  return { status: r.status, lines: r.stderr.split("\n").filter((l) => l.startsWith("hush: check:")), stderr: r.stderr };
}

describe("hush check --staged against the trust-boundary attacks", { timeout: TIMEOUT }, () => {
  it("a good repository passes, staged and whole", () => {
    const repo = goodRepo(true);
    repo.write("s.enc.yaml", repo.read("s.enc.yaml")); // restaged as is
    const r = checkStaged(repo, "s.enc.yaml", "config.yaml");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const all = repo.hush(["check"]);
    expect(all.stderr).toBe("");
    expect(all.status).toBe(0);
  });

  it("attack 5: hush decrypt s.enc.yaml > s.dec.yaml, and the same copy under an innocent name", () => {
    const repo = goodRepo();
    repo.write("s.dec.yaml", ok(repo.hush(["decrypt", "s.enc.yaml"])).stdout);
    const dec = checkStaged(repo, "s.dec.yaml");
    expect(dec.status).toBe(1);
    expect(dec.lines).toEqual(["hush: check: s.dec.yaml: is named as a decrypted copy (*.dec.*) and holds values in clear"]);
    expect(dec.stderr).not.toContain("hunter2");
    ok(repo.git(["rm", "-q", "--cached", "s.dec.yaml"]));

    repo.write("settings.json", ok(repo.hush(["decrypt", "--output-type", "json", "s.enc.yaml"])).stdout);
    const copy = checkStaged(repo, "settings.json");
    expect(copy.status).toBe(1);
    expect(copy.lines).toEqual(["hush: check: settings.json: looks like a decrypted copy of s.enc.yaml (3 of its 3 key paths, values in clear)"]);
  });

  it("attack 5: a staged plaintext .env or .env.production with an AWS key; templates and allowed files pass", () => {
    const repo = goodRepo();
    repo.write(".env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    repo.write("deploy/.env.production", "DATABASE_URL=postgres://app:s3cret@db/prod\n");
    const r = checkStaged(repo, "-f", ".env", "deploy/.env.production");
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([
      "hush: check: .env: is a plaintext env file with 2 values (encrypt it, or name it .env.example if it is a template)",
      "hush: check: deploy/.env.production: is a plaintext env file with 1 value (encrypt it, or name it .env.example if it is a template)",
    ]);
    expect(r.stderr).not.toContain("wJalrXUtnFEMI");
    ok(repo.git(["rm", "-q", "--cached", ".env", "deploy/.env.production"]));

    // Allowed by a pattern: the git attribute hush-plaintext.
    repo.write(".gitattributes", "test/.env.test hush-plaintext\n");
    repo.write("test/.env.test", "API_URL=http://localhost:3000\n");
    const allowed = checkStaged(repo, ".gitattributes", "-f", "test/.env.test");
    expect(allowed.stderr).toBe("");
    expect(allowed.status).toBe(0);
    // An encrypted .env passes.
    repo.write(".env.enc", "TOKEN=abc\n");
    ok(repo.hush(["encrypt", "-i", "--age", me.recipient, "--input-type", "dotenv", "--output-type", "dotenv", ".env.enc"]));
    expect(checkStaged(repo, "-f", ".env.enc").status).toBe(0);
  });

  it("attack 2: an injected age recipient is refused at commit time", () => {
    const repo = goodRepo();
    const injected = `    age:\n        - recipient: ${attacker.recipient}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n            -----END AGE ENCRYPTED FILE-----\n`;
    repo.write("s.enc.yaml", repo.read("s.enc.yaml").replace("    age:\n", injected));
    // The file still decrypts: nothing but the check notices.
    expect(ok(repo.hush(["decrypt", "s.enc.yaml"])).stdout).toBe(SECRETS);
    const r = checkStaged(repo, "s.enc.yaml");
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([`hush: check: s.enc.yaml: has recipients creation_rules[0] of .sops.yaml does not name: age ${attacker.recipient}`]);
  });

  it("attack 1 at the guard: a changed vault_address is refused with its configured address", () => {
    const repo = goodRepo(true);
    repo.write("s.enc.yaml", repo.read("s.enc.yaml").replace("vault_address: https://vault.example.com:8200", "vault_address: http://203.0.113.9:8200"));
    const r = checkStaged(repo, "s.enc.yaml");
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([
      "hush: check: s.enc.yaml: has a key-service address that differs from creation_rules[0] of .sops.yaml: hc_vault http://203.0.113.9:8200 (configured: https://vault.example.com:8200)",
    ]);
  });

  it("a file lacking a recipient its rule names is reported (run updatekeys)", async () => {
    const repo = goodRepo();
    const bob = await generateAgeKeyFile();
    repo.write(".sops.yaml", repo.read(".sops.yaml").replace(`age: ${me.recipient}`, `age: ${me.recipient},${bob.recipient}`));
    const r = checkStaged(repo, ".sops.yaml");
    expect(r.status).toBe(0); // only .sops.yaml is staged: the files are checked when they change
    const all = repo.hush(["check"]);
    expect(all.status).toBe(1);
    expect(all.stderr).toContain(`s.enc.yaml: lacks recipients creation_rules[0] of .sops.yaml names: age ${bob.recipient} (run \`hush updatekeys\`)`);
  });
});

describe("hush init ignores decrypted copies", { timeout: TIMEOUT }, () => {
  it("writes a .gitignore block once; copies are ignored, encrypted files and templates are not", () => {
    const repo = makeRepo({ identity: me.identity });
    repos.push(repo);
    repo.write(".gitignore", "node_modules/\n");
    const r = ok(repo.hush(["init", "--no-git"]));
    expect(r.stdout).toContain("added decrypted-copy patterns");
    const once = repo.read(".gitignore");
    expect(once.startsWith("node_modules/\n\n# >>> hush:")).toBe(true);
    ok(repo.hush(["init", "--no-git"]));
    expect(repo.read(".gitignore")).toBe(once);
    const ignored = (p: string) => repo.git(["check-ignore", "-q", "--no-index", p]).status === 0;
    for (const p of [".env", ".env.production", "s.dec.yaml", "deploy/app.decrypted.json"]) expect(ignored(p), p).toBe(true);
    for (const p of [".env.enc", ".env.production.enc", "s.enc.yaml", ".env.example", ".sops.yaml"]) expect(ignored(p), p).toBe(false);
  });
});
