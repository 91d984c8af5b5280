/**
 * Paths into a document tree: the one grammar that `--extract`, `set`, `unset`, `share`, the
 * library's `get()`/`has()` and the GitHub Action read, and the printers for messages.
 *
 * A path is a list of steps: map keys (strings) and list indexes (numbers). It is written in either
 * of two forms, which may be mixed:
 *
 * - the **tree form**, as sops writes it (SOPS-FORMAT §13): `["db"]["password"]`, `['a']`,
 *   `["hosts"][0]`. A key in brackets is taken literally between its quotes (no escapes, as in
 *   sops: a key holding `"` is written in single quotes), a bare number in brackets is an index.
 * - the **dotted form**: `db.password`, `hosts[0].name`. Keys are separated by `.`; `[N]` after a
 *   key is a list index, and `["key"]` may stand anywhere a dotted key may (`labels["app.io/name"]`).
 *   In a dotted key, `\` escapes the next character when it is `.`, `[`, `]` or `\`
 *   (`a\.b` is the key `a.b`, `a\[0\]` the key `a[0]`, `a\\b` the key `a\b`); any other escape is
 *   an error. A dotted key is never empty (write `[""]`).
 *
 * Grammar (a path is at least one step; whitespace belongs to keys):
 * ```
 * path    = (bare | bracket) ("." bare | bracket)*
 * bracket = "[" (digits | '"' [^"]* '"' | "'" [^']* "'") "]"
 * bare    = ([^.[\]\\] | "\" [.[\]\\])+
 * ```
 *
 * How a step is followed (the same everywhere): in a map, a key by its text (a number step by its
 * digits); in a list, a number step, or a dotted key made only of digits (`hosts.0`), by index.
 * Reading (`get()`, `has()`, `share`, the Action) is lenient in one more way, kept for keys that
 * contain dots: when `labels.app.kubernetes.io/name` is not found as nested keys, neighbouring
 * dotted keys are tried joined by their dots (the nested reading first, shorter keys before
 * longer). Writing (`set`, `unset`) and `--extract` take the path exactly as written.
 */
import { HushError } from "../errors.js";
import type { TreeNode } from "./tree.js";

/** A path into a document tree: map keys and list indexes from the root. */
export type TreePath = (string | number)[];

/** A parsed path, with what lenient reading needs to know about how it was written. */
export interface ParsedPath {
  /** The steps, as written: strings for keys, numbers for `[N]` indexes. */
  readonly path: TreePath;
  /**
   * `joinable[i]` is true when steps `i` and `i + 1` are dotted keys separated by an unescaped `.`,
   * so that a lenient reader may also try them as the one key `path[i] + "." + path[i + 1]`.
   */
  readonly joinable: readonly boolean[];
}

const SPECIAL_IN_BARE = new Set([".", "[", "]", "\\"]);

function invalid(expr: string, message: string): HushError {
  return new HushError("INVALID_TREE_PATH", `invalid path ${JSON.stringify(expr)}: ${message}`);
}

/** Parses a path in the tree form, the dotted form or a mix (see the module comment). */
export function parsePathExpr(expr: string): ParsedPath {
  if (expr === "") throw new HushError("INVALID_TREE_PATH", "empty path");
  const path: TreePath = [];
  const joinable: boolean[] = [];
  let at = 0;
  let lastBare = false;
  while (at < expr.length) {
    const first = at === 0;
    if (expr[at] === "[") {
      const step = bracketAt(expr, at);
      if (path.length > 0) joinable.push(false);
      path.push(step.value);
      at = step.end;
      lastBare = false;
      continue;
    }
    if (!first) {
      if (expr[at] !== ".") throw invalid(expr, `expected . or [ at character ${at + 1}`);
      at++;
    }
    const step = bareAt(expr, at);
    if (path.length > 0) joinable.push(lastBare);
    path.push(step.value);
    at = step.end;
    lastBare = true;
  }
  return { path, joinable };
}

/** Parses a path in the tree form, the dotted form or a mix; the steps only. */
export function parsePath(expr: string): TreePath {
  return parsePathExpr(expr).path;
}

