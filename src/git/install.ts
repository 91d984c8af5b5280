/**
 * `hush git install`: wires hush into git for the encrypted files of a repository (or, with
 * `--global`, for every repository of the user):
 * - `.gitattributes`: `<pattern> diff=hush merge=hush`, in a block hush owns (between marker
 *   comments), for the patterns given or derived from `.sops.yaml`'s `path_regex`es;
 * - git config: `diff.hush.textconv`, `merge.hush.name`, `merge.hush.driver`; never
 *   `diff.hush.cachetextconv`, which would store decrypted views in `.git` (an earlier install's
 *   `true` is unset, and an existing `refs/notes/textconv/hush` is reported, or deleted when asked);
 * - a `pre-commit` hook running `hush check --staged`, chaining a hook that was already there
 *   (renamed to `pre-commit.hush-chained` and run first).
 * Running it again changes nothing; `--uninstall` removes exactly what it added.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { HushError } from "../errors.js";
import { loadEffectiveConfig, selfCommand, writeFileAtomic } from "../lib/internal.js";
import { git, repoRoot, runGit } from "./run.js";
import { deleteTextconvCache, hasTextconvCache, TEXTCONV_CACHE_REF } from "./textconv-cache.js";

export interface InstallOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Write the user's global git config and attributes file instead of the repository's. */
  global?: boolean;
  /** Undo a previous install. */
  uninstall?: boolean;
  /** gitattributes patterns; derived from `.sops.yaml` when none are given. */
  patterns?: readonly string[];
  /** The shell command git runs for hush (default: how this process was started). */
  command?: string;
  /**
   * Delete an existing textconv cache (`refs/notes/textconv/hush`, decrypted views an earlier
   * install let git store) and the objects only it reaches. Uninstall always deletes it.
   */
  deleteTextconvCache?: boolean;
  /** Install the pre-commit hook (default true). */
  hook?: boolean;
}

export interface InstallReport {
  /** What was done, one line each (paths relative to the repository). */
  actions: string[];
  warnings: string[];
  /** True when a textconv cache is (still) there: plaintext in `.git` the caller may offer to delete. */
  textconvCacheLeft?: boolean;
}

const BLOCK_BEGIN = "# >>> hush: encrypted files (managed by `hush git install`) >>>";
const BLOCK_END = "# <<< hush <<<";
/** Marks the hook file as hush's (uninstall removes only a hook carrying it). */
const HOOK_MARKER = "# hush-managed-hook";
const CHAINED_HOOK = "pre-commit.hush-chained";

// ---- path_regex → gitattributes patterns ----

type Tok = { t: "lit"; s: string } | { t: "any" } | { t: "seg" } | { t: "one" };

