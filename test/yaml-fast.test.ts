// The fast YAML reader (src/formats/yaml-fast.ts) against the yaml package's: whenever the fast
// one accepts a text, its tokens, and everything the walker makes of them (leaves, trees, the
// sops block, the text before and after rewriting every leaf and setting metadata), are exactly
// the package's; and texts outside its subset are declined, never misread.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { Composer, Parser } from "yaml";
import { describe, expect, it } from "vitest";
import { CstDocument } from "../src/formats/cst.js";
import { parseCst } from "../src/formats/cst-parse.js";
import { parseFastYaml } from "../src/formats/yaml-fast.js";
import { yamlDialect } from "../src/formats/yaml.js";
import { emitTrees } from "../src/formats/index.js";
import type { FormatDocument } from "../src/formats/format.js";
import type { TreeMap, TreeNode } from "../src/model/tree.js";
import type { PlainValue } from "../src/model/value.js";
import type { Metadata } from "../src/model/metadata.js";
import { metadataToNode } from "../src/core/metadata.js";
import { encryptText } from "../src/lib/files.js";
import { HushError } from "../src/errors.js";
import { BREAKS, document, FAKE_RECIPIENT } from "./support/arbitraries.js";
import { FIXTURES } from "./helpers.js";

const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 300);
const DATA_KEY = Buffer.alloc(32, 7);

const META: Metadata = {
  keyGroups: [[{ kind: "age", entry: { recipient: "age1x", enc: "-----BEGIN AGE ENCRYPTED FILE-----\nAA==\n-----END AGE ENCRYPTED FILE-----\n" } }]],
  shamirThreshold: 0,
  lastModified: "2024-01-01T00:00:00Z",
  mac: "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]",
  rules: { unencrypted_suffix: "_unencrypted" },
  macOnlyEncrypted: false,
  version: "3.13.2",
};

/** Without the fast reader's resolved values, for comparing tokens. */
function plainTokens(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === "resolved" ? undefined : v)));
}

/** What a document shows: leaves (without their setters), trees, the sops block, the text. */
function view(doc: FormatDocument): unknown {
  let raw: unknown;
  try {
    raw = doc.rawMetadata();
  } catch (e) {
    raw = { error: (e as Error).message };
  }
  return {
    leaves: doc.leaves().map(({ path, kind, value, altPaths, commentStack, inList }) => ({ path, kind, value, altPaths, commentStack, inList })),
    trees: doc.trees(),
    raw,
    text: doc.toString(),
    count: doc.documentCount,
  };
}

/** A new value for each leaf: strings of several shapes (multi-line ones become literal blocks). */
function replacement(v: PlainValue, i: number): PlainValue {
  if (v.type === "comment") return { type: "comment", text: `${v.text} new` };
  const pick = i % 5;
  if (pick === 0) return { type: "str", text: `ENC[AES256_GCM,data:${i},iv:x,tag:y,type:str]` };
  if (pick === 1) return { type: "str", text: `line ${i}\nline two\n` };
  if (pick === 2) return { type: "int", text: String(i) };
  if (pick === 3) return { type: "str", text: "" };
  return { type: "str", text: `it's: "${v.text}"` };
}

function runAll(make: () => FormatDocument): unknown {
  try {
    const doc = make();
    const before = view(doc);
    doc.leaves().forEach((l, i) => l.set(replacement(l.value, i)));
    const after = view(doc);
    doc.setMetadata(metadataToNode(META));
    const withMeta = doc.toString();
    doc.setMetadata(undefined);
    return { before, after, withMeta, without: doc.toString() };
  } catch (e) {
    return { error: e instanceof HushError ? e.message : String(e) };
  }
}

/** Checks the fast reader on `text`: declined, or the same as the package. Returns whether it accepted. */
function same(text: string, indent?: number): boolean {
  const fast = parseFastYaml(text);
  if (!fast) return false;
  // Accepted texts are valid YAML to the package: no Composer error (duplicate keys are the walker's).
  const tokens = [...new Parser().parse(text)];
  const errors = [...new Composer({ uniqueKeys: false }).compose(tokens)].flatMap((d) => d.errors.map((e) => e.code));
  expect(errors).toEqual([]);
  expect(plainTokens(fast.tokens)).toEqual(plainTokens(tokens));
  const viaFast = runAll(() => new CstDocument(text, yamlDialect, parseFastYaml(text)!, indent));
  const viaCst = runAll(() => new CstDocument(text, yamlDialect, parseCst(text, "yaml"), indent));
  expect(viaFast).toEqual(viaCst);
  return true;
}

// ---- generators -------------------------------------------------------------------------------

