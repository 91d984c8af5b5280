/** Writing a command's result to standard output, waiting until it is flushed. */
import { HushError } from "../errors.js";

/** Writes `text` to stdout; a closed pipe is a CANNOT_WRITE_OUTPUT error. */
export function writeStdout(text: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(new HushError("CANNOT_WRITE_OUTPUT", "cannot write to standard output")) : resolve()));
  });
}
