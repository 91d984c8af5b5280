/** File helpers: atomic writes that keep the file mode, and reading input with clear errors. */
import { randomBytes } from "node:crypto";
import { promises as fsp, accessSync, closeSync, constants, fchmodSync, fstatSync, fsync, mkdtempSync, open, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { HushError } from "../errors.js";
import { warn } from "./warn.js";

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, fsync, then rename over
 * the target. An existing file keeps its mode; a new one gets `mode` (default 0600: hush writes
 * secrets). The temp file never outlives a failed write.
 *
 * What is replaced is always a regular file: a symlink is followed and its target replaced (the
 * link stays a link); anything else that is not a regular file (a device such as /dev/null, a
 * FIFO, a terminal, /dev/stdout or a /proc/self/fd/N link to a pipe) is opened and written
 * through, never replaced (see {@link resolveWriteTarget}).
 *
 * A process killed between creating the temp file and the rename (SIGKILL, power loss) leaves it
 * behind, and after `decrypt -i` it holds plaintext. So the temp file is 0600 until just before
 * the rename whatever the target's mode, and it is named `.<name>.hush-<pid>-<random>.tmp`: the
 * next write of the same file removes any such file whose process is gone.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const target = await resolveWriteTarget(path);
  if (target.through) return writeThrough(path, target.path, data);
  path = target.path;
  const finalMode = target.mode ?? mode;
  await removeStaleTemps(path);
  const tmp = join(dirname(path), `.${basename(path)}.hush-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.chmod(tmp, finalMode);
    await fsp.rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`, undefined, { cause: e });
  }
}

/**
 * {@link writeFileAtomic} for a file the caller has just found, under its lock, to be a regular
 * file under its own name (no symlink) with permission bits `mode` (an lstat): the same steps
 * and guarantees — a 0600 temp file beside it, written, fsync'd, given `mode` on the open file
 * just before the rename over the target, removed on failure — without resolving the target
 * again. The calls are synchronous but the create and the fsync: a run over 1,000 files spent more
 * CPU handing each call to the thread pool and back than in the calls themselves (issue 20); the
 * two that wait for the disk still run in the pool, so a slow disk serves several files at once.
 */
export async function replaceRegularFile(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await removeStaleTemps(path);
  const tmp = join(dirname(path), `.${basename(path)}.hush-${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    // Creating the inode is the dearest call of a re-key (and the one a busy disk stalls): it runs
    // in the pool too, so the event loop keeps serving the other files meanwhile.
    fd = await new Promise<number>((resolve, reject) =>
      open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600, (e, d) => (e ? reject(e) : resolve(d))),
    );
    writeFileSync(fd, data);
    const opened = fd;
    await new Promise<void>((resolve, reject) => fsync(opened, (e) => (e ? reject(e) : resolve())));
    fchmodSync(fd, mode & 0o7777);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or gone
    }
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`, undefined, { cause: e });
  }
}

/**
 * Directory listings for {@link removeStaleTemps}, kept a few seconds: a run that writes 1,000
 * files of one directory lists it once, not 1,000 times (a quadratic cost). A stale temp file is
 * one whose process is gone, so one listed at the start is as good as one listed now; a file left
 * by a process that dies during the run is cleaned by a later run.
 */
const listings = new Map<string, { at: number; names: Promise<string[]> }>();
const LISTING_TTL_MS = 5_000;

function listDir(dir: string): Promise<string[]> {
  const now = Date.now();
  const hit = listings.get(dir);
  if (hit && now - hit.at < LISTING_TTL_MS) return hit.names;
  if (listings.size > 64) listings.clear();
  // Only the temp files matter: a directory of 1,000 files is scanned once, not once per write.
  const names = fsp.readdir(dir).then((all) => all.filter((n) => n.endsWith(".tmp") && n.includes(".hush-")));
  listings.set(dir, { at: now, names });
  names.catch(() => listings.delete(dir));
  return names;
}

/** Where a write to a path goes: a regular file to replace (new or existing), or something to write through. */
type WriteTarget = { through: false; path: string; mode?: number } | { through: true; path: string };

/** /dev/stdout, /dev/fd/N, /proc/self/fd/N…: names for an open descriptor, whatever it is. */
const FD_LINK = /^\/(?:dev\/(?:stdout|stderr|stdin|fd\/\d+)|proc\/(?:self|thread-self|\d+)\/fd\/\d+)$/;

