// rotate reads a file with the plain decrypt (decryptText: the lean path where it applies, issue
// 20) instead of decryptHeld (the full parse, which also keeps the old ciphertexts for a
// rewrite). What rotate uses of the result is the plaintext (text, or bytes for binary files) and
// the metadata, so the two must give the same of both, or the same error, for every input: then
// rotate's output for the same new key and IVs is the same byte for byte.
import fc from "fast-check";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { emitTrees } from "../src/formats/index.js";
import { decryptHeld, decryptText, encryptText } from "../src/lib/files.js";
import { rotateText } from "../src/lib/rewrite.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { Keyring } from "../src/keys/registry.js";
import type { FormatName } from "../src/model/tree.js";
import { document, FAKE_RECIPIENT } from "./support/arbitraries.js";
import { FIXED_DATA_KEY } from "./support/fixed-encrypt.js";
import { FIXTURES, fixture, manifestKeys } from "./helpers.js";

const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 100);

/** What rotate takes from a decrypt: plaintext bytes and metadata, or the error code. */
async function seen(read: typeof decryptText | typeof decryptHeld, input: string | Uint8Array, format: FormatName, dataKey: Uint8Array, ignoreMac: boolean) {
  try {
    const r = await read(input, { format, dataKey, ...(ignoreMac ? { ignoreMac } : {}) });
    if ("dataKey" in r) (r.dataKey as Uint8Array).fill(0);
    return { bytes: Buffer.from(r.bytes).toString("base64"), text: format === "binary" ? null : r.text, metadata: JSON.stringify(r.metadata) };
  } catch (e) {
    return { error: (e as { code?: string }).code ?? String(e) };
  }
}

async function same(input: string | Uint8Array, format: FormatName, dataKey: Uint8Array, label: string): Promise<void> {
  for (const ignoreMac of [false, true]) {
    expect(await seen(decryptText, input, format, dataKey, ignoreMac), label).toEqual(await seen(decryptHeld, input, format, dataKey, ignoreMac));
  }
}

/** A change inside the text: a flipped base64 character of a value, the MAC, or a cut line. */
function tamper(text: string, at: number): string {
  const i = at % text.length;
  const c = text[i]!;
  const swapped = c === "A" ? "B" : c === "a" ? "b" : c === "0" ? "1" : c === "\n" ? "" : "A";
  return text.slice(0, i) + swapped + text.slice(i + 1);
}

describe("rotate's decrypt (decryptText) gives what decryptHeld gives", () => {
  for (const format of ["yaml", "json"] as const) {
    it(`for generated ${format} documents, intact and tampered`, async () => {
      await fc.assert(
        fc.asyncProperty(document, fc.nat(), async (tree, at) => {
          const { text } = await encryptText(emitTrees(format, [tree]), { format, groups: [[FAKE_RECIPIENT]], dataKey: FIXED_DATA_KEY });
          await same(text, format, FIXED_DATA_KEY, text);
          await same(tamper(text, at), format, FIXED_DATA_KEY, tamper(text, at));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("for generated dotenv and binary files", async () => {
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.tuple(name, fc.string({ maxLength: 20 }).filter((v) => !/[\n\r]/.test(v))), { selector: ([k]) => k, maxLength: 6 }), fc.uint8Array({ maxLength: 64 }), async (entries, bytes) => {
        const env = entries.map(([k, v]) => `${k}=${v}\n`).join("");
        const e = await encryptText(env, { format: "dotenv", groups: [[FAKE_RECIPIENT]], dataKey: FIXED_DATA_KEY });
        await same(e.text, "dotenv", FIXED_DATA_KEY, e.text);
        const b = await encryptText(bytes, { format: "binary", groups: [[FAKE_RECIPIENT]], dataKey: FIXED_DATA_KEY });
        await same(b.text, "binary", FIXED_DATA_KEY, b.text);
      }),
      { numRuns: RUNS },
    );
  });

  it("for sops's fixtures", async () => {
    const keys = manifestKeys();
    const formats: Record<string, FormatName> = { yaml: "yaml", json: "json", env: "dotenv", ini: "ini", txt: "binary" };
    let n = 0;
    for (const f of readdirSync(FIXTURES)) {
      const m = /\.enc\.(\w+)$/.exec(f);
      const k = keys.get(f);
      const format = m ? formats[m[1]!] : undefined;
      if (!k || !format) continue;
      await same(fixture(f), format, k.dataKey, f);
      n++;
    }
    expect(n).toBeGreaterThan(5);
  });
});

describe("rotateText", () => {
  it("gives a new data key and the same plaintext, for a file the lean path reads", async () => {
    const key = await generateAgeKeyFile();
    const plain = "a: 1\nb:\n    c: x\n    d:\n        - z\n        - k: v\n";
    const { text } = await encryptText(plain, { format: "yaml", groups: [[ageRecipient(key.recipient)]] });
    const keyring = new Keyring({ env: { SOPS_AGE_KEY: key.identity } });
    const rotated = await rotateText(text, { format: "yaml", keyring, env: {}, warn: () => {} });
    expect(rotated.text).not.toBe(text);
    expect(rotated.text).toContain(key.recipient);
    expect((await decryptText(rotated.text, { format: "yaml", keyring })).text).toBe(plain);
    // A new data key: no value keeps its ciphertext.
    for (const enc of text.match(/ENC\[[^\]]+\]/g)!) expect(rotated.text).not.toContain(enc);
  });
});
