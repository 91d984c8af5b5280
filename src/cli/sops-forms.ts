/**
 * sops's top-level forms, so that scripts written for `sops` run with `hush` substituted:
 * `hush -d FILE`, `-e`, `-r`, `-i` (with -e, -d or -r), `--set 'PATH VALUE'`, `--extract PATH`
 * (with -d), `-s` and plain `hush FILE` (edit). They are rewritten into the subcommands before
 * commander sees the arguments, so each form behaves exactly as its subcommand (same flags, help,
 * errors and exit codes).
 *
 * As in sops (urfave/cli v1, Go's flag package), the form's options come before the file; what
 * follows the file is handed to the subcommand as it is.
 */
import { existsSync } from "node:fs";
import { HushError } from "../errors.js";

/** What the rewriting needs to know about the program, without building it unless needed. */
export interface SopsFormProgram {
  /** True when `word` is a top-level command (or `help`). */
  isCommand(word: string): boolean;
  /** Whether option `flag` (`-a`, `--age`) takes a value in the subcommand `command`; undefined if unknown. */
  takesValue(command: string, flag: string): boolean | undefined;
}

/** The mode flags of sops's top level and the subcommand each one selects. */
const MODES: Readonly<Record<string, string>> = {
  "-d": "decrypt", "--decrypt": "decrypt",
  "-e": "encrypt", "--encrypt": "encrypt",
  "-r": "rotate", "--rotate": "rotate",
};

/** Flags sops accepts at the top level that change nothing here (logging, update checks). */
const IGNORED = new Set(["--verbose", "--disable-version-check", "--check-for-updates", "--enable-local-keyservice"]);

/** Single-letter boolean flags that may be combined (`-di`, `-ei`). */
const COMBINABLE = new Set(["d", "e", "r", "i", "s"]);

/** sops commands hush deliberately does not have: a clear refusal instead of "unknown command". */
const NOT_SUPPORTED: Readonly<Record<string, string>> = {
  publish: "hush does not implement sops publish (copying files to S3, GCS or Vault); decrypt and upload with your own tooling",
  keyservice: "hush does not implement sops keyservice (a gRPC key server); run hush where the keys are",
};

/** The program's own flags: never a sops form. */
const PROGRAM_FLAGS = new Set(["-h", "--help", "-v", "--version"]);

/**
 * Rewrites `args` (the arguments after `hush`) from a sops top-level form into hush's subcommand
 * form; returns them unchanged when they are not one. `-V` alone becomes `--version`.
 */
export function rewriteSopsForm(rawArgs: readonly string[], program: SopsFormProgram): string[] {
  const args = localKeyserviceSpelling(rawArgs);
  const first = args[0];
  if (first === undefined) return [...args];
  if (first === "-V") return ["--version", ...args.slice(1)];
  if (NOT_SUPPORTED[first] !== undefined) throw new HushError("USAGE", NOT_SUPPORTED[first]!);
  if (program.isCommand(first) || PROGRAM_FLAGS.has(first)) return [...args];
  // `hush FILE` edits, as `sops FILE` does; a word that names no file and has no dot or slash is
  // left alone, so a mistyped command still gets commander's "did you mean …?".
  if (!first.startsWith("-") && !(existsSync(first) || /[./]/.test(first))) return [...args];

  const modes: string[] = [];
  let inPlace = false;
  let setExpr: string | undefined;
  let extract: string[] = [];
  const pass: string[] = [];
  let i = 0;
  const tokens: string[] = [];
  // Expand combined short flags (`-di`) first; each letter is a boolean flag.
  for (const t of args) {
    if (/^-[a-z]{2,}$/.test(t) && [...t.slice(1)].every((c) => COMBINABLE.has(c))) tokens.push(...[...t.slice(1)].map((c) => `-${c}`));
    else tokens.push(t);
  }
  const valueOf = (t: string, eq: number): string => {
    if (eq >= 0) return t.slice(eq + 1);
    const v = tokens[++i];
    if (v === undefined) throw new HushError("USAGE", `option ${t} needs a value`);
    return v;
  };
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "--") {
      i++;
      break;
    }
    if (!t.startsWith("-") || t === "-") {
      // `sops --config c.yaml decrypt f`: global options, then a subcommand (see globalsBefore).
      if (modes.length === 0 && !inPlace && extract.length === 0 && (program.isCommand(t) || NOT_SUPPORTED[t] !== undefined)) {
        return globalsBefore(t, pass, tokens.slice(i + 1), program);
      }
      break; // the file
    }
    const eq = t.startsWith("--") ? t.indexOf("=") : -1;
    const name = eq >= 0 ? t.slice(0, eq) : t;
    if (MODES[name] !== undefined) modes.push(MODES[name]!);
    else if (name === "--set") {
      modes.push("set");
      setExpr = valueOf(t, eq);
    } else if (name === "-i" || name === "--in-place") inPlace = true;
    else if (name === "--extract") extract = ["--extract", valueOf(t, eq)];
    else if (IGNORED.has(name)) continue;
    else if (name === "-V") return ["--version"];
    else if (PROGRAM_FLAGS.has(name)) return [...args];
    else {
      pass.push(t);
      if (eq < 0 && takesValue(program, modes.at(-1) ?? guessCommand(tokens, i, program), name)) pass.push(valueOf(t, eq));
    }
  }
  const file = tokens[i];
  const rest = tokens.slice(i + 1);
  const distinct = [...new Set(modes)];
  if (distinct.length > 1) {
    throw new HushError("CONFLICTING_PARAMETERS", `use only one of -d, -e, -r and --set (got ${distinct.map(flagOf).join(", ")})`);
  }
  const mode = distinct[0] ?? "edit";
  if (file === undefined) throw new HushError("NO_FILE", "no file specified");
  if (extract.length > 0 && mode !== "decrypt") throw new HushError("CONFLICTING_PARAMETERS", "--extract works with -d (decrypt) only");
  switch (mode) {
    case "set": {
      const [path, value] = splitSetExpr(setExpr!);
      return ["set", ...pass, file, path, value, ...rest];
    }
    case "edit":
      // `sops -i FILE` edits in place anyway: -i changes nothing.
      return ["edit", ...pass, file, ...rest];
    default:
      return [mode, ...(inPlace ? ["--in-place"] : []), ...extract, ...pass, file, ...rest];
  }
}

