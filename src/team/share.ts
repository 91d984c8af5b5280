/**
 * Handing a few secrets to someone outside a repository's recipients (a contractor, another team,
 * a CI system of theirs): `hush share --to age1… KEY…` decrypts the named values from one file and
 * encrypts them, as a small YAML document, to the given age recipients in one armored age file, a
 * plain age file, not a sops one, so `age -d -i key.txt bundle.age` opens it too. `hush import
 * BUNDLE` opens such a bundle with the user's age identities and prints it, or merges its values
 * into an encrypted file with `hush set`'s semantics (only the values imported get new ciphertext).
 */
import { HushError } from "../errors.js";
import {
  emitTrees,
  encryptPlanned,
  findPath,
  loadAgeIdentities,
  openDocument,
  parseAgeRecipients,
  parseDocument,
  pathLabel,
  planEncryption,
  scalars,
  setValues,
  type FormatName,
  type Keyring,
  type TreeMap,
  type TreeNode,
  type TreePath,
} from "../lib/internal.js";

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
const BINARY_MAGIC = "age-encryption.org/v1\n";

/** What to share and with whom ({@link shareSecrets}). */
export interface ShareOptions {
  /** The encrypted file the values come from. */
  text: string;
  format: FormatName;
  /** Paths of the values or subtrees to share: `db.password` or `["db"]["password"]`. */
  keys: readonly string[];
  /** age recipients (`age1…`) to encrypt the bundle to. */
  to: readonly string[];
  /** Named in the bundle's first-line comment. */
  source?: string;
  env?: NodeJS.ProcessEnv;
  keyring?: Keyring;
  now?: Date;
}

/** A bundle made by {@link shareSecrets}. */
export interface ShareResult {
  /** The armored age file. */
  armored: string;
  /** The paths shared (as in the bundle). */
  paths: string[];
  /** How many values (scalars) the bundle holds. */
  values: number;
}

/**
 * Places `node` at `path` in `into`, creating maps. A path inside a subtree already placed whole is
 * skipped; a subtree placed over keys of it placed earlier replaces them (it holds them all).
 */
function place(into: TreeMap, path: TreePath, node: TreeNode): void {
  let cur: TreeMap = into;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i] as string;
    let next = cur.get(k);
    if (next === undefined) {
      next = new Map();
      cur.set(k, next);
    }
    if (!(next instanceof Map)) return; // a parent was shared whole
    cur = next;
  }
  cur.set(path[path.length - 1] as string, node);
}

