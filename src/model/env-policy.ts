/**
 * Which variable names a secrets file may set when hush exports it as an environment (`exec-env`,
 * `Secrets.toEnv()`, `hush-sops/config`, the GitHub Action's `env` and `dotenv` exports).
 *
 * Some names change what a program *does* rather than what it knows: they load code (`LD_PRELOAD`,
 * `NODE_OPTIONS`, `BASH_ENV`), decide which program runs (`PATH`), whom TLS trusts
 * (`NODE_EXTRA_CA_CERTS`), or belong to the CI runner (`GITHUB_*`). A value a keyless writer can
 * place outside the MAC (a null, a value in clear under `mac_only_encrypted`, the name of a clear
 * value) must never reach them, and a key holder rarely means to set them from a secrets file
 * either. So they are refused unless named explicitly (`--allow-env-name NAME`, the Action's
 * `allow-env-names` input, `HUSH_ALLOW_ENV_NAMES` for `hush-sops/config`, `allowNames` in the library).
 *
 * Names compare case-insensitively: on Windows `Path` is `PATH`.
 */
import { HushError } from "../errors.js";

/** Exact names refused by default, grouped by what they control. */
const DANGEROUS_ENV_NAMES: readonly string[] = [
  // which program runs, and how shells start
  "PATH", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND", "IFS", "CDPATH", "SHELL", "HOME",
  // code loaded into interpreters and runtimes
  "NODE_OPTIONS", "NODE_PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "PERL5LIB", "PERL5OPT",
  "PERLLIB", "RUBYLIB", "RUBYOPT", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "GCONV_PATH",
  // commands other tools run
  "EDITOR", "VISUAL", "PAGER", "LESSOPEN", "LESSCLOSE", "SSH_ASKPASS", "SUDO_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND",
  "GIT_EXEC_PATH", "GIT_ASKPASS", "GIT_EDITOR", "GIT_PAGER", "GIT_EXTERNAL_DIFF", "GIT_PROXY_COMMAND",
  "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
  // whom TLS trusts
  "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
];

/** Name prefixes refused by default: the dynamic loaders, the CI runner, and hush's and sops's own settings. */
const DANGEROUS_ENV_PREFIXES: readonly string[] = ["LD_", "DYLD_", "GITHUB_", "RUNNER_", "ACTIONS_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_", "HUSH_", "SOPS_"];

const EXACT = new Set(DANGEROUS_ENV_NAMES.map((n) => n.toUpperCase()));

/** Why `name` is refused by default (`"PATH"`, `"LD_*"`), or undefined when it is an ordinary name. */
export function dangerousEnvName(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (EXACT.has(upper)) return upper;
  const prefix = DANGEROUS_ENV_PREFIXES.find((p) => upper.startsWith(p));
  return prefix === undefined ? undefined : `${prefix}*`;
}

/**
 * Checks an allow list (`PATH`, `LD_*`): names of letters, digits and `_`, optionally ending in
 * `*` for a prefix. Throws USAGE for anything else, so a typo is not silently ignored.
 */
export function parseAllowedNames(names: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of names.flatMap((n) => n.split(/[,\n]/))) {
    const n = raw.trim();
    if (n === "") continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(n)) {
      throw new HushError("USAGE", `not a variable name to allow: ${JSON.stringify(n.slice(0, 60))}`, "give names like PATH, or a prefix like LD_*");
    }
    out.push(n.toUpperCase());
  }
  return out;
}

function allowed(name: string, allow: readonly string[]): boolean {
  const upper = name.toUpperCase();
  return allow.some((a) => (a.endsWith("*") ? upper.startsWith(a.slice(0, -1)) : upper === a));
}

/**
 * Throws GENERIC naming the first dangerous name not in `allow` (names only, never values). Call it
 * with every name of an export before anything is exported, so a refusal exports nothing.
 */
export function checkEnvNames(names: Iterable<string>, allow: readonly string[] = [], where = ""): void {
  const list = parseAllowedNames(allow);
  for (const name of names) {
    const why = dangerousEnvName(name);
    if (why === undefined || allowed(name, list)) continue;
    throw new HushError(
      "GENERIC",
      `${where}refusing to set ${name} from a secrets file: ${why === name.toUpperCase() ? name : why} changes how programs run (docs/security.md)`,
      `if it is meant, allow it explicitly: exec-env --allow-env-name ${name}, the Action's allow-env-names input, or HUSH_ALLOW_ENV_NAMES for hush-sops/config`,
    );
  }
}
