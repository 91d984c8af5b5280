/**
 * The encrypted files of a repository, for the commands that work across all of them (`invite`,
 * `revoke`): in a git working tree the files git knows (tracked, plus new ones not ignored), else
 * every file below the directory; in both cases only files that carry sops metadata.
 */
import { promises as fsp } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { runGit } from "../git/run.js";
import { formatNameForPath, parseDocument, storedMetadata, type FormatName, type Metadata } from "../lib/internal.js";

/** An encrypted file found in the repository. */
export interface EncryptedFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the directory searched, with `/` separators (for messages). */
  shown: string;
  format: FormatName;
  text: string;
  /** Its sops metadata (recipients, rules); read without any key. */
  metadata: Metadata;
}

const SKIP_DIRS = new Set([".git", "node_modules"]);
/** Larger files are not secrets files; skipping them keeps a walk over a big tree quick. */
const MAX_SIZE = 16 << 20;

async function gitFiles(dir: string, env: NodeJS.ProcessEnv): Promise<string[] | undefined> {
  let r;
  try {
    r = await runGit(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], { cwd: dir, env });
  } catch {
    return undefined; // no git
  }
  if (r.status !== 0) return undefined; // not a working tree
  const names = r.stdout.toString("utf8").split("\0").filter((n) => n !== "");
  return [...new Set(names)].sort().map((n) => resolve(dir, n));
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(p, out);
    } else if (e.isFile()) out.push(p);
  }
}

/** Reads one file and returns it when it is encrypted (sops metadata that reads), else undefined. */
export async function readEncryptedFile(path: string, root: string): Promise<EncryptedFile | undefined> {
  let text: string;
  try {
    const st = await fsp.stat(path);
    if (!st.isFile() || st.size > MAX_SIZE) return undefined;
    text = await fsp.readFile(path, "utf8");
  } catch {
    return undefined; // deleted from the working tree, unreadable: not ours to judge here
  }
  if (!text.includes("sops")) return undefined;
  let format = formatNameForPath(path.endsWith(".enc") ? path.slice(0, -4) : path);
  if (format === "binary" && !text.trimStart().startsWith("{")) return undefined;
  if (format === "binary" && !/"data"\s*:/.test(text)) format = "json";
  try {
    const metadata = storedMetadata(parseDocument(text, format));
    if (metadata === undefined) return undefined;
    return { path, shown: relative(root, path).split(sep).join("/") || path, format, text, metadata };
  } catch {
    return undefined;
  }
}

/**
 * Every encrypted file below `dir`, in path order. Uses `git ls-files` in a working tree (so
 * ignored files, build output and other checkouts are left out), else a directory walk.
 */
export async function encryptedFiles(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<EncryptedFile[]> {
  const root = resolve(dir);
  let paths = await gitFiles(root, env);
  if (paths === undefined) {
    paths = [];
    await walk(root, paths);
  }
  const out: EncryptedFile[] = [];
  for (const p of paths) {
    if (p.split(sep).includes(".git")) continue;
    const f = await readEncryptedFile(p, root);
    if (f) out.push(f);
  }
  return out;
}