/**
 * sops's `--enable-local-keyservice` is a Go bool flag (default true), so scripts may write
 * `=true` or `=false`. `=true` is the plain flag; `=false` (remote key services only) is refused
 * with the reason, as `--keyservice` is. Only options are looked at: what follows `--` is a command.
 */
function localKeyserviceSpelling(args: readonly string[]): string[] {
  const end = args.indexOf("--");
  return args.map((a, i) => {
    if ((end >= 0 && i > end) || !a.startsWith("--enable-local-keyservice=")) return a;
    const v = a.slice("--enable-local-keyservice=".length).toLowerCase();
    if (["true", "1", "t"].includes(v)) return "--enable-local-keyservice";
    throw new HushError("USAGE", `${a}: hush always uses the keys on this machine, and does not speak sops's key-service protocol`);
  });
}

/** The subcommand a form will become when the mode flag comes after an option (`--age X -e f`). */
function guessCommand(tokens: readonly string[], from: number, program: SopsFormProgram): string {
  for (let j = from; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (MODES[t] !== undefined) return MODES[t]!;
    if (t === "--set" || t.startsWith("--set=")) return "set";
    if (!t.startsWith("-") && program.isCommand(t) && t !== "help") return t;
  }
  return "edit";
}

/**
 * sops's global options before a subcommand (`sops --config c.yaml decrypt f`, `sops --verbose
 * updatekeys -y f`). sops's subcommands read only --config, --indent and --mac-only-encrypted
 * from there; hush hands each option to the subcommand when it has it, and ignores the rest with
 * a warning, as sops ignores them silently (--verbose and the others in IGNORED were dropped already).
 */
function globalsBefore(command: string, globals: readonly string[], rest: readonly string[], program: SopsFormProgram): string[] {
  if (NOT_SUPPORTED[command] !== undefined) throw new HushError("USAGE", NOT_SUPPORTED[command]!);
  const forwarded: string[] = [];
  for (let j = 0; j < globals.length; j++) {
    const t = globals[j]!;
    if (!t.startsWith("-")) continue; // a value, handled with its flag
    const eq = t.startsWith("--") ? t.indexOf("=") : -1;
    const name = eq >= 0 ? t.slice(0, eq) : t;
    const own = program.takesValue(command, name);
    const withValue = eq < 0 && (own ?? takesValue(program, command, name)) === true && j + 1 < globals.length;
    if (own === undefined) {
      process.stderr.write(`hush: warning: ${name} before "${command}" is ignored (as sops ignores it there)\n`);
    } else {
      forwarded.push(t);
      if (withValue) forwarded.push(globals[j + 1]!);
    }
    if (withValue) j++;
  }
  return [command, ...forwarded, ...rest];
}

/**
 * Whether `flag` takes a value: as `command` declares it, else as the top-level form that has it
 * (sops's global flags are the union of encrypt's, rotate's and decrypt's), so that the value of a
 * flag the command lacks is not taken for the file.
 */
function takesValue(program: SopsFormProgram, command: string, flag: string): boolean | undefined {
  for (const c of [command, "encrypt", "rotate", "decrypt"]) {
    const v = program.takesValue(c, flag);
    if (v !== undefined) return v;
  }
  return undefined;
}

function flagOf(mode: string): string {
  return mode === "set" ? "--set" : `-${mode[0]}`;
}

/**
 * sops's `--set` value, `PATH VALUE` in one string: split after the first `] ` as sops does (the
 * path is in the tree form), else, for a dotted path, at the first space.
 */
export function splitSetExpr(expr: string): [path: string, value: string] {
  const bracket = expr.indexOf("] ");
  const at = bracket >= 0 ? bracket + 1 : expr.indexOf(" ");
  if (at < 0) throw new HushError("INVALID_SET_FORMAT", `invalid --set: expected a path, a space and a JSON value, e.g. '["db"]["password"] "secret"'`);
  return [expr.slice(0, at).trimEnd(), expr.slice(at + 1)];
}
