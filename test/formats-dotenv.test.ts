// dotenv (SOPS-FORMAT §10.4): sops's fixtures decrypt and re-encrypt byte for byte, plaintext is
// read like the `dotenv` package reads it, every encrypted file hush writes reads the same with
// sops's own rules (an independent reader below) and with `sops-age`, and layout is kept.
import dotenv from "dotenv";
import fc from "fast-check";
import { decryptSops } from "sops-age";
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import { dotenvFormat, dotenvValue, type DotenvDocument } from "../src/formats/dotenv.js";
import { emitTrees } from "../src/formats/index.js";
import { decryptText, encryptText, IV_SOURCE } from "../src/lib/files.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, fixture, ivsOf, manifestKeys, runHush, withTempDir } from "./helpers.js";
import { DATA_KEY, ENCRYPT_OPTS, fixturePairs, metadataOfText, NASTY_VALUES, open } from "./formats-shared.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const KEYS = manifestKeys();
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);

/**
 * sops 3.13's dotenv reader (`stores/dotenv/store.go` `LoadPlainFile`), written again here from
 * the spec as an independent oracle: no trimming, no quotes, `\n` → newline.
 */
function sopsRead(text: string): { entries: [string, string][]; comments: string[] } {
  const entries: [string, string][] = [];
  const comments: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line[0] === "#") {
      comments.push(line.slice(1));
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1) throw new Error(`sops would reject line ${JSON.stringify(line)}`);
    entries.push([line.slice(0, eq), line.slice(eq + 1).replace(/\\n/g, "\n")]);
  }
  return { entries, comments };
}

function values(text: string): [string, string][] {
  const doc = dotenvFormat.parse(text);
  return doc.leaves().filter((l) => l.kind === "value").map((l) => [l.path[0]!, l.value.text]);
}

function commentTexts(text: string): string[] {
  return dotenvFormat.parse(text).leaves().filter((l) => l.kind === "comment").map((l) => l.value.text);
}

