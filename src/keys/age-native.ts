/**
 * Opening age files for X25519 identities with `node:crypto` alone, following the age v1 spec
 * (https://age-encryption.org/v1) and the Go reference implementation's strictness
 * (filippo.io/age: `armor`, `internal/format`, `internal/stream`, `x25519.go`).
 *
 * Why not `age-encryption`: importing it costs ~80 ms (it loads P-256 and ML-KEM code whatever the
 * key) and its first decrypt ~38 ms more, which is most of `hush decrypt`'s cold start, while an
 * X25519 unwrap is one Diffie-Hellman, two HKDFs, an HMAC and two ChaCha20-Poly1305 opens, all in
 * OpenSSL. Everything else (hybrid post-quantum identities, encryption) stays with age-encryption
 * in `age.ts`.
 *
 * Every failure is a {@link HushError} `KEY_SOURCE` whose message names the broken part and never
 * quotes key material or decrypted bytes (header lines are public, but are not quoted either).
 */
import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  randomBytes,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import { HushError } from "../errors.js";

const ARMOR_HEADER = "-----BEGIN AGE ENCRYPTED FILE-----";
const ARMOR_FOOTER = "-----END AGE ENCRYPTED FILE-----";
/** age allows this much whitespace around an armored file (Go: `maxWhitespace`). */
const MAX_ARMOR_WHITESPACE = 1024;
/** Base64 columns per armor and stanza-body line, and the bytes they hold. */
const COLUMNS_PER_LINE = 64;
const BYTES_PER_LINE = 48;

const INTRO = "age-encryption.org/v1";
const FILE_KEY_SIZE = 16;
const MAC_SIZE = 32;
const TAG_SIZE = 16;
const PAYLOAD_NONCE_SIZE = 16;
const CHUNK_SIZE = 64 * 1024;
const ENC_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

const X25519_LABEL = "age-encryption.org/v1/X25519";
/** DER framing of a raw X25519 private key (PKCS #8, RFC 8410), for the fallback import. */
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
/** The X25519 base point, u = 9 (RFC 7748 §4.1): X25519(secret, 9) is the public key. */
const BASE_POINT = Buffer.alloc(32);
BASE_POINT[0] = 9;

/** Throws the one error this module raises. */
function fail(message: string): never {
  throw new HushError("KEY_SOURCE", message);
}

// ---------------------------------------------------------------------------------------------
// Base64, strictly: canonical encodings only, so that no two texts decode to the same bytes.

const B64_CHARS = /^[A-Za-z0-9+/]*$/;
const B64_PADDED = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes unpadded standard base64 (Go's `RawStdEncoding.Strict()`), or returns null when the
 * text is not its canonical encoding (wrong characters, padding, non-zero trailing bits).
 */
function decodeRawBase64(s: string): Buffer | null {
  if (!B64_CHARS.test(s)) return null;
  const b = Buffer.from(s, "base64");
  // Node's decoder is lenient; re-encoding is the canonical-form check.
  return b.toString("base64").replace(/=+$/, "") === s ? b : null;
}

/** Decodes padded standard base64 (Go's `StdEncoding.Strict()`), or null when not canonical. */
function decodePaddedBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !B64_PADDED.test(s)) return null;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : null;
}

// ---------------------------------------------------------------------------------------------
// Armor

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isBlank = (s: string) => {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
};

/**
 * Decodes an armored age file (`-----BEGIN AGE ENCRYPTED FILE-----`, 64-column standard base64,
 * `-----END AGE ENCRYPTED FILE-----`) as age's `armor.NewReader` does: LF or CRLF line ends, up to
 * 1 KiB of whitespace before and after, every line but the last exactly 64 columns, strict
 * (canonical) base64. Throws HushError KEY_SOURCE when the text is not such a file.
 */
