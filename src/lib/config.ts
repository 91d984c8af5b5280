/**
 * `hush-sops/config`: loads encrypted secrets into `process.env` when imported, the way `dotenv/config`
 * loads `.env`:
 *
 * ```sh
 * node --import hush-sops/config app.js        # before the app's first module runs
 * ```
 * ```js
 * import "hush-sops/config";                   // first import of the entry module
 * ```
 *
 * - The file is `HUSH_FILE` (several: separated by `:`, later ones overriding), else the first of
 *   `secrets.enc.yaml` and `.env.enc` found in the current directory.
 * - Values are named as `hush exec-env` names them (`db.password` → `DB_PASSWORD`).
 * - As with dotenv, variables already set in the environment are kept; `HUSH_OVERRIDE=1` lets the
 *   file's values win (what `exec-env` does).
 * - Keys are found as for the CLI (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, …); the MAC is verified.
 * - Nothing is printed on success. Any failure (no file, no key, bad MAC) prints one line on stderr,
 *   `hush: error: …` and maybe `hush: hint: …`, and exits with the CLI's exit code: an app
 *   should not start without its secrets.
 *
 * The work is done with top-level await. With `--import` it is finished before the app loads. With
 * `import "hush-sops/config"`, the importing module runs after it, but modules imported *beside* it may
 * start first (ES modules only wait for their own dependencies), so a sibling that reads
 * `process.env` while being imported should be imported after this one dynamically, or the app
 * started with `--import`.
 */
import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import { HushError } from "../errors.js";
import { Keyring } from "../keys/registry.js";
import { load } from "./load.js";

/** The files looked for, in order, when `HUSH_FILE` is not set. */
export const DEFAULT_FILES: readonly string[] = ["secrets.enc.yaml", ".env.enc"];

/** What was loaded: the files and the names of the variables set (never their values). */
export interface ConfigResult {
  readonly files: readonly string[];
  readonly variables: readonly string[];
}

/**
 * Loads the files into `env` (default `process.env`). Exported for tests and for apps that want
 * to call it themselves; importing this module calls it once.
 */
export async function config(env: NodeJS.ProcessEnv = process.env): Promise<ConfigResult> {
  const named = env["HUSH_FILE"];
  let files: string[];
  if (named !== undefined && named.trim() !== "") {
    files = named.split(delimiter).filter((f) => f !== "");
  } else {
    const found = DEFAULT_FILES.find((f) => existsSync(f));
    if (!found) {
      throw new HushError("NO_FILE", `no secrets file: none of ${DEFAULT_FILES.join(", ")} in ${process.cwd()}`, "set HUSH_FILE to the encrypted file to load");
    }
    files = [found];
  }
  const override = /^(1|true|yes)$/i.test(env["HUSH_OVERRIDE"] ?? "");
  const keyring = new Keyring({ env });
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const file of files) {
    const secrets = await load(file, { keyring });
    try {
      Object.assign(values, secrets.toEnv());
    } finally {
      secrets.dispose();
    }
  }
  const variables: string[] = [];
  for (const name of Object.keys(values)) {
    if (!override && env[name] !== undefined) continue;
    env[name] = values[name]!;
    variables.push(name);
  }
  return { files, variables };
}

function fail(e: unknown): never {
  if (e instanceof HushError) {
    process.stderr.write(`hush: error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hush: hint: ${e.hint}\n`);
    process.exit(e.exitCode);
  }
  // Not ours: name it without its message, which may quote input.
  process.stderr.write(`hush: internal error (${e instanceof Error ? e.name : typeof e}) while loading secrets\n`);
  process.exit(1);
}

/** What importing this module loaded. */
export const loaded: ConfigResult = await config().catch(fail);
