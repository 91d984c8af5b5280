// Property tests (fast-check): arbitrary documents round-trip exactly through encrypt → decrypt in
// both formats, comments and key order survive, and every value is really encrypted.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emitTrees } from "../src/formats/index.js";
import type { TreeNode } from "../src/model/tree.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { BREAKS, document, FAKE_RECIPIENT } from "./support/arbitraries.js";

const DATA_KEY = Buffer.alloc(32, 7);
const ENCRYPT = { groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY } as const;
const topLevel = document;

/** Every scalar's plaintext, for checking none shows in the encrypted text. */
function strings(n: TreeNode, out: string[] = []): string[] {
  if (n instanceof Map) for (const v of n.values()) strings(v, out);
  else if (Array.isArray(n)) for (const v of n) strings(v, out);
  else if (n.value && n.value.text.length >= 8) out.push(n.value.text);
  return out;
}

describe("encrypt → decrypt is the identity", () => {
  for (const format of ["yaml", "json"] as const) {
    it(`for arbitrary ${format} documents`, async () => {
      await fc.assert(
        fc.asyncProperty(topLevel, async (t) => {
          const text = emitTrees(format, [t]);
          const enc = await encryptText(text, { format, ...ENCRYPT });
          for (const s of strings(t)) expect(enc.text.includes(JSON.stringify(s).slice(1, -1)) && /[a-z]{8}/i.test(s)).toBe(false);
          const dec = await decryptText(enc.text, { format, dataKey: DATA_KEY });
          expect(dec.text).toBe(text);
        }),
        { numRuns: Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150) },
      );
    });
  }
});

describe("comments and key order survive", () => {
  it("for YAML with comments above any key", async () => {
    const commentText = fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 }).filter((s) => !BREAKS.test(s));
    await fc.assert(
      fc.asyncProperty(topLevel, fc.array(fc.tuple(fc.nat(), commentText), { maxLength: 6 }), async (t, comments) => {
        let text = emitTrees("yaml", [t]);
        // Put comments above key lines (outside block scalars, lists and flow collections).
        const lines = text.split("\n");
        const keyLines = lines
          .map((l, i) => ({ l, i }))
          .filter(({ l }) => /^( *)[^ \-#'"|][^:]*: /.test(l) || /^( *)[^ \-#'"|][^:]*:$/.test(l));
        for (const [n, c] of comments) {
          if (keyLines.length === 0) break;
          const target = keyLines[n % keyLines.length]!;
          const indent = /^ */.exec(target.l)![0];
          lines[target.i] = `${indent}#${c}\n${lines[target.i]}`;
        }
        text = lines.join("\n");
        const enc = await encryptText(text, { format: "yaml", ...ENCRYPT });
        const dec = await decryptText(enc.text, { format: "yaml", dataKey: DATA_KEY });
        expect(dec.text).toBe(text);
      }),
      { numRuns: Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150) },
    );
  });

  it("keeps inline, head and foot comments and the order of keys", async () => {
    const text = `# head of file
zeta: 1 # inline on zeta
alpha:
    # head of nested
    b: two
    a: one
    # foot of alpha
middle: [1, 2, three]
list:
    - x # inline in list
    # inside the list
    - why
# foot of file
`;
    const enc = await encryptText(text, { format: "yaml", ...ENCRYPT });
    expect(enc.text).not.toMatch(/head of|inline on|foot of/);
    expect(enc.text).toContain("# inside the list"); // list comments stay clear (SOPS-FORMAT §14-Q8)
    expect(enc.text.split("\n").slice(0, 4).map((l) => l.replace(/ENC\[[^\]]*\]/g, "E"))).toEqual([
      "#E",
      "zeta: E #E",
      "alpha:",
      "    #E",
    ]);
    const dec = await decryptText(enc.text, { format: "yaml", dataKey: DATA_KEY });
    expect(dec.text).toBe(text);
  });

  it("keeps anchors, multi-line strings and several documents", async () => {
    const text = `base: &name shared
copy: *name
text: |
    first line
    second line
folded: >
    folded
    text
---
second: document
`;
    const enc = await encryptText(text, { format: "yaml", ...ENCRYPT });
    expect(enc.text.match(/^sops:$/gm)).toHaveLength(2); // each document carries the metadata
    expect(enc.text).toContain("base: &name ENC[");
    const dec = await decryptText(enc.text, { format: "yaml", dataKey: DATA_KEY });
    expect(dec.text).toBe(text.replace("copy: *name", "copy: shared").replace("folded: >\n    folded\n    text\n", "folded: |\n    folded text\n"));
  });
});
