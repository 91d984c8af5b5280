/**
 * Asking for a secret on the controlling terminal, as age's plugin terminal UI (which sops uses
 * for passphrases) does: `/dev/tty` itself, not stdin/stdout, which may be a pipe or the file
 * being written; echo off; one line. No terminal (CI, a daemon): {@link NoTerminal}, so the caller
 * can say what it needed and why it could not ask.
 */
import { openSync, closeSync } from "node:fs";

/** Thrown when there is no controlling terminal to ask on. */
export class NoTerminal extends Error {
  constructor() {
    super("no terminal");
  }
}

/**
 * Shows `prompt` on the terminal and reads one line with echo off. Ctrl-C or Ctrl-D rejects.
 * Throws {@link NoTerminal} when `/dev/tty` cannot be opened (or on Windows).
 */
export async function readSecretFromTerminal(prompt: string): Promise<string> {
  if (process.platform === "win32") throw new NoTerminal();
  let inFd: number;
  let outFd: number;
  try {
    inFd = openSync("/dev/tty", "r");
  } catch {
    throw new NoTerminal();
  }
  try {
    outFd = openSync("/dev/tty", "w");
  } catch {
    closeSync(inFd);
    throw new NoTerminal();
  }
  // Loaded only when asking (decrypting never needs it otherwise).
  const { ReadStream, WriteStream } = await import("node:tty");
  // One descriptor per stream: each stream closes its own when destroyed.
  const input = new ReadStream(inFd);
  const output = new WriteStream(outFd);
  try {
    input.setRawMode(true);
    output.write(prompt.endsWith(" ") ? prompt : `${prompt} `);
    return await new Promise<string>((resolve, reject) => {
      let line = "";
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") {
            input.off("data", onData);
            return resolve(line);
          }
          if (ch === "\u0003" || ch === "\u0004") {
            input.off("data", onData);
            return reject(new Error("cancelled"));
          }
          if (ch === "\u007f" || ch === "\b") line = line.slice(0, -1);
          else line += ch;
        }
      };
      input.on("data", onData);
    });
  } finally {
    try {
      input.setRawMode(false);
    } catch {
      // the terminal went away
    }
    output.end("\n");
    input.destroy();
  }
}
