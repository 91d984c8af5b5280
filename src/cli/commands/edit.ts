/**
 * `hush edit`: decrypt to a private temp file, run the editor, re-encrypt on save keeping every
 * unchanged value's ciphertext. The temp directory (0700, file 0600; on /dev/shm or
 * $XDG_RUNTIME_DIR when there is one) is removed on every exit path: success, editor failure,
 * invalid edits abandoned, SIGINT, SIGTERM, SIGHUP, SIGQUIT and every other catchable signal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { basename, delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { HushError, isHushError } from "../../errors.js";
import {
  encryptPlanned,
  Keyring,
  withMetadataShown,
  withoutMetadataShown,
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
  RULE_NAMES,
  splitCommand,
  writeFileAtomic,
  type FormatName,
  type KeyFlags,
  type SelectionRules,
} from "../../lib/internal.js";
import { commandConfig } from "../common.js";
import { parseDecryptionOrder } from "./decrypt.js";

interface EditFlags extends KeyFlags {
  inputType?: string;
  ignoreMac?: boolean;
  config?: string;
  indent?: number;
  showMasterKeys?: boolean;
  decryptionOrder?: string;
  shamirSecretSharingThreshold?: number;
  macOnlyEncrypted?: boolean;
  /** The selection options (`unencryptedSuffix`, …), used for a new file only, as in sops. */
  [rule: string]: unknown;
}

const TEMPLATES: Partial<Record<FormatName, string>> = {
  yaml: "# New file: add your secrets below; every value will be encrypted.\nexample_key: example_value\n",
  json: '{\n\t"example_key": "example_value"\n}\n',
};

/** The editor command: $SOPS_EDITOR, $VISUAL, $EDITOR, else the first of vim, nano, vi found (as sops). */
function editorCommand(env: NodeJS.ProcessEnv): string[] {
  const cmd = env["SOPS_EDITOR"] || env["VISUAL"] || env["EDITOR"];
  if (!cmd) {
    const found = ["vim", "nano", "vi"].find((name) => onPath(name, env));
    if (!found) throw new HushError("NO_EDITOR", "no editor found: set SOPS_EDITOR, VISUAL or EDITOR (vim, nano and vi are not on PATH)");
    return [found];
  }
  const argv = splitCommand(cmd);
  if (argv.length === 0) throw new HushError("NO_EDITOR", "the editor command is empty");
  return argv;
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env["PATH"] ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
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
      const encrypted = format === "binary" ? existing : existing.toString("utf8");
      const edit = flags.showMasterKeys
        ? async (plain: Uint8Array) => {
            const shown = withMetadataShown(Buffer.from(plain).toString("utf8"), existing.toString("utf8"), format);
            const edited = await editLoop(tmp, Buffer.from(shown, "utf8"), format, (text) => withoutMetadataShown(text, shown, format));
            return Buffer.from(withoutMetadataShown(edited.toString("utf8"), shown, format), "utf8");
          }
        : (plain: Uint8Array) => editLoop(tmp, plain, format);
      const order = parseDecryptionOrder(flags.decryptionOrder ?? process.env["SOPS_DECRYPTION_ORDER"]);
      const res = await rewriteBytes(encrypted, edit, {
        format,
        ...(order ? { keyring: new Keyring({ decryptionOrder: order }) } : {}),
        ...(flags.ignoreMac ? { ignoreMac: true } : {}),
      });
      // The text may differ only in layout the format does not keep: nothing to write then.
      if (!res.changed) throw notModified();
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
  const rules: SelectionRules = {};
  for (const name of RULE_NAMES) {
    const v = flags[name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())];
    if (typeof v === "string") rules[name] = v;
  }
  if (Object.keys(rules).length > 1) {
    throw new HushError("CONFLICTING_PARAMETERS", `use only one of ${RULE_NAMES.map((r) => `--${r.replace(/_/g, "-")}`).join(", ")}`);
  }
  const plan = await planEncryption({
    file,
    keys,
    rules,
    ...(flags.macOnlyEncrypted ? { macOnlyEncrypted: true } : {}),
    ...(kmsEncryptionContext ? { kmsEncryptionContext } : {}),
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
    ...(flags.shamirSecretSharingThreshold ? { shamirThreshold: flags.shamirSecretSharingThreshold } : {}),
    env,
    format,
    indent: flags.indent,
  });
  const template = Buffer.from(TEMPLATES[format] ?? "", "utf8");
  const plain = await editLoop(tmp, template, format);
  const { text } = await encryptPlanned(format === "binary" ? plain : plain.toString("utf8"), plan);
  await writeFileAtomic(file, text);
}

const notModified = () => new HushError("FILE_NOT_MODIFIED", "the file has not changed; nothing was written");

/**
 * Writes `plain` to the temp file, runs the editor until the result parses, and returns it. Saved
 * unchanged: FILE_NOT_MODIFIED (exit 200, as sops). An edit that does not parse (or that `check`
 * refuses) is reported; on a terminal hush waits for Enter and reopens the editor on the same
 * text, as sops does; without one it fails: nothing could answer the prompt.
 */
async function editLoop(tmp: string, plain: Uint8Array, format: FormatName, check?: (text: string) => unknown): Promise<Buffer> {
  writeFileSync(tmp, plain, { mode: 0o600 });
  const before = sha(plain);
  for (;;) {
    await runEditor(tmp);
    const edited = readFileSync(tmp);
    if (sha(edited) === before) throw notModified();
    try {
      if (check) check(edited.toString("utf8"));
      else {
        const doc = parseInput(format === "binary" ? edited : edited.toString("utf8"), format);
        if (doc.rawMetadata() !== undefined) throw new HushError("PARSE", "the edited file must not contain a top-level sops key");
      }
      return edited;
    } catch (e) {
      if (!isHushError(e, "PARSE", "INVALID_METADATA")) throw e;
      if (!process.stdin.isTTY) {
        throw new HushError(e.code, `the edit is not valid: ${e.message}; nothing was written`, e.hint);
      }
      process.stderr.write(`hush: error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`hush: hint: ${e.hint}\n`);
      await pressEnter();
    }
  }
}

/** sops's pause after an invalid edit; Ctrl-C ends hush through the signal handler (temp removed). */
async function pressEnter(): Promise<void> {
  process.stderr.write("hush: press Enter to re-open the editor, or Ctrl-C to abort (nothing is written)\n");
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve, reject) => {
    rl.once("line", () => resolve());
    // End of input (Ctrl-D): abandon rather than reopen forever.
    rl.once("close", () => reject(new HushError("GENERIC", "the edit was abandoned; nothing was written")));
  });
  rl.close();
}

let currentEditor: ChildProcess | undefined;

function runEditor(path: string): Promise<void> {
  const [cmd, ...args] = editorCommand(process.env);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...args, path], { stdio: "inherit" });
    currentEditor = child;
    child.on("error", (e: NodeJS.ErrnoException) =>
      reject(new HushError("NO_EDITOR", `cannot run the editor ${cmd}: ${e.code ?? "failed"}`, "set EDITOR (or VISUAL, SOPS_EDITOR)")),
    );
    child.on("exit", (code, signal) => {
      currentEditor = undefined;
      if (code === 0) resolve();
      else
        // sops reports any editor failure as "Could not run editor" (exit 201).
        reject(
          new HushError("NO_EDITOR", `the editor ${signal ? `was killed by ${signal}` : `exited with status ${code}`}; the file was not changed`),
        );
    });
  });
}
