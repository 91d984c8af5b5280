/**
 * A tiny runner for the `git` executable, for the drivers, the hook check and install. (History for
 * `hush audit` goes through simple-git, which is only loaded there.) Output is captured as bytes:
 * blobs are file contents, not necessarily UTF-8 text.
 */
import { spawn } from "node:child_process";
import { HushError } from "../errors.js";

/** Where and how to run git. */
export interface GitOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to git's standard input. */
  input?: string | Buffer;
}

/** What a git run produced. */
export interface GitResult {
  /** The exit status; a signal death counts as 128 + its number, as a shell reports it. */
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `git args…` and collects its output; rejects only when git cannot be started. */
export function runGit(args: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e: NodeJS.ErrnoException) => {
      reject(
        new HushError(
          e.code === "ENOENT" ? "COMMAND_NOT_FOUND" : "GENERIC",
          e.code === "ENOENT" ? "git not found on PATH" : `cannot run git: ${e.code ?? "spawn failed"}`,
          undefined,
          { cause: e },
        ),
      );
    });
    child.on("close", (code, signal) => {
      const status = code ?? 128 + (signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : 1);
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
    // git may exit before reading its input (EPIPE); its exit status tells what happened.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/**
 * Runs git and returns its standard output as text; a non-zero exit is a `HushError` whose message
 * is git's first line of complaint (git messages name refs and paths, never file contents).
 */
export async function git(args: readonly string[], opts: GitOptions = {}): Promise<string> {
  const r = await runGit(args, opts);
  if (r.status !== 0) {
    const first = r.stderr.split("\n").find((l) => l.trim() !== "")?.trim() ?? `exit status ${r.status}`;
    throw new HushError("GENERIC", `git ${args[0] ?? ""} failed: ${first.replace(/^(fatal|error): /, "")}`);
  }
  return r.stdout.toString("utf8");
}

/** The top directory of the working tree containing `cwd`; a clear error outside a repository. */
export async function repoRoot(opts: GitOptions = {}): Promise<string> {
  const r = await runGit(["rev-parse", "--show-toplevel"], opts);
  if (r.status !== 0) {
    throw new HushError("USAGE", "not inside a git working tree", "run this in a git repository (or `git init` one)");
  }
  return r.stdout.toString("utf8").trim();
}

