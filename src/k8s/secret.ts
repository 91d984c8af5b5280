/**
 * Building a `v1/Secret` manifest from named values, with the checks the API server would make
 * (names, keys, labels, the keys each built-in Secret type requires), so a mistake fails here,
 * with a clear message, and not at `kubectl apply` time. Nothing here reads or writes files: the
 * manifest is text for standard output or for kustomize.
 */
import { stringify } from "yaml";
import { HushError } from "../errors.js";
import type { SecretEntry } from "../lib/internal.js";

/** How to shape the Secret. */
export interface SecretSpec {
  name: string;
  namespace?: string;
  /** `Opaque` (default), `kubernetes.io/tls`, … or any custom type. */
  type?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /**
   * Values as `stringData` (plain text) instead of base64 `data` (all, or those the function picks);
   * bytes that are not UTF-8 stay in `data`.
   */
  stringData?: boolean | ((entry: SecretEntry) => boolean);
}

/** The keys each built-in type needs (https://kubernetes.io/docs/concepts/configuration/secret/#secret-types). */
const REQUIRED_KEYS: Record<string, { all?: string[]; oneOf?: string[] }> = {
  "kubernetes.io/tls": { all: ["tls.crt", "tls.key"] },
  "kubernetes.io/dockerconfigjson": { all: [".dockerconfigjson"] },
  "kubernetes.io/dockercfg": { all: [".dockercfg"] },
  "kubernetes.io/basic-auth": { oneOf: ["username", "password"] },
  "kubernetes.io/ssh-auth": { all: ["ssh-privatekey"] },
  "bootstrap.kubernetes.io/token": { all: ["token-id", "token-secret"] },
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function usage(message: string, hint?: string): HushError {
  return new HushError("USAGE", message, hint);
}

/** A Secret's (or namespace's) name as the API server checks it. */
function checkName(what: "name" | "namespace", v: string): void {
  const ok = what === "name" ? v.length <= 253 && DNS_SUBDOMAIN.test(v) : v.length <= 63 && DNS_LABEL.test(v);
  if (!ok) {
    throw usage(
      `invalid Secret ${what} ${JSON.stringify(v)}`,
      what === "name" ? "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit" : "lower-case letters, digits and '-', at most 63",
    );
  }
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain. */
function checkQualifiedKey(what: string, k: string): void {
  const slash = k.lastIndexOf("/");
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  const ok = name.length <= 63 && QUALIFIED_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!ok) throw usage(`invalid ${what} key ${JSON.stringify(k)}`, "[prefix/]name: a name of letters, digits, '-', '_', '.' (at most 63)");
}

/** Parses `k=v` flags (`--label`, `--annotation`) into a map; a key given twice is an error. */
export function parsePairs(what: "label" | "annotation", pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw usage(`--${what} takes KEY=VALUE, got ${JSON.stringify(p)}`);
    const k = p.slice(0, eq);
    if (k in out) throw usage(`--${what} ${k} is given twice`);
    out[k] = p.slice(eq + 1);
  }
  return out;
}

function checkLabels(labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    checkQualifiedKey("label", k);
    if (v.length > 63 || !LABEL_VALUE.test(v)) throw usage(`invalid value for label ${k}`, "at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit");
  }
}

/**
 * Checks the values against the spec: valid and unique keys, the keys the type requires, and
 * `.dockerconfigjson`/`.dockercfg` being JSON. Messages name keys and files, never values.
 */
