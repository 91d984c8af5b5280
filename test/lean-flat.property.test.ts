// The lean JSON and dotenv paths (issue 20, memory) against the full path they replace: for
// generated documents and every JSON/dotenv sops fixture, the lean decrypt (formats/json-lean.ts,
// dotenv-lean.ts through core/lean.ts) and the lean encrypt (through core/lean-encrypt.ts, with a
// fixed data key and fixed IVs) give byte-identical output to parseDocument → decryptDocument /
// encryptDocument → toString(), the same error codes through decryptText/encryptText, and decline
// (the full path then runs) what they do not handle.
import fc from "fast-check";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decryptDocument, encryptDocument } from "../src/core/document.js";
import { decryptLean } from "../src/core/lean.js";
import { decryptText, encryptText, parseDocument } from "../src/lib/files.js";
import { openLean } from "../src/lib/lean.js";
import { encryptLeanText } from "../src/lib/lean-encrypt.js";
import { isHushError } from "../src/errors.js";
import type { SelectionRules } from "../src/model/metadata.js";
import { FIXTURES, fixture, manifestKeys } from "./helpers.js";
import { FIXED_DATA_KEY, fixedEncryptOptions, fixedEncryptTextOptions } from "./support/fixed-encrypt.js";
import { importNodeDotenv, readAlikeBySopsAndNode } from "../src/formats/dotenv-node.js";

const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);
const DATA_KEY = FIXED_DATA_KEY;
type Flat = "json" | "dotenv";

type Outcome = { ok: true; out: string } | { ok: false; code: string };

async function outcome(f: () => Promise<string | Uint8Array>): Promise<Outcome> {
  try {
    const r = await f();
    return { ok: true, out: typeof r === "string" ? r : Buffer.from(r).toString("latin1") };
  } catch (e) {
    if (!isHushError(e)) throw e;
    return { ok: false, code: e.code };
  }
}

const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

/** The full path's decrypt output (as UTF-8 bytes in a latin1 string) or error code. */
function fullDecrypt(text: string, format: Flat, ignoreMac = false): Promise<Outcome> {
  return outcome(async () => {
    const doc = parseDocument(text, format);
    await decryptDocument(doc, { dataKey: DATA_KEY, stash: false, ...(ignoreMac ? { ignoreMac } : {}) });
    return bytes(doc.toString());
  });
}

/** The lean decrypt alone: its output, or null when it declines. */
function leanDecrypt(text: string, format: Flat, ignoreMac = false): string | null {
  const lean = openLean(text, format);
  if (!lean) return null;
  const out = decryptLean(lean.doc, { dataKey: Buffer.from(DATA_KEY), metadata: lean.metadata, ...(ignoreMac ? { ignoreMac } : {}) });
  if (out === null) return null;
  return typeof out === "string" ? bytes(out) : Buffer.from(out).toString("latin1");
}

function fullEncrypt(text: string, format: Flat, rules: SelectionRules | undefined, moe: boolean, indent?: number): Promise<Outcome> {
  return outcome(async () => {
    const doc = parseDocument(text, format, indent);
    await encryptDocument(doc, fixedEncryptOptions(rules, moe));
    return bytes(doc.toString());
  });
}

async function leanEncrypt(text: string, format: Flat, rules: SelectionRules | undefined, moe: boolean, indent?: number): Promise<string | null> {
  const r = await encryptLeanText(text, format, { ...fixedEncryptOptions(rules, moe), ...(indent === undefined ? {} : { indent }) });
  if (!r) return null;
  return typeof r.output === "string" ? bytes(r.output) : Buffer.from(r.output).toString("latin1");
}

/** encryptText's result (the seam: lean where it takes the text, else the full path). */
function seamEncrypt(text: string | Uint8Array, format: Flat, rules: SelectionRules | undefined, moe: boolean, indent?: number): Promise<Outcome> {
  return outcome(async () => {
    const r = await encryptText(text, fixedEncryptTextOptions(format, rules, moe, indent));
    return Buffer.from(r.bytes).toString("latin1");
  });
}