export function decodeAgeArmor(text: string): Uint8Array {
  const lines = text.split("\n");
  let i = 0;
  // Go reads lines up to "\n" and drops one "\r": the same split.
  const line = (k: number) => {
    const l = lines[k]!;
    return l.endsWith("\r") ? l.slice(0, -1) : l;
  };
  let skipped = 0;
  while (i < lines.length && isBlank(lines[i]!)) {
    skipped += line(i).length + 1;
    if (skipped > MAX_ARMOR_WHITESPACE) fail("invalid armor: too much leading whitespace");
    i++;
  }
  if (i >= lines.length || line(i) !== ARMOR_HEADER) fail("invalid armor: no BEGIN AGE ENCRYPTED FILE line");
  i++;
  const parts: Buffer[] = [];
  for (;;) {
    if (i >= lines.length) fail("invalid armor: no END AGE ENCRYPTED FILE line");
    const l = line(i++);
    if (l === ARMOR_FOOTER) break;
    if (l.length > COLUMNS_PER_LINE) fail("invalid armor: line longer than 64 columns");
    const b = decodePaddedBase64(l);
    if (b === null) fail("invalid armor: bad base64");
    parts.push(b);
    if (b.length < BYTES_PER_LINE) {
      // Only the last line may be short; the footer must follow it.
      if (i >= lines.length || line(i++) !== ARMOR_FOOTER) fail("invalid armor: a short line not followed by the END line");
      break;
    }
  }
  // What follows the footer line: whitespace only, less than 1 KiB of it.
  const rest = lines.slice(i).join("\n");
  if (!isBlank(rest)) fail("invalid armor: data after the END line");
  if (rest.length >= MAX_ARMOR_WHITESPACE) fail("invalid armor: too much trailing whitespace");
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Header

/** One recipient stanza of an age header: `-> type args…` and its body. */
export interface AgeStanza {
  readonly type: string;
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

/** A parsed age file: its stanzas, the header MAC, what the MAC covers, and the payload. */
export interface AgeFile {
  readonly stanzas: readonly AgeStanza[];
  readonly mac: Uint8Array;
  /** The header up to and including `---`: the bytes the MAC covers. */
  readonly headerNoMac: Uint8Array;
  /** Everything after the header: the 16-byte nonce, then the STREAM chunks. */
  readonly payload: Uint8Array;
}

/** VCHAR only (Go's `isValidString`): stanza arguments are non-empty printable ASCII. */
const VCHARS = /^[\x21-\x7e]+$/;

/**
 * Parses a binary age file's header as age's `format.Parse` does: the intro line, stanzas
 * (`-> ` arguments, body in 64-column unpadded base64 ending with a short line), then
 * `--- <mac>`. Throws HushError KEY_SOURCE on any deviation.
 */
export function parseAgeFile(file: Uint8Array): AgeFile {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  let pos = 0;
  let lineNo = 0;
  /** The next line without its "\n", as latin1 (non-ASCII bytes then fail every grammar below). */
  const readLine = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl === -1) fail("invalid age header: truncated");
    const l = bytes.toString("latin1", pos, nl);
    pos = nl + 1;
    lineNo++;
    return l;
  };
  if (readLine() !== INTRO) fail("not an age v1 file (bad intro line)");
  const stanzas: AgeStanza[] = [];
  for (;;) {
    const start = pos;
    const l = readLine();
    if (l.startsWith("---")) {
      const parts = l.split(" ");
      const mac = parts.length === 2 && parts[0] === "---" ? decodeRawBase64(parts[1]!) : null;
      if (mac === null || mac.length !== MAC_SIZE) fail("invalid age header: malformed MAC line");
      return {
        stanzas,
        mac,
        headerNoMac: bytes.subarray(0, start + 3),
        payload: bytes.subarray(pos),
      };
    }
    if (!l.startsWith("->")) fail(`invalid age header: unexpected line ${lineNo}`);
    const parts = l.split(" ");
    if (parts[0] !== "->" || parts.length < 2 || !parts.slice(1).every((a) => VCHARS.test(a))) {
      fail(`invalid age header: malformed stanza at line ${lineNo}`);
    }
    const body: Buffer[] = [];
    for (;;) {
      const b = decodeRawBase64(readLine());
      if (b === null || b.length > BYTES_PER_LINE) fail(`invalid age header: malformed stanza body at line ${lineNo}`);
      body.push(b);
      if (b.length < BYTES_PER_LINE) break; // a body always ends with a short line
    }
    stanzas.push({ type: parts[1]!, args: parts.slice(2), body: Buffer.concat(body) });
  }
}

