// `hush git install` writes no path of this machine into files others get (issue 17): with husky
// (core.hooksPath=.husky, tracked), the hook runs the project's hush-sops or `hush` from PATH; in
// .git/hooks (this machine's own) it may keep the command that installed it. Real git, and a
// commit that the shared hook really blocks.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH, ROOT } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 30_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

function repo(name: string): string {
  const r = join(dir, name);
  mkdirSync(r);
  expect(run("git", ["init", "-q", "-b", "main"], r).status).toBe(0);
  writeFileSync(join(r, ".sops.yaml"), "creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n");
  return r;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hush-shared-hook-"));
  // `hush` on PATH is this checkout's CLI (as after `npm i -g hush-sops`).
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "hush"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} "$@"\n`);
  chmodSync(join(bin, "hush"), 0o755);
  env = { PATH: `${bin}:${process.env["PATH"]}`, HOME: join(dir, "home"), GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
  mkdirSync(env["HOME"]!);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("hush git install and shared hooks", () => {
  it("with husky's tracked .husky/, the hook names no absolute path, and it still blocks a plaintext secret", () => {
    const r = repo("husky");
    mkdirSync(join(r, ".husky"));
    expect(run("git", ["config", "core.hooksPath", ".husky"], r).status).toBe(0);
    const inst = run(process.execPath, [HUSH, "git", "install"], r);
    expect(inst.status, inst.stderr).toBe(0);
    const hook = readFileSync(join(r, ".husky", "pre-commit"), "utf8");
    expect(hook).not.toContain(ROOT);
    expect(hook).not.toContain(process.execPath);
    expect(hook).not.toMatch(/\/(work|home|tmp|usr)\//);
    // A plaintext file that the rules say must be encrypted: the hook (through `hush` on PATH) refuses it.
    writeFileSync(join(r, "app.enc.yaml"), "password: plain\n");
    expect(run("git", ["add", "app.enc.yaml", ".sops.yaml"], r).status).toBe(0);
    const commit = run("git", ["commit", "-q", "-m", "x"], r);
    expect(commit.status).not.toBe(0);
    expect(commit.stderr).toMatch(/hush/);
  });

  it("prefers the project's node_modules/.bin/hush-sops over PATH", () => {
    const r = repo("local-dep");
    mkdirSync(join(r, ".husky"));
    run("git", ["config", "core.hooksPath", ".husky"], r);
    expect(run(process.execPath, [HUSH, "git", "install"], r).status).toBe(0);
    mkdirSync(join(r, "node_modules", ".bin"), { recursive: true });
    const marker = join(dir, "local-ran");
    writeFileSync(join(r, "node_modules", ".bin", "hush-sops"), `#!/bin/sh\necho "$@" > ${JSON.stringify(marker)}\n`);
    chmodSync(join(r, "node_modules", ".bin", "hush-sops"), 0o755);
    writeFileSync(join(r, "readme.txt"), "x\n");
    run("git", ["add", "readme.txt"], r);
    expect(run("git", ["commit", "-q", "-m", "x"], r).status).toBe(0);
    expect(readFileSync(marker, "utf8")).toBe("check --staged\n");
  });

  it("a hook in .git/hooks is this machine's: it keeps the installing command", () => {
    const r = repo("plain");
    expect(run(process.execPath, [HUSH, "git", "install"], r).status).toBe(0);
    const hook = readFileSync(join(r, ".git", "hooks", "pre-commit"), "utf8");
    expect(hook).not.toContain("node_modules/.bin/hush-sops");
    expect(hook).toMatch(/exec .* check --staged/);
  });
});
