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
 *
 * A process that locks many files of one directory (updatekeys, rotate, invite over a repository)
 * does not create a new lock file for each: creating an inode is the dearest file system call of
 * a re-key on some disks (0.4–0.7 ms of system time here, issue 20), a hard link ~20 µs. From the
 * second lock in a directory on, it writes `pid host time` once into a holder file
 * `.hush-holder-<pid>-<hex>` there and takes each lock by linking it to the lock's name: link(2)
 * fails with EEXIST like an O_EXCL create, and every reader sees the same `pid host time` in the
 * same place, so older hush versions and the stale rules above work unchanged. The holder file
 * stays open (its inode cannot be reused while held), so a lock is known to be ours at release by
 * its device and inode number, without reading it back. Where links are not supported, or fail,
 * it creates lock files as before.
 */
import { closeSync, fstatSync, futimesSync, linkSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, statSync, unlinkSync, utimesSync, writeSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
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

/** A held lock: how many times taken, its refresh timer, and the holder inode it is a link to (if it is one). */
const held = new Map<string, { count: number; timer: NodeJS.Timeout; link?: HolderFile }>();
let exitHook = false;

/** The lock file for `target`: beside the real file, so a symlink and its target share it. */
function lockPathFor(target: string): string {
  let real = resolve(target);
  try {
    // The C realpath: one call, not an lstat per path component from JavaScript.
    real = realpathSync.native(target);
  } catch {
    // a new file: the directory's real path
    try {
      real = join(realpathSync.native(dirname(target)), basename(target));
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

/** The line a lock holds: who holds it (the stale rules read the pid and host). */
const holderLine = (): string => `${process.pid} ${hostname()} ${new Date().toISOString()}\n`;

/** This process's holder file in one directory: the inode its locks there are hard links to. */
interface HolderFile {
  readonly path: string;
  /** Kept open while it may be linked: the inode, and so its number, cannot be reused meanwhile. */
  readonly fd: number;
  readonly dev: bigint;
  readonly ino: bigint;
  /** When its mtime was last set (ms since the epoch). */
  touched: number;
}

/** Per directory (of lock files): this process's locks there and its holder file. */
interface DirLocks {
  /** Locks taken there so far (the first is created; links from the second on). */
  taken: number;
  /** Locks held there now. */
  held: number;
  holder?: HolderFile;
  /** Links failed there (unsupported, or the holder file is gone): lock files are created. */
  noLinks: boolean;
  /** Removes the holder file once no lock there has been held for a while. */
  retire?: NodeJS.Timeout;
}

const dirs = new Map<string, DirLocks>();
const HOLDER_NAME = /^\.hush-holder-(\d+)-[0-9a-f]{12}$/;
/** How long a holder file outlives the last lock held in its directory (the next lock reuses it). */
const HOLDER_IDLE_MS = 2000;

/** Removes holder files left in `dir` by processes that are gone (this host) or long idle (any host). */
function removeLeftHolders(dir: string, staleMs: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = HOLDER_NAME.exec(name);
    if (!m || Number(m[1]) === process.pid) continue;
    const path = join(dir, name);
    const h = readHolder(path);
    // Removing a live process's holder is harmless (its locks are other names of the inode; its
    // next link fails and it creates lock files): the rules only keep the directory tidy.
    if (h && (Date.now() - h.mtimeMs > staleMs || (h.host === hostname() && !isAlive(h.pid)))) {
      try {
        unlinkSync(path);
      } catch {
        // gone already
      }
    }
  }
}

function newHolder(dir: string): HolderFile | undefined {
  const path = join(dir, `.hush-holder-${process.pid}-${randomBytes(6).toString("hex")}`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch {
    return undefined;
  }
  try {
    writeSync(fd, holderLine());
    const st = fstatSync(fd, { bigint: true });
    return { path, fd, dev: st.dev, ino: st.ino, touched: Date.now() };
  } catch {
    closeQuietly(fd);
    unlinkQuietly(path);
    return undefined;
  }
}

function retireHolder(d: DirLocks): void {
  if (d.retire) clearTimeout(d.retire);
  d.retire = undefined;
  const h = d.holder;
  if (!h) return;
  d.holder = undefined;
  unlinkQuietly(h.path);
  closeQuietly(h.fd);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/**
 * One attempt at taking the lock `path`: a hard link to this process's holder file in `dir` (from
 * the second lock there on), else a new lock file. "exists" when it is held by someone (or by a
 * stale lock); "unwritable" when the directory cannot take a lock at all.
 */
function tryTake(path: string, d: DirLocks, dir: string, staleMs: number): { link?: HolderFile } | "exists" | "unwritable" {
  if (d.taken > 1 && !d.noLinks) {
    d.holder ??= newHolder(dir);
    const h = d.holder;
    if (!h) d.noLinks = true;
    else {
      try {
        // The lock's age is the shared inode's mtime: a new link must not look old (nor near stale
        // under a short HUSH_LOCK_STALE_MS).
        const now = Date.now();
        if (now - h.touched >= Math.min(1000, staleMs / 4)) {
          futimesSync(h.fd, new Date(now), new Date(now));
          h.touched = now;
        }
        linkSync(h.path, path);
        return { link: h };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") return "exists";
        // No hard links here (or the holder file was removed, or too many links): lock files.
        d.noLinks = true;
      }
    }
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return "exists";
    // A directory we cannot write to: the write itself would fail the same way; say it once, there.
    if (code === "EACCES" || code === "EROFS" || code === "EPERM" || code === "ENOENT" || code === "ENOTDIR") return "unwritable";
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot create the lock ${path}: ${code ?? "failed"}`);
  }
  try {
    writeSync(fd, holderLine());
  } finally {
    closeSync(fd);
  }
  return {};
}

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
  const dir = dirname(path);
  let d = dirs.get(dir);
  if (!d) {
    dirs.set(dir, (d = { taken: 0, held: 0, noLinks: false }));
    // Once per directory: holder files of processes killed mid-run (a signal skips their exit
    // hook) go now, not only when the next many-file command links there.
    removeLeftHolders(dir, staleMs);
  }
  d.taken++;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const got = tryTake(path, d, dir, staleMs);
    if (got === "unwritable") return { path, release() {} };
    if (got === "exists") {
      const holder = readHolder(path);
      if (holder && isStale(holder, staleMs)) {
        // Re-read just before removing: another waiter may have replaced it with a live lock.
        const again = readHolder(path);
        if (again && again.pid === holder.pid && again.mtimeMs === holder.mtimeMs) unlinkQuietly(path);
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
    held.set(path, { count: 1, timer, ...(got.link ? { link: got.link } : {}) });
    d.held++;
    if (d.retire) {
      clearTimeout(d.retire);
      d.retire = undefined;
    }
    if (!exitHook) {
      exitHook = true;
      process.on("exit", releaseAll);
      for (const sig of RELEASE_ON) process.once(sig, () => releaseOnSignal(sig));
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
      removeIfMine(path, h.link);
      const d = dirs.get(dirname(path));
      if (d && --d.held === 0 && d.holder) {
        d.retire = setTimeout(() => d.held === 0 && retireHolder(d), HOLDER_IDLE_MS);
        d.retire.unref();
      }
    },
  };
}

/**
 * Removes the lock `path` if it is still this process's: a link to `link` (known by device and
 * inode, which the open holder file keeps from being reused), or a lock file holding our pid.
 * Another process may have taken it over as stale meanwhile; then it is theirs and stays.
 */
function removeIfMine(path: string, link?: HolderFile): void {
  if (link) {
    try {
      const st = lstatSync(path, { bigint: true });
      if (st.dev !== link.dev || st.ino !== link.ino) return;
    } catch {
      return;
    }
  } else {
    const h = readHolder(path);
    if (h && h.pid !== process.pid) return;
  }
  unlinkQuietly(path);
}

/** Signals that end a process by default: its locks and holder files are removed first. */
const RELEASE_ON: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * A signal skips the exit hook, which left a Ctrl-C'd many-file command's locks and holder files
 * in the working tree. Unless a command handles the signal itself (edit restores the file and
 * exits, which runs the exit hook), the locks go and the signal is raised again with this
 * listener gone, so the process ends as the signal's default would (128 + n for the shell).
 */
function releaseOnSignal(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) > 0) return; // its handler exits, and the exit hook releases
  releaseAll();
  process.kill(process.pid, sig);
}

function releaseAll(): void {
  for (const [path, h] of held) {
    clearInterval(h.timer);
    removeIfMine(path, h.link);
  }
  held.clear();
  for (const d of dirs.values()) retireHolder(d);
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