/**
 * Parses a path in sops's tree form only (`["a"][0]`): the form the library exported first; new
 * code takes both forms with {@link parsePath}.
 */
export function parseTreePath(expr: string): TreePath {
  if (expr === "") throw new HushError("INVALID_TREE_PATH", "empty tree path");
  const out: TreePath = [];
  let at = 0;
  while (at < expr.length) {
    if (expr[at] !== "[") {
      throw new HushError("INVALID_TREE_PATH", `invalid tree path ${JSON.stringify(expr)}: expected ["key"] or [0] at character ${at + 1}`);
    }
    const step = bracketAt(expr, at, true);
    out.push(step.value);
    at = step.end;
  }
  return out;
}

const BRACKET = /\[(?:"([^"]*)"|'([^']*)'|(\d+))\]/y;

/** The `[...]` step starting at `at`. */
function bracketAt(expr: string, at: number, treeOnly = false): { value: string | number; end: number } {
  BRACKET.lastIndex = at;
  const m = BRACKET.exec(expr);
  if (!m) {
    throw treeOnly
      ? new HushError("INVALID_TREE_PATH", `invalid tree path ${JSON.stringify(expr)}: expected ["key"] or [0] at character ${at + 1}`)
      : invalid(expr, `expected ["key"] or [0] at character ${at + 1}`);
  }
  if (m[3] !== undefined) {
    const n = Number(m[3]);
    // Number() would round it to another index (or to Infinity); sops's strconv.Atoi fails too.
    if (!Number.isSafeInteger(n)) {
      throw new HushError("INVALID_TREE_PATH", `invalid ${treeOnly ? "tree " : ""}path: list index at character ${at + 2} is too large`);
    }
    return { value: n, end: BRACKET.lastIndex };
  }
  return { value: (m[1] ?? m[2])!, end: BRACKET.lastIndex };
}

/** The dotted key starting at `at`, escapes resolved. */
function bareAt(expr: string, at: number): { value: string; end: number } {
  let value = "";
  let i = at;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === "." || c === "[") break;
    if (c === "]") throw invalid(expr, `unexpected ] at character ${i + 1} (write \\] for a ] in a key)`);
    if (c === "\\") {
      const next = expr[i + 1];
      if (next === undefined || !SPECIAL_IN_BARE.has(next)) {
        throw invalid(expr, `\\ at character ${i + 1} must be followed by . [ ] or \\ (a key with other characters can be written ["…"])`);
      }
      value += next;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  if (value === "") throw invalid(expr, `expected a key at character ${at + 1} (an empty key is written [""])`);
  return { value, end: i };
}

/** A key that prints bare in the dotted form: nothing to escape, no quote or space to confuse a reader. */
const PLAIN_KEY = /^[^.[\]\\"'\s]+$/;

function escapeBare(key: string): string {
  return key.replace(/[.[\]\\]/g, (c) => `\\${c}`);
}

/** `["key"]`, or `['key']` for a key holding `"`; undefined when the key holds both quotes. */
function quoted(key: string): string | undefined {
  if (!key.includes('"')) return `["${key}"]`;
  if (!key.includes("'")) return `['${key}']`;
  return undefined;
}

/**
 * Prints a path in the dotted form, as people write it: `db.password`, `hosts[1].name`,
 * `labels["app.kubernetes.io/name"]`. {@link parsePath} reads it back to the same steps.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (PLAIN_KEY.test(p)) out += out === "" ? p : `.${p}`;
    else {
      const q = quoted(p);
      out += q ?? (out === "" ? escapeBare(p) : `.${escapeBare(p)}`);
    }
  }
  return out;
}

/**
 * Prints a path the way sops prints one: `["a"][0]` (`['a"b']` for a key holding `"`). A key
 * holding both quote characters cannot be written in this form; it is printed JSON-quoted.
 */
export function formatTreePath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : (quoted(p) ?? `[${JSON.stringify(p)}]`))).join("");
}

