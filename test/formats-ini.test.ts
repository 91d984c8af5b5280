// INI (SOPS-FORMAT §10.5): sops's fixtures decrypt and re-encrypt byte for byte, both newline forms
// of the [sops] section are read (§14-Q17), values, paths and comments follow ini.v1 and sops's
// tree, untouched bytes are kept, and arbitrary files round-trip.
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import { emitTrees } from "../src/formats/index.js";
import { iniFormat, iniValue } from "../src/formats/ini.js";
import type { TreeMap } from "../src/model/tree.js";
import { decryptText, encryptText, IV_SOURCE } from "../src/lib/files.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, fixture, ivsOf, manifestKeys, runHush, withTempDir } from "./helpers.js";
import { DATA_KEY, ENCRYPT_OPTS, fixturePairs, metadataOfText, NASTY_VALUES, open } from "./formats-shared.js";

const KEYS = manifestKeys();
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);

function leaves(text: string): { path: string; kind: string; value: string }[] {
  return iniFormat.parse(text).leaves().map((l) => ({ path: l.path.join("/"), kind: l.kind, value: l.value.text }));
}

describe("sops INI fixtures", () => {
  const pairs = fixturePairs("ini");
  it("finds them", () => expect(pairs.length).toBeGreaterThanOrEqual(2));
  for (const { enc, expected } of pairs) {
    it(`${enc} decrypts to ${expected}`, async () => {
      const { text } = await decryptText(fixture(enc), { format: "ini", dataKey: KEYS.get(enc)!.dataKey });
      expect(text).toBe(fixture(expected));
    });
  }

  it("pgp-ini-v3.13.2-format re-encrypts byte for byte (writer profile)", async () => {
    const file = "pgp-ini-v3.13.2-format.enc.ini";
    const sopsText = fixture(file);
    const meta = metadataOfText(sopsText, "ini");
    const ivs = ivsOf(sopsText);
    let i = 0;
    const { text } = await encryptText(fixture("pgp-ini-v3.13.2-format.expected.ini"), {
      format: "ini",
      groups: [],
      dataKey: KEYS.get(file)!.dataKey,
      [IV_SOURCE]: () => ivs[i++]!,
      now: new Date(meta.lastModified),
      wrappedKeys: meta.keyGroups,
      version: meta.version,
    });
    expect(text).toBe(sopsText);
    expect(i).toBe(ivs.length);
  });

  it("reads the 3.13.0/3.13.1 form of [sops] (real newlines in \"\"\" values)", async () => {
    const file = "pgp-ini-v3.13.2-format.enc.ini";
    const escaped = fixture(file);
    const multiline = escaped.replace(/^(pgp__list_0__map_enc *= )(.*)$/m, (_, head: string, v: string) => `${head}"""${v.replace(/\\n/g, "\n")}"""`);
    expect(multiline).not.toBe(escaped);
    expect(metadataOfText(multiline, "ini")).toEqual(metadataOfText(escaped, "ini"));
    const { text } = await decryptText(multiline, { format: "ini", dataKey: KEYS.get(file)!.dataKey });
    expect(text).toBe(fixture("pgp-ini-v3.13.2-format.expected.ini"));
  });

  it("reads the 3.5.0 example's section comment with the path of its section", () => {
    const l = leaves(fixture("pgp-ini-v3.5.0-example.enc.ini"));
    expect(l[0]).toMatchObject({ path: "name", kind: "comment" });
    expect(open(l[0]!.value, ["name"], KEYS.get("pgp-ini-v3.5.0-example.enc.ini")!.dataKey)).toBe("An example file for use with sops!");
    expect(l.filter((x) => x.kind === "value").map((x) => x.path)).toContain("not private/notsecret_unencrypted");
  });
});

