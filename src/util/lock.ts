/**
 * Advisory locks for commands that read a file, change it and write it back (`set`, `unset`,
 * `edit`, `rotate`/`encrypt`/`decrypt -i`, `updatekeys`, `git resolve`, and the team commands for
 * `.sops.yaml` and the files they re-key). Without one, two such commands at once
 * both read the old file and the second rename silently drops the first one's change.
 *
 * The lock is a file beside the target, `.<name>.hush.lock`, created with O_EXCL and holding
 * `pid host time`. A second writer polls for it for a bounded time (`HUSH_LOCK_TIMEOUT_MS`, default
 * 5000; 0 fails at once), then fails with a `LOCKED` error (exit 75, EX_TEMPFAIL: try again).
 * A lock is stale, and is taken over, when its process is gone (same host), or when it was not
 * refreshed for `HUSH_LOCK_STALE_MS` (default 10 minutes; the holder touches it every 30 s, so a
 * long `hush edit` keeps its lock, and a lock left on a shared disk by another host expires).
 *
 * The lock only binds hush (and tools that honour it); it is not a security boundary. It is taken
 * on the real file (symlinks resolved), so two names for one file share one lock. Held locks are
 * removed when the process exits (also through `process.exit`); one left by a killed process is
 * stale as soon as its pid is gone, and one left empty (killed between creating and writing it)
 * after two seconds.
 */
import { closeSync, openSync, readFileSync, realpathSync, statSync, unlinkSync, utimesSync, writeSync, constants } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { HushError } from "../errors.js";
import { isAlive } from "./fs.js";

/** A lock held by this process. */
export interface FileLock {
  /** The lock file's path. */
  readonly path: string;
  /** Removes the lock (idempotent). */
  release(): void;
}

const held = new Map<string, { count: number; timer: NodeJS.Timeout }>();
let exitHook = false;

/** The lock file for `target`: beside the real file, so a symlink and its target share it. */
function lockPathFor(target: string): string {
  let real = resolve(target);
  try {
    real = realpathSync(target);
  } catch {
    // a new file: the directory's real path
    try {
      real = join(realpathSync(dirname(target)), basename(target));
    } catch {
      // no directory either: the write will say so
    }
  }
  return join(dirname(real), `.${basename(real)}.hush.lock`);
}

function envMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  if (!/^\d+$/.test(v)) throw new HushError("USAGE", `${name} must be a number of milliseconds, got ${JSON.stringify(v)}`);
  return Number(v);
}

interface Holder {
  pid: number;
  host: string;
  mtimeMs: number;
}

function readHolder(path: string): Holder | undefined {
  try {
    const st = statSync(path);
    const [pid, host] = readFileSync(path, "utf8").split(" ");
    return { pid: Number(pid), host: host ?? "", mtimeMs: st.mtimeMs };
  } catch {
    return undefined;
  }
}

/** How long a lock file may stay empty before it counts as left by a crash. */
const EMPTY_LOCK_STALE_MS = 2000;

function isStale(h: Holder, staleMs: number): boolean {
  const age = Date.now() - h.mtimeMs;
  if (age > staleMs) return true;
  // A half-written lock (killed between the create and the write just after it) has no pid. Its
  // holder writes within microseconds, so one still empty after a few seconds is abandoned.
  if (!Number.isInteger(h.pid) || h.pid <= 0) return age > EMPTY_LOCK_STALE_MS;
  return h.host === hostname() && !isAlive(h.pid);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Takes the lock on `target`, waiting up to `HUSH_LOCK_TIMEOUT_MS`. Taking a lock this process
 * already holds succeeds (counted; each `release()` gives one back).
 */
export async function lockFile(target: string, env: NodeJS.ProcessEnv = process.env): Promise<FileLock> {
  const path = lockPathFor(target);
  const timeoutMs = envMs(env, "HUSH_LOCK_TIMEOUT_MS", 5000);
  const staleMs = envMs(env, "HUSH_LOCK_STALE_MS", 600_000);
  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return handle(path);
  }
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") {
        // A directory we cannot write to: the write itself would fail the same way; say it once, there.
        if (code === "EACCES" || code === "EROFS" || code === "EPERM" || code === "ENOENT" || code === "ENOTDIR") return { path, release() {} };
        throw new HushError("CANNOT_WRITE_OUTPUT", `cannot create the lock ${path}: ${code ?? "failed"}`);
      }
      const holder = readHolder(path);
      if (holder && isStale(holder, staleMs)) {
        // Re-read just before removing: another waiter may have replaced it with a live lock.
        const again = readHolder(path);
        if (again && again.pid === holder.pid && again.mtimeMs === holder.mtimeMs) {
          try {
            unlinkSync(path);
          } catch {
            // someone else removed it first
          }
        }
        continue;
      }
      if (Date.now() >= deadline) {
        const who = holder && Number.isInteger(holder.pid) ? ` by process ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ""}` : "";
        throw new HushError(
          "LOCKED",
          `${target} is being changed by another hush command (locked${who})`,
          `try again; a lock left by a crash is removed once its process is gone (or delete ${path}); HUSH_LOCK_TIMEOUT_MS sets the wait`,
        );
      }
      // Jittered polling: waiters do not all retry at the same instant.
      await sleep(Math.min(200, 20 + attempt * 10) + Math.floor(Math.random() * 20));
      continue;
    }
    try {
      writeSync(fd, `${process.pid} ${hostname()} ${new Date().toISOString()}\n`);
    } finally {
      closeSync(fd);
    }
    // Refresh while held, so a long edit's lock never looks abandoned.
    const timer = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        // removed under us: nothing to refresh
      }
    }, Math.max(1000, Math.min(30_000, staleMs / 4)));
    timer.unref();
    held.set(path, { count: 1, timer });
    if (!exitHook) {
      exitHook = true;
      process.on("exit", releaseAll);
    }
    return handle(path);
  }
}

function handle(path: string): FileLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const h = held.get(path);
      if (!h || --h.count > 0) return;
      clearInterval(h.timer);
      held.delete(path);
      removeIfMine(path);
    },
  };
}

function removeIfMine(path: string): void {
  const h = readHolder(path);
  if (h && h.pid !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function releaseAll(): void {
  for (const [path, h] of held) {
    clearInterval(h.timer);
    removeIfMine(path);
  }
  held.clear();
}

/** Runs `fn` holding the lock on `target`. */
export async function withFileLock<T>(target: string, fn: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const lock = await lockFile(target, env);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