function checkEntries(entries: readonly SecretEntry[], type: string): void {
  const names = new Map<string, string>();
  for (const e of entries) {
    if (!SECRET_KEY.test(e.name) || e.name.length > 253) {
      throw usage(
        `${JSON.stringify(e.name)} (from ${e.from}) cannot be a Secret key`,
        "keys are letters, digits, '-', '_' and '.': rename it, or use --extract/--key",
      );
    }
    const earlier = names.get(e.name);
    if (earlier !== undefined) throw usage(`two values would both be the Secret key ${e.name}: ${earlier} and ${e.from}`);
    names.set(e.name, e.from);
  }
  const req = REQUIRED_KEYS[type];
  if (req) {
    const missing = (req.all ?? []).filter((k) => !names.has(k));
    if (missing.length > 0) {
      throw new HushError(
        "GENERIC",
        `a ${type} Secret needs the key${missing.length > 1 ? "s" : ""} ${missing.join(" and ")}; the values have ${describeKeys(names)}`,
        "name the values so (top-level keys keep their names), or use --key for a whole file",
      );
    }
    if (req.oneOf && !req.oneOf.some((k) => names.has(k))) {
      throw new HushError("GENERIC", `a ${type} Secret needs at least one of the keys ${req.oneOf.join(", ")}; the values have ${describeKeys(names)}`);
    }
  }
  for (const k of [".dockerconfigjson", ".dockercfg"]) {
    const e = entries.find((x) => x.name === k);
    if (e && (type === "kubernetes.io/dockerconfigjson" || type === "kubernetes.io/dockercfg")) {
      try {
        JSON.parse(Buffer.from(e.value).toString("utf8"));
      } catch {
        throw new HushError("GENERIC", `${k} (from ${e.from}) is not JSON`, "give the whole docker config.json file with --key .dockerconfigjson");
      }
    }
  }
}

function describeKeys(names: Map<string, string>): string {
  return names.size === 0 ? "none" : [...names.keys()].sort().join(", ");
}

/** Checks the name, namespace, type, labels and annotations (callers do it before decrypting). */
export function checkSpec(spec: SecretSpec): void {
  checkName("name", spec.name);
  if (spec.namespace !== undefined) checkName("namespace", spec.namespace);
  const type = spec.type ?? "Opaque";
  if (type === "" || type.length > 253) throw usage("invalid Secret type");
  if (spec.labels) checkLabels(spec.labels);
  for (const k of Object.keys(spec.annotations ?? {})) checkQualifiedKey("annotation", k);
}

/** The Secret as a plain object, keys sorted (as kubectl prints them). */
export function secretObject(entries: readonly SecretEntry[], spec: SecretSpec): Record<string, unknown> {
  checkSpec(spec);
  const type = spec.type ?? "Opaque";
  checkEntries(entries, type);

  const metadata: Record<string, unknown> = { name: spec.name };
  if (spec.namespace !== undefined) metadata["namespace"] = spec.namespace;
  if (spec.labels && Object.keys(spec.labels).length > 0) metadata["labels"] = sorted(spec.labels);
  if (spec.annotations && Object.keys(spec.annotations).length > 0) metadata["annotations"] = sorted(spec.annotations);
  const data: Record<string, string> = {};
  const stringData: Record<string, string> = {};
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const buf = Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength);
    const asText = typeof spec.stringData === "function" ? spec.stringData(e) : spec.stringData === true;
    const text = asText ? buf.toString("utf8") : undefined;
    if (text !== undefined && Buffer.from(text, "utf8").equals(buf)) stringData[e.name] = text;
    else data[e.name] = buf.toString("base64");
  }
  const out: Record<string, unknown> = { apiVersion: "v1", kind: "Secret", metadata, type };
  if (Object.keys(data).length > 0 || Object.keys(stringData).length === 0) out["data"] = data;
  if (Object.keys(stringData).length > 0) out["stringData"] = stringData;
  return out;
}

function sorted(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k]!;
  return out;
}

/**
 * YAML text of one or more manifests, as a stream (`---` between documents). Strings that a YAML
 * 1.1 reader would take for something else (`yes`, `on`, `0123`, `12:30`) are quoted: kubectl
 * reads manifests with a YAML 1.1 library (sigs.k8s.io/yaml), kustomize with a 1.2 one, and a
 * quoted string means the same to both.
 */
export function manifestsYaml(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { version: "1.1", lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}
