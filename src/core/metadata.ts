/**
 * The `sops` metadata block (SOPS-FORMAT §7): reading every historical layout, writing the
 * sops 3.13 one (keys sorted at every level, empty optional fields omitted).
 */
import { HushError } from "../errors.js";
import { keyService, KEY_SERVICES, SERVICES_LOAD_ORDER } from "../keys/index.js";
import {
  RULE_NAMES,
  type KeyKind,
  type MetaNode,
  type Metadata,
  type MetadataBlock,
  type SelectionRules,
  type WrappedKey,
} from "../model/metadata.js";
import { canonicalLastModified } from "./mac.js";

function invalid(msg: string): HushError {
  return new HushError("INVALID_METADATA", `invalid sops metadata: ${msg}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

/** mapstructure's weak typing: dotenv and INI store every value as a string. */
function weakString(v: unknown, field: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw invalid(`${field} must be a string`);
}

function weakInt(v: unknown, field: string): number {
  if (v === undefined || v === null || v === "") return 0;
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw invalid(`${field} must be an integer`);
  return n;
}

function weakBool(v: unknown, field: string): boolean {
  if (v === undefined || v === null || v === "") return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  }
  throw invalid(`${field} must be a boolean`);
}

function readEntry(kind: KeyKind, raw: unknown, where: string): WrappedKey {
  if (!isRecord(raw)) throw invalid(`${where} must be a mapping`);
  const entry: Record<string, unknown> = {};
  const service = keyService(kind);
  for (const f of service.entryFields) {
    const v = raw[f];
    if (service.mapFields?.includes(f)) {
      if (v === undefined || v === null) continue;
      if (!isRecord(v)) throw invalid(`${where}.${f} must be a mapping`);
      const ctx: Record<string, string> = {};
      for (const [k, cv] of Object.entries(v)) ctx[k] = weakString(cv, `${where}.${f}.${k}`);
      entry[f] = ctx;
      continue;
    }
    if (v === undefined) continue;
    entry[f] = weakString(v, `${where}.${f}`);
  }
  if (typeof entry["created_at"] === "string" && entry["created_at"] !== "" && !canonicalLastModified(entry["created_at"])) {
    throw invalid(`${where}.created_at is not an RFC 3339 time`);
  }
  return { kind, entry };
}

function readGroup(raw: Record<string, unknown>, where: string): WrappedKey[] {
  const group: WrappedKey[] = [];
  for (const { kind } of SERVICES_LOAD_ORDER) {
    const list = raw[kind];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw invalid(`${where}${kind} must be a list`);
    list.forEach((e, i) => group.push(readEntry(kind, e, `${where}${kind}[${i}]`)));
  }
  return group;
}

/** semver (as `blang/semver` parses it) or a `1.` prefix, which sops's version check accepts. */
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/**
 * Reads the `sops` block from its plain JS form (any historical layout: struct order, alphabetical,
 * `kms: []`, `"kms": null`, unknown keys such as `attention`), SOPS-FORMAT §7.5.
 */
export function readMetadata(raw: unknown): Metadata {
  if (!isRecord(raw)) throw new HushError("INVALID_METADATA", "found a sops entry that is not a mapping");
  let keyGroups: WrappedKey[][];
  const flat = readGroup(raw, "");
  if (flat.length > 0) {
    keyGroups = [flat];
  } else {
    const kg = raw["key_groups"];
    if (kg !== undefined && kg !== null && !Array.isArray(kg)) throw invalid("key_groups must be a list");
    keyGroups = (Array.isArray(kg) ? kg : []).map((g, i) => {
      if (!isRecord(g)) throw invalid(`key_groups[${i}] must be a mapping`);
      return readGroup(g, `key_groups[${i}].`);
    });
    if (keyGroups.every((g) => g.length === 0)) throw invalid("no keys found in file");
  }
  const lastModified = weakString(raw["lastmodified"], "lastmodified");
  if (!canonicalLastModified(lastModified)) throw invalid("lastmodified is missing or not an RFC 3339 time");
  // Other sops-format writers may leave `version` out: sops's library (decrypt.DataWithFormat,
  // what Flux runs) never reads it; only the CLI's KMS encryption-context bug check parses it,
  // and hush tries those contexts whatever the version (keys/aws-kms.ts). A version that is
  // there must still be one.
  const version = weakString(raw["version"], "version");
  if (version !== "" && !SEMVER_RE.test(version) && !version.startsWith("1.")) {
    throw invalid(`version "${version.slice(0, 40)}" is not a semantic version`);
  }
  const rules: SelectionRules = {};
  for (const name of RULE_NAMES) {
    const v = weakString(raw[name], name);
    if (v !== "") rules[name] = v;
  }
  if (Object.keys(rules).length > 1) {
    throw invalid(`cannot use more than one of ${RULE_NAMES.join(", ")}`);
  }
  if (Object.keys(rules).length === 0) rules.unencrypted_suffix = "_unencrypted";
  return {
    keyGroups,
    shamirThreshold: weakInt(raw["shamir_threshold"], "shamir_threshold"),
    lastModified,
    mac: weakString(raw["mac"], "mac"),
    rules,
    macOnlyEncrypted: weakBool(raw["mac_only_encrypted"], "mac_only_encrypted"),
    version,
  };
}

function entryNode(w: WrappedKey): Map<string, MetaNode> {
  const service = keyService(w.kind);
  const out = new Map<string, MetaNode>();
  for (const f of service.entryFields) {
    const v = w.entry[f];
    if (service.mapFields?.includes(f)) {
      if (isRecord(v) && Object.keys(v).length > 0) {
        out.set(f, new Map(Object.keys(v).sort().map((k) => [k, String(v[k])])));
      }
      continue;
    }
    const s = typeof v === "string" ? v : "";
    if (s !== "" || service.alwaysFields.includes(f)) out.set(f, s);
  }
  return out;
}

function groupLists(group: readonly WrappedKey[]): Map<KeyKind, Map<string, MetaNode>[]> {
  const lists = new Map<KeyKind, Map<string, MetaNode>[]>();
  for (const w of group) {
    const l = lists.get(w.kind) ?? [];
    l.push(entryNode(w));
    lists.set(w.kind, l);
  }
  return lists;
}

/** The metadata as sops 3.13 serialises it: every map sorted by key, empty optionals omitted. */
export function metadataToNode(meta: Metadata): MetadataBlock {
  const top: [string, MetaNode][] = [];
  if (meta.keyGroups.length === 1) {
    for (const [kind, list] of groupLists(meta.keyGroups[0]!)) top.push([kind, list]);
  } else {
    top.push([
      "key_groups",
      meta.keyGroups.map((g) => {
        const lists = groupLists(g);
        const m: [string, MetaNode][] = [];
        for (const { kind, alwaysInGroup } of KEY_SERVICES) {
          const l = lists.get(kind);
          // In a group, `age` and `hc_vault` have no omitempty (SOPS-FORMAT §7.3).
          if (l && l.length > 0) m.push([kind, l]);
          else if (alwaysInGroup) m.push([kind, []]);
        }
        return new Map(m.sort(([a], [b]) => cmp(a, b)));
      }),
    ]);
  }
  top.push(["lastmodified", meta.lastModified], ["mac", meta.mac]);
  for (const name of RULE_NAMES) {
    const v = meta.rules[name];
    if (v) top.push([name, v]);
  }
  if (meta.macOnlyEncrypted) top.push(["mac_only_encrypted", true]);
  if (meta.shamirThreshold !== 0) top.push(["shamir_threshold", meta.shamirThreshold]);
  top.push(["version", meta.version]);
  return new Map(top.sort(([a], [b]) => cmp(a, b)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
