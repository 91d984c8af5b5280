/**
 * `hush audit FILE` and `hush rotation-status`: the history of an encrypted file read from the
 * encrypted text alone, so they need no key.
 *
 * Stable ciphertext makes this possible: hush rewrites keep the exact `ENC[...]` of every value
 * whose plaintext did not change, so a value changed in a commit iff its ciphertext changed. A
 * data-key rotation re-encrypts everything; it shows as every wrapped key (`enc`) *and* every
 * value changing at once, and is reported as one "rotation" instead of a list of changes.
 *
 * Merge commits are compared with every parent (git's combined diff): a path counts only when it
 * differs from all parents, so what a clean merge took from one side is reported once, at the
 * commit that made it, not again at the merge.
 *
 * simple-git is loaded here only (audit is not on the hot path).
 */
import type { SimpleGit } from "simple-git";
import { HushError } from "../errors.js";
import { entryLabel, formatNameForPath, formatTreePath, isSealedText, parseDocument, storedMetadata, type TreeNode, type TreePath } from "../lib/internal.js";

/** One commit's effect on the file. */
interface AuditEntry {
  commit: string;
  parents: string[];
  author: string;
  email: string;
  /** Author date, ISO 8601 with offset. */
  date: string;
  subject: string;
  /** The file's path in this commit (it may have been renamed since). */
  path: string;
  status: "added" | "modified" | "renamed" | "deleted" | "merge";
  /** Key paths (`["db"]["password"]`; list items by index) added, changed and removed. */
  added: string[];
  changed: string[];
  removed: string[];
  recipientsAdded: string[];
  recipientsRemoved: string[];
  /** Every value re-encrypted under a new data key. */
  rotated: boolean;
  /**
   * In a rotation: values re-encrypted under the new data key whose change cannot be told from
   * the ciphertext. Empty when a key resolved them (then real changes are in `changed`).
   */
  reencrypted: string[];
  /** True when the values of a rotation were compared by plaintext, with a key. */
  resolved: boolean;
  /** False when this version of the file has no readable sops metadata (plaintext, or broken). */
  encrypted: boolean;
  /** False when this version does not parse at all (committed conflict markers, …). */
  parsed: boolean;
}

/** A file's audit: newest commit first, as `git log`. */
export interface AuditReport {
  file: string;
  entries: AuditEntry[];
}

/** What the encrypted text of one version says, without a key. */
export interface Snapshot {
  parsed: boolean;
  encrypted: boolean;
  /** Key path label → the stored value (`ENC[...]`, or the clear value with its type). */
  values: Map<string, string>;
  /** Labels of values stored encrypted. */
  sealed: Set<string>;
  /** The key path of each label (for policies matched on dotted paths). */
  paths: Map<string, TreePath>;
  /** Recipient (`age age1…`) → its wrapped data key. */
  recipients: Map<string, string>;
}

function walk(node: TreeNode, path: TreePath, prefix: string, out: Snapshot): void {
  const label = () => prefix + formatTreePath(path);
  if (node instanceof Map) {
    if (node.size === 0 && path.length > 0) out.values.set(label(), "{}");
    for (const [k, v] of node) walk(v, [...path, k], prefix, out);
  } else if (Array.isArray(node)) {
    if (node.length === 0) out.values.set(label(), "[]");
    node.forEach((v, i) => walk(v, [...path, i], prefix, out));
  } else {
    const v = node.value;
    const stored = v === null ? "null" : `${v.type}:${v.text}`;
    out.values.set(label(), stored);
    out.paths.set(label(), path);
    if (v !== null && v.type === "str" && isSealedText(v.text)) out.sealed.add(label());
  }
}

