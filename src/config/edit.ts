/**
 * Editing the age recipients of `.sops.yaml` creation rules (`hush invite`, `hush revoke`,
 * `hush init`) without reformatting the file: the `yaml` package's Document API finds the nodes
 * and their source ranges, and only those bytes are replaced, so comments, quoting, indentation and
 * the `age: >-` folded lists sops's documentation uses all stay as written. Every edit is checked
 * by parsing the result again; a shape the splice does not handle falls back to editing the
 * Document and printing it (comments survive, the layout may not).
 */
import { isMap, isScalar, isSeq, parseDocument, Scalar, YAMLMap, YAMLSeq, type Document, type Node, type Pair } from "yaml";
import { HushError } from "../errors.js";
import { KEY_SERVICES } from "../keys/index.js";

/** The keys of a creation rule (or key group) that name recipients. */
const KEY_FIELDS: readonly string[] = [...new Set([...KEY_SERVICES.flatMap((s) => [s.config.flat, s.config.group]), "key_groups", "merge"])];

/** What an edit did. */
export interface RecipientEdit {
  /** The new config text (the input itself when nothing changed). */
  text: string;
  /** Indexes of the creation rules that changed. */
  changed: number[];
}

interface Splice {
  start: number;
  end: number;
  insert: string;
}

type Target = { rule: number; map: YAMLMap };

function parse(source: string): Document.Parsed {
  const doc = parseDocument(source, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    const first = (doc.errors[0]!.message.split("\n")[0] ?? "").replace(/:$/, "");
    throw new HushError("CONFIG", `.sops.yaml does not parse: ${first}`);
  }
  return doc;
}

function rulesOf(doc: Document.Parsed): YAMLMap[] {
  const rules = doc.get("creation_rules", true);
  if (!isSeq(rules)) throw new HushError("CONFIG", ".sops.yaml has no creation_rules list", "run `hush init` to write one");
  return rules.items.map((r, i) => {
    if (!isMap(r)) throw new HushError("CONFIG", `.sops.yaml: creation_rules[${i}] is not a mapping`);
    return r;
  });
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === key);
}

function hasKeys(map: YAMLMap): boolean {
  return KEY_FIELDS.some((f) => {
    const v = pairOf(map, f)?.value;
    if (v === undefined || v === null) return false;
    if (isScalar(v)) return v.value !== null && String(v.value).trim() !== "";
    if (isSeq(v) || isMap(v)) return v.items.length > 0;
    return true;
  });
}

/** The key groups of a rule: its `key_groups` maps when it has some, else the rule itself. */
function groupsOf(rule: YAMLMap, index: number): YAMLMap[] {
  const kg = pairOf(rule, "key_groups")?.value;
  if (isSeq(kg) && kg.items.length > 0) {
    return kg.items.map((g, j) => {
      if (!isMap(g)) throw new HushError("CONFIG", `.sops.yaml: creation_rules[${index}].key_groups[${j}] is not a mapping`);
      return g;
    });
  }
  return [rule];
}

const split = (s: string): string[] =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

/** The age recipients a node names (a comma list, or a list of comma lists). */
function agesOfValue(v: unknown): string[] {
  if (typeof v === "string") return split(v);
  if (Array.isArray(v)) return v.flatMap((x) => (typeof x === "string" ? split(x) : []));
  return [];
}

/**
 * The age recipients of every creation rule, one list per key group (a rule without
 * `key_groups` is one group). For showing who can read what, and to check edits.
 */
