/**
 * Turning a secrets tree into environment variables (`hush exec-env`, `Secrets.toEnv()`,
 * `hush-sops/config`).
 *
 * The default ("flatten") is a superset of sops's `exec-env`: every file sops accepts gives the
 * same variables, and nested values, which sops rejects, get names built from their path:
 *
 * - a top-level value keeps its key as its name, exactly as written (`DATABASE_URL`, `http_proxy`);
 * - a nested value is named by its path joined with the separator (default `_`), upper-cased, with
 *   every character other than `A-Z`, `0-9` and `_` replaced by `_`: `db.password` → `DB_PASSWORD`,
 *   `api-keys.stripe` → `API_KEYS_STRIPE`, list items by index: `hosts[1]` → `HOSTS_1`;
 * - two values that end up with the same name in one file are an error (naming both paths);
 * - empty maps and lists give nothing.
 *
 * `flatten: false` is sops's behaviour: only top-level values, and a map or list is an error
 * (`cannot use complex value in environment`).
 *
 * Values are written as sops's `ValToString` does (SOPS-FORMAT §10.8): strings verbatim (newlines
 * included), integers in decimal, floats as Go's `%G`-based form (`3` → `3.0`, `1e-06` → `1E-06`),
 * booleans `true`/`false`, timestamps RFC 3339 without fractional seconds.
 *
 * Only what the MAC covers is exported (issue 14, docs/security.md): anyone who can push can add a
 * `null` (never encrypted, never in the MAC) or wrap a value in a list (list positions are in
 * neither the MAC nor the AAD), so
 * - a null is skipped (sops would write `<nil>`), and a value the file marks as outside the MAC
 *   (clear, under `mac_only_encrypted`) is skipped and reported through `onSkip`;
 * - a list item is refused unless `lists: true` (a value wrapped in a list would otherwise rename
 *   its variable, and the original would silently vanish);
 * - names that change how programs run (`PATH`, `LD_PRELOAD`, `NODE_OPTIONS`, `GITHUB_*`, …, see
 *   `model/env-policy.ts`) are refused unless listed in `allowNames`.
 */
import { HushError } from "../errors.js";
import type { PlainValue } from "./value.js";
import { goValToStringFloat, parseGoFloat } from "./go-number.js";
import { checkEnvNames } from "./env-policy.js";

/** How a tree becomes environment variables. */
export interface EnvOptions {
  /** Name nested values by their path (default true); false: sops's top-level-only behaviour. */
  flatten?: boolean;
  /** Joins the components of a nested value's name (default `_`; `__` suits .NET's convention). */
  separator?: string;
  /** Names (or `PREFIX_*`) allowed although they change how programs run (`PATH`, `LD_*`, …). */
  allowNames?: readonly string[];
  /** Name list items by their index (`hosts[1]` → `HOSTS_1`); refused by default (not authenticated). */
  lists?: boolean;
  /** Told about each value skipped because the MAC does not cover it (its path, never its value). */
  onSkip?: (path: string, reason: string) => void;
}

/** One entry of a tree in file order: a scalar (read on demand) or an empty map or list. */
export interface EnvSourceEntry {
  /** Map keys and list indexes from the root. */
  readonly path: readonly (string | number)[];
  /** Reads (decrypts) the value; absent for an empty map or list. */
  readonly read?: () => PlainValue | null;
  /** False for a value stored in clear that the MAC does not cover (`mac_only_encrypted`). */
  readonly authenticated?: boolean;
}

/** Checks a separator up front: it becomes part of variable names. */
function checkSeparator(separator: string): void {
  if (separator.includes("=") || separator.includes("\0")) {
    throw new HushError("USAGE", "the separator cannot contain '=' or a NUL character");
  }
}

/** The variable name of a value at `path` (see the module comment for the rules; also Secret keys, src/lib/secret-entries.ts). */
export function envName(path: readonly (string | number)[], separator = "_"): string {
  if (path.length === 1 && typeof path[0] === "string") return path[0];
  return path.map((p) => (typeof p === "number" ? String(p) : p.replace(/[^A-Za-z0-9_]/g, "_").toUpperCase())).join(separator);
}

