/**
 * `exec-env`: run a command with decrypted values in its environment. The plaintext only ever
 * exists in hush's memory and in the child's environment block: nothing is written to disk.
 */
import { HushError } from "../errors.js";
import { Keyring, layerEnv, load, type FormatName, type KeyringOptions } from "../lib/internal.js";
import { runChild, type ChildExit } from "./child.js";
import { withoutKeyEnv } from "./key-env.js";
import type { EnvOptions } from "../model/env.js";

interface SecretsEnvOptions extends KeyringOptions, EnvOptions {
  /** The format of every file; by default each file's own, from its name. */
  format?: FormatName;
  ignoreMac?: boolean;
  keyring?: Keyring;
  /** Keep only these variables (names after flattening); a name no file defines is an error. */
  only?: readonly string[];
  /**
   * The files' values replace variables already set, the last file winning (default: true, as
   * `sops exec-env`); false: what is set wins, then the first file (dotenv's rule).
   */
  overload?: boolean;
}

/**
 * The variables of several encrypted files, in order: with `overload` (the default) later files
 * override earlier ones, without it the first file that defines a variable wins (lib's
 * env-precedence rule). Each file's data key is zero-filled as soon as its values are read.
 */
async function secretsEnv(files: readonly string[], options: SecretsEnvOptions = {}): Promise<Record<string, string>> {
  if (files.length === 0) throw new HushError("USAGE", "no secrets file given", "name it before -- or with -f");
  const keyring = options.keyring ?? new Keyring(options);
  const layers: Record<string, string>[] = [];
  for (const file of files) {
    const secrets = await load(file, {
      keyring,
      ...(options.format ? { format: options.format } : {}),
      ...(options.ignoreMac ? { ignoreMac: true } : {}),
    });
    try {
      layers.push(secrets.toEnv(options));
    } finally {
      secrets.dispose();
    }
  }
  const env = layerEnv({}, layers, options.overload !== false);
  if (!options.only) return env;
  const picked: Record<string, string> = Object.create(null) as Record<string, string>;
  const missing: string[] = [];
  for (const name of options.only) {
    if (Object.hasOwn(env, name)) picked[name] = env[name]!;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new HushError(
      "PATH_NOT_FOUND",
      `--only names ${missing.length === 1 ? "a variable" : "variables"} no file defines: ${missing.join(", ")}`,
      "names are those after flattening, e.g. DB_PASSWORD for db.password",
    );
  }
  return picked;
}

export interface ExecEnvOptions extends SecretsEnvOptions {
  /** Start from an empty environment instead of hush's own (the command is still found on hush's PATH). */
  pristine?: boolean;
  /** The environment to start from (default `process.env`). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Keep key material variables in the command's environment (default: removed, see key-env.ts). */
  keepKeyEnv?: boolean;
}

/**
 * Runs `command` with the files' values added to the environment (they override variables of the
 * same name, unless `overload: false`) and returns how it exited. Signals are forwarded; see
 * {@link runChild}.
 */
export async function execEnv(files: readonly string[], command: readonly string[], options: ExecEnvOptions = {}): Promise<ChildExit> {
  const [cmd, ...args] = command;
  if (cmd === undefined) throw new HushError("USAGE", "no command given");
  const secrets = await secretsEnv(files, options);
  const base = options.baseEnv ?? process.env;
  const start: Record<string, string | undefined> = options.pristine ? {} : options.keepKeyEnv ? base : withoutKeyEnv(base).env;
  const env = { ...start, ...layerEnv(start, [secrets], options.overload !== false) };
  return runChild(cmd, args, { env, path: base["PATH"] });
}
