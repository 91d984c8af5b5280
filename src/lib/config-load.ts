/**
 * What `hush-sops/config` does, without doing it at import: finding the files, decrypting them and
 * filling the environment (`config`), and the one-line failure (`failConfig`). The entries are
 * config.ts (ES module, top-level await: `--import`), and config-sync.ts (`require`, `-r`).
 */
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import { HushError } from "../errors.js";
import { Keyring } from "../keys/registry.js";
import { load } from "./load.js";
import { layerEnv, overloadFromEnv } from "./env-precedence.js";

/** The files looked for, in order, when `HUSH_FILE` is not set. */
export const DEFAULT_FILES: readonly string[] = ["secrets.enc.yaml", ".env.enc"];

/** What was loaded: the files and the names of the variables set (never their values). */
export interface ConfigResult {
  readonly files: readonly string[];
  readonly variables: readonly string[];
}

/**
 * The files looked for without `HUSH_FILE`: with `NODE_ENV` set (a plain name), dotenvx's
 * `.env.<NODE_ENV>.enc` first (`.env.production.enc`), then {@link DEFAULT_FILES}.
 */
function defaultFiles(env: NodeJS.ProcessEnv): string[] {
  const nodeEnv = env["NODE_ENV"];
  return nodeEnv !== undefined && /^[A-Za-z0-9_-]+$/.test(nodeEnv) ? [`.env.${nodeEnv}.enc`, ...DEFAULT_FILES] : [...DEFAULT_FILES];
}

/** The files named by `HUSH_FILE`, or the first default file found in the current directory. */
function configFiles(env: NodeJS.ProcessEnv): string[] {
  const named = env["HUSH_FILE"];
  if (named !== undefined && named.trim() !== "") return named.split(delimiter).filter((f) => f !== "");
  const found = defaultFiles(env).find((f) => existsSync(f));
  if (!found) {
    throw new HushError("NO_FILE", `no secrets file: none of ${defaultFiles(env).join(", ")} in ${process.cwd()}`, "set HUSH_FILE to the encrypted file to load");
  }
  return [found];
}

/** The decrypted files' variables, one record per file, in the order given. */
export interface ConfigValues {
  readonly files: string[];
  readonly values: Record<string, string>[];
}

/** Decrypts the files into variables without touching `env` (the worker half of `require`). */
export async function readConfigValues(env: NodeJS.ProcessEnv): Promise<ConfigValues> {
  const files = configFiles(env);
  const keyring = new Keyring({ env });
  const values: Record<string, string>[] = [];
  for (const file of files) {
    const secrets = await load(file, { keyring });
    try {
      values.push(
        secrets.toEnv({
          allowNames: (env["HUSH_ALLOW_ENV_NAMES"] ?? "").split(","),
          lists: /^(1|true|yes)$/i.test(env["HUSH_ENV_LISTS"] ?? ""),
          onSkip: (path, reason) => process.stderr.write(`hush: warning: not loaded: ${path}: ${reason}\n`),
        }),
      );
    } finally {
      secrets.dispose();
    }
  }
  return { files, values };
}

/**
 * Sets the variables in `env` by the one precedence rule (env-precedence.ts): what is already set
 * wins, then the first file, unless `HUSH_OVERLOAD=1`, with which the last file wins.
 */
export function applyConfigValues(env: NodeJS.ProcessEnv, { files, values }: ConfigValues): ConfigResult {
  const assign = layerEnv(env, values, overloadFromEnv(env));
  for (const [name, value] of Object.entries(assign)) env[name] = value;
  return { files, variables: Object.keys(assign) };
}

/**
 * Loads the files into `env` (default `process.env`). Exported for tests and for apps that want
 * to call it themselves; importing `hush-sops/config` calls it once.
 */
export async function config(env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  return applyConfigValues(env, await readConfigValues(env));
}

/** Prints a failure of `config()` as the CLI would (one line, maybe a hint) and exits with its code. */
export function failConfig(e: unknown): never {
  if (e instanceof HushError) {
    process.stderr.write(`hush: error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hush: hint: ${e.hint}\n`);
    process.exit(e.exitCode);
  }
  // Not ours: name it without its message, which may quote input.
  process.stderr.write(`hush: internal error (${e instanceof Error ? e.name : typeof e}) while loading secrets\n`);
  process.exit(1);
}

