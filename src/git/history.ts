/**
 * `hush git log` / `hush git diff`: git's own output with hush's textconv, in one hush process.
 *
 * The textconv driver (`hush git textconv FILE`) costs a Node start-up per blob side, a minute for
 * a 200-file diff. Here git runs exactly as it would with the driver, with one change: for this
 * run `diff.hush.textconv` is a two-line `sh` script that hands the file name to this process
 * through a FIFO and copies the answer from a second FIFO (`cat`), and this process computes the
 * answer with the same `textconvText` the driver uses, one shared `Keyring` (identities load once)
 * and a cache by content (a blob that is the new side of one commit and the old side of the next is
 * decrypted once). So the output is git's, byte for byte (diff algorithm, colours, pager, every
 * option), and plaintext only passes through a pipe: it is never written to a file. The temporary
 * directory (0700) holds the two FIFOs and the script, and is removed when the command ends.
 * `diff.hush.cachetextconv` is off for the run, so git does not store plaintext notes either.
 *
 * Git runs textconv programs one at a time (it waits for each one's output), which the single
 * pair of FIFOs relies on. Where there are no FIFOs (Windows) git runs the normal driver instead.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync, openSync, constants } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HushError } from "../errors.js";
import { Keyring, shellQuote } from "../lib/internal.js";
import { textconvText } from "./textconv.js";

/** How to run the history command. */
export interface HistoryOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The textconv views kept by content hash: enough for a long `log -p`, bounded in memory. */
const CACHE_ENTRIES = 512;

/** Serves textconv requests from the FIFO `req`, answering on `resp`; returns a stop function. */
function serve(dir: string, env: NodeJS.ProcessEnv): { stop: () => void; failure: () => unknown } {
  const req = join(dir, "req");
  const resp = join(dir, "resp");
  const keyring = new Keyring({ env });
  const cache = new Map<string, string>();
  let failure: unknown;
  // O_RDWR: the open does not wait for a writer, and the FIFO never reports end of file between
  // two requests (this process is a writer too).
  const fd = openSync(req, constants.O_RDWR | constants.O_NONBLOCK);
  const socket = new Socket({ fd, readable: true, writable: false });
  let pending = Buffer.alloc(0);
  let queue = Promise.resolve();
  const answer = async (file: string): Promise<void> => {
    let view: string;
    try {
      const bytes = await readFile(file);
      const id = createHash("sha256").update(bytes).digest("base64");
      const hit = cache.get(id);
      if (hit !== undefined) {
        cache.delete(id);
        cache.set(id, hit);
        view = hit;
      } else {
        view = await textconvText(bytes.toString("utf8"), { keyring, env });
        cache.set(id, view);
        if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      }
    } catch (e) {
      // textconvText never throws for content; an unreadable file is git's business to report.
      failure ??= e;
      view = "";
    }
    // Blocks (in the thread pool) until the script's `cat` opens the FIFO for reading.
    const out = await open(resp, "w");
    try {
      await out.writeFile(view);
    } finally {
      await out.close();
    }
  };
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    let nul: number;
    while ((nul = pending.indexOf(0)) >= 0) {
      const file = pending.subarray(0, nul).toString("utf8");
      pending = pending.subarray(nul + 1);
      queue = queue.then(() => answer(file));
    }
  });
  socket.on("error", (e) => {
    failure ??= e;
  });
  return {
    stop: () => {
      socket.destroy();
      cache.clear();
    },
    failure: () => failure,
  };
}

/** The script git runs as the textconv for this command: file name to `req`, answer from `resp`. */
function script(dir: string): string {
  const req = shellQuote(join(dir, "req"));
  const resp = shellQuote(join(dir, "resp"));
  return [
    "#!/bin/sh",
    'case $1 in /*) f=$1 ;; *) f=$PWD/$1 ;; esac',
    `printf '%s\\000' "$f" >${req} || exit 1`,
    `exec cat ${resp}`,
    "",
  ].join("\n");
}

/**
 * Runs `git <sub> args…` with the textconv served by this process; resolves to git's exit status.
 * The caller passes `sub` ("log", "diff", "show") and the user's arguments untouched.
 */
export async function runGitWithServedTextconv(sub: string, args: readonly string[], opts: HistoryOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  if (process.platform === "win32") return runGitPlain([sub, ...args], cwd, env);
  const dir = mkdtempSync(join(tmpdir(), "hush-git-"));
  let server: ReturnType<typeof serve> | undefined;
  try {
    const made = spawnSync("mkfifo", ["-m", "600", join(dir, "req"), join(dir, "resp")], { stdio: "ignore" });
    if (made.status !== 0) return await runGitPlain([sub, ...args], cwd, env);
    const helper = join(dir, "textconv");
    writeFileSync(helper, script(dir), { mode: 0o700 });
    server = serve(dir, env);
    const status = await runGitPlain(
      ["-c", `diff.hush.textconv=${shellQuote(helper)}`, "-c", "diff.hush.cachetextconv=false", sub, ...args],
      cwd,
      env,
    );
    const failed = server.failure();
    if (failed !== undefined && status === 0) {
      throw new HushError("GENERIC", "hush could not serve a textconv view to git", undefined, { cause: failed });
    }
    return status;
  } finally {
    server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs git with this process's standard streams and returns its exit status. */
function runGitPlain(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    // Inherited streams: git's pager, colours and terminal checks work as they do without hush.
    const child = spawn("git", args, { cwd, env, stdio: "inherit" });
    child.on("error", (e: NodeJS.ErrnoException) =>
      fail(new HushError(e.code === "ENOENT" ? "COMMAND_NOT_FOUND" : "GENERIC", e.code === "ENOENT" ? "git not found on PATH" : "cannot run git", undefined, { cause: e })),
    );
    child.on("close", (code, signal) => done(code ?? 128 + (signal === "SIGPIPE" ? 13 : signal === "SIGTERM" ? 15 : 9)));
  });
}
