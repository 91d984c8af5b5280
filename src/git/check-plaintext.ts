/**
 * The part of `hush check` that catches the usual accident (issue 14, attack 5): a secret committed
 * in clear next to its encrypted version.
 *
 * - a dotenv file with values, by name: `.env`, `.env.local`, `.env.production`, … Templates meant
 *   to be committed (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`,
 *   `.env.defaults`) are not checked; neither is a file that is encrypted (it has sops metadata).
 * - a file named like a decrypted copy: `*.dec.*`, `*.decrypted.*` (with values);
 * - a plaintext file whose key paths are those of a tracked encrypted file, with values in clear:
 *   `hush decrypt s.enc.yaml > config.yaml` (at least 80% of the encrypted file's paths, and two
 *   or more, or all of them).
 *
 * A file that is meant to be in clear is allowed with the git attribute `hush-plaintext` (set in
 * `.gitattributes`, read from the index when checking staged files). Nothing here needs a key.
 */
import { basename } from "node:path";
import { formatForSecretsPath, parseDocument } from "../lib/internal.js";
import { runGit } from "./run.js";

/** Where the tracked encrypted files are looked up (once per check run). */
export interface EncryptedShapes {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Read files and attributes from the index instead of the working tree. */
  staged: boolean;
  /** Filled on first use: each tracked encrypted file's value paths. */
  cache?: Promise<{ path: string; paths: Set<string> }[]>;
}

const TEMPLATE = /^\.env\.(example|sample|template|dist|defaults)$/i;
const ENC_MARK = "ENC[AES256_GCM,";

/** Dotenv by name: `.env`, `.env.*` (not templates). */
function isEnvFile(name: string): boolean {
  return (name === ".env" || name.startsWith(".env.")) && !TEMPLATE.test(name) && !/\.enc$/.test(name);
}

/** Named as a decrypted copy: `x.dec.yaml`, `x.decrypted.json`, `x.dec`. */
function isDecName(name: string): boolean {
  return /\.(dec|decrypted)(\.|$)/i.test(name);
}

/** The value paths of a document (map keys joined), and how many hold a non-empty value; undefined if unparsable. */
function shape(text: string, path: string, format = formatForSecretsPath(path)): { paths: Set<string>; filled: number; encrypted: boolean } | undefined {
  if (format === "binary") return undefined;
  let doc;
  try {
    doc = parseDocument(text, format);
  } catch {
    return undefined;
  }
  const paths = new Set<string>();
  let filled = 0;
  for (const leaf of doc.leaves()) {
    if (leaf.kind === "comment") continue;
    paths.add(JSON.stringify(leaf.path));
    if (!(leaf.value.type === "str" && leaf.value.text === "")) filled++;
  }
  return { paths, filled, encrypted: doc.rawMetadata() !== undefined };
}

async function hasAttribute(path: string, s: EncryptedShapes): Promise<boolean> {
  const r = await runGit(["check-attr", ...(s.staged ? ["--cached"] : []), "-z", "hush-plaintext", "--", path], { cwd: s.cwd, env: s.env });
  if (r.status !== 0) return false;
  const [, , value] = r.stdout.toString("utf8").split("\0");
  return value === "set" || value === "true";
}

/** Every tracked encrypted file with its value paths (found with `git grep`, read from the index or the tree). */
function encryptedFiles(s: EncryptedShapes): Promise<{ path: string; paths: Set<string> }[]> {
  s.cache ??= (async () => {
    const top = await runGit(["rev-parse", "--show-toplevel"], { cwd: s.cwd, env: s.env });
    if (top.status !== 0) return [];
    const at = { cwd: top.stdout.toString("utf8").trim(), env: s.env };
    const found = await runGit(["grep", ...(s.staged ? ["--cached"] : []), "-l", "-z", "-F", ENC_MARK], at);
    if (found.status !== 0) return [];
    const names = found.stdout.toString("utf8").split("\0").filter(Boolean);
    const out: { path: string; paths: Set<string> }[] = [];
    for (const name of names.slice(0, 2000)) {
      const blob = await runGit(["cat-file", "blob", `:${name}`], at);
      const text = blob.status === 0 ? blob.stdout.toString("utf8") : undefined;
      const sh = text === undefined ? undefined : shape(text, name);
      if (sh?.encrypted && sh.paths.size > 0) out.push({ path: name, paths: sh.paths });
    }
    return out;
  })();
  return s.cache;
}

/** The problems of a plaintext file that looks like a secret committed in clear (none when it is fine). */
export async function plaintextProblems(path: string, text: string, s: EncryptedShapes): Promise<string[]> {
  const name = basename(path);
  const envFile = isEnvFile(name);
  const decName = isDecName(name);
  const format = envFile ? "dotenv" : formatForSecretsPath(path);
  if (format !== "yaml" && format !== "json" && format !== "dotenv" && format !== "ini") return [];
  const sh = shape(text, path, format);
  if (!sh || sh.encrypted || sh.filled === 0) return [];
  let problem: string | undefined;
  if (envFile) problem = `is a plaintext env file with ${sh.filled} ${sh.filled === 1 ? "value" : "values"} (encrypt it, or name it .env.example if it is a template)`;
  else if (decName) problem = "is named as a decrypted copy (*.dec.*) and holds values in clear";
  else {
    for (const enc of await encryptedFiles(s)) {
      if (enc.path === path) continue;
      let common = 0;
      for (const p of enc.paths) if (sh.paths.has(p)) common++;
      const all = common === enc.paths.size;
      if (common / enc.paths.size >= 0.8 && (enc.paths.size >= 2 || all)) {
        problem = `looks like a decrypted copy of ${enc.path} (${common} of its ${enc.paths.size} key paths, values in clear)`;
        break;
      }
    }
  }
  if (problem === undefined || (await hasAttribute(path, s))) return [];
  return [problem];
}
