// The lean YAML decrypt (formats/yaml-lean.ts + core/lean.ts, issue 20) against the full path
// (parse, decryptDocument, toString): byte-identical output, or the same error, over generated
// documents and every YAML fixture; and the lean path declines (null) what it does not handle.
import fc from "fast-check";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decryptLean } from "../src/core/lean.js";
import { decryptDocument } from "../src/core/document.js";
import { emitTrees } from "../src/formats/index.js";
import { decryptText, encryptText, parseDocument } from "../src/lib/files.js";
import { openLean } from "../src/lib/lean.js";
import { FAKE_RECIPIENT } from "./support/arbitraries.js";
import { secretsView, yamlDocuments } from "./support/lean-view.js";
import { FIXTURES, fixture, manifestKeys } from "./helpers.js";
import { FIXED_DATA_KEY, fixedEncryptOptions, fixedEncryptTextOptions } from "./support/fixed-encrypt.js";
import { sealDocument } from "../src/core/sealed.js";
import { sealLean } from "../src/core/sealed-lean.js";
import { load, Secrets } from "../src/lib/load.js";
import { encryptDocument } from "../src/core/document.js";
import { encryptLeanText } from "../src/lib/lean-encrypt.js";
import { plainBytes } from "../src/formats/yaml-lean.js";
import type { SelectionRules } from "../src/model/metadata.js";

const DATA_KEY = FIXED_DATA_KEY;
const ENCRYPT = { format: "yaml", groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY } as const;
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 200);

