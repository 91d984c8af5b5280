/**
 * The one precedence rule for putting decrypted files into an environment (`hush exec-env`,
 * `hush-sops/config`, and `config()` of the library), as dotenv and dotenvx have it:
 *
 * - The files are applied in the order given, like assignments to the environment.
 * - Without overload, nothing already set is replaced: a variable already in the environment
 *   keeps its value, and among the files the **first** one that defines a variable wins.
 * - With overload, every assignment replaces: the **last** file wins, over the environment too.
 *
 * `hush-sops/config` does not overload unless `HUSH_OVERLOAD=1` (dotenv's default: the environment
 * a deployment sets wins over a committed file). `hush exec-env` overloads unless `--no-overload`,
 * because that is what `sops exec-env` does (it appends the file's variables to its own
 * environment, and the last of two equal names wins): sops scripts keep working unchanged.
 */

/**
 * The variables to set: each file's, in order, skipping (without `overload`) those already set in
 * `base` or by an earlier file.
 */
export function layerEnv(base: Readonly<Record<string, string | undefined>>, files: readonly Readonly<Record<string, string>>[], overload: boolean): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const vars of files) {
    for (const [name, value] of Object.entries(vars)) {
      if (!overload && (base[name] !== undefined || Object.hasOwn(out, name))) continue;
      out[name] = value;
    }
  }
  return out;
}

/** `HUSH_OVERLOAD` (or its first name, `HUSH_OVERRIDE`) set to 1, true or yes. */
export function overloadFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return /^(1|true|yes)$/i.test(env["HUSH_OVERLOAD"] ?? env["HUSH_OVERRIDE"] ?? "");
}