/** Reads a version's structure, values as stored and recipients; never throws. */
export function snapshot(text: string, path: string): Snapshot {
  const snap: Snapshot = { parsed: false, encrypted: false, values: new Map(), sealed: new Set(), paths: new Map(), recipients: new Map() };
  let doc;
  try {
    doc = parseDocument(text, formatNameForPath(path));
  } catch {
    return snap;
  }
  snap.parsed = true;
  const trees = doc.trees();
  trees.forEach((t, i) => walk(t, [], trees.length > 1 ? `(document ${i + 1}) ` : "", snap));
  try {
    const meta = storedMetadata(doc);
    if (meta !== undefined) {
      snap.encrypted = true;
      meta.keyGroups.forEach((g, i) =>
        g.forEach((w) => {
          const id = `${meta.keyGroups.length > 1 ? `group ${i}: ` : ""}${w.kind} ${entryLabel(w.kind, w.entry)}`;
          snap.recipients.set(id, typeof w.entry["enc"] === "string" ? w.entry["enc"] : "");
        }),
      );
    }
  } catch {
    // unreadable metadata: the values are still compared; recipients are not known
  }
  return snap;
}

/** True when `cur` re-encrypted everything it shares with `par` under a new data key. */
function rotatedFrom(cur: Snapshot, par: Snapshot): boolean {
  const common = [...cur.recipients.keys()].filter((id) => par.recipients.has(id));
  const rewrapped = common.every((id) => cur.recipients.get(id) !== par.recipients.get(id));
  const values = [...cur.sealed].filter((l) => par.sealed.has(l));
  if (values.length === 0 || !rewrapped) return false;
  // With no recipient in common the wrapped keys say nothing; one value alone is no evidence.
  if (common.length === 0 && values.length < 2) return false;
  return values.every((l) => cur.values.get(l) !== par.values.get(l));
}

/** Compares a version with its parents' versions (undefined: the file is absent there). */
function compareVersions(cur: Snapshot | undefined, parents: readonly (Snapshot | undefined)[]): Pick<
  AuditEntry,
  "added" | "changed" | "removed" | "recipientsAdded" | "recipientsRemoved" | "rotated" | "reencrypted"
> {
  const present = parents.filter((p): p is Snapshot => p !== undefined);
  const rotated = cur !== undefined && present.length > 0 && present.every((p) => rotatedFrom(cur, p));
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const reencrypted: string[] = [];
  const labels = new Set<string>([...(cur?.values.keys() ?? []), ...present.flatMap((p) => [...p.values.keys()])]);
  for (const l of labels) {
    const c = cur?.values.get(l);
    const ps = parents.map((p) => p?.values.get(l));
    if (ps.some((p) => p === c)) continue; // as in some parent: nothing of this commit's own
    if (c === undefined) removed.push(l);
    else if (ps.every((p) => p === undefined)) added.push(l);
    else if (!rotated || !(cur?.sealed.has(l) ?? false)) changed.push(l);
    else reencrypted.push(l);
  }
  const recipientsAdded: string[] = [];
  const recipientsRemoved: string[] = [];
  const ids = new Set<string>([...(cur?.recipients.keys() ?? []), ...present.flatMap((p) => [...p.recipients.keys()])]);
  for (const id of ids) {
    const has = cur?.recipients.has(id) ?? false;
    if (parents.length > 0 && parents.some((p) => (p?.recipients.has(id) ?? false) === has)) continue;
    (has ? recipientsAdded : recipientsRemoved).push(id);
  }
  return { added, changed, removed, recipientsAdded, recipientsRemoved, rotated, reencrypted };
}

/** Decrypted values of one version by label (`type:text`), or undefined when no key opens it. */
type PlainOf = (text: string, path: string) => Promise<Map<string, string> | undefined>;

/**
 * Resolves a rotation's re-encrypted values with a key: a value changed iff its plaintext differs
 * from every parent's (as `compareVersions` does for ciphertexts). Values stay unresolved when any
 * version does not open (no key, or the MAC fails).
 */
