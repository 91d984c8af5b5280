// Layout fidelity (issue 16): block scalars keep their style and indentation, CRLF files stay
// CRLF, a top-level flow mapping gets its sops block in block style (Flux's marker `mac: ENC[`),
// and a file without `sops.version` decrypts as sops's library decrypts it.
import fc from "fast-check";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as yamlParse } from "yaml";
import { yamlFormat } from "../src/formats/yaml.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { DATA_KEY, ENCRYPT_OPTS } from "./formats-shared.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";

const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);

async function roundTrip(text: string): Promise<{ enc: string; dec: string }> {
  const enc = await encryptText(text, { format: "yaml", ...ENCRYPT_OPTS });
  const dec = await decryptText(enc.text, { format: "yaml", dataKey: DATA_KEY });
  return { enc: enc.text, dec: dec.text };
}

/** A literal block's lines: printable, no space at either end (yaml.v3 writes such a value as `|`). */
const lineArb = fc.stringMatching(/^[A-Za-z0-9#:,.'"!?&*-](?:[A-Za-z0-9 #:,.'"!?&*-]{0,20}[A-Za-z0-9#:,.'"!?&*-])?$/);

/** A literal block scalar as written in a file indented by `step`, and the value it holds. */
const literalArb = fc
  .tuple(fc.array(fc.oneof({ weight: 4, arbitrary: lineArb }, { weight: 1, arbitrary: fc.constant("") }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 3 }))
  .filter(([lines]) => lines[0] !== "" && lines[lines.length - 1] !== "")
  .map(([lines, trailing]) => ({ lines, trailing, chomp: trailing === 1 ? "" : trailing === 0 ? "-" : "+" }));

function literalBlock(b: { lines: string[]; trailing: number; chomp: string }, col: number): string {
  const pad = " ".repeat(col);
  return `|${b.chomp}\n${b.lines.map((l) => (l === "" ? "" : pad + l)).join("\n")}\n${"\n".repeat(b.trailing - 1)}`;
}

describe("block scalars", () => {
  it("a literal block of any content comes back byte for byte through encrypt → decrypt, in 2- and 4-space files (property)", async () => {
    await fc.assert(
      fc.asyncProperty(literalArb, literalArb, fc.constantFrom(2, 4), fc.boolean(), async (a, b, step, nested) => {
        const pad = " ".repeat(step);
        const text = nested
          ? `top:\n${pad}a: ${literalBlock(a, 2 * step)}${pad}b: x\nc: ${literalBlock(b, step)}`
          : `a: ${literalBlock(a, step)}b: x\nc: ${literalBlock(b, step)}`;
        const { dec } = await roundTrip(text);
        expect(dec).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("strip, keep and indentation indicators come back as written", async () => {
    for (const text of [
      "a: |-\n  literal\n  strip\nb: x\n",
      "a: |+\n  keep\n\nb: x\n",
      "a: |2\n    indented\n  x\nb: z\n",
      "list:\n  - one\nblock: |\n  x\n  y\n",
    ]) {
      expect((await roundTrip(text)).dec).toBe(text);
    }
  });

  it("a block scalar set to a new value keeps its style, chomping as the value needs, at its column", () => {
    const text = "f: >\n  folded text\n  more\ns: |-\n  strip\nk: |+\n  keep\n\nn:\n      deep: |\n        x\n";
    const set = (path: string[], value: string): string => {
      const doc = yamlFormat.parse(text);
      doc.leaves().find((l) => l.kind === "value" && l.path.join(".") === path.join("."))!.set({ type: "str", text: value });
      return doc.toString();
    };
    expect(set(["f"], "one\ntwo three\n")).toBe("f: >\n  one\n\n  two three\ns: |-\n  strip\nk: |+\n  keep\n\nn:\n      deep: |\n        x\n");
    expect(set(["s"], "single line")).toContain("s: |-\n  single line\nk:");
    expect(set(["k"], "a\n\n\n")).toContain("k: |+\n  a\n\n\nn:");
    expect(set(["n", "deep"], " leading\nx")).toContain("deep: |2-\n         leading\n        x\n");
    // An ENC[...] value is a plain scalar, as sops writes it.
    expect(set(["f"], "ENC[AES256_GCM,data:AA==,iv:AA==,tag:AA==,type:str]")).toMatch(/^f: ENC\[AES256_GCM,[^\n]*\]\ns:/);
  });

  it("whatever the new value, the kept style reads back as that value (property)", () => {
    const valueArb = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.array(fc.oneof(lineArb, fc.constant(""), fc.constant(" indented"), fc.constant("\ttab")), { maxLength: 5 }).map((ls) => ls.join("\n")),
      fc.tuple(lineArb, fc.integer({ min: 0, max: 3 })).map(([l, n]) => l + "\n".repeat(n)),
    );
    fc.assert(
      fc.property(fc.constantFrom(">", ">-", "|", "|-", "|+"), fc.constantFrom(2, 4), valueArb, (header, step, value) => {
        const text = `a: ${header}\n${" ".repeat(step)}old\nb: x\n`;
        const doc = yamlFormat.parse(text);
        doc.leaves()[0]!.set({ type: "str", text: value });
        const out = doc.toString();
        expect(yamlParse(out)).toEqual({ a: value, b: "x" });
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it("`hush set` on a value left in clear keeps its folded style (the CLI)", async () => {
    await withTempDir(async (dir) => {
      const key = await generateAgeKeyFile();
      writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") });
      const plain = "secret: s3cr3t\nnote_unencrypted: >\n  a folded\n  note\n";
      writeFileSync(join(dir, "app.yaml"), plain);
      const e = runHush(["encrypt", "--age", key.recipient, "-o", join(dir, "app.enc.yaml"), join(dir, "app.yaml")], { env });
      expect(e.stderr).toBe("");
      expect(readFileSync(join(dir, "app.enc.yaml"), "utf8")).toContain("note_unencrypted: >\n  a folded\n  note\nsops:\n  age:");
      const s = runHush(["set", join(dir, "app.enc.yaml"), '["note_unencrypted"]', JSON.stringify("new\nnote\n")], { env });
      expect(s.stderr).toBe("");
      expect(s.status).toBe(0);
      expect(readFileSync(join(dir, "app.enc.yaml"), "utf8")).toContain("note_unencrypted: >\n  new\n\n  note\nsops:\n  age:");
      const d = runHush(["decrypt", join(dir, "app.enc.yaml")], { env });
      expect(d.stdout).toBe("secret: s3cr3t\nnote_unencrypted: >\n  new\n\n  note\n");
    });
  });
});

describe("CRLF files", () => {
  const text = "# c\r\ndb:\r\n  user: app\r\n  pass: |\r\n    two\r\n    lines\r\nlist:\r\n  - x\r\n";

  it("stay CRLF through encrypt (values and the sops block) and decrypt, byte for byte", async () => {
    const { enc, dec } = await roundTrip(text);
    expect(enc).not.toMatch(/(^|[^\r])\n/);
    expect(enc).toMatch(/\r\nsops:\r\n {2}age:\r\n/);
    expect(dec).toBe(text);
  });

  it("stay CRLF when a value is set (a new block scalar included)", () => {
    const doc = yamlFormat.parse(text);
    doc.leaves().find((l) => l.path.join(".") === "db.user")!.set({ type: "str", text: "now\ntwo lines" });
    const out = doc.toString();
    expect(out).not.toMatch(/(^|[^\r])\n/);
    expect(yamlParse(out)).toEqual({ db: { user: "now\ntwo lines", pass: "two\nlines\n" }, list: ["x"] });
  });

  it("stay CRLF in JSON and INI too; dotenv comes back CRLF, as sops's store reads it", async () => {
    for (const [format, plain] of [
      ["json", '{\r\n  "a": "x\\ny",\r\n  "b": 1\r\n}\r\n'],
      ["ini", "; c\r\n[s]\r\na = 1\r\nb = two\r\n"],
      ["dotenv", "#c\r\nA=1\r\nB=two\r\n"],
    ] as const) {
      const enc = await encryptText(plain, { format, ...ENCRYPT_OPTS });
      // sops's dotenv keeps each \r inside the (encrypted) value, so its encrypted lines end in \n.
      if (format !== "dotenv") expect(enc.text, format).not.toMatch(/(^|[^\r])\n/);
      expect((await decryptText(enc.text, { format, dataKey: DATA_KEY })).text, format).toBe(plain);
    }
  });

  it("a file with mixed line ends is left as it is", async () => {
    const mixed = "a: 1\r\nb: 2\n";
    expect((await roundTrip(mixed)).dec).toBe(mixed);
  });
});

describe("a top-level flow mapping", () => {
  it("is encrypted in block style with the sops block as sops writes it, which Flux recognises", async () => {
    const { enc, dec } = await roundTrip("{a: b, 'c': [1, 2], d: {e: f}} # end\n");
    // kustomize-controller internal/decryptor: sopsFormatToMarkerBytes[formats.Yaml] = "mac: ENC[".
    expect(enc).toContain("\n    mac: ENC[");
    // Nested flow collections stay flow (their ENC values quoted, as flow context needs).
    expect(enc).toMatch(/^a: ENC\[AES256_GCM,[^\n]*type:str\]\n'c': \['ENC\[[^\n]*\]\nd: \{e: 'ENC\[[^\n]*\}\n#ENC\[[^\n]*type:comment\]\nsops:\n {4}age:\n/);
    expect(yamlParse(dec)).toEqual({ a: "b", c: [1, 2], d: { e: "f" } });
  });

  it("an empty one stays `{}`", async () => {
    expect((await roundTrip("{}\n")).dec).toBe("{}\n");
  });
});

describe("a file without sops.version", () => {
  it("decrypts, as sops's library does (only the CLI's KMS-context bug check reads the version)", async () => {
    const { enc } = await roundTrip("a: secret\n");
    const noVersion = enc.replace(/^ {4}version: .*\n/m, "");
    expect(noVersion).not.toContain("version:");
    const dec = await decryptText(noVersion, { format: "yaml", dataKey: DATA_KEY });
    expect(dec.text).toBe("a: secret\n");
  });

  it("a version that is not one is still refused", async () => {
    const { enc } = await roundTrip("a: secret\n");
    await expect(decryptText(enc.replace(/version: .*/, "version: banana"), { format: "yaml", dataKey: DATA_KEY })).rejects.toThrow(/not a semantic version/);
  });
});
