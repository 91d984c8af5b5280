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
 * - The file is `HUSH_FILE` (several: separated by `:`), else the first found in the current
 *   directory of `.env.<NODE_ENV>.enc` (when `NODE_ENV` is set), `secrets.enc.yaml`, `.env.enc`.
 * - Values are named as `hush exec-env` names them (`db.password` → `DB_PASSWORD`).
 * - As with dotenv/dotenvx, variables already set in the environment are kept, and with several
 *   files the first that defines a variable wins; `HUSH_OVERLOAD=1` (or `HUSH_OVERRIDE=1`) lets
 *   the files win, the last one first (what `exec-env` does by default). See env-precedence.ts.
 * - Only what the MAC covers is exported: nulls are skipped, list items and names such as `PATH`,
 *   `NODE_OPTIONS`, `LD_*` are refused (docs/security.md) unless allowed: `HUSH_ALLOW_ENV_NAMES`
 *   (comma-separated names or `PREFIX_*`), `HUSH_ENV_LISTS=1`.
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
import { config, failConfig } from "./config-load.js";
import type { ConfigResult } from "./config-load.js";

export { config, DEFAULT_FILES } from "./config-load.js";
export type { ConfigResult } from "./config-load.js";

/** What importing this module loaded. */
export const loaded: ConfigResult = await config().catch(failConfig);
