/**
 * Shamir secret sharing as sops does it (`shamir/shamir.go`, a fork of Vault's): GF(2^8) with the
 * AES polynomial 0x11B, byte-wise; a share is the y-bytes followed by its x (1-based).
 */
import { randomBytes } from "node:crypto";
import { HushError } from "../errors.js";

function mul(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) {
    if (b & 1) r ^= a;
    const hi = a & 0x80;
    a = (a << 1) & 0xff;
    if (hi) a ^= 0x1b;
    b >>= 1;
  }
  return r;
}

function inv(a: number): number {
  // a^254 = a^-1 in GF(2^8).
  let r = 1;
  let base = a;
  let e = 254;
  while (e > 0) {
    if (e & 1) r = mul(r, base);
    base = mul(base, base);
    e >>= 1;
  }
  return r;
}

/** Splits `secret` into `parts` shares, any `threshold` of which recover it. */
export function split(secret: Uint8Array, parts: number, threshold: number, random: (n: number) => Uint8Array = randomBytes): Uint8Array[] {
  if (!(threshold >= 2 && threshold <= parts && parts <= 255)) {
    throw new HushError("CONFIG", `Shamir threshold must be between 2 and the number of key groups (${parts}), got ${threshold}`);
  }
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = i + 1;
    return s;
  });
  for (let b = 0; b < secret.length; b++) {
    const coeffs = [secret[b]!, ...random(threshold - 1)];
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      // Horner's rule, highest coefficient first.
      let y = 0;
      for (let c = coeffs.length - 1; c >= 0; c--) y = mul(y, x) ^ coeffs[c]!;
      shares[i]![b] = y;
    }
  }
  return shares;
}

/** Recovers the secret from shares by Lagrange interpolation at 0 over all of them. */
export function combine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new HushError("COULD_NOT_RETRIEVE_KEY", "at least two Shamir shares are needed");
  const len = shares[0]!.length;
  if (len < 2 || shares.some((s) => s.length !== len)) {
    throw new HushError("COULD_NOT_RETRIEVE_KEY", "Shamir shares have different lengths");
  }
  const xs = shares.map((s) => s[len - 1]!);
  if (new Set(xs).size !== xs.length) throw new HushError("COULD_NOT_RETRIEVE_KEY", "duplicate Shamir share");
  const out = new Uint8Array(len - 1);
  for (let b = 0; b < len - 1; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        // basis *= x_j / (x_j - x_i); subtraction is XOR in GF(2^8).
        basis = mul(basis, mul(xs[j]!, inv(xs[j]! ^ xs[i]!)));
      }
      acc ^= mul(shares[i]![b]!, basis);
    }
    out[b] = acc;
  }
  return out;
}
