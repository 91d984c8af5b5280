/**
 * Throw-away git repositories for the git and trust-boundary tests: real `git`, the built CLI, an
 * isolated HOME and global config, an age identity (in SOPS_AGE_KEY) for its owner.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv, HUSH } from "../helpers.js";

export const COMMAND = `node ${HUSH}`;

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Repo {
  dir: string;
  base: string;
  env: NodeJS.ProcessEnv;
  noKey: NodeJS.ProcessEnv;
  /** `dates` sets the author and committer dates (GIT_AUTHOR_DATE, GIT_COMMITTER_DATE). */
  git(args: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; dates?: string }): Run;
  hush(args: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string }): Run;
  write(path: string, text: string): void;
  read(path: string): string;
  /** `git add -A && git commit`. */
  commit(message: string): void;
  dispose(): void;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input = ""): Run {
  const r = spawnSync(cmd, args, { cwd, env, input, encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a command without blocking this process, for tests whose loopback servers live in it
 * (a synchronous child would keep them from answering).
 */
export function runAsync(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, stdout, stderr });
    });
    // A command that exits without reading its input (EPIPE) is judged by its status and output.
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

export function ok(r: Run): Run {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}${r.stdout}`);
  return r;
}

/** A new repository; `sopsYaml` (if given) is written as `.sops.yaml`. */
export function makeRepo(opts: { identity: string; sopsYaml?: string; extraEnv?: Record<string, string> }): Repo {
  const base = mkdtempSync(join(tmpdir(), "hush-trust-"));
  const dir = join(base, "repo");
  const home = join(base, "home");
  mkdirSync(dir);
  mkdirSync(home);
  const common = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
    GIT_TERMINAL_PROMPT: "0",
    GIT_MERGE_AUTOEDIT: "no",
    GIT_PAGER: "cat",
    ...(opts.extraEnv ?? {}),
  };
  const noKey = cleanEnv(common);
  const env = cleanEnv({ ...common, SOPS_AGE_KEY: opts.identity });
  const repo: Repo = {
    dir,
    base,
    env,
    noKey,
    git(args, o = {}) {
      const e = { ...(o.env ?? env) };
      if (o.dates) e["GIT_AUTHOR_DATE"] = e["GIT_COMMITTER_DATE"] = o.dates;
      return run("git", args, dir, e, o.input ?? "");
    },
    hush: (args, o = {}) => run(process.execPath, [HUSH, ...args], dir, o.env ?? env, o.input ?? ""),
    write(path, text) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    read: (path) => readFileSync(join(dir, path), "utf8"),
    commit(message) {
      ok(repo.git(["add", "-A"]));
      ok(repo.git(["commit", "-q", "-m", message]));
    },
    dispose: () => rmSync(base, { recursive: true, force: true }),
  };
  ok(repo.git(["init", "-q", "-b", "main"]));
  ok(repo.git(["config", "user.name", "Alice"]));
  ok(repo.git(["config", "user.email", "alice@example.com"]));
  if (opts.sopsYaml !== undefined) repo.write(".sops.yaml", opts.sopsYaml);
  return repo;
}

/**
 * Every place in `.git` that holds any of `needles`: each object's content (all objects, loose or
 * packed, as git reads them) and every file under `.git` read raw (refs, logs, config, index…).
 */
export function plaintextInGit(repo: Repo, needles: readonly string[]): string[] {
  const found: string[] = [];
  const all = spawnSync("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo.dir, env: repo.env, maxBuffer: 256 * 1024 * 1024 });
  if (all.status !== 0) throw new Error(`git cat-file failed: ${all.stderr.toString()}`);
  const objects = all.stdout.toString("latin1");
  for (const n of needles) if (objects.includes(n)) found.push(`an object holds ${JSON.stringify(n)}`);
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const text = readFileSync(p).toString("latin1");
        for (const n of needles) if (text.includes(n)) found.push(`${p.slice(repo.dir.length + 1)} holds ${JSON.stringify(n)}`);
      }
    }
  };
  walk(join(repo.dir, ".git"));
  return found;
}