/**
 * Resolves `path` for writing: follows symlinks one hop at a time (so a dangling link creates its
 * target, as `sops -o` does), stops at descriptor links (their target may be a pipe with no path),
 * and says whether the final thing is a regular file (replace it) or not (write through).
 */
async function resolveWriteTarget(path: string): Promise<WriteTarget> {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    if (FD_LINK.test(p)) return { through: true, path: p };
    let st;
    try {
      st = await fsp.lstat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return { through: false, path: p };
      throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${path}: ${code ?? "stat failed"}`);
    }
    if (st.isSymbolicLink()) {
      p = resolve(dirname(p), await fsp.readlink(p));
      continue;
    }
    if (st.isFile()) return { through: false, path: p, mode: st.mode & 0o7777 };
    if (st.isDirectory()) throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${path}: it is a directory`);
    return { through: true, path: p };
  }
  throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${path}: too many levels of symbolic links`);
}

/**
 * Writes into an existing non-regular file (device, FIFO, terminal, descriptor link) as `sops -o`
 * does: opened for writing (truncated where that means anything), never created or renamed over.
 */
async function writeThrough(shown: string, path: string, data: string | Uint8Array): Promise<void> {
  const own = ownDescriptor(path);
  if (own !== undefined) return writeDescriptor(shown, own, data);
  let handle: fsp.FileHandle | undefined;
  try {
    // No O_CREAT: a descriptor link or device that vanished must not become a new regular file.
    handle = await fsp.open(path, constants.O_WRONLY | constants.O_TRUNC);
    await handle.writeFile(data);
    await handle.close();
    handle = undefined;
  } catch (e) {
    await handle?.close().catch(() => {});
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${shown}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`, undefined, { cause: e });
  }
}

/**
 * The descriptor a link names when it is one of this process's own (/dev/stdout, /dev/fd/1,
 * /proc/self/fd/1…). It is written directly: reopening it through /proc fails for a socket (ENXIO;
 * Node's own pipes are socket pairs) and would not share the shell's file offset.
 */
function ownDescriptor(path: string): number | undefined {
  const m = /^\/(?:dev\/(stdout|stderr|fd\/(\d+))|proc\/(self|thread-self|\d+)\/fd\/(\d+))$/.exec(path);
  if (!m) return undefined;
  if (m[1] === "stdout") return 1;
  if (m[1] === "stderr") return 2;
  if (m[2] !== undefined) return Number(m[2]);
  if (m[3] === "self" || m[3] === "thread-self" || Number(m[3]) === process.pid) return Number(m[4]);
  return undefined;
}

