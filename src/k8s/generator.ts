/**
 * The kustomize generator: hush's own shape (`apiVersion: hush/v1`, `kind: SecretGenerator`) and
 * ksops's (`apiVersion: viaduct.ai/v1`, `kind: ksops`, `files:` / `secretFrom:`), run either as a
 * legacy exec plugin (kustomize passes the config file's path) or as a KRM function (a
 * ResourceList on standard input, a ResourceList on standard output).
 *
 * Every file is decrypted in memory (MAC verified) and the manifests go to standard output; nothing
 * is written to disk. The generator config comes from the repository, so anyone who can push
 * writes it: files are read only inside the kustomization's directory (as kustomize's default
 * `LoadRestrictionsRootOnly`), symlinks resolved, so a config cannot turn secrets from elsewhere
 * on the machine (another environment's files) into a manifest.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { HushError } from "../errors.js";
import { decrypt, secretEntries, type SecretEntry } from "../lib/internal.js";
import { manifestsYaml, secretObject } from "./secret.js";

/** kustomize's generator options, read from annotations on what a plugin outputs. */
const NEEDS_HASH = "kustomize.config.k8s.io/needs-hash";
const BEHAVIOR = "kustomize.config.k8s.io/behavior";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function bad(message: string, hint?: string): HushError {
  return new HushError("USAGE", `generator config: ${message}`, hint);
}

/** True for a config this generator answers: hush's SecretGenerator or ksops's shape. */
function isGeneratorConfig(v: unknown): v is Obj {
  if (!isObj(v)) return false;
  const api = v["apiVersion"];
  const kind = v["kind"];
  return (api === "hush/v1" && kind === "SecretGenerator") || (typeof api === "string" && api.startsWith("viaduct.ai/") && kind === "ksops");
}

/**
 * The directory files may be read from: the kustomization's (`cwd`), or a wider one the operator
 * sets in `HUSH_KUSTOMIZE_ROOT` (e.g. the repository's top, for bases that share encrypted files).
 * It comes from the environment, not from the repository, so a pushed config cannot widen it.
 */
function allowedRoot(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const wide = env["HUSH_KUSTOMIZE_ROOT"];
  if (wide === undefined || wide === "") return cwd;
  const real = realpathSync(resolve(wide));
  const rel = relative(real, realpathSync(cwd));
  if (rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new HushError("USAGE", `HUSH_KUSTOMIZE_ROOT (${wide}) does not contain the kustomization directory ${cwd}`);
  }
  return real;
}

