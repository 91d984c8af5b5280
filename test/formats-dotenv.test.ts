// dotenv (SOPS-FORMAT §10.4): read and written exactly as sops's dotenv store
// (stores/dotenv/store.go): sops's fixtures decrypt and re-encrypt byte for byte; a table of
// tricky lines and a property check every text against an independent copy of sops's reader and
// writer; every encrypted file hush writes reads the same with sops's rules and with `sops-age`.
// (Node-style .env files are imported by an explicit step: test/dotenv-import.test.ts.)
import fc from "fast-check";
import { decryptSops } from "sops-age";
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import { dotenvFormat, type DotenvDocument } from "../src/formats/dotenv.js";
import { decryptText, encryptText, IV_SOURCE } from "../src/lib/files.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, fixture, ivsOf, manifestKeys, runHush, withTempDir } from "./helpers.js";
import { DATA_KEY, ENCRYPT_OPTS, fixturePairs, metadataOfText, NASTY_VALUES, open, TRICKY_DOTENV as TRICKY } from "./formats-shared.js";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const KEYS = manifestKeys();
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);

type SopsItem = { comment: string } | { key: string; value: string };

/**
 * sops 3.13's dotenv store (`stores/dotenv/store.go`), written again here from its Go source as
 * an independent oracle. `LoadPlainFile`: split on `\n`, skip empty lines, `#` in column 0 is a
 * comment, else split at the first `=` (an error without one), `\n` → newline, nothing trimmed.
 */
function sopsLoad(text: string): SopsItem[] {
  const items: SopsItem[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line[0] === "#") {
      items.push({ comment: line.slice(1) });
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1) throw new Error("invalid dotenv input line");
    items.push({ key: line.slice(0, eq), value: line.slice(eq + 1).replace(/\\n/g, "\n") });
  }
  return items;
}

/** `EmitPlainFile`: `#comment\n`, `key=value\n` with newlines written as `\n`. */
function sopsEmit(items: readonly SopsItem[]): string {
  return items.map((i) => ("comment" in i ? `#${i.comment}\n` : `${i.key}=${i.value.replace(/\n/g, "\\n")}\n`)).join("");
}

/** What hush reads: comments and entries in order, as sops's tree holds them. */
function hushLoad(text: string): SopsItem[] {
  return dotenvFormat
    .parse(text)
    .leaves()
    .map((l) => (l.kind === "comment" ? { comment: l.value.text } : { key: l.path[0]!, value: l.value.text }));
}

const dropEmptyLines = (s: string) => s.split("\n").filter((l) => l !== "").map((l) => `${l}\n`).join("");

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
    expect(doc.leaves().map((l) => l.path)).toEqual([["foo "]]);
    expect(open(doc.leaves()[0]!.value.text, ["foo "], KEYS.get("pgp-dotenv-v3.13.1-format.enc.env")!.dataKey)).toBe(" bar");
  });
});


