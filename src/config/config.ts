/**
 * `.sops.yaml`: load, validate against `schemas/sops-config.schema.json`, and pick the creation
 * rule for a file, as sops's `config/config.go` does (SOPS-FORMAT §11). Recipients stay data
 * ({@link KeySpec}); nothing here loads a key service. Ajv is imported only when a config file is
 * actually loaded, so commands without one never pay for it.
 */
// (node:fs/promises is loaded only when a config is read: loading it costs ~2 ms at every start)
import { promises as fsp } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { parseAllDocuments } from "yaml";
import { HushError } from "../errors.js";
import { RULE_NAMES, type SelectionRules } from "../model/metadata.js";
import { compileGoRegex } from "../model/go-regex.js";
import { readRotationPolicy, type RotationPolicy } from "./rotation-policy.js";
import { SERVICES_CONFIG_ORDER } from "../keys/index.js";
import type { ConfigList, ConfigObject } from "../keys/service.js";
import { warnOnce } from "./discover.js";
import { dedupGroup, specsFromString, splitList, type KeySpec, type KmsContext } from "./key-specs.js";

/** Output settings per format (`stores:`); undefined means "not set" (hush keeps its default). */
export interface StoresConfig {
  yaml: { indent?: number };
  json: { indent?: number };
  json_binary: { indent?: number };
}

/** One creation rule, validated, with its keys still as data. */
export interface CreationRule {
  /** Its position in `creation_rules`, for messages. */
  readonly index: number;
  /** undefined: the rule matches every file. */
  readonly pathRegex: string | undefined;
  /**
   * One list per key group, in sops's order and with `key_groups` duplicates removed (flat form:
   * age, pgp, kms, gcp_kms, hckms, azure_kv, hc_vault; `key_groups`: merge first, then the same).
   * A flat rule without keys is one empty group.
   */
  readonly groups: readonly (readonly KeySpec[])[];
  /** The selection option set in the rule (at most one), or none. */
  readonly rules: SelectionRules;
  readonly macOnlyEncrypted: boolean;
  /** 0 when unset. */
  readonly shamirThreshold: number;
}

/** A loaded and validated `.sops.yaml`. */
export interface SopsConfig {
  /** Absolute path of the file. */
  readonly path: string;
  /** undefined when the file has no `creation_rules` key: sops then behaves as if there were no config. */
  readonly creationRules: readonly CreationRule[] | undefined;
  readonly stores: StoresConfig;
  /** hush's rotation policy (`hush.rotation`; sops ignores it), when the file has one. */
  readonly rotation?: RotationPolicy;
}

/** How to load a config. */
export interface LoadConfigOptions {
  /** For relative paths in messages (default: `process.cwd()`). */
  cwd?: string;
  /**
   * The `--encryption-context` of the command line: sops gives it to every `kms` key of a flat
   * rule, which has no other way to name a context.
   */
  kmsEncryptionContext?: KmsContext;
  /** Receives warnings about options sops ignores (default: stderr, each once). */
  warn?: (message: string) => void;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The place in the file, as messages show it: `creation_rules[1].key_groups[0].age[2]`. */
function showPath(parts: readonly (string | number)[]): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === "" ? "the top level" : out;
}

/**
 * A value as sops would see it in a Go `string` field: yaml.v3 stores any scalar's source text
 * there (`version: 1.10` is "1.10", not 1.1). `text` is the same node from a failsafe parse, which
 * keeps every scalar's text.
 */
function goString(typed: Json | undefined, text: Json | undefined): string {
  if (typed === undefined || typed === null) return "";
  if (typeof typed === "string") return typed;
  return typeof text === "string" ? text : String(typed);
}

/** yaml.v3 accepts YAML 1.1 booleans (`yes`, `off`, …) in a Go `bool` field. */
function coerceBool(v: Json | undefined): Json | undefined {
  if (typeof v !== "string") return v;
  if (["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"].includes(v)) return true;
  if (["n", "N", "no", "No", "NO", "off", "Off", "OFF"].includes(v)) return false;
  return v;
}

/** Applies {@link coerceBool} to the bool fields of rules, in place, before validation. */
function coerceBools(root: Json): void {
  if (!isObj(root)) return;
  const rule = (r: Json | undefined) => {
    if (isObj(r) && "mac_only_encrypted" in r) r["mac_only_encrypted"] = coerceBool(r["mac_only_encrypted"]) ?? null;
  };
  const cr = root["creation_rules"];
  if (Array.isArray(cr)) cr.forEach(rule);
  const dr = root["destination_rules"];
  if (Array.isArray(dr)) {
    for (const d of dr) {
      if (!isObj(d)) continue;
      if ("omit_extensions" in d) d["omit_extensions"] = coerceBool(d["omit_extensions"]) ?? null;
      rule(d["recreation_rule"]);
    }
  }
}

