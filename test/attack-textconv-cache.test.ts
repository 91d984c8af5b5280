// Issue 14, attack 3: plaintext stored in .git by git's textconv cache. `hush git install` must
// not turn on diff.hush.cachetextconv; a cache an earlier install left is reported, and deleted
// (ref, reflog and the objects only it reached, loose or packed) when asked, by --uninstall, and by
// `hush revoke`. Real git, the built CLI; .git is scanned object by object and file by file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { COMMAND, makeRepo, ok, plaintextInGit, type Repo } from "./support/git-repo.js";

const TIMEOUT = 120_000;
const V1 = "canary-first-4f1c9a";
const V2 = "canary-second-77be02";
const V3 = "canary-third-0d5e31";

let key: { identity: string; recipient: string };
const repos: Repo[] = [];
beforeAll(async () => {
  key = await generateAgeKeyFile();
});
afterAll(() => {
  for (const r of repos) r.dispose();
});

/** A repository with three commits of one encrypted file, each value different. */
function history(): Repo {
  const repo = makeRepo({ identity: key.identity, sopsYaml: `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n` });
  repos.push(repo);
  for (const [i, v] of [V1, V2, V3].entries()) {
    repo.write("s.enc.yaml", `db:\n    password: ${v}\n`);
    ok(repo.hush(["encrypt", "-i", "s.enc.yaml"]));
    repo.commit(`v${i + 1}`);
  }
  return repo;
}

/** What a reviewer runs: every diff of the history, through textconv. */
function review(repo: Repo): string {
  const log = ok(repo.git(["log", "-p"])).stdout;
  ok(repo.git(["show", "HEAD~1"]));
  ok(repo.git(["diff", "HEAD~2", "HEAD"]));
  return log;
}

describe("attack 3: no plaintext in .git from textconv", { timeout: TIMEOUT }, () => {
  it("after hush git install and git log -p, no object, note, ref or file in .git holds a value", () => {
    const repo = history();
    ok(repo.hush(["git", "install", "--command", COMMAND]));
    expect(repo.git(["config", "--get", "diff.hush.cachetextconv"]).status).not.toBe(0);
    const log = review(repo);
    // The diff really was decrypted (so the scan below is about a working textconv).
    expect(log).toContain(`+    password: ${V3}`);
    expect(log).toContain(`-    password: ${V2}`);
    expect(ok(repo.git(["for-each-ref", "refs/notes"])).stdout).toBe("");
    expect(plaintextInGit(repo, [V1, V2, V3])).toEqual([]);
  });

  it("the scan finds what an old install's cache stored (the test can fail)", () => {
    const repo = history();
    ok(repo.hush(["git", "install", "--command", COMMAND]));
    ok(repo.git(["config", "diff.hush.cachetextconv", "true"])); // as hush ≤ 0.1 installed it
    review(repo);
    expect(ok(repo.git(["for-each-ref", "--format=%(refname)", "refs/notes"])).stdout.trim()).toBe("refs/notes/textconv/hush");
    expect(plaintextInGit(repo, [V1, V2, V3]).length).toBeGreaterThan(0);
  });

  it("install unsets an old cachetextconv, warns about the cache, and --delete-textconv-cache removes it (loose and packed)", () => {
    for (const packed of [false, true]) {
      const repo = history();
      ok(repo.hush(["git", "install", "--command", COMMAND]));
      ok(repo.git(["config", "diff.hush.cachetextconv", "true"]));
      review(repo);
      if (packed) ok(repo.git(["gc", "-q"]));

      const again = ok(repo.hush(["git", "install", "--command", COMMAND]));
      expect(again.stdout).toContain("unset diff.hush.cachetextconv");
      expect(again.stderr).toMatch(/^hush: warning: refs\/notes\/textconv\/hush holds decrypted diff views.*--delete-textconv-cache/m);
      expect(repo.git(["config", "--get", "diff.hush.cachetextconv"]).status).not.toBe(0);
      expect(plaintextInGit(repo, [V1, V2, V3]).length).toBeGreaterThan(0); // only warned

      const del = ok(repo.hush(["git", "install", "--command", COMMAND, "--delete-textconv-cache"]));
      expect(del.stdout).toMatch(/deleted refs\/notes\/textconv\/hush .* and \d+ objects? only it reached/);
      expect(plaintextInGit(repo, [V1, V2, V3]), packed ? "packed" : "loose").toEqual([]);
      // The repository is intact: history and the diff view still work.
      expect(ok(repo.git(["fsck", "--no-dangling"])).status).toBe(0);
      expect(review(repo)).toContain(`+    password: ${V3}`);
      expect(plaintextInGit(repo, [V1, V2, V3])).toEqual([]);
    }
  });

  it("git install --uninstall deletes the cache", () => {
    const repo = history();
    ok(repo.hush(["git", "install", "--command", COMMAND]));
    ok(repo.git(["config", "diff.hush.cachetextconv", "true"]));
    review(repo);
    const un = ok(repo.hush(["git", "install", "--uninstall"]));
    expect(un.stdout).toContain("deleted refs/notes/textconv/hush");
    expect(plaintextInGit(repo, [V1, V2, V3])).toEqual([]);
  });

  it("hush revoke deletes the cache", async () => {
    const repo = history();
    const bob = await generateAgeKeyFile();
    ok(repo.hush(["invite", bob.recipient, "--name", "bob", "--all"]));
    repo.commit("invite bob");
    ok(repo.hush(["git", "install", "--command", COMMAND]));
    ok(repo.git(["config", "diff.hush.cachetextconv", "true"]));
    review(repo);
    const r = ok(repo.hush(["revoke", bob.recipient]));
    expect(r.stdout).toContain("deleted refs/notes/textconv/hush");
    expect(ok(repo.git(["for-each-ref", "refs/notes"])).stdout).toBe("");
    expect(plaintextInGit(repo, [V1, V2, V3])).toEqual([]);
  });
});
