/**
 * Flags that several commands declare with the same meaning (the key flags, `--config` and
 * `--shamir-secret-sharing-threshold` are in `key-options.ts`). Each factory returns a fresh
 * commander `Option`; where commands word a flag's help differently, the text is a parameter.
 */
import { Option } from "commander";
import { HushError } from "../errors.js";

/** The format names `--input-type` and `--output-type` accept. */
const FORMAT_NAMES = ["yaml", "json", "dotenv", "ini", "binary"];

/** `--input-type <type>` / `--output-type <type>`, limited to the format names. */
export function typeOption(name: "input-type" | "output-type", what: string): Option {
  return new Option(`--${name} <type>`, what).choices(FORMAT_NAMES);
}

/** `--indent <n>`: an integer (a JSON indent of -1 means a tab). */
export function indentOption(what: string): Option {
  return new Option("--indent <n>", what).argParser(parseIndent);
}

function parseIndent(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new HushError("USAGE", `--indent takes an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** `--ignore-mac`; `what` says when the MAC would have been checked. */
export function ignoreMacOption(what: string): Option {
  return new Option("--ignore-mac", what);
}

/** `--filename-override <path>`: the name that picks the format of standard input. */
export function filenameOverrideOption(): Option {
  return new Option("--filename-override <path>", "file name to pick the format by (for standard input)");
}

/** `--decryption-order <kinds>` (env SOPS_DECRYPTION_ORDER). */
export function decryptionOrderOption(): Option {
  return new Option("--decryption-order <kinds>", "key kinds to try first, comma-separated (env SOPS_DECRYPTION_ORDER)");
}

/** `-j, --jobs <n>`: how many files are processed at once. */
export function jobsOption(): Option {
  return new Option("-j, --jobs <n>", "files processed at once (default 32: the time goes to waiting on key services, not to cores)");
}

/** Argument parser for a repeatable option: each occurrence is appended to a list. */
export function repeatable(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
