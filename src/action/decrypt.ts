/**
 * The GitHub Action `.github/actions/decrypt`: decrypts files in a workflow and hands the values to
 * later steps, as environment variables (`export: env`, through `GITHUB_ENV`), as a dotenv file
 * (`export: dotenv`) or as decrypted files (`export: files`), in a private directory removed by
 * the action's post step.
 *
 * The order is what keeps secrets out of the log:
 * 1. the `age-key` input is masked (`::add-mask::`, each line too) before anything else;
 * 2. each file is decrypted (MAC verified, never skipped) and every value in it is masked, each
 *    line of a multi-line value on its own as well (the runner masks log lines one at a time),
 *    before anything else is printed: the action writes nothing to the log until every file is
 *    open and masked, and its messages name files, paths and variable names, never values;
 * 3. values go to `GITHUB_ENV` as `NAME<<DELIMITER` heredocs with a fresh random delimiter per
 *    value (`@actions/core`'s `exportVariable`, which refuses a value containing the delimiter),
 *    so a value cannot end its heredoc early and define another variable. Variable names are
 *    checked (`[A-Za-z_][A-Za-z0-9_]*`), as a key with a newline could otherwise do the same.
 *
 * Keys: the `age-key` input (identities, as `SOPS_AGE_KEY`), plus whatever the job provides:
 * `SOPS_AGE_KEY_FILE`, AWS credentials (e.g. `aws-actions/configure-aws-credentials` with OIDC),
 * Google credentials (`google-github-actions/auth`, workload identity), Vault or Azure variables.
 */
import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { HushError } from "../errors.js";
import {
  CELL_RENDERERS,
  emitTrees,
  findPath,
  formatForSecretsPath,
  Keyring,
  openDocument,
  parseDocument,
  readInput,
  scalars,
  treeToEnv,
  valToString,
  type EnvSourceEntry,
  type OpenedDocument,
  type TreeMap,
  type TreeNode,
} from "../lib/internal.js";
import { parseAllowedNames } from "../model/env-policy.js";