describe("sops dotenv fixtures", () => {
  const pairs = fixturePairs("env");
  it("finds them", () => expect(pairs.length).toBeGreaterThanOrEqual(1));
  for (const { enc, expected } of pairs) {
    it(`${enc} decrypts to ${expected}`, async () => {
      const { text } = await decryptText(fixture(enc), { format: "dotenv", dataKey: KEYS.get(enc)!.dataKey });
      expect(text).toBe(fixture(expected));
    });
  }

  it("pgp-dotenv-v3.13.1-format re-encrypts byte for byte (writer profile)", async () => {
    const file = "pgp-dotenv-v3.13.1-format.enc.env";
    const sopsText = fixture(file);
    const meta = metadataOfText(sopsText, "dotenv");
    const ivs = ivsOf(sopsText);
    let i = 0;
    const { text } = await encryptText(fixture("pgp-dotenv-v3.13.1-format.expected.env"), {
      format: "dotenv",
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

  it("reads the fixture with sops's rules: key `foo `, value ` bar`", () => {
    const doc = dotenvFormat.parse(fixture("pgp-dotenv-v3.13.1-format.enc.env")) as DotenvDocument;
    expect(doc.sopsRules).toBe(true);
    expect(doc.leaves().map((l) => l.path)).toEqual([["foo "]]);
    expect(open(doc.leaves()[0]!.value.text, ["foo "], KEYS.get("pgp-dotenv-v3.13.1-format.enc.env")!.dataKey)).toBe(" bar");
  });
});

describe("reading", () => {
  it("reads a file with sops metadata exactly as sops does (quotes and `export ` kept)", () => {
    const text = 'export A="x y"\nB=\'q\' # c\nC=a\\nb\n#note\nsops_version=3.13.2\n';
    const doc = dotenvFormat.parse(text) as DotenvDocument;
    expect(doc.sopsRules).toBe(true);
    expect(values(text)).toEqual([
      ["export A", '"x y"'],
      ["B", "'q' # c"],
      ["C", "a\nb"],
    ]);
    expect(commentTexts(text)).toEqual(["note"]);
  });

  it("reads plaintext like the dotenv package (values), keeping sops's keys", () => {
    const text = [
      "# top",
      "export A=\"x y\"",
      "B='single # not a comment'",
      "C=`back tick`",
      'D="multi',
      'line"',
      'E="esc \\" \\\\ \\n \\r \\t"',
      "F=unquoted # inline",
      "G=hash#inside",
      "foo = bar",
      "  # indented comment",
      "   ",
      "H= \"spaced\"  # after",
      "I=",
      "J=a\\nb",
      "",
    ].join("\n");
    expect(values(text)).toEqual([
      ["export A", "x y"],
      ["B", "single # not a comment"],
      ["C", "back tick"],
      ["D", "multi\nline"],
      ["E", 'esc " \\ \n \r \\t'],
      ["F", "unquoted"],
      ["G", "hash#inside"],
      ["foo ", " bar"],
      ["H", "spaced"],
      ["I", ""],
      ["J", "a\nb"],
    ]);
    expect(commentTexts(text)).toEqual([" top", " inline", " indented comment", " after"]);
  });

  it("agrees with the dotenv package on the values it reads the same way", () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
    const safe = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\\\r\n"'`#]/g, "x"));
    const line = fc.tuple(key, safe, fc.constantFrom("raw", "double", "single", "backtick", "export", "spaced", "comment")).map(([k, v, form]) => {
      const raw = v.trim() === "" ? "v" : v.trim();
      switch (form) {
        case "raw":
          return { text: `${k}=${raw}`, key: k, value: raw };
        case "double":
          return { text: `${k}="${v}"`, key: k, value: v };
        case "single":
          return { text: `${k}='${v}'`, key: k, value: v };
        case "backtick":
          return { text: `${k}=\`${v}\``, key: k, value: v };
        case "export":
          return { text: `export ${k}="${v}"`, key: k, value: v };
        case "spaced":
          return { text: `${k}= "${v}"`, key: k, value: v };
        default:
          return { text: `${k}="${v}" # note`, key: k, value: v };
      }
    });
    fc.assert(
      fc.property(fc.uniqueArray(line, { selector: (l) => l.key, maxLength: 8 }), (lines) => {
        const text = lines.map((l) => l.text).join("\n") + "\n";
        const theirs = dotenv.parse(text);
        const ours = Object.fromEntries(values(text).map(([k, v]) => [k.replace(/^export /, ""), v]));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("writing values", () => {
  it("writes each value so that it reads back unchanged, on one line", () => {
    for (const v of NASTY_VALUES) {
      const line = dotenvValue(v);
      expect(line).not.toMatch(/[\r\n]/);
      expect(values(`K=${line}\n`)).toEqual([["K", v]]);
    }
    expect(dotenvValue(" bar")).toBe(" bar");
    expect(dotenvValue("a # b")).toBe("'a # b'");
    expect(dotenvValue("two\nlines")).toBe('"two\\nlines"');
    expect(dotenvValue("it's\n")).toBe('"it\'s\\n"');
  });

  it("round-trips arbitrary values through dotenvValue", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom(...NASTY_VALUES)), (v) => {
        expect(values(`K=${dotenvValue(v)}\n`)).toEqual([["K", v]]);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it("converts trees to dotenv: flat maps only, non-strings with ValToString", async () => {
    const yaml = "a: 3\nb: 1.5\nc: true\nd: hello world\ne: 1234568000.0\n";
    const { text } = await encryptText(yaml, { format: "yaml", outputFormat: "dotenv", ...ENCRYPT_OPTS });
    const { text: plain } = await decryptText(text, { format: "dotenv", dataKey: DATA_KEY });
    expect(plain).toBe("a=3\nb=1.5\nc=true\nd=hello world\ne=1.234568E+09\n");
    const err = await encryptText("a:\n    b: 1\n", { format: "yaml", outputFormat: "dotenv", ...ENCRYPT_OPTS }).catch((e: unknown) => e);
    expect(isHushError(err, "CANNOT_DUMP_TREE")).toBe(true);
    expect((err as Error).message).toMatch(/cannot use complex value in dotenv file/);
  });
});

/** A generated plaintext entry: how it is written, its sops key, and the value it means. */
interface GenEntry {
  text: string;
  key: string;
  value: string;
  comment?: string;
}

const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((k) => !k.startsWith("sops_"));
const valueArb = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 10 }), fc.constantFrom(...NASTY_VALUES));
const commentArb = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, " "));

const entryArb: fc.Arbitrary<GenEntry> = fc
  .tuple(keyArb, valueArb, fc.constantFrom("canonical", "double", "single", "export", "spaced", "inline"), commentArb, fc.boolean())
  .map(([k, v, form, c, clear]) => {
    // sops cannot store a literal backslash-n in clear (hush refuses that, tested below).
    const key = clear && !v.includes("\\n") ? `${k}_unencrypted` : k;
    const dq = `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r/g, "\\r")}"`; // real newlines stay
    switch (form) {
      case "double":
        return { text: `${key}=${dq}`, key, value: v };
      case "single":
        return /['\r]/.test(v) ? { text: `${key}=${dq}`, key, value: v } : { text: `${key}='${v}'`, key, value: v };
      case "export":
        return { text: `export ${key}=${dq}`, key: `export ${key}`, value: v };
      case "spaced":
        return { text: `${key} = ${dq}`, key: `${key} `, value: v };
      case "inline":
        return { text: `${key}=${dq}   #${c}`, key, value: v, comment: c };
      default:
        return { text: `${key}=${dotenvValue(v)}`, key, value: v };
    }
  });

const lineArb = fc.oneof(
  { weight: 5, arbitrary: entryArb },
  { weight: 1, arbitrary: commentArb.map((c) => ({ text: `#${c}`, comment: c }) as Partial<GenEntry> & { text: string }) },
  { weight: 1, arbitrary: commentArb.map((c) => ({ text: `  #${c}`, comment: c }) as Partial<GenEntry> & { text: string }) },
  { weight: 1, arbitrary: fc.constantFrom("", "   ", "\t").map((t) => ({ text: t }) as Partial<GenEntry> & { text: string }) },
);

const fileArb = fc
  .tuple(fc.uniqueArray(lineArb, { selector: (l) => l.key ?? Symbol(), maxLength: 10 }), fc.constantFrom("\n", "\r\n"))
  .map(([lines, eol]) => ({ lines, text: lines.map((l) => l.text).join(eol) + eol }));

describe("encrypted files hush writes", () => {
  it("read the same with sops's rules: every key, value and comment (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fileArb, async ({ lines, text }) => {
        const want = lines.filter((l): l is GenEntry => l.key !== undefined);
        expect(values(text)).toEqual(want.map((l) => [l.key, l.value]));
        const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
        const read = sopsRead(enc.text);
        const data = read.entries.filter(([k]) => !k.startsWith("sops_"));
        expect(data.map(([k]) => k)).toEqual(want.map((l) => l.key));
        data.forEach(([k, v], i) => {
          const w = want[i]!.value;
          if (k.endsWith("_unencrypted") || w === "") expect(v).toBe(w);
          else expect(open(v, [k])).toBe(w);
        });
        const comments = lines.filter((l) => l.comment !== undefined).map((l) => l.comment!);
        expect(read.comments.map((c) => (c.startsWith("ENC[") ? open(c, []) : c))).toEqual(comments);
        // hush reads it back (MAC checked) to the same values and comments.
        const dec = await decryptText(enc.text, { format: "dotenv", dataKey: DATA_KEY });
        expect(values(dec.text)).toEqual(want.map((l) => [l.key, l.value]));
        expect(commentTexts(dec.text)).toEqual(comments);
      }),
      { numRuns: RUNS },
    );
  });

  it("round-trip byte for byte when written canonically (property)", async () => {
    const canonical = fc
      .uniqueArray(fc.tuple(keyArb, valueArb, fc.option(commentArb, { nil: undefined })), { selector: ([k]) => k, maxLength: 10 })
      .map((es) => es.map(([k, v, c]) => `${c === undefined ? "" : `#${c}\n`}${k}=${dotenvValue(v)}\n`).join(""));
    await fc.assert(
      fc.asyncProperty(canonical, async (text) => {
        const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
        const dec = await decryptText(enc.text, { format: "dotenv", dataKey: DATA_KEY });
        expect(dec.text).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("keep the layout of lines sops reads the same: `export`, spaces, blank lines", async () => {
    const text = "# database\nexport DB_PASSWORD=hunter2\n\nfoo = bar\nPORT_unencrypted=8080\nEMPTY=\n";
    const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
    expect(enc.text).toMatch(/^#ENC\[[^\n]*type:comment\]\nexport DB_PASSWORD=ENC\[[^\n]*\]\n\nfoo =ENC\[[^\n]*\]\nPORT_unencrypted=8080\nEMPTY=\nsops_age__list_0__map_enc=/);
    expect((await decryptText(enc.text, { format: "dotenv", dataKey: DATA_KEY })).text).toBe(text);
  });

  it("rewrite only the value when a leaf is set", () => {
    const text = "# c\nA=1\nexport B='two words'  # why\nC=3\n";
    const doc = dotenvFormat.parse(text);
    const b = doc.leaves().find((l) => l.path[0] === "export B")!;
    b.set({ type: "str", text: "new # value" });
    expect(doc.toString()).toBe("# c\nA=1\nexport B='new # value'  # why\nC=3\n");
    expect(dotenvFormat.parse(text).toString()).toBe(text);
  });

  it("are refused when the input already has sops_ keys (sops's exit 203)", async () => {
    const err = await encryptText("A=1\nsops_version=3.13.2\n", { format: "dotenv", ...ENCRYPT_OPTS }).catch((e: unknown) => e);
    expect(isHushError(err, "ALREADY_ENCRYPTED")).toBe(true);
  });

  it("flatten the metadata sorted structurally: __list_10 after __list_9", async () => {
    const group = Array.from({ length: 11 }, (_, i) => ({ kind: "age" as const, entry: { recipient: `age1r${i}`, enc: `E${i}\n` } }));
    const enc = await encryptText("A=1\n", { format: "dotenv", groups: [], dataKey: DATA_KEY, wrappedKeys: [group] });
    const keys = enc.text.split("\n").filter((l) => l.startsWith("sops_age")).map((l) => l.slice(0, l.indexOf("=")));
    expect(keys.slice(-4)).toEqual(["sops_age__list_9__map_enc", "sops_age__list_9__map_recipient", "sops_age__list_10__map_enc", "sops_age__list_10__map_recipient"]);
    expect(enc.text).toContain("sops_age__list_0__map_enc=E0\\n\n");
    const meta = metadataOfText(enc.text, "dotenv");
    expect(meta.keyGroups[0]!.map((w) => w.entry["recipient"])).toEqual(group.map((g) => g.entry.recipient));
  });

  it("decrypt with the sops-age package (values without surrounding spaces or comments)", async () => {
    const key = await generateAgeKeyFile();
    const text = 'DB_USER=app\nDB_PASSWORD=s3cr3t!\nexport_NOT=x\nURL=https://example.org/?a=b&c=d\nMULTI="line one\\nline two"\nNOTE_unencrypted=clear\n';
    const { text: enc } = await encryptText(text, { format: "dotenv", groups: [[ageRecipient(key.recipient)]] });
    const plain = await decryptSops(enc, { secretKey: key.identity, fileType: "env" });
    expect(plain).toEqual({
      DB_USER: "app",
      DB_PASSWORD: "s3cr3t!",
      export_NOT: "x",
      URL: "https://example.org/?a=b&c=d",
      MULTI: "line one\nline two",
      NOTE_unencrypted: "clear",
    });
  });
});

describe("malformed input", () => {
  const cases: [string, string][] = [
    ["no `=`", "A=1\nAPI_TOKEN_hunter2\n"],
    ["unterminated quote", 'A="hunter2\n'],
    ["text after the closing quote", 'A="x"hunter2\n'],
    ["indented comment in a sops file", "A=1\n  # hunter2\nsops_version=3.13.2\n"],
  ];
  for (const [what, text] of cases) {
    it(`${what}: a HushError with the line number and no content`, () => {
      let err: unknown;
      try {
        dotenvFormat.parse(text);
      } catch (e) {
        err = e;
      }
      expect(isHushError(err, "PARSE")).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toMatch(/line \d+/);
      expect(msg).not.toContain("hunter2");
      expect(msg.includes("\n")).toBe(false);
    });
  }

  it("a clear value sops could not store is refused without echoing it", async () => {
    const err = await encryptText("A_unencrypted='hunter2\\n'\n", { format: "dotenv", ...ENCRYPT_OPTS }).catch((e: unknown) => e);
    expect(isHushError(err, "CANNOT_DUMP_TREE")).toBe(true);
    expect((err as Error).message).not.toContain("hunter2");
  });
});

describe("the CLI on .env files", () => {
  it("encrypts and decrypts, and reads the format from the extension", async () => {
    await withTempDir(async (dir) => {
      const key = await generateAgeKeyFile();
      writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") });
      const plain = "# app\nexport API_KEY='a # b'\nPORT_unencrypted=8080\n";
      writeFileSync(join(dir, "app.env"), plain);
      const e = runHush(["encrypt", "--age", key.recipient, join(dir, "app.env")], { env });
      expect(e.stderr).toBe("");
      expect(e.status).toBe(0);
      expect(e.stdout).toMatch(/^#ENC\[.*\nexport API_KEY=ENC\[.*\nPORT_unencrypted=8080\nsops_age__list_0__map_enc=/);
      writeFileSync(join(dir, "app.enc.env"), e.stdout);
      const d = runHush(["decrypt", join(dir, "app.enc.env")], { env });
      expect(d.stderr).toBe("");
      expect(d.stdout).toBe(plain);
      const y = runHush(["decrypt", "--output-type", "json", join(dir, "app.enc.env")], { env });
      expect(JSON.parse(y.stdout)).toEqual({ "export API_KEY": "a # b", PORT_unencrypted: "8080" });
      const bad = runHush(["decrypt", join(dir, "app.env")], { env });
      expect(bad.status).not.toBe(0);
      expect(readFileSync(join(dir, "app.env"), "utf8")).toBe(plain);
    });
  });
});
