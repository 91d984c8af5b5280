// Git integration with real `git` in throw-away repositories: textconv diffs, the merge driver
// (clean merges, conflicts that keep plaintext out of the working tree and the index, the no-key
// fallback), resolve, install/uninstall, the pre-commit guard, audit and rotation-status.
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { globsFromRegex, withBlock, withoutBlock } from "../src/git/install.js";
import { parseDuration } from "../src/config/rotation-policy.js";
import { cleanEnv } from "./helpers.js";
import { COMMAND, makeRepo as makeTestRepo, ok, type Repo } from "./support/git-repo.js";

/** Each test runs dozens of git and hush processes; under a loaded full-suite run they need room. */
const GIT_TIMEOUT = 120_000;

let key: { identity: string; recipient: string };
let key2: { identity: string; recipient: string };
const temps: string[] = [];

beforeAll(async () => {
  key = await generateAgeKeyFile();
  key2 = await generateAgeKeyFile();
});

afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A new repository (test/support/git-repo.ts) with a .sops.yaml for *.enc.yaml, and hush installed. */
function makeRepo(opts: { install?: boolean; identities?: string } = {}): Repo {
  const repo = makeTestRepo({
    identity: opts.identities ?? key.identity,
    sopsYaml: `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`,
  });
  temps.push(repo.base);
  if (opts.install ?? true) ok(repo.hush(["git", "install", "--command", COMMAND]));
  return repo;
}

/** Names key2 beside key in the repo's .sops.yaml rule. */
function bothKeys(repo: Repo): void {
  repo.write(".sops.yaml", `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient},${key2.recipient}\n`);
}

/** Encrypts `plain` into `path` (through the CLI and the repo's .sops.yaml). */
function encryptInto(repo: Repo, path: string, plain: string): void {
  repo.write(path, plain);
  ok(repo.hush(["encrypt", "-i", path]));
}

function set(repo: Repo, path: string, index: string, json: string): void {
  ok(repo.hush(["set", path, index, json]));
}

function commitAll(repo: Repo, message: string, dates?: string): void {
  ok(repo.git(["add", "-A"]));
  ok(repo.git(["commit", "-q", "-m", message], dates ? { dates } : {}));
}

const SECRETS = "# database\ndb:\n    user: admin\n    password: base-password\napi:\n    token: base-token\n";
const encs = (text: string): string[] => text.match(/ENC\[[^\]]*\]/g) ?? [];