/** A file named by the config: resolved against `cwd`, and inside `root` after resolving symlinks. */
function fileInRoot(root: string, file: string, cwd: string = root): string {
  if (typeof file !== "string" || file === "") throw bad("a file entry is empty");
  const realRoot = realpathSync(root);
  const abs = resolve(realpathSync(cwd), file);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new HushError("NO_FILE", `${file}: no such file (in ${cwd})`);
  }
  const rel = relative(realRoot, real);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new HushError(
      "USAGE",
      `${file} is outside the kustomization directory; the generator reads files only inside it`,
      "move the encrypted file under the kustomization, or set HUSH_KUSTOMIZE_ROOT to a directory that holds both (docs/kubernetes.md)",
    );
  }
  return real;
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw bad(`${what} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") throw bad(`${what}.${k} must be a string (quote it)`);
    out[k] = x;
  }
  return out;
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw bad(`${what} must be a list of file names`);
  return v as string[];
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw bad(`${what} must be a string`);
  return v;
}

/** `KEY=path` (the whole file under KEY) or `path`, as kustomize and ksops write file sources. */
function splitFileSource(entry: string): { key?: string; path: string } {
  const eq = entry.indexOf("=");
  if (eq < 0) return { path: entry };
  if (eq === 0 || entry.indexOf("=", eq + 1) >= 0) throw bad(`invalid file source ${JSON.stringify(entry)}: use PATH or KEY=PATH`);
  return { key: entry.slice(0, eq), path: entry.slice(eq + 1) };
}

const HUSH_FIELDS = new Set([
  "apiVersion", "kind", "metadata", "files", "name", "namespace", "type", "extract", "key", "labels", "annotations",
  "stringData", "behavior", "disableNameSuffixHash",
]);

/** hush's SecretGenerator: one Secret from the values of `files`. */
async function generateHush(config: Obj, root: string): Promise<unknown[]> {
  const allowed = allowedRoot(root);
  for (const k of Object.keys(config)) {
    if (!HUSH_FIELDS.has(k)) throw bad(`unknown field ${JSON.stringify(k)}`, `known fields: ${[...HUSH_FIELDS].join(", ")}`);
  }
  const meta = isObj(config["metadata"]) ? config["metadata"] : {};
  const name = optString(config["name"], "name") ?? optString(meta["name"], "metadata.name");
  if (name === undefined) throw bad("the Secret needs a name: metadata.name (or name)");
  const namespace = optString(config["namespace"], "namespace") ?? optString(meta["namespace"], "metadata.namespace");
  const files = stringList(config["files"], "files");
  if (files.length === 0) throw bad("files: lists no file");
  const extract = optString(config["extract"], "extract");
  const key = optString(config["key"], "key");
  if (key !== undefined && files.length > 1) throw bad("key names one value: give one file, or write KEY=PATH entries in files");
  const behavior = optString(config["behavior"], "behavior");
  if (behavior !== undefined && !["create", "merge", "replace"].includes(behavior)) throw bad("behavior is create, merge or replace");
  const stringData = config["stringData"];
  if (stringData !== undefined && typeof stringData !== "boolean") throw bad("stringData must be true or false");
  const noHash = config["disableNameSuffixHash"];
  if (noHash !== undefined && typeof noHash !== "boolean") throw bad("disableNameSuffixHash must be true or false");

  const entries: SecretEntry[] = [];
  for (const f of files) {
    const src = splitFileSource(f);
    const path = fileInRoot(allowed, src.path, root);
    const k = src.key ?? key;
    const got = await secretEntries(path, { ...(extract !== undefined ? { extract } : {}), ...(k !== undefined ? { key: k } : {}) });
    // Messages name the file as the config does, not its resolved path.
    entries.push(...got.map((e) => ({ ...e, from: e.from === path ? src.path : `${src.path} ${e.from}` })));
  }
  const annotations = { ...(stringMap(config["annotations"], "annotations") ?? {}) };
  // kustomize reads (and removes) these: a content hash in the name, like its own secretGenerator.
  annotations[NEEDS_HASH] = noHash === true ? "false" : "true";
  if (behavior !== undefined) annotations[BEHAVIOR] = behavior;
  const labels = stringMap(config["labels"], "labels");
  const type = optString(config["type"], "type");
  return [
    secretObject(entries, {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(labels ? { labels } : {}),
      annotations,
      ...(stringData === true ? { stringData: true } : {}),
    }),
  ];
}

/**
 * ksops's shape, output as ksops makes it: `files:` are encrypted manifests, decrypted whole;
 * each `secretFrom:` entry is a Secret with `files` (whole files, `stringData`), `binaryFiles`
 * (`data`) and `envs` (dotenv values, `stringData`), plus its `metadata` and `type`.
 */
async function generateKsops(config: Obj, root: string): Promise<Generated> {
  const allowed = allowedRoot(root);
  const files = stringList(config["files"], "files");
  const secretFrom = config["secretFrom"];
  if (files.length === 0 && (secretFrom === undefined || secretFrom === null)) {
    throw bad("missing the required 'files' or 'secretFrom' key");
  }
  const texts: string[] = [];
  for (const f of files) {
    const path = fileInRoot(allowed, f, root);
    texts.push(await decrypt(path));
  }
  const objects: unknown[] = [];
  if (secretFrom !== undefined && secretFrom !== null) {
    if (!Array.isArray(secretFrom)) throw bad("secretFrom must be a list");
    for (const [i, sf] of secretFrom.entries()) {
      if (!isObj(sf)) throw bad(`secretFrom[${i}] must be a map`);
      const meta = isObj(sf["metadata"]) ? sf["metadata"] : {};
      const name = optString(meta["name"], `secretFrom[${i}].metadata.name`);
      if (name === undefined) throw bad(`secretFrom[${i}] needs metadata.name`);
      const entries: SecretEntry[] = [];
      const asText = new Set<SecretEntry>();
      for (const f of stringList(sf["files"], `secretFrom[${i}].files`)) {
        const src = splitFileSource(f);
        const path = fileInRoot(allowed, src.path, root);
        const key = src.key ?? src.path.split("/").pop()!;
        const [e] = await secretEntries(path, { key });
        entries.push({ ...e!, from: src.path });
        asText.add(entries[entries.length - 1]!);
      }
      for (const f of stringList(sf["binaryFiles"], `secretFrom[${i}].binaryFiles`)) {
        const src = splitFileSource(f);
        const path = fileInRoot(allowed, src.path, root);
        const key = src.key ?? src.path.split("/").pop()!;
        const [e] = await secretEntries(path, { key });
        entries.push({ ...e!, from: src.path });
      }
      for (const f of stringList(sf["envs"], `secretFrom[${i}].envs`)) {
        const path = fileInRoot(allowed, f, root);
        for (const e of await secretEntries(path, { format: "dotenv" })) {
          entries.push({ ...e, from: `${f} ${e.from}` });
          asText.add(entries[entries.length - 1]!);
        }
      }
      const type = optString(sf["type"], `secretFrom[${i}].type`);
      const namespace = optString(meta["namespace"], `secretFrom[${i}].metadata.namespace`);
      const labels = stringMap(meta["labels"], `secretFrom[${i}].metadata.labels`);
      const annotations = stringMap(meta["annotations"], `secretFrom[${i}].metadata.annotations`);
      objects.push(
        secretObject(entries, {
          name,
          ...(namespace !== undefined ? { namespace } : {}),
          ...(type !== undefined ? { type } : {}),
          ...(labels ? { labels } : {}),
          ...(annotations ? { annotations } : {}),
          stringData: (e) => asText.has(e),
        }),
      );
    }
  }
  return { objects, texts };
}

/**
 * What one generator config makes: decrypted manifests as their plaintext (ksops's `files:`,
 * passed on as written, so no YAML reader's notion of `yes` or `0123` is imposed on them) and
 * built Secrets as objects.
 */
interface Generated {
  texts: string[];
  objects: unknown[];
}

/**
 * Runs one generator config. `root` is the directory its file names are relative to (kustomize
 * runs plugins in the kustomization's directory).
 */
async function generate(config: unknown, root: string): Promise<Generated> {
  if (!isGeneratorConfig(config)) {
    throw bad("not a hush generator: expected apiVersion hush/v1, kind SecretGenerator (or viaduct.ai/v1, kind ksops)");
  }
  if (config["kind"] === "SecretGenerator") return { texts: [], objects: await generateHush(config, root) };
  return generateKsops(config, root);
}

/** The objects of {@link Generated}, the decrypted manifests parsed (for a ResourceList). */
function asObjects(g: Generated): unknown[] {
  const out: unknown[] = [];
  for (const t of g.texts) {
    for (const d of parseAllDocuments(t)) {
      if (d.errors.length > 0) throw new HushError("PARSE", "a decrypted manifest does not parse as YAML or JSON");
      const v = d.toJS() as unknown;
      if (v !== null && v !== undefined) out.push(v);
    }
  }
  return [...out, ...g.objects];
}

/** Legacy exec plugin: the config file kustomize wrote; the manifests on standard output. */
export async function runLegacyPlugin(configText: string, root: string): Promise<string> {
  let config: unknown;
  try {
    config = parseYaml(configText);
  } catch {
    throw bad("does not parse as YAML");
  }
  const g = await generate(config, root);
  const parts = g.texts.map((t) => (t.endsWith("\n") ? t : `${t}\n`));
  if (g.objects.length > 0) parts.push(manifestsYaml(g.objects));
  return parts.join("---\n");
}

/**
 * KRM function: a ResourceList in, a ResourceList out. Every item that is a generator config is
 * replaced by what it makes (kustomize passes a generator's config as an item); other items pass
 * through. With no generator among the items, the `functionConfig` is run.
 */
export async function runKrmFunction(input: string, root: string): Promise<string> {
  let list: unknown;
  try {
    list = parseYaml(input);
  } catch {
    throw bad("standard input is not a ResourceList (does not parse)");
  }
  if (!isObj(list) || list["kind"] !== "ResourceList") {
    throw new HushError("USAGE", "standard input is not a ResourceList", "kustomize runs this with a ResourceList; by hand, pass the generator file: hush k8s kustomize-plugin FILE");
  }
  const items = Array.isArray(list["items"]) ? (list["items"] as unknown[]) : [];
  const out: unknown[] = [];
  let ran = false;
  for (const item of items) {
    if (isGeneratorConfig(item)) {
      ran = true;
      out.push(...asObjects(await generate(item, root)));
    } else {
      out.push(item);
    }
  }
  if (!ran) {
    const fc = list["functionConfig"];
    if (!isGeneratorConfig(fc)) throw bad("the ResourceList has no hush/v1 SecretGenerator or ksops config (items or functionConfig)");
    out.push(...asObjects(await generate(fc, root)));
  }
  return manifestsYaml([{ apiVersion: list["apiVersion"] ?? "config.kubernetes.io/v1", kind: "ResourceList", items: out }]);
}
