// Binary files that are not UTF-8 (SOPS-FORMAT §10.6): sops's binary store encrypts the raw bytes
// (Go strings are bytes) as one `type:str` value under `data`, and the MAC covers those bytes. hush
// must keep every byte through the CLI (encrypt, decrypt to stdout, -o, -i, --extract, exec-file,
// edit, rotate) and the library.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { decryptSops } from "sops-age";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptValue } from "../src/core/cipher.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { decrypt, decryptBytes, encrypt, load } from "../src/lib/index.js";
import { decryptHeld, decryptText, encryptText } from "../src/lib/files.js";
import { cleanEnv, fixture, FIXTURES, HUSH, manifestKeys, withTempDir } from "./helpers.js";
import { DATA_KEY, ENCRYPT_OPTS, open } from "./formats-shared.js";

const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);
const CLI_RUNS = Math.max(5, Math.floor(RUNS / 10));

/** A PNG signature and IHDR start, a lone 0xFF, NUL, CR, a BOM, an overlong sequence, a truncated one. */
const PNG_LIKE = Buffer.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0x00, 0x0d, 0xef, 0xbb, 0xbf, 0xc0, 0xaf, 0xe2, 0x82,
]);

/** Byte strings that stress UTF-8 handling: invalid sequences, NUL, CR, a BOM, and plain text. */
const arbBytes = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
  fc
    .array(fc.constantFrom(0x00, 0x0d, 0x0a, 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0x80, 0xc3, 0x28, 0x7b, 0x22, 0x20, 0x41), { minLength: 1, maxLength: 60 })
    .map((a) => Uint8Array.from(a)),
  fc.string({ minLength: 1, unit: "grapheme" }).map((s) => new Uint8Array(Buffer.from(s, "utf8"))),
);

/** sops's MAC for a binary file: SHA-512 over the raw bytes of `data`, upper-case hex. */
function sopsMac(content: Uint8Array): string {
  return createHash("sha512").update(content).digest("hex").toUpperCase();
}

function storedMac(enc: string, key: Uint8Array): string {
  const sops = (JSON.parse(enc) as { sops: { mac: string; lastmodified: string } }).sops;
  return decryptValue(key, sops.mac, sops.lastmodified).text;
}