/** The full path's output, or its error code. */
async function full(text: string, dataKey: Uint8Array, ignoreMac = false): Promise<string> {
  try {
    const doc = parseDocument(text, "yaml");
    await decryptDocument(doc, { dataKey: Uint8Array.from(dataKey), stash: false, ignoreMac });
    return doc.toString();
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

/** The lean path's output, null when it declines (or its unexpected error). */
function lean(text: string, dataKey: Uint8Array, ignoreMac = false): string | null {
  try {
    const opened = openLean(text, "yaml");
    if (!opened) return null;
    const out = decryptLean(opened.doc, { dataKey: Uint8Array.from(dataKey), metadata: opened.metadata, ignoreMac });
    return out === null || typeof out === "string" ? out : Buffer.from(out).toString("utf8");
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

/** What the library gives (lean or not), or its error code. */
async function lib(text: string, dataKey: Uint8Array, ignoreMac = false): Promise<string> {
  try {
    return (await decryptText(text, { format: "yaml", dataKey, ...(ignoreMac ? { ignoreMac } : {}) })).text;
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

const document = yamlDocuments(
  ["", "yes", "no", "~", "null", "0x1F", "007", "1e3", "-", "#", "a # b", "it's", 'say "hi"', "\\", "ENC[x]", "2001-12-14", "ü ß", "😀"],
  20,
);

/** Edits made to the encrypted text: comments and blank lines (outside the MAC), tampering. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant("comment" as const), at: fc.nat(), indent: fc.nat({ max: 8 }), text: fc.constantFrom("", " note", "#", " ENC[AES256_GCM,data:x]", "ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:comment]", " é") }),
  fc.record({ kind: fc.constant("blank" as const), at: fc.nat(), indent: fc.nat({ max: 4 }) }),
  fc.record({ kind: fc.constant("trailing" as const), at: fc.nat(), text: fc.constantFrom(" # c", " #", "  # ENC[x]") }),
  fc.record({ kind: fc.constant("tamper" as const), at: fc.nat() }),
);

function applyEdits(text: string, edits: readonly fc.Arbitrary<unknown>[] | readonly { kind: string; at: number; indent?: number; text?: string }[]): string {
  const lines = text.split("\n");
  const sops = lines.indexOf("sops:");
  for (const e of edits as { kind: string; at: number; indent?: number; text?: string }[]) {
    const limit = Math.max(1, sops === -1 ? lines.length - 1 : sops);
    const i = e.at % limit;
    if (e.kind === "comment") lines.splice(i, 0, `${" ".repeat(e.indent!)}#${e.text}`);
    else if (e.kind === "blank") lines.splice(i, 0, " ".repeat(e.indent!));
    else if (e.kind === "trailing" && lines[i] !== undefined && lines[i] !== "") lines[i] += e.text;
    else if (e.kind === "tamper") {
      // Change one base64 character of a ciphertext (a value's, or the MAC's).
      const enc = lines.map((l, n) => ({ l, n })).filter(({ l }) => l.includes("ENC[AES256_GCM,data:"));
      if (enc.length === 0) continue;
      const { l, n } = enc[e.at % enc.length]!;
      const p = l.indexOf("data:") + 5;
      lines[n] = l.slice(0, p) + (l[p] === "A" ? "B" : "A") + l.slice(p + 1);
    }
  }
  return lines.join("\n");
}

describe("the lean YAML decrypt gives the full path's output", () => {
  it("for generated documents, with comments, blank lines and tampering", async () => {
    let handled = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(document, fc.array(edit, { maxLength: 4 }), fc.boolean(), async (t, edits, ignoreMac) => {
        const enc = await encryptText(emitTrees("yaml", [t]), ENCRYPT);
        const text = applyEdits(enc.text, edits);
        const want = await full(text, DATA_KEY, ignoreMac);
        const got = lean(text, DATA_KEY, ignoreMac);
        runs++;
        if (got !== null) {
          handled++;
          expect(got).toBe(want);
        }
        expect(await lib(text, DATA_KEY, ignoreMac)).toBe(want);
      }),
      { numRuns: RUNS },
    );
    // Most generated documents are in the subset: the property is not vacuous.
    expect(handled).toBeGreaterThan(runs / 6);
  });

  it("for generated documents with comments the full path encrypted, in place or moved about", async () => {
    let handled = 0;
    let commented = 0;
    const comment = fc.record({ at: fc.nat(), indent: fc.constantFrom(0, 0, 0, 2, 4), text: fc.constantFrom(" note", " é ü", " x: y", "", " #") });
    await fc.assert(
      fc.asyncProperty(document, fc.array(comment, { minLength: 1, maxLength: 3 }), fc.option(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(0, 2))), async (t, comments, move) => {
        const lines = emitTrees("yaml", [t]).split("\n");
        for (const c of comments) lines.splice(c.at % lines.length, 0, `${" ".repeat(c.indent)}#${c.text}`);
        let text: string;
        try {
          text = (await encryptText(lines.join("\n"), ENCRYPT)).text;
        } catch {
          return; // a comment that made the plaintext something the full path refuses
        }
        if (move) {
          // Comments are outside the MAC: a writer without the key may move one anywhere.
          const enc = text.split("\n");
          const body = enc.findIndex((l) => l.startsWith("sops:"));
          const found = enc.map((l, n) => ({ l, n })).filter(({ l, n }) => n < body && l.trimStart().startsWith("#ENC["));
          if (found.length > 0) {
            const { l, n } = found[move[0] % found.length]!;
            enc.splice(n, 1);
            enc.splice(move[1] % body, 0, `${" ".repeat(move[2])}${l.trimStart()}`);
            text = enc.join("\n");
          }
        }
        if (/^#ENC\[/m.test(text)) commented++;
        const want = await full(text, DATA_KEY);
        const got = lean(text, DATA_KEY);
        if (got !== null) {
          handled++;
          expect(got).toBe(want);
        }
        expect(await lib(text, DATA_KEY)).toBe(want);
      }),
      { numRuns: RUNS },
    );
    // Column-0 encrypted comments are common here, and the lean path takes many of those files.
    expect(commented).toBeGreaterThan(RUNS / 10);
    expect(handled).toBeGreaterThan(RUNS / 20);
  });

  it("for sops's YAML fixtures", async () => {
    const keys = manifestKeys();
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".enc.yaml"));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const k = keys.get(f);
      if (!k) continue;
      const text = fixture(f);
      for (const ignoreMac of [false, true]) {
        const want = await full(text, k.dataKey, ignoreMac);
        const got = lean(text, k.dataKey, ignoreMac);
        if (got !== null) expect(got, f).toBe(want);
        expect(await lib(text, k.dataKey, ignoreMac), f).toBe(want);
      }
    }
  });
});

/** plainBytes as a loop over every byte (what it does above 64 KiB): the reference for its searches. */
function plainBytesLoop(b: Buffer): boolean {
  if (!Buffer.from(b.toString("utf8"), "utf8").equals(b)) return false; // not valid UTF-8
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if ((c < 0x20 && c !== 0x0a) || c === 0x7f) return false;
    if (c === 0xc2 && b[i + 1]! <= 0x9f) return false;
    if (c === 0xe2 && b[i + 1] === 0x80 && (b[i + 2] === 0xa8 || b[i + 2] === 0xa9)) return false;
    if (c === 0xef && ((b[i + 1] === 0xbb && b[i + 2] === 0xbf) || (b[i + 1] === 0xbf && (b[i + 2] === 0xbe || b[i + 2] === 0xbf)))) return false;
  }
  return true;
}

describe("plainBytes", () => {
  // Text made of the characters it decides on, and of others around them.
  const chars = fc.constantFrom("a", " ", "\n", "#", "\t", "\r", "\x00", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\xa0", "é", "\u2028", "\u2029", "\u2027", "\u202a", "\ufeff", "\ufffe", "\uffff", "\ufffd", "\ufeef", "€", "😀");
  const bytes = fc.oneof(
    fc.array(chars, { maxLength: 40 }).map((a) => Buffer.from(a.join(""), "utf8")),
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  );
  it("gives the byte loop's answer, small (searched) and large (looped)", () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.boolean(), (b, at, large) => {
        const text = large ? Buffer.concat([Buffer.alloc(70_000, "a"), b, Buffer.alloc(at % 5, "b")]) : b;
        expect(plainBytes(text)).toBe(plainBytesLoop(text));
        // Split at the boundary of the size it searches: the same answer either side.
        const edge = Buffer.concat([Buffer.alloc(64 * 1024 - (at % 8), "a"), b]);
        expect(plainBytes(edge)).toBe(plainBytesLoop(edge));
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe("the lean YAML decrypt", () => {
  const enc = (plain: string) => encryptText(plain, ENCRYPT).then((r) => r.text);

  it("handles sops's common layout", async () => {
    const text = await enc("a: 1\nb:\n    c: x\n    d:\n        - y\n        - k: v\n          z: 2\n");
    expect(lean(text, DATA_KEY)).toBe(await full(text, DATA_KEY));
  });

  it("declines what it does not handle, and the library still gives the full path's result", async () => {
    const cases = [
      "a: |\n    x\n    y\n", // a block scalar (a multi-line value)
      "a: &x v\nb: *x\n", // anchors and aliases
      "a: !!str 5\n", // tags
      "a_unencrypted: |-\n    x\n    y\n", // an unencrypted block scalar
      "a: 1\n---\nb: 2\n", // several documents
      "a:\n    # c\n    b: 1\n", // an encrypted comment inside a map (its path is the map's)
      "a: 1 # c\n", // an encrypted comment after a value
      "a:\n    b: 1\n# c\nd: 2\n", // a column-0 comment right after a nested block (which the full reader may give it to)
      "a_unencrypted:\n# c\n    b: 1\n", // a column-0 comment between a key and its block
    ];
    for (const plain of cases) {
      const text = await enc(plain);
      expect(lean(text, DATA_KEY), plain).toBeNull();
      expect(await lib(text, DATA_KEY), plain).toBe(await full(text, DATA_KEY));
    }
  });

  it("takes a whole-line encrypted comment at column 0 (the root's path, which the full path always tries)", async () => {
    const text = await enc("# service configuration\na: 1\n# between\nb: 2\n");
    expect(text).toMatch(/^#ENC\[AES256_GCM,/);
    const got = lean(text, DATA_KEY);
    expect(got).toBe("# service configuration\na: 1\n# between\nb: 2\n");
    expect(got).toBe(await full(text, DATA_KEY));
    // One encrypted under another path (moved there from inside `b`) does not decrypt under the
    // root's: declined, and the full path finds its path among the containers around it.
    const nested = await enc("a: 1\nb:\n    # inner\n    c: x\n");
    const inner = /^ {4}(#ENC\[.*)$/m.exec(nested)![1]!;
    const moved = nested.replace(/^ {4}#ENC\[.*\n/m, "").replace(/^a: /m, `${inner}\na: `);
    expect(lean(moved, DATA_KEY)).toBeNull();
    expect(await lib(moved, DATA_KEY)).toBe(await full(moved, DATA_KEY));
    // Moved below a list at column 0 (`a:` then `- x`), whose container would be the list there.
    const listed = await enc("# top\na:\n- x\nb: 1\n");
    const top = /^(#ENC\[.*)\n/.exec(listed)![1]!;
    const underList = listed.replace(`${top}\n`, "").replace(/^b: /m, `${top}\nb: `);
    expect(underList).toMatch(/^- ENC\[.*\n#ENC\[/m);
    expect(lean(underList, DATA_KEY)).toBeNull();
    expect(await lib(underList, DATA_KEY)).toBe(await full(underList, DATA_KEY));
    // A comment that does not decrypt at all: declined; the full path warns and keeps it.
    const broken = text.replace(/^#ENC\[AES256_GCM,data:./, (m) => m.slice(0, -1) + (m.endsWith("A") ? "B" : "A"));
    expect(lean(broken, DATA_KEY)).toBeNull();
    expect(await lib(broken, DATA_KEY)).toBe(await full(broken, DATA_KEY));
  });

  it("declines a duplicate key, a bad MAC and a value that does not decrypt (the full path reports them)", async () => {
    const text = await enc("a: 1\nb: 2\n");
    const dup = text.replace("b:", "a:");
    expect(lean(dup, DATA_KEY)).toBeNull();
    expect(await lib(dup, DATA_KEY)).toBe(await full(dup, DATA_KEY));
    const badMac = text.replace(/mac: ENC\[AES256_GCM,data:./, (m) => m.slice(0, -1) + (m.endsWith("A") ? "B" : "A"));
    expect(lean(badMac, DATA_KEY)).toBeNull();
    expect(await lib(badMac, DATA_KEY)).toBe("error MAC_MISMATCH");
    const wrongKey = Buffer.alloc(32, 9);
    expect(lean(text, wrongKey)).toBeNull();
    expect(await lib(text, wrongKey)).toBe(await full(text, wrongKey));
  });

  it("never returns output when the MAC does not match (no plaintext leaves)", async () => {
    const text = await enc("a: secret\nb: other\n");
    // Swap the two ciphertexts' lines: each decrypts under its own path only, so swap keys too.
    const swapped = text.replace(/^a: (.*)$/m, "a: $1").replace(/^(a: .*)\n(b: .*)$/m, "$2\n$1");
    expect(lean(swapped, DATA_KEY)).toBeNull();
    expect(await lib(swapped, DATA_KEY)).toBe("error MAC_MISMATCH");
  });
});

const view = (s: Secrets) => secretsView(s, false);

async function fullLoad(text: string, dataKey: Uint8Array, ignoreMac = false): Promise<unknown> {
  try {
    const sealed = await sealDocument(parseDocument(text, "yaml"), { dataKey, ignoreMac });
    return view(new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml"));
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

async function libLoad(text: string, dataKey: Uint8Array, ignoreMac = false): Promise<unknown> {
  try {
    return view(await load({ text, format: "yaml" }, { dataKey, ignoreMac }));
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

describe("the lean load() gives the full path's view", () => {
  it("for generated documents, with comments, blank lines and tampering", async () => {
    let handled = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(document, fc.array(edit, { maxLength: 3 }), fc.boolean(), async (t, edits, ignoreMac) => {
        const enc = await encryptText(emitTrees("yaml", [t]), ENCRYPT);
        const text = applyEdits(enc.text, edits);
        runs++;
        const opened = openLean(text, "yaml");
        const sealed = opened && sealLean(opened.doc, opened.metadata, Uint8Array.from(DATA_KEY), ignoreMac);
        const want = await fullLoad(text, DATA_KEY, ignoreMac);
        if (sealed) {
          handled++;
          expect(view(new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml"))).toEqual(want);
        }
        expect(await libLoad(text, DATA_KEY, ignoreMac)).toEqual(want);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
    expect(handled).toBeGreaterThan(runs / 6);
  });

  it("reads a value on demand, and nothing after dispose()", async () => {
    const text = (await encryptText("db:\n    password: hunter2\n    port: 5432\nlist:\n    - a\n    - k: v\n", ENCRYPT)).text;
    const opened = openLean(text, "yaml");
    expect(opened && sealLean(opened.doc, opened.metadata, Uint8Array.from(DATA_KEY), false)).not.toBeNull();
    const s = await load({ text, format: "yaml" }, { dataKey: DATA_KEY });
    expect(s.get("db.password")).toBe("hunter2");
    expect(s.get("db.port")).toBe(5432);
    expect(s.get("list[1].k")).toBe("v");
    expect(s.get(["db", "nope"])).toBeUndefined();
    s.dispose();
    expect(() => s.get("db.password")).toThrow(/disposed/);
  });

  it("takes a file's header comments, encrypted or not, with lists (before the first entry no list can hold them), not a comment after the root began", async () => {
    const body = "db:\n    password: hunter2\nlist:\n    - a\n    - b\n";
    const enc = (await encryptText(body, ENCRYPT)).text;
    const header = (await encryptText(`# service configuration\n${body}`, ENCRYPT)).text;
    expect(header).toMatch(/^#ENC\[/);
    for (const [text, taken] of [
      [`# service configuration\n\n  # indented\n${enc}`, true],
      [header, true], // encrypted by the full path: load() reads no comment
      [`#ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:comment]\n${enc}`, true], // one that does not decrypt: the same
      [header.replace("\nlist:\n", "\n#ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:comment]\nlist:\n"), false],
      [enc.replace("list:\n", "# between\nlist:\n"), false],
      [enc.replace(/(list:\n {4}- [^\n]*\n)/, "$1    # inside\n"), false],
    ] as const) {
      expect(text).toMatch(/#/);
      const opened = openLean(text, "yaml");
      const sealed = opened && sealLean(opened.doc, opened.metadata, Uint8Array.from(DATA_KEY), false);
      expect(sealed !== null, text.split("\n").slice(0, 6).join("|")).toBe(taken);
      if (sealed) expect(view(new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml"))).toEqual(await fullLoad(text, DATA_KEY));
      expect(await libLoad(text, DATA_KEY)).toEqual(await fullLoad(text, DATA_KEY));
    }
  });
});

// ---- encrypt ----------------------------------------------------------------------------------

const asText = (out: string | Uint8Array) => (typeof out === "string" ? out : Buffer.from(out).toString("utf8"));

async function fullEncrypt(text: string, rules: SelectionRules | undefined, moe: boolean, indent?: number): Promise<string> {
  try {
    const doc = parseDocument(text, "yaml", indent);
    await encryptDocument(doc, fixedEncryptOptions(rules, moe));
    return doc.toString();
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

async function leanEncrypt(text: string, rules: SelectionRules | undefined, moe: boolean, indent?: number): Promise<string | null> {
  const r = await encryptLeanText(text, "yaml", { ...fixedEncryptOptions(rules, moe), ...(indent === undefined ? {} : { indent }) });
  return r && asText(r.output);
}

async function seamEncrypt(text: string, rules: SelectionRules | undefined, moe: boolean, indent?: number): Promise<string> {
  try {
    const r = await encryptText(text, fixedEncryptTextOptions("yaml", rules, moe, indent));
    return r.text;
  } catch (e) {
    return `error ${(e as { code?: string }).code ?? String(e)}`;
  }
}

const rules = fc.constantFrom<SelectionRules | undefined>(undefined, { encrypted_regex: "^(a|db)$" }, { unencrypted_regex: "^é" }, { encrypted_suffix: "_unencrypted" }, { encrypted_comment_regex: "x" });
/** Edits to the plaintext: blank lines, a comment (declined), trailing spaces. */
const plainEdit = fc.oneof(
  fc.record({ kind: fc.constant("blank" as const), at: fc.nat(), indent: fc.nat({ max: 4 }) }),
  fc.record({ kind: fc.constant("comment" as const), at: fc.nat(), indent: fc.nat({ max: 4 }), text: fc.constant(" c") }),
  fc.record({ kind: fc.constant("trailing" as const), at: fc.nat(), text: fc.constantFrom("  ", " # c") }),
);

describe("the lean YAML encrypt gives the full path's output", () => {
  it("for generated documents, indentations, rules and edits", async () => {
    let handled = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(document, fc.constantFrom(2, 3, 4), fc.constantFrom(undefined, 2, 4), rules, fc.boolean(), fc.array(plainEdit, { maxLength: 3 }), async (t, step, indent, r, moe, edits) => {
        const lines = emitTrees("yaml", [t], step).split("\n");
        for (const e of edits) {
          const i = e.at % Math.max(1, lines.length - 1);
          if (e.kind === "blank") lines.splice(i, 0, " ".repeat(e.indent));
          else if (e.kind === "comment") lines.splice(i, 0, `${" ".repeat(e.indent)}#${e.text}`);
          else if (lines[i]) lines[i] += e.text;
        }
        const text = lines.join("\n");
        runs++;
        const want = await fullEncrypt(text, r, moe, indent);
        const got = await leanEncrypt(text, r, moe, indent);
        if (got !== null) {
          handled++;
          expect(got).toBe(want);
        }
        expect(await seamEncrypt(text, r, moe, indent)).toBe(want);
      }),
      { numRuns: RUNS },
    );
    expect(handled).toBeGreaterThan(runs / 6);
  });

  it("declines comments, an empty document and an encrypted one", async () => {
    for (const text of ["# c\na: 1\n", "a: 1 # c\n", "\n", "a: 1\nsops:\n    version: 3.9.0\n"]) {
      expect(await leanEncrypt(text, undefined, false), text).toBeNull();
      expect(await seamEncrypt(text, undefined, false), text).toBe(await fullEncrypt(text, undefined, false));
    }
  });
});