// ---------------------------------------------------------------------------------------------
// Primitives

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));
}

/** ChaCha20-Poly1305 open (RFC 8439); null when the tag does not verify. */
export function chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_SIZE) return null;
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const head = d.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    const tail = d.final();
    return tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    head.fill(0);
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// X25519 keys. Raw keys go in as JWK rather than DER: Node turns an OKP JWK straight into
// EVP_PKEY_new_raw_*_key, while DER goes through OpenSSL 3's decoder framework, ~8× slower
// (0.2–0.8 ms a key here, ~1.7 ms for the first), which is felt with many identities.

/** A public X25519 key object from its 32 raw bytes. */
export function x25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

/** A private X25519 key object from its 32-byte secret. */
export function x25519PrivateKey(secret: Uint8Array): KeyObject {
  try {
    // Node builds the key from `d` alone and only checks that `x` is a string; the public key is
    // not known yet, and is derived below from the key itself, never taken from `x`.
    const d = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString("base64url");
    return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d, x: "" }, format: "jwk" });
  } catch {
    // A Node that insists on a matching `x`: the slower PKCS #8 route.
    const der = Buffer.concat([PKCS8_X25519_PREFIX, secret]);
    try {
      return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    } finally {
      der.fill(0);
    }
  }
}

/** X25519(private, public), or null when the result is all zeros (a low-order public key). */
export function x25519(privateKey: KeyObject, publicKey: KeyObject): Buffer | null {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL refuses to return an all-zero shared secret.
    return null;
  }
  return shared.every((b) => b === 0) ? null : shared;
}

// ---------------------------------------------------------------------------------------------
// X25519 identities

/** An X25519 age identity held as a `node:crypto` key, with its public key for the HKDF salt. */
export class X25519Identity {
  /** A private field, so util.inspect and JSON never reach it. */
  readonly #key: KeyObject;
  /** The 32-byte public key (the `age1…` recipient's payload). */
  readonly publicKey: Uint8Array;

