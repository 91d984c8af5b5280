// Test vectors from SOPS-FORMAT.md (§3.6 cipher, §6.5 MAC, §9 Shamir), run by generic loops.
import { describe, expect, it } from "vitest";
import { decryptValue, encryptValue, parseEnc } from "../src/core/cipher.js";
import { canonicalLastModified, MacBuilder } from "../src/core/mac.js";
import { combine, split } from "../src/keys/shamir.js";
import type { PlainValue } from "../src/model/value.js";

const KEY = Buffer.alloc(32, 0x42);
const IV = Buffer.from([...Array(32).keys()]);

const CIPHER_VECTORS: [PlainValue, string, string][] = [
  [{ type: "str", text: "hello" }, "a:b:", "ENC[AES256_GCM,data:zi1wREw=,iv:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,tag:cmEidkqtGY8bmmaNyuHviQ==,type:str]"],
  [{ type: "bool", text: "True" }, "flags:", "ENC[AES256_GCM,data:8jppTQ==,iv:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,tag:oh8T2wp+WNMJYSLdhR2eww==,type:bool]"],
  [{ type: "comment", text: " a comment" }, ":", "ENC[AES256_GCM,data:hik8S0yVcb8t1Q==,iv:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,tag:7A41xjQuGhqk8YJdTd7plw==,type:comment]"],
];

describe("value cipher (SOPS-FORMAT §3.6)", () => {
  for (const [value, aad, enc] of CIPHER_VECTORS) {
    it(`encrypts ${JSON.stringify(value.text)} with AAD ${aad}`, () => {
      expect(encryptValue(KEY, value, aad, IV)).toBe(enc);
      expect(decryptValue(KEY, enc, aad)).toEqual(value);
    });
  }

  it("rejects the wrong additional data", () => {
    expect(() => decryptValue(KEY, CIPHER_VECTORS[0]![2], "a:c:")).toThrow(/failed authentication/);
  });

  it("parses with sops's greedy, start-anchored regex", () => {
    expect(parseEnc("ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]junk")).toEqual({ data: "a", iv: "b", tag: "c", type: "str" });
    expect(parseEnc("xENC[AES256_GCM,data:a,iv:b,tag:c,type:str]")).toBeNull();
  });

  it("normalises decrypted types as sops's ToBytes does", () => {
    const enc = (text: string, type: PlainValue["type"]) => encryptValue(KEY, { type, text }, "k:", IV);
    expect(decryptValue(KEY, enc("true", "bool"), "k:")).toEqual({ type: "bool", text: "True" });
    expect(decryptValue(KEY, enc("007", "int"), "k:")).toEqual({ type: "int", text: "7" });
    expect(decryptValue(KEY, enc("1.50", "float"), "k:")).toEqual({ type: "float", text: "1.5" });
    expect(() => decryptValue(KEY, enc("x", "int"), "k:")).toThrow(/not an integer/);
    expect(() => decryptValue(KEY, enc("x", "str").replace("type:str", "type:nope"), "k:")).toThrow(/unknown value type/);
  });
});

