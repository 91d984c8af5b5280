/**
 * What the commands that work on many files share (`rotate`, `updatekeys`, `invite`, `revoke`,
 * `check`): expanding directories to the encrypted files below them, and a progress line on stderr
 * that is drawn only on a terminal (a log or a pipe gets the per-file lines alone).
 */
import { closeSync, fstatSync, lstatSync, openSync, promises as fsp, readFileSync, type BigIntStats } from "node:fs";
import { join } from "node:path";
import { HushError } from "../errors.js";

const SKIP_DIRS = new Set([".git", "node_modules"]);

/** What identifies the contents of a file read: the same inode, size, mtime and ctime (ns). */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** A file's text as read, and the identity of what was read ({@link unchangedSince}). */
export interface ReadText {
  readonly text: string;
  readonly id: FileIdentity;
}

const identity = (st: BigIntStats): FileIdentity => ({ dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });

/**
 * Reads a file as UTF-8 with the identity of what was read: open, fstat, read, close — the same
 * system calls as `readFile`, which takes an fstat for the size anyway. Synchronous on purpose:
 * a run over 1,000 small files spent more CPU handing four calls per file to the thread pool and
 * back than in the calls themselves (issue 20); a configuration file reads in microseconds.
 */
export function readTextWithIdentity(path: string): ReadText {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd, { bigint: true });
    return { text: readFileSync(fd, "utf8"), id: identity(st) };
  } finally {
    closeSync(fd);
  }
}

/**
 * The permission bits of `path` when it is still, under its own name, the regular file that was
 * read as `id`; undefined otherwise (changed, replaced, gone, or a symlink: the caller then reads
 * it again and writes through the general path). Every hush writer replaces a file by rename (a
 * new inode); an in-place writer changes its size or mtime/ctime. One lstat, under the file's
 * lock, instead of reading the whole file again, and it also tells the writer what it would have
 * looked up (issue 20: updatekeys over 1,000 files).
 */
export function modeIfUnchanged(path: string, id: FileIdentity): number | undefined {
  try {
    const st = lstatSync(path, { bigint: true });
    const now = identity(st);
    const same = st.isFile() && now.dev === id.dev && now.ino === id.ino && now.size === id.size && now.mtimeNs === id.mtimeNs && now.ctimeNs === id.ctimeNs;
    return same ? Number(st.mode & 0o7777n) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The files named, with each directory expanded (recursively, sorted, skipping `.git` and
 * `node_modules`) to the files below it that carry sops metadata. A file named explicitly is kept
 * whatever it holds, so that its own error is reported. A file found in a directory was read to
 * see that it is encrypted: its text comes along in `texts` (with its identity), so a command
 * reads it only once.
 */
export async function collectEncryptedTexts(paths: readonly string[]): Promise<{ files: string[]; texts: Map<string, ReadText> }> {
  const out: string[] = [];
  const texts = new Map<string, ReadText>();
  const visit = async (p: string, type: "dir" | "file" | "unknown", explicit: boolean): Promise<void> => {
    if (type === "unknown") {
      // A name given, or a symlink or odd entry in a directory: what it points to decides.
      let st;
      try {
        st = await fsp.stat(p);
      } catch {
        throw new HushError("NO_FILE", `file not found: ${p}`);
      }
      type = st.isDirectory() ? "dir" : "file";
    }
    if (type === "dir") {
      // One listing with the entry types: no stat per file (issue 20).
      const entries = (await fsp.readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        if (SKIP_DIRS.has(e.name)) continue;
        await visit(join(p, e.name), e.isDirectory() ? "dir" : e.isFile() ? "file" : "unknown", false);
      }
      return;
    }
    if (explicit) out.push(p);
    else {
      // In a directory, only files that carry sops metadata count.
      const read = readTextWithIdentity(p);
      if (/sops|"mac"|sops_mac/.test(read.text.slice(-4096))) {
        out.push(p);
        texts.set(p, read);
      }
    }
  };
  for (const p of paths) await visit(p, "unknown", true);
  return { files: out, texts };
}

/** A progress line for `total` files. */
export interface Progress {
  /** One more file done. */
  tick(): void;
  /** Ends the line (call once, also after failures). */
  end(): void;
}

/**
 * `[#####     ] 3/10 verb` on stderr, redrawn in place, when stderr is a terminal and there is
 * more than one file; otherwise nothing at all.
 */
export function progress(total: number, verb: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true || total < 2) return { tick() {}, end() {} };
  let done = 0;
  const width = 30;
  const draw = () => {
    const filled = Math.round((done / total) * width);
    stream.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total} ${verb}`);
  };
  draw();
  return {
    tick() {
      done++;
      draw();
    },
    end() {
      // Clear the line, so the per-file report that follows starts clean.
      stream.write("\r\x1b[K");
    },
  };
}

/**
 * An `onProgress(done, total)` callback for a library operation that reports its own count (team
 * commands, check), drawing {@link progress} on first use; `end()` clears the line if one was drawn.
 */
export function progressCallback(verb: string): { onProgress: (done: number, total: number) => void; end: () => void } {
  let bar: Progress | undefined;
  let shown = 0;
  return {
    onProgress(done, total) {
      bar ??= progress(total, verb);
      while (shown < done) {
        shown++;
        bar.tick();
      }
    },
    end() {
      bar?.end();
    },
  };
}
