/**
 * The fast path of the CLI: `hush decrypt` (and sops's `hush -d FILE`), `hush git textconv` and
 * `hush exec-env` with plain arguments, run without commander and without the other commands' declarations. bin/hush.js
 * runs this file's bundle (dist/bundle/hush-fast.cjs, a script and code cache a fraction of the full
 * CLI's) for those commands; `main` returns undefined for anything it does not take, and the full
 * CLI (main.ts) runs instead, so help, errors and every unusual form behave exactly as there.
 *
 * What it takes: the command's own flags spelled `--flag`, `--flag value`, `--flag=value` or a
 * short `-x value` as declared, each at most once (repeatable ones any number of times), values
 * that do not start with `-`, the operands the command expects, and no `--help`. The flags come
 * out as commander would hand them to the command's body (test/fast-path.test.ts compares).
 */
import { reportError } from "./report.js";
import { guardOutputStreams } from "./streams.js";

/** The format names `--input-type` and `--output-type` accept (as typeOption in options.ts). */
const FORMAT_NAMES = new Set(["yaml", "json", "dotenv", "ini", "binary"]);

/** A flag of a command: its attribute name in the options object, and how it is given. */
interface FlagSpec {
  /** The name commander gives it (camel case of the long name; `--no-x` sets `x` to false). */
  key: string;
  /** Takes a value; `check` when only some values are accepted, `parse` when it is not kept as a string (as the option's argParser). */
  value?: { repeatable?: boolean; check?: (v: string) => boolean; parse?: (v: string) => unknown };
  /** For a flag without a value: what it sets (true, or false for `--no-…`). */
  sets?: boolean;
}

/** The flags of decrypt (decrypt.command.ts). */
const DECRYPT: Record<string, FlagSpec> = {
  "-i": { key: "inPlace", sets: true },
  "--in-place": { key: "inPlace", sets: true },
  "-o": { key: "output", value: {} },
  "--output": { key: "output", value: {} },
  "--extract": { key: "extract", value: {} },
  "--input-type": { key: "inputType", value: { check: (v) => FORMAT_NAMES.has(v) } },
  "--output-type": { key: "outputType", value: { check: (v) => FORMAT_NAMES.has(v) } },
  "--filename-override": { key: "filenameOverride", value: {} },
  "--ignore-mac": { key: "ignoreMac", sets: true },
  "--decryption-order": { key: "decryptionOrder", value: {} },
  "--indent": { key: "indent", value: { check: (v) => /^-?\d+$/.test(v), parse: Number } },
  "--config": { key: "config", value: {} },
};

/** The flags of git textconv (git-textconv.command.ts). */
const TEXTCONV: Record<string, FlagSpec> = {
  "--input-type": { key: "inputType", value: { check: (v) => FORMAT_NAMES.has(v) } },
};

/** The flags of exec-env (exec-env.command.ts). */
const EXEC_ENV: Record<string, FlagSpec> = {
  "-f": { key: "file", value: { repeatable: true } },
  "--file": { key: "file", value: { repeatable: true } },
  "--pristine": { key: "pristine", sets: true },
  "--overload": { key: "overload", sets: true },
  "--no-overload": { key: "overload", sets: false },
  "--keep-key-env": { key: "keepKeyEnv", sets: true },
  "--only": { key: "only", value: { repeatable: true } },
  "--no-flatten": { key: "flatten", sets: false },
  "--separator": { key: "separator", value: {} },
  "--allow-env-name": { key: "allowEnvName", value: { repeatable: true } },
  "--env-lists": { key: "envLists", sets: true },
  "--input-type": { key: "inputType", value: { check: (v) => FORMAT_NAMES.has(v) } },
  "--ignore-mac": { key: "ignoreMac", sets: true },
  "--decryption-order": { key: "decryptionOrder", value: {} },
  "--config": { key: "config", value: {} },
};

/** A command's parsed arguments: its operands and its options object. */
export interface Parsed {
  operands: string[];
  opts: Record<string, unknown>;
}