/** Parses the YAML twice: typed (for validation) and failsafe (every scalar's source text). */
function parseYaml(source: string, shown: string): { typed: Json; text: Json } {
  const parse = (schema: "core" | "failsafe"): Json => {
    // sops reads only the first document (yaml.Unmarshal); `<<` merge keys work in yaml.v3.
    const doc = parseAllDocuments(source, { schema, merge: true })[0];
    if (!doc) return null;
    const err = doc.errors[0];
    if (err) {
      // The first line only: the rest of yaml's message is an excerpt of the file.
      const line = (err.message.split("\n")[0] ?? "").replace(/:$/, "");
      throw new HushError("CONFIG", `${shown}: not valid YAML: ${line}`);
    }
    return (doc.toJS({ maxAliasCount: 10_000 }) ?? null) as Json;
  };
  return { typed: parse("core"), text: parse("failsafe") };
}

type Validator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

let validatorPromise: Promise<Validator> | undefined;

/**
 * The schema's validator, loaded on first use: compiled ahead of time from
 * schemas/sops-config.schema.json by scripts/compile-schema.js (compiling it with Ajv here cost
 * ~150 ms per command that reads a .sops.yaml).
 */
function validator(): Promise<Validator> {
  validatorPromise ??= import("./sops-config.validate.js").then((m) => m.validate as Validator);
  return validatorPromise;
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return "empty";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  if (typeof v === "boolean") return "a boolean";
  return "a string";
}