describe("reading and writing as sops's store does", () => {
  it("reads each tricky line as sops does and writes it back byte for byte", () => {
    for (const [line, key, value] of TRICKY) {
      expect(sopsLoad(`${line}\n`)).toEqual([{ key, value }]);
      expect(hushLoad(`${line}\n`)).toEqual([{ key, value }]);
      expect(dotenvFormat.parse(`${line}\n`).toString()).toBe(`${line}\n`);
    }
  });

  it("reads comments from column 0 only, keeps empty lines, ends every line in \\n", () => {
    const text = "#top\n# spaced\n\nA=1\n#\nB=2";
    expect(hushLoad(text)).toEqual([{ comment: "top" }, { comment: " spaced" }, { key: "A", value: "1" }, { comment: "" }, { key: "B", value: "2" }]);
    expect(dotenvFormat.parse(text).toString()).toBe("#top\n# spaced\n\nA=1\n#\nB=2\n");
  });

  it("keeps a CRLF file CRLF: the \\r belongs to the value, as in sops", async () => {
    const text = "#c\r\nA=1\r\nB=two words\r\n";
    expect(hushLoad(text)).toEqual(sopsLoad(text));
    const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
    expect(open(sopsLoad(enc.text).find((i) => "key" in i && i.key === "A")!["value" as never], ["A"])).toBe("1\r");
    expect((await decryptText(enc.text, { format: "dotenv", dataKey: DATA_KEY })).text).toBe(text);
  });

  it("reads every text sops reads the same way, and writes what sops writes (property)", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 12 }).map((s) => `#${s.replace(/\n/g, "")}`),
      fc.tuple(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom(...NASTY_VALUES)))
        .filter(([k]) => !k.startsWith("#") && !k.startsWith("sops_"))
        .map(([k, v]) => `${k.replace(/[=\n]/g, "_")}=${v.replace(/\n/g, "\\n")}`),
      fc.constant(""),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), fc.boolean(), (lines, finalEol) => {
        const text = lines.join("\n") + (finalEol ? "\n" : "");
        expect(hushLoad(text)).toEqual(sopsLoad(text));
        expect(dropEmptyLines(dotenvFormat.parse(text).toString())).toBe(sopsEmit(sopsLoad(text)));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("writes set values as sops does: newlines as \\n, nothing quoted", () => {
    const doc = dotenvFormat.parse("A=1\nB=2\n");
    const [a, b] = doc.leaves();
    a!.set({ type: "str", text: "two\nlines 'q' # not a comment" });
    b!.set({ type: "int", text: "5" });
    expect(doc.toString()).toBe("A=two\\nlines 'q' # not a comment\nB=5\n");
  });

  it("converts trees to dotenv as sops's EmitPlainFile: flat maps only, non-strings with ValToString", async () => {
    const yaml = "a: 3\nb: 1.5\nc: true\nd: hello world\ne: 1234568000.0\nf: |\n    x\n    y\n";
    const { text } = await encryptText(yaml, { format: "yaml", outputFormat: "dotenv", ...ENCRYPT_OPTS });
    const { text: plain } = await decryptText(text, { format: "dotenv", dataKey: DATA_KEY });
    expect(plain).toBe("a=3\nb=1.5\nc=true\nd=hello world\ne=1.234568E+09\nf=x\\ny\\n\n");
    const err = await encryptText("a:\n    b: 1\n", { format: "yaml", outputFormat: "dotenv", ...ENCRYPT_OPTS }).catch((e: unknown) => e);
    expect(isHushError(err, "CANNOT_DUMP_TREE")).toBe(true);
    expect((err as Error).message).toMatch(/cannot use complex value in dotenv file/);
  });
});

const keyArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((k) => !k.startsWith("sops_"));
const valueArb = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "grapheme", maxLength: 10 }), fc.constantFrom(...NASTY_VALUES));
const commentArb = fc.string({ maxLength: 20 }).map((s) => s.replace(/\n/g, " "));

/** Any text sops accepts, ending in `\n`: entries (some left in clear), comments, empty lines, `\r`s. */
const sopsTextArb = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(keyArb, valueArb, fc.boolean()).map(([k, v, clear]) => `${clear ? `${k}_unencrypted` : k}=${v.replace(/\n/g, "\\n")}`) },
      { weight: 1, arbitrary: commentArb.map((c) => `#${c}`) },
      { weight: 1, arbitrary: fc.constant("") },
      { weight: 1, arbitrary: fc.constantFrom(...TRICKY.map(([l]) => l)) },
    ),
    { maxLength: 10 },
  )
  .map((lines) => lines.map((l) => `${l}\n`).join(""));

