/**
 * Reading age identities (keys files, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_CMD` output) from bytes. Part
 * of the age client (`age-client.ts`), loaded lazily with it.
 *
 * Identities are parsed from bytes, not from a decoded string: an X25519 identity
 * (`AGE-SECRET-KEY-1…`) is bech32-decoded straight from the buffer into a `node:crypto` key
 * object (`X25519Identity`), and the buffer is then zeroed, so no JS string of it is made (a V8
 * string can never be wiped). What remains is said in README (Library, `dispose()`): the text of
 * hybrid post-quantum identities (typage takes strings), plugin identities (passed to plugins),
 * and the `SOPS_AGE_KEY` string in `process.env`.
 */
import { bech32Decode, bech32DecodeBytes } from "./bech32.js";
import { X25519Identity } from "./age-native.js";
import { PluginIdentity, pluginName } from "./age-plugin.js";
import { HYBRID_SECRET_PREFIX, X25519_SECRET_PREFIX } from "./age-common.js";

/** An identity as held: X25519 ready for `node:crypto`, a hybrid one as its text for typage. */
export type HeldIdentity = { readonly kind: "x25519"; readonly key: X25519Identity } | { readonly kind: "other"; readonly text: string };

/** A passphrase-protected identity file (`age -p` of a keys file), opened only when needed. */
export interface EncryptedSource {
  readonly source: string;
  readonly bytes: Uint8Array;
}

/** A parsed identity source: valid identities plus problem lines, and passphrase-protected files. */
export interface Parsed {
  identities: HeldIdentity[];
  problems: string[];
  encrypted?: EncryptedSource[];
  /** `AGE-PLUGIN-…` identities, by source. */
  plugins?: { source: string; identities: string[] }[];
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const X25519_PREFIX = ascii(X25519_SECRET_PREFIX);
const HYBRID_PREFIX = ascii(HYBRID_SECRET_PREFIX);
const ENCRYPTED_HEADS = [ascii("-----BEGIN AGE ENCRYPTED FILE-----"), ascii("age-encryption.org/")];

/** Whether `b[at…]` starts with `prefix` (and holds it before `end`). */
function startsWith(b: Uint8Array, at: number, end: number, prefix: Uint8Array): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * The byte length of the whitespace character (JavaScript's `\s`, UTF-8 encoded) at `b[i]`, or 0:
 * the same split as `trim()` and `split(/\s+/)` on the decoded text.
 */
function spaceAt(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) return 1;
  if (c < 0xc2) return 0;
  const c1 = i + 1 < end ? b[i + 1]! : -1;
  const c2 = i + 2 < end ? b[i + 2]! : -1;
  switch (c) {
    case 0xc2: // U+00A0
      return c1 === 0xa0 ? 2 : 0;
    case 0xe1: // U+1680
      return c1 === 0x9a && c2 === 0x80 ? 3 : 0;
    case 0xe2: // U+2000–U+200A, U+2028, U+2029, U+202F, U+205F
      return (c1 === 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || c2 === 0xa8 || c2 === 0xa9 || c2 === 0xaf)) || (c1 === 0x81 && c2 === 0x9f) ? 3 : 0;
    case 0xe3: // U+3000
      return c1 === 0x80 && c2 === 0x80 ? 3 : 0;
    case 0xef: // U+FEFF (a byte order mark)
      return c1 === 0xbb && c2 === 0xbf ? 3 : 0;
    default:
      return 0;
  }
}

/** Whether the bytes, after leading whitespace, are an age file (binary or armored). */
function isEncryptedFile(b: Uint8Array): boolean {
  let i = 0;
  for (let n; i < b.length && (n = spaceAt(b, i, b.length)) > 0; ) i += n;
  return ENCRYPTED_HEADS.some((h) => startsWith(b, i, b.length, h));
}

/**
 * Decodes the `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` identity at `b[start, end)` as
 * typage's constructors check it (all upper case, bech32 checksum, prefix, 32 bytes), or null.
 * The 32-byte secret goes straight into an X25519 key object and is zeroed; only a hybrid
 * identity is turned into a string (typage takes it so).
 */
function decodeIdentity(b: Uint8Array, start: number, end: number): HeldIdentity | null {
  // bech32 forbids mixed case and age writes identities upper case; typage rejects lower case.
  for (let i = start; i < end; i++) if (b[i]! >= 0x61 && b[i]! <= 0x7a) return null;
  const d = bech32DecodeBytes(b, start, end);
  if (!d) return null;
  try {
    if (d.bytes.length !== 32) return null;
    if (d.hrp === "age-secret-key-") return { kind: "x25519", key: new X25519Identity(d.bytes) };
    if (d.hrp === "age-secret-key-pq-") return { kind: "other", text: Buffer.from(b.buffer, b.byteOffset + start, end - start).toString("latin1") };
    return null;
  } catch {
    return null; // (X25519Identity refuses a key it cannot use)
  } finally {
    d.bytes.fill(0);
  }
}