/** Builds and encrypts a share bundle (see the module comment). */
export async function shareSecrets(options: ShareOptions): Promise<ShareResult> {
  const to = parseAgeRecipients(options.to.join(","));
  if (to.length === 0) throw new HushError("USAGE", "give the recipient of the bundle with --to age1…");
  if (options.keys.length === 0) throw new HushError("USAGE", "name at least one value to share");
  const opened = await openDocument(options.text, {
    format: options.format,
    ...(options.keyring ? { keyring: options.keyring } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  if (opened.trees.length !== 1) throw new HushError("NEED_ONE_DOCUMENT", "share works on files with one document");
  const tree = opened.trees[0]!;
  const found = options.keys.map((k) => findPath(tree, k));
  for (const f of found) {
    const at = f.path.findIndex((p) => typeof p === "number");
    if (at !== -1) {
      throw new HushError("USAGE", `${pathLabel(f.path)} is inside a list`, `share the whole list instead: ${pathLabel(f.path.slice(0, at))}`);
    }
  }
  const bundle: TreeMap = new Map();
  for (const f of found) place(bundle, f.path, f.node);
  let values = 0;
  for (const _ of scalars(bundle)) values++;
  const when = (options.now ?? new Date()).toISOString().replace(/\.\d+Z$/, "Z");
  const header = `# hush share bundle: ${values} value${values === 1 ? "" : "s"}${options.source ? ` from ${options.source.replace(/[\r\n]/g, " ")}` : ""}, ${when}\n`;
  const yaml = header + emitTrees("yaml", [bundle]);
  const { Encrypter, armor } = await import("age-encryption");
  let armored: string;
  try {
    const e = new Encrypter();
    for (const r of to) e.addRecipient(r);
    armored = armor.encode(await e.encrypt(yaml));
  } catch {
    throw new HushError("KEY_SOURCE", "age: cannot encrypt the bundle");
  }
  return { armored, paths: found.map((f) => pathLabel(f.path)), values };
}

/** An opened bundle. */
export interface OpenedBundle {
  /** The bundle's YAML text. */
  text: string;
  tree: TreeMap;
}

/**
 * Opens a bundle (armored or binary age file) with the age identities sops would use
 * (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, the default keys file).
 */
export async function openBundle(data: Uint8Array, env: NodeJS.ProcessEnv = process.env): Promise<OpenedBundle> {
  const head = Buffer.from(data.subarray(0, 64)).toString("latin1");
  let armored: string;
  if (head.trimStart().startsWith(ARMOR_BEGIN)) armored = Buffer.from(data).toString("utf8");
  else if (head.startsWith(BINARY_MAGIC)) armored = (await import("age-encryption")).armor.encode(data);
  else throw new HushError("CANNOT_READ_INPUT", "not an age file (expected a hush share bundle)");
  const ids = await loadAgeIdentities(env);
  if (ids.count === 0) {
    throw new HushError("COULD_NOT_RETRIEVE_KEY", "no age identity found to open the bundle", "set SOPS_AGE_KEY_FILE or create ~/.config/sops/age/keys.txt (`hush keygen`)");
  }
  const bytes = await ids.unwrap({ enc: armored, recipient: "the bundle" });
  if (bytes === null) {
    throw new HushError("COULD_NOT_RETRIEVE_KEY", `none of your ${ids.count} age ${ids.count === 1 ? "identity" : "identities"} can open this bundle`, "it was encrypted to someone else's recipient");
  }
  const text = Buffer.from(bytes).toString("utf8");
  bytes.fill(0);
  let tree: TreeMap | undefined;
  try {
    tree = parseDocument(text, "yaml").trees()[0];
  } catch {
    tree = undefined;
  }
  if (!tree) throw new HushError("PARSE", "the bundle does not hold a YAML mapping");
  return { text, tree };
}

/** Where {@link importBundle} merges a bundle. */
export interface ImportOptions {
  /** The encrypted file to merge into: its text (undefined for a new file) and format. */
  target: { path: string; text: string | undefined; format: FormatName };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  configPath?: string;
}

/** What an import wrote. */
export interface ImportResult {
  /** The encrypted file's new text (undefined when nothing changed). */
  text: string | undefined;
  /** The paths imported. */
  paths: string[];
}

/** Every path to set: scalars and lists (lists are set whole), below maps that are merged. */
function* settable(node: TreeNode, path: TreePath): Generator<{ path: TreePath; node: TreeNode }> {
  if (node instanceof Map) {
    for (const [k, v] of node) yield* settable(v, [...path, k]);
  } else yield { path, node };
}

/**
 * Merges a bundle's values into an encrypted YAML or JSON file: each value (or list) is set at its
 * path as `hush set` does, keeping every other value's ciphertext. A new file is encrypted for the
 * recipients of its `.sops.yaml` creation rule.
 */
export async function importBundle(bundle: OpenedBundle, options: ImportOptions): Promise<ImportResult> {
  const { target } = options;
  const env = options.env ?? process.env;
  const entries = [...settable(bundle.tree, [])];
  const paths = entries.map((e) => pathLabel(e.path));
  if (target.format !== "yaml" && target.format !== "json") {
    throw new HushError("USAGE", `import merges into YAML and JSON files, not ${target.format}`);
  }
  const format = target.format;
  if (target.text === undefined) {
    const plan = await planEncryption({
      file: target.path,
      env,
      format,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.configPath ? { configPath: options.configPath } : {}),
    });
    const { text } = await encryptPlanned(emitTrees(format, [bundle.tree], plan.indent), plan);
    return { text, paths };
  }
  const res = await setValues(target.text, entries, { format, env, failurePrefix: "cannot import" });
  return { text: res.changed ? res.text : undefined, paths };
}