function seamDecrypt(text: string | Uint8Array, format: Flat, ignoreMac = false): Promise<Outcome> {
  return outcome(async () => (await decryptText(text, { format, dataKey: DATA_KEY, ...(ignoreMac ? { ignoreMac } : {}) })).bytes);
}

// ---- generators -----------------------------------------------------------------------------

const ws = fc.constantFrom("", "", " ", "\n", "\t", "  ", "\n  ", "\n\t\t");
const KEY_POOL = ["a", "b", "a_unencrypted", "x_u", "pass", "sops", "é", "<&>", "k:v", "", "b_enc", "\u2028", "😀"];

/** A JSON string literal for `s`, escaped in one of several ways (all valid JSON). */
const jsonLiteral = (s: string) =>
  fc.constantFrom(0, 1, 2).map((style) => {
    if (style === 0) return JSON.stringify(s);
    if (style === 1) return JSON.stringify(s).replace(/\//g, "\\/");
    // Every non-ASCII character and some ASCII as \u escapes.
    return `"${[...s].map((c) => (c === '"' || c === "\\" ? `\\${c}` : c.charCodeAt(0) < 0x20 || c.charCodeAt(0) > 0x7e || c === "a" ? [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`).join("") : c)).join("")}"`;
  });

const stringValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.constantFrom("", "true", "1", "<b>&amp;</b>", "line\nbreak", "tab\tq\"uote\\", "\u2028\u2029", "\ud800", "ENC[AES256_GCM,data:", "x".repeat(40)),
);
const numberText = fc.oneof(
  fc.tuple(fc.boolean(), fc.constantFrom("0", "1", "7", "42", "9223372036854775807", "9223372036854775808", "12345678901234567890", "-0"), fc.constantFrom("", ".0", ".5", ".000001", ".25"), fc.constantFrom("", "e5", "E+2", "e-7", "e21", "e-400", "e400")).map(
    ([neg, int, frac, exp]) => `${neg && !int.startsWith("-") ? "-" : ""}${int}${frac}${exp}`,
  ),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
);

const jsonScalar: fc.Arbitrary<string> = fc.oneof(
  stringValue.chain(jsonLiteral),
  numberText,
  fc.constantFrom("true", "false", "null"),
);

const jsonKey = fc.oneof(fc.constantFrom(...KEY_POOL), fc.string({ maxLength: 6 })).chain(jsonLiteral);

const jsonValue: fc.Arbitrary<string> = fc.letrec<{ value: string; obj: string; arr: string }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, jsonScalar, tie("obj"), tie("arr")),
  obj: fc
    .array(fc.tuple(ws, jsonKey, ws, ws, tie("value"), ws), { maxLength: 4 })
    .chain((members) => ws.map((w) => (members.length === 0 ? `{${w}}` : `{${members.map(([a, k, b, c, v, d]) => `${a}${k}${b}:${c}${v}${d}`).join(",")}}`))),
  arr: fc
    .array(fc.tuple(ws, tie("value"), ws), { maxLength: 4 })
    .chain((items) => ws.map((w) => (items.length === 0 ? `[${w}]` : `[${items.map(([a, v, b]) => `${a}${v}${b}`).join(",")}]`))),
})).value;

/** A JSON document: an object at the top, top-level keys never `sops`. */
const jsonDoc = fc
  .tuple(
    ws,
    fc.array(fc.tuple(ws, fc.oneof(fc.constantFrom(...KEY_POOL.filter((k) => k !== "sops")), fc.string({ maxLength: 5 }).filter((k) => k !== "sops")).chain(jsonLiteral), ws, jsonValue, ws), { maxLength: 6 }),
    ws,
    fc.constantFrom("", "\n", "\n\n", " "),
    fc.constantFrom("\n\t", "\n    ", "\n  ", " ", "\n"),
  )
  .filter(([, members]) => members.every(([, k]) => JSON.parse(k) !== "sops"))
  .map(([lead, members, inner, trail, first]) =>
    members.length === 0
      ? `${lead}{${inner}}${trail}`
      : `${lead}{${first}${members.map(([a, k, b, v, c], i) => `${i === 0 ? "" : a}${k}${b}: ${v}${c}`).join(",")}${inner}}${trail}`,
  );