/**
 * Parses keys-file bytes (a binary age file must not go through UTF-8 decoding): blank lines and
 * `#` lines are skipped; every other line holds one or more whitespace-separated identities (sops
 * takes `SOPS_AGE_KEY` that way; for files this is more lenient than sops's one per line). A bad
 * line is reported and skipped, the rest is kept.
 *
 * Zeroes `buf` when done, unless it is a passphrase-protected file, which is kept (as `encrypted`)
 * to be opened when needed.
 */
export function parseIdentityBytes(buf: Uint8Array, source: string): Parsed {
  if (isEncryptedFile(buf)) return { identities: [], problems: [], encrypted: [{ source, bytes: buf }] };
  const identities: HeldIdentity[] = [];
  const problems: string[] = [];
  const candidates: { start: number; end: number; line: number }[] = [];
  const plugins: string[] = [];
  try {
    let line = 0;
    for (let at = 0; at <= buf.length; ) {
      let eol = buf.indexOf(0x0a, at);
      if (eol === -1) eol = buf.length;
      line++;
      let i = at;
      for (let n; i < eol && (n = spaceAt(buf, i, eol)) > 0; ) i += n;
      if (i < eol && buf[i] !== 0x23 /* # */) {
        while (i < eol) {
          let j = i;
          while (j < eol && spaceAt(buf, j, eol) === 0) j++;
          if (startsWith(buf, i, j, X25519_PREFIX) || startsWith(buf, i, j, HYBRID_PREFIX)) {
            candidates.push({ start: i, end: j, line });
          } else {
            // Not a secret key: a string is fine here.
            const tok = Buffer.from(buf.buffer, buf.byteOffset + i, j - i).toString("utf8");
            if (tok.startsWith("AGE-PLUGIN-")) {
              if (tok === tok.toUpperCase() && bech32Decode(tok.toLowerCase()) && pluginName(tok)) plugins.push(tok);
              else problems.push(`${source}: line ${line}: malformed AGE-PLUGIN-… identity`);
            } else {
              problems.push(`${source}: line ${line}: not an age identity (expected ${X25519_SECRET_PREFIX}…)`);
            }
          }
          i = j;
          for (let n; i < eol && (n = spaceAt(buf, i, eol)) > 0; ) i += n;
        }
      }
      at = eol + 1;
    }
    // Checked here with the bech32 decoder rather than by typage's constructors, so that loading
    // X25519 keys never imports age-encryption; the checks are the same.
    for (const { start, end, line: n } of candidates) {
      const held = decodeIdentity(buf, start, end);
      if (held) {
        identities.push(held);
      } else {
        const kind = startsWith(buf, start, end, HYBRID_PREFIX) ? HYBRID_SECRET_PREFIX : X25519_SECRET_PREFIX;
        problems.push(`${source}: line ${n}: malformed ${kind}… identity (bad checksum or length)`);
      }
    }
  } finally {
    buf.fill(0);
  }
  if (identities.length === 0 && plugins.length === 0 && problems.length === 0) problems.push(`${source}: no age identities found`);
  return { identities, problems, ...(plugins.length > 0 ? { plugins: [{ source, identities: plugins }] } : {}) };
}

/**
 * Parses keys-file text (`SOPS_AGE_KEY`): through a buffer of its own that is zeroed afterwards,
 * so parsing adds no string of the identities to the one given (which the caller may not be able
 * to wipe: `process.env`).
 */
export function parseIdentityText(text: string, source: string): Parsed {
  return parseIdentityBytes(Buffer.from(text, "utf8"), source);
}

/** One PluginIdentity per plugin name, in first-seen order. */
export function pluginIdentities(sources: readonly { source: string; identities: readonly string[] }[], env: NodeJS.ProcessEnv): PluginIdentity[] {
  const byName = new Map<string, { ids: string[]; sources: string[] }>();
  for (const src of sources) {
    for (const id of src.identities) {
      const name = pluginName(id)!;
      const g = byName.get(name) ?? { ids: [], sources: [] };
      if (!g.ids.includes(id)) g.ids.push(id);
      if (!g.sources.includes(src.source)) g.sources.push(src.source);
      byName.set(name, g);
    }
  }
  return [...byName].map(([name, g]) => new PluginIdentity(name, g.ids, env, g.sources.join(", ")));
}
