// Issue 15, "Files on disk": the team commands and `hush git resolve` take the advisory lock
// (src/util/lock.ts) like `hush set`, so writers that run at once take turns: every update lands,
// or the loser fails cleanly. Real processes started together, real git.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, HUSH, withTempDir } from "./helpers.js";

function ageKey(file: string): string {
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  chmodSync(file, 0o600);
  return /public key: (age1\w+)/.exec(readFileSync(file, "utf8"))![1]!;
}

interface Done {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts every command at once (each a real `hush` process) and waits for all. */
function together(cwd: string, env: NodeJS.ProcessEnv, commands: string[][]): Promise<Done[]> {
  return Promise.all(
    commands.map(
      (args) =>
        new Promise<Done>((resolve) => {
          const c = spawn(process.execPath, [HUSH, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          c.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
          c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          c.on("exit", (code) => resolve({ args, code, stdout, stderr }));
        }),
    ),
  );
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const recipientsOf = (text: string): string[] => [...text.matchAll(/recipient: (age1\w+)/g)].map((m) => m[1]!).sort();

describe("team commands take the lock of every file they rewrite", () => {
  it("invite, revoke and two `hush set` at once on one repository: every change lands", { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      const me = ageKey(join(dir, "me.txt"));
      const leaver = ageKey(join(dir, "leaver.txt"));
      const joiner = ageKey(join(dir, "joiner.txt"));
      // Generous waits: the point is that they take turns, not how fast.
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "me.txt"), HUSH_LOCK_TIMEOUT_MS: "60000" });
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${me},${leaver}\n`);
      for (const name of ["a", "b"]) {
        writeFileSync(join(dir, `${name}.enc.yaml`), `base: ${name}\n`);
        const e = run(process.execPath, [HUSH, "encrypt", "-i", `${name}.enc.yaml`], dir, env);
        expect(e.status, e.stderr).toBe(0);
      }
      const results = await together(dir, env, [
        ["invite", joiner, "--all", "--name", "joiner"],
        ["set", "a.enc.yaml", '["k1"]', '"v1"'],
        ["revoke", leaver],
        ["set", "a.enc.yaml", '["k2"]', '"v2"'],
        ["set", "b.enc.yaml", '["k3"]', '"v3"'],
      ]);
      for (const r of results) expect(r.code, `${r.args.join(" ")}: ${r.stderr}`).toBe(0);
      // The config has both edits.
      const config = readFileSync(join(dir, ".sops.yaml"), "utf8");
      expect(config).toContain(joiner);
      expect(config).not.toContain(leaver);
      // Every value set is there, and each file is keyed for the final rule: me and the joiner.
      const a = run(process.execPath, [HUSH, "decrypt", "a.enc.yaml"], dir, env);
      expect(a.status, a.stderr).toBe(0);
      // (the two sets land in either order)
      expect(a.stdout.split("\n").sort()).toEqual(["", "base: a", "k1: v1", "k2: v2"]);
      const b = run(process.execPath, [HUSH, "decrypt", "b.enc.yaml"], dir, env);
      expect(b.stdout).toBe("base: b\nk3: v3\n");
      for (const f of ["a.enc.yaml", "b.enc.yaml"]) expect(recipientsOf(readFileSync(join(dir, f), "utf8"))).toEqual([me, joiner].sort());
      // The joiner reads what was written; the leaver does not.
      expect(run(process.execPath, [HUSH, "decrypt", "a.enc.yaml"], dir, { ...env, SOPS_AGE_KEY_FILE: join(dir, "joiner.txt") }).stdout).toContain("k2: v2");
      expect(run(process.execPath, [HUSH, "decrypt", "a.enc.yaml"], dir, { ...env, SOPS_AGE_KEY_FILE: join(dir, "leaver.txt") }).status).not.toBe(0);
      // No lock left behind.
      expect(readdirSync(dir).filter((n) => n.endsWith(".hush.lock"))).toEqual([]);
    });
  });

  it("a held lock on .sops.yaml makes invite fail with exit 75 after the wait, having changed nothing", async () => {
    await withTempDir(async (dir) => {
      const me = ageKey(join(dir, "me.txt"));
      const joiner = ageKey(join(dir, "joiner.txt"));
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "me.txt"), HUSH_LOCK_TIMEOUT_MS: "300" });
      const config = `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${me}\n`;
      writeFileSync(join(dir, ".sops.yaml"), config);
      // A live holder (this test process) of the config's lock, `.` + `.sops.yaml` + `.hush.lock`.
      writeFileSync(join(dir, "..sops.yaml.hush.lock"), `${process.pid} ${(await import("node:os")).hostname()} now\n`);
      const r = run(process.execPath, [HUSH, "invite", joiner, "--all"], dir, env);
      expect(r.status).toBe(75);
      expect(r.stderr.split("\n")[0]).toMatch(/^hush: error: .*\.sops\.yaml is being changed by another hush command \(locked by process \d+\)$/);
      expect(readFileSync(join(dir, ".sops.yaml"), "utf8")).toBe(config);
    });
  });
});

describe("hush git resolve takes the file's lock", () => {
  it("two resolves of one conflict at once: one decides, the other fails cleanly, the index holds what the winner wrote", { timeout: 120_000 }, async () => {
    await withTempDir(async (dir) => {
      const me = ageKey(join(dir, "me.txt"));
      const home = join(dir, "home");
      const repo = join(dir, "repo");
      for (const d of [home, repo]) execFileSync("mkdir", ["-p", d]);
      const env = cleanEnv({
        SOPS_AGE_KEY_FILE: join(dir, "me.txt"),
        HOME: home,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
        GIT_MERGE_AUTOEDIT: "no",
        HUSH_LOCK_TIMEOUT_MS: "60000",
      });
      const git = (...args: string[]) => {
        const r = run("git", args, repo, env);
        expect(r.status, r.stderr).toBe(0);
        return r.stdout;
      };
      const hush = (...args: string[]) => {
        const r = run(process.execPath, [HUSH, ...args], repo, env);
        expect(r.status, r.stderr).toBe(0);
        return r.stdout;
      };
      git("init", "-q", "-b", "main");
      git("config", "user.name", "Alice");
      git("config", "user.email", "alice@example.com");
      writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${me}\n`);
      hush("git", "install", "--command", `node ${HUSH}`);
      writeFileSync(join(repo, "s.enc.yaml"), "token: base\n");
      hush("encrypt", "-i", "s.enc.yaml");
      git("add", "-A");
      git("commit", "-q", "-m", "base");
      git("checkout", "-q", "-b", "feature");
      hush("set", "s.enc.yaml", '["token"]', '"theirs"');
      git("commit", "-q", "-am", "theirs");
      git("checkout", "-q", "main");
      hush("set", "s.enc.yaml", '["token"]', '"ours"');
      git("commit", "-q", "-am", "ours");
      expect(run("git", ["merge", "--no-edit", "feature"], repo, env).status).not.toBe(0);

      const results = await together(repo, env, [
        ["git", "resolve", "--ours", "s.enc.yaml"],
        ["git", "resolve", "--theirs", "s.enc.yaml"],
      ]);
      const won = results.filter((r) => r.code === 0);
      const lost = results.filter((r) => r.code !== 0);
      // Exactly one decision was made and reported; the other was told, in one line, that there
      // was nothing left to resolve (or, after the wait, that the file was busy: exit 75).
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const loserLines = lost[0]!.stderr.trimEnd().split("\n");
      expect(loserLines[0]).toMatch(/^hush: error: (s\.enc\.yaml is not in a merge conflict|.*is being changed by another hush command)/);
      expect(loserLines.slice(1).every((l) => l.startsWith("hush: hint: "))).toBe(true);
      if (!/not in a merge conflict/.test(loserLines[0]!)) expect(lost[0]!.code).toBe(75);
      // The working tree and the index agree, and hold the winner's side.
      const side = won[0]!.args.includes("--ours") ? "ours" : "theirs";
      expect(git("ls-files", "-u")).toBe("");
      expect(git("show", ":s.enc.yaml")).toBe(readFileSync(join(repo, "s.enc.yaml"), "utf8"));
      expect(hush("decrypt", "--extract", '["token"]', "s.enc.yaml")).toBe(side);
      expect(existsSync(join(repo, ".s.enc.yaml.hush.lock"))).toBe(false);
    });
  });
});