describe("the library keeps every byte", () => {
  it("encryptText → decryptText of a PNG-like header with a lone 0xFF", async () => {
    const { text } = await encryptText(PNG_LIKE, { format: "binary", ...ENCRYPT_OPTS });
    const json = JSON.parse(text) as { data: string };
    expect(json.data).toMatch(/,type:str\]$/);
    // The ciphertext is the bytes themselves (GCM keeps the length): 26 bytes, not a UTF-8 re-encoding.
    expect(Buffer.from(/data:([^,]+)/.exec(json.data)![1]!, "base64")).toHaveLength(PNG_LIKE.length);
    const dec = await decryptText(text, { format: "binary", dataKey: DATA_KEY });
    expect(Buffer.from(dec.bytes).equals(PNG_LIKE)).toBe(true);
    expect(storedMac(text, DATA_KEY)).toBe(sopsMac(PNG_LIKE));
  });

  it("encrypt → decrypt is byte-identical for arbitrary bytes, and the MAC is over the bytes (property)", async () => {
    await fc.assert(
      fc.asyncProperty(arbBytes, async (bytes) => {
        const { text } = await encryptText(bytes, { format: "binary", ...ENCRYPT_OPTS });
        expect(storedMac(text, DATA_KEY)).toBe(sopsMac(bytes));
        const dec = await decryptText(text, { format: "binary", dataKey: DATA_KEY });
        expect(Buffer.from(dec.bytes).equals(Buffer.from(bytes))).toBe(true);
        // Encrypted bytes are still the envelope's text: reading it as bytes changes nothing.
        const again = await decryptText(Buffer.from(text, "utf8"), { format: "binary", dataKey: DATA_KEY });
        expect(Buffer.from(again.bytes).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("the public API: encrypt({text: bytes}) → decryptBytes, and load() verifies the MAC", async () => {
    const key = await generateAgeKeyFile();
    const enc = await encrypt({ text: PNG_LIKE, format: "binary" }, { age: key.recipient });
    const env = { SOPS_AGE_KEY: key.identity };
    const out = await decryptBytes({ text: enc, format: "binary" }, { env });
    expect(Buffer.from(out).equals(PNG_LIKE)).toBe(true);
    // decrypt() gives text: lossy for non-UTF-8 content, as documented.
    expect(await decrypt({ text: enc, format: "binary" }, { env })).toBe(PNG_LIKE.toString("utf8"));
    const secrets = await load({ text: enc, format: "binary" }, { env });
    expect(typeof secrets.get("data")).toBe("string");
    secrets.dispose();
    await withTempDir(async (dir) => {
      writeFileSync(join(dir, "logo.png.enc"), enc);
      expect(Buffer.from(await decryptBytes(join(dir, "logo.png.enc"), { env })).equals(PNG_LIKE)).toBe(true);
    });
  });

  it("a changed byte that decodes to the same text is not mistaken for an unchanged value", async () => {
    // 0xFF and 0xFE both decode to U+FFFD: the ciphertext stash must tell them apart.
    const a = Buffer.from([0x41, 0xff]);
    const b = Buffer.from([0x41, 0xfe]);
    const first = await encryptText(a, { format: "binary", ...ENCRYPT_OPTS });
    // decryptHeld (library-internal) keeps the stash a rewrite uses.
    const dec = await decryptHeld(first.text, { format: "binary", dataKey: DATA_KEY });
    const second = await encryptText(b, { format: "binary", ...ENCRYPT_OPTS, stash: dec.stash });
    const out = await decryptText(second.text, { format: "binary", dataKey: DATA_KEY });
    expect(Buffer.from(out.bytes).equals(b)).toBe(true);
    // And an unchanged content keeps its ciphertext.
    const dec2 = await decryptHeld(first.text, { format: "binary", dataKey: DATA_KEY });
    const same = await encryptText(a, { format: "binary", ...ENCRYPT_OPTS, stash: dec2.stash });
    expect(JSON.parse(same.text).data).toBe(JSON.parse(first.text).data);
  });

  it("sops's binary fixture decrypts to its exact bytes, with its MAC", async () => {
    const enc = "pgp-binary-v3.5.0-example.enc.txt";
    const { dataKey, mac } = manifestKeys().get(enc)!;
    const dec = await decryptText(readFileSync(join(FIXTURES, enc)), { format: "binary", dataKey });
    const expected = readFileSync(join(FIXTURES, "pgp-binary-v3.5.0-example.expected.txt"));
    expect(Buffer.from(dec.bytes).equals(expected)).toBe(true);
    expect(sopsMac(expected)).toBe(mac);
    expect(open(JSON.parse(fixture(enc)).data, ["data"], dataKey)).toBe(expected.toString("utf8"));
  });
});

describe("the sops-age package reads what hush writes from bytes", () => {
  // sops-age decodes with TextDecoder's defaults, which drop a leading BOM (its quirk, not the
  // file's: hush's own decrypt keeps it, tested above); so the BOM here is not the first character.
  it("UTF-8 contents (with NUL, CR and a BOM) decrypt to the same string", async () => {
    const key = await generateAgeKeyFile();
    for (const s of ["\u0000a\r\nb\r", "a\uFEFFbom inside\n", "héllo wörld ✓\n", "x"]) {
      const enc = await encrypt({ text: Buffer.from(s, "utf8"), format: "binary" }, { age: key.recipient });
      const plain = (await decryptSops(enc, { secretKey: key.identity, fileType: "json" })) as { data: string };
      expect(plain.data).toBe(s);
    }
  });
});

/** Runs the CLI with byte output. */
function hush(args: string[], env: NodeJS.ProcessEnv, input?: Buffer): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [HUSH, ...args], { env, input: input ?? Buffer.alloc(0), timeout: 30_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

describe("the CLI keeps every byte", () => {
  let key: Awaited<ReturnType<typeof generateAgeKeyFile>>;
  beforeAll(async () => {
    key = await generateAgeKeyFile();
  });

  async function roundTrips(bytes: Uint8Array): Promise<void> {
    await withTempDir(async (dir) => {
      const env = cleanEnv({ SOPS_AGE_KEY: key.identity });
      const f = join(dir, "blob.bin");
      writeFileSync(f, bytes);
      const e = hush(["encrypt", "--age", key.recipient, "-o", join(dir, "blob.enc"), f], env);
      expect(e.stderr).toBe("");
      expect(e.status).toBe(0);
      const enc = readFileSync(join(dir, "blob.enc"), "utf8");
      const d = hush(["decrypt", join(dir, "blob.enc")], env);
      expect(d.stderr).toBe("");
      expect(d.stdout.equals(Buffer.from(bytes))).toBe(true);
      // The MAC is sops's: over the bytes.
      const dec = await decryptHeld(enc, { format: "binary", env: { SOPS_AGE_KEY: key.identity } });
      expect(storedMac(enc, dec.dataKey)).toBe(sopsMac(bytes));
      // Standard input in, standard input out (--input-type binary).
      const s = hush(["encrypt", "--age", key.recipient, "--input-type", "binary"], env, Buffer.from(bytes));
      expect(s.status).toBe(0);
      const back = hush(["decrypt", "--input-type", "binary"], env, s.stdout);
      expect(back.stdout.equals(Buffer.from(bytes))).toBe(true);
    });
  }

  it("a PNG-like header with a lone 0xFF: encrypt, decrypt to stdout, -o, -i, --extract, exec-file, rotate", async () => {
    await roundTrips(PNG_LIKE);
    await withTempDir(async (dir) => {
      const env = cleanEnv({ SOPS_AGE_KEY: key.identity });
      const f = join(dir, "logo.png");
      writeFileSync(f, PNG_LIKE);
      expect(hush(["encrypt", "-i", "--age", key.recipient, f], env).status).toBe(0);
      const enc = readFileSync(f, "utf8");
      expect(enc.startsWith('{\n\t"data": "ENC[')).toBe(true);
      expect(hush(["decrypt", "-o", join(dir, "out.png"), f], env).status).toBe(0);
      expect(readFileSync(join(dir, "out.png")).equals(PNG_LIKE)).toBe(true);
      const x = hush(["decrypt", "--extract", '["data"]', f], env);
      expect(x.stdout.equals(PNG_LIKE)).toBe(true);
      for (const fifo of [[], ["--no-fifo"]]) {
        const r = hush(["exec-file", ...fifo, f, "--", process.execPath, "-e", "process.stdout.write(require('fs').readFileSync(process.argv[1]))", "{}"], env);
        expect(r.stderr).toBe("");
        expect(r.stdout.equals(PNG_LIKE)).toBe(true);
      }
      expect(hush(["rotate", "-i", f], env).status).toBe(0);
      expect(readFileSync(f, "utf8")).not.toBe(enc);
      expect(hush(["decrypt", f], env).stdout.equals(PNG_LIKE)).toBe(true);
      expect(hush(["decrypt", "-i", f], env).status).toBe(0);
      expect(readFileSync(f).equals(PNG_LIKE)).toBe(true);
    });
  });

  it("edit keeps the bytes it was not asked to change, and writes the ones it was", async () => {
    await withTempDir(async (dir) => {
      const env = cleanEnv({ SOPS_AGE_KEY: key.identity });
      const f = join(dir, "keystore.jks");
      writeFileSync(f, PNG_LIKE);
      expect(hush(["encrypt", "-i", "--age", key.recipient, f], env).status).toBe(0);
      const before = readFileSync(f, "utf8");
      // An editor that appends one invalid byte.
      const editor = join(dir, "editor.mjs");
      writeFileSync(editor, `import { appendFileSync } from "node:fs";\nappendFileSync(process.argv[2], Buffer.from([0xfe]));\n`);
      const e = hush(["edit", f], { ...env, EDITOR: `${process.execPath} ${editor}` });
      expect(e.stderr).toBe("");
      expect(e.status).toBe(0);
      expect(readFileSync(f, "utf8")).not.toBe(before);
      expect(hush(["decrypt", f], env).stdout.equals(Buffer.concat([PNG_LIKE, Buffer.from([0xfe])]))).toBe(true);
      // An editor that changes nothing leaves the file as it was (exit 200, sops's "file has not
      // been modified").
      const noop = join(dir, "noop.mjs");
      writeFileSync(noop, "\n");
      const after = readFileSync(f, "utf8");
      expect(hush(["edit", f], { ...env, EDITOR: `${process.execPath} ${noop}` }).status).toBe(200);
      expect(readFileSync(f, "utf8")).toBe(after);
    });
  });

  it("encrypt → decrypt is byte-identical for arbitrary bytes (property)", async () => {
    await fc.assert(fc.asyncProperty(arbBytes, roundTrips), { numRuns: CLI_RUNS });
  }, 300_000);
});

describe("bytes that are not UTF-8 in other formats", () => {
  const BYTES = Buffer.from([0xff, 0xfe, 0x00, 0x61, 0x62, 0x63, 0xe2, 0x82, 0xc3]);

  it("YAML `!!binary` values are encrypted as their bytes, without the tag, and come back as sops prints them", async () => {
    const plain = "a: !!binary w6k=\nb: !!binary /w==\nl:\n    - !!binary w6k=\n";
    const { text } = await encryptText(plain, { format: "yaml", ...ENCRYPT_OPTS });
    // sops's tree has no tags: a tag left before ENC[...] would make the file unreadable.
    expect(text).not.toContain("!!binary");
    const values = text.match(/data:([^,]*),/g)!.map((m) => Buffer.from(m.slice(5, -1), "base64").length);
    expect(values.slice(0, 3)).toEqual([2, 1, 2]); // é is two bytes, 0xff one
    const dec = await decryptText(text, { format: "yaml", dataKey: DATA_KEY });
    // UTF-8 text prints as text; other bytes as yaml.v3 prints them, `!!binary` base64.
    expect(dec.text).toBe("a: é\nb: !!binary /w==\nl:\n    - é\n");
  });

  it("binary content to YAML and back keeps every byte (long content as a literal block of 70-character lines)", async () => {
    const content = Buffer.concat([BYTES, Buffer.alloc(200, 0xff)]);
    const enc = await encryptText(content, { format: "binary", ...ENCRYPT_OPTS });
    const yaml = (await decryptText(enc.text, { format: "binary", outputFormat: "yaml", dataKey: DATA_KEY })).text;
    const b64 = content.toString("base64");
    expect(yaml).toBe(`data: !!binary |\n${b64.match(/.{1,70}/g)!.map((l) => `    ${l}\n`).join("")}`);
    const again = await encryptText(yaml, { format: "yaml", ...ENCRYPT_OPTS });
    const back = await decryptText(again.text, { format: "yaml", outputFormat: "binary", dataKey: DATA_KEY });
    expect(Buffer.from(back.bytes).equals(content)).toBe(true);
    const short = await encryptText(BYTES, { format: "binary", ...ENCRYPT_OPTS });
    expect((await decryptText(short.text, { format: "binary", outputFormat: "yaml", dataKey: DATA_KEY })).text).toBe(`data: !!binary ${BYTES.toString("base64")}\n`);
  });

  it("JSON output escapes each byte Go's decoder rejects as \\ufffd (encoding/json)", async () => {
    const enc = await encryptText(BYTES, { format: "binary", ...ENCRYPT_OPTS });
    const json = (await decryptText(enc.text, { format: "binary", outputFormat: "json", dataKey: DATA_KEY })).text;
    // 0xff, 0xfe: one each; e2 82 is a truncated sequence: Go rejects each byte; c3 at the end too.
    expect(json).toBe('{\n\t"data": "\\ufffd\\ufffd\\u0000abc\\ufffd\\ufffd\\ufffd"\n}\n');
  });

  it("dotenv and INI output, and converting before encryption, refuse such bytes instead of losing them", async () => {
    const enc = await encryptText(BYTES, { format: "binary", ...ENCRYPT_OPTS });
    for (const outputFormat of ["dotenv", "ini"] as const) {
      await expect(decryptText(enc.text, { format: "binary", outputFormat, dataKey: DATA_KEY })).rejects.toMatchObject({ code: "CANNOT_DUMP_TREE" });
    }
    await expect(encryptText(BYTES, { format: "binary", outputFormat: "json", ...ENCRYPT_OPTS })).rejects.toMatchObject({ code: "CANNOT_DUMP_TREE" });
    // UTF-8 content still converts.
    await expect(encryptText(Buffer.from("plain text\n"), { format: "binary", outputFormat: "json", ...ENCRYPT_OPTS })).resolves.toBeDefined();
  });
});