/** What the action needs from the runner: `@actions/core`, or a fake in tests. */
export interface ActionIO {
  getInput(name: string): string;
  setSecret(secret: string): void;
  exportVariable(name: string, value: string): void;
  setOutput(name: string, value: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  info(message: string): void;
  warning(message: string): void;
  setFailed(message: string): void;
}

type ExportMode = "env" | "files" | "dotenv";
const MODES: readonly ExportMode[] = ["env", "files", "dotenv"];

/** Names a later step can use, and that cannot break the `GITHUB_ENV` file's syntax. */
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the runner owns; a secrets file has no business setting them. */
const RESERVED_NAME = /^(GITHUB_|RUNNER_|ACTIONS_)/;

/** The `files` input: one path per line, or comma-separated. */
function parseFilesInput(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Every string a log could show for a secret: the value as exported, its own spelling, and each
 * line of a multi-line value (trimmed too). Booleans and nulls are not masked: masking `true`
 * would blank every `true` in the log and hide one bit.
 */
function maskCandidates(doc: Pick<OpenedDocument, "trees">): string[] {
  const out = new Set<string>();
  const add = (s: string) => {
    if (s.trim() === "") return;
    out.add(s);
    if (/[\r\n]/.test(s)) {
      for (const line of s.split(/\r?\n|\r/)) {
        if (line.trim() === "") continue;
        out.add(line);
        out.add(line.trim());
      }
    }
  };
  for (const tree of doc.trees) {
    for (const { cell } of scalars(tree)) {
      const v = cell.value;
      if (v === null || v.type === "bool") continue;
      add(v.text);
      add(valToString(v));
    }
  }
  return [...out];
}

/**
 * The `mask-min-length` input: values (and lines of values) shorter than this are not masked, so
 * that masking a value such as `app` or `1` does not scramble every log line that contains it.
 * Empty or 1 (the default): every value is masked. The age key is always masked.
 */
function maskMinLength(input: string): number {
  if (input.trim() === "") return 1;
  if (!/^\d+$/.test(input.trim())) throw new HushError("USAGE", "mask-min-length must be a whole number of characters (1 masks every value)");
  return Math.max(1, Number(input.trim()));
}

function maskAll(io: ActionIO, values: Iterable<string>, done: Set<string>): void {
  for (const v of values) {
    if (done.has(v)) continue;
    done.add(v);
    io.setSecret(v);
  }
}

/**
 * The entries of a subtree for {@link treeToEnv}, named relative to it (a scalar by its own key).
 * `outsideMac` says, by full path, which values the MAC does not cover (clear values under
 * `mac_only_encrypted`): they are not exported.
 */
function envEntries(node: TreeNode, path: readonly (string | number)[], outsideMac: (full: readonly (string | number)[]) => boolean): EnvSourceEntry[] {
  if (!(node instanceof Map)) {
    if (Array.isArray(node)) throw new HushError("USAGE", "extract names a list: name a mapping or a single value to export as variables");
    const last = path[path.length - 1];
    if (typeof last !== "string") throw new HushError("USAGE", "extract names a list item: name a mapping or a single value");
    return [{ path: [last], read: () => node.value, ...(outsideMac(path) ? { authenticated: false } : {}) }];
  }
  const out: EnvSourceEntry[] = [];
  const walk = (n: TreeNode, p: (string | number)[]) => {
    if (n instanceof Map || Array.isArray(n)) {
      const size = n instanceof Map ? n.size : n.length;
      if (size === 0 && p.length > 0) out.push({ path: p });
      const items: Iterable<[string | number, TreeNode]> = n instanceof Map ? n : n.entries();
      for (const [k, v] of items) walk(v, [...p, k]);
      return;
    }
    out.push({ path: p, read: () => n.value, ...(outsideMac([...path, ...p]) ? { authenticated: false } : {}) });
  };
  walk(node, []);
  return out;
}

/**
 * For a `mac_only_encrypted` file, a test of which values the MAC leaves out: those stored in
 * clear in the encrypted text (found by path; nulls are skipped anyway). Otherwise nothing is left out.
 */
function outsideMacTest(encrypted: string, format: ReturnType<typeof formatForSecretsPath>, doc: OpenedDocument): (p: readonly (string | number)[]) => boolean {
  if (!doc.metadata.macOnlyEncrypted) return () => false;
  const tree = parseDocument(encrypted, format).trees()[0];
  const clear = new Set<string>();
  if (tree) {
    for (const { path, cell } of scalars(tree)) {
      const v = cell.value;
      if (v !== null && !(v.type === "str" && (v.text === "" || v.text.startsWith("ENC[")))) clear.add(JSON.stringify(path));
    }
  }
  return (p) => clear.has(JSON.stringify(p));
}

/** The content of an extracted node as a file: a string raw, anything else in the file's format. */
function extractedText(node: TreeNode, format: ReturnType<typeof formatForSecretsPath>): string {
  if (node instanceof Map || Array.isArray(node)) return emitTrees(format === "json" ? "json" : "yaml", [node]);
  const v = node.value;
  if (v === null) return "";
  if (v.type === "str" || v.type === "bytes") return v.text;
  return `${format === "json" ? CELL_RENDERERS.json(node) : CELL_RENDERERS.yaml(node, 0, 4)}\n`;
}

/** `secrets.enc.yaml` → `secrets.yaml`, `.env.enc` → `.env`, `prod.enc` → `prod`. */
function plaintextName(path: string): string {
  const name = basename(path);
  if (name.endsWith(".enc") && name.length > 4) return name.slice(0, -4);
  const out = name.replace(/\.enc(?=\.[^.]+$)/, "");
  return out === "" ? name : out;
}

async function privateDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.chmod(dir, 0o700);
}

async function writePrivate(path: string, text: string | Uint8Array): Promise<void> {
  // O_EXCL semantics are not wanted (a re-run overwrites), but the mode is: 0600 from creation.
  await fsp.rm(path, { force: true });
  await fsp.writeFile(path, text, { mode: 0o600, flag: "wx" });
}

function message(e: unknown): string {
  if (e instanceof HushError) return e.hint ? `${e.message} (${e.hint})` : e.message;
  // Not ours: its message may quote input, so only its kind is shown.
  if (process.env["HUSH_DEBUG"]) console.error(e);
  return `internal error (${e instanceof Error ? e.name : typeof e}); please report it`;
}

/**
 * The action's main step. Never throws: a failure is reported with `setFailed` (one line, no
 * secret) and the step fails.
 */
export async function runDecryptAction(io: ActionIO, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const masked = new Set<string>();
  try {
    // 1. The key first: GitHub masks repository secrets itself, but not a key read from elsewhere.
    const ageKey = io.getInput("age-key");
    if (ageKey.trim() !== "") maskAll(io, [ageKey, ...ageKey.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "")], masked);

    const files = parseFilesInput(io.getInput("files"));
    if (files.length === 0) throw new HushError("USAGE", "the files input is empty: name at least one encrypted file");
    const modeInput = (io.getInput("export") || "env").toLowerCase() as ExportMode;
    if (!MODES.includes(modeInput)) throw new HushError("USAGE", `export must be one of ${MODES.join(", ")}`);
    const extract = io.getInput("extract");
    const minLength = maskMinLength(io.getInput("mask-min-length"));
    const workspace = env["GITHUB_WORKSPACE"] || process.cwd();
    const outDir = resolve(workspace, io.getInput("output-dir") || join(env["RUNNER_TEMP"] || tmpdir(), "hush"));
    if (modeInput === "env" && !env["GITHUB_ENV"]) {
      throw new HushError("USAGE", "GITHUB_ENV is not set: export env needs a runner with environment files");
    }

    // 2. Decrypt everything, masking each file's values as soon as it is open.
    const keyring = new Keyring({ env: ageKey.trim() !== "" ? { ...env, SOPS_AGE_KEY: ageKey } : env });
    const opened: { file: string; doc: OpenedDocument; format: ReturnType<typeof formatForSecretsPath>; outsideMac: (p: readonly (string | number)[]) => boolean }[] = [];
    const allowNames = parseAllowedNames([io.getInput("allow-env-names")]);
    const lists = /^(true|1|yes)$/i.test(io.getInput("env-lists").trim());
    for (const file of files) {
      const path = resolve(workspace, file);
      const format = formatForSecretsPath(path);
      const text = (await readInput(path)).toString("utf8");
      let doc: OpenedDocument;
      try {
        doc = await openDocument(text, { format, keyring });
      } catch (e) {
        if (e instanceof HushError) throw new HushError(e.code, `${file}: ${e.message}`, e.hint);
        throw e;
      }
      maskAll(io, maskCandidates(doc).filter((v) => v.length >= minLength), masked);
      opened.push({ file, doc, format, outsideMac: outsideMacTest(text, format, doc) });
    }

    // 3. Hand the values on. Nothing above printed anything; from here on every value is masked.
    const written: string[] = [];
    if (modeInput === "files") {
      await privateDir(outDir);
      const names = new Map<string, string>();
      for (const { file, doc, format } of opened) {
        const name = plaintextName(file);
        const other = names.get(name);
        if (other !== undefined) throw new HushError("USAGE", `${other} and ${file} would both be written as ${name}: decrypt them in two steps with different output-dir`);
        names.set(name, file);
        // Bytes, so that a binary file's content comes out exactly.
        let text: string | Uint8Array = doc.bytes;
        if (extract) {
          if (doc.trees.length !== 1) throw new HushError("NEED_ONE_DOCUMENT", `${file}: extract needs a file with one document`);
          try {
            text = extractedText(findPath(doc.trees[0]!, extract).node, format);
          } catch (e) {
            if (e instanceof HushError) throw new HushError(e.code, `${file}: ${e.message}`, e.hint);
            throw e;
          }
        }
        const target = join(outDir, name);
        await writePrivate(target, text);
        written.push(target);
      }
    } else {
      const vars: Record<string, string> = Object.create(null) as Record<string, string>;
      const skipped: string[] = [];
      for (const { file, doc, outsideMac } of opened) {
        if (doc.trees.length !== 1) throw new HushError("NEED_ONE_DOCUMENT", `${file}: export ${modeInput} needs a file with one document`);
        const tree = doc.trees[0]!;
        let fileVars: Record<string, string>;
        try {
          const { node, path } = extract ? findPath(tree, extract) : { node: tree as TreeNode, path: [] };
          // The runner's own names are refused below, whatever allow-env-names says, with their own message.
          fileVars = treeToEnv(envEntries(node, path, outsideMac), {
            allowNames: [...allowNames, "GITHUB_*", "RUNNER_*", "ACTIONS_*"],
            lists,
            onSkip: (p) => skipped.push(`${file}: ${p}`),
          });
        } catch (e) {
          if (e instanceof HushError) throw new HushError(e.code, `${file}: ${e.message}`, e.hint);
          throw e;
        }
        for (const name of Object.keys(fileVars)) {
          if (!SAFE_NAME.test(name)) {
            throw new HushError("USAGE", `${file}: ${JSON.stringify(name)} is not a usable variable name`, "use letters, digits and _ in keys, or export: files");
          }
          if (RESERVED_NAME.test(name)) throw new HushError("USAGE", `${file}: ${name} is reserved for the runner`);
          vars[name] = fileVars[name]!;
        }
      }
      if (skipped.length > 0) io.warning(`hush: not exported (stored in clear outside the MAC, mac_only_encrypted): ${skipped.join(", ")}`);
      const names = Object.keys(vars).sort();
      if (modeInput === "env") {
        for (const name of names) {
          try {
            io.exportVariable(name, vars[name]!);
          } catch {
            // @actions/core refuses a value holding its random delimiter; its message is not ours to print.
            throw new HushError("GENERIC", `cannot export ${name}: the runner's environment file refused the value`);
          }
        }
      } else {
        await privateDir(outDir);
        const tree: TreeMap = new Map(names.map((n) => [n, { value: { type: "str" as const, text: vars[n]! } }]));
        const target = join(outDir, ".env");
        await writePrivate(target, emitTrees("dotenv", [tree]));
        written.push(target);
        io.setOutput("dotenv-file", target);
      }
      io.setOutput("names", names.join(","));
      io.info(`hush: ${modeInput === "env" ? "exported" : "wrote"} ${names.length} variable${names.length === 1 ? "" : "s"}${names.length > 0 ? `: ${names.join(", ")}` : ""}`);
    }
    if (written.length > 0) {
      io.setOutput("paths", written.join("\n"));
      io.saveState("paths", JSON.stringify(written));
      io.saveState("dir", outDir);
      if (modeInput === "files") io.info(`hush: decrypted ${written.length} file${written.length === 1 ? "" : "s"} into ${outDir} (mode 0600; removed when the job ends)`);
      else io.info(`hush: wrote ${written[0]} (mode 0600; removed when the job ends)`);
      io.setOutput("dir", outDir);
    }
  } catch (e) {
    io.setFailed(message(e));
  }
}

/** The post step: removes the plaintext files the main step wrote (and their directory when empty). */
export async function runCleanup(io: ActionIO): Promise<void> {
  let paths: string[] = [];
  try {
    const raw = io.getState("paths");
    paths = raw ? (JSON.parse(raw) as string[]) : [];
  } catch {
    io.warning("hush: could not read the list of decrypted files to remove");
    return;
  }
  for (const p of paths) await fsp.rm(p, { force: true }).catch(() => io.warning(`hush: could not remove ${p}`));
  const dir = io.getState("dir");
  if (dir) await fsp.rmdir(dir).catch(() => {});
  if (paths.length > 0) io.info(`hush: removed ${paths.length} decrypted file${paths.length === 1 ? "" : "s"}`);
}
