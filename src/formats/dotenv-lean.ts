/**
 * A streaming reader of sops's dotenv format for the lean decrypt and encrypt paths (issue 20,
 * memory): the lines of `dotenv.ts`'s reading, reported by offsets into the file's bytes (as
 * read: no string copy of the file is made), with no item, leaf or tree object per entry. The
 * rules are those of `dotenv.ts` (split on `\n` only, empty line, `#` comment, `KEY=VALUE` at the
 * first `=`, `sops_` metadata keys); any other line, or bytes that are not UTF-8 (the full path
 * reads those as U+FFFD), makes {@link scanDotenv} return false, and the caller takes the full
 * path, which reports it.
 *
 * {@link dotenvLeanScanner} (decrypt, `lean.ts`) and {@link dotenvLeanPlainScanner} (encrypt,
 * `lean-plain.ts`) are built on it.
 */
import { isUtf8 } from "node:buffer";
import type { MetadataBlock } from "../model/metadata.js";
import { OutBuffer } from "../util/out-buffer.js";
import { sopsDotenvValue } from "./dotenv.js";
import { decodeFlatMetadata, flattenMetadata, unflattenMetadata } from "./flatten.js";
import { asBuffer } from "./json-lean.js";
import { LEAN_DECLINE, type LeanByteScanner, type LeanVisitor } from "./lean.js";
import type { LeanPlainByteScanner, LeanSealVisitor } from "./lean-plain.js";

/** Kinds of line reported by {@link scanDotenv}. */
const DOTENV_BLANK = 0;
const DOTENV_COMMENT = 1;
const DOTENV_ENTRY = 2;
const DOTENV_META = 3;

/** The prefix sops puts before every flattened metadata key (as in `dotenv.ts`). */
const SOPS_PREFIX = "sops_";
const SOPS_PREFIX_BYTES = Buffer.from(SOPS_PREFIX);
/** How an encrypted value (or comment) starts (cipher.ts's grammar; the full check is there). */
const ENC_PREFIX = Buffer.from("ENC[AES256_GCM,data:");

