/**
 * `hush edit`: decrypt to a private temp file, run the editor, re-encrypt on save keeping every
 * unchanged value's ciphertext. The temp directory (0700, file 0600; on /dev/shm or
 * $XDG_RUNTIME_DIR when there is one) is removed on every exit path: success, editor failure,
 * invalid edits abandoned, SIGINT, SIGTERM, SIGHUP, SIGQUIT and every other catchable signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { HushError, isHushError } from "../../errors.js";
import {
  encryptPlanned,
  formatNameForPath,
  isFormatName,
  keySpecsFromFlags,
  lockFile,
  parseInput,
  parseKmsContext,
  planEncryption,
  privateTempDir,
  readInput,
  rewriteBytes,
  splitCommand,
  writeFileAtomic,
  type FormatName,
  type KeyFlags,
} from "../../lib/internal.js";
import { commandConfig } from "../common.js";

interface EditFlags extends KeyFlags {
  inputType?: string;
  ignoreMac?: boolean;
  config?: string;
  indent?: number;
}

const TEMPLATES: Partial<Record<FormatName, string>> = {
  yaml: "# New file: add your secrets below; every value will be encrypted.\nexample_key: example_value\n",
  json: '{\n\t"example_key": "example_value"\n}\n',
};

/** The editor command: $SOPS_EDITOR, $VISUAL, $EDITOR, else vi. */
function editorCommand(env: NodeJS.ProcessEnv): string[] {
  const cmd = env["SOPS_EDITOR"] || env["VISUAL"] || env["EDITOR"] || "vi";
  const argv = splitCommand(cmd);
  if (argv.length === 0) throw new HushError("USAGE", "the editor command is empty");
  return argv;
}

const sha = (s: Uint8Array) => createHash("sha256").update(s).digest("hex");

export async function runEdit(file: string, flags: EditFlags): Promise<void> {
  const format: FormatName = flags.inputType && isFormatName(flags.inputType) ? flags.inputType : formatNameForPath(file);
  // The whole session holds the file's lock: a `hush set` meanwhile would be lost at the save.
  await lockFile(file);
  let existing: Buffer | undefined;
  try {
    existing = await readInput(file);
  } catch (e) {
    if (!isHushError(e, "NO_FILE")) throw e;
  }
  // An existing file keeps its recipients and layout; an explicit --config must still be valid.
  if (existing !== undefined) await commandConfig(flags, false);
  const dir = privateTempDir("hush-edit-");
  const tmp = join(dir, basename(file));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  // A signal while the plaintext is on disk: remove it, then die of the same signal's code. Every
  // signal whose default would end hush without that (Ctrl-\ is SIGQUIT; USR1 is made harmless in
  // bin/hush.js); only SIGKILL cannot be caught.
  const onSignal = (sig: NodeJS.Signals) => {
    currentEditor?.kill(sig);
    cleanup();
    process.exit(128 + (osConstants.signals[sig] ?? 0));
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGPROF", "SIGIO", "SIGPWR", "SIGXCPU", "SIGXFSZ"];
  for (const s of signals) process.on(s, onSignal);
  // And any path that ends the process without reaching the finally below.
  process.on("exit", cleanup);
  try {
    if (existing === undefined) {
      await editNew(file, tmp, format, flags);
    } else {
      // As bytes: a binary file's content need not be UTF-8, and every byte must come back.
      const res = await rewriteBytes(format === "binary" ? existing : existing.toString("utf8"), (plain) => editLoop(tmp, plain, format), {
        format,
        ...(flags.ignoreMac ? { ignoreMac: true } : {}),
      });
      if (!res.changed) {
        process.stderr.write("hush: no changes; the file was left as it was\n");
        return;
      }
      await writeFileAtomic(file, res.text);
    }
  } finally {
    cleanup();
    for (const s of signals) process.off(s, onSignal);
    process.off("exit", cleanup);
  }
}

/**
 * A new file: the template is edited, then encrypted for the key flags' recipients, or the
 * matching `.sops.yaml` creation rule's (with its selection options, as `encrypt` does).
 */
async function editNew(file: string, tmp: string, format: FormatName, flags: EditFlags): Promise<void> {
  const env = process.env;
  const keys = keySpecsFromFlags(flags, env);
  const kmsEncryptionContext = parseKmsContext(flags.encryptionContext);
  // Planned before the editor opens: a config problem is reported before any typing.
  const plan = await planEncryption({
    file,
    keys,
    ...(kmsEncryptionContext ? { kmsEncryptionContext } : {}),
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    env,
    format,
    indent: flags.indent,
  });
  const template = Buffer.from(TEMPLATES[format] ?? "", "utf8");
  const plain = await editLoop(tmp, template, format);
  const { text } = await encryptPlanned(format === "binary" ? plain : plain.toString("utf8"), plan);
  await writeFileAtomic(file, text);
}

/**
 * Writes `plain` to the temp file, runs the editor until the result parses, and returns it. An
 * unparsable result reopens the editor with the error shown (on a terminal, after Enter).
 */
async function editLoop(tmp: string, plain: Uint8Array, format: FormatName): Promise<Buffer> {
  writeFileSync(tmp, plain, { mode: 0o600 });
  const before = sha(plain);
  for (let attempt = 0; ; attempt++) {
    await runEditor(tmp);
    const edited = readFileSync(tmp);
    if (sha(edited) === before) return Buffer.from(plain);
    try {
      const doc = parseInput(format === "binary" ? edited : edited.toString("utf8"), format);
      if (doc.rawMetadata() !== undefined) throw new HushError("PARSE", "the edited file must not contain a top-level sops key");
      return edited;
    } catch (e) {
      if (!isHushError(e, "PARSE", "INVALID_METADATA") || attempt >= 50) throw e;
      process.stderr.write(`hush: error: ${e.message}\n`);
      await pause();
    }
  }
}

async function pause(): Promise<void> {
  if (!process.stdin.isTTY) {
    process.stderr.write("hush: reopening the editor\n");
    return;
  }
  process.stderr.write("hush: press Enter to reopen the editor, or Ctrl-C to abandon the edit\n");
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once("line", () => resolve()));
  rl.close();
}

let currentEditor: ChildProcess | undefined;

function runEditor(path: string): Promise<void> {
  const [cmd, ...args] = editorCommand(process.env);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...args, path], { stdio: "inherit" });
    currentEditor = child;
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(new HushError("USAGE", `cannot run the editor ${cmd}: ${e.code ?? "failed"}`, "set EDITOR (or VISUAL, SOPS_EDITOR)")),
    );
    child.on("exit", (code, signal) => {
      currentEditor = undefined;
      if (code === 0) resolve();
      else
        reject(
          new HushError("GENERIC", `the editor ${signal ? `was killed by ${signal}` : `exited with status ${code}`}; the file was not changed`),
        );
    });
  });
}
