// The team workflows of docs/team.md, end to end: three people (alice, bob, carol), each with
// their own home directory and age key, a shared bare repository, real git and the real CLI
// (`node bin/hush.js`, as git's drivers and hook run it too). After every step the test asserts
// who can and who cannot decrypt.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runHush, type RunResult } from "./helpers.js";

let root: string;

interface Person {
  name: string;
  home: string;
  /** Their clone of the shared repository. */
  repo: string;
  env: NodeJS.ProcessEnv;
  /** Their age recipient (age1…), once they have a key. */
  recipient: string;
}

function person(name: string): Person {
  const home = join(root, "homes", name);
  mkdirSync(home, { recursive: true });
  const env = cleanEnv({
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
    GIT_TERMINAL_PROMPT: "0",
  });
  return { name, home, repo: join(root, name), env, recipient: "" };
}

function git(p: Person, args: string[], cwd = p.repo): string {
  const r = spawnSync("git", args, { cwd, env: p.env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")} (${p.name}) failed: ${r.stderr}`);
  return r.stdout;
}

function hush(p: Person, args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): RunResult {
  return runHush(args, { cwd: opts.cwd ?? p.repo, env: { ...p.env, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

/** Runs hush and expects success. */
function ok(p: Person, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const r = hush(p, args, opts);
  if (r.status !== 0) throw new Error(`hush ${args.join(" ")} (${p.name}) exited ${r.status}: ${r.stderr}`);
  return r;
}

/** What `hush decrypt --extract` gives `p` for a value, or the exit status when they cannot read it. */
function read(p: Person, file: string, path: string, env: Record<string, string> = {}): string | number {
  const r = hush(p, ["decrypt", "--extract", path, file], { env, cwd: root });
  return r.status === 0 ? r.stdout : r.status;
}

function commitAndPush(p: Person, message: string): void {
  git(p, ["add", "-A"]);
  git(p, ["commit", "-q", "-m", message]);
  git(p, ["push", "-q", "origin", "HEAD:main"]);
}

function cloneFor(p: Person): void {
  git(p, ["clone", "-q", join(root, "origin.git"), p.repo], root);
  git(p, ["config", "user.name", p.name]);
  git(p, ["config", "user.email", `${p.name}@example.com`]);
}

const NO_KEY = 128;

let alice: Person;
let bob: Person;
let carol: Person;
/** The offline recovery key: a keys file kept in a safe, never on a laptop. */
let recoveryFile: string;
let recovery: string;
/** Keys from this keys file only (not the person's own keys file). */
const onlyKeyFile = (file: string) => ({ SOPS_AGE_KEY_FILE: file, XDG_CONFIG_HOME: join(root, "nowhere") });
const asRecovery = () => onlyKeyFile(recoveryFile);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "hush-team-"));
  alice = person("alice");
  bob = person("bob");
  carol = person("carol");
  mkdirSync(join(root, "safe"));
  recoveryFile = join(root, "safe", "recovery-key.txt");
  recovery = runHush(["keygen", "-o", recoveryFile], { env: cleanEnv() }).stdout.trim();
  spawnSync("git", ["init", "-q", "--bare", "-b", "main", join(root, "origin.git")], { env: alice.env });
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("team workflows (docs/team.md)", () => {
  it("1. hush init: a key for me, a .sops.yaml, git drivers installed", () => {
    mkdirSync(alice.repo);
    git(alice, ["init", "-q", "-b", "main"]);
    git(alice, ["config", "user.name", "alice"]);
    git(alice, ["config", "user.email", "alice@example.com"]);
    git(alice, ["remote", "add", "origin", join(root, "origin.git")]);

    const r = ok(alice, ["init", "--recovery", recovery]);
    const keyFile = join(alice.home, ".config", "sops", "age", "keys.txt");
    expect(r.stdout).toContain(`created an age key in ${keyFile}`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    alice.recipient = /your public key \(recipient\): (age1\S+)/.exec(r.stdout)![1]!;
    const config = readFileSync(join(alice.repo, ".sops.yaml"), "utf8");
    expect(config).toContain(`- ${alice.recipient}  # alice@example.com`);
    expect(config).toContain(`- ${recovery}  # recovery key (kept offline)`);
    expect(readFileSync(join(alice.repo, ".gitattributes"), "utf8")).toContain("*.enc.yaml diff=hush merge=hush");
    expect(git(alice, ["config", "--get", "merge.hush.driver"])).toContain("git merge %O %A %B %P");
    expect(existsSync(join(alice.repo, ".git", "hooks", "pre-commit"))).toBe(true);
    // Running it again changes nothing.
    const again = ok(alice, ["init"]);
    expect(again.stdout).toContain("using your existing age key");
    expect(again.stdout).toContain("kept the existing .sops.yaml");
    expect(readFileSync(join(alice.repo, ".sops.yaml"), "utf8")).toBe(config);

    // The first secrets: written in clear, encrypted in place by the rule.
    writeFileSync(join(alice.repo, "secrets.enc.yaml"), "db:\n    user: app\n    password: s3cret-1\napi_token: tok-1\n");
    ok(alice, ["encrypt", "-i", "secrets.enc.yaml"]);
    // The hook refuses a secrets file committed in clear.
    writeFileSync(join(alice.repo, "oops.enc.yaml"), "password: in-clear\n");
    git(alice, ["add", "-A"]);
    const refused = spawnSync("git", ["commit", "-q", "-m", "oops"], { cwd: alice.repo, env: alice.env, encoding: "utf8" });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/oops\.enc\.yaml.*plaintext/);
    git(alice, ["rm", "-q", "--cached", "oops.enc.yaml"]);
    rmSync(join(alice.repo, "oops.enc.yaml"));
    commitAndPush(alice, "hush init, first secrets");

    // Bob and carol make their keys (`hush keygen` prints the recipient they send).
    bob.recipient = ok(bob, ["keygen"], { cwd: bob.home }).stdout.trim();
    carol.recipient = ok(carol, ["keygen"], { cwd: carol.home }).stdout.trim();
    const f = join(alice.repo, "secrets.enc.yaml");
    expect(read(alice, f, '["db"]["password"]')).toBe("s3cret-1");
    expect(read(alice, f, '["db"]["password"]', asRecovery())).toBe("s3cret-1");
    expect(read(bob, f, '["db"]["password"]')).toBe(NO_KEY);
    expect(read(carol, f, '["db"]["password"]')).toBe(NO_KEY);
  });

  it("2. invite a user: their key added to the rules, every file re-keyed", () => {
    const f = join(alice.repo, "secrets.enc.yaml");
    const before = readFileSync(f, "utf8");
    // Least privilege: without --rule (or --all) nothing happens, and the rules are listed.
    const bare = hush(alice, ["invite", bob.recipient, "--name", "bob"]);
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toMatch(/^hush: error: name the creation rules to add age1\S+ to: --rule N \(rules: 0: /m);
    expect(readFileSync(f, "utf8")).toBe(before);
    // --dry-run lists what they would be able to read, and changes nothing.
    const configBefore = readFileSync(join(alice.repo, ".sops.yaml"), "utf8");
    const dry = ok(alice, ["invite", bob.recipient, "--rule", "0", "--dry-run"]);
    expect(dry.stdout).toContain(`${bob.recipient} would be able to read 1 file (dry run, nothing changed):\n  secrets.enc.yaml\n`);
    expect(readFileSync(f, "utf8")).toBe(before);
    expect(readFileSync(join(alice.repo, ".sops.yaml"), "utf8")).toBe(configBefore);
    const r = ok(alice, ["invite", bob.recipient, "--name", "bob", "--rule", "0"]);
    expect(r.stdout).toContain(`.sops.yaml: added ${bob.recipient} to creation_rules [0]`);
    expect(r.stdout).toContain(`secrets.enc.yaml: updated (+ age ${bob.recipient})`);
    expect(readFileSync(join(alice.repo, ".sops.yaml"), "utf8")).toContain(`- ${bob.recipient}  # bob`);
    // Only the wrapped keys changed: values, MAC and lastmodified are as they were.
    const after = readFileSync(f, "utf8");
    expect(after.slice(0, after.indexOf("sops:"))).toBe(before.slice(0, before.indexOf("sops:")));
    expect(/mac: .*/.exec(after)![0]).toBe(/mac: .*/.exec(before)![0]);
    commitAndPush(alice, "invite bob");

    cloneFor(bob);
    // `hush init` in a clone: uses bob's key, keeps .sops.yaml, installs the drivers for him.
    const init = ok(bob, ["init"]);
    expect(init.stdout).toContain("kept the existing .sops.yaml");
    expect(init.stderr).not.toContain("warning");
    const g = join(bob.repo, "secrets.enc.yaml");
    expect(read(bob, g, '["db"]["password"]')).toBe("s3cret-1");
    expect(read(alice, g, '["db"]["password"]')).toBe("s3cret-1");
    expect(read(carol, g, '["db"]["password"]')).toBe(NO_KEY);
  });

  it("3. add a secret (a new key, and a new file)", () => {
    ok(bob, ["set", "secrets.enc.yaml", '["stripe"]["key"]', '"sk_live_1"']);
    mkdirSync(join(bob.repo, "services"));
    writeFileSync(join(bob.repo, "services", "payments.enc.json"), '{\n\t"webhook_secret": "whsec_1"\n}\n');
    ok(bob, ["encrypt", "-i", "services/payments.enc.json"]);
    commitAndPush(bob, "stripe key, payments service");

    git(alice, ["pull", "-q", "origin", "main"]);
    expect(read(alice, join(alice.repo, "secrets.enc.yaml"), '["stripe"]["key"]')).toBe("sk_live_1");
    expect(read(alice, join(alice.repo, "services", "payments.enc.json"), '["webhook_secret"]')).toBe("whsec_1");
    expect(read(alice, join(alice.repo, "services", "payments.enc.json"), '["webhook_secret"]', asRecovery())).toBe("whsec_1");
    expect(read(carol, join(alice.repo, "services", "payments.enc.json"), '["webhook_secret"]')).toBe(NO_KEY);
  });

  it("4. update a secret: others see a one-line diff on git pull", () => {
    ok(alice, ["set", "secrets.enc.yaml", '["db"]["password"]', '"s3cret-2"']);
    commitAndPush(alice, "rotate the database password");

    git(bob, ["pull", "-q", "origin", "main"]);
    // With the drivers, `git log -p` shows the change decrypted...
    const shown = git(bob, ["log", "-1", "-p", "--", "secrets.enc.yaml"]);
    expect(shown).toMatch(/^-\s+password: s3cret-1$/m);
    expect(shown).toMatch(/^\+\s+password: s3cret-2$/m);
    expect(shown).not.toMatch(/^[-+]\s+(user|api_token|key):/m);
    // ...and the encrypted file changed in exactly three lines: the value, lastmodified, the MAC.
    const raw = git(bob, ["diff", "--no-textconv", "HEAD~1", "HEAD", "--", "secrets.enc.yaml"]);
    const changed = raw.split("\n").filter((l) => /^[-+](?![-+]{2} )/.test(l));
    // lastmodified has one-second resolution: when the set lands in the second the file was last
    // written, it does not change, so it is allowed but not required.
    const names = changed.map((l) => /^[-+]\s*([\w]+):/.exec(l)?.[1]).filter((n) => n !== "lastmodified");
    expect(names.sort()).toEqual(["mac", "mac", "password", "password"]);
    expect(changed.length === 4 || changed.length === 6).toBe(true);
    expect(read(bob, join(bob.repo, "secrets.enc.yaml"), '["db"]["password"]')).toBe("s3cret-2");
  });

  it("5. a new user reads secrets once the invite lands", () => {
    cloneFor(carol);
    const init = ok(carol, ["init"]);
    expect(init.stderr).toContain(`ask a member to run \`hush invite ${carol.recipient} --rule N\``);
    const f = join(carol.repo, "secrets.enc.yaml");
    expect(read(carol, f, '["db"]["password"]')).toBe(NO_KEY);

    // Any member can invite: bob does.
    const r = ok(bob, ["invite", carol.recipient, "--name", "carol", "--all"]);
    expect(r.stdout).toContain("re-keyed 2 files");
    commitAndPush(bob, "invite carol");
    expect(read(carol, f, '["db"]["password"]')).toBe(NO_KEY); // not pulled yet

    git(carol, ["pull", "-q", "origin", "main"]);
    expect(read(carol, f, '["db"]["password"]')).toBe("s3cret-2");
    expect(read(carol, join(carol.repo, "services", "payments.enc.json"), '["webhook_secret"]')).toBe("whsec_1");
  });

  it("6. backup and restore: a lost laptop, access restored with the recovery key", () => {
    // Alice's laptop is gone, and her keys file with it (she had no backup of it).
    const oldKey = readFileSync(join(alice.home, ".config", "sops", "age", "keys.txt"), "utf8");
    const oldRecipient = alice.recipient;
    rmSync(alice.home, { recursive: true, force: true });
    rmSync(alice.repo, { recursive: true, force: true });
    mkdirSync(alice.home, { recursive: true });
    // New laptop: a new key, a fresh clone. She cannot read anything yet.
    alice.recipient = ok(alice, ["keygen"], { cwd: alice.home }).stdout.trim();
    cloneFor(alice);
    ok(alice, ["init"]);
    const f = join(alice.repo, "secrets.enc.yaml");
    expect(read(alice, f, '["db"]["password"]')).toBe(NO_KEY);

    // The recovery key comes out of the safe: it invites her new key and revokes the lost one.
    ok(alice, ["invite", alice.recipient, "--name", "alice (new laptop)", "--all"], { env: asRecovery() });
    const revoked = ok(alice, ["revoke", oldRecipient], { env: asRecovery() });
    expect(revoked.stdout).toContain("2 files rotated");
    commitAndPush(alice, "alice: new key; revoke the lost laptop's");

    expect(read(alice, f, '["db"]["password"]')).toBe("s3cret-2");
    writeFileSync(join(root, "lost-laptop-key.txt"), oldKey);
    expect(read(alice, f, '["db"]["password"]', onlyKeyFile(join(root, "lost-laptop-key.txt")))).toBe(NO_KEY);
    git(bob, ["pull", "-q", "origin", "main"]);
    git(carol, ["pull", "-q", "origin", "main"]);
    expect(read(bob, join(bob.repo, "secrets.enc.yaml"), '["db"]["password"]')).toBe("s3cret-2");
    expect(read(carol, join(carol.repo, "secrets.enc.yaml"), '["db"]["password"]')).toBe("s3cret-2");
    const config = readFileSync(join(alice.repo, ".sops.yaml"), "utf8");
    expect(config).not.toContain(oldRecipient);
    expect(config).toContain(recovery);
  });

  it("7. a user leaves: revoke removes them everywhere, rotates, lists what they could read", () => {
    const f = join(carol.repo, "secrets.enc.yaml");
    const r = ok(carol, ["revoke", bob.recipient]);
    expect(r.stdout).toContain(`.sops.yaml: ${bob.recipient} removed from creation_rules [0]`);
    expect(r.stdout).toContain("2 files rotated");
    // Every value bob could read, per file, so each gets changed at its source.
    expect(r.stdout).toContain("  secrets.enc.yaml:\n    db.user\n    db.password\n    api_token\n    stripe.key\n");
    expect(r.stdout).toContain("  services/payments.enc.json:\n    webhook_secret\n");
    expect(r.stdout).not.toMatch(/s3cret|sk_live|whsec|tok-1/);
    expect(readFileSync(join(carol.repo, ".sops.yaml"), "utf8")).not.toContain(bob.recipient);
    commitAndPush(carol, "revoke bob");

    git(bob, ["pull", "-q", "origin", "main"]);
    const g = join(bob.repo, "secrets.enc.yaml");
    const p = join(bob.repo, "services", "payments.enc.json");
    expect(read(bob, g, '["db"]["password"]')).toBe(NO_KEY);
    expect(read(bob, p, '["webhook_secret"]')).toBe(NO_KEY);
    // What he had stays readable to him in history: hence the list, and changing those values.
    const old = hush(bob, ["decrypt", "--input-type", "yaml", "--extract", '["db"]["password"]'], { input: git(bob, ["show", "HEAD~1:secrets.enc.yaml"]) });
    expect(old.stdout).toBe("s3cret-2");

    // The values are changed at their source, then here; and a new file is added.
    ok(carol, ["set", "secrets.enc.yaml", '["db"]["password"]', '"s3cret-3"']);
    ok(carol, ["set", "secrets.enc.yaml", '["stripe"]["key"]', '"sk_live_2"']);
    writeFileSync(join(carol.repo, "after.enc.yaml"), "new_token: nt-1\n");
    ok(carol, ["encrypt", "-i", "after.enc.yaml"]);
    commitAndPush(carol, "new database password and stripe key");
    git(bob, ["pull", "-q", "origin", "main"]);
    git(alice, ["pull", "-q", "origin", "main"]);
    for (const [file, path, value] of [
      ["secrets.enc.yaml", '["db"]["password"]', "s3cret-3"],
      ["secrets.enc.yaml", '["stripe"]["key"]', "sk_live_2"],
      ["after.enc.yaml", '["new_token"]', "nt-1"],
    ] as const) {
      expect(read(bob, join(bob.repo, file), path)).toBe(NO_KEY);
      expect(read(alice, join(alice.repo, file), path)).toBe(value);
      expect(read(carol, join(carol.repo, file), path)).toBe(value);
      expect(read(carol, join(carol.repo, file), path, asRecovery())).toBe(value);
    }
  });

  it("share and import: a few values for someone outside the repository", () => {
    const dave = person("dave");
    dave.recipient = ok(dave, ["keygen"], { cwd: dave.home }).stdout.trim();
    const bundle = join(root, "for-dave.age");
    const r = ok(carol, ["share", "--to", dave.recipient, "-f", "secrets.enc.yaml", "-o", bundle, "stripe.key", '["db"]["user"]']);
    expect(r.stderr).toContain("shared 2 values (stripe.key, db.user)");
    expect(readFileSync(bundle, "utf8")).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(readFileSync(bundle, "utf8")).not.toContain("sk_live_2");

    // Dave reads it with hush, or with age alone.
    const opened = ok(dave, ["import", bundle], { cwd: dave.home });
    expect(opened.stdout).toMatch(/^# hush share bundle: 2 values from secrets\.enc\.yaml, .*\nstripe:\n {4}key: sk_live_2\ndb:\n {4}user: app\n$/);
    const age = spawnSync("age", ["-d", "-i", join(dave.home, ".config", "sops", "age", "keys.txt"), bundle], { encoding: "utf8" });
    expect(age.status).toBe(0);
    expect(age.stdout).toBe(opened.stdout);
    // Nobody else can open it, not even the repository's members.
    expect(hush(carol, ["import", bundle]).status).toBe(NO_KEY);

    // Dave merges it into his own encrypted file: only the imported values change.
    const own = join(dave.home, "work");
    mkdirSync(own);
    writeFileSync(join(own, ".sops.yaml"), `creation_rules:\n  - age: ${dave.recipient}\n`);
    writeFileSync(join(own, "vendors.enc.yaml"), "stripe:\n    key: old\n    account: acct_1\nother: x\n");
    ok(dave, ["encrypt", "-i", "vendors.enc.yaml"], { cwd: own });
    const before = readFileSync(join(own, "vendors.enc.yaml"), "utf8");
    const merged = ok(dave, ["import", bundle, "--into", "vendors.enc.yaml"], { cwd: own });
    expect(merged.stderr).toContain("merged into vendors.enc.yaml: stripe.key, db.user");
    const after = readFileSync(join(own, "vendors.enc.yaml"), "utf8");
    expect(ok(dave, ["decrypt", "vendors.enc.yaml"], { cwd: own }).stdout).toBe("stripe:\n    key: sk_live_2\n    account: acct_1\nother: x\ndb:\n    user: app\n");
    for (const k of ["account", "other"]) expect(new RegExp(`${k}: ENC\\[[^\\]]*\\]`).exec(after)![0]).toBe(new RegExp(`${k}: ENC\\[[^\\]]*\\]`).exec(before)![0]);
  });
});
