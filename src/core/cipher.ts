/**
 * The sops value cipher (`aes/cipher.go`): AES-256-GCM with a 32-byte IV, the tree path as
 * additional data, and the `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` text form.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { HushError } from "../errors.js";
import { isValueType, strFromBytes, type PlainValue, type ValueType } from "../model/value.js";
import { formatFloatF, parseGoFloat } from "../model/go-number.js";

/** sops's nonce size (`const nonceSize int = 32`); GCM accepts any IV length. */
const IV_SIZE = 32;
const TAG_SIZE = 16;

/** The pieces of an `ENC[...]` value, still base64. */
export interface EncParts {
  readonly data: string;
  readonly iv: string;
  readonly tag: string;
  readonly type: string;
}

const ENC_PREFIX = "ENC[AES256_GCM,data:";

/**
 * Splits an `ENC[...]` string, or returns null when it does not match sops's grammar: the regex
 * `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]` (`s` flag), anchored at the start
 * only, with greedy groups (SOPS-FORMAT §3.2). Run as a regex, its four greedy groups backtrack in
 * O(n⁴) on a hostile value (6 KB of `,iv:,tag:,type:` took 40 s); greedy means "the last
 * separator that still lets the rest match", which these right-to-left searches find in O(n).
 */
export function parseEnc(s: string): EncParts | null {
  if (!s.startsWith(ENC_PREFIX)) return null;
  const end = s.lastIndexOf("]");
  // Each group holds at least one character, so each separator ends before the next one starts.
  const type = end - 7 >= 0 ? s.lastIndexOf(",type:", end - 7) : -1;
  const tag = type - 6 >= 0 ? s.lastIndexOf(",tag:", type - 6) : -1;
  const iv = tag - 5 >= 0 ? s.lastIndexOf(",iv:", tag - 5) : -1;
  if (iv < ENC_PREFIX.length + 1) return null;
  return { data: s.slice(ENC_PREFIX.length, iv), iv: s.slice(iv + 4, tag), tag: s.slice(tag + 5, type), type: s.slice(type + 6, end) };
}

/** True when `s` looks like an encrypted sops value. */
export function isEncrypted(s: string): boolean {
  return parseEnc(s) !== null;
}

/** Where IVs come from: random by default; tests inject fixed ones to reproduce sops files. */
export type IvSource = () => Uint8Array;

/** Draws IVs from one pooled `randomBytes` call (drawing each IV separately costs ~30% of a value). */
export function randomIvSource(poolValues = 256): IvSource {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + IV_SIZE > pool.length) {
      pool = randomBytes(IV_SIZE * poolValues);
      at = 0;
    }
    const iv = pool.subarray(at, at + IV_SIZE);
    at += IV_SIZE;
    return iv;
  };
}

/** Checks a data key's length up front, naming the argument. */
export function checkDataKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError("dataKey must be a Uint8Array");
  if (key.length !== 32) throw new RangeError(`dataKey must be 32 bytes, got ${key.length}`);
}

/** Encrypts one value's plaintext bytes into sops's text form. */
export function encryptValue(key: Uint8Array, value: PlainValue, aad: string, iv: Uint8Array): string {
  const c = createCipheriv("aes-256-gcm", keyView(key), iv);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([value.bytes ? c.update(value.bytes) : c.update(value.text, "utf8"), c.final()]);
  const tag = c.getAuthTag();
  // join, not a template: one flat string. A template leaves a rope of its nine pieces, which the
  // document then holds for every value until it is written (~2× the memory per ENC value).
  const ivView = Buffer.isBuffer(iv) ? iv : Buffer.from(iv.buffer, iv.byteOffset, iv.byteLength);
  return ["ENC[AES256_GCM,data:", data.toString("base64"), ",iv:", ivView.toString("base64"), ",tag:", tag.toString("base64"), ",type:", value.type, "]"].join("");
}

/**
 * The data key as a Buffer over the same memory. Node copies a key that is a plain Uint8Array
 * into a Buffer of its shared pool, which nothing zeroes: a copy of the data key that outlived
 * `dispose()` (issue 15). A Buffer view is used as it is.
 */