async function resolveRotation(
  entry: Pick<AuditEntry, "changed" | "reencrypted" | "resolved">,
  cur: string,
  curPath: string,
  parents: readonly (string | undefined)[],
  parentPath: string,
  plainOf: PlainOf,
): Promise<void> {
  const now = await plainOf(cur, curPath);
  if (!now) return;
  const before: (Map<string, string> | undefined)[] = [];
  for (const p of parents) {
    if (p === undefined) {
      before.push(undefined);
      continue;
    }
    const opened = await plainOf(p, parentPath);
    if (!opened) return;
    before.push(opened);
  }
  for (const l of entry.reencrypted) {
    const c = now.get(l);
    if (!before.some((b) => b?.get(l) === c)) entry.changed.push(l);
  }
  entry.reencrypted = [];
  entry.resolved = true;
}

/** Opens versions with the keys of `env` (each version's data key zeroed by the library). */
function keyedPlainOf(env: NodeJS.ProcessEnv): PlainOf {
  return async (text, path) => {
    try {
      const { openDocument } = await import("../lib/internal.js");
      const opened = await openDocument(text, { format: formatNameForPath(path), env });
      const snap: Snapshot = { parsed: true, encrypted: true, values: new Map(), sealed: new Set(), paths: new Map(), recipients: new Map() };
      opened.trees.forEach((t, i) => walk(t, [], opened.trees.length > 1 ? `(document ${i + 1}) ` : "", snap));
      return snap.values;
    } catch {
      return undefined;
    }
  };
}

/** A commit as `git log` lists it, before its effect on the file is worked out. */
interface LogCommit extends Pick<AuditEntry, "commit" | "parents" | "author" | "email" | "date" | "subject" | "path"> {
  /** git's status letter(s) for the file. */
  status: string;
  /** The path in the parents (differs after a rename). */
  oldPath: string;
}

const FIELD = "\x1f";
const RECORD = "\x1e";

function parseLog(out: string, file: string): LogCommit[] {
  const commits: LogCommit[] = [];
  let current = file;
  for (const rec of out.split(RECORD).slice(1)) {
    const [head = "", ...rest] = rec.split("\n");
    const [commit = "", parents = "", author = "", email = "", date = "", subject = ""] = head.split(FIELD);
    const names = rest.map((l) => l.split("\t")).find((cols) => cols.length >= 2 && /^[A-Z]+\d*$/.test(cols[0]!));
    let status = names?.[0] ?? "";
    let path = current;
    let oldPath = current;
    if (names && /^[RC]\d*$/.test(status) && names.length >= 3) {
      oldPath = names[1]!;
      path = names[2]!;
    } else if (names) {
      path = names[names.length - 1]!;
      oldPath = path;
    }
    const ps = parents.split(" ").filter(Boolean);
    // A merge git shows with no names took the file from one parent: nothing of its own.
    if (!names && ps.length > 1) continue;
    if (ps.length > 1) status = "merge";
    commits.push({ commit, parents: ps, author, email, date, subject, status, path, oldPath });
    current = oldPath;
  }
  return commits;
}

/** simple-git for `cwd`, loaded on first use. */
export async function openGit(cwd: string): Promise<SimpleGit> {
  const { simpleGit } = await import("simple-git");
  return simpleGit({ baseDir: cwd });
}

