/**
 * bcrypt_pbkdf (OpenBSD `bcrypt_pbkdf.c`), the key derivation of passphrase-protected OpenSSH
 * private keys, on Blowfish written here: Node's OpenSSL has no bcrypt. Blowfish's initial state
 * is the hexadecimal expansion of π, computed once (Machin's formula with BigInt, a few ms)
 * instead of a 4 KiB constant table; the first words are checked against the published ones.
 * Only for opening a key the user has asked to open: it is slow by design (~0.3 s a round set).
 */
import { createHash } from "node:crypto";

const WORDS = 18 + 4 * 256;

let piWords: Uint32Array | undefined;

/** The first 1042 32-bit words of π's fractional part: Blowfish's P-array then its S-boxes. */
function blowfishInit(): Uint32Array {
  if (piWords) return piWords;
  const bits = BigInt(WORDS * 32 + 64);
  const one = 1n << bits;
  const atanInv = (x: bigint): bigint => {
    // atan(1/x) = Σ (-1)^k / ((2k+1) x^(2k+1)), fixed point with `bits` fractional bits.
    let sum = 0n;
    let term = one / x;
    const x2 = x * x;
    for (let k = 0n; term !== 0n; k++) {
      const t = term / (2n * k + 1n);
      sum += k % 2n === 0n ? t : -t;
      term /= x2;
    }
    return sum;
  };
  const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
  // Drop the integer part (3) and the 64 guard bits; read 32 bits at a time from the top.
  let frac = (pi - 3n * one) >> 64n;
  const out = new Uint32Array(WORDS);
  for (let i = WORDS - 1; i >= 0; i--) {
    out[i] = Number(frac & 0xffffffffn);
    frac >>= 32n;
  }
  if (out[0] !== 0x243f6a88 || out[18] !== 0xd1310ba6 || out[WORDS - 1] !== 0x3ac372e6) throw new Error("π expansion mismatch");
  return (piWords = out);
}

class Blowfish {
  readonly p = new Uint32Array(18);
  readonly s = new Uint32Array(1024);
  constructor() {
    const init = blowfishInit();
    this.p.set(init.subarray(0, 18));
    this.s.set(init.subarray(18));
  }

  #f(x: number): number {
    const s = this.s;
    return (((s[x >>> 24]! + s[256 + ((x >>> 16) & 0xff)]!) ^ s[512 + ((x >>> 8) & 0xff)]!) + s[768 + (x & 0xff)]!) >>> 0;
  }

  /** Enciphers the block (l, r) held in `lr`. */
  encipher(lr: Uint32Array, at = 0): void {
    const p = this.p;
    let l = lr[at]! ^ p[0]!;
    let r = lr[at + 1]!;
    for (let i = 1; i <= 16; i += 2) {
      r ^= this.#f(l) ^ p[i]!;
      l ^= this.#f(r >>> 0) ^ p[i + 1]!;
      l >>>= 0;
    }
    lr[at] = (r ^ p[17]!) >>> 0;
    lr[at + 1] = l >>> 0;
  }

  /** `Blowfish_expandstate` (data given) or `Blowfish_expand0state` (data null). */
  expand(key: Uint8Array, data: Uint8Array | null): void {
    const cursor = { key: 0, data: 0 };
    const word = (buf: Uint8Array, which: "key" | "data"): number => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = ((w << 8) | buf[cursor[which]]!) >>> 0;
        cursor[which] = (cursor[which] + 1) % buf.length;
      }
      return w;
    };
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i]! ^ word(key, "key")) >>> 0;
    const lr = new Uint32Array(2);
    const step = () => {
      if (data) {
        lr[0] = (lr[0]! ^ word(data, "data")) >>> 0;
        lr[1] = (lr[1]! ^ word(data, "data")) >>> 0;
      }
      this.encipher(lr);
    };
    for (let i = 0; i < 18; i += 2) {
      step();
      this.p[i] = lr[0]!;
      this.p[i + 1] = lr[1]!;
    }
    for (let i = 0; i < 1024; i += 2) {
      step();
      this.s[i] = lr[0]!;
      this.s[i + 1] = lr[1]!;
    }
  }
}

const MAGIC = Buffer.from("OxychromaticBlowfishSwatDynamite");

/** `bcrypt_hash`: 32 bytes from the SHA-512 of the passphrase and of the salt. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Buffer {
  const bf = new Blowfish();
  bf.expand(sha2pass, sha2salt);
  for (let i = 0; i < 64; i++) {
    bf.expand(sha2salt, null);
    bf.expand(sha2pass, null);
  }
  const cdata = new Uint32Array(8);
  for (let i = 0; i < 8; i++) cdata[i] = MAGIC.readUInt32BE(i * 4);
  for (let i = 0; i < 64; i++) for (let b = 0; b < 8; b += 2) bf.encipher(cdata, b);
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeUInt32LE(cdata[i]!, i * 4);
  return out;
}

/** `bcrypt_pbkdf(pass, salt, keylen, rounds)`, as OpenSSH derives a key file's cipher key and IV. */
export function bcryptPbkdf(pass: Uint8Array, salt: Uint8Array, keyLen: number, rounds: number): Buffer {
  const key = Buffer.alloc(keyLen);
  const stride = Math.ceil(keyLen / 32);
  let amt = Math.ceil(keyLen / stride);
  const sha2pass = createHash("sha512").update(pass).digest();
  let remaining = keyLen;
  for (let count = 1; remaining > 0; count++) {
    const countSalt = Buffer.concat([Buffer.from(salt), Buffer.from([count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff])]);
    let tmp = bcryptHash(sha2pass, createHash("sha512").update(countSalt).digest());
    const out = Buffer.from(tmp);
    for (let i = 1; i < rounds; i++) {
      tmp = bcryptHash(sha2pass, createHash("sha512").update(tmp).digest());
      for (let j = 0; j < 32; j++) out[j]! ^= tmp[j]!;
    }
    amt = Math.min(amt, remaining);
    let i = 0;
    for (; i < amt; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLen) break;
      key[dest] = out[i]!;
    }
    remaining -= i;
  }
  sha2pass.fill(0);
  return key;
}
