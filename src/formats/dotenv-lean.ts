/**
 * A streaming reader of sops's dotenv format for the lean decrypt and encrypt paths (issue 20,
 * memory): the lines of `dotenv.ts`'s reading, reported by offsets, with no item, leaf or tree
 * object per entry. The rules are those of `dotenv.ts` (split on `\n` only, empty line, `#`
 * comment, `KEY=VALUE` at the first `=`, `sops_` metadata keys); any other line makes
 * {@link scanDotenv} return false, and the caller takes the full path, which reports it.
 *
 * {@link dotenvLeanScanner} (decrypt, `lean.ts`) and {@link dotenvLeanPlainScanner} (encrypt,
 * `lean-plain.ts`) are built on it.
 */
import type { MetadataBlock } from "../model/metadata.js";
import { OutBuffer } from "../util/out-buffer.js";
import { sopsDotenvValue } from "./dotenv.js";
import { decodeFlatMetadata, flattenMetadata, unflattenMetadata } from "./flatten.js";
import { LEAN_DECLINE, type LeanScanner, type LeanVisitor } from "./lean.js";
import type { LeanPlainScanner, LeanSealVisitor } from "./lean-plain.js";

/** Kinds of line reported by {@link scanDotenv}. */
export const DOTENV_BLANK = 0;
export const DOTENV_COMMENT = 1;
export const DOTENV_ENTRY = 2;
export const DOTENV_META = 3;

/** The prefix sops puts before every flattened metadata key (as in `dotenv.ts`). */
const SOPS_PREFIX = "sops_";

/**
 * Calls `line(kind, start, eq, end)` for each line of `text` in order (`[start, end)` without the
 * `\n`; `eq` the offset of the first `=` of an entry, else -1). Returns false, having stopped,
 * at the first line that is not one of the four kinds.
 */
export function scanDotenv(text: string, line: (kind: number, start: number, eq: number, end: number) => void): boolean {
  const n = text.length;
  let start = 0;
  while (start < n) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = n;
    if (end === start) line(DOTENV_BLANK, start, -1, end);
    else if (text.charCodeAt(start) === 0x23) line(DOTENV_COMMENT, start, -1, end);
    else {
      const eq = text.indexOf("=", start);
      if (eq === -1 || eq >= end) return false;
      line(text.startsWith(SOPS_PREFIX, start) && start + SOPS_PREFIX.length <= eq ? DOTENV_META : DOTENV_ENTRY, start, eq, end);
    }
    start = end + 1;
  }
  return true;
}

/**
 * The `sops` metadata of a dotenv text as plain JS (as `DotenvDocument.rawMetadata` gives it), or
 * undefined when it has none; null when the text is not sops's dotenv format.
 */
export function dotenvRawMetadata(text: string): Record<string, unknown> | undefined | null {
  const flat: [string, string][] = [];
  const ok = scanDotenv(text, (kind, start, eq, end) => {
    if (kind === DOTENV_META) flat.push([text.slice(start + SOPS_PREFIX.length, eq), dotenvValueText(text, eq, end)]);
  });
  if (!ok) return null;
  if (flat.length === 0) return undefined;
  return unflattenMetadata(decodeFlatMetadata(flat));
}

/** An entry's value as sops reads it: the text after `=` with each `\n` (two characters) a newline. */
export function dotenvValueText(text: string, eq: number, end: number): string {
  const raw = text.slice(eq + 1, end);
  return raw.indexOf("\\n") === -1 ? raw : raw.replace(/\\n/g, "\n");
}

/** How an encrypted value (or comment) starts (cipher.ts's grammar; the full check is there). */
const ENC_PREFIX = "ENC[AES256_GCM,data:";

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/**
 * The lean decrypt of an encrypted dotenv document (`lean.ts`): the lines as they are, each
 * replaced value written `KEY=VALUE` as `dotenv.ts` writes a changed entry, the `sops_` lines
 * dropped. It declines a file with an encrypted comment (the visitor decrypts values only; the
 * full path decrypts comments, and warns about one that does not decrypt).
 */
export const dotenvLeanScanner: LeanScanner = (text) => {
  let rawMetadata: unknown;
  try {
    rawMetadata = dotenvRawMetadata(text);
  } catch {
    return null; // the full path reports the metadata error
  }
  if (rawMetadata === null || rawMetadata === undefined) return null;
  return {
    rawMetadata,
    walk(visit: LeanVisitor) {
      const out = new OutBuffer(text.length + 1024);
      const path = [""];
      try {
        scanDotenv(text, (kind, start, eq, end) => {
          if (kind === DOTENV_META) return;
          if (kind === DOTENV_BLANK) {
            out.write("\n");
            return;
          }
          if (kind === DOTENV_COMMENT && text.startsWith(ENC_PREFIX, start + 1)) throw LEAN_DECLINE;
          if (kind === DOTENV_ENTRY) {
            const key = text.slice(start, eq);
            path[0] = key;
            const next = visit(path, `${key}:`, { type: "str", text: dotenvValueText(text, eq, end) });
            if (next !== undefined) {
              out.write(key);
              out.write("=");
              out.write(sopsDotenvValue(next));
              out.write("\n");
              return;
            }
          }
          // An entry kept, or a comment: the line as it is (a comment read from the text holds no newline).
          out.write(text.slice(start, end));
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
 * A text that already has `sops_` lines is left to the full path (`ALREADY_ENCRYPTED`).
 */
export const dotenvLeanPlainScanner: LeanPlainScanner = (text) => {
  let meta = false;
  if (!scanDotenv(text, (kind) => void (kind === DOTENV_META && (meta = true))) || meta) return null;
  const out = new OutBuffer(text.length * 4 + 65536);
  return {
    walk(visit: LeanSealVisitor) {
      const path = [""];
      let level: string[] = [];
      scanDotenv(text, (kind, start, eq, end) => {
        if (kind === DOTENV_BLANK) {
          out.write("\n");
          return;
        }
        if (kind === DOTENV_COMMENT) {
          const comment = text.slice(start + 1, end);
          level.push(comment);
          const enc = visit(NO_PATH, ":", { type: "comment", text: comment }, [...level], false);
          out.write(enc === undefined ? text.slice(start, end) : `#${enc}`);
          out.write("\n");
          return;
        }
        const key = text.slice(start, eq);
        path[0] = key;
        const stack = level.length === 0 ? NO_COMMENTS : level;
        if (level.length > 0) level = [];
        const enc = visit(path, `${key}:`, { type: "str", text: dotenvValueText(text, eq, end) }, stack, false);
        if (enc === undefined) out.write(text.slice(start, end));
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

const NO_PATH: readonly string[] = Object.freeze([]);