function pointerParts(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(root: Json, parts: readonly (string | number)[]): Json | undefined {
  let v: Json | undefined = root;
  for (const p of parts) {
    if (Array.isArray(v) && typeof p === "number") v = v[p];
    else if (isObj(v) && typeof p === "string") v = v[p];
    else return undefined;
  }
  return v;
}

/** One Ajv error as a short clause: `creation_rules[1].shamir_threshold must be an integer (got a string)`. */
function describeAjvError(e: AjvError, root: Json): string {
  const parts = pointerParts(e.instancePath);
  const where = showPath(parts);
  switch (e.keyword) {
    case "type": {
      const want = String(e.params["type"])
        .split(",")
        .filter((t) => t !== "null" && !(t === "number" && String(e.params["type"]).includes("integer")))
        .map((t) => TYPE_NAMES[t] ?? t);
      const uniq = [...new Set(want)];
      return `${where} must be ${uniq.join(" or ")} (got ${typeOf(valueAt(root, parts))})`;
    }
    case "required":
      return `${where} is missing "${String(e.params["missingProperty"])}"`;
    case "minimum":
      return `${where} must be at least ${String(e.params["limit"])}`;
    default:
      return `${where} ${e.message ?? "is not valid"}`;
  }
}

/** Validates against the schema: unknown keys become warnings (sops ignores them), the rest one error. */
async function validate(typed: Json, shown: string, warn: (m: string) => void): Promise<void> {
  const validateFn = await validator();
  if (validateFn(typed)) return;
  const errors = validateFn.errors ?? [];
  const problems: string[] = [];
  for (const e of errors) {
    if (e.keyword === "additionalProperties") {
      const key = String(e.params["additionalProperty"]);
      warn(`${shown}: ${showPath([...pointerParts(e.instancePath), key])} is not a sops option and is ignored`);
      continue;
    }
    problems.push(describeAjvError(e, typed));
  }
  if (problems.length === 0) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more ${problems.length === 2 ? "problem" : "problems"})` : "";
  throw new HushError("CONFIG", `${shown}: ${problems[0]!}${more}`, "see schemas/sops-config.schema.json for the format of .sops.yaml");
}

/** A string or list field of the flat form, as `parseKeyField` returns it. */
function keyField(typed: Json | undefined, text: Json | undefined): string[] {
  if (typed === undefined || typed === null) return [];
  if (typeof typed === "string") return splitList(typed);
  if (Array.isArray(typed)) return typed.map((v, i) => goString(v, Array.isArray(text) ? text[i] : undefined));
  return [];
}

/** A Go `[]string` field: each item's text. */
function textList(typed: Json | undefined, text: Json | undefined): string[] {
  if (!Array.isArray(typed)) return [];
  return typed.map((v, i) => goString(v, Array.isArray(text) ? text[i] : undefined));
}

function objList(typed: Json | undefined, text: Json | undefined): { t: Obj; x: Obj }[] {
  if (!Array.isArray(typed)) return [];
  const out: { t: Obj; x: Obj }[] = [];
  typed.forEach((t, i) => {
    const tx = Array.isArray(text) ? text[i] : undefined;
    if (isObj(t)) out.push({ t, x: isObj(tx) ? tx : {} });
  });
  return out;
}

/** A `key_groups` field with sops's readings of it, for the service descriptors. */
function configList(typed: Json | undefined, text: Json | undefined): ConfigList {
  return {
    strings: () => textList(typed, text),
    objects: () =>
      objList(typed, text).map(({ t, x }): ConfigObject => ({
        string: (f) => goString(t[f], x[f]),
        map(f) {
          const out: Record<string, string> = {};
          const c = t[f];
          const cx = isObj(x[f]) ? (x[f] as Obj) : {};
          if (isObj(c)) for (const name of Object.keys(c)) out[name] = goString(c[name], cx[name]);
          return out;
        },
      })),
  };
}

/** The keys of one `key_groups` entry (`extractMasterKeys`): merge first, then each service. */
function groupKeys(t: Json | undefined, x: Json | undefined): KeySpec[] {
  if (!isObj(t)) return [];
  const tx = isObj(x) ? x : {};
  const out: KeySpec[] = [];
  const merge = t["merge"];
  if (Array.isArray(merge)) {
    merge.forEach((m, i) => out.push(...groupKeys(m, Array.isArray(tx["merge"]) ? tx["merge"][i] : undefined)));
  }
  for (const s of SERVICES_CONFIG_ORDER) {
    const name = s.config.group;
    for (const spec of s.config.groupSpecs(configList(t[name], tx[name]))) out.push({ kind: s.kind, spec });
  }
  return dedupGroup(out);
}

/** Builds one rule; `where` names it in messages. */
function buildRule(index: number, t: Json | undefined, x: Json | undefined, where: (string | number)[], shown: string, opts: LoadConfigOptions): CreationRule {
  const r: Obj = isObj(t) ? t : {};
  const rx: Obj = isObj(x) ? x : {};
  const warn = opts.warn ?? warnOnce;
  const field = (name: string) => `${shown}: ${showPath([...where, name])}`;

  const pathRegex = r["path_regex"] === undefined || r["path_regex"] === null ? undefined : goString(r["path_regex"], rx["path_regex"]);
  // sops ignores an empty path_regex (it matches everything); compile the rest now, so a bad
  // pattern fails before anything is written, whichever file is being encrypted.
  if (pathRegex) compileGoRegex(pathRegex, field("path_regex"));

  const rules: SelectionRules = {};
  for (const name of RULE_NAMES) {
    const v = goString(r[name], rx[name]);
    if (v !== "") rules[name] = v;
  }
  const set = Object.keys(rules);
  if (set.length > 1) {
    throw new HushError("CONFIG", `${shown}: ${showPath(where)} sets ${set.join(" and ")}: use at most one of ${RULE_NAMES.join(", ")}`);
  }
  for (const name of ["unencrypted_regex", "encrypted_regex", "unencrypted_comment_regex", "encrypted_comment_regex"] as const) {
    const v = rules[name];
    if (v !== undefined) compileGoRegex(v, field(name));
  }

  let groups: KeySpec[][];
  const kg = r["key_groups"];
  if (Array.isArray(kg) && kg.length > 0) {
    const ignored = SERVICES_CONFIG_ORDER.map((s) => s.config.flat).filter((f) => r[f] !== undefined && r[f] !== null);
    if (ignored.length > 0) warn(`${shown}: ${showPath(where)}: ${ignored.join(", ")} ignored because key_groups is set (as sops does)`);
    groups = kg.map((g, i) => groupKeys(g, Array.isArray(rx["key_groups"]) ? rx["key_groups"][i] : undefined));
  } else {
    const context = opts.kmsEncryptionContext;
    const awsProfile = goString(r["aws_profile"], rx["aws_profile"]);
    const group: KeySpec[] = [];
    for (const s of SERVICES_CONFIG_ORDER) {
      const name = s.config.flat;
      // sops joins a list with commas and splits again, so list entries may be comma lists too.
      const list = s.config.flatForm === "list" ? textList(r[name], rx[name]) : keyField(r[name], rx[name]);
      group.push(...specsFromString(s.kind, list.join(","), { ...(context ? { context } : {}), awsProfile }));
    }
    // No dedup here: sops deduplicates only key_groups (`extractMasterKeys`).
    groups = [group];
  }

  return {
    index,
    pathRegex,
    groups,
    rules,
    macOnlyEncrypted: r["mac_only_encrypted"] === true,
    shamirThreshold: typeof r["shamir_threshold"] === "number" ? r["shamir_threshold"] : 0,
  };
}

function readStores(t: Json | undefined): StoresConfig {
  const s = isObj(t) ? t : {};
  const indent = (name: string): { indent?: number } => {
    const o = s[name];
    const v = isObj(o) ? o["indent"] : undefined;
    return typeof v === "number" ? { indent: v } : {};
  };
  return { yaml: indent("yaml"), json: indent("json"), json_binary: indent("json_binary") };
}

/** How a config path is shown in messages: relative to the working directory when inside it. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/**
 * Parses and validates config text. Every problem is a `HushError` with code CONFIG (exit 5) naming
 * the file, the offending field and the reason; keys sops does not know are warnings.
 */
export async function parseConfig(source: string, path: string, options: LoadConfigOptions = {}): Promise<SopsConfig> {
  const cwd = options.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  const shown = displayPath(abs, cwd);
  const { typed, text } = parseYaml(source, shown);
  coerceBools(typed);
  await validate(typed, shown, options.warn ?? warnOnce);
  const root: Obj = isObj(typed) ? typed : {};
  const rootText: Obj = isObj(text) ? text : {};
  const cr = root["creation_rules"];
  const crText = rootText["creation_rules"];
  const creationRules =
    cr === undefined || cr === null
      ? undefined
      : (cr as Json[]).map((r, i) => buildRule(i, r, Array.isArray(crText) ? crText[i] : undefined, ["creation_rules", i], shown, options));
  // Destination rules serve `publish`; validate what would fail there too, so errors show early.
  const dr = root["destination_rules"];
  if (Array.isArray(dr)) {
    dr.forEach((d, i) => {
      if (!isObj(d)) return;
      const where = ["destination_rules", i];
      const pr = d["path_regex"];
      if (typeof pr === "string" && pr !== "") compileGoRegex(pr, `${shown}: ${showPath([...where, "path_regex"])}`);
      const dests = ["s3_bucket", "gcs_bucket", "vault_path"].filter((k) => typeof d[k] === "string" && d[k] !== "");
      if (dests.length > 1) throw new HushError("CONFIG", `${shown}: ${showPath(where)} sets ${dests.join(" and ")}: use one destination per rule`);
      const rr = d["recreation_rule"];
      const dx = Array.isArray(rootText["destination_rules"]) ? rootText["destination_rules"][i] : undefined;
      if (isObj(rr)) buildRule(i, rr, isObj(dx) ? dx["recreation_rule"] : undefined, [...where, "recreation_rule"], shown, options);
    });
  }
  const rotation = readRotationPolicy(root, shown);
  return { path: abs, creationRules, stores: readStores(root["stores"]), ...(rotation ? { rotation } : {}) };
}

/** Reads, parses and validates a config file. A file that cannot be read is a CONFIG error. */
export async function loadConfig(path: string, options: LoadConfigOptions = {}): Promise<SopsConfig> {
  const cwd = options.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  let source: string;
  try {
    source = await fsp.readFile(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "read failed";
    throw new HushError("CONFIG", `cannot read the config file ${displayPath(abs, cwd)}: ${code}`, code === "ENOENT" ? "check --config and SOPS_CONFIG" : undefined);
  }
  return parseConfig(source, abs, options);
}

/**
 * The path a file is matched with: absolute, then relative to the config file's directory when it
 * lies inside it (sops trims `<config dir>/`; a file elsewhere is matched by its absolute path).
 */
export function matchPath(config: Pick<SopsConfig, "path">, file: string, cwd: string = process.cwd()): string {
  const abs = resolve(cwd, file);
  const prefix = dirname(config.path) + sep;
  return abs.startsWith(prefix) ? abs.slice(prefix.length) : abs;
}

/**
 * The first creation rule whose `path_regex` is found in the file's path (unanchored, Go RE2); a
 * rule without one matches everything. `file` undefined means the name is unknown (standard input
 * without `--filename-override`): only a leading catch-all rule can then be chosen.
 * Returns undefined when no rule matches; the caller decides whether that is an error.
 */
export function selectCreationRule(config: SopsConfig, file: string | undefined, cwd: string = process.cwd()): CreationRule | undefined {
  const rules = config.creationRules ?? [];
  const path = file === undefined ? undefined : matchPath(config, file, cwd);
  for (const rule of rules) {
    if (!rule.pathRegex) return rule;
    if (path === undefined) return undefined;
    if (compileGoRegex(rule.pathRegex, "path_regex").test(path)) return rule;
  }
  return undefined;
}