describe("reading as ini.v1 and sops do", () => {
  it("puts keys before any header in DEFAULT and comments after their keys", () => {
    const text = [
      "top = 1",
      "; about [s]",
      "[s]",
      "# about a",
      "a = x ; inline",
      "b: \"quoted\"",
      "c = `back;tick` ignored",
      'd = """multi',
      'line""" # after',
      "e = cont\\",
      "  inued",
      "f = 'single'",
      "[with space]",
      "g =",
      "; dangling",
      "",
    ].join("\n");
    expect(leaves(text)).toEqual([
      { path: "DEFAULT/top", kind: "value", value: "1" },
      { path: "s", kind: "comment", value: "about [s]" },
      { path: "s/a", kind: "value", value: "x" },
      { path: "s", kind: "comment", value: "about a\n; inline" },
      { path: "s/b", kind: "value", value: "quoted" },
      { path: "s/c", kind: "value", value: "back;tick" },
      { path: "s/d", kind: "value", value: "multi\nline" },
      { path: "s", kind: "comment", value: "after" },
      { path: "s/e", kind: "value", value: "continued" },
      { path: "s/f", kind: "value", value: "single" },
      { path: "with space/g", kind: "value", value: "" },
      { path: "with space", kind: "comment", value: "dangling" },
    ]);
    const tree = iniFormat.parse(text).trees()[0]!;
    expect([...tree.keys()]).toEqual(["DEFAULT", "s", "with space"]);
    expect(iniFormat.parse("[x]\na = 1\n").trees()[0]!.get("DEFAULT")).toEqual(new Map());
  });

  it("an explicit [DEFAULT] header takes the place of the empty implicit one", async () => {
    const text = "[DEFAULT]\nk = v\n[s]\na = 1\n";
    expect([...iniFormat.parse(text).trees()[0]!.entries()].map(([n, m]) => [n, (m as TreeMap).size])).toEqual([
      ["DEFAULT", 1],
      ["s", 1],
    ]);
    const enc = await encryptText(text, { format: "ini", ...ENCRYPT_OPTS });
    expect((await decryptText(enc.text, { format: "ini", dataKey: DATA_KEY })).text).toBe(text);
    expect((await decryptText(enc.text, { format: "ini", outputFormat: "json", dataKey: DATA_KEY })).text).toBe(
      '{\n\t"DEFAULT": {\n\t\t"k": "v"\n\t},\n\t"s": {\n\t\t"a": "1"\n\t}\n}\n',
    );
  });

  it("gives comments sops's place on the comment stack (a key's comment affects the next key)", async () => {
    const text = "[s]\na = 1\n; noenc\nb = 2\nc = 3\n";
    const { text: enc } = await encryptText(text, { format: "ini", ...ENCRYPT_OPTS, rules: { unencrypted_comment_regex: "noenc" } });
    // sops's tree is [a, b, #noenc, c]: the comment stays clear and so does c, not b.
    expect(enc).toMatch(/^\[s\]\na = ENC\[[^\n]*\n; noenc\nb = ENC\[[^\n]*\nc = 3\n\n\[sops\]\n/);
    expect((await decryptText(enc, { format: "ini", dataKey: DATA_KEY })).text).toBe(text);
  });

  it("keeps every byte when nothing changes, and only the value's bytes when one is set", () => {
    const text = "\ufeff; c\r\n[s]\r\n  key   =   value   ; why\r\n\r\nother=x\r\n";
    expect(iniFormat.parse(text).toString()).toBe(text);
    const doc = iniFormat.parse(text);
    doc.leaves().find((l) => l.path[1] === "key")!.set({ type: "str", text: "a;b" });
    expect(doc.toString()).toBe("\ufeff; c\r\n[s]\r\n  key   =   `a;b`   ; why\r\n\r\nother=x\r\n");
  });

  it("keeps `#` comments as `#` and moves inline comments above their key", async () => {
    const text = "# header\n[s]\n# one\n# two\nk = v # inline\n";
    const enc = await encryptText(text, { format: "ini", ...ENCRYPT_OPTS });
    expect(enc.text).toMatch(/^# ENC\[[^\n]*\n\[s\]\n# ENC\[[^\n]*\nk = ENC\[[^\n]*\]\n\n\[sops\]/);
    const dec = await decryptText(enc.text, { format: "ini", dataKey: DATA_KEY });
    expect(dec.text).toBe("# header\n[s]\n# one\n# two\n# inline\nk = v\n");
  });
});

/** Sections of string values, as a tree (sops's INI model). */
const nameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_. -]{0,8}[A-Za-z0-9_]$/).filter((n) => n !== "sops" && n !== "DEFAULT");
const valueArb = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 10 }), fc.constantFrom(...NASTY_VALUES));
const writable = (v: string) => {
  try {
    iniValue(v);
    return true;
  } catch {
    return false;
  }
};
const sectionArb = fc.uniqueArray(fc.tuple(nameArb, valueArb.filter(writable)), { selector: ([k]) => k, maxLength: 6 });
const treeArb = fc
  .tuple(sectionArb, fc.uniqueArray(fc.tuple(nameArb, sectionArb), { selector: ([n]) => n, maxLength: 4 }))
  .map(([defaults, sections]) => {
    const tree: TreeMap = new Map();
    tree.set("DEFAULT", new Map(defaults.map(([k, v]) => [k, { value: { type: "str" as const, text: v } }])));
    for (const [name, keys] of sections) tree.set(name, new Map(keys.map(([k, v]) => [k, { value: { type: "str" as const, text: v } }])));
    return tree;
  });

