/** Prints an error as `hush: error: …` (and `hush: hint: …`), never a stack trace. */
import { HushError } from "../errors.js";

/** Writes the error to stderr and returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof HushError) {
    process.stderr.write(`hush: error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hush: hint: ${e.hint}\n`);
    return e.exitCode;
  }
  // Not ours: say so plainly, without the message (it may quote input) unless debugging.
  const name = e instanceof Error ? e.name : typeof e;
  process.stderr.write(`hush: internal error (${name}); please report it. Set HUSH_DEBUG=1 for details.\n`);
  if (process.env["HUSH_DEBUG"]) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  return 1;
}
