// Only canonical base64 is accepted in an ENC[...] value's data, iv and tag (core/cipher.ts,
// strictBase64): any other spelling of the same bytes (unused low bits set before `=`, whitespace,
// `-_`, missing or extra padding) must not decrypt, or a changed file could go unnoticed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptValue, encryptValue } from "../src/core/cipher.js";

const KEY = new Uint8Array(32).fill(7);
const AAD = "a:b:";
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 300);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\t*é";

/** An ENC value whose `field` is replaced by `f(field)`. */
function withField(enc: string, field: "data" | "iv" | "tag", f: (s: string) => string): string {
  return enc.replace(new RegExp(`(${field}:)([^,]*)`), (_m, p: string, v: string) => p + f(v));
}

describe("strict base64 in ENC values", () => {
  const text = "secret value, 26 bytes ok"; // a length whose base64 ends in `=`
  const enc = encryptValue(KEY, { type: "str", text }, AAD, new Uint8Array(32).fill(1));

  it("the canonical value decrypts", () => {
    expect(decryptValue(KEY, enc, AAD).text).toBe(text);
  });

  it("a padded field with the unused low bits set does not decrypt (same bytes to a lax decoder)", () => {
    for (const field of ["data", "iv", "tag"] as const) {
      const changed = withField(enc, field, (v) => {
        const at = v.indexOf("=") - 1;
        if (at < 0) return v;
        // The next base64 character: the same decoded bytes, different unused bits.
        const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        return v.slice(0, at) + alphabet[alphabet.indexOf(v[at]!) + 1] + v.slice(at + 1);
      });
      if (changed !== enc) expect(() => decryptValue(KEY, changed, AAD)).toThrow(/malformed|authentication/);
    }
  });

  it("any other change to a field does not decrypt", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("data" as const, "iv" as const, "tag" as const),
        fc.nat(),
        fc.constantFrom(...ALPHABET),
        fc.constantFrom("insert", "delete", "replace"),
        (field, pos, c, op) => {
          const changed = withField(enc, field, (v) => {
            const p = pos % (v.length + 1);
            return op === "insert" ? v.slice(0, p) + c + v.slice(p) : op === "delete" ? v.slice(0, p) + v.slice(p + 1) : v.slice(0, p) + c + v.slice(p + 1);
          });
          if (changed === enc) return;
          expect(() => decryptValue(KEY, changed, AAD)).toThrow(/malformed|authentication|format/);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
