/** File helpers: atomic writes that keep the file mode, and reading input with clear errors. */
import { randomBytes } from "node:crypto";
import { promises as fsp, constants } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HushError } from "../errors.js";

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, fsync, then rename over
 * the target. An existing file keeps its mode; a new one gets `mode` (default 0600: hush writes
 * secrets). The temp file never outlives a failed write.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  let finalMode = mode;
  try {
    finalMode = (await fsp.stat(path)).mode & 0o7777;
  } catch {
    // new file
  }
  const tmp = join(dirname(path), `.${basename(path)}.hush-${randomBytes(6).toString("hex")}.tmp`);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, finalMode);
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