const dotenvLine = fc.oneof(
  fc.tuple(
    fc.oneof(fc.constantFrom("A", "B", "A_unencrypted", "export A", " A ", "x_u", "pass", "é", "k:v", "b_enc"), fc.stringMatching(/^[A-Za-z_ .:-]{1,6}$/)),
    fc.oneof(fc.stringMatching(/^[^\n]{0,12}$/), fc.constantFrom("", '"quoted"', "'single'", "a=b", "x\\ny", "#not a comment", "value # inline", "trail\r", "ENC[AES256_GCM,data:")),
  ).filter(([k]) => !k.startsWith("sops_") && !k.startsWith("#")).map(([k, v]) => `${k}=${v}`),
  fc.stringMatching(/^[^\n]{0,12}$/).map((c) => `#${c}`),
  fc.constant(""),
);
const dotenvDoc = fc.tuple(fc.array(dotenvLine, { maxLength: 8 }), fc.boolean()).map(([lines, nl]) => lines.join("\n") + (nl && lines.length > 0 ? "\n" : ""));

const rulesArb: fc.Arbitrary<SelectionRules | undefined> = fc.constantFrom(
  undefined,
  { unencrypted_suffix: "_u" },
  { encrypted_suffix: "_enc" },
  { unencrypted_regex: "^a" },
  { encrypted_regex: "^(pass|b)" },
  { encrypted_comment_regex: "keep" },
  { unencrypted_comment_regex: "open" },
);

// ---- properties -------------------------------------------------------------------------------

describe("lean encrypt gives the full path's bytes", () => {
  for (const [format, doc] of [
    ["json", jsonDoc],
    ["dotenv", dotenvDoc],
  ] as const) {
    it(`for generated ${format} documents, rules and mac_only_encrypted`, async () => {
      let handled = 0;
      await fc.assert(
        fc.asyncProperty(doc, rulesArb, fc.boolean(), fc.constantFrom(undefined, undefined, -1, 0, 2, 4), async (text, rules, moe, indent) => {
          const full = await fullEncrypt(text, format, rules, moe, indent);
          const lean = await leanEncrypt(text, format, rules, moe, indent).catch(() => null);
          if (lean !== null) {
            handled++;
            expect(full).toEqual({ ok: true, out: lean });
          }
          // Through the seam, whichever path runs: the same output or error code, from text or bytes.
          expect(await seamEncrypt(text, format, rules, moe, indent)).toEqual(full);
          expect(await seamEncrypt(Buffer.from(text), format, rules, moe, indent)).toEqual(full);
        }),
        { numRuns: RUNS },
      );
      // The generators stay mostly inside what the lean path handles.
      expect(handled).toBeGreaterThan(RUNS / 2);
    });
  }
});

/** Re-lays out the `,"sops": …` member hush wrote (JSON whitespace is free; the MAC does not cover it). */
function relayout(enc: string, before: string, colon: string, after: string): string {
  return enc.replace(/,\n\s*"sops": /, `,${before}"sops"${colon}:${after}`).replace(/\n(\s*)\}(\n?)$/, `${after}}$2`);
}

