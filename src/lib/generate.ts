/**
 * New random secret values for `hush set --generate` and `hush rotate-value`: a spec says the
 * shape (alphabet and length, or a fixed format), drawn from `node:crypto` without modulo bias.
 *
 * Specs: `alnum[:N]` (default, 32 characters), `hex[:N]` (N characters, default 64),
 * `base64[:N]` / `base64url[:N]` (N random bytes, default 32), `uuid` (version 4), `django`
 * (50 characters from Django's `get_random_secret_key` alphabet), `ascii[:N]` (printable ASCII
 * without space, quotes and backslash, default 32), `chars:ALPHABET:N` (your own alphabet).
 * A bare number `N` is `alnum:N`.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { HushError } from "../errors.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** django.core.management.utils.get_random_secret_key's alphabet. */
const DJANGO = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)";
/** Printable ASCII less space, quotes, backslash and backtick: safe unquoted in most configs. */
const ASCII = [...Array(94).keys()].map((i) => String.fromCharCode(33 + i)).filter((c) => !`"'\\\``.includes(c)).join("");

/** A parsed spec. */
export type GenerateSpec =
  | { kind: "chars"; alphabet: string; length: number; name: string }
  | { kind: "bytes"; encoding: "hex" | "base64" | "base64url"; count: number; name: string }
  | { kind: "uuid"; name: string };

function count(text: string | undefined, fallback: number, spec: string): number {
  if (text === undefined || text === "") return fallback;
  if (!/^\d+$/.test(text)) throw new HushError("USAGE", `--generate ${spec}: the length must be a whole number`);
  const n = Number(text);
  if (n < 1 || n > 4096) throw new HushError("USAGE", `--generate ${spec}: the length must be between 1 and 4096`);
  return n;
}

/** Parses a spec (see the module comment); undefined or "" is `alnum:32`. */
export function parseGenerateSpec(spec: string | undefined): GenerateSpec {
  const s = (spec ?? "").trim();
  if (s === "" || s === "true") return { kind: "chars", alphabet: ALNUM, length: 32, name: "alnum" };
  if (/^\d+$/.test(s)) return { kind: "chars", alphabet: ALNUM, length: count(s, 32, s), name: "alnum" };
  const [kind = "", ...rest] = s.split(":");
  const arg = rest.join(":");
  switch (kind.toLowerCase()) {
    case "alnum":
      return { kind: "chars", alphabet: ALNUM, length: count(arg, 32, s), name: "alnum" };
    case "ascii":
      return { kind: "chars", alphabet: ASCII, length: count(arg, 32, s), name: "ascii" };
    case "django":
      return { kind: "chars", alphabet: DJANGO, length: count(arg, 50, s), name: "django" };
    case "hex": {
      const n = count(arg, 64, s);
      if (n % 2 !== 0) throw new HushError("USAGE", `--generate ${s}: hex takes an even number of characters`);
      return { kind: "bytes", encoding: "hex", count: n / 2, name: "hex" };
    }
    case "base64":
    case "base64url":
      return { kind: "bytes", encoding: kind.toLowerCase() as "base64" | "base64url", count: count(arg, 32, s), name: kind.toLowerCase() };
    case "uuid":
      if (arg !== "") throw new HushError("USAGE", "--generate uuid takes no length");
      return { kind: "uuid", name: "uuid" };
    case "chars": {
      const i = arg.lastIndexOf(":");
      const alphabet = [...new Set(i < 0 ? arg : arg.slice(0, i))].join("");
      if (alphabet.length < 2) throw new HushError("USAGE", "--generate chars:ALPHABET:N needs at least two different characters");
      return { kind: "chars", alphabet, length: count(i < 0 ? "" : arg.slice(i + 1), 32, s), name: "chars" };
    }
    default:
      throw new HushError("USAGE", `unknown --generate spec ${JSON.stringify(s)}`, "use alnum[:N], hex[:N], base64[:N], base64url[:N], uuid, django, ascii[:N] or chars:ALPHABET:N");
  }
}

/** A random value of the spec's shape. */
export function generateValue(spec: GenerateSpec): string {
  if (spec.kind === "uuid") return randomUUID();
  if (spec.kind === "bytes") {
    const b = randomBytes(spec.count);
    const out = b.toString(spec.encoding);
    b.fill(0);
    return out;
  }
  const chars = [...spec.alphabet];
  let out = "";
  for (let i = 0; i < spec.length; i++) out += chars[randomInt(chars.length)]!;
  return out;
}

/**
 * The spec a new value for `old` should follow, so a rotated secret keeps the shape the consumer
 * expects: a UUID stays a UUID, hex stays hex of the same length, base64 keeps its byte count,
 * anything else keeps its length (at least 16) with letters and digits, or printable ASCII when
 * the old value had other characters.
 */
export function specLike(old: string): GenerateSpec {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(old)) return parseGenerateSpec("uuid");
  if (old.length >= 16 && old.length % 2 === 0 && /^[0-9a-f]+$/.test(old)) return parseGenerateSpec(`hex:${old.length}`);
  if (old.length >= 16 && /^[A-Za-z0-9+/]+={0,2}$/.test(old) && old.length % 4 === 0 && /[+/=]/.test(old)) {
    const bytes = (old.length / 4) * 3 - (old.endsWith("==") ? 2 : old.endsWith("=") ? 1 : 0);
    return parseGenerateSpec(`base64:${bytes}`);
  }
  if (old.length >= 16 && /^[A-Za-z0-9_-]+$/.test(old) && /[-_]/.test(old)) return parseGenerateSpec(`base64url:${Math.floor((old.length * 3) / 4)}`);
  const length = Math.max(16, old.length);
  return parseGenerateSpec(/^[A-Za-z0-9]*$/.test(old) ? `alnum:${length}` : `ascii:${length}`);
}