async function writeDescriptor(shown: string, fd: number, data: string | Uint8Array): Promise<void> {
  const stream = fd === 1 ? process.stdout : fd === 2 ? process.stderr : undefined;
  if (stream) {
    await new Promise<void>((resolve, reject) =>
      stream.write(data, (err) =>
        err ? reject(new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${shown}: ${(err as NodeJS.ErrnoException).code ?? "write failed"}`)) : resolve(),
      ),
    );
    return;
  }
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  try {
    for (let at = 0; at < buf.length; ) {
      try {
        at += writeSync(fd, buf, at, buf.length - at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  } catch (e) {
    throw new HushError("CANNOT_WRITE_OUTPUT", `cannot write ${shown}: ${(e as NodeJS.ErrnoException).code ?? "write failed"}`);
  }
}

/** Removes temp files a killed hush left for `path` (see {@link writeFileAtomic}); best effort. */
async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `.${basename(path)}.hush-`;
  let names: string[];
  try {
    names = await listDir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length));
    if (!m || isAlive(Number(m[1]))) continue;
    await fsp.unlink(join(dirname(path), name)).catch(() => {});
  }
}

/** True when process `pid` exists on this host (ours counts; EPERM means it exists, not ours). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads a whole file as bytes; `-` reads standard input. */
export async function readInput(path: string): Promise<Buffer> {
  if (path === "-") {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  return readFileWhole(path);
}

/**
 * Reads a whole file as bytes, synchronously: a command reads one input, and the asynchronous
 * read costs ~2 ms more at start-up (fs/promises and libuv's thread pool, started for it alone).
 */
function readFileWhole(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new HushError("NO_FILE", `file not found: ${path}`);
    if (code === "EISDIR") throw new HushError("CANNOT_READ_INPUT", `${path} is a directory`);
    throw new HushError("CANNOT_READ_INPUT", `cannot read ${path}: ${code ?? "read failed"}`);
  }
}

/** One line for a failed file read, from its errno code (for lists of key files tried). */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "not a directory in the path";
    default:
      return `cannot read${code ? ` (${code})` : ""}`;
  }
}

/**
 * True when standard output was closed when hush started (`hush decrypt f >&-`). Node reopens a
 * closed descriptor 0–2 on /dev/null, read-write, before any script runs, so writes "succeed" into
 * nothing; a shell's `> /dev/null` opens it write-only. A /dev/null stdout opened read-write by the
 * parent (Python's `subprocess.DEVNULL`, Node's `stdio: "ignore"`) looks the same and is refused
 * too: to discard the output, redirect with `> /dev/null` or pass `-o /dev/null`. Linux only (it
 * reads /proc/self/fdinfo); elsewhere false.
 */
export function stdoutLooksClosed(): boolean {
  try {
    const st = fstatSync(1);
    // /dev/null is character device 1:3 on Linux
    if (!st.isCharacterDevice() || st.rdev !== 259) return false;
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync("/proc/self/fdinfo/1", "utf8"));
    return m !== null && (parseInt(m[1]!, 8) & 3) === 2;
  } catch {
    return false;
  }
}

/**
 * A new private (0700) directory for plaintext that must exist as a file for a moment (`edit`'s
 * copy): in `$XDG_RUNTIME_DIR` or `/dev/shm` when there is one (memory-backed on Linux, so the
 * plaintext never reaches a disk), else the system temp directory.
 */
export function privateTempDir(prefix: string, env: NodeJS.ProcessEnv = process.env): string {
  for (const base of [env["XDG_RUNTIME_DIR"], "/dev/shm", tmpdir()]) {
    if (!base) continue;
    try {
      if (!statSync(base).isDirectory()) continue;
      accessSync(base, constants.W_OK | constants.X_OK);
      return mkdtempSync(join(base, prefix));
    } catch {
      // try the next place
    }
  }
  throw new HushError("CANNOT_WRITE_OUTPUT", "cannot create a private temporary directory");
}

/**
 * Why key files others can read are refused, or undefined when they are only warned about:
 * `--strict` (which sets `HUSH_STRICT=1`), `HUSH_STRICT=1`, or a CI run (`CI=true`, as GitHub,
 * GitLab and most runners set), where a key file is written by a script and nobody reads a warning.
 * `HUSH_STRICT=0` turns it off, CI included.
 */
function strictReason(env: NodeJS.ProcessEnv): string | undefined {
  const strict = env["HUSH_STRICT"];
  if (strict === "1") return "--strict or HUSH_STRICT=1";
  if (strict === "0") return undefined;
  const ci = (env["CI"] ?? "").toLowerCase();
  return ci === "true" || ci === "1" ? "CI=true; HUSH_STRICT=0 allows it" : undefined;
}

/**
 * The check ssh makes of a private key file: one that other users can read is reported. By
 * default a warning (sops reads such files silently); under `--strict`, `HUSH_STRICT=1` or CI
 * ({@link strictReason}) the file is not used, and the returned problem line says why. Reads the
 * mode of the file itself (symlinks followed); Windows has no such modes.
 */
export async function keyFileExposure(path: string, source: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (process.platform === "win32") return undefined;
  let mode: number;
  try {
    // (synchronous: one stat needs no trip through libuv's thread pool, ~1 ms at start-up)
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined; // the read reports it
  }
  if ((mode & 0o044) === 0) return undefined;
  const who = mode & 0o004 ? "any user" : "its group";
  const what = `${source} is readable by ${who} (mode ${mode.toString(8).padStart(4, "0")})`;
  const strict = strictReason(env);
  if (strict) return `${what}: not used (${strict}); chmod 600 it`;
  warn(`${what}: anyone who can read it can decrypt your files; chmod 600 it (--strict refuses such files, as do CI runs)`, env);
  return undefined;
}
