// Integrity, exhaustively (issue 9, hardening): in one small encrypted file, every single-byte
// change to a value's ciphertext, IV or tag, to the MAC's, or to `lastmodified` is detected.
// Decryption then fails with a HushError (DECRYPT_TREE for a value, MAC_MISMATCH for the MAC and
// `lastmodified`; a `lastmodified` that is no longer a time at all is INVALID_METADATA, and one
// that breaks the YAML is PARSE); it never returns any plaintext, let alone a different one.
//
// Two levels: the text (every base64 character replaced by every other base64 character and a
// few that are not), and the bytes under the base64 (every byte replaced by every other value).
import { beforeAll, describe, expect, it } from "vitest";
import { HushError, type ErrorCode } from "../src/errors.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { FAKE_RECIPIENT } from "./support/arbitraries.js";

const PLAIN = "user: admin\nport: 5432\n";
const DATA_KEY = Buffer.alloc(32, 0x5a);
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** Replacements at the text level: the whole base64 alphabet, padding, and characters outside it. */
const REPLACEMENTS = [...B64, "=", "-", "_", "!", " ", "é"];

/** A span of the file's text: [start, end) and what it is. */
interface Span {
  readonly what: string;
  readonly start: number;
  readonly end: number;
  readonly field: "data" | "iv" | "tag" | "lastmodified";
}

let enc = "";
let spans: Span[] = [];

beforeAll(async () => {
  enc = (await encryptText(PLAIN, { format: "yaml", groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY, now: new Date("2026-01-02T03:04:05Z") })).text;
  // Every ENC[...] in file order: the two values, then the MAC (in the sops block).
  const re = /ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:(\w+)\]/g;
  const names = ["user", "port", "mac"];
  let i = 0;
  for (const m of enc.matchAll(re)) {
    let at = m.index + "ENC[AES256_GCM,data:".length;
    const name = names[i++]!;
    for (const [field, text] of [["data", m[1]!], ["iv", m[2]!], ["tag", m[3]!]] as const) {
      spans.push({ what: `${name} ${field}`, start: at, end: at + text.length, field });
      at += text.length + (field === "data" ? ",iv:".length : field === "iv" ? ",tag:".length : 0);
    }
  }
  expect(i).toBe(3);
  const lm = /lastmodified: "([^"]+)"/.exec(enc)!;
  const lmStart = lm.index + 'lastmodified: "'.length;
  spans.push({ what: "lastmodified", start: lmStart, end: lmStart + lm[1]!.length, field: "lastmodified" });
  spans = spans.filter((s) => s.end > s.start);
  // The untouched file decrypts.
  expect((await decryptText(enc, { format: "yaml", dataKey: DATA_KEY })).text).toBe(PLAIN);
});

/** The codes a change to this span may end in (a character YAML reads as syntax may also be PARSE). */
function allowed(span: Span, replacement: string): ErrorCode[] {
  if (span.field === "lastmodified") return ["MAC_MISMATCH", "INVALID_METADATA", "PARSE"];
  const codes: ErrorCode[] = span.what.startsWith("mac") ? ["MAC_MISMATCH"] : ["DECRYPT_TREE"];
  return B64.includes(replacement) || replacement === "=" ? codes : [...codes, "PARSE"];
}

/** Decrypts a tampered text; returns the error code, or fails the test if it decrypted. */
async function mustFail(text: string, span: Span, describe: string, replacement = "A"): Promise<ErrorCode> {
  let out: string | undefined;
  try {
    out = (await decryptText(text, { format: "yaml", dataKey: DATA_KEY })).text;
  } catch (e) {
    if (!(e instanceof HushError)) throw new Error(`${describe}: threw ${(e as Error).name}, not a HushError`, { cause: e });
    const ok = allowed(span, replacement);
    if (!ok.includes(e.code)) throw new Error(`${describe}: failed with ${e.code} (${e.message}), expected ${ok.join(" or ")}`);
    return e.code;
  }
  throw new Error(`${describe}: the change was NOT detected; decrypted to ${out === PLAIN ? "the same plaintext" : "a DIFFERENT plaintext"}`);
}

describe("every single-byte change is detected", () => {
  it("in the text: each base64 character of every data, iv and tag (values and MAC), replaced by each other character", async () => {
    let cases = 0;
    const seen = new Map<string, number>();
    for (const span of spans.filter((s) => s.field !== "lastmodified")) {
      for (let p = span.start; p < span.end; p++) {
        for (const c of REPLACEMENTS) {
          if (c === enc[p]) continue;
          const code = await mustFail(enc.slice(0, p) + c + enc.slice(p + 1), span, `${span.what}[${p - span.start}] ${JSON.stringify(enc[p])} → ${JSON.stringify(c)}`, c);
          seen.set(code, (seen.get(code) ?? 0) + 1);
          cases++;
        }
      }
    }
    // ~400 positions × ~70 characters.
    expect(cases).toBeGreaterThan(20_000);
    expect(seen.get("DECRYPT_TREE")).toBeGreaterThan(0);
    expect(seen.get("MAC_MISMATCH")).toBeGreaterThan(0);
  }, 120_000);

  it("in lastmodified: every character replaced by every printable ASCII character", async () => {
    const span = spans.find((s) => s.field === "lastmodified")!;
    let cases = 0;
    for (let p = span.start; p < span.end; p++) {
      for (let code = 0x20; code < 0x7f; code++) {
        const c = String.fromCharCode(code);
        if (c === enc[p]) continue;
        await mustFail(enc.slice(0, p) + c + enc.slice(p + 1), span, `lastmodified[${p - span.start}] ${JSON.stringify(enc[p])} → ${JSON.stringify(c)}`);
        cases++;
      }
    }
    expect(cases).toBe(20 * 94);
  }, 60_000);

  it("in the bytes: each byte of every ciphertext, IV and tag (values and MAC), set to each of its 255 other values", async () => {
    let cases = 0;
    for (const span of spans.filter((s) => s.field !== "lastmodified")) {
      const bytes = Buffer.from(enc.slice(span.start, span.end), "base64");
      for (let b = 0; b < bytes.length; b++) {
        for (let v = 0; v < 256; v++) {
          if (v === bytes[b]) continue;
          const changed = Buffer.from(bytes);
          changed[b] = v;
          const text = enc.slice(0, span.start) + changed.toString("base64") + enc.slice(span.end);
          await mustFail(text, span, `${span.what} byte ${b} ${bytes[b]} → ${v}`);
          cases++;
        }
      }
    }
    // (5 + 32 + 16) + (4 + 32 + 16) + (128 + 32 + 16) bytes, 255 values each.
    expect(cases).toBe((53 + 52 + 176) * 255);
  }, 180_000);
});