describe("lean decrypt gives the full path's bytes", () => {
  it("for generated JSON documents, sops member layouts and tampering", async () => {
    let handled = 0;
    let eligible = 0;
    await fc.assert(
      fc.asyncProperty(jsonDoc, rulesArb, fc.boolean(), ws, ws, ws, fc.nat(), fc.constantFrom("none", "value", "mac", "ignore"), async (text, rules, moe, b, c, a, at, tamper) => {
        const encrypted = await fullEncrypt(text, "json", rules, moe);
        if (!encrypted.ok) return;
        let enc = Buffer.from(encrypted.out, "latin1").toString("utf8");
        enc = relayout(enc, b, c, a);
        if (tamper === "value" || tamper === "ignore") {
          // Change one character of one value's ciphertext, or of a plain value.
          const m = [...enc.matchAll(/data:([A-Za-z0-9+/]{2})/g)];
          const hit = m.length > 0 ? m[at % m.length]! : undefined;
          if (hit) enc = enc.slice(0, hit.index! + 5) + (hit[1]![0] === "A" ? "B" : "A") + enc.slice(hit.index! + 6);
        } else if (tamper === "mac") enc = enc.replace(/"mac": "ENC\[AES256_GCM,data:./, (s) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A"));
        const ignoreMac = tamper === "ignore";
        const full = await fullDecrypt(enc, "json", ignoreMac);
        const lean = leanDecrypt(enc, "json", ignoreMac);
        // Untampered, a member besides sops, no comment rule (core/lean.ts declines those): the lean path's.
        if (full.ok && tamper === "none" && !/^\s*\{\s*\}\s*$/.test(text) && !rules?.encrypted_comment_regex && !rules?.unencrypted_comment_regex) {
          eligible++;
          expect(lean).not.toBeNull();
        }
        if (lean !== null) {
          handled++;
          expect(full).toEqual({ ok: true, out: lean });
        }
        expect(await seamDecrypt(enc, "json", ignoreMac)).toEqual(full);
        expect(await seamDecrypt(Buffer.from(enc), "json", ignoreMac)).toEqual(full);
      }),
      { numRuns: RUNS },
    );
    expect(eligible).toBeGreaterThan(RUNS / 30); // the generator is not vacuous (about a sixth of the runs are eligible; a tenth flaked)
    expect(handled).toBeGreaterThanOrEqual(eligible);
  });

  it("for generated dotenv documents and tampering", async () => {
    let handled = 0;
    let eligible = 0;
    await fc.assert(
      fc.asyncProperty(dotenvDoc, rulesArb, fc.boolean(), fc.nat(), fc.constantFrom("none", "value", "mac", "ignore"), async (text, rules, moe, at, tamper) => {
        const encrypted = await fullEncrypt(text, "dotenv", rules, moe);
        if (!encrypted.ok) return;
        let enc = Buffer.from(encrypted.out, "latin1").toString("utf8");
        if (tamper === "value" || tamper === "ignore") {
          const m = [...enc.matchAll(/data:([A-Za-z0-9+/]{2})/g)];
          const hit = m.length > 0 ? m[at % m.length]! : undefined;
          if (hit) enc = enc.slice(0, hit.index! + 5) + (hit[1]![0] === "A" ? "B" : "A") + enc.slice(hit.index! + 6);
        } else if (tamper === "mac") enc = enc.replace(/sops_mac=ENC\[AES256_GCM,data:./, (s) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A"));
        const ignoreMac = tamper === "ignore";
        const full = await fullDecrypt(enc, "dotenv", ignoreMac);
        const lean = leanDecrypt(enc, "dotenv", ignoreMac);
        // Untampered, no comment rule: the lean path's (encrypted comments included).
        if (full.ok && tamper === "none" && !rules?.encrypted_comment_regex && !rules?.unencrypted_comment_regex) {
          eligible++;
          expect(lean).not.toBeNull();
        }
        if (lean !== null) {
          handled++;
          expect(full).toEqual({ ok: true, out: lean });
        }
        expect(await seamDecrypt(enc, "dotenv", ignoreMac)).toEqual(full);
        expect(await seamDecrypt(Buffer.from(enc), "dotenv", ignoreMac)).toEqual(full);
      }),
      { numRuns: RUNS },
    );
    expect(eligible).toBeGreaterThan(RUNS / 30); // the generator is not vacuous (about a sixth of the runs are eligible; a tenth flaked)
    expect(handled).toBeGreaterThanOrEqual(eligible);
  });

  it("never returns plaintext for a file whose MAC does not match", async () => {
    const enc = Buffer.from(((await fullEncrypt('{"a": "secret", "b_unencrypted": 1}', "json", undefined, false)) as { out: string }).out, "latin1").toString();
    const tampered = enc.replace('"b_unencrypted": 1', '"b_unencrypted": 2');
    expect(tampered).not.toBe(enc);
    expect(leanDecrypt(tampered, "json")).toBeNull();
    expect(await seamDecrypt(tampered, "json")).toEqual({ ok: false, code: "MAC_MISMATCH" });
  });
});

describe("what the lean path leaves to the full path", () => {
  const cases: [Flat, string][] = [
    ["json", '{"a": 1}\r\n'], // CRLF
    ["json", '\ufeff{"a": 1}'], // BOM
    ["json", '{"a": 1,}'], // not JSON
    ["json", '[1, 2]'], // not an object
    ["json", '{"a": 1} x'],
    ["json", `{"a": ${"[".repeat(500)}${"]".repeat(500)}}`], // deep
    ["dotenv", "A=1\nnot an entry\n"],
    ["dotenv", "A=1\n  # indented comment\n"],
  ];
  for (const [format, text] of cases) {
    it(`${format} ${JSON.stringify(text.slice(0, 24))}`, async () => {
      expect(await leanEncrypt(text, format, undefined, false)).toBeNull();
      expect(await seamEncrypt(text, format, undefined, false)).toEqual(await fullEncrypt(text, format, undefined, false));
    });
  }

  it("an encrypted file given to encrypt (ALREADY_ENCRYPTED) and a sops member not last", async () => {
    for (const format of ["json", "dotenv"] as const) {
      const enc = Buffer.from(((await fullEncrypt(format === "json" ? '{"a": "x"}' : "A=x\n", format, undefined, false)) as { out: string }).out, "latin1").toString();
      expect(await leanEncrypt(enc, format, undefined, false)).toBeNull();
      expect(await seamEncrypt(enc, format, undefined, false)).toEqual({ ok: false, code: "ALREADY_ENCRYPTED" });
    }
    const enc = Buffer.from(((await fullEncrypt('{"a": "x", "b": 2}', "json", undefined, false)) as { out: string }).out, "latin1").toString();
    // The sops member moved first: still a valid file, taken by the full path.
    const at = enc.indexOf(',\n\t"sops": ');
    const moved = `{"sops": ${enc.slice(at + 10, enc.lastIndexOf("}"))},${enc.slice(1, at)}}\n`;
    expect(openLean(moved, "json")).toBeNull();
    expect(await seamDecrypt(moved, "json")).toEqual(await fullDecrypt(moved, "json"));
    expect((await seamDecrypt(moved, "json")).ok).toBe(true);
  });

  it("bytes that are not UTF-8, and strings with a lone surrogate", async () => {
    for (const format of ["json", "dotenv"] as const) {
      const plain = format === "json" ? Buffer.from('{"a": "x\xff", "b_unencrypted": "\xfe"}\n', "latin1") : Buffer.from("A=x\xff\nB_unencrypted=\xfe\n", "latin1");
      expect(await leanEncrypt(plain as unknown as string, format, undefined, false)).toBeNull();
      const full = await fullEncrypt(plain.toString("utf8"), format, undefined, false);
      expect(full.ok).toBe(true);
      expect(await seamEncrypt(plain, format, undefined, false)).toEqual(full);
      // An encrypted file whose clear value holds a byte that is not UTF-8.
      const enc = Buffer.from((full as { out: string }).out, "latin1");
      const bad = Buffer.from(enc.toString("latin1").replace("\xef\xbf\xbd", "\xfe"), "latin1");
      expect(openLean(bad, format)).toBeNull();
      expect(await seamDecrypt(bad, format)).toEqual(await fullDecrypt(bad.toString("utf8"), format));
      const lone = format === "json" ? '{"a": "x\ud800"}' : "A=x\ud800\n";
      expect(await leanEncrypt(lone, format, undefined, false)).toBeNull();
      expect(await seamEncrypt(lone, format, undefined, false)).toEqual(await fullEncrypt(lone, format, undefined, false));
    }
  });

  it("a dotenv file with an encrypted comment: decrypted; one that does not decrypt is left to the full path", async () => {
    const enc = Buffer.from(((await fullEncrypt("#note\nA=x\n#tail\n", "dotenv", undefined, false)) as { out: string }).out, "latin1").toString();
    expect(enc).toMatch(/^#ENC\[/);
    expect(leanDecrypt(enc, "dotenv")).toBe("#note\nA=x\n#tail\n");
    // A comment copied from elsewhere (outside the MAC): the full path keeps it and warns.
    const other = enc.replace(/^#ENC\[AES256_GCM,data:./, (s) => s.slice(0, -1) + (s.endsWith("A") ? "B" : "A"));
    expect(leanDecrypt(other, "dotenv")).toBeNull();
    const full = await fullDecrypt(other, "dotenv");
    expect(full.ok).toBe(true);
    expect(await seamDecrypt(other, "dotenv")).toEqual(full);
  });
});

describe("the sops fixtures", () => {
  const KEYS = manifestKeys();
  const files = readdirSync(FIXTURES).filter((f) => /\.enc\.(json|env)$/.test(f));
  it("finds them", () => expect(files.length).toBeGreaterThanOrEqual(4));
  for (const file of files) {
    it(`${file}: lean decrypt = full decrypt`, async () => {
      const keys = KEYS.get(file);
      expect(keys).toBeDefined();
      const format: Flat = file.endsWith(".json") ? "json" : "dotenv";
      const text = fixture(file);
      const lean = openLean(text, format);
      const full = await outcome(async () => {
        const doc = parseDocument(text, format);
        await decryptDocument(doc, { dataKey: keys!.dataKey, stash: false });
        return bytes(doc.toString());
      });
      expect(full.ok).toBe(true);
      if (lean) {
        const out = decryptLean(lean.doc, { dataKey: Buffer.from(keys!.dataKey), metadata: lean.metadata });
        if (format === "json") expect(out).not.toBeNull(); // every JSON fixture is in the lean subset
        if (out !== null) expect(Buffer.from(out).toString("latin1")).toBe((full as { out: string }).out);
      }
      const seam = await outcome(async () => (await decryptText(text, { format, dataKey: keys!.dataKey })).bytes);
      expect(seam).toEqual(full);
    });
  }
});

describe("the dotenv note's quick check (encrypt of a large dotenv file)", () => {
  it("says 'read alike' only when importNodeDotenv reports no change", () => {
    const line = fc.oneof(
      fc.tuple(fc.stringMatching(/^[\w.\- ]{0,5}$/), fc.stringMatching(/^[^\n]{0,10}$/)).map(([k, v]) => `${k}=${v}`),
      fc.constantFrom("", "#c", "# x=1", "A=1", "A=1", "B=x y", "C= x", "D=x ", "E='q'", 'F="a\\nb"', "G=a#b", "export H=1", "I:1", "J=\u00a0x", "K=x\\ny", "L=`x`", "M="),
      fc.stringMatching(/^[^\n]{0,8}$/),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), (lines, nl) => {
        const text = lines.join("\n") + (nl ? "\n" : "");
        if (readAlikeBySopsAndNode(text)) expect(importNodeDotenv(text).changes).toEqual([]);
      }),
      { numRuns: RUNS * 10 },
    );
    expect(readAlikeBySopsAndNode("A=1\n#c\n\nB=two words\n")).toBe(true);
    expect(readAlikeBySopsAndNode("A=1\nA=2\n")).toBe(false);
  });
});