  /**
   * `scalar` is the 32-byte secret from `AGE-SECRET-KEY-1…`. It is copied into a KeyObject (in
   * OpenSSL's memory), so the caller may wipe its array afterwards.
   */
  constructor(scalar: Uint8Array) {
    if (scalar.length !== 32) fail("an X25519 identity must be 32 bytes");
    this.#key = x25519PrivateKey(scalar);
    // The public key is X25519(secret, base point), as age computes it.
    const pub = x25519(this.#key, x25519PublicKey(BASE_POINT));
    if (pub === null) fail("invalid X25519 identity");
    this.publicKey = pub;
  }

  /**
   * age's `X25519Identity.Unwrap`: tries each `X25519` stanza in order and returns the 16-byte
   * file key, or null when none is for this identity. Throws HushError KEY_SOURCE when an X25519
   * stanza is malformed (argument count, share or body size, low-order share).
   */
  unwrapFileKey(stanzas: readonly AgeStanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== "X25519") continue;
      const share = s.args.length === 1 ? decodeRawBase64(s.args[0]!) : null;
      if (share === null || share.length !== 32) fail("invalid X25519 stanza: bad ephemeral share");
      if (s.body.length !== FILE_KEY_SIZE + TAG_SIZE) fail("invalid X25519 stanza: bad body size");
      // age rejects a low-order share, whose shared secret is all zeros.
      const shared = x25519(this.#key, x25519PublicKey(share));
      if (shared === null) fail("invalid X25519 stanza: low-order ephemeral share");
      const salt = Buffer.concat([share, this.publicKey]);
      const wrapKey = hkdf(shared, salt, X25519_LABEL);
      shared.fill(0);
      const fileKey = chachaOpen(wrapKey, new Uint8Array(12), s.body);
      wrapKey.fill(0);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Decryption

/** Checks the header MAC: HMAC-SHA256 under HKDF(file key, "header") over the header to `---`. */
function verifyHeaderMac(file: AgeFile, fileKey: Uint8Array): void {
  const macKey = hkdf(fileKey, new Uint8Array(0), "header");
  const mac = createHmac("sha256", macKey).update(file.headerNoMac).digest();
  macKey.fill(0);
  if (!timingSafeEqual(mac, file.mac)) fail("age header MAC mismatch (the file was altered)");
}

/**
 * Decrypts the payload: a 16-byte nonce, then STREAM (ChaCha20-Poly1305 over 64 KiB chunks, nonce
 * = 11-byte big-endian counter and a last-chunk flag byte) under HKDF(file key, nonce, "payload").
 * As in age, the last chunk may be full-size but is empty only when it is the only one.
 */
function decryptPayload(payload: Uint8Array, fileKey: Uint8Array): Uint8Array {
  if (payload.length < PAYLOAD_NONCE_SIZE) fail("age payload is truncated");
  const key = hkdf(fileKey, payload.subarray(0, PAYLOAD_NONCE_SIZE), "payload");
  const body = payload.subarray(PAYLOAD_NONCE_SIZE);
  const chunks = Math.max(1, Math.ceil(body.length / ENC_CHUNK_SIZE));
  const out: Buffer[] = [];
  const nonce = new Uint8Array(12);
  try {
    for (let i = 0; i < chunks; i++) {
      const last = i === chunks - 1;
      // The counter occupies nonce[0..10] big-endian; i < 2^53 fills only the low bytes.
      for (let k = 10, n = i; k >= 0; k--, n = Math.floor(n / 256)) nonce[k] = n % 256;
      nonce[11] = last ? 1 : 0;
      const sealed = body.subarray(i * ENC_CHUNK_SIZE, Math.min((i + 1) * ENC_CHUNK_SIZE, body.length));
      const plain = chachaOpen(key, nonce, sealed);
      if (plain === null) fail(`age payload chunk ${i + 1} does not decrypt (the file was altered or truncated)`);
      if (last && i > 0 && plain.length === 0) fail("age payload ends with an empty chunk");
      out.push(plain);
    }
  } catch (e) {
    for (const b of out) b.fill(0);
    throw e;
  } finally {
    key.fill(0);
  }
  // A plain Uint8Array (not a Buffer, which may share a pooled ArrayBuffer), as typage returns.
  // Over an ArrayBuffer of its own, so off V8's heap: a small `new Uint8Array(n)` lives on the
  // heap, where the garbage collector copies it (and the first native use copies it off-heap),
  // leaving copies of the data key that no fill(0) reaches (issue 15).
  const plain = new Uint8Array(new ArrayBuffer(out.reduce((n, b) => n + b.length, 0)));
  let at = 0;
  for (const b of out) {
    plain.set(b, at);
    at += b.length;
    b.fill(0);
  }
  return plain;
}

/**
 * Decrypts a parsed age file with the first identity that unwraps one of its X25519 stanzas
 * (identities outer, stanzas inner, as age does). Returns null when none does; throws HushError
 * KEY_SOURCE when a stanza is malformed, the header MAC does not match or the payload fails.
 */
export function decryptX25519(file: AgeFile, identities: readonly X25519Identity[]): Uint8Array | null {
  let fileKey: Uint8Array | null = null;
  for (const id of identities) {
    fileKey = id.unwrapFileKey(file.stanzas);
    if (fileKey !== null) break;
  }
  if (fileKey === null) return null;
  return openWithFileKey(file, fileKey);
}

/**
 * Checks the header MAC and decrypts the payload with a file key some identity unwrapped; wipes
 * the file key. Throws HushError KEY_SOURCE when the MAC does not match or the payload fails.
 */
export function openWithFileKey(file: AgeFile, fileKey: Uint8Array): Uint8Array {
  try {
    verifyHeaderMac(file, fileKey);
    return decryptPayload(file.payload, fileKey);
  } finally {
    fileKey.fill(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Encrypting to X25519 recipients

/**
 * An X25519 recipient ready to encrypt to: its public key object is made once, so wrapping a data
 * key for 1,000 files costs one ephemeral key pair and one Diffie-Hellman each, all in OpenSSL
 * (age-encryption imports two keys through WebCrypto per wrap, ~2.5 ms; issue 20).
 */
export class X25519Recipient {
  private readonly publicKey: KeyObject;
  constructor(private readonly raw: Uint8Array) {
    this.publicKey = x25519PublicKey(raw);
  }

  /** `data` as an armored age file (age v1, one X25519 stanza, STREAM payload), as age writes it. */
  encryptArmored(data: Uint8Array): string {
    const fileKey = randomBytes(FILE_KEY_SIZE);
    try {
      const eph = generateKeyPairSync("x25519");
      const share = Buffer.from(eph.publicKey.export({ format: "jwk" }).x!, "base64url");
      const shared = x25519(eph.privateKey, this.publicKey);
      if (shared === null) fail("the age recipient is a low-order point");
      const wrapKey = hkdf(shared, Buffer.concat([share, this.raw]), X25519_LABEL);
      shared.fill(0);
      const body = chachaSeal(wrapKey, new Uint8Array(12), fileKey);
      wrapKey.fill(0);
      const header = `${INTRO}\n-> X25519 ${share.toString("base64").replace(/=+$/, "")}\n${stanzaBody(body)}---`;
      const macKey = hkdf(fileKey, new Uint8Array(0), "header");
      const mac = createHmac("sha256", macKey).update(header).digest();
      macKey.fill(0);
      const nonce = randomBytes(PAYLOAD_NONCE_SIZE);
      const payload = encryptPayload(data, fileKey, nonce);
      const file = Buffer.concat([Buffer.from(`${header} ${mac.toString("base64").replace(/=+$/, "")}\n`), nonce, payload]);
      const b64 = file.toString("base64");
      const lines: string[] = [];
      for (let i = 0; i < b64.length; i += COLUMNS_PER_LINE) lines.push(b64.slice(i, i + COLUMNS_PER_LINE));
      return `${ARMOR_HEADER}\n${lines.join("\n")}\n${ARMOR_FOOTER}\n`;
    } finally {
      fileKey.fill(0);
    }
  }
}

/** A stanza body: unpadded base64 in 64-column lines, the last one shorter (empty if need be). */
function stanzaBody(body: Uint8Array): string {
  const b64 = Buffer.from(body).toString("base64").replace(/=+$/, "");
  let out = "";
  let i = 0;
  for (; i + COLUMNS_PER_LINE <= b64.length; i += COLUMNS_PER_LINE) out += `${b64.slice(i, i + COLUMNS_PER_LINE)}\n`;
  return `${out}${b64.slice(i)}\n`;
}

function chachaSeal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_SIZE });
  const out = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  return out;
}

/** STREAM encryption of `data` (see {@link decryptPayload}); an empty input is one empty chunk. */
function encryptPayload(data: Uint8Array, fileKey: Uint8Array, nonce: Uint8Array): Buffer {
  const key = hkdf(fileKey, nonce, "payload");
  const chunks = Math.max(1, Math.ceil(data.length / CHUNK_SIZE));
  const out: Buffer[] = [];
  const n = new Uint8Array(12);
  try {
    for (let i = 0; i < chunks; i++) {
      for (let k = 10, m = i; k >= 0; k--, m = Math.floor(m / 256)) n[k] = m % 256;
      n[11] = i === chunks - 1 ? 1 : 0;
      out.push(chachaSeal(key, n, data.subarray(i * CHUNK_SIZE, Math.min((i + 1) * CHUNK_SIZE, data.length))));
    }
  } finally {
    key.fill(0);
  }
  return Buffer.concat(out);
}
