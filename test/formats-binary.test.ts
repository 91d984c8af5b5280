// Binary (SOPS-FORMAT §10.6): any other file is one `data` value in a JSON envelope; decryption
// gives back the raw content; selection rules are ignored and none is recorded (§5.5, §14-Q25).
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import { binaryFormat } from "../src/formats/binary.js";
import { formatNameForPath } from "../src/formats/index.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, fixture, manifestKeys, runHush, withTempDir } from "./helpers.js";
import { DATA_KEY, ENCRYPT_OPTS, fixturePairs, metadataOfText, open } from "./formats-shared.js";

const KEYS = manifestKeys();
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);

describe("sops binary fixtures", () => {
  const pairs = fixturePairs("txt");
  it("finds them, and .txt means binary", () => {
    expect(pairs.length).toBeGreaterThanOrEqual(1);
    expect(formatNameForPath("x.txt")).toBe("binary");
    expect(formatNameForPath("Dockerfile")).toBe("binary");
  });
  for (const { enc, expected } of pairs) {
    it(`${enc} decrypts to ${expected}, with no newline added`, async () => {
      const { text } = await decryptText(fixture(enc), { format: "binary", dataKey: KEYS.get(enc)!.dataKey });
      expect(text).toBe(fixture(expected));
    });
  }
});

describe("encrypting", () => {
  it("writes sops's JSON envelope with the AAD data: and no selection rule", async () => {
    const { text, metadata } = await encryptText("hello\n", { format: "binary", ...ENCRYPT_OPTS, now: new Date("2026-01-02T03:04:05Z") });
    expect(metadata.rules).toEqual({});
    const json = JSON.parse(text) as { data: string; sops: Record<string, unknown> };
    expect(Object.keys(json)).toEqual(["data", "sops"]);
    expect(open(json.data, ["data"])).toBe("hello\n");
    expect(Object.keys(json.sops)).toEqual(["age", "lastmodified", "mac", "version"]);
    expect(text).toMatch(/^\{\n\t"data": "ENC\[AES256_GCM,[^"]*type:str\]",\n\t"sops": \{\n\t\t"age": \[\n/);
    expect(text.endsWith("\n}\n")).toBe(true);
  });

  it("ignores selection rules: the content is always encrypted", async () => {
    for (const rules of [{ encrypted_regex: "^nothing$" }, { unencrypted_regex: "^data$" }, { unencrypted_suffix: "a" }]) {
      const { text } = await encryptText("secret", { format: "binary", ...ENCRYPT_OPTS, rules });
      const json = JSON.parse(text) as { data: string; sops: Record<string, unknown> };
      expect(open(json.data, ["data"])).toBe("secret");
      expect(Object.keys(json.sops).some((k) => k.includes("regex") || k.includes("suffix"))).toBe(false);
    }
  });

  it("round-trips any content byte for byte (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.string({ unit: "binary" })), async (s) => {
        const { text } = await encryptText(s, { format: "binary", ...ENCRYPT_OPTS });
        expect(metadataOfText(text, "binary").rules).toEqual({ unencrypted_suffix: "_unencrypted" }); // read with sops's default
        const dec = await decryptText(text, { format: "binary", dataKey: DATA_KEY });
        expect(dec.text).toBe(s);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses an envelope that is already encrypted", async () => {
    const { text } = await encryptText("x", { format: "binary", ...ENCRYPT_OPTS });
    const err = await encryptText(text, { format: "binary", ...ENCRYPT_OPTS }).catch((e: unknown) => e);
    expect(isHushError(err, "ALREADY_ENCRYPTED")).toBe(true);
  });

  it("plain JSON without a sops key is just content", async () => {
    const doc = binaryFormat.parse('{"a": 1}\n');
    expect(doc.rawMetadata()).toBeUndefined();
    expect(doc.leaves().map((l) => l.value.text)).toEqual(['{"a": 1}\n']);
  });
});

describe("decrypting", () => {
  it("a plaintext file says it is not encrypted", async () => {
    const err = await decryptText("just text", { format: "binary", dataKey: DATA_KEY }).catch((e: unknown) => e);
    expect(isHushError(err, "METADATA_NOT_FOUND")).toBe(true);
  });

  it("an envelope without a data string fails as sops does, without content", async () => {
    const { text } = await encryptText('{"other": "hunter2"}\n', { format: "json", ...ENCRYPT_OPTS });
    const err = await decryptText(text, { format: "binary", dataKey: DATA_KEY }).catch((e: unknown) => e);
    expect(isHushError(err, "CANNOT_DUMP_TREE")).toBe(true);
    expect((err as Error).message).toMatch(/no binary data/);
    expect((err as Error).message).not.toContain("hunter2");
  });

  it("converts to and from other formats through the data key", async () => {
    const { text } = await encryptText("raw\n", { format: "binary", ...ENCRYPT_OPTS });
    expect((await decryptText(text, { format: "binary", outputFormat: "yaml", dataKey: DATA_KEY })).text).toBe("data: |\n    raw\n");
    const fromYaml = await encryptText("data: payload\n", { format: "yaml", outputFormat: "binary", ...ENCRYPT_OPTS });
    expect((await decryptText(fromYaml.text, { format: "binary", dataKey: DATA_KEY })).text).toBe("payload");
  });
});

describe("the CLI on other files", () => {
  it("encrypts and decrypts .txt and extension-less files", async () => {
    await withTempDir(async (dir) => {
      const key = await generateAgeKeyFile();
      writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") });
      for (const name of ["notes.txt", "id_token", "cert.pem"]) {
        const plain = `line one\nline two for ${name}\n\n`;
        writeFileSync(join(dir, name), plain);
        const e = runHush(["encrypt", "-i", "--age", key.recipient, join(dir, name)], { env });
        expect(e.stderr).toBe("");
        expect(e.status).toBe(0);
        const enc = readFileSync(join(dir, name), "utf8");
        expect(enc.startsWith('{\n\t"data": "ENC[')).toBe(true);
        expect(enc).not.toContain("unencrypted_suffix");
        const d = runHush(["decrypt", join(dir, name)], { env });
        expect(d.stderr).toBe("");
        expect(d.stdout).toBe(plain);
      }
    });
  });
});