function keyView(key: Uint8Array): Buffer {
  return Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

/** Decrypts the raw bytes of an `ENC[...]` value. Throws a HushError when it fails. */
function decryptBytes(key: Uint8Array, parts: EncParts, aad: string): Buffer {
  const data = strictBase64(parts.data);
  const iv = strictBase64(parts.iv);
  const tag = strictBase64(parts.tag);
  if (!data || !iv || !tag || iv.length === 0 || tag.length !== TAG_SIZE) {
    throw new HushError("DECRYPT_TREE", "encrypted value is malformed (bad base64 in data, iv or tag)");
  }
  try {
    const d = createDecipheriv("aes-256-gcm", keyView(key), iv);
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(tag);
    // One buffer holds the plaintext, so that a caller can zero it (GCM's final() adds nothing;
    // a concat would leave a second copy behind). Zeroed here when authentication fails.
    const out = d.update(data);
    let fin: Buffer;
    try {
      fin = d.final();
    } catch (e) {
      out.fill(0);
      throw e;
    }
    if (fin.length === 0) return out;
    const all = Buffer.concat([out, fin]);
    out.fill(0);
    fin.fill(0);
    return all;
  } catch {
    throw new HushError(
      "DECRYPT_TREE",
      "encrypted value failed authentication (wrong data key, a moved or renamed key, or a tampered value)",
    );
  }
}

/**
 * For the MAC: feeds a value's plaintext to `sink` as sops's `ToBytes` gives it, and zeroes it.
 * A string's bytes go straight from the decipher's buffer to the hash, never becoming a JS string
 * (which could not be wiped); other types (numbers, booleans, times) are short and are normalised
 * through their text as {@link decryptValue} does.
 */
export function feedDecrypted(key: Uint8Array, enc: string, aad: string, sink: (bytes: Uint8Array) => void): void {
  const parts = parseEnc(enc);
  if (!parts) throw new HushError("DECRYPT_TREE", "value does not match sops's ENC[...] format");
  if (!isValueType(parts.type)) throw new HushError("DECRYPT_TREE", `unknown value type ${JSON.stringify(clip(parts.type))}`);
  const bytes = decryptBytes(key, parts, aad);
  try {
    if (parts.type === "str" || parts.type === "bytes") sink(bytes);
    else sink(Buffer.from(normalise(parts.type, bytes.toString("utf8")).text, "utf8"));
  } finally {
    bytes.fill(0);
  }
}

/**
 * Decrypts an `ENC[...]` value to its typed plaintext, normalised as sops's `Decrypt` then
 * `ToBytes` would (so `true` → `True`, `007` → `7`): this text is what the MAC covers.
 */
export function decryptValue(key: Uint8Array, enc: string, aad: string): PlainValue {
  const parts = parseEnc(enc);
  if (!parts) throw new HushError("DECRYPT_TREE", "value does not match sops's ENC[...] format");
  if (!isValueType(parts.type)) throw new HushError("DECRYPT_TREE", `unknown value type ${JSON.stringify(clip(parts.type))}`);
  const bytes = decryptBytes(key, parts, aad);
  // A string's bytes need not be UTF-8 (a binary file's content): keep them exactly.
  if (parts.type === "str" || parts.type === "bytes") return strFromBytes(bytes, parts.type);
  return normalise(parts.type, bytes.toString("utf8"));
}

function normalise(type: ValueType, text: string): PlainValue {
  switch (type) {
    case "str":
    case "comment":
    case "bytes":
    case "time":
      return { type, text };
    case "bool": {
      // strconv.ParseBool's accepted spellings.
      if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return { type, text: "True" };
      if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return { type, text: "False" };
      throw new HushError("DECRYPT_TREE", "decrypted bool value is not a boolean");
    }
    case "int": {
      // strconv.Atoi: optional sign, decimal digits, int64 range.
      if (!/^[+-]?\d+$/.test(text)) throw new HushError("DECRYPT_TREE", "decrypted int value is not an integer");
      const n = BigInt(text);
      if (n > 9223372036854775807n || n < -9223372036854775808n) {
        throw new HushError("DECRYPT_TREE", "decrypted int value is out of the int64 range");
      }
      return { type, text: n.toString() };
    }
    case "float": {
      const n = parseGoFloat(text);
      if (n === undefined) throw new HushError("DECRYPT_TREE", "decrypted float value is not a number");
      return { type, text: formatFloatF(n) };
    }
  }
}

/**
 * Canonical padded base64 only. Node (like Go's default decoder) ignores the unused low bits of
 * the last character before `=`, so `QQ==` and `QR==` decode alike: without this check, changing
 * the last character of an IV, tag or ciphertext could go unnoticed. sops writes canonical base64,
 * which is exactly the text that encodes back to itself (Node's decoder also skips whitespace and
 * reads `-_`; neither survives the round trip). Natively, faster than a regex over the text.
 */
function strictBase64(s: string): Buffer | null {
  // Equivalent to `Buffer.from(s, "base64").toString("base64") === s` without encoding it back
  // (checked against that on millions of mutated strings): a length of 4k, `=` only as 1–2
  // trailing pads, zero unused bits in the last data character, no `-_`, and every other character
  // decoded (a skipped one, whitespace or invalid, leaves the output short of 3k − pads bytes).
  const n = s.length;
  if (n % 4 !== 0) return null;
  const pad = n === 0 ? 0 : s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  if (pad > 0) {
    const c = s.charCodeAt(n - pad - 1);
    const v = c < 128 ? B64_VALUE[c]! : -1;
    if (v < 0 || (v & (pad === 1 ? 3 : 15)) !== 0) return null;
  }
  if (s.includes("-") || s.includes("_")) return null;
  const b = Buffer.from(s, "base64");
  return b.length === (n >> 2) * 3 - pad ? b : null;
}

/** Each standard base64 character's value, -1 for every other ASCII character. */
const B64_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"].entries()) B64_VALUE[c.charCodeAt(0)] = i;

function clip(s: string): string {
  return s.length > 20 ? `${s.slice(0, 20)}…` : s;
}
