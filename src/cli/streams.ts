/**
 * hush's standard output and error: the handling of write errors every run installs first
 * (main.ts, fast.ts), and writing a command's result.
 *
 * Node creates `process.stdout` and `process.stderr` on first use, and creating one costs several
 * ms for a pipe or a terminal (net and tty load); `git diff` runs the textconv with both as pipes.
 * So the error handler is attached when a stream is created, not by creating it, and a result is
 * written straight to descriptor 1 while nothing else has created `process.stdout`.
 */
import { writeSync } from "node:fs";
import { HushError } from "../errors.js";

type StreamName = "stdout" | "stderr";

/** Whether guardOutputStreams ran (the CLI), and which streams exist since. */
let guarded = false;
const created: Record<StreamName, boolean> = { stdout: false, stderr: false };

/**
 * A failed write: `hush … | head` (a closed pipe) ends quietly, as for any Unix tool; anything else
 * (a full disk, an I/O error, a closed descriptor) is one line and sops's exit 3, never a trace.
 */
function outputFailed(name: StreamName, e: NodeJS.ErrnoException): never {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  if (name === "stdout") process.stderr.write(`hush: error: cannot write to standard output: ${e.code ?? "write failed"}\n`);
  process.exit(3);
}

/** Installs the write error handling of both streams, each when it is first created. */
export function guardOutputStreams(): void {
  guarded = true;
  for (const name of ["stdout", "stderr"] as const) {
    const attach = (s: NodeJS.WriteStream) => {
      created[name] = true;
      s.on("error", (e: NodeJS.ErrnoException) => outputFailed(name, e));
      return s;
    };
    const d = Object.getOwnPropertyDescriptor(process, name);
    const get = d?.get;
    if (!d || !get || !d.configurable) {
      attach(process[name]);
      continue;
    }
    // Node's getter creates the stream once and returns it from then on; ours hands it over with
    // the handler attached, then puts Node's back.
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: d.enumerable ?? true,
      get() {
        Object.defineProperty(process, name, d);
        return attach(get.call(process) as NodeJS.WriteStream);
      },
    });
  }
}

/** Writes through `process.stdout`, waiting until the data is handed to the system. */
function writeStream(data: string | Uint8Array, message: (code: string | undefined) => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(data, (err) => (err ? reject(new HushError("CANNOT_WRITE_OUTPUT", message((err as NodeJS.ErrnoException).code))) : resolve()));
  });
}

/**
 * Writes a command's result to standard output. While no one has created `process.stdout`, by
 * `write(2)` on descriptor 1 (as the stream would for a file or a blocking pipe, without loading
 * it); a pipe that is full and non-blocking (EAGAIN) gets the rest through the stream. `message`
 * words a failure the stream reports to the callback (its error handler usually exits first).
 */
export async function writeResult(data: string | Uint8Array, message: (code: string | undefined) => string): Promise<void> {
  if (!guarded || created.stdout) return writeStream(data, message);
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let at = 0;
  try {
    while (at < buf.length) at += writeSync(1, buf, at, buf.length - at);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EAGAIN") outputFailed("stdout", e as NodeJS.ErrnoException);
  }
  return writeStream(buf.subarray(at), message);
}