/** A file's text at a revision, or undefined when it is not there. */
export async function show(sg: SimpleGit, rev: string, path: string): Promise<string | undefined> {
  try {
    return await sg.show([`${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

/** The path of `file` (relative to `cwd`) from the top of the repository. */
export async function topPath(sg: SimpleGit, file: string): Promise<string> {
  let prefix: string;
  try {
    prefix = (await sg.revparse(["--show-prefix"])).trim();
  } catch {
    throw new HushError("USAGE", "not inside a git working tree", "run this in a git repository");
  }
  const parts: string[] = [];
  for (const p of `${prefix}${file}`.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}

/** How to audit. */
export interface AuditOptions {
  cwd?: string;
  /**
   * Keys to resolve rotations with (the environment by default). A commit that re-wraps the data
   * key re-encrypts every value, so its ciphertexts cannot tell which values also changed; with a
   * key they are compared by plaintext. `false`: never use a key (the report then lists them as
   * `reencrypted`).
   */
  keys?: NodeJS.ProcessEnv | false;
}

/** Audits one file's history (`git log --follow`); needs no key (see {@link AuditOptions.keys}). */
export async function auditFile(file: string, opts: AuditOptions = {}): Promise<AuditReport> {
  const sg = await openGit(opts.cwd ?? process.cwd());
  const top = await topPath(sg, file);
  let out: string;
  try {
    out = await sg.raw([
      "log",
      "--follow",
      "--cc",
      "--name-status",
      `--format=${RECORD}%H${FIELD}%P${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%s`,
      "--",
      file,
    ]);
  } catch (e) {
    throw new HushError("GENERIC", `git log failed for ${file}`, undefined, { cause: e });
  }
  const commits = parseLog(out, top);
  if (commits.length === 0) throw new HushError("NO_FILE", `${file} has no history in this repository`);
  const entries: AuditEntry[] = [];
  const plainOf = opts.keys === false ? undefined : keyedPlainOf(opts.keys ?? process.env);
  for (const c of commits) {
    const deleted = c.status.startsWith("D");
    const text = deleted ? undefined : await show(sg, c.commit, c.path);
    const cur = text === undefined ? undefined : snapshot(text, c.path);
    const parentTexts = await Promise.all(c.parents.map((p) => show(sg, p, c.oldPath)));
    const parents = parentTexts.map((t) => (t === undefined ? undefined : snapshot(t, c.oldPath)));
    const status: AuditEntry["status"] =
      c.status === "merge"
        ? "merge"
        : cur === undefined
          ? "deleted"
          : parents.every((p) => p === undefined)
            ? "added"
            : /^R/.test(c.status)
              ? "renamed"
              : "modified";
    const entry: AuditEntry = {
      commit: c.commit,
      parents: c.parents,
      author: c.author,
      email: c.email,
      date: c.date,
      subject: c.subject,
      path: c.path,
      status,
      ...compareVersions(cur, parents),
      resolved: false,
      encrypted: cur?.encrypted ?? false,
      parsed: cur?.parsed ?? true,
    };
    if (plainOf && text !== undefined && entry.reencrypted.length > 0) {
      await resolveRotation(entry, text, c.path, parentTexts, c.oldPath, plainOf);
    }
    entries.push(entry);
  }
  return { file, entries };
}

/** The audit as readable text. */
export function formatAudit(report: AuditReport): string {
  const lines: string[] = [];
  for (const e of report.entries) {
    lines.push(`${e.commit.slice(0, 12)}  ${e.date}  ${e.author} <${e.email}>`);
    lines.push(`    ${e.subject}`);
    const what: string[] = [];
    if (e.status === "added") what.push(`file added as ${e.path}`);
    if (e.status === "deleted") what.push(`file deleted (${e.path})`);
    if (e.status === "renamed") what.push(`file renamed to ${e.path}`);
    if (!e.parsed) what.push("WARNING: this version does not parse");
    else if (!e.encrypted && e.status !== "deleted") what.push("WARNING: this version is not encrypted");
    if (e.rotated) what.push(`all values re-encrypted (rotation)${e.resolved ? "; changes below compared with a key" : ""}`);
    if (e.reencrypted.length > 0) what.push(`re-encrypted, change unknown without a key: ${e.reencrypted.join(", ")}`);
    for (const p of e.added) what.push(`added    ${p}`);
    for (const p of e.changed) what.push(`changed  ${p}`);
    for (const p of e.removed) what.push(`removed  ${p}`);
    for (const r of e.recipientsAdded) what.push(`recipient added    ${r}`);
    for (const r of e.recipientsRemoved) what.push(`recipient removed  ${r}`);
    if (what.length === 0) {
      what.push(e.status === "merge" ? "merge: no changes of its own (every value as in one of its parents)" : "no value or recipient changes (metadata only)");
    } else if (e.status === "merge") what.unshift("merge: changes of its own (differing from every parent):");
    for (const w of what) lines.push(`  ${w}`);
    lines.push("");
  }
  return lines.join("\n");
}
