// The `sops` block splice (src/lib/sops-block.ts) against the full path (parse the whole document,
// setMetadata, toString): on generated YAML documents — nested maps and lists at mixed indentation,
// comments, quoted and odd values, invalid shapes — the splice is either not taken, or gives the
// same metadata and the very same bytes.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { metadataOf } from "../src/core/document.js";
import { metadataToNode } from "../src/core/metadata.js";
import { yamlMetadataBlock } from "../src/formats/emit.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText, parseDocument } from "../src/lib/files.js";
import { openSopsBlock, spliceYaml } from "../src/lib/sops-block.js";
import type { Metadata, WrappedKey } from "../src/model/metadata.js";

let meta: Metadata;
let other: WrappedKey;
beforeAll(async () => {
  const [a, b] = await Promise.all([generateAgeKeyFile(), generateAgeKeyFile()]);
  const { text } = await encryptText("a: 1\n", { format: "yaml", groups: [[ageRecipient(a.recipient)]] });
  meta = metadataOf(parseDocument(text, "yaml"));
  const two = await encryptText("a: 1\n", { format: "yaml", groups: [[ageRecipient(b.recipient)]] });
  other = metadataOf(parseDocument(two.text, "yaml")).keyGroups[0]![0]!;
});

/** A PGP entry as sops writes it: its armour has a blank line inside the block scalar. */
const pgpEntry: WrappedKey = {
  kind: "pgp",
  entry: { created_at: "2024-01-01T00:00:00Z", enc: "-----BEGIN PGP MESSAGE-----\n\nwcBMA0Rv3/ZsZ3LQAQgAn1e2\n=AbCd\n-----END PGP MESSAGE-----\n", fp: "ABCDEF0123456789ABCDEF0123456789ABCDEF01" },
};

const keys = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", "db", "name", "x.y", "k_1", "with-dash", "a/b", "_u", "yes_no") },
  { weight: 1, arbitrary: fc.constantFrom("sops", "0", "True", "NULL", "n", "1e3") },
);
const good = fc.constantFrom(
  "ENC[AES256_GCM,data:qk3ea0w=,iv:9Nq2mCDkRHW6IQ1xXlyaj5G1t1GmzMNZWyMtKp+XLHU=,tag:kBzKyvhzHF4D/DaUMA6S1A==,type:str]",
  "plain",
  "42",
  "-5",
  "'single ''quoted'''",
  '"double"',
  "true",
  "a:b",
  "http://host/x",
  "x # comment",
);
const odd = fc.constantFrom(
  "-x",
  '"with \\n escape"',
  "~",
  "ends:",
  "|",
  "|-\n    block",
  "{a: 1}",
  "[1, 2]",
  "&anchor v",
  "*alias",
  "!!str tagged",
  "has # hash",
  "two words",
  "caf\u00e9",
  "@at",
);
const values = fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: odd });

type Line = { depth: number; text: string };

