/** What encrypt and decrypt share: input, formats, output. */
import { HushError } from "../errors.js";
import {
  formatNameForPath,
  isFormatName,
  loadEffectiveConfig,
  lockFile,
  readInput,
  stdoutLooksClosed,
  storeIndent,
  writeFileAtomic,
  type FormatName,
  type SopsConfig,
  type StoresConfig,
} from "../lib/internal.js";
import { writeResult } from "./streams.js";

export interface IoOptions {
  inPlace?: boolean;
  output?: string;
  inputType?: string;
  outputType?: string;
  filenameOverride?: string;
}

export interface Input {
  /** The path read, or "-" for standard input. */
  path: string;
  /** The content as UTF-8 text (lossy for binary content that is not UTF-8). */
  text: string;
  /** The content as read. */
  bytes: Buffer;
  /** What to hand the pipeline: the bytes for the binary format (kept exactly), else the text. */
  data: string | Buffer;
  format: FormatName;
  outputFormat: FormatName;
}

/** Reads the input and works out its format (flag, then file name, then content for stdin). */
export async function readInputFile(file: string | undefined, opts: IoOptions): Promise<Input> {
  if (opts.inPlace && opts.output) {
    throw new HushError("CONFLICTING_PARAMETERS", "--in-place and --output cannot be used together");
  }
  const path = file ?? "-";
  if (path === "-" && opts.inPlace) throw new HushError("CONFLICTING_PARAMETERS", "--in-place needs a file, not standard input");
  // Read-change-write: hold the file's lock from before the read until the process exits, so a
  // concurrent `hush set` on the same file waits instead of losing one update (util/lock.ts).
  if (opts.inPlace) await lockFile(path);
  const bytes = await readInput(path);
  // Decoded only when used: a large binary file as a string (two bytes per character when it is
  // not UTF-8) would cost several times the file (issue 15, memory of large binary files).
  let decoded: string | undefined;
  const textOf = () => (decoded ??= bytes.toString("utf8"));
  const named = opts.filenameOverride ?? (path === "-" ? undefined : path);
  let format: FormatName;
  if (opts.inputType && isFormatName(opts.inputType)) format = opts.inputType;
  else if (named) format = formatNameForPath(named);
  else format = /^\s*\{/.test(bytes.toString("latin1", 0, 4096)) ? "json" : "yaml";
  const outputFormat = opts.outputType && isFormatName(opts.outputType) ? opts.outputType : format;
  return {
    path,
    get text() {
      return textOf();
    },
    bytes,
    // A getter: `hush decrypt` passes the bytes (the lean path reads them), never making the text.
    get data() {
      return format === "binary" ? bytes : textOf();
    },
    format,
    outputFormat,
  };
}

/** Writes the result (text, or bytes written as they are) to stdout, `--output` or the input file (in place, atomically). */
export async function writeOutput(input: Input, opts: IoOptions, text: string | Uint8Array): Promise<void> {
  if (opts.inPlace) return writeFileAtomic(input.path, text);
  if (opts.output) return writeFileAtomic(opts.output, text);
  if (stdoutLooksClosed()) {
    throw new HushError("CANNOT_WRITE_OUTPUT", "standard output is closed", "to discard the output, redirect it with > /dev/null or pass -o /dev/null");
  }
  await writeResult(text, (code) => `cannot write to standard output: ${code ?? "write failed"}`);
}

/** `--config` as commands receive it. */
export interface ConfigFlags {
  config?: string;
}

/**
 * The `.sops.yaml` a command uses, as sops finds it: `--config`, then `SOPS_CONFIG`, then the
 * nearest one from the working directory up. An explicit one (flag or variable) is always read, so
 * a wrong path or an invalid file fails the command, as in sops. A discovered one is read only when
 * the command `needs` something from it (creation rules, or `stores:` for text it generates): a
 * plain `decrypt` does not pay for loading and validating the config.
 */
export async function commandConfig(flags: ConfigFlags, needs: boolean, env: NodeJS.ProcessEnv = process.env): Promise<SopsConfig | undefined> {
  if (!needs && !flags.config && !env["SOPS_CONFIG"]) return undefined;
  return loadEffectiveConfig({ ...(flags.config !== undefined ? { configPath: flags.config } : {}), env });
}

/**
 * The indentation for text a command generates in `format`: `--indent` when given, else the
 * config's `stores:` setting for that format (sops's `outputStore`), else undefined (hush's default).
 */
export async function outputIndent(format: FormatName, stores: StoresConfig | undefined, indent: number | undefined): Promise<number | undefined> {
  if (indent !== undefined) return indent;
  if (!stores) return undefined;
  return storeIndent(stores, format);
}
