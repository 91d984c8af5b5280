/** Writing a command's result to standard output, waiting until it is flushed. */
import { writeResult } from "./streams.js";

/** Writes `text` to stdout; a closed pipe is a CANNOT_WRITE_OUTPUT error. */
export function writeStdout(text: string): Promise<void> {
  return writeResult(text, () => "cannot write to standard output");
}