function startsWith(b: Buffer, at: number, end: number, prefix: Buffer): boolean {
  return at + prefix.length <= end && b.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/**
 * Calls `line(kind, start, eq, end)` for each line of `b` in order (`[start, end)` without the
 * `\n`; `eq` the offset of the first `=` of an entry, else -1). Returns false, having stopped, at
 * the first line that is not one of the four kinds, or at once for bytes that are not UTF-8.
 */
function scanDotenv(b: Buffer, line: (kind: number, start: number, eq: number, end: number) => void): boolean {
  if (!isUtf8(b)) return false;
  const n = b.length;
  let start = 0;
  while (start < n) {
    let end = b.indexOf(0x0a, start);
    if (end === -1) end = n;
    if (end === start) line(DOTENV_BLANK, start, -1, end);
    else if (b[start] === 0x23) line(DOTENV_COMMENT, start, -1, end);
    else {
      const eq = b.indexOf(0x3d, start);
      if (eq === -1 || eq >= end) return false;
      line(startsWith(b, start, eq, SOPS_PREFIX_BYTES) ? DOTENV_META : DOTENV_ENTRY, start, eq, end);
    }
    start = end + 1;
  }
  return true;
}

/**
 * The `sops` metadata of a dotenv file as plain JS (as `DotenvDocument.rawMetadata` gives it), or
 * undefined when it has none; null when the bytes are not sops's dotenv format.
 */
function dotenvRawMetadata(b: Buffer): Record<string, unknown> | undefined | null {
  const flat: [string, string][] = [];
  const ok = scanDotenv(b, (kind, start, eq, end) => {
    if (kind === DOTENV_META) flat.push([b.toString("utf8", start + SOPS_PREFIX.length, eq), valueText(b, eq, end)]);
  });
  if (!ok) return null;
  if (flat.length === 0) return undefined;
  return unflattenMetadata(decodeFlatMetadata(flat));
}

/** An entry's value as sops reads it: the text after `=` with each `\n` (two characters) a newline. */
function valueText(b: Buffer, eq: number, end: number): string {
  const raw = b.toString("utf8", eq + 1, end);
  return raw.indexOf("\\n") === -1 ? raw : raw.replace(/\\n/g, "\n");
}

const NO_COMMENTS: readonly string[] = Object.freeze([]);
const NO_PATH: readonly string[] = Object.freeze([]);

/**
 * The lean decrypt of an encrypted dotenv document (`lean.ts`): the lines as they are, each
 * replaced value written `KEY=VALUE` as `dotenv.ts` writes a changed entry, the `sops_` lines
 * dropped. It declines a file with an encrypted comment (the visitor decrypts values only; the
 * full path decrypts comments, and warns about one that does not decrypt).
 */
export const dotenvLeanScanner: LeanByteScanner = (bytes) => {
  const b = asBuffer(bytes);
  let rawMetadata: unknown;
  try {
    rawMetadata = dotenvRawMetadata(b);
  } catch {
    return null; // the full path reports the metadata error
  }
  if (rawMetadata === null || rawMetadata === undefined) return null;
  return {
    rawMetadata,
    walk(visit: LeanVisitor) {
      const out = new OutBuffer(b.length + 1024);
      const path = [""];
      try {
        scanDotenv(b, (kind, start, eq, end) => {
          if (kind === DOTENV_META) return;
          if (kind === DOTENV_BLANK) {
            out.write("\n");
            return;
          }
          if (kind === DOTENV_COMMENT && startsWith(b, start + 1, end, ENC_PREFIX)) throw LEAN_DECLINE;
          if (kind === DOTENV_ENTRY) {
            const key = b.toString("utf8", start, eq);
            path[0] = key;
            const next = visit(path, `${key}:`, { type: "str", text: valueText(b, eq, end) });
            if (next !== undefined) {
              out.write(key);
              out.write("=");
              out.write(sopsDotenvValue(next));
              out.write("\n");
              return;
            }
          }
          // An entry kept, or a comment: the line as it is (a comment read from a file holds no newline).
          out.copy(b, start, end);
          out.write("\n");
        });
        return out.result();
      } catch (e) {
        out.wipe();
        throw e;
      }
    },
  };
};

/**
 * The lean encrypt of a plaintext dotenv document (`lean-plain.ts`): comments and values go
 * through the visitor with sops's comment stack (comments since the last value), a replaced line
 * is `KEY=ENC[...]` or `#ENC[...]`, and the `sops_` lines are appended as `dotenv.ts` writes them.
 * A file that already has `sops_` lines is left to the full path (`ALREADY_ENCRYPTED`).
 */
export const dotenvLeanPlainScanner: LeanPlainByteScanner = (bytes) => {
  const b = asBuffer(bytes);
  let meta = false;
  if (!scanDotenv(b, (kind) => void (kind === DOTENV_META && (meta = true))) || meta) return null;
  const out = new OutBuffer(b.length * 4 + 65536);
  return {
    walk(visit: LeanSealVisitor) {
      const path = [""];
      let level: string[] = [];
      scanDotenv(b, (kind, start, eq, end) => {
        if (kind === DOTENV_BLANK) {
          out.write("\n");
          return;
        }
        if (kind === DOTENV_COMMENT) {
          const comment = b.toString("utf8", start + 1, end);
          level.push(comment);
          const enc = visit(NO_PATH, ":", { type: "comment", text: comment }, [...level], false);
          if (enc === undefined) out.copy(b, start, end);
          else {
            out.write("#");
            out.write(enc);
          }
          out.write("\n");
          return;
        }
        const key = b.toString("utf8", start, eq);
        path[0] = key;
        const stack = level.length === 0 ? NO_COMMENTS : level;
        if (level.length > 0) level = [];
        const enc = visit(path, `${key}:`, { type: "str", text: valueText(b, eq, end) }, stack, false);
        if (enc === undefined) out.copy(b, start, end);
        else {
          out.write(key);
          out.write("=");
          out.write(enc);
        }
        out.write("\n");
      });
    },
    finish(m: MetadataBlock) {
      for (const [k, v] of flattenMetadata(m, SOPS_PREFIX)) {
        out.write(k);
        out.write("=");
        out.write(v.replace(/\n/g, "\\n"));
        out.write("\n");
      }
      return out.result();
    },
  };
};