export function ageRecipientsByRule(source: string): string[][][] {
  const js = parse(source).toJS() as { creation_rules?: unknown };
  const rules = Array.isArray(js.creation_rules) ? js.creation_rules : [];
  return rules.map((r) => {
    const rule = (r ?? {}) as Record<string, unknown>;
    const kg = rule["key_groups"];
    const groups = Array.isArray(kg) && kg.length > 0 ? (kg as Record<string, unknown>[]) : [rule];
    return groups.map((g) => agesOfValue((g ?? {})["age"]));
  });
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

function lineEnd(text: string, at: number): number {
  const n = text.indexOf("\n", at);
  return n === -1 ? text.length : n;
}

/** A recipient as a YAML scalar (age recipients are always plain-safe; names may not be). */
function comment(name: string | undefined): string {
  return name ? `  # ${name.replace(/[\r\n]+/g, " ").trim()}` : "";
}

/** Renders a comma list in the style of the scalar it replaces; undefined for an unknown style. */
function renderScalar(source: string, node: Scalar, items: readonly string[]): string | undefined {
  const [start, end] = node.range!;
  if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) {
    const old = source.slice(start, end);
    const header = old.slice(0, old.indexOf("\n"));
    const firstLine = old.slice(header.length + 1).split("\n").find((l) => l.trim() !== "") ?? "";
    const indent = /^\s*/.exec(firstLine)![0];
    if (indent === "" || items.length === 0) return undefined;
    return `${header}\n${items.map((i) => `${indent}${i}`).join(",\n")}${old.endsWith("\n") ? "\n" : ""}`;
  }
  const joined = items.join(",");
  if (node.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(joined);
  if (node.type === Scalar.QUOTE_SINGLE) return `'${joined}'`;
  return joined === "" ? '""' : joined;
}

/** Splices for adding `recipient` to the `age` of one group map; undefined when the shape is unusual. */
function addSplices(source: string, map: YAMLMap, recipient: string, name: string | undefined): Splice[] | undefined {
  const pair = pairOf(map, "age");
  const v = pair?.value as Node | null | undefined;
  if (pair && v && isSeq(v) && v.items.length > 0 && !v.flow) {
    const last = v.items[v.items.length - 1] as Node;
    if (!last.range) return undefined;
    const ls = lineStart(source, last.range[0]);
    const m = /^(\s*)-(\s+)$/.exec(source.slice(ls, last.range[0]));
    if (!m) return undefined;
    const at = lineEnd(source, last.range[1]);
    return [{ start: at, end: at, insert: `\n${m[1]}-${m[2]}${recipient}${comment(name)}` }];
  }
  if (pair && v && isSeq(v) && v.flow) {
    const items = (v.items as Node[]).map((i) => (isScalar(i) ? String(i.value) : undefined));
    if (items.some((i) => i === undefined) || !v.range) return undefined;
    const end = source.lastIndexOf("]", v.range[1]);
    if (end < v.range[0]) return undefined;
    return [{ start: v.range[0], end: end + 1, insert: `[${[...(items as string[]), recipient].join(", ")}]` }];
  }
  if (pair && v && isScalar(v) && typeof v.value === "string" && v.range) {
    const rendered = renderScalar(source, v, [...split(v.value), recipient]);
    return rendered === undefined ? undefined : [{ start: v.range[0], end: v.range[1], insert: rendered }];
  }
  if ((!pair || v === null || v === undefined || (isScalar(v) && (v.value === null || v.value === ""))) && !map.flow && map.items.length > 0) {
    // No age key yet (or an empty one): a block list after the map's last entry.
    const first = map.items[0]!.key as Node;
    if (!first.range || !map.range) return undefined;
    const indent = source.slice(lineStart(source, first.range[0]), first.range[0]).replace(/[^ ]/g, " ");
    const entry = `${indent}age:\n${indent}    - ${recipient}${comment(name)}\n`;
    if (pair) {
      // `age:` present but empty: replace that line.
      const keyNode = pair.key as Node;
      if (!keyNode.range) return undefined;
      const ls = lineStart(source, keyNode.range[0]);
      const le = lineEnd(source, (pair.value as Node | null)?.range?.[1] ?? keyNode.range[1]);
      return [{ start: ls, end: Math.min(le + 1, source.length), insert: entry }];
    }
    const end = map.range[1];
    const at = source[end - 1] === "\n" ? end : lineEnd(source, end) + 1;
    if (at > source.length) return [{ start: source.length, end: source.length, insert: `\n${entry}` }];
    return [{ start: at, end: at, insert: entry }];
  }
  return undefined;
}

/** Splices for removing `recipient` from the `age` of one group map ([] when it is not there). */
function removeSplices(source: string, map: YAMLMap, recipient: string): Splice[] | undefined {
  const pair = pairOf(map, "age");
  const v = pair?.value as Node | null | undefined;
  if (!pair || !v) return [];
  if (isScalar(v)) {
    if (typeof v.value !== "string" || !split(v.value).includes(recipient) || !v.range) return [];
    const rendered = renderScalar(source, v, split(v.value).filter((r) => r !== recipient));
    return rendered === undefined ? undefined : [{ start: v.range[0], end: v.range[1], insert: rendered }];
  }
  if (!isSeq(v)) return undefined;
  const items = v.items as Node[];
  if (v.flow) {
    const values = items.map((i) => (isScalar(i) && typeof i.value === "string" ? i.value : undefined));
    if (values.some((x) => x === undefined) || !v.range) return undefined;
    const kept = (values as string[]).flatMap((x) => (split(x).includes(recipient) ? split(x).filter((r) => r !== recipient) : [x]));
    if (kept.length === values.length) return [];
    const end = source.lastIndexOf("]", v.range[1]);
    return [{ start: v.range[0], end: end + 1, insert: `[${kept.join(", ")}]` }];
  }
  const out: Splice[] = [];
  for (const item of items) {
    if (!isScalar(item) || typeof item.value !== "string" || !item.range) return undefined;
    const parts = split(item.value);
    if (!parts.includes(recipient)) continue;
    const rest = parts.filter((r) => r !== recipient);
    if (rest.length > 0) {
      const rendered = renderScalar(source, item, rest);
      if (rendered === undefined) return undefined;
      out.push({ start: item.range[0], end: item.range[1], insert: rendered });
      continue;
    }
    const ls = lineStart(source, item.range[0]);
    if (!/^\s*-\s+$/.test(source.slice(ls, item.range[0]))) return undefined;
    const le = lineEnd(source, item.range[1]);
    out.push({ start: ls, end: Math.min(le + 1, source.length), insert: "" });
  }
  if (out.length === items.length) {
    // Every item goes: write `age: []` rather than an `age:` that reads as null.
    const keyNode = pair.key as Node;
    const last = items[items.length - 1]!;
    if (!keyNode.range || !last.range) return undefined;
    return [{ start: keyNode.range[1], end: lineEnd(source, last.range[1]), insert: ": []" }];
  }
  return out;
}

function applySplices(source: string, splices: Splice[]): string {
  let out = source;
  for (const s of [...splices].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.insert + out.slice(s.end);
  return out;
}

function sameGroups(a: string[][][], b: string[][][]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Document-API fallback: edit the nodes and print the document (comments kept, layout may change). */
/**
 * The edited text: the splices when they give the expected recipients (the file's layout kept
 * byte for byte), else `rewrite()` (the document printed anew), checked the same way.
 */
function spliceOrRewrite(source: string, splices: Splice[] | undefined, expected: string[][][], rewrite: () => string, what: string): string {
  const spliced = splices ? applySplices(source, splices) : undefined;
  if (spliced !== undefined && safeEquals(spliced, expected)) return spliced;
  const text = rewrite();
  if (!safeEquals(text, expected)) throw new HushError("INTERNAL", `could not ${what} .sops.yaml safely; edit it by hand`);
  return text;
}

function viaDocument(source: string, edit: (doc: Document.Parsed, targets: Target[]) => void, targets: (doc: Document.Parsed) => Target[]): string {
  const doc = parse(source);
  edit(doc, targets(doc));
  return doc.toString({ lineWidth: 0 });
}

/**
 * Adds an age recipient to creation rules: to every rule that names keys (or only to `rules`, by
 * index), in the first key group when the rule has `key_groups`. `name` becomes a comment after
 * the recipient when it is written in a block list. Rules that already have it are left alone.
 */
export function addAgeRecipient(source: string, recipient: string, options: { name?: string; rules?: readonly number[] } = {}): RecipientEdit {
  const doc = parse(source);
  const rules = rulesOf(doc);
  for (const i of options.rules ?? []) {
    if (!Number.isInteger(i) || i < 0 || i >= rules.length) throw new HushError("USAGE", `.sops.yaml has no creation_rules[${i}]`);
  }
  const before = ageRecipientsByRule(source);
  const targets: Target[] = [];
  rules.forEach((rule, i) => {
    if (options.rules ? !options.rules.includes(i) : !hasKeys(rule)) return;
    if (before[i]!.some((g) => g.includes(recipient))) return;
    targets.push({ rule: i, map: groupsOf(rule, i)[0]! });
  });
  if (targets.length === 0) return { text: source, changed: [] };
  const expected = before.map((groups, i) => (targets.some((t) => t.rule === i) ? groups.map((g, j) => (j === 0 ? [...g, recipient] : g)) : groups));

  const splices: Splice[] = [];
  let ok = true;
  for (const t of targets) {
    const s = addSplices(source, t.map, recipient, options.name);
    if (!s) ok = false;
    else splices.push(...s);
  }
  const text = spliceOrRewrite(
    source,
    ok ? splices : undefined,
    expected,
    () =>
      viaDocument(
        source,
        (d, ts) => {
          for (const t of ts) {
            const cur = t.map.get("age", true) as Node | undefined;
            const node = d.createNode(recipient) as Scalar;
            if (options.name) node.comment = ` ${options.name}`;
            if (isSeq(cur)) cur.items.push(node);
            else if (isScalar(cur) && typeof cur.value === "string" && cur.value.trim() !== "") cur.value = [...split(cur.value), recipient].join(",");
            else {
              const seq = new YAMLSeq();
              seq.items.push(node);
              t.map.set("age", seq);
            }
          }
        },
        (d) => targets.map((t) => ({ rule: t.rule, map: groupsOf(rulesOf(d)[t.rule]!, t.rule)[0]! })),
      ),
    "add the recipient to",
  );
  return { text, changed: targets.map((t) => t.rule) };
}

/**
 * Removes an age recipient from every creation rule and key group (also from inside comma lists).
 * A list left empty is written as `age: []`.
 */
export function removeAgeRecipient(source: string, recipient: string): RecipientEdit {
  const doc = parse(source);
  const rules = rulesOf(doc);
  const before = ageRecipientsByRule(source);
  const changed = before.flatMap((groups, i) => (groups.some((g) => g.includes(recipient)) ? [i] : []));
  if (changed.length === 0) return { text: source, changed: [] };
  const expected = before.map((groups) => groups.map((g) => g.filter((r) => r !== recipient)));
  const splices: Splice[] = [];
  let ok = true;
  for (const i of changed) {
    for (const g of groupsOf(rules[i]!, i)) {
      const s = removeSplices(source, g, recipient);
      if (!s) ok = false;
      else splices.push(...s);
    }
  }
  const text = spliceOrRewrite(
    source,
    ok ? splices : undefined,
    expected,
    () =>
      viaDocument(
        source,
        (_d, ts) => {
          for (const t of ts) {
            const cur = t.map.get("age", true) as Node | undefined;
            if (isSeq(cur)) {
              cur.items = (cur.items as Node[]).flatMap((it) => {
                if (!isScalar(it) || typeof it.value !== "string") return [it];
                const parts = split(it.value);
                if (!parts.includes(recipient)) return [it];
                const rest = parts.filter((r) => r !== recipient);
                if (rest.length === 0) return [];
                it.value = rest.join(",");
                return [it];
              });
              cur.flow = cur.items.length === 0 ? true : cur.flow;
            } else if (isScalar(cur) && typeof cur.value === "string") {
              cur.value = split(cur.value)
                .filter((r) => r !== recipient)
                .join(",");
            }
          }
        },
        (d) => changed.flatMap((i) => groupsOf(rulesOf(d)[i]!, i).map((map) => ({ rule: i, map }))),
      ),
    "remove the recipient from",
  );
  return { text, changed };
}

function safeEquals(text: string, expected: string[][][]): boolean {
  try {
    return sameGroups(ageRecipientsByRule(text), expected);
  } catch {
    return false;
  }
}

/** The text of a new `.sops.yaml` for `hush init`. */
export function initialConfig(recipients: readonly { recipient: string; name?: string }[], pathRegex: string): string {
  const lines = recipients.map((r) => `      - ${r.recipient}${comment(r.name)}`);
  return [
    "# Who can decrypt which files (sops's format; hush and sops both read it).",
    "#   hush invite age1… --name NAME     add someone, and re-key every encrypted file for them",
    "#   hush revoke age1…                 remove someone everywhere and rotate the data keys",
    "creation_rules:",
    `  - path_regex: ${pathRegex}`,
    "    age:",
    ...lines,
    "",
  ].join("\n");
}