/** Parses a regex body into alternatives of simple tokens; undefined when it is not simple. */
function parseAlternatives(src: string, start: number, inGroup: boolean): { alts: Tok[][]; pos: number } | undefined {
  let pos = start;
  let alts: Tok[][] = [[]];
  const branches: Tok[][] = [];
  while (pos < src.length) {
    const c = src[pos]!;
    if (c === ")" && inGroup) break;
    if (c === "|") {
      branches.push(...alts);
      alts = [[]];
      pos++;
      continue;
    }
    let unit: Tok[][];
    if (c === "\\") {
      const n = src[pos + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) return undefined; // \d, \w, \b …: not a glob
      unit = [[{ t: "lit", s: n }]];
      pos += 2;
    } else if (c === ".") {
      const n = src[pos + 1];
      unit = n === "*" || n === "+" ? [[{ t: "any" }]] : [[{ t: "one" }]];
      pos += n === "*" || n === "+" ? 2 : 1;
    } else if (src.startsWith("[^/]*", pos) || src.startsWith("[^/]+", pos)) {
      unit = [[{ t: "seg" }]];
      pos += 5;
    } else if (c === "(") {
      const inner = parseAlternatives(src, src.startsWith("(?:", pos) ? pos + 3 : pos + 1, true);
      if (!inner || src[inner.pos] !== ")") return undefined;
      unit = inner.alts;
      pos = inner.pos + 1;
    } else if (/[\w\-/ ~@#%=,:!]/.test(c)) {
      unit = [[{ t: "lit", s: c }]];
      pos++;
    } else {
      return undefined;
    }
    if (src[pos] === "?") {
      unit = [...unit, []];
      pos++;
    } else if (src[pos] === "*" || src[pos] === "+" || src[pos] === "{") {
      return undefined;
    }
    alts = alts.flatMap((a) => unit.map((u) => [...a, ...u]));
    if (alts.length > 16) return undefined;
  }
  branches.push(...alts);
  return { alts: branches, pos };
}

/** One token sequence as gitattributes patterns (a trailing wildcard also matches below a directory). */
function globsOf(tokens: Tok[], anchored: boolean, prefix: string): string[] {
  // Collapse runs of wildcards that cross directories.
  const toks: Tok[] = [];
  for (const t of tokens) {
    const last = toks[toks.length - 1];
    if (t.t === "any" && last?.t === "any") continue;
    if (t.t === "lit" && last?.t === "lit") toks[toks.length - 1] = { t: "lit", s: last.s + t.s };
    else toks.push(t);
  }
  // Split into path segments at the slashes of literals.
  const segs: Tok[][] = [[]];
  for (const t of toks) {
    if (t.t !== "lit") {
      segs[segs.length - 1]!.push(t);
      continue;
    }
    t.s.split("/").forEach((part, i) => {
      if (i > 0) segs.push([]);
      if (part !== "") segs[segs.length - 1]!.push({ t: "lit", s: part });
    });
  }
  const escape = (s: string) => s.replace(/[*?[\]\\]/g, (m) => `\\${m}`);
  const out: string[] = [];
  let trailing = false;
  const parts = segs.map((seg, i) => {
    if (seg.length === 1 && seg[0]!.t === "any") return "**";
    let lead = "";
    const text = seg
      .map((t, j) => {
        if (t.t === "lit") return escape(t.s);
        if (t.t === "one") return "?";
        if (t.t === "any" && j === 0 && seg.length > 1) lead = "**/";
        if (t.t === "any" && j === seg.length - 1 && j > 0 && i === segs.length - 1) trailing = true;
        return "*";
      })
      .join("");
    return lead + text;
  });
  let glob = parts.filter((p, i) => p !== "" || i === parts.length - 1).join("/");
  if (glob.startsWith("**/") && !glob.slice(3).includes("/")) glob = glob.slice(3);
  else if (!glob.includes("/") && anchored) glob = `/${glob}`;
  const withPrefix = (g: string) => (prefix === "" ? g : `${prefix}${g.startsWith("/") ? g.slice(1) : g.includes("/") ? g : `**/${g}`}`);
  out.push(withPrefix(glob));
  if (trailing) out.push(withPrefix(`${glob}/**`));
  return out;
}

/**
 * gitattributes patterns for a `.sops.yaml` `path_regex`, matched (as sops does) against paths
 * relative to the config's directory, which is `prefix` (`""` or `dir/`) from the repository top.
 * Handles the usual shapes (`\.enc\.yaml$`, `^secrets/.*`, `(dev|prod)/.*\.ya?ml$`); returns
 * undefined for anything else, and the caller asks for patterns instead.
 */
export function globsFromRegex(regex: string, prefix = ""): string[] | undefined {
  let body = regex;
  const anchoredStart = body.startsWith("^");
  if (anchoredStart) body = body.slice(1);
  const anchoredEnd = /(^|[^\\])(\\\\)*\$$/.test(body);
  if (anchoredEnd) body = body.slice(0, -1);
  if (body === "" || /^\(\?[ims]+\)/.test(body)) return undefined;
  const parsed = parseAlternatives(body, 0, false);
  if (!parsed || parsed.pos !== body.length) return undefined;
  const globs = new Set<string>();
  for (const alt of parsed.alts) {
    const toks: Tok[] = [...(anchoredStart ? [] : [{ t: "any" } as Tok]), ...alt, ...(anchoredEnd ? [] : [{ t: "any" } as Tok])];
    if (toks.every((t) => t.t === "any")) return undefined; // matches everything
    for (const g of globsOf(toks, anchoredStart, prefix)) globs.add(g);
  }
  return [...globs];
}

// ---- how git should run hush ----

/**
 * The command that runs this hush (`hush`, or `node /abs/path/bin/hush.js` for a checkout or a
 * local install), so the drivers run the same version that installed them.
 */
function defaultCommand(env: NodeJS.ProcessEnv = process.env): string {
  return selfCommand(env, { nodeFromPath: true });
}

// ---- the pieces ----

/**
 * Git config hush removes at install: `cachetextconv` makes git store the decrypted view in
 * `refs/notes/textconv/hush`, plaintext in `.git` (issue 14, attack 3).
 */
const UNSAFE_CONFIG: readonly string[] = ["diff.hush.cachetextconv"];

/** The git config hush sets, as key → value. */
function gitConfigEntries(command: string): [string, string][] {
  return [
    ["diff.hush.textconv", `${command} git textconv`],
    ["merge.hush.name", "hush: merge encrypted files by key"],
    ["merge.hush.driver", `${command} git merge %O %A %B %P`],
  ];
}

/**
 * What a hook in a shared place runs (a tracked `.husky/` or any `core.hooksPath` outside `.git`):
 * no path of the machine that installed it. The project's own hush-sops when it is a dependency
 * (git runs hooks at the top of the work tree), else `hush` from PATH.
 */
const SHARED_HOOK_COMMAND = `"$(if [ -x node_modules/.bin/hush-sops ]; then echo node_modules/.bin/hush-sops; else echo hush; fi)"`;

/**
 * The pre-commit hook's text. `command` runs hush; a hook in a shared place gets
 * {@link SHARED_HOOK_COMMAND} instead (see installGit).
 */
function hookText(command: string): string {
  return `#!/bin/sh
${HOOK_MARKER}: installed by \`hush git install\`; \`hush git install --uninstall\` removes it.
# Refuses commits of plaintext secrets (\`hush check --staged\`), after running the hook that was
# here before (kept as ${CHAINED_HOOK}).
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/${CHAINED_HOOK}" ]; then
  "$hook_dir/${CHAINED_HOOK}" "$@" || exit $?
fi
exec ${command} check --staged
`;
}

/** `text` without hush's block (and the blank line hush put before it). */
export function withoutBlock(text: string): string {
  const begin = text.indexOf(BLOCK_BEGIN);
  if (begin === -1) return text;
  const endAt = text.indexOf(BLOCK_END, begin);
  const end = endAt === -1 ? text.length : endAt + BLOCK_END.length + (text[endAt + BLOCK_END.length] === "\n" ? 1 : 0);
  let before = text.slice(0, begin);
  if (before.endsWith("\n\n")) before = before.slice(0, -1);
  return before + text.slice(end);
}

/** `text` with hush's block set to these patterns (replacing a previous block in place). */
export function withBlock(text: string, patterns: readonly string[]): string {
  const quote = (p: string) => (/\s|"/.test(p) ? JSON.stringify(p) : p);
  const block = `${BLOCK_BEGIN}\n${patterns.map((p) => `${quote(p)} diff=hush merge=hush\n`).join("")}${BLOCK_END}\n`;
  const begin = text.indexOf(BLOCK_BEGIN);
  if (begin !== -1) {
    const rest = withoutBlock(text.slice(begin));
    return text.slice(0, begin) + block + rest;
  }
  if (text === "") return block;
  return `${text}${text.endsWith("\n") ? "" : "\n"}\n${block}`;
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return fallback;
  }
}

/** Patterns from the creation rules of the `.sops.yaml` in effect. */
async function patternsFromConfig(root: string, cwd: string, env: NodeJS.ProcessEnv, warnings: string[]): Promise<string[]> {
  const config = await loadEffectiveConfig({ cwd, env });
  if (!config?.creationRules) return [];
  const rel = relative(root, dirname(config.path));
  const inside = !rel.startsWith("..") && !isAbsolute(rel);
  const prefix = rel === "" || !inside ? "" : `${rel.split(sep).join("/")}/`;
  const out: string[] = [];
  for (const rule of config.creationRules) {
    if (!rule.pathRegex) {
      warnings.push(`creation_rules[${rule.index}] has no path_regex (it matches every file); no pattern added for it`);
      continue;
    }
    const globs = inside ? globsFromRegex(rule.pathRegex, prefix) : undefined;
    if (!globs || (!inside && globs.some((g) => g.includes("/")))) {
      warnings.push(`creation_rules[${rule.index}].path_regex is not simple enough to turn into a gitattributes pattern; give patterns as arguments`);
      continue;
    }
    for (const g of globs) if (!out.includes(g)) out.push(g);
  }
  return out;
}

async function globalAttributesFile(env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  const r = await runGit(["config", "--global", "--get", "core.attributesFile"], { env, cwd });
  const home = env["HOME"] ?? "";
  const set = r.stdout.toString("utf8").trim();
  if (r.status === 0 && set !== "") return set.startsWith("~/") ? join(home, set.slice(2)) : resolve(cwd, set);
  const xdg = env["XDG_CONFIG_HOME"] || join(home, ".config");
  return join(xdg, "git", "attributes");
}

/** Installs (or, with `uninstall`, removes) hush's git integration. */
export async function installGit(opts: InstallOptions = {}): Promise<InstallReport> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const report: InstallReport = { actions: [], warnings: [] };
  const scope = opts.global ? "--global" : "--local";
  const root = opts.global ? cwd : await repoRoot({ cwd, env });
  const show = (p: string) => (opts.global ? p : relative(root, p) || p);
  const gitAt = { cwd: root, env };

  // 1. Attributes.
  const attributes = opts.global ? await globalAttributesFile(env, cwd) : join(root, ".gitattributes");
  const before = await readOr(attributes, "");
  if (opts.uninstall) {
    const after = withoutBlock(before);
    if (after !== before) {
      if (after.trim() === "") await rm(attributes, { force: true });
      else await writeFileAtomic(attributes, after, 0o644);
      report.actions.push(`removed hush's patterns from ${show(attributes)}`);
    }
  } else {
    const patterns = opts.patterns && opts.patterns.length > 0 ? [...opts.patterns] : await patternsFromConfig(root, cwd, env, report.warnings);
    if (patterns.length === 0) {
      throw new HushError(
        "USAGE",
        "no file patterns: give them as arguments (e.g. '*.enc.yaml') or add creation rules with a simple path_regex to .sops.yaml",
      );
    }
    const after = withBlock(before, patterns);
    if (after !== before) {
      await mkdir(dirname(attributes), { recursive: true });
      await writeFileAtomic(attributes, after, 0o644);
      report.actions.push(`wrote ${patterns.length} pattern${patterns.length === 1 ? "" : "s"} to ${show(attributes)}: ${patterns.join(" ")}`);
    }
  }

  // 2. Git config.
  const command = opts.command ?? defaultCommand(env);
  for (const key of UNSAFE_CONFIG) {
    const cur = await runGit(["config", scope, "--get-all", key], gitAt);
    if (cur.status === 0) {
      await git(["config", scope, "--unset-all", key], gitAt);
      report.actions.push(`unset ${key}${opts.uninstall ? "" : " (git no longer stores decrypted diff views)"}`);
    }
  }
  for (const [key, value] of gitConfigEntries(command)) {
    const cur = await runGit(["config", scope, "--get", key], gitAt);
    const current = cur.status === 0 ? cur.stdout.toString("utf8").replace(/\n$/, "") : undefined;
    if (opts.uninstall) {
      if (current !== undefined) {
        await git(["config", scope, "--unset-all", key], gitAt);
        report.actions.push(`unset ${key}`);
      }
    } else if (current !== value) {
      await git(["config", scope, "--replace-all", key, value], gitAt);
      report.actions.push(`set ${key} = ${value}`);
    }
  }
  if (opts.uninstall) {
    // An emptied section header would stay behind; remove the sections when nothing else is in them.
    for (const section of ["diff.hush", "merge.hush"]) {
      const left = await runGit(["config", scope, "--get-regexp", `^${section.replace(".", "\\.")}\\.`], gitAt);
      if (left.status !== 0) await runGit(["config", scope, "--remove-section", section], gitAt);
    }
  }

  // 3. A textconv cache left by an earlier install: plaintext in this clone's object store.
  if (!opts.global && (await hasTextconvCache(gitAt))) {
    if (opts.uninstall || opts.deleteTextconvCache) {
      const r = await deleteTextconvCache(gitAt);
      report.actions.push(`deleted ${TEXTCONV_CACHE_REF} (decrypted diff views) and ${r.objects} object${r.objects === 1 ? "" : "s"} only it reached`);
    } else {
      report.textconvCacheLeft = true;
      report.warnings.push(
        `${TEXTCONV_CACHE_REF} holds decrypted diff views (plaintext in .git, kept by backups and \`git push --mirror\`); delete it with \`hush git install --delete-textconv-cache\``,
      );
    }
  }

  // 4. The pre-commit hook.
  if (opts.hook ?? true) {
    let hooksDir: string | undefined;
    if (opts.global) {
      const r = await runGit(["config", "--global", "--get", "core.hooksPath"], gitAt);
      const set = r.stdout.toString("utf8").trim();
      if (r.status === 0 && set !== "") hooksDir = set.startsWith("~/") ? join(env["HOME"] ?? "", set.slice(2)) : resolve(cwd, set);
      else if (!opts.uninstall) {
        report.warnings.push("no global core.hooksPath: the pre-commit hook is per repository; run `hush git install` in each repository for it");
      }
    } else {
      hooksDir = resolve(root, (await git(["rev-parse", "--git-path", "hooks"], gitAt)).trim());
    }
    if (hooksDir) {
      // A hook outside .git (husky's tracked .husky/, a shared core.hooksPath) is shared with
      // everyone who clones: it must not name this machine's paths. Hooks in .git/hooks and the
      // drivers in git config are this machine's own, so they keep the exact command that installed
      // them (the same hush version runs them; `hush` when that is what is on PATH).
      const gitDir = opts.global ? undefined : resolve(root, (await git(["rev-parse", "--absolute-git-dir"], gitAt)).trim());
      const shared = gitDir === undefined || !(hooksDir === gitDir || hooksDir.startsWith(gitDir + sep));
      const hookCommand = shared && opts.command === undefined ? SHARED_HOOK_COMMAND : command;
      await (opts.uninstall ? removeHook : installHook)(hooksDir, hookCommand, report, show);
    }
  }
  return report;
}