const word = fc.constantFrom("a", "b", "key", "sops", "x_unencrypted", "k-1", "a b", "ENC[x]", "é", "1", "true", "null", "~", "-x", "a:b", "a#b", "");
const plainValue = fc.constantFrom(
  "v",
  "hello world",
  "1",
  "0x1F",
  "1.50",
  "true",
  "False",
  "null",
  "~",
  "2024-01-01",
  "ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]",
  "a: b",
  "-1",
  "- x",
  "x #y",
  "x#y",
  "&a x",
  "*a",
  "!tag x",
  "[1, 2]",
  "{a: 1}",
  "'q'",
  "'it''s'",
  '"d\\tq"',
  '"\\x41\\u00e9"',
  '"bad\\q"',
  "'open",
  "@x",
  "%x",
  "|",
  "|-",
  "|+",
  ">",
  "yes",
  "99999999999999999999",
);
const comment = fc.constantFrom("# c", "#", "#ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]", "# a: b");
const indent = fc.constantFrom("", "", "  ", "    ", " ", "   ", "      ", "        ");

/** One line of configuration-like YAML, without its indentation, valid or not. */
const line: fc.Arbitrary<{ text: string; opens: boolean }> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(word, plainValue, fc.option(comment)).map(([k, v, c]) => ({ text: `${k}: ${v}${c ? ` ${c}` : ""}`, opens: false })) },
  { weight: 3, arbitrary: fc.tuple(word, fc.option(comment)).map(([k, c]) => ({ text: `${k}:${c ? ` ${c}` : ""}`, opens: true })) },
  { weight: 2, arbitrary: fc.tuple(plainValue, fc.option(comment)).map(([v, c]) => ({ text: `- ${v}${c ? ` ${c}` : ""}`, opens: false })) },
  { weight: 2, arbitrary: fc.tuple(word, plainValue).map(([k, v]) => ({ text: `- ${k}: ${v}`, opens: false })) },
  { weight: 1, arbitrary: fc.tuple(word).map(([k]) => ({ text: `- ${k}:`, opens: true })) },
  { weight: 3, arbitrary: comment.map((c) => ({ text: c, opens: false })) },
  { weight: 2, arbitrary: fc.constantFrom("", "", "  ", "-", "- -", "- - x").map((text) => ({ text, opens: false })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("---", "...", "\t", "a:\tb", "a: b\r", "? a", ": b", "a: !!str b", "%YAML 1.2", "a: [1]", "a: {}").map((text) => ({ text, opens: false })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(word, fc.constantFrom("|", "|-"), fc.array(fc.constantFrom("x", "", "  y", "#z", "- q"), { minLength: 1, maxLength: 3 }), fc.constantFrom(1, 2, 4))
      .map(([k, h, body, bi]) => ({ text: `${k}: ${h}\n${body.map((b) => (b === "" ? "" : `\u0000${" ".repeat(bi)}${b}`)).join("\n")}`, opens: false })),
  },
);

/** Lines at depths that mostly follow the structure (one step deeper after `key:`), at odd columns sometimes. */
const lineText = fc
  .tuple(fc.array(fc.tuple(line, fc.integer({ min: -3, max: 1 }), fc.nat(20)), { minLength: 1, maxLength: 14 }), fc.constantFrom(1, 2, 4), fc.boolean())
  .map(([ls, step, nl]) => {
    let depth = 0;
    let opened = false;
    const out: string[] = [];
    for (const [l, delta, odd] of ls) {
      depth = Math.max(0, Math.min(depth + delta, opened ? depth + 1 : depth));
      const ind = " ".repeat(depth * step + (odd === 0 ? 1 : odd === 1 ? step + 1 : 0));
      // Block scalar lines (marked \u0000) sit below their key's indentation.
      out.push(ind + l.text.replace(/\u0000/g, ind));
      opened = l.opens;
    }
    return out.join("\n") + (nl ? "\n" : "");
  });

/** Empty maps and lists (flow `{}`, `[]`, outside the subset) replaced by nulls, mostly. */
function fewerEmpty(n: TreeNode, keep: boolean): TreeNode {
  if (n instanceof Map) return n.size === 0 && !keep ? { value: null } : new Map([...n].map(([k, v]) => [k, fewerEmpty(v, keep)]));
  if (Array.isArray(n)) return n.length === 0 && !keep ? { value: null } : n.map((v) => fewerEmpty(v, keep));
  return n;
}

/** A document as sops writes it, with comments above some keys. */
const emitted = fc
  .tuple(
    fc.tuple(document.filter((t) => t.size > 0), fc.nat(9)).map(([t, n]) => fewerEmpty(t, n === 0) as TreeMap),
    fc.array(fc.tuple(fc.nat(), fc.string({ unit: "grapheme-ascii", maxLength: 12 }).filter((s) => !BREAKS.test(s)), fc.integer({ min: -2, max: 2 })), { maxLength: 6 }),
    fc.constantFrom(2, 4),
  )
  .map(([t, comments, step]) => {
    const lines = emitTrees("yaml", [t], step).split("\n");
    for (const [n, c, shift] of comments) {
      const target = n % lines.length;
      const ind = /^ */.exec(lines[target]!)![0].length;
      lines.splice(target, 0, `${" ".repeat(Math.max(0, ind + shift))}#${c}`);
    }
    return lines.join("\n");
  });

// ---- tests ------------------------------------------------------------------------------------

describe("the fast YAML reader", () => {
  it("reads random configuration-like lines as the yaml package does, or declines", () => {
    let accepted = 0;
    fc.assert(
      fc.property(lineText, (text) => {
        if (same(text)) accepted++;
      }),
      { numRuns: RUNS * 10 },
    );
    expect(accepted).toBeGreaterThan(RUNS / 2); // the subset is not empty in practice
  });

  it("reads sops-layout documents with comments as the yaml package does", () => {
    let accepted = 0;
    fc.assert(
      fc.property(emitted, fc.constantFrom(undefined, 2, 4), (text, ind) => {
        if (same(text, ind)) accepted++;
      }),
      { numRuns: RUNS * 3 },
    );
    expect(accepted).toBeGreaterThan(RUNS * 2);
  });

  it("reads encrypted documents as the yaml package does", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(emitted, async (text) => {
        let enc: string;
        try {
          enc = (await encryptText(text, { format: "yaml", groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY })).text;
        } catch {
          return;
        }
        if (same(enc)) accepted++;
      }),
      { numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(RUNS / 2);
  });

  it("reads every YAML fixture as the yaml package does, or declines it", () => {
    const files = readdirSync(FIXTURES).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    let accepted = 0;
    for (const f of files) if (same(readFileSync(join(FIXTURES, f), "utf8"))) accepted++;
    // sops ≥ 3.7 files (yaml.v3 layout) are in the subset.
    expect(accepted).toBeGreaterThan(files.length / 2);
  });

  it("accepts the common shapes", () => {
    for (const text of [
      "a: 1\n",
      "# head\n\na: 1 # inline\n  # indented\nb:\n    - c\n    -  d: e\n       f: g\n# foot\n",
      "a:\n  b: 1\n# c\nd: 2",
      "a:\n- x\n# c\nb: 1\n",
      "a: 'it''s' # c\nb: \"x\\ty\"\n",
      "a:\n  b:\n\n  # c\n\nd:\n",
      "sops:\n    age:\n        - recipient: age1x\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            AA==\n\n            -----END AGE ENCRYPTED FILE-----\n    version: 3.9.0\n",
      "a: |-\n  x\n\n  y\nb: 1\n",
      "a:\n  - - 1\n    - - 2\n      -\n  -\n",
    ]) {
      expect(same(text), JSON.stringify(text)).toBe(true);
    }
  });

  it("declines what is outside the subset", () => {
    const cases: Record<string, string> = {
      empty: "",
      "only comments": "# a\n\n",
      "document start": "---\na: 1\n",
      "document end": "a: 1\n...\n",
      "several documents": "a: 1\n---\nb: 2\n",
      directive: "%YAML 1.2\n---\na: 1\n",
      anchor: "a: &x 1\nb: *x\n",
      alias: "a: *x\n",
      tag: "a: !!str 1\n",
      "flow mapping": "a: {b: 1}\n",
      "flow sequence": "a: [1, 2]\n",
      "root flow mapping": "{a: 1}\n",
      "multi-line plain": "a: b\n  c\n",
      "multi-line quoted": 'a: "b\n  c"\n',
      "multi-line single-quoted": "a: 'b\n  c'\n",
      folded: "a: >\n  b\n",
      "keep chomping": "a: |+\n  b\n",
      "indentation indicator": "a: |2\n  b\n",
      "comment after block header": "a: | # c\n  b\n",
      "spaces-only line in a block": "a: |\n  b\n   \n  c\n",
      "block without final line break": "a: |\n  b",
      "spaces after a block at the end": "a: |\n x\n   ",
      tab: "a:\tb\n",
      "tab indentation": "a:\n\tb: 1\n",
      CR: "a: 1\r\n",
      BOM: "\ufeffa: 1\n",
      "explicit key": "? a\n: 1\n",
      "empty key": ": 1\n",
      "item value on the next line": "a:\n  -\n    b: 1\n",
      "value on the next line": "a:\n  b\n",
      "root sequence": "- a\n",
      "root scalar": "a\n",
      "indented root": "  a: 1\n",
      "odd indentation": "a:\n    b: 1\n  c: 2\n",
      "compact mapping on a key line": "a: b: c\n",
      "bad escape": 'a: "\\q"\n',
      "comment without space": 'a: "b"#c\n',
      "reserved indicator": "a: @b\n",
      "long key": `${"k".repeat(1100)}: 1\n`,
      "number in the sops block": "sops:\n    shamir_threshold: 0x1\n",
      "deep nesting": `${Array.from({ length: 300 }, (_, i) => `${" ".repeat(i)}k:`).join("\n")} 1\n`,
    };
    for (const [why, text] of Object.entries(cases)) expect(parseFastYaml(text), why).toBeNull();
  });
});
