// load() of a YAML file read in windows (formats/yaml-lean-stream.ts, with the index's compact
// store of decoded ciphertexts, formats/lean-index.ts; issue 20, memory) against the full path
// (parse, sealDocument) and against load() of the same text in memory (the earlier lean path):
// the same view (every get/has/getBuffer/keys/toEnv/toObject) or the same error code, over
// generated documents with comments, tampering and odd ciphertexts, small windows, and every
// YAML fixture; and it takes at least every document the earlier lean path took.
import fc from "fast-check";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { emitTrees } from "../src/formats/index.js";
import { decodeBase64 } from "../src/formats/lean-index.js";
import { yamlLeanStream } from "../src/formats/yaml-lean-stream.js";
import { readMetadata } from "../src/core/metadata.js";
import { sealDocument } from "../src/core/sealed.js";
import { sealLean } from "../src/core/sealed-lean.js";
import { encryptText, parseDocument } from "../src/lib/files.js";
import { openLean } from "../src/lib/lean.js";
import { load, Secrets } from "../src/lib/load.js";
import { FAKE_RECIPIENT } from "./support/arbitraries.js";
import { secretsView, yamlDocuments } from "./support/lean-view.js";
import { FIXTURES, fixture, manifestKeys, withTempDir } from "./helpers.js";
import { FIXED_DATA_KEY } from "./support/fixed-encrypt.js";

const DATA_KEY = FIXED_DATA_KEY;
const ENCRYPT = { format: "yaml", groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY } as const;
const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 200);

const view = (s: Secrets) => secretsView(s, true);

const errorOf = (e: unknown) => `error ${(e as { code?: string }).code ?? String(e)}`;

async function fullLoad(text: string, ignoreMac: boolean): Promise<unknown> {
  try {
    const sealed = await sealDocument(parseDocument(text, "yaml"), { dataKey: DATA_KEY, ignoreMac });
    return view(new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml"));
  } catch (e) {
    return errorOf(e);
  }
}

/** The streamed load alone, over `text` read in windows of `window` bytes; null when it declines. */
function streamLoad(text: string | Buffer, ignoreMac: boolean, window: number, dataKey: Uint8Array = DATA_KEY): unknown {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  const doc = yamlLeanStream(bytes.length, (buf, offset, length, position) => bytes.copy(buf, offset, position, position + length), window);
  if (!doc) return null;
  let metadata;
  try {
    metadata = readMetadata(doc.rawMetadata);
  } catch {
    return null;
  }
  const sealed = sealLean(doc, metadata, Uint8Array.from(dataKey), ignoreMac);
  return sealed && view(new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml"));
}

/** The windowed document over `text` in windows of `window` bytes, or null. */
function streamDoc(text: string, window: number) {
  const bytes = Buffer.from(text, "utf8");
  return yamlLeanStream(bytes.length, (buf, offset, length, position) => bytes.copy(buf, offset, position, position + length), window);
}

/** Whether the earlier lean load (the whole text in memory) takes the document. */
function oldLeanTakes(text: string, ignoreMac: boolean): boolean {
  const opened = openLean(text, "yaml");
  return !!opened && sealLean(opened.doc, opened.metadata, Uint8Array.from(DATA_KEY), ignoreMac) !== null;
}

async function libLoad(source: string | { text: string; format: "yaml" }, ignoreMac: boolean): Promise<unknown> {
  try {
    return view(await load(source, { dataKey: DATA_KEY, ignoreMac }));
  } catch (e) {
    return errorOf(e);
  }
}

const document = yamlDocuments(["", "yes", "~", "007", "1e3", "-", "a # b", "it's", "ENC[x]", "ENC[AES256_GCM,data:QQ==,iv:QQ==,tag:QQ==,type:str]", "2001-12-14", "😀"], 40);

/**
 * Edits of the encrypted text: comments and blank lines (outside the MAC), and tampering with a
 * ciphertext: one base64 character, the type, text after `]`, padding bits, a quoted ENC, the
 * MAC's line (which is one of the ENC lines), a swap of two values' lines.
 */
const edit = fc.record({
  kind: fc.constantFrom("comment", "blank", "tamper", "retype", "trail", "padbits", "quote", "swap", "drop"),
  at: fc.nat(),
  text: fc.constantFrom(" note", "#", " ENC[AES256_GCM,data:x]", " é"),
});

function applyEdit(text: string, e: { kind: string; at: number; text: string }): string {
  const lines = text.split("\n");
  const sops = lines.indexOf("sops:");
  const i = e.at % Math.max(1, sops === -1 ? lines.length - 1 : sops);
  const enc = lines.map((l, n) => ({ l, n })).filter(({ l }) => l.includes("ENC[AES256_GCM,data:"));
  const pick = enc.length === 0 ? undefined : enc[e.at % enc.length]!;
  switch (e.kind) {
    case "comment":
      lines.splice(i, 0, `#${e.text}`);
      break;
    case "blank":
      lines.splice(i, 0, "");
      break;
    case "tamper":
      if (pick) {
        const p = pick.l.indexOf("data:") + 5;
        lines[pick.n] = pick.l.slice(0, p) + (pick.l[p] === "A" ? "B" : "A") + pick.l.slice(p + 1);
      }
      break;
    case "retype":
      if (pick) lines[pick.n] = pick.l.replace(/type:(\w+)\]/, (_, t: string) => `type:${t === "str" ? "STR" : "str"}]`);
      break;
    case "trail":
      if (pick) lines[pick.n] = pick.l.replace(/\](\s*)$/, "]x$1");
      break;
    case "padbits":
      // A last base64 character before `=` whose unused bits are not zero (`Q==` → `R==`).
      if (pick) lines[pick.n] = pick.l.replace(/([A-Za-z0-9+/])(=+),/, (_, c: string, pad: string) => `${c === "R" ? "S" : "R"}${pad},`);
      break;
    case "quote":
      if (pick) lines[pick.n] = pick.l.replace(/(ENC\[[^\]]*\])/, "'$1'");
      break;
    case "swap": {
      const vals = enc.filter(({ n }) => n < (sops === -1 ? lines.length : sops));
      if (vals.length >= 2) {
        const a = vals[e.at % vals.length]!;
        const b = vals[(e.at + 1) % vals.length]!;
        const va = a.l.slice(a.l.indexOf("ENC["));
        const vb = b.l.slice(b.l.indexOf("ENC["));
        lines[a.n] = a.l.replace(va, vb);
        lines[b.n] = b.l.replace(vb, va);
      }
      break;
    }
    case "drop":
      if (sops > 0) lines.splice(i, 1);
      break;
  }
  return lines.join("\n");
}

