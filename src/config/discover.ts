/**
 * Finding `.sops.yaml` the way sops does (`config.LookupConfigFile(".")`, SOPS-FORMAT §11, §14-Q22):
 * from the current working directory (not the target file's), up through at most 100 parents; the
 * first `.sops.yaml` wins. `--config` and then `SOPS_CONFIG` skip the search.
 */
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The only name sops (and so hush) reads. */
export const CONFIG_FILE_NAME = ".sops.yaml";
/** A common misspelling sops has warned about since 3.10.0 but never reads. */
const ALTERNATE_CONFIG_NAME = ".sops.yml";
/** sops's `maxDepth`: the working directory and 99 parents. */
const MAX_DEPTH = 100;

/** Where to look, and who hears about an ignored `.sops.yml`. */
export interface DiscoverOptions {
  /** The start of the search (default: `process.cwd()`). */
  cwd?: string;
  /** An explicit path (`--config`); wins over everything. */
  configPath?: string;
  /** Read for `SOPS_CONFIG` (default: `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Receives warnings (default: a `hush: warning: …` line on stderr, each message once per process). */
  warn?: (message: string) => void;
}

const warned = new Set<string>();

/** The default warning sink: stderr, each message once per process so loops over files stay quiet. */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`hush: warning: ${message}\n`);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of the config file to use, or undefined when there is none. An explicit
 * `configPath` or `SOPS_CONFIG` is returned as given (resolved against `cwd`) without checking that
 * it exists: reading it then fails loudly, as in sops, instead of silently using no config.
 */
export function findConfigFile(options: DiscoverOptions = {}): string | undefined {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const explicit = options.configPath || env["SOPS_CONFIG"];
  if (explicit) return resolve(cwd, explicit);
  let alternate: string | undefined;
  let dir = cwd;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (isFile(candidate)) {
      if (alternate) (options.warn ?? warnOnce)(`ignoring ${alternate}: the config file must be called ${CONFIG_FILE_NAME}; using ${candidate}`);
      return candidate;
    }
    if (!alternate && isFile(join(dir, ALTERNATE_CONFIG_NAME))) alternate = join(dir, ALTERNATE_CONFIG_NAME);
    const parent = dirname(dir);
    if (parent === dir) break; // the root: sops would keep joining "..", which stays here
    dir = parent;
  }
  if (alternate) (options.warn ?? warnOnce)(`ignoring ${alternate}: the config file must be called ${CONFIG_FILE_NAME}`);
  return undefined;
}