describe("hush git textconv", { timeout: GIT_TIMEOUT }, () => {
  it("git diff and git log -p show the decrypted text", () => {
    const repo = makeRepo();
    encryptInto(repo, "secrets.enc.yaml", SECRETS);
    commitAll(repo, "add secrets");
    set(repo, "secrets.enc.yaml", '["db"]["password"]', '"new-password"');
    const diff = ok(repo.git(["diff"])).stdout;
    expect(diff).toContain("-    password: base-password");
    expect(diff).toContain("+    password: new-password");
    expect(diff).not.toContain("ENC[");
    // Only the changed value (no mac / lastmodified noise).
    expect(diff.split("\n").filter((l) => /^[-+][^-+]/.test(l))).toEqual(["-    password: base-password", "+    password: new-password"]);
    commitAll(repo, "change password");
    const log = ok(repo.git(["log", "-p", "--format=%s"])).stdout;
    expect(log).toContain("+    password: new-password");
    expect(log).toContain("+    token: base-token");
    expect(log).toContain(`# sops recipient: age ${key.recipient}`);
  });

  it("without a key prints the encrypted file after a notice, and exits 0", () => {
    const repo = makeRepo({ install: false });
    encryptInto(repo, "secrets.enc.yaml", SECRETS);
    const r = repo.hush(["git", "textconv", "secrets.enc.yaml"], { env: repo.noKey });
    expect(r.status).toBe(0);
    const [first, ...rest] = r.stdout.split("\n");
    expect(first).toMatch(/^# hush: no usable key/);
    expect(rest.join("\n")).toBe(repo.read("secrets.enc.yaml"));
  });

  it("picks the format from the content (git passes a temp name) and shows JSON", () => {
    const repo = makeRepo({ install: false });
    repo.write("c.json", '{\n\t"password": "pw",\n\t"n": 3\n}\n');
    ok(repo.hush(["encrypt", "-i", "--age", key.recipient, "c.json"]));
    repo.write("tmpname", repo.read("c.json"));
    const r = ok(repo.hush(["git", "textconv", "tmpname"]));
    expect(r.stdout).toContain('{\n\t"password": "pw",\n\t"n": 3\n}\n');
    expect(r.stdout).toContain(`// sops recipient: age ${key.recipient}`);
    // Deterministic: the same input gives the same view.
    expect(ok(repo.hush(["git", "textconv", "tmpname"])).stdout).toBe(r.stdout);
  });
});

describe("hush git merge (the merge driver)", { timeout: GIT_TIMEOUT }, () => {
  function twoBranches(repo: Repo, ours: (r: Repo) => void, theirs: (r: Repo) => void): void {
    encryptInto(repo, "secrets.enc.yaml", SECRETS);
    commitAll(repo, "base");
    ok(repo.git(["checkout", "-q", "-b", "feature"]));
    theirs(repo);
    commitAll(repo, "theirs");
    ok(repo.git(["checkout", "-q", "main"]));
    ours(repo);
    commitAll(repo, "ours");
  }

  it("merges edits of different keys with no conflict; the result decrypts with a valid MAC", () => {
    const repo = makeRepo();
    twoBranches(
      repo,
      (r) => {
        set(r, "secrets.enc.yaml", '["db"]["password"]', '"ours-password"');
        set(r, "secrets.enc.yaml", '["db"]["port"]', "5432");
      },
      (r) => {
        set(r, "secrets.enc.yaml", '["api"]["token"]', '"theirs-token"');
        set(r, "secrets.enc.yaml", '["api"]["url"]', '"https://example.com"');
      },
    );
    const ours = repo.read("secrets.enc.yaml");
    const theirs = ok(repo.git(["show", "feature:secrets.enc.yaml"])).stdout;
    const m = repo.git(["merge", "--no-edit", "feature"]);
    expect(m.status, m.stderr + m.stdout).toBe(0);
    expect(ok(repo.git(["status", "--porcelain"])).stdout).toBe("");
    const merged = repo.read("secrets.enc.yaml");
    const dec = ok(repo.hush(["decrypt", "secrets.enc.yaml"]));
    expect(dec.stdout).toBe(
      "# database\ndb:\n    user: admin\n    password: ours-password\n    port: 5432\napi:\n    token: theirs-token\n    url: https://example.com\n",
    );
    // Stable ciphertext: every value keeps the exact ciphertext of the side it came from.
    const mergedEncs = encs(merged);
    const sideEncs = new Set([...encs(ours), ...encs(theirs)]);
    const fresh = mergedEncs.filter((e) => !sideEncs.has(e));
    expect(fresh).toHaveLength(1); // the MAC only
    expect(merged).toMatch(/mac: ENC/);
    // The committed merge is what was written.
    expect(ok(repo.git(["show", "HEAD:secrets.enc.yaml"])).stdout).toBe(merged);
  });

  it("a key changed on both sides conflicts with no plaintext in the working tree or the index", () => {
    const repo = makeRepo();
    twoBranches(
      repo,
      (r) => set(r, "secrets.enc.yaml", '["db"]["password"]', '"ours-password"'),
      (r) => {
        set(r, "secrets.enc.yaml", '["db"]["password"]', '"theirs-password"');
        set(r, "secrets.enc.yaml", '["api"]["token"]', '"theirs-token"');
      },
    );
    const ours = repo.read("secrets.enc.yaml");
    const m = repo.git(["merge", "--no-edit", "feature"]);
    expect(m.status).not.toBe(0);
    expect(m.stderr + m.stdout).toContain('["db"]["password"]');
    const plaintexts = ["base-password", "ours-password", "theirs-password", "theirs-token", "base-token", "admin"];
    // Working tree: ours, encrypted, untouched; no conflict markers.
    const wt = repo.read("secrets.enc.yaml");
    expect(wt).toBe(ours);
    // Index: the three stages, all encrypted.
    const stages = ok(repo.git(["ls-files", "-u", "secrets.enc.yaml"])).stdout.trim().split("\n");
    expect(stages).toHaveLength(3);
    const blobs = [1, 2, 3].map((s) => ok(repo.git(["show", `:${s}:secrets.enc.yaml`])).stdout);
    for (const text of [wt, ...blobs]) for (const p of plaintexts) expect(text).not.toContain(p);
    // Nowhere in the working tree (no stray temp files either).
    for (const f of readdirSync(repo.dir)) {
      const path = join(repo.dir, f);
      if (statSync(path).isFile()) for (const p of plaintexts) expect(readFileSync(path, "utf8")).not.toContain(p);
    }

    // resolve: --theirs for the conflicting path; the non-conflicting change merges as usual.
    const res = repo.hush(["git", "resolve", "--theirs", "secrets.enc.yaml"]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('["db"]["password"]');
    expect(ok(repo.git(["ls-files", "-u"])).stdout).toBe("");
    expect(ok(repo.hush(["decrypt", "secrets.enc.yaml"])).stdout).toContain("password: theirs-password");
    expect(ok(repo.hush(["decrypt", "secrets.enc.yaml"])).stdout).toContain("token: theirs-token");
    for (const p of plaintexts) expect(repo.read("secrets.enc.yaml")).not.toContain(p);
    ok(repo.git(["commit", "-q", "--no-edit"]));
  });

  it("resolve without a choice off a terminal names the paths and changes nothing", () => {
    const repo = makeRepo();
    twoBranches(
      repo,
      (r) => set(r, "secrets.enc.yaml", '["api"]["token"]', '"a"'),
      (r) => set(r, "secrets.enc.yaml", '["api"]["token"]', '"b"'),
    );
    repo.git(["merge", "--no-edit", "feature"]);
    const before = repo.read("secrets.enc.yaml");
    const r = repo.hush(["git", "resolve", "secrets.enc.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('["api"]["token"]');
    expect(r.stderr).not.toMatch(/: "?[ab]"?$/m);
    expect(repo.read("secrets.enc.yaml")).toBe(before);
    const ours = repo.hush(["git", "resolve", "--ours", "secrets.enc.yaml"]);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ok(repo.hush(["decrypt", "--extract", '["api"]["token"]', "secrets.enc.yaml"])).stdout).toBe("a");
  });

  it("without a key falls back to git's textual merge of the encrypted text", () => {
    const repo = makeRepo();
    twoBranches(
      repo,
      (r) => set(r, "secrets.enc.yaml", '["db"]["password"]', '"ours-password"'),
      (r) => set(r, "secrets.enc.yaml", '["api"]["token"]', '"theirs-token"'),
    );
    const m = repo.git(["merge", "--no-edit", "feature"], { env: repo.noKey });
    expect(m.status).not.toBe(0);
    expect(m.stderr + m.stdout).toContain("cannot merge secrets.enc.yaml by key");
    const wt = repo.read("secrets.enc.yaml");
    expect(wt).toContain("<<<<<<< ours");
    for (const p of ["ours-password", "theirs-token", "base-password"]) expect(wt).not.toContain(p);
  });

  it("recipients merge as sets; a one-sided rotation keeps that side's key", () => {
    const repo = makeRepo({ identities: `${key.identity}\n${key2.identity}` });
    twoBranches(
      repo,
      (r) => set(r, "secrets.enc.yaml", '["db"]["password"]', '"ours-password"'),
      (r) => {
        // Recipients come from .sops.yaml (hush check refuses a file naming others): add key2 there too.
        bothKeys(r);
        ok(r.hush(["rotate", "-i", "--add-age", key2.recipient, "secrets.enc.yaml"]));
      },
    );
    const m = repo.git(["merge", "--no-edit", "feature"]);
    expect(m.status, m.stderr).toBe(0);
    const merged = repo.read("secrets.enc.yaml");
    expect(merged).toContain(key.recipient);
    expect(merged).toContain(key2.recipient);
    // Either key alone decrypts the result.
    for (const id of [key.identity, key2.identity]) {
      const r = repo.hush(["decrypt", "secrets.enc.yaml"], { env: { ...repo.env, SOPS_AGE_KEY: id } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("password: ours-password");
    }
    // Theirs rotated: the result uses their data key, so their unchanged values keep their ciphertext.
    const theirs = ok(repo.git(["show", "feature:secrets.enc.yaml"])).stdout;
    const theirToken = encs(theirs).find((e) => merged.includes(`token: ${e}`));
    expect(theirToken).toBeDefined();
  });
});

describe("hush git install", { timeout: GIT_TIMEOUT }, () => {
  it("is idempotent and --uninstall removes exactly what it added, restoring a chained hook", () => {
    const repo = makeRepo({ install: false });
    repo.write(".gitattributes", "*.png binary\n");
    const hooks = join(repo.dir, ".git", "hooks");
    const marker = join(repo.dir, "chained-ran");
    const oldHook = `#!/bin/sh\necho ran > "${marker}"\n`;
    writeFileSync(join(hooks, "pre-commit"), oldHook);
    chmodSync(join(hooks, "pre-commit"), 0o755);
    const configBefore = readFileSync(join(repo.dir, ".git", "config"), "utf8");

    const first = ok(repo.hush(["git", "install", "--command", COMMAND]));
    expect(first.stdout).toContain("pre-commit.hush-chained");
    const attrs = repo.read(".gitattributes");
    expect(attrs).toContain("*.png binary\n");
    expect(attrs).toContain("*.enc.yaml diff=hush merge=hush\n");
    expect(ok(repo.git(["config", "diff.hush.textconv"])).stdout.trim()).toBe(`${COMMAND} git textconv`);
    expect(repo.git(["config", "diff.hush.cachetextconv"]).status).not.toBe(0); // never: plaintext in .git
    expect(ok(repo.git(["config", "merge.hush.driver"])).stdout.trim()).toBe(`${COMMAND} git merge %O %A %B %P`);
    expect(ok(repo.git(["check-attr", "diff", "merge", "--", "a/b/x.enc.yaml"])).stdout).toContain("diff: hush");

    const state = () => [repo.read(".gitattributes"), readFileSync(join(repo.dir, ".git", "config"), "utf8"), readFileSync(join(hooks, "pre-commit"), "utf8")];
    const installed = state();
    const again = ok(repo.hush(["git", "install", "--command", COMMAND]));
    expect(again.stdout).toContain("nothing changed");
    expect(state()).toEqual(installed);

    // The chained hook still runs, before hush's check.
    repo.write("readme.txt", "hello\n");
    commitAll(repo, "readme");
    expect(existsSync(marker)).toBe(true);

    ok(repo.hush(["git", "install", "--uninstall"]));
    expect(repo.read(".gitattributes")).toBe("*.png binary\n");
    expect(readFileSync(join(repo.dir, ".git", "config"), "utf8")).toBe(configBefore);
    expect(readFileSync(join(hooks, "pre-commit"), "utf8")).toBe(oldHook);
    expect(existsSync(join(hooks, "pre-commit.hush-chained"))).toBe(false);
  });

  it("--global writes the global config and attributes file", () => {
    const repo = makeRepo({ install: false });
    ok(repo.hush(["git", "install", "--global", "--command", COMMAND, "*.enc.yaml", "secrets/**"]));
    const home = repo.env["HOME"]!;
    expect(readFileSync(join(home, ".gitconfig"), "utf8")).toContain("driver = node");
    expect(readFileSync(join(home, ".config", "git", "attributes"), "utf8")).toContain("secrets/** diff=hush merge=hush");
    expect(readFileSync(join(repo.dir, ".git", "config"), "utf8")).not.toContain("hush");
    expect(ok(repo.git(["check-attr", "merge", "--", "secrets/x.json"])).stdout).toContain("merge: hush");
    ok(repo.hush(["git", "install", "--global", "--uninstall"]));
    expect(readFileSync(join(home, ".gitconfig"), "utf8")).not.toContain("hush");
    expect(existsSync(join(home, ".config", "git", "attributes"))).toBe(false);
  });

  it("turns simple path_regexes into gitattributes patterns", () => {
    const cases: [string, string, string[] | undefined][] = [
      ["\\.enc\\.yaml$", "", ["*.enc.yaml"]],
      ["\\.enc\\.(yaml|json)$", "", ["*.enc.yaml", "*.enc.json"]],
      ["^secrets/.*\\.ya?ml$", "", ["secrets/**/*.yaml", "secrets/**/*.yml"]],
      ["^secrets/.*", "", ["secrets/**"]],
      ["^prod\\.yaml$", "", ["/prod.yaml"]],
      ["\\.enc\\.yaml$", "deploy/", ["deploy/**/*.enc.yaml"]],
      ["^secrets/[^/]+\\.json$", "deploy/", ["deploy/secrets/*.json"]],
      [".*", "", undefined],
      ["\\d+\\.yaml$", "", undefined],
    ];
    for (const [re, prefix, want] of cases) expect(globsFromRegex(re, prefix), re).toEqual(want);
  });

  it("keeps a user's .gitattributes around its block", () => {
    const text = "*.png binary\n";
    const once = withBlock(text, ["*.enc.yaml"]);
    expect(withBlock(once, ["*.enc.yaml"])).toBe(once);
    expect(withoutBlock(once)).toBe(text);
    expect(withoutBlock(withBlock("", ["a"]))).toBe("");
  });
});

describe("hush check and the pre-commit hook", { timeout: GIT_TIMEOUT }, () => {
  it("the installed hook refuses a commit of a plaintext secret file", () => {
    const repo = makeRepo();
    repo.write("prod.enc.yaml", "password: hunter2\n");
    ok(repo.git(["add", "prod.enc.yaml"]));
    const c = repo.git(["commit", "-q", "-m", "oops"]);
    expect(c.status).not.toBe(0);
    expect(c.stderr).toContain("prod.enc.yaml: is plaintext");
    expect(c.stderr).not.toContain("hunter2");
    expect(repo.git(["rev-parse", "--verify", "-q", "HEAD"]).status).not.toBe(0);
    // Encrypted, the same file commits.
    ok(repo.hush(["encrypt", "-i", "prod.enc.yaml"]));
    commitAll(repo, "encrypted");
  });

  it("checks what is staged, not the working tree", () => {
    const repo = makeRepo();
    encryptInto(repo, "a.enc.yaml", "k: v\n");
    ok(repo.git(["add", "a.enc.yaml"]));
    repo.write("a.enc.yaml", "k: v\n"); // plaintext in the working tree only
    expect(repo.hush(["check", "--staged"]).status).toBe(0);
    expect(repo.hush(["check", "a.enc.yaml"]).status).toBe(1);
  });

  it("flags clear values its rules would encrypt, and broken encrypted files", () => {
    const repo = makeRepo({ install: false });
    encryptInto(repo, "a.enc.yaml", "password: x\nlabel_unencrypted: y\n");
    expect(ok(repo.hush(["check", "a.enc.yaml"])).stderr).toBe("");
    const enc = repo.read("a.enc.yaml");
    repo.write("b.enc.yaml", enc.replace(/password: ENC\[[^\]]*\]/, "password: in-clear"));
    const b = repo.hush(["check", "b.enc.yaml"]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('b.enc.yaml: 1 value is in clear that its rules encrypt: ["password"]');
    expect(b.stderr).not.toContain("in-clear");
    repo.write("c.enc.yaml", `<<<<<<< ours\n${enc}=======\n${enc}>>>>>>> theirs\n`);
    expect(repo.hush(["check", "c.enc.yaml"]).stderr).toContain("conflict markers");
    repo.write("d.enc.yaml", enc.replace(/lastmodified: .*/, "lastmodified: yesterday"));
    expect(repo.hush(["check", "d.enc.yaml"]).stderr).toContain("lastmodified");
    // Files no rule names, with nothing encrypted, are not checked.
    repo.write("notes.yaml", "password: fine\n");
    expect(repo.hush(["check", "notes.yaml"]).status).toBe(0);
  });
});

describe("hush audit and rotation-status (no key)", { timeout: GIT_TIMEOUT }, () => {
  it("reports exactly the scripted changes", () => {
    const repo = makeRepo({ identities: `${key.identity}\n${key2.identity}` });
    const day = (n: number) => `2024-01-${String(n).padStart(2, "0")}T12:00:00+00:00`;
    encryptInto(repo, "s.enc.yaml", "a: 1\nb: two\nlist:\n    - x\n    - y\n");
    commitAll(repo, "add", day(1));
    set(repo, "s.enc.yaml", '["a"]', "2");
    commitAll(repo, "change a", day(2));
    ok(repo.hush(["unset", "s.enc.yaml", '["b"]']));
    set(repo, "s.enc.yaml", '["c"]', '{"d": true}');
    set(repo, "s.enc.yaml", '["list"][1]', '"z"');
    commitAll(repo, "remove b, add c.d, change list[1]", day(3));
    bothKeys(repo);
    ok(repo.hush(["rotate", "-i", "--add-age", key2.recipient, "s.enc.yaml"]));
    commitAll(repo, "rotate and add key2", day(4));
    ok(repo.git(["checkout", "-q", "-b", "side"]));
    set(repo, "s.enc.yaml", '["a"]', "3");
    commitAll(repo, "side: change a", day(5));
    ok(repo.git(["checkout", "-q", "main"]));
    set(repo, "s.enc.yaml", '["c"]["e"]', '"new"');
    commitAll(repo, "main: add c.e", day(6));
    const m = repo.git(["merge", "--no-edit", "side"], { dates: day(7) });
    expect(m.status, m.stderr).toBe(0);
    repo.write(".sops.yaml", `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`);
    ok(repo.hush(["rotate", "-i", "--rm-age", key2.recipient, "s.enc.yaml"]));
    commitAll(repo, "remove key2", day(8));

    const r = repo.hush(["audit", "--json", "s.enc.yaml"], { env: repo.noKey });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { entries: Record<string, unknown>[] };
    const summary = report.entries.map((e) => ({
      subject: e["subject"],
      status: e["status"],
      added: e["added"],
      changed: e["changed"],
      removed: e["removed"],
      recipientsAdded: e["recipientsAdded"],
      recipientsRemoved: e["recipientsRemoved"],
      rotated: e["rotated"],
    }));
    const none = { added: [], changed: [], removed: [], recipientsAdded: [], recipientsRemoved: [], rotated: false };
    expect(summary).toEqual([
      { ...none, subject: "remove key2", status: "modified", rotated: true, recipientsRemoved: [`age ${key2.recipient}`] },
      { ...none, subject: "Merge branch 'side'", status: "merge" },
      { ...none, subject: "main: add c.e", status: "modified", added: ['["c"]["e"]'] },
      { ...none, subject: "side: change a", status: "modified", changed: ['["a"]'] },
      { ...none, subject: "rotate and add key2", status: "modified", rotated: true, recipientsAdded: [`age ${key2.recipient}`] },
      { ...none, subject: "remove b, add c.d, change list[1]", status: "modified", added: ['["c"]["d"]'], changed: ['["list"][1]'], removed: ['["b"]'] },
      { ...none, subject: "change a", status: "modified", changed: ['["a"]'] },
      {
        ...none,
        subject: "add",
        status: "added",
        added: ['["a"]', '["b"]', '["list"][0]', '["list"][1]'],
        recipientsAdded: [`age ${key.recipient}`],
      },
    ]);
    expect(report.entries[0]!["author"]).toBe("Alice");
    expect(report.entries[0]!["date"]).toBe(day(8));

    const text = ok(repo.hush(["audit", "s.enc.yaml"], { env: repo.noKey })).stdout;
    expect(text).toContain("all values re-encrypted (rotation)");
    expect(text).toContain('changed  ["list"][1]');

    // rotation-status: rotations do not count; the merge took a from side (day 5).
    const rs = repo.hush(["rotation-status", "--json", "s.enc.yaml"], { env: repo.noKey });
    expect(rs.status, rs.stderr).toBe(0);
    const ages = (JSON.parse(rs.stdout) as { values: { path: string; date: string }[]; lastRotation: { date: string } }[])[0]!;
    expect(Object.fromEntries(ages.values.map((v) => [v.path, v.date]))).toEqual({
      '["a"]': day(5),
      '["list"][0]': day(1),
      '["list"][1]': day(3),
      '["c"]["d"]': day(3),
      '["c"]["e"]': day(6),
    });
    expect(ages.lastRotation.date).toBe(day(8));
    const stale = repo.hush(["rotation-status", "--max-age", "30d", "s.enc.yaml"], { env: repo.noKey });
    expect(stale.status).toBe(1);
    expect(stale.stdout).toContain("STALE");
    expect(stale.stderr).toContain("5 encrypted values are older than 30d");
  });

  it("a value changed in the commit that also rotates (a revoke with an edit) is reported, with a key exactly", () => {
    const repo = makeRepo({ identities: `${key.identity}\n${key2.identity}` });
    const day = (n: number) => `2024-01-${String(n).padStart(2, "0")}T12:00:00+00:00`;
    const rule = (ages: string) => `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${ages}\n`;
    repo.write(".sops.yaml", rule(`${key.recipient},${key2.recipient}`));
    encryptInto(repo, "s.enc.yaml", "a: 1\nb: two\n");
    commitAll(repo, "add", day(1));
    // One commit: the password changes and key2 is revoked (new data key, every value re-encrypted).
    set(repo, "s.enc.yaml", '["a"]', "2");
    repo.write(".sops.yaml", rule(key.recipient));
    ok(repo.hush(["rotate", "-i", "--rm-age", key2.recipient, "s.enc.yaml"]));
    commitAll(repo, "revoke key2 and change a", day(29));

    type Entry = { subject: string; rotated: boolean; changed: string[]; reencrypted: string[]; resolved: boolean };
    const audit = (env?: NodeJS.ProcessEnv, extra: string[] = []) => {
      const r = repo.hush(["audit", "--json", ...extra, "s.enc.yaml"], env ? { env } : {});
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { entries: Entry[] }).entries[0]!;
    };
    // Without a key the ciphertexts cannot tell: both values are reported as re-encrypted, unknown.
    const blind = audit(repo.noKey);
    expect(blind).toMatchObject({ subject: "revoke key2 and change a", rotated: true, changed: [], resolved: false });
    expect(blind.reencrypted.sort()).toEqual(['["a"]', '["b"]']);
    expect(ok(repo.hush(["audit", "s.enc.yaml"], { env: repo.noKey })).stdout).toContain("re-encrypted, change unknown without a key");
    // With a key: exactly the value that changed.
    expect(audit()).toMatchObject({ rotated: true, changed: ['["a"]'], reencrypted: [], resolved: true });
    // --no-keys never uses one.
    expect(audit(undefined, ["--no-keys"])).toMatchObject({ changed: [], resolved: false });

    // rotation-status: with a key, a is as new as the revoke; b keeps its first date.
    const ages = (env?: NodeJS.ProcessEnv) => {
      const rs = repo.hush(["rotation-status", "--json", "s.enc.yaml"], env ? { env } : {});
      expect(rs.status, rs.stderr).toBe(0);
      return (JSON.parse(rs.stdout) as { values: { path: string; date: string; maybeChanged?: { date: string } }[] }[])[0]!.values;
    };
    expect(Object.fromEntries(ages().map((v) => [v.path, [v.date, v.maybeChanged?.date]]))).toEqual({
      '["a"]': [day(29), undefined],
      '["b"]': [day(1), undefined],
    });
    // Without a key: the older date, and the rotation that may have changed it.
    expect(Object.fromEntries(ages(repo.noKey).map((v) => [v.path, [v.date, v.maybeChanged?.date]]))).toEqual({
      '["a"]': [day(1), day(29)],
      '["b"]': [day(1), day(29)],
    });
  });

  it("parses durations", () => {
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration("12h")).toBe(12 * 3_600_000);
    expect(parseDuration("2w")).toBe(14 * 86_400_000);
    expect(() => parseDuration("soon", "--max-age")).toThrow(/--max-age/);
    expect(parseDuration("1y")).toBe(365 * 86_400_000);
  });
});

describe("mergeEncrypted (in memory)", () => {
  const env = () => cleanEnv({ SOPS_AGE_KEY: `${key.identity}\n${key2.identity}` });
  async function enc(plain: string, format: "yaml" | "json" = "yaml", recipients = [key.recipient]): Promise<string> {
    const { encryptText } = await import("../src/lib/files.js");
    const { ageRecipient } = await import("../src/keys/age-client.js");
    return (await encryptText(plain, { format, groups: [recipients.map((r) => ageRecipient(r))] })).text;
  }
  async function edit(text: string, change: (plain: string) => string, format: "yaml" | "json" = "yaml"): Promise<string> {
    const { rewriteText } = await import("../src/lib/rewrite.js");
    return (await rewriteText(text, change, { format, env: env() })).text;
  }
  async function plain(text: string, format: "yaml" | "json" = "yaml"): Promise<string> {
    const { decryptText } = await import("../src/lib/files.js");
    return (await decryptText(text, { format, env: env() })).text;
  }
  async function merge(base: string, ours: string, theirs: string, format: "yaml" | "json" = "yaml", choose?: (c: { label: string }) => "ours" | "theirs") {
    const { mergeEncrypted } = await import("../src/git/merge.js");
    return mergeEncrypted({ base, ours, theirs, format }, { env: env(), ...(choose ? { choose } : {}) });
  }

  it("recurses into maps, treats lists as atomic, and applies deletions", async () => {
    const base = await enc("m:\n    a: 1\n    b: 2\nl:\n    - 1\n    - 2\ngone: x\n");
    const ours = await edit(base, (p) => p.replace("a: 1", "a: 10").replace("    - 2", "    - 3"));
    const theirs = await edit(base, (p) => p.replace("b: 2", "b: 20").replace("gone: x\n", ""));
    const res = await merge(base, ours, theirs);
    expect(res.status).toBe("merged");
    if (res.status !== "merged") return;
    expect(await plain(res.text)).toBe("m:\n    a: 10\n    b: 20\nl:\n    - 1\n    - 3\n");
    // Both sides changing one list conflicts (atomic), naming only the path.
    const t2 = await edit(base, (p) => p.replace("    - 1", "    - 0"));
    const c = await merge(base, ours, t2);
    expect(c.status).toBe("conflict");
    if (c.status === "conflict") expect(c.conflicts.map((x) => x.label)).toEqual(['["l"]']);
  });

  it("merges JSON, and two additions with no common ancestor", async () => {
    const ours = await enc('{\n  "a": "1",\n  "b": "x"\n}\n', "json");
    const theirs = await enc('{\n  "a": "1",\n  "c": "y"\n}\n', "json");
    const res = await merge("", ours, theirs, "json");
    expect(res.status).toBe("merged");
    if (res.status === "merged") expect(JSON.parse(await plain(res.text, "json"))).toEqual({ a: "1", b: "x", c: "y" });
    const clash = await enc('{\n  "a": "2"\n}\n', "json");
    expect((await merge("", ours, clash, "json")).status).toBe("conflict");
  });

  it("a chooser decides conflicts; ours unchanged stays byte for byte", async () => {
    const base = await enc("k: base\nother: o\n");
    const ours = await edit(base, (p) => p.replace("k: base", "k: ours"));
    const theirs = await edit(base, (p) => p.replace("k: base", "k: theirs"));
    const seen: string[] = [];
    const res = await merge(base, ours, theirs, "yaml", (c) => (seen.push(c.label), "ours"));
    expect(seen).toEqual(['["k"]']);
    expect(res.status === "merged" && res.text).toBe(ours);
  });

  it("never hands a rotated key to a recipient the other side removed", async () => {
    const base = await enc("k: v\nx: 1\n", "yaml", [key.recipient, key2.recipient]);
    const { rotateText } = await import("../src/lib/rewrite.js");
    // Ours rotates (new key, still for both); theirs removes key2 and rotates too.
    const ours = (await rotateText(base, { format: "yaml", env: env() })).text;
    const theirs = (await rotateText(base, { format: "yaml", env: env(), remove: [{ kind: "age", label: key2.recipient }] })).text;
    const res = await merge(base, ours, theirs);
    expect(res.status).toBe("merged");
    if (res.status !== "merged") return;
    expect(res.text).not.toContain(key2.recipient);
    expect(res.notes.join(" ")).toContain("fresh data key");
    const { decryptText } = await import("../src/lib/files.js");
    await expect(decryptText(res.text, { format: "yaml", env: cleanEnv({ SOPS_AGE_KEY: key2.identity }) })).rejects.toThrow(/could not decrypt the data key/);
    expect(await plain(res.text)).toBe("k: v\nx: 1\n");
    // Fresh key: no ciphertext of either side survives.
    const old = new Set([...encs(ours), ...encs(theirs)]);
    expect(encs(res.text).filter((e) => old.has(e))).toEqual([]);
  });
});