describe("load() of a file read in windows gives the full path's view", () => {
  it("for generated documents, with comments, tampering and windows of any size", async () => {
    let handled = 0;
    let runs = 0;
    await withTempDir(async (dir) => {
      await fc.assert(
        fc.asyncProperty(document, fc.array(edit, { maxLength: 3 }), fc.boolean(), fc.integer({ min: 1, max: 400 }), async (t, edits, ignoreMac, window) => {
          const enc = await encryptText(emitTrees("yaml", [t]), ENCRYPT);
          const text = edits.reduce(applyEdit, enc.text);
          runs++;
          const want = await fullLoad(text, ignoreMac);
          const got = streamLoad(text, ignoreMac, window);
          if (got !== null) {
            handled++;
            expect(got).toEqual(want);
          } else if (!text.startsWith("sops:\n")) {
            // It declines nothing the earlier lean load took.
            expect(oldLeanTakes(text, ignoreMac)).toBe(false);
          }
          const path = join(dir, "s.enc.yaml");
          writeFileSync(path, text);
          expect(await libLoad(path, ignoreMac)).toEqual(want);
          expect(await libLoad({ text, format: "yaml" }, ignoreMac)).toEqual(want);
        }),
        { numRuns: RUNS },
      );
    });
    expect(handled).toBeGreaterThan(runs / 6);
  });

  it("finds a trailing comment in any window (the comment search starts again in each)", async () => {
    const plain = Array.from({ length: 12 }, (_, i) => `k${i}: value-${i}\n`).join("");
    const enc = (await encryptText(plain, ENCRYPT)).text;
    // Comments on the later values only, with a `]` (a ciphertext read up to it would not decrypt).
    const text = enc.replace(/^(k(?:9|10|11): ENC\[[^\n]*)$/gm, "$1 # see [c]");
    expect(text).toMatch(/ # see \[c\]\n/);
    const want = await fullLoad(text, false);
    let handled = 0;
    for (let window = 40; window <= 700; window += 3) {
      const got = streamLoad(text, false, window);
      if (got !== null) {
        handled++;
        expect(got, `window ${window}`).toEqual(want);
      }
    }
    expect(handled).toBeGreaterThan(100);
  });

  it("for sops's YAML fixtures, from their files", async () => {
    const keys = manifestKeys();
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".enc.yaml"));
    expect(files.length).toBeGreaterThan(3);
    let handled = 0;
    let oldHandled = 0;
    for (const f of files) {
      const k = keys.get(f);
      if (!k) continue;
      const text = fixture(f);
      for (const ignoreMac of [false, true]) {
        const opened = openLean(text, "yaml");
        if (opened && sealLean(opened.doc, opened.metadata, Uint8Array.from(k.dataKey), ignoreMac)) oldHandled += 3;
        let want: unknown;
        try {
          const sealed = await sealDocument(parseDocument(text, "yaml"), { dataKey: k.dataKey, ignoreMac });
          want = view(new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml"));
        } catch (e) {
          want = errorOf(e);
        }
        for (const window of [64, 1000, 1 << 20]) {
          const got = streamLoad(text, ignoreMac, window, k.dataKey);
          if (got !== null) {
            handled++;
            expect(got, f).toEqual(want);
          }
        }
        let lib: unknown;
        try {
          lib = view(await load(join(FIXTURES, f), { dataKey: k.dataKey, ignoreMac }));
        } catch (e) {
          lib = errorOf(e);
        }
        expect(lib, f).toEqual(want);
      }
    }
    // (sops's fixtures have comments inside blocks: the lean paths leave most to the full reader)
    expect(handled).toBeGreaterThanOrEqual(oldHandled);
  });

  it("reads a file larger than its window, lines longer than it, and nothing of a file that changed", async () => {
    const plain = Array.from({ length: 300 }, (_, i) => `k${i}: ${"v".repeat(i % 7 === 0 ? 500 : 5)}${i}\n`).join("");
    const text = (await encryptText(plain, ENCRYPT)).text;
    const want = await fullLoad(text, false);
    expect(streamLoad(text, false, 100)).toEqual(want);
    // A file that shrinks between the checks and the walk: a short read declines.
    const bytes = Buffer.from(text);
    let shrunk = false;
    const doc = yamlLeanStream(bytes.length, (buf, offset, length, position) => (shrunk && position > 2000 ? 0 : bytes.copy(buf, offset, position, position + length)), 512);
    expect(doc).not.toBeNull();
    shrunk = true;
    expect(sealLean(doc!, readMetadata(doc!.rawMetadata), Uint8Array.from(DATA_KEY), false)).toBeNull();
  });
});

describe("load() of a file from 1 MiB on (read in windows; smaller files are read whole)", () => {
  it("gives the view of the same text loaded in memory, and a tampered value fails the same way", async () => {
    const plain = Array.from({ length: 6000 }, (_, i) => `k${i}: ${"s".repeat(100 + (i % 50))}-${i}\n`).join("");
    const text = (await encryptText(plain, ENCRYPT)).text;
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024 * 1024);
    await withTempDir(async (dir) => {
      const path = join(dir, "big.enc.yaml");
      writeFileSync(path, text);
      const want = await libLoad({ text, format: "yaml" }, false);
      expect(typeof want).toBe("object");
      expect(await libLoad(path, false)).toEqual(want);
      // One base64 character of a value in the middle changed (a writer without the key).
      const at = text.indexOf("k3000: ENC[AES256_GCM,data:") + "k3000: ENC[AES256_GCM,data:".length;
      const tampered = text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
      writeFileSync(path, tampered);
      const got = await libLoad(path, false);
      expect(got).toMatch(/^error /);
      expect(got).toEqual(await fullLoad(tampered, false));
    });
  });
});

