/**
 * The `.sops.yaml` creation rule for Kubernetes Secret manifests (`hush init --kubernetes`):
 * `*.yaml` under one directory, with `encrypted_regex: ^(data|stringData)$`, so `apiVersion`,
 * `kind` and `metadata` stay readable for kustomize, Flux and kubectl while the values are
 * encrypted. The rule goes first (sops uses the first rule that matches) and takes its keys from
 * the first rule that has keys, so the same people can read it.
 */
import { isMap, isSeq, parseDocument, YAMLMap, type Pair } from "yaml";
import { HushError } from "../errors.js";
import { KEY_SERVICES } from "../keys/index.js";

/** The selection sops applies to Secret manifests (Flux's and ksops's documented setting). */
const KUBERNETES_ENCRYPTED_REGEX = "^(data|stringData)$";

/** The rule fields that name keys: every service's flat field (from its descriptor), and key groups. */
const KEY_FIELDS = [...KEY_SERVICES.map((s) => s.config.flat), "key_groups"];
const SELECTION_FIELDS = new Set([
  "path_regex", "encrypted_regex", "unencrypted_regex", "encrypted_suffix", "unencrypted_suffix",
  "encrypted_comment_regex", "unencrypted_comment_regex",
]);

/**
 * The `path_regex` for `*.yaml`/`*.yml` below `dir` (relative to `.sops.yaml`'s directory). The
 * whole repository is refused: `hush check` requires every file a rule names to be encrypted, so
 * the directory should hold Secret manifests only.
 */
export function kubernetesPathRegex(dir: string): string {
  const clean = dir.replace(/\\/g, "/").replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (clean === "" || clean === "." || clean.startsWith("/") || clean.split("/").includes("..")) {
    throw new HushError("USAGE", `--path ${JSON.stringify(dir)}: give a directory inside the repository that holds the Secret manifests (e.g. k8s/secrets)`);
  }
  // Escape for RE2 (sops) and JavaScript alike.
  return `^${clean.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/.*\\.ya?ml$`;
}

/**
 * Returns `.sops.yaml`'s text with the Kubernetes rule for `dir` added first (comments kept), or
 * unchanged (`added: false`) when a rule with that `path_regex` is already there.
 */
export function withKubernetesRule(configText: string, dir: string): { text: string; added: boolean } {
  const pathRegex = kubernetesPathRegex(dir);
  const doc = parseDocument(configText);
  if (doc.errors.length > 0) throw new HushError("CONFIG", ".sops.yaml does not parse; add the Kubernetes rule by hand (docs/kubernetes.md)");
  const rules = doc.get("creation_rules", true);
  if (!isSeq(rules)) throw new HushError("CONFIG", ".sops.yaml has no creation_rules list; add the Kubernetes rule by hand (docs/kubernetes.md)");
  const maps = rules.items.filter(isMap) as YAMLMap[];
  if (maps.some((r) => r.get("path_regex") === pathRegex)) return { text: configText, added: false };
  const source = maps.find((r) => KEY_FIELDS.some((k) => r.has(k)));
  if (!source) throw new HushError("CONFIG", ".sops.yaml has no rule with keys to copy into the Kubernetes rule");
  const rule = new YAMLMap();
  rule.set("path_regex", pathRegex);
  rule.set("encrypted_regex", KUBERNETES_ENCRYPTED_REGEX);
  for (const pair of (source.clone() as YAMLMap).items as Pair[]) {
    const key = (pair.key as { value?: unknown } | null)?.value ?? pair.key;
    if (typeof key === "string" && SELECTION_FIELDS.has(key)) continue;
    rule.items.push(pair);
  }
  rule.commentBefore = " Kubernetes Secret manifests: only data and stringData are encrypted (apiVersion, kind, metadata stay readable)";
  rules.items.unshift(rule);
  return { text: doc.toString(), added: true };
}