async function installHook(dir: string, command: string, report: InstallReport, show: (p: string) => string): Promise<void> {
  const hook = join(dir, "pre-commit");
  const chained = join(dir, CHAINED_HOOK);
  const text = hookText(command);
  const current = existsSync(hook) ? await readOr(hook, "") : undefined;
  if (current === text) return;
  await mkdir(dir, { recursive: true });
  if (current !== undefined && !current.includes(HOOK_MARKER)) {
    if (existsSync(chained)) {
      throw new HushError(
        "USAGE",
        `${show(hook)} is not hush's, and ${show(chained)} already exists: cannot chain the hook`,
        `merge the two hooks by hand, or remove ${CHAINED_HOOK}, then run \`hush git install\` again`,
      );
    }
    await rename(hook, chained);
    report.actions.push(`kept the existing pre-commit hook as ${show(chained)} (run first)`);
  }
  await writeFile(hook, text, { mode: 0o755 });
  await chmod(hook, 0o755);
  report.actions.push(`${current === undefined ? "installed" : "updated"} ${show(hook)} (runs \`hush check --staged\`)`);
}

async function removeHook(dir: string, _command: string, report: InstallReport, show: (p: string) => string): Promise<void> {
  const hook = join(dir, "pre-commit");
  const chained = join(dir, CHAINED_HOOK);
  if (!existsSync(hook)) return;
  const current = await readOr(hook, "");
  if (!current.includes(HOOK_MARKER)) {
    report.warnings.push(`${show(hook)} is not hush's; left as it is`);
    return;
  }
  await rm(hook, { force: true });
  if (existsSync(chained)) {
    await rename(chained, hook);
    report.actions.push(`restored the previous pre-commit hook from ${show(chained)}`);
  } else {
    report.actions.push(`removed ${show(hook)}`);
  }
}