describe("what the windowed load leaves to the whole-file path", () => {
  it("a file of 512 MiB or more before its sops block (more than the compact store holds)", async () => {
    const tail = Buffer.from((await encryptText("a: b\n", ENCRYPT)).text.replace(/^a: .*\n/, ""));
    expect(tail.subarray(0, 5).toString()).toBe("sops:");
    const line = Buffer.from("k: v\n");
    const prefix = 2 ** 29 + 1; // lines (ending in a newline) up to 512 MiB and one byte
    const size = prefix + tail.length;
    // A virtual file: `k: v` lines (the last one cut short: `k: v\nk\n`), then the sops block;
    // only the bytes asked for are made.
    const read = (buf: Buffer, offset: number, length: number, position: number) => {
      const lines = Math.min(length, Math.max(0, prefix - 2 - position));
      if (lines > 0) {
        const phase = position % line.length;
        buf.fill(Buffer.concat([line.subarray(phase), line.subarray(0, phase)]), offset, offset + lines);
      }
      for (let i = lines; i < length; i++) {
        const at = position + i;
        buf[offset + i] = at < prefix - 2 ? line[at % line.length]! : at < prefix ? "k\n".charCodeAt(at - prefix + 2) : tail[at - prefix]!;
      }
      return length;
    };
    expect(yamlLeanStream(size, read)).toBeNull();
  });

  it("a document with both a comment and a list, as soon as it has seen both (no value after is decrypted for it)", async () => {
    const plain = "l:\n  - x\n" + Array.from({ length: 50 }, (_, i) => `k${i}: v${i}\n`).join("");
    // A plain comment (outside the MAC: anyone can add one) after the list.
    const text = (await encryptText(plain, ENCRYPT)).text.replace(/^k0: /m, "# note\nk0: ");
    expect(text).toMatch(/^# note\nk0: ENC/m);
    for (const doc of [openLean(text, "yaml")!.doc, streamDoc(text, 64)!]) {
      let visits = 0;
      expect(doc.index!(() => void visits++)).toBeNull();
      expect(visits).toBeLessThan(5);
    }
    expect(await libLoad({ text, format: "yaml" }, false)).toEqual(await fullLoad(text, false));
  });
});

describe("decodeBase64 (the compact store's decoder)", () => {
  it("accepts exactly what encodes back to itself, and decodes it as Buffer does", () => {
    const chars = fc.constantFrom(..."ABCDQRSTgwxyz0189+/=-_ \n.".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 16 }), fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString("base64"))), (s) => {
        const src = Buffer.from(s, "latin1");
        const out = Buffer.alloc(16);
        const n = decodeBase64(src, 0, src.length, out, 0);
        const canonical = s.length > 0 && Buffer.from(s, "base64").toString("base64") === s;
        expect(n !== -1).toBe(canonical);
        if (canonical) expect(out.subarray(0, n)).toEqual(Buffer.from(s, "base64"));
      }),
      { numRuns: RUNS * 20 },
    );
  });
});
