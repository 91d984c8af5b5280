/**
 * `.sops.yaml` for commands: find it, pick the creation rule for a file, and combine it with the
 * command line the way sops does (SOPS-FORMAT §11 "Precedence"). `encrypt` uses
 * {@link encryptionSettings}; `updatekeys`, `edit` of a new file and the git commands can use
 * {@link rulesForFile} and the same function.
 */
import { HushError } from "../errors.js";
import type { SelectionRules } from "../model/metadata.js";
import type { FormatName } from "../model/tree.js";
import type { KeyRecipient } from "../keys/key-source.js";
import { recipientFor } from "../keys/registry.js";
import { findConfigFile } from "./discover.js";
import { displayPath, loadConfig, matchPath, selectCreationRule, type CreationRule, type LoadConfigOptions, type SopsConfig, type StoresConfig } from "./config.js";
import type { KeySpec } from "./key-specs.js";

export { CONFIG_FILE_NAME, findConfigFile } from "./discover.js";
export { displayPath, loadConfig, matchPath, parseConfig, selectCreationRule } from "./config.js";
export type { CreationRule, SopsConfig, StoresConfig } from "./config.js";
export { keySpecsFromFlags, parseKmsContext, specsFromString, type KeyFlags, type KeySpec } from "./key-specs.js";

/** Where the config comes from and how to read it. */
export interface ConfigOptions extends LoadConfigOptions {
  /** `--config`: an explicit file (then `SOPS_CONFIG`, then discovery from `cwd`). */
  configPath?: string;
  /** For `SOPS_CONFIG` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Stores settings when there is no config: nothing set, so each format keeps hush's default. */
const DEFAULT_STORES: StoresConfig = Object.freeze({ yaml: {}, json: {}, json_binary: {} });

/** The config in effect (explicit or discovered), loaded and validated; undefined when there is none. */
export async function loadEffectiveConfig(options: ConfigOptions = {}): Promise<SopsConfig | undefined> {
  const path = findConfigFile({
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.configPath !== undefined ? { configPath: options.configPath } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.warn !== undefined ? { warn: options.warn } : {}),
  });
  return path === undefined ? undefined : loadConfig(path, options);
}

/** A creation rule together with the config it came from. */
export interface ResolvedCreationRule extends CreationRule {
  /** Absolute path of the `.sops.yaml` the rule is in. */
  readonly configPath: string;
  readonly stores: StoresConfig;
}

function noMatch(config: SopsConfig, file: string | undefined, cwd: string): HushError {
  const shown = displayPath(config.path, cwd);
  if (file === undefined) {
    return new HushError(
      "CONFLICTING_PARAMETERS",
      `standard input has no file name to match against the creation rules of ${shown}`,
      "pass --filename-override with the name the file will have",
    );
  }
  return new HushError(
    "CONFIG",
    `no matching creation rule for ${matchPath(config, file, cwd)} in ${shown}`,
    "add a rule whose path_regex matches the file (paths are relative to the directory of .sops.yaml), or name keys with --age and the other key flags",
  );
}

/**
 * The creation rule for `file` (a path, relative to `cwd`), or undefined when there is no config or
 * it has no `creation_rules` (sops then behaves as if there were no config). Throws CONFIG when
 * rules exist but none matches, and for an invalid config.
 */
export async function rulesForFile(
  file: string | undefined,
  options: ConfigOptions = {},
  /** The config already loaded with these options (many files, one `.sops.yaml`). */
  preloaded?: { config: SopsConfig | undefined },
): Promise<ResolvedCreationRule | undefined> {
  const cwd = options.cwd ?? process.cwd();
  const config = preloaded ? preloaded.config : await loadEffectiveConfig(options);
  if (!config?.creationRules) return undefined;
  const rule = selectCreationRule(config, file, cwd);
  if (!rule) throw noMatch(config, file, cwd);
  return { ...rule, configPath: config.path, stores: config.stores };
}

/** What the command line says about a new file's encryption (flags and their env variables). */
export interface EncryptionRequest extends ConfigOptions {
  /** The file name rules are matched with (`--filename-override` or the input path); undefined for unnamed stdin. */
  file: string | undefined;
  /** The one key group named by key flags or their variables ({@link keySpecsFromFlags}); undefined if none. */
  keys?: readonly KeySpec[] | undefined;
  /** Selection options given on the command line (at most one). */
  rules?: SelectionRules;
  macOnlyEncrypted?: boolean;
  /** 0 or undefined: not given. */
  shamirThreshold?: number;
}

/** The settings a new file is encrypted with. */
export interface EncryptionSettings {
  groups: readonly (readonly KeySpec[])[];
  /** Empty means sops's default (`unencrypted_suffix: _unencrypted`). */
  rules: SelectionRules;
  macOnlyEncrypted: boolean;
  /** 0: all groups are needed (with several groups). */
  shamirThreshold: number;
  stores: StoresConfig;
  /** The config file used, if any. */
  configPath?: string;
  /** The index of the creation rule used, if any. */
  ruleIndex?: number;
}