/** A block of lines at some indentation, as a tree generator flattens it. */
function entries(n: number): fc.Arbitrary<Line[]> {
  const nested: fc.Arbitrary<Line[]>[] = n > 1 ? [fc.tuple(keys, entries(n - 1)).map(([k, kids]) => [{ depth: 0, text: `${k}:` }, ...kids.map((l) => ({ depth: l.depth + 1, text: l.text }))])] : [];
  return fc
    .array(
      fc.oneof(
        { weight: 5, arbitrary: fc.tuple(keys, values).map(([k, v]) => [{ depth: 0, text: `${k}: ${v}` }]) },
        ...nested.map((arbitrary) => ({ weight: 2, arbitrary })),
        {
          weight: 1,
          arbitrary: fc.tuple(keys, fc.array(values, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([k, vs, indentless]) => [
            { depth: 0, text: `${k}:` },
            ...vs.map((v) => ({ depth: indentless ? 0 : 1, text: `- ${v}` })),
          ]),
        },
        {
          // A list of maps: `- k: v` then the item's other keys under the first one.
          weight: 1,
          arbitrary: fc
            .tuple(keys, fc.array(fc.tuple(keys, values, fc.array(fc.tuple(keys, values), { maxLength: 2 }), fc.constantFrom(1, 2, 3)), { minLength: 1, maxLength: 3 }), fc.boolean())
            .map(([k, items, indentless]) => [
              { depth: 0, text: `${k}:` },
              ...items.flatMap(([k1, v1, more, gap]) => [
                { depth: indentless ? 0 : 1, text: `-${" ".repeat(gap)}${k1}: ${v1}` },
                ...more.map(([k2, v2]) => ({ depth: indentless ? 0 : 1, text: `${" ".repeat(gap + 1)}${k2}: ${v2}` })),
              ]),
            ]),
        },
        { weight: 1, arbitrary: fc.constantFrom("# a comment", "", "#", "- stray", "key without colon", "\tkey: tab", "---").map((t) => [{ depth: 0, text: t }]) },
        { weight: 1, arbitrary: keys.map((k) => [{ depth: 0, text: `${k}:` }]) },
      ),
      { maxLength: 5 },
    )
    .map((xs) => xs.flat());
}

const doc = fc.record({
  lines: entries(3),
  step: fc.constantFrom(1, 2, 3, 4, 6),
  jitter: fc.array(fc.constantFrom(0, 0, 0, 0, 0, 1, -1), { maxLength: 40 }),
  blockStep: fc.constantFrom(2, 4),
  pgp: fc.boolean(),
  tail: fc.constantFrom("", "", "", "", "", "\n", "# trailing\n", "other: 1\n", "  # indented\n"),
  crlf: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

describe("the sops block splice", () => {
  it("gives the full path's metadata and bytes whenever it is taken", () => {
    let taken = 0;
    let fullOk = 0;
    let runs = 0;
    fc.assert(
      fc.property(doc, (d) => {
        runs++;
        const head = d.lines.map((l, i) => `${" ".repeat(Math.max(0, l.depth * d.step + (d.jitter[i] ?? 0) * (l.depth > 0 ? 1 : 0)))}${l.text}\n`).join("");
        const m: Metadata = d.pgp ? { ...meta, keyGroups: [[...meta.keyGroups[0]!, pgpEntry]] } : meta;
        let text = head + yamlMetadataBlock(metadataToNode(m), d.blockStep) + d.tail;
        if (d.crlf) text = text.replace(/\n/g, "\r\n");
        const next = metadataToNode({ ...m, keyGroups: [[...m.keyGroups[0]!, other]] });

        let full: { metadata: Metadata; text: string } | { error: string };
        try {
          const p = parseDocument(text, "yaml");
          const metadata = metadataOf(p);
          p.setMetadata(next);
          full = { metadata, text: p.toString() };
        } catch (e) {
          full = { error: String(e) };
        }
        if (!("error" in full)) fullOk++;
        const splice = spliceYaml(text);
        if (splice) {
          taken++;
          expect(full).not.toHaveProperty("error");
          const f = full as { metadata: Metadata; text: string };
          expect(splice.metadata).toEqual(f.metadata);
          expect(splice.withMetadata(next)).toBe(f.text);
        }
        // The public entry behaves as the full path in every case, errors included.
        let open: { metadata: Metadata; text: string } | { error: string };
        try {
          const o = openSopsBlock(text, "yaml");
          open = { metadata: o.metadata, text: o.withMetadata(next) };
        } catch (e) {
          open = { error: String(e) };
        }
        expect(open).toEqual(full);
      }),
      { numRuns: 600 },
    );
    // The generator is not so wild that the splice is rarely taken (about 40% of the valid documents).
    expect(taken).toBeGreaterThan(fullOk / 4);
  });

  it("splices what hush and sops write, and leaves other formats to the full path", async () => {
    const { text } = await encryptText("a: 1\nnested:\n  b: two\n  list:\n    - x\n", { format: "yaml", groups: [[ageRecipient((await generateAgeKeyFile()).recipient)]] });
    expect(spliceYaml(text)).toBeDefined();
    // Lists of maps (a map nested in an item is measured against the item's map).
    const items = await encryptText("users:\n- name: a\n  roles:\n     admin: true\n- name: b\n", { format: "yaml", groups: [[ageRecipient((await generateAgeKeyFile()).recipient)]] });
    const s = spliceYaml(items.text);
    expect(s).toBeDefined();
    const full = parseDocument(items.text, "yaml");
    const block = metadataToNode({ ...s!.metadata, keyGroups: [[...s!.metadata.keyGroups[0]!, other]] });
    full.setMetadata(block);
    expect(s!.withMetadata(block)).toBe(full.toString());
    expect(s!.withMetadata(block)).toContain("\nsops:\n   ");
    const json = await encryptText('{"a": 1}', { format: "json", groups: [[ageRecipient((await generateAgeKeyFile()).recipient)]] });
    const o = openSopsBlock(json.text, "json");
    const p = parseDocument(json.text, "json");
    p.setMetadata(metadataToNode(o.metadata));
    expect(o.withMetadata(metadataToNode(o.metadata))).toBe(p.toString());
  });
});
