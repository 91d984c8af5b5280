/** File helpers: atomic writes that keep the file mode, and reading input with clear errors. */
import { randomBytes } from "node:crypto";
import { promises as fsp, constants } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HushError } from "../errors.js";

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, fsync, then rename over
 * the target. An existing file keeps its mode; a new one gets `mode` (default 0600: hush writes
 * secrets). The temp file never outlives a failed write.
 *
 * A process killed between creating the temp file and the rename (SIGKILL, power loss) leaves it
 * behind, and after `decrypt -i` it holds plaintext. So the temp file is 0600 until just before
 * the rename whatever the target's mode, and it is named `.<name>.hush-<pid>-<random>.tmp`: the
 * next write of the same file removes any such file whose process is gone.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  let finalMode = mode;
  try {
    finalMode = (await fsp.stat(path)).mode & 0o7777;
  } catch {
    // new file
  }
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
  const names = fsp.readdir(dir);
  listings.set(dir, { at: now, names });
  names.catch(() => listings.delete(dir));
  return names;
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

function isAlive(pid: number): boolean {
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
  try {
    return await fsp.readFile(path);
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
