/**
 * Running the user's command for `exec-env` and `exec-file`: found on PATH up front (so a typo is
 * one clear line and exit 127, as in a shell), stdio inherited (a terminal stays a terminal),
 * signals forwarded, and the exit status reported as a shell would (the code, or 128 + signal).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { delimiter, join } from "node:path";
import { isatty } from "node:tty";
import { HushError } from "../errors.js";

/**
 * Signals passed on to the child. Without this, `kill <hush>` (what a supervisor, `docker stop` or
 * systemd does) would end hush and leave the command running, orphaned (a common complaint about
 * `sops exec-env`).
 */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT",
  // Every other signal a process can catch whose default would end or be lost on hush: reload
  // (USR1/USR2), terminal resize, continue, timers, I/O, power. Not KILL/STOP (cannot be caught),
  // not the job-control stops TSTP/TTIN/TTOU (hush must stop with its child, so the shell sees
  // the job stop), not CHLD/PIPE (hush's own), not the synchronous faults (SEGV, BUS, FPE, ILL).
  "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR", "SIGURG", "SIGXCPU", "SIGXFSZ",
];

/** How the command ended. */
export interface ChildExit {
  /** The exit status to propagate: the child's code, or 128 + the signal number. */
  readonly code: number;
  /** The signal that killed the child, if one did. */
  readonly signal: NodeJS.Signals | null;
}

export interface RunChildOptions {
  /** The child's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Where to look the command up (default: hush's own `PATH`, even when the child's env is pristine). */
  path?: string | undefined;
}

/**
 * The executable a command name refers to, as `execvp` would find it. Names with a `/` are used as
 * given. Looking it up ourselves lets `--pristine` (no PATH in the child's env) still find `node`.
 */
function resolveCommand(command: string, searchPath: string | undefined = process.env["PATH"]): string {
  if (command === "") throw new HushError("USAGE", "no command given");
  if (command.includes("/")) {
    checkExecutable(command, command);
    return command;
  }
  let denied = false;
  for (const dir of (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    const candidate = join(dir === "" ? "." : dir, command);
    try {
      // (a missing file, the common case, returns undefined rather than throwing, which costs more)
      if (!statSync(candidate, { throwIfNoEntry: false })?.isFile()) continue;
    } catch {
      continue;
    }
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      denied = true;
    }
  }
  if (denied) throw new HushError("COMMAND_NOT_EXECUTABLE", `${command}: permission denied`);
  throw new HushError("COMMAND_NOT_FOUND", `command not found: ${command}`, "check the name, or give the program's path");
}

function checkExecutable(path: string, name: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new HushError("COMMAND_NOT_FOUND", `command not found: ${name}`);
  }
  if (!isFile) throw new HushError("COMMAND_NOT_EXECUTABLE", `${name}: not a regular file`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new HushError("COMMAND_NOT_EXECUTABLE", `${name}: permission denied`);
  }
}

/**
 * Runs `command args…` with stdio inherited and waits for it. While it runs, hush does not die of
 * the forwarded signals: it passes them on and exits when the child does.
 *
 * SIGINT and SIGQUIT are not forwarded when standard input is a terminal: the terminal sends
 * Ctrl-C and Ctrl-\ to the whole foreground process group, child included, and a second copy makes
 * many programs skip their graceful shutdown ("press Ctrl-C again to force").
 */
export function runChild(command: string, args: readonly string[], options: RunChildOptions): Promise<ChildExit> {
  const file = resolveCommand(command, options.path ?? process.env["PATH"]);
  return new Promise<ChildExit>((resolve, reject) => {
    const child = spawn(file, args, { stdio: "inherit", env: options.env, argv0: command });
    const fromTerminal = isatty(0);
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const sig of FORWARDED_SIGNALS) {
      const h = () => {
        if (fromTerminal && (sig === "SIGINT" || sig === "SIGQUIT")) return;
        child.kill(sig);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    const stop = () => {
      for (const [sig, h] of handlers) process.off(sig, h);
    };
    child.once("error", (e: NodeJS.ErrnoException) => {
      // Only reached when the process could not be started (ENOENT after a race, EACCES, E2BIG…).
      stop();
      if (e.code === "ENOENT") reject(new HushError("COMMAND_NOT_FOUND", `command not found: ${command}`));
      else if (e.code === "EACCES") reject(new HushError("COMMAND_NOT_EXECUTABLE", `${command}: permission denied`));
      else if (e.code === "E2BIG") reject(new HushError("GENERIC", `cannot start ${command}: the environment and arguments are too large (E2BIG)`));
      else reject(new HushError("GENERIC", `cannot start ${command}: ${e.code ?? "spawn failed"}`));
    });
    child.once("exit", (code, signal) => {
      stop();
      if (signal) resolve({ code: 128 + (osConstants.signals[signal] ?? 0), signal });
      else resolve({ code: code ?? 1, signal: null });
    });
  });
}