describe("MAC (SOPS-FORMAT §6.5)", () => {
  // {a: "hello", b: {c: 1, d: [true, 1.5]}, e_unencrypted: "x", f: null, g: ""}
  const leaves: [PlainValue, boolean][] = [
    [{ type: "str", text: "hello" }, true],
    [{ type: "int", text: "1" }, true],
    [{ type: "bool", text: "True" }, true],
    [{ type: "float", text: "1.5" }, true],
    [{ type: "str", text: "x" }, false],
    [{ type: "str", text: "" }, true],
  ];
  it("hashes every value's plaintext in order", () => {
    const m = new MacBuilder();
    for (const [v, e] of leaves) m.add(v, e);
    expect(m.digest()).toBe(
      "284127D0A99AD26E55B113EBECEFD98385411FA44E637003084C49B77228BC04926EF52423D8611B947ECE70B0EA8668AA84675FC5ADDFCD2AD83B92AEA1AA81",
    );
  });
  it("with mac_only_encrypted, prefixes SHA-256(sops) and skips clear values", () => {
    const m = new MacBuilder(true);
    for (const [v, e] of leaves) m.add(v, e);
    expect(m.digest()).toBe(
      "75E93D8348D17FA0F21886095CEE4E1B7384DE80619C43A9F9D36F4496B354F2DAAC3E99C1ABDA327367769673958501D48BFC4033A634FC0C091F2CB1F5AC03",
    );
  });
  it("stores the MAC encrypted with lastmodified as additional data", () => {
    const mac = "284127D0A99AD26E55B113EBECEFD98385411FA44E637003084C49B77228BC04926EF52423D8611B947ECE70B0EA8668AA84675FC5ADDFCD2AD83B92AEA1AA81";
    expect(encryptValue(KEY, { type: "str", text: mac }, "2026-01-02T03:04:05Z", IV)).toBe(
      "ENC[AES256_GCM,data:lHAoGRHPWOoCmE0fVUlhQ2UgMJdqInH6d0b2c5CULkoKi0whV+Mp/v1EdQjAMRd2ZHxMkB2CYQSL6/PSbOLvilKM5u+APpoJJPjqvcv47QB/pKninl72s3kpSK2MKuOvaE42eEH3XMoZEbvLCyC6UmerYZBdLcPcOBBe1CKFBcY=,iv:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,tag:SaW5izds1apZIdTv2X3PzA==,type:str]",
    );
  });
  it("canonicalises lastmodified as Go's RFC 3339 formatting", () => {
    expect(canonicalLastModified("2026-01-02T03:04:05.123456Z")).toBe("2026-01-02T03:04:05Z");
    expect(canonicalLastModified("2026-01-02T03:04:05+00:00")).toBe("2026-01-02T03:04:05Z");
    expect(canonicalLastModified("2026-01-02T03:04:05-00:00")).toBe("2026-01-02T03:04:05Z");
    expect(canonicalLastModified("2026-01-02T03:04:05+02:00")).toBe("2026-01-02T03:04:05+02:00");
    expect(canonicalLastModified("yesterday")).toBeUndefined();
  });
});

describe("Shamir (SOPS-FORMAT §9)", () => {
  const hex = (s: string) => Buffer.from(s, "hex");
  const shares = [
    hex("a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a501"),
    hex("515257545d5e5b58494a4f4c45464340616267646d6e6b68797a7f7c7576737002"),
    hex("f4f6f0f2fcfef8fae4e6e0e2eceee8ead4d6d0d2dcded8dac4c6c0c2cccec8ca03"),
  ];
  const secret = Buffer.from([...Array(32).keys()]);
  it("combines the spec's shares", () => {
    expect(Buffer.from(combine([shares[0]!, shares[2]!]))).toEqual(secret);
    expect(Buffer.from(combine([shares[1]!, shares[2]!]))).toEqual(secret);
    expect(Buffer.from(combine(shares))).toEqual(secret);
  });
  it("splits as sops does (coefficient 0xA5 ^ i reproduces the spec's shares)", () => {
    const out = split(secret, 3, 2, (n) => Buffer.from(Array.from({ length: n }, () => 0)));
    expect(out.map((s) => s[32])).toEqual([1, 2, 3]);
    let i = 0;
    const vec = split(secret, 3, 2, (n) => Buffer.from(Array.from({ length: n }, () => 0xa5 ^ i++)));
    expect(vec.map((s) => Buffer.from(s).toString("hex"))).toEqual(shares.map((s) => s.toString("hex")));
  });
  it("rejects duplicate shares and a single share", () => {
    expect(() => combine([shares[0]!, shares[0]!])).toThrow(/duplicate/);
    expect(() => combine([shares[0]!])).toThrow(/two/);
  });
});