describe("round trips", () => {
  it("encrypt → decrypt is the identity for files in ini.v1's format (property)", async () => {
    await fc.assert(
      fc.asyncProperty(treeArb, fc.boolean(), async (tree, clear) => {
        const text = emitTrees("ini", [tree]);
        expect(iniFormat.parse(text).trees()[0]).toEqual(tree);
        const rules = clear ? { unencrypted_regex: "^[a-m]" } : undefined;
        const enc = await encryptText(text, { format: "ini", ...ENCRYPT_OPTS, ...(rules ? { rules } : {}) });
        const dec = await decryptText(enc.text, { format: "ini", dataKey: DATA_KEY });
        expect(dec.text).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("comments above sections and keys, and at the end, survive encrypt → decrypt (property)", async () => {
    const commentArb = fc.stringMatching(/^[A-Za-z0-9][^\r\n]{0,15}$/).map((c) => c.trimEnd());
    await fc.assert(
      fc.asyncProperty(treeArb, fc.infiniteStream(fc.option(fc.array(commentArb, { minLength: 1, maxLength: 2 }), { nil: undefined })), async (tree, comments) => {
        const lines = emitTrees("ini", [tree]).split("\n");
        const out: string[] = [];
        for (const line of lines.slice(0, -1)) {
          // Comments go above headers and key lines (not inside a multi-line value).
          const c = /^(\[|[A-Za-z_`])/.test(line) ? comments.next().value : undefined;
          for (const t of c ?? []) out.push(`; ${t}`);
          out.push(line);
        }
        const text = `${out.join("\n")}\n; the end\n`;
        const enc = await encryptText(text, { format: "ini", ...ENCRYPT_OPTS });
        expect(enc.text.match(/^[;#].*$/gm)?.every((l) => l.startsWith("; ENC[") || l === ";")).toBe(true);
        const dec = await decryptText(enc.text, { format: "ini", dataKey: DATA_KEY });
        expect(dec.text).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("every value is written so that ini.v1 reads it back (property)", () => {
    fc.assert(
      fc.property(valueArb.filter(writable), (v) => {
        expect(iniFormat.parse(`[s]\nk = ${iniValue(v)}\n`).trees()[0]!.get("s")).toEqual(new Map([["k", { value: { type: "str", text: v } }]]));
      }),
      { numRuns: RUNS * 4 },
    );
    expect(iniValue("plain")).toBe("plain");
    expect(iniValue("a#b")).toBe("`a#b`");
    expect(iniValue(" pad ")).toBe('" pad "');
    expect(iniValue("two\nlines")).toBe('"""two\nlines"""');
  });

  it("converts YAML to INI in ini.v1's pretty format", async () => {
    const yaml = "s:\n    short: 1\n    longer_key: a;b\n    f: 3.0\nDEFAULT:\n    top: yes\nempty: {}\n";
    const { text } = await encryptText(yaml, { format: "yaml", outputFormat: "ini", ...ENCRYPT_OPTS });
    const { text: plain } = await decryptText(text, { format: "ini", dataKey: DATA_KEY });
    expect(plain).toBe("top = yes\n\n[s]\nshort      = 1\nlonger_key = `a;b`\nf          = 3.0\n\n[empty]\n");
    for (const bad of ["a: 1\n", "a:\n    b:\n        c: 1\n"]) {
      const err = await encryptText(bad, { format: "yaml", outputFormat: "ini", ...ENCRYPT_OPTS }).catch((e: unknown) => e);
      expect(isHushError(err, "CANNOT_DUMP_TREE")).toBe(true);
    }
  });
});

describe("malformed input", () => {
  const cases: [string, string][] = [
    ["unclosed header", "[hunter2\n"],
    ["no delimiter", "[s]\nhunter2\n"],
    ["duplicate key", "[s]\nk = 1\nk = hunter2\n"],
    ["unclosed multi-line value", '[s]\nk = """hunter2\n'],
    ["empty section name", "[]\nk = hunter2\n"],
  ];
  for (const [what, text] of cases) {
    it(`${what}: a HushError with the line number and no content`, () => {
      let err: unknown;
      try {
        iniFormat.parse(text);
      } catch (e) {
        err = e;
      }
      expect(isHushError(err, "PARSE")).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toMatch(/line \d+/);
      expect(msg).not.toContain("hunter2");
    });
  }

  it("a decrypted file without metadata says so", async () => {
    const err = await decryptText("[s]\nk = v\n", { format: "ini", dataKey: DATA_KEY }).catch((e: unknown) => e);
    expect(isHushError(err, "METADATA_NOT_FOUND")).toBe(true);
  });
});

describe("the CLI on .ini files", () => {
  it("encrypts and decrypts, and reads the format from the extension", async () => {
    await withTempDir(async (dir) => {
      const key = await generateAgeKeyFile();
      writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") });
      const plain = "; settings\n[db]\nuser     = app\npassword = hunter2\n";
      writeFileSync(join(dir, "app.ini"), plain);
      const e = runHush(["encrypt", "-i", "--age", key.recipient, join(dir, "app.ini")], { env });
      expect(e.stderr).toBe("");
      expect(e.status).toBe(0);
      const enc = readFileSync(join(dir, "app.ini"), "utf8");
      expect(enc).toMatch(/^; ENC\[.*\n\[db\]\nuser     = ENC\[.*\npassword = ENC\[.*\n\n\[sops\]\nage__list_0__map_enc/);
      expect(enc).not.toContain("hunter2");
      const d = runHush(["decrypt", join(dir, "app.ini")], { env });
      expect(d.stderr).toBe("");
      expect(d.stdout).toBe(plain);
      const y = runHush(["decrypt", "--output-type", "yaml", join(dir, "app.ini")], { env });
      expect(y.stdout).toBe("DEFAULT: {}\ndb:\n    user: app\n    password: hunter2\n");
    });
  });
});
