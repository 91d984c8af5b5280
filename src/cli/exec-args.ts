/**
 * Operands of `exec-env` and `exec-file`: `[FILE] -- COMMAND [ARGS…]`, or sops's form
 * `FILE 'COMMAND STRING'` (run with `/bin/sh -c`, as sops does).
 */
import type { Command } from "commander";
import { HushError } from "../errors.js";

/**
 * Splits the operands at the `--` the user typed. commander drops that `--` from the operands, so
 * it is found in the raw arguments: the first `--` whose following arguments are exactly the tail
 * of the operands (an option's value that happens to be `--` is not followed by the operands).
 */
function splitAtDoubleDash(raw: readonly string[], operands: readonly string[]): { before: string[]; after: string[] | undefined } {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== "--") continue;
    const tail = raw.slice(i + 1);
    if (tail.length > operands.length) continue;
    const start = operands.length - tail.length;
    if (tail.every((a, j) => a === operands[start + j])) return { before: operands.slice(0, start), after: tail };
  }
  return { before: [...operands], after: undefined };
}

/** The files and the command to run, from a command's operands. */
export function execOperands(cmd: Command, operands: readonly string[], flagFiles: readonly string[], name: string): { files: string[]; command: string[] } {
  // `rawArgs` (the argv given to parse) is set by commander but missing from its typings.
  const raw = (cmd.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [];
  const { before, after } = splitAtDoubleDash(raw, operands);
  if (after !== undefined) {
    if (after.length === 0) throw new HushError("USAGE", "no command after --");
    if (before.length > 1) {
      throw new HushError("USAGE", `expected at most one file before --, got ${before.length}`, `use -f for several files: hush ${name} -f a.enc.yaml -f b.enc.yaml -- cmd`);
    }
    return { files: [...before, ...flagFiles], command: after };
  }
  // sops's form: the command is one shell string.
  const expected = flagFiles.length > 0 ? 1 : 2;
  if (before.length !== expected) {
    throw new HushError(
      "USAGE",
      before.length < expected ? "no command given" : "too many arguments",
      `put the command after --: hush ${name} secrets.enc.yaml -- node app.js`,
    );
  }
  const files = flagFiles.length > 0 ? [...flagFiles] : [before[0]!];
  return { files, command: ["/bin/sh", "-c", before[expected - 1]!] };
}

/**
 * Passes the command's exit status on as hush's own. A child's failure is not hush's error, so
 * nothing is printed for a non-zero code; a death by signal gets one line, as a shell would print
 * ("Killed"), except for SIGINT and SIGPIPE, which shells leave silent too.
 */
export function propagateExit(exit: { code: number; signal: NodeJS.Signals | null }): void {
  if (exit.signal && exit.signal !== "SIGINT" && exit.signal !== "SIGPIPE") {
    process.stderr.write(`hush: the command was killed by ${exit.signal}\n`);
  }
  process.exitCode = exit.code;
}
