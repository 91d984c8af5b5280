/** Bech32 (BIP 173, original constant, no length limit) as age uses it for keys and recipients. */

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** BECH32_CHARSET's index of each ASCII code, -1 for none. */
const BECH32_INDEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < BECH32_CHARSET.length; i++) t[BECH32_CHARSET.charCodeAt(i)] = i;
  return t;
})();

/** The BIP 173 checksum state after the expanded human-readable part and `words`. */
function bech32Polymod(hrp: string, words: ArrayLike<number>): number {
  let chk = 1;
  const step = (v: number) => {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i]!;
  };
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) >>> 5);
  step(0);
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) & 31);
  for (let i = 0; i < words.length; i++) step(words[i]!);
  return chk;
}

/** Encodes bytes as lowercase bech32 (original constant, as age uses) under `hrp`. */
export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const words: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >>> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const chk = bech32Polymod(hrp, [...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  for (let i = 0; i < 6; i++) words.push((chk >>> (5 * (5 - i))) & 31);
  return `${hrp}1${words.map((w) => BECH32_CHARSET[w]).join("")}`;
}

/**
 * Decodes a lowercase bech32 string (BIP 173, original constant, which age uses) with no length
 * limit. Returns the human-readable part and the data as bytes, or null when malformed.
 */
export function bech32Decode(s: string): { hrp: string; bytes: Uint8Array } | null {
  return decode(s.length, (i) => s.charCodeAt(i));
}

/**
 * Decodes bech32 held as ASCII bytes (`src[start, end)`), reading upper-case letters as lower
 * case (age writes identities in upper case). No string of the data part is made, and the
 * working arrays are zeroed, so a secret key decoded this way leaves only the returned bytes,
 * which the caller zeroes. Null when malformed, as for {@link bech32Decode}.
 */
export function bech32DecodeBytes(src: Uint8Array, start: number, end: number): { hrp: string; bytes: Uint8Array } | null {
  return decode(end - start, (i) => {
    const c = src[start + i]!;
    return c >= 65 && c <= 90 ? c + 32 : c;
  });
}

/** The decoder behind both forms: `code(i)` is the i-th character's code. */
function decode(len: number, code: (i: number) => number): { hrp: string; bytes: Uint8Array } | null {
  let sep = -1;
  for (let i = len - 1; i >= 0 && sep === -1; i--) if (code(i) === 0x31) sep = i;
  if (sep < 1 || len - sep - 1 < 6) return null;
  let hrp = "";
  for (let i = 0; i < sep; i++) {
    const c = code(i);
    if (c < 33 || c > 126 || (c >= 65 && c <= 90)) return null;
    hrp += String.fromCharCode(c);
  }
  const words = new Uint8Array(len - sep - 1);
  try {
    for (let i = 0; i < words.length; i++) {
      const c = code(sep + 1 + i);
      const v = c < 128 ? BECH32_INDEX[c]! : -1;
      if (v === -1) return null;
      words[i] = v;
    }
    if (bech32Polymod(hrp, words) !== 1) return null;
    // 5-bit groups to bytes; leftover bits must be fewer than 5 and zero.
    const n = words.length - 6;
    const out = new Uint8Array(Math.floor((n * 5) / 8));
    let acc = 0;
    let bits = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      acc = (acc << 5) | words[i]!;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out[k++] = (acc >>> bits) & 0xff;
      }
      acc &= (1 << bits) - 1;
    }
    if (bits >= 5 || acc !== 0) {
      out.fill(0);
      return null;
    }
    return { hrp, bytes: out };
  } finally {
    words.fill(0);
  }
}