/**
 * Prints a path as `Secrets.keys()` lists it: keys joined by `.` and list indexes as `.N`
 * (`hosts.0.name`). A dot inside a key is left as it is (lenient reading finds the key); `[`, `]`
 * and `\` are escaped, and a key that is empty or starts, ends or doubles a dot is quoted, so
 * every entry is a path `get()` finds.
 */
export function formatLoosePath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    const key = String(p);
    if (key !== "" && !key.split(".").includes("")) {
      out += (out === "" ? "" : ".") + key.replace(/[[\]\\]/g, (c) => `\\${c}`);
    } else {
      out += quoted(key) ?? (out === "" ? escapeBare(key) : `.${escapeBare(key)}`);
    }
  }
  return out;
}

/** The list index a step names: a number, or a string of digits (`hosts.0`); else undefined. */
export function listIndex(step: string | number): number | undefined {
  const i = typeof step === "number" ? step : /^\d+$/.test(step) ? Number(step) : Number.NaN;
  return Number.isSafeInteger(i) && i >= 0 ? i : undefined;
}

/** One step down from `node` (a Map is a mapping, an array a list); undefined when there is none. */
function stepInto<N>(node: N, p: string | number): { next: N; step: string | number } | undefined {
  if (node instanceof Map) {
    const key = typeof p === "number" ? String(p) : p;
    const next = (node as Map<string, N>).get(key);
    return next === undefined ? undefined : { next, step: key };
  }
  if (Array.isArray(node)) {
    const i = listIndex(p);
    const next = i === undefined ? undefined : (node as N[])[i];
    return next === undefined ? undefined : { next, step: i! };
  }
  return undefined;
}

/**
 * Finds the node at a path in a tree of Maps (mappings), arrays (lists) and leaves (anything
 * else). A {@link ParsedPath} is read leniently (dotted keys may join, see the module comment); a
 * plain list of steps exactly. Returns the node and its exact path (map keys as strings, list
 * indexes as numbers), or undefined. Each step is one map lookup, whatever the tree's size.
 */
export function lookupPath<N>(root: N, path: ParsedPath | readonly (string | number)[]): { node: N; path: TreePath } | undefined {
  const parsed: ParsedPath = Array.isArray(path) ? { path: path as TreePath, joinable: [] } : (path as ParsedPath);
  return descend(root, parsed, 0, []);
}

function descend<N>(node: N, parsed: ParsedPath, at: number, done: TreePath): { node: N; path: TreePath } | undefined {
  const { path, joinable } = parsed;
  if (at === path.length) return { node, path: done };
  // Steps at..end joined by their dots, shortest first; only map keys may join.
  let key = path[at]!;
  for (let end = at; end < path.length; end++) {
    if (end > at) {
      if (!(node instanceof Map) || !joinable[end - 1]) break;
      key = `${key}.${path[end]!}`;
    }
    const found = stepInto(node, key);
    if (!found) continue;
    const rest = descend(found.next, parsed, end + 1, [...done, found.step]);
    if (rest) return rest;
  }
  return undefined;
}

/**
 * Follows an exact path in a document tree (`--extract`); a clear error names the first missing
 * component (keys only: no value is ever printed).
 */
export function getTreePath(tree: TreeNode, path: TreePath): TreeNode {
  let node: TreeNode = tree;
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    const found = stepInto(node, p);
    if (!found) {
      throw new HushError("PATH_NOT_FOUND", `component ${formatTreePath([p])} of ${formatTreePath(path)} not found`, dottedKeyHint(node, path, i));
    }
    node = found.next;
  }
  return node;
}

/**
 * When `path[i]` and the steps after it, joined by dots, name a key of `node`, the user most likely
 * wrote a key containing dots as a dotted path: say how to write it (keys only, never a value).
 */
function dottedKeyHint(node: TreeNode, path: TreePath, i: number): string | undefined {
  if (!(node instanceof Map)) return undefined;
  let key = String(path[i]);
  for (let end = i + 1; end < path.length; end++) {
    key = `${key}.${String(path[end])}`;
    if (node.has(key)) return `the key ${formatTreePath([key])} contains dots: write it in brackets or escape its dots, e.g. ${formatPath([...path.slice(0, i), key])}`;
  }
  return undefined;
}
