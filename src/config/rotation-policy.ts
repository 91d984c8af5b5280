/**
 * The rotation policy: how old each encrypted value (and each file's data key) may grow, read from
 * the `hush.rotation` section of `.sops.yaml` (sops ignores that section). The schema
 * (schemas/sops-config.schema.json) has already checked its shape; this module turns it into
 * limits and answers "which limits apply to this value of this file".
 *
 * ```yaml
 * hush:
 *   rotation:
 *     classes:
 *       critical: { max_age: 90d, warn_before: 14d }
 *       medium: { max_age: 365d, warn_before: 30d }
 *     rules:
 *       - { path_regex: ^prod/, key_regex: password|token, class: critical }
 *       - { max_age: 365d }
 *     data_key: { max_age: 365d, warn_before: 30d }
 * ```
 */
import { HushError } from "../errors.js";
import { compileGoRegex } from "../model/go-regex.js";

/** Limits in milliseconds. */
export interface RotationLimits {
  maxAgeMs: number;
  /** 0 when not set: no "expiring" state. */
  warnBeforeMs: number;
}

/** One rule of the policy, compiled. */
interface PolicyRule {
  pathRegex: RegExp | undefined;
  keyRegex: RegExp | undefined;
  /** The class name, when the rule names one. */
  className: string | undefined;
  limits: RotationLimits;
}

/** A parsed policy. */
export interface RotationPolicy {
  rules: readonly PolicyRule[];
  dataKey: RotationLimits | undefined;
}

/** What applies to one value. */
export interface AppliedLimits extends RotationLimits {
  className?: string;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000, "": 86400 };

/** Parses `90d`, `12h`, `2w`, `30m`, `45s`, `1y` (a bare number is days) into milliseconds. */
export function parseDuration(text: string | number, what = "a duration"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdwy]?)\s*$/i.exec(String(text));
  if (!m) throw new HushError("USAGE", `${what} takes a duration such as 90d, 12h, 2w or 1y, got ${JSON.stringify(String(text))}`);
  return Number(m[1]) * UNIT_SECONDS[m[2]!.toLowerCase()]! * 1000;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function limitsOf(raw: Obj, where: string): RotationLimits {
  const maxAgeMs = parseDuration(raw["max_age"] as string | number, `${where}.max_age`);
  const warn = raw["warn_before"];
  const warnBeforeMs = warn === undefined || warn === null ? 0 : parseDuration(warn as string | number, `${where}.warn_before`);
  if (warnBeforeMs >= maxAgeMs) throw new HushError("CONFIG", `${where}: warn_before must be shorter than max_age`);
  return { maxAgeMs, warnBeforeMs };
}

/**
 * The policy from a parsed `.sops.yaml` root (its `hush.rotation`), or undefined when there is
 * none. `shown` names the file in messages. Errors are CONFIG (exit 5), naming the field.
 */
export function readRotationPolicy(root: unknown, shown: string): RotationPolicy | undefined {
  const hush = isObj(root) ? root["hush"] : undefined;
  const rot = isObj(hush) ? hush["rotation"] : undefined;
  if (!isObj(rot)) return undefined;
  const at = (p: string) => `${shown}: hush.rotation.${p}`;
  const classes = new Map<string, RotationLimits>();
  const rawClasses = rot["classes"];
  if (isObj(rawClasses)) {
    for (const [name, v] of Object.entries(rawClasses)) if (isObj(v)) classes.set(name, limitsOf(v, at(`classes.${name}`)));
  }
  const rules: PolicyRule[] = [];
  const rawRules = Array.isArray(rot["rules"]) ? (rot["rules"] as unknown[]) : [];
  rawRules.forEach((r, i) => {
    if (!isObj(r)) return;
    const where = at(`rules[${i}]`);
    const className = typeof r["class"] === "string" ? r["class"] : undefined;
    let limits: RotationLimits;
    if (className !== undefined) {
      if (r["max_age"] !== undefined) throw new HushError("CONFIG", `${where}: give either class or max_age, not both`);
      const c = classes.get(className);
      if (!c) throw new HushError("CONFIG", `${where}: unknown class ${JSON.stringify(className)} (classes: ${[...classes.keys()].join(", ") || "none"})`);
      limits = c;
    } else if (r["max_age"] !== undefined) {
      limits = limitsOf(r, where);
    } else {
      throw new HushError("CONFIG", `${where}: needs a class or a max_age`);
    }
    const regex = (name: string) => {
      const v = r[name];
      return v === undefined || v === null || v === "" ? undefined : compileGoRegex(String(v), `${where}.${name}`);
    };
    rules.push({ pathRegex: regex("path_regex"), keyRegex: regex("key_regex"), className, limits });
  });
  const dk = rot["data_key"];
  return { rules, dataKey: isObj(dk) ? limitsOf(dk, at("data_key")) : undefined };
}

/**
 * The limits for one value: the first rule whose `path_regex` is found in `file` (relative to the
 * config's directory) and whose `key_regex` is found in `keyPath` (dotted: `db.password`).
 */
export function limitsFor(policy: RotationPolicy, file: string, keyPath: string): AppliedLimits | undefined {
  for (const r of policy.rules) {
    if (r.pathRegex && !r.pathRegex.test(file)) continue;
    if (r.keyRegex && !r.keyRegex.test(keyPath)) continue;
    return { ...r.limits, ...(r.className !== undefined ? { className: r.className } : {}) };
  }
  return undefined;
}

/** Where an age stands against its limits. */
export type RotationState = "ok" | "expiring" | "expired";

/** The state of something `ageMs` old under `limits`. */
export function stateOf(ageMs: number, limits: RotationLimits): RotationState {
  if (ageMs > limits.maxAgeMs) return "expired";
  if (limits.warnBeforeMs > 0 && ageMs > limits.maxAgeMs - limits.warnBeforeMs) return "expiring";
  return "ok";
}
