// bech32 as age uses it: the string decoder and the byte decoder (which reads age's upper-case
// identities from a buffer without making a string of them, issue 15) agree on every input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bech32Decode, bech32DecodeBytes, bech32Encode } from "../src/keys/bech32.js";

const hrp = fc.constantFrom("age", "age-secret-key-", "age-secret-key-pq-", "age1pq", "x");
const fromBytes = (s: string) => {
  const b = Buffer.from(`  ${s}  `, "utf8");
  return bech32DecodeBytes(b, 2, b.length - 2);
};

describe("bech32", () => {
  it("round trips, and the byte decoder reads the upper-case form as the string decoder the lower", () => {
    fc.assert(
      fc.property(hrp, fc.uint8Array({ maxLength: 64 }), (h, bytes) => {
        const s = bech32Encode(h, bytes);
        expect(bech32Decode(s)).toEqual({ hrp: h, bytes: Uint8Array.from(bytes) });
        expect(fromBytes(s.toUpperCase())).toEqual({ hrp: h, bytes: Uint8Array.from(bytes) });
        expect(fromBytes(s)).toEqual({ hrp: h, bytes: Uint8Array.from(bytes) });
      }),
    );
  });

  it("both decoders refuse the same corrupted strings", () => {
    fc.assert(
      fc.property(hrp, fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.constantFrom("q", "b", "1", "é", "Q", " "), (h, bytes, at, ch) => {
        const s = bech32Encode(h, bytes);
        const i = at % s.length;
        const bad = s.slice(0, i) + ch + s.slice(i + 1);
        const viaString = bech32Decode(bad);
        // The byte decoder lower-cases letters, so compare with the string decoder on that form.
        expect(fromBytes(bad)).toEqual(bech32Decode(bad.replace(/[A-Z]/g, (c) => c.toLowerCase())));
        if (bad !== s && !/[A-Z]/.test(bad)) expect(fromBytes(bad)).toEqual(viaString);
      }),
    );
  });
});