/**
 * Combines the command line with `.sops.yaml` as sops does (`keyGroups`, `getEncryptConfig`,
 * `shamirThreshold` in sops's main.go):
 * - any key flag or key variable: the config's keys are ignored entirely (§14-Q27);
 * - selection options: the command line's if it gives one, else the rule's;
 * - `mac_only_encrypted`: set if either sets it; the Shamir threshold: the command line's if non-zero,
 *   else the rule's.
 *
 * Where sops is known to be wrong, hush is not: with keys on the command line, a config whose rules
 * do not match the file is not an error (getsops/sops#1790, #611); a command-line selection option
 * replaces the rule's instead of conflicting with it.
 */
export async function encryptionSettings(request: EncryptionRequest): Promise<EncryptionSettings> {
  const cwd = request.cwd ?? process.cwd();
  const config = await loadEffectiveConfig(request);
  let rule: CreationRule | undefined;
  if (config?.creationRules) {
    rule = selectCreationRule(config, request.file, cwd);
    if (!rule && !request.keys) throw noMatch(config, request.file, cwd);
  }
  const where = rule && config ? `creation_rules[${rule.index}] of ${displayPath(config.path, cwd)}` : undefined;
  let groups: readonly (readonly KeySpec[])[];
  if (request.keys) groups = [request.keys];
  else if (rule) groups = rule.groups;
  else {
    throw new HushError(
      "NO_ENCRYPTION_KEY",
      config
        ? `no recipients: ${displayPath(config.path, cwd)} has no creation_rules and no key option was given`
        : "no recipients: no key option was given and no .sops.yaml was found",
      "pass --age age1… (or --pgp, --kms, --gcp-kms, --azure-kv, --hc-vault-transit, or their SOPS_* variables), or add a .sops.yaml creation rule; `hush keygen` prints your age public key",
    );
  }
  if (groups.every((g) => g.length === 0)) {
    throw new HushError(
      "NO_ENCRYPTION_KEY",
      where ? `no recipients: ${where} names no keys` : "no recipients: the key options name no keys",
      "add age, pgp, kms, … recipients to the rule or its key_groups, or pass --age",
    );
  }
  const empty = groups.findIndex((g) => g.length === 0);
  if (empty !== -1) throw new HushError("CONFIG", `key group ${empty} of ${where ?? "the command line"} has no keys`);

  const cliRules = request.rules ?? {};
  const rules = Object.keys(cliRules).length > 0 ? cliRules : (rule?.rules ?? {});
  const out: EncryptionSettings = {
    groups,
    rules: { ...rules },
    macOnlyEncrypted: Boolean(request.macOnlyEncrypted) || (rule?.macOnlyEncrypted ?? false),
    shamirThreshold: request.shamirThreshold || rule?.shamirThreshold || 0,
    stores: config?.stores ?? DEFAULT_STORES,
  };
  if (config) out.configPath = config.path;
  if (rule) out.ruleIndex = rule.index;
  return out;
}

/**
 * The indentation `stores:` sets for an output format, or undefined to keep hush's default (which
 * follows the input's layout). YAML's 0 means sops's default of 4, so it is "not set" too.
 */
export function storeIndent(stores: StoresConfig, format: FormatName): number | undefined {
  switch (format) {
    case "yaml":
      return stores.yaml.indent !== undefined && stores.yaml.indent > 0 ? stores.yaml.indent : undefined;
    case "json":
      return stores.json.indent;
    case "binary":
      return stores.json_binary.indent;
    default:
      return undefined;
  }
}

/** What encrypting with {@link EncryptionSettings} takes (the options of `encryptText`). */
export interface EncryptionOptions {
  groups: KeyRecipient[][];
  rules: SelectionRules;
  macOnlyEncrypted?: true;
  shamirThreshold?: number;
  indent?: number;
}

/**
 * The settings made ready to encrypt with: the recipients built, and the indent `indent` if given,
 * else the `stores:` one for the output `format`.
 */
export async function encryptionOptions(settings: EncryptionSettings, format: FormatName, env: NodeJS.ProcessEnv = process.env, indent?: number): Promise<EncryptionOptions> {
  const ind = indent ?? storeIndent(settings.stores, format);
  return {
    groups: await recipientsForGroups(settings.groups, env),
    rules: settings.rules,
    ...(settings.macOnlyEncrypted ? { macOnlyEncrypted: true } : {}),
    ...(settings.shamirThreshold ? { shamirThreshold: settings.shamirThreshold } : {}),
    ...(ind !== undefined ? { indent: ind } : {}),
  };
}

/** Builds the recipients of every group (each key service module is loaded only if named). */
export async function recipientsForGroups(
  groups: readonly (readonly KeySpec[])[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<KeyRecipient[][]> {
  const out: KeyRecipient[][] = [];
  for (const g of groups) {
    const built: KeyRecipient[] = [];
    for (const k of g) built.push(await recipientFor(k.kind, k.spec, env));
    out.push(built);
  }
  return out;
}
