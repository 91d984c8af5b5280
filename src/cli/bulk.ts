/**
 * What the commands that work on many files share (`rotate`, `updatekeys`, `invite`, `revoke`,
 * `check`): expanding directories to the encrypted files below them, and a progress line on stderr
 * that is drawn only on a terminal (a log or a pipe gets the per-file lines alone).
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { HushError } from "../errors.js";

const SKIP_DIRS = new Set([".git", "node_modules"]);

/**
 * The files named, with each directory expanded (recursively, sorted, skipping `.git` and
 * `node_modules`) to the files below it that carry sops metadata. A file named explicitly is kept
 * whatever it holds, so that its own error is reported.
 */
export async function collectEncryptedFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (p: string, explicit: boolean): Promise<void> => {
    let st;
    try {
      st = await fsp.stat(p);
    } catch {
      throw new HushError("NO_FILE", `file not found: ${p}`);
    }
    if (st.isDirectory()) {
      const names = (await fsp.readdir(p)).sort();
      for (const n of names) if (!SKIP_DIRS.has(n)) await walk(join(p, n), false);
      return;
    }
    if (explicit) out.push(p);
    else {
      // In a directory, only files that carry sops metadata count.
      const head = (await fsp.readFile(p, "utf8")).slice(-4096);
      if (/sops|"mac"|sops_mac/.test(head)) out.push(p);
    }
  };
  for (const p of paths) await walk(p, true);
  return out;
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