describe("encrypted files hush writes", () => {
  it("read the same with sops's rules: every key, value and comment (property)", async () => {
    await fc.assert(
      fc.asyncProperty(sopsTextArb, async (text) => {
        const want = sopsLoad(text);
        const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
        const read = sopsLoad(enc.text).filter((i) => !("key" in i && i.key.startsWith("sops_")));
        expect(read.length).toBe(want.length);
        read.forEach((item, i) => {
          const w = want[i]!;
          if ("comment" in item) {
            expect("comment" in w).toBe(true);
            const c = (w as { comment: string }).comment;
            expect(c === "" ? item.comment : open(item.comment, [])).toBe(c);
          } else {
            const { key, value } = w as { key: string; value: string };
            expect(item.key).toBe(key);
            if (key.endsWith("_unencrypted") || value === "") expect(item.value).toBe(value);
            else expect(open(item.value, [key])).toBe(value);
          }
        });
      }),
      { numRuns: RUNS },
    );
  });

  it("decrypt to the original text byte for byte (property)", async () => {
    await fc.assert(
      fc.asyncProperty(sopsTextArb, async (text) => {
        const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
        const dec = await decryptText(enc.text, { format: "dotenv", dataKey: DATA_KEY });
        expect(dec.text).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });

  it("keep every line as sops reads it: `export`, spaces, quotes, #, empty lines", async () => {
    const text = "# database\nexport DB_PASSWORD=hunter2\n\nfoo = bar\nQ=\"x y\" # c\nPORT_unencrypted=8080\nEMPTY=\n";
    const enc = await encryptText(text, { format: "dotenv", ...ENCRYPT_OPTS });
    expect(enc.text).toMatch(/^#ENC\[[^\n]*type:comment\]\nexport DB_PASSWORD=ENC\[[^\n]*\]\n\nfoo =ENC\[[^\n]*\]\nQ=ENC\[[^\n]*\]\nPORT_unencrypted=8080\nEMPTY=\nsops_age__list_0__map_enc=/);
    const q = sopsLoad(enc.text).find((i) => "key" in i && i.key === "Q") as { value: string };
    expect(open(q.value, ["Q"])).toBe('"x y" # c');
    expect((await decryptText(enc.text, { format: "dotenv", dataKey: DATA_KEY })).text).toBe(text);
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

  it("decrypt with the sops-age package", async () => {
    const key = await generateAgeKeyFile();
    const text = 'DB_USER=app\nDB_PASSWORD=s3cr3t! #1\nQ="x y"\nURL=https://example.org/?a=b&c=d\nMULTI=line one\\nline two\nNOTE_unencrypted=clear\n';
    const { text: enc } = await encryptText(text, { format: "dotenv", groups: [[ageRecipient(key.recipient)]] });
    const plain = await decryptSops(enc, { secretKey: key.identity, fileType: "env" });
    expect(plain).toEqual({
      DB_USER: "app",
      DB_PASSWORD: "s3cr3t! #1",
      Q: '"x y"',
      URL: "https://example.org/?a=b&c=d",
      MULTI: "line one\nline two",
      NOTE_unencrypted: "clear",
    });
  });
});

describe("lines sops rejects", () => {
  const cases: [string, string, number][] = [
    ["no `=`", "A=1\nAPI_TOKEN_hunter2\n", 2],
    ["a whitespace-only line", "A=1\n   \nB=hunter2\n", 2],
    ["an indented comment", "A=1\n  # hunter2\n", 2],
    ["an empty line of a CRLF file", "A=hunter2\r\n\r\nB=2\r\n", 2],
    ["a multi-line quoted value", 'A="hunter2\nmore"\n', 2],
  ];
  for (const [what, text, line] of cases) {
    it(`${what}: sops's error (exit 2) with the line number and no content`, async () => {
      expect(() => sopsLoad(text)).toThrow(/invalid dotenv input line/);
      let err: unknown;
      try {
        dotenvFormat.parse(text);
      } catch (e) {
        err = e;
      }
      expect(isHushError(err, "PARSE")).toBe(true);
      expect((err as { exitCode: number }).exitCode).toBe(2);
      const msg = (err as Error).message;
      expect(msg).toBe(`invalid dotenv input line ${line}: not KEY=VALUE and not a # comment`);
      expect(msg).not.toContain("hunter2");
    });
  }

  it("a clear value sops could not store is refused without echoing it", async () => {
    const doc = dotenvFormat.parse("A_unencrypted=1\n") as DotenvDocument;
    doc.leaves()[0]!.set({ type: "str", text: "hunter2\\n" });
    doc.setMetadata(metadataOfText(await (await encryptText("X=1\n", { format: "dotenv", ...ENCRYPT_OPTS })).text, "dotenv") as never);
    let err: unknown;
    try {
      doc.toString();
    } catch (e) {
      err = e;
    }
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
      const plain = "# app\nexport API_KEY='a # b'\nML=a\\nb\nPORT_unencrypted=8080\n";
      writeFileSync(join(dir, "app.env"), plain);
      const e = runHush(["encrypt", "--age", key.recipient, join(dir, "app.env")], { env });
      // Node's dotenv would drop the quotes: a note says so (line and key only).
      expect(e.stderr).toBe(
        `hush: note: ${join(dir, "app.env")}: 1 line read differently by Node's dotenv package (line 2, API_KEY: "export " dropped from the key); ` +
          `encrypted as sops reads them. For the values a Node app saw: hush import-dotenv ${join(dir, "app.env")} (--dry-run lists them)\n`,
      );
      expect(e.status).toBe(0);
      expect(e.stdout).toMatch(/^#ENC\[.*\nexport API_KEY=ENC\[.*\nML=ENC\[.*\nPORT_unencrypted=8080\nsops_age__list_0__map_enc=/);
      writeFileSync(join(dir, "app.enc.env"), e.stdout);
      const d = runHush(["decrypt", join(dir, "app.enc.env")], { env });
      expect(d.stderr).toBe("");
      expect(d.stdout).toBe(plain);
      const y = runHush(["decrypt", "--output-type", "json", join(dir, "app.enc.env")], { env });
      expect(JSON.parse(y.stdout)).toEqual({ "export API_KEY": "'a # b'", ML: "a\nb", PORT_unencrypted: "8080" });
      const bad = runHush(["decrypt", join(dir, "app.env")], { env });
      expect(bad.status).not.toBe(0);
      expect(readFileSync(join(dir, "app.env"), "utf8")).toBe(plain);
    });
  });
});
