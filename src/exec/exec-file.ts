/**
 * `exec-file`: run a command that reads the decrypted file from a path. `{}` in its arguments is
 * replaced by that path.
 *
 * By default the path is a FIFO: the plaintext goes through a kernel pipe to the first reader and
 * never reaches a disk. It can be read once, as with sops: a writer cannot tell when a reader has
 * closed its end, so serving a second reader could hand the first one the data twice. Programs that
 * read their input twice, seek in it or check its size get a regular file with `fifo: false`: mode
 * 0600 in a private directory, removed when the command exits, whatever way it exits.
 *
 * The directory (0700) is made in `$XDG_RUNTIME_DIR` or `/dev/shm` when there is one (both are
 * memory-backed on Linux), else in the system temp directory. Only a SIGKILL to hush itself can
 * leave it behind.
 */
import { execFileSync } from "node:child_process";
import { accessSync, closeSync, constants, mkdtempSync, openSync, rmSync, statSync } from "node:fs";
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { HushError } from "../errors.js";
import { decryptText, Keyring, readSource, type FormatName, type KeyringOptions } from "../lib/internal.js";
import { runChild, type ChildExit } from "./child.js";
import { withoutKeyEnv } from "./key-env.js";

export interface ExecFileOptions extends KeyringOptions {
  /** Input format (default: from the file name). */
  format?: FormatName;
  /** Format of the plaintext the command reads (default: the input's; then the layout is kept). */
  outputFormat?: FormatName;
  /** Serve the plaintext through a FIFO (default true); false: a 0600 temp file. */
  fifo?: boolean;
  /** The name of the FIFO or file in its private directory (default: the input's name without `.enc`). */
  filename?: string;
  ignoreMac?: boolean;
  /** Indentation when converting to another output format (YAML spaces; JSON spaces, -1 a tab). */
  indent?: number;
  keyring?: Keyring;
  /** The command's environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Keep key material variables in the command's environment (default: removed, see key-env.ts). */
  keepKeyEnv?: boolean;
}

const EXTENSIONS: Record<FormatName, string> = { yaml: ".yaml", json: ".json", dotenv: ".env", ini: ".ini", binary: "" };

/** The default name for the plaintext: `secrets.enc.yaml` → `secrets.yaml`. */
function plaintextName(file: string, inputFormat: FormatName, outputFormat: FormatName): string {
  let name = basename(file).replace(/\.enc(?=\.|$)/, "");
  if (name === "" || name === "-") name = "plaintext";
  if (outputFormat !== inputFormat) name = name.replace(/\.[^.]*$/, "") + EXTENSIONS[outputFormat];
  return name;
}

/** `--filename` must be a plain name: the file is created inside hush's private directory. */
function checkFilename(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new HushError("USAGE", `--filename must be a plain file name (no directories), got ${JSON.stringify(name)}`);
  }
}

/** Replaces `{}` in every argument with the path (sops replaces it in its command string). */
function substitutePath(command: readonly string[], path: string): string[] {
  return command.map((a) => a.replaceAll("{}", path));
}

/** A private (0700) directory, memory-backed when the system offers one. */
function privateDir(env: NodeJS.ProcessEnv): string {
  const candidates = [env["XDG_RUNTIME_DIR"], "/dev/shm", tmpdir()];
  for (const base of candidates) {
    if (!base) continue;
    try {
      if (!statSync(base).isDirectory()) continue;
      accessSync(base, constants.W_OK | constants.X_OK);
      return mkdtempSync(join(base, ".hush-"));
    } catch {
      // try the next place
    }
  }
  throw new HushError("CANNOT_WRITE_OUTPUT", "cannot create a private temporary directory");
}

/**
 * Runs `command` with `{}` replaced by the path of the decrypted file, and returns how it exited.
 * The FIFO or file and its directory are gone when this returns (or throws).
 */
export async function execFile(file: string, command: readonly string[], options: ExecFileOptions = {}): Promise<ChildExit> {
  if (command.length === 0) throw new HushError("USAGE", "no command given");
  if (options.filename !== undefined) checkFilename(options.filename);
  const source = await readSource(file, options.format);
  const outputFormat = options.outputFormat ?? source.format;
  const res = await decryptText(source.data, {
    format: source.format,
    outputFormat,
    keyring: options.keyring ?? new Keyring(options),
    ...(options.ignoreMac ? { ignoreMac: true } : {}),
    ...(options.indent !== undefined && outputFormat !== source.format ? { indent: options.indent } : {}),
  });
  // Bytes: a binary file's content need not be UTF-8. A copy, so that it can be zeroed below.
  const data = Buffer.from(res.bytes);
  const env = options.env ?? process.env;
  const dir = privateDir(env);
  // Safety net for paths that skip the finally below (process.exit elsewhere).
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  process.on("exit", onExit);
  const path = join(dir, options.filename ?? plaintextName(file, source.format, outputFormat));
  let server: FifoServer | undefined;
  try {
    if (options.fifo === false) {
      await fsp.writeFile(path, data, { mode: 0o600, flag: "wx" });
    } else {
      makeFifo(path);
      server = new FifoServer(path, data);
    }
    const [cmd, ...args] = substitutePath(command, path);
    return await runChild(cmd!, args, { env: options.keepKeyEnv ? env : withoutKeyEnv(env).env });
  } finally {
    await server?.stop();
    data.fill(0);
    rmSync(dir, { recursive: true, force: true });
    process.off("exit", onExit);
  }
}

function makeFifo(path: string): void {
  // Node has no mkfifo(3); the coreutils/BSD tool is on every system that has FIFOs.
  try {
    execFileSync("mkfifo", ["-m", "600", path], { stdio: "ignore" });
  } catch {
    throw new HushError("CANNOT_WRITE_OUTPUT", "cannot create a FIFO (is `mkfifo` installed?)", "use --no-fifo for a temporary file instead");
  }
}

/**
 * Writes the plaintext to the first reader of the FIFO. Opening a FIFO for writing blocks (in
 * libuv's thread pool) until a reader opens it; {@link stop} releases a pending open by briefly
 * opening the read end itself.
 */
class FifoServer {
  private done = false;
  private readonly finished: Promise<void>;

  constructor(
    private readonly path: string,
    private readonly data: Buffer,
  ) {
    this.finished = this.serve();
  }

  private async serve(): Promise<void> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.path, constants.O_WRONLY);
    } catch {
      return;
    }
    try {
      if (!this.done) await fh.writeFile(this.data);
    } catch {
      // The reader closed early (EPIPE): it had what it wanted.
    } finally {
      await fh.close().catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.done = true;
    let settled = false;
    void this.finished.then(() => (settled = true));
    for (let i = 0; i < 500 && !settled; i++) {
      try {
        closeSync(openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK));
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
