/** Bech32 (BIP 173, original constant, no length limit) as age uses it for keys and recipients. */

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

/** The BIP 173 checksum state after the expanded human-readable part and `words`. */
function bech32Polymod(hrp: string, words: readonly number[]): number {
  let chk = 1;
  const step = (v: number) => {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i]!;
  };
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) >>> 5);
  step(0);
  for (let i = 0; i < hrp.length; i++) step(hrp.charCodeAt(i) & 31);
  for (const w of words) step(w);
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
  const sep = s.lastIndexOf("1");
  if (sep < 1 || s.length - sep - 1 < 6) return null;
  const hrp = s.slice(0, sep);
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126 || (c >= 65 && c <= 90)) return null;
  }
  const words: number[] = [];
  for (const ch of s.slice(sep + 1)) {
    const v = BECH32_CHARSET.indexOf(ch);
    if (v === -1) return null;
    words.push(v);
  }
  if (bech32Polymod(hrp, words) !== 1) return null;
  // 5-bit groups to bytes; leftover bits must be fewer than 5 and zero.
  const data = words.slice(0, -6);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of data) {
    acc = (acc << 5) | w;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  if (bits >= 5 || acc !== 0) return null;
  return { hrp, bytes: Uint8Array.from(out) };
}
