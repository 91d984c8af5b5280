/**
 * What the age client's files share (`age-client.ts` and the files it is split into): the lazily
 * imported age-encryption module, the secret-key prefixes, and message helpers that never let a
 * secret key through.
 */

type AgeLib = typeof import("age-encryption");

let ageLib: Promise<AgeLib> | undefined;
/**
 * The age-encryption module, imported once on first use: it costs ~80 ms to import and is needed
 * only for hybrid post-quantum identities, encryption to non-X25519 recipients and key generation.
 */
export function loadAgeLib(): Promise<AgeLib> {
  return (ageLib ??= import("age-encryption"));
}

export const X25519_SECRET_PREFIX = "AGE-SECRET-KEY-1";
export const HYBRID_SECRET_PREFIX = "AGE-SECRET-KEY-PQ-1";

/** Shortens a (public) recipient for a message. */
export function shown(s: string): string {
  const t = s.length > 72 ? `${s.slice(0, 68)}…` : s;
  return JSON.stringify(t);
}

/**
 * One line of a library error message. typage's (really @scure/base's) bech32 errors quote the
 * whole input ("Invalid checksum in AGE-SECRET-KEY-1…"), so anything that looks like a secret key
 * is cut out here: such messages are never passed on whole, nor as a `cause`.
 */
export function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const line = m.split(/\r?\n/, 1)[0] ?? "";
  const clean = line.replace(/AGE-SECRET-KEY-[A-Z0-9-]*/gi, "AGE-SECRET-KEY-…");
  return clean.length > 160 ? `${clean.slice(0, 157)}…` : clean;
}