function shorten(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
}

/** A path as people write it: `db.password`, `hosts[1]`. Used in messages (keys are not secrets). */
export function describeEnvPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}

/**
 * Builds the variables of one tree. The result has no prototype, so a key like `__proto__` is an
 * ordinary variable. Throws a HushError naming the key (never the value) when a name or a value
 * cannot be in an environment.
 */
export function treeToEnv(entries: Iterable<EnvSourceEntry>, options: EnvOptions = {}): Record<string, string> {
  const flatten = options.flatten ?? true;
  const separator = options.separator ?? "_";
  checkSeparator(separator);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const from = new Map<string, string>();
  for (const e of entries) {
    const top = e.path[0];
    if (typeof top !== "string") continue; // the root itself is a map; nothing else reaches here
    if (!flatten && e.path.length > 1) {
      throw new HushError(
        "GENERIC",
        `cannot use complex value in environment; offending key ${JSON.stringify(top)}`,
        "drop --no-flatten to name nested values by their path (db.password → DB_PASSWORD)",
      );
    }
    if (!e.read) {
      if (!flatten) throw new HushError("GENERIC", `cannot use complex value in environment; offending key ${JSON.stringify(top)}`);
      continue; // an empty map or list: nothing to pass
    }
    const plain = e.read();
    if (plain === null) continue; // a null is outside the MAC: anyone could have added it
    if (!options.lists && e.path.some((p) => typeof p === "number")) {
      throw new HushError(
        "GENERIC",
        `cannot use a list item as an environment variable: ${shorten(describeEnvPath(e.path))} (list positions are not covered by the MAC, so a value wrapped in a list would rename its variable)`,
        "use a map instead of a list, or name items by index explicitly with --env-lists",
      );
    }
    if (e.authenticated === false) {
      options.onSkip?.(describeEnvPath(e.path), "stored in clear outside the MAC (mac_only_encrypted)");
      continue;
    }
    const name = envName(e.path, separator);
    if (name === "") throw new HushError("GENERIC", "cannot use an empty key as an environment variable name");
    if (name.includes("=")) throw new HushError("GENERIC", `cannot use keys with '=' in environment: ${JSON.stringify(name)}`);
    if (name.includes("\0")) throw new HushError("GENERIC", "cannot use keys with a NUL character in environment");
    const where = describeEnvPath(e.path);
    const earlier = from.get(name);
    if (earlier !== undefined) {
      throw new HushError("GENERIC", `two values would both be the variable ${name}: ${earlier} and ${where}`, "rename one of them, or choose another --separator");
    }
    from.set(name, where);
    const value = valToString(plain);
    if (value.includes("\0")) throw new HushError("GENERIC", `the value of ${name} contains a NUL character, which an environment cannot hold`);
    out[name] = value;
  }
  checkEnvNames(Object.keys(out), options.allowNames ?? []);
  return out;
}

/**
 * sops's `ValToString` (SOPS-FORMAT §10.8), how dotenv, INI and the environment spell values that
 * are not strings: floats in Go's `%G`-based form (`3` → `3.0`, `1e-06` → `1E-06`), booleans `true`/`false`,
 * timestamps RFC 3339 without fractional seconds, everything else as its text. A null gives the
 * empty string (sops would print `<nil>`).
 */
export function valToString(v: PlainValue | null): string {
  if (v === null) return "";
  switch (v.type) {
    case "float":
      return goValToStringFloat(parseGoFloat(v.text) ?? Number.NaN);
    case "bool":
      return v.text === "True" || v.text === "true" ? "true" : "false";
    case "time":
      return v.text.replace(/\.\d+(?=(?:[Zz]|[+-]\d\d:\d\d)$)/, "");
    default:
      return v.text;
  }
}