/**
 * Parses `args` (after the command's words) by `flags`, or returns undefined when they hold
 * anything this parser does not take. With `rest`, a `--` ends the options and everything after
 * it is an operand (exec-env); otherwise a `--` is not taken.
 */
function parseArgs(args: readonly string[], flags: Record<string, FlagSpec>, rest: boolean): Parsed | undefined {
  const operands: string[] = [];
  const opts: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") {
      if (!rest) return undefined;
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a === "-" || !a.startsWith("-")) {
      operands.push(a);
      continue;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq >= 0 ? a.slice(0, eq) : a;
    const spec = flags[name];
    if (!spec) return undefined; // --help, -h, an unknown flag, combined short flags, -ovalue
    if (!spec.value) {
      if (eq >= 0 || seen.has(spec.key)) return undefined;
      seen.add(spec.key);
      opts[spec.key] = spec.sets;
      continue;
    }
    const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined || v.startsWith("-") || (spec.value.check && !spec.value.check(v))) return undefined;
    if (spec.value.repeatable) {
      opts[spec.key] = [...((opts[spec.key] as string[] | undefined) ?? []), v];
      continue;
    }
    if (seen.has(spec.key)) return undefined;
    seen.add(spec.key);
    opts[spec.key] = spec.value.parse ? spec.value.parse(v) : v;
  }
  // The defaults commander gives: a lone `--no-x` makes x true unless given.
  for (const spec of Object.values(flags)) if (spec.sets === false && !(spec.key in opts) && !Object.values(flags).some((s) => s.key === spec.key && s.sets === true)) opts[spec.key] = true;
  return { operands, opts };
}

/** Runs a command body the way main.ts does: errors as one line and an exit code. */
async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

/** What the fast path runs: a command, its operands and its options object as commander gives them. */
export interface FastCommand extends Parsed {
  command: "decrypt" | "git textconv" | "exec-env";
}

/** The command argv (`[node, script, …args]`) names, when the fast path takes its arguments. */
export function parseFast(argv: readonly string[]): FastCommand | undefined {
  const [command, ...args] = argv.slice(2);
  // sops's `-d FILE` (sops-forms.ts makes it `decrypt FILE`), in its plainest form only.
  if ((command === "-d" || command === "--decrypt") && args.length === 1 && (args[0] === "-" || !args[0]!.startsWith("-"))) {
    return { command: "decrypt", operands: [args[0]!], opts: {} };
  }
  if (command === "decrypt") {
    const p = parseArgs(args, DECRYPT, false);
    return p && p.operands.length <= 1 ? { command, ...p } : undefined;
  }
  if (command === "git" && args[0] === "textconv") {
    const p = parseArgs(args.slice(1), TEXTCONV, false);
    return p && p.operands.length === 1 ? { command: "git textconv", ...p } : undefined;
  }
  if (command === "exec-env") {
    const p = parseArgs(args, EXEC_ENV, true);
    return p ? { command, ...p } : undefined;
  }
  return undefined;
}

/**
 * Runs argv (`[node, script, …args]`) on the fast path, or returns undefined without doing
 * anything when the arguments are not ones it takes (then the full CLI must run them).
 */
export function main(argv: readonly string[]): Promise<void> | undefined {
  // SOPS_KEYSERVICE gets its warning from the full CLI (sops-compat.ts): rare, so not duplicated here.
  if (process.env["SOPS_KEYSERVICE"]) return undefined;
  const p = parseFast(argv);
  if (!p) return undefined;
  guardOutputStreams();
  return run(async () => {
    if (p.command === "decrypt") {
      const { runDecrypt } = await import("./commands/decrypt.js");
      await runDecrypt(p.operands[0], p.opts);
    } else if (p.command === "git textconv") {
      const { runGitTextconv } = await import("./commands/git-textconv.js");
      await runGitTextconv(p.operands[0]!, p.opts);
    } else {
      const { runExecEnv } = await import("./commands/exec-env.js");
      // runExecEnv finds the `--` the user typed in the raw arguments, as commander keeps them.
      await runExecEnv(p.operands, p.opts, { parent: { rawArgs: [...argv] } } as unknown as Parameters<typeof runExecEnv>[2]);
    }
  });
}
