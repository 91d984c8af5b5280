/**
 * PGP master keys (sops `pgp/keysource.go`, SOPS-FORMAT.md §7.3 and §8.4).
 *
 * An entry is `{created_at, enc, fp}`: `fp` is the fingerprint as configured (spaces removed, a
 * trailing `!` kept) and `enc` an armored `PGP MESSAGE` of the raw data key (or Shamir share).
 *
 * Where keys come from:
 * - **Encrypting** looks the public key up in the armored key file (below), then in GnuPG through
 *   `gpg --export --armor FP` (`GNUPGHOME` and `SOPS_GPG_EXEC` respected), and encrypts with
 *   openpgp.js as sops does with ProtonMail's go-crypto.
 * - **Decrypting** uses the private keys of the key file with openpgp.js, then GnuPG through
 *   `gpg --batch --decrypt`, as sops users expect (gpg-agent, smartcards and pinentry all work).
 * - The key file is hush's own addition, for machines without GnuPG (CI runners, containers):
 *   `SOPS_PGP_KEY_FILE` (or `HUSH_PGP_KEY_FILE`) names a file of one or more OpenPGP keys, armored
 *   (blocks may be concatenated, as `gpg --export-secret-keys --armor` and `gpg --export --armor`
 *   output appended to one file) or binary. Private keys in it decrypt, and every key in it (public
 *   or private) can be encrypted to. Passphrase-protected private keys are not supported there.
 *
 * Entries are matched to keys by the key IDs of the message's public-key encrypted session key
 * packets, read by a small parser here, so that neither openpgp.js is loaded nor gpg spawned for an
 * entry whose key we do not hold.
 *
 * openpgp.js costs ~50 ms to import and is imported on first use only: an age-only decrypt never
 * loads it, nor does a decrypt through GnuPG alone.
 *
 * Error messages name fingerprints and key IDs (public) and never contain key material: openpgp.js
 * and gpg messages are cut to one line and only then passed on.
 */
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient, KeyUnwrapper } from "./key-source.js";
import { fileProblem, keyFileExposure } from "../util/fs.js";

type OpenPgp = typeof import("openpgp");
type PgpKey = import("openpgp").Key;
type PgpPrivateKey = import("openpgp").PrivateKey;

let openpgpLib: Promise<OpenPgp> | undefined;
/** openpgp.js, imported once on first use. */
function loadOpenPgp(): Promise<OpenPgp> {
  return (openpgpLib ??= import("openpgp"));
}

/**
 * openpgp.js refuses RSA keys under 2047 bits by default; sops (go-crypto and gpg) accepts them,
 * and files in the wild are encrypted to such keys (sops's own test "Key 2" is RSA-1024). Reading
 * what sops reads wins here.
 */
const OPENPGP_CONFIG = { minRSABits: 1024 } as const;

/**
 * How long one gpg run may take. Generous: decrypting may wait for a human at a pinentry prompt
 * or a smartcard touch.
 */
const GPG_TIMEOUT_MS = 120_000;

/** The key-file variables, in the order they are read. */
export const PGP_KEY_FILE_VARS = ["SOPS_PGP_KEY_FILE", "HUSH_PGP_KEY_FILE"] as const;

/** The key ID PKESK packets carry for a hidden ("anonymous") recipient. */
const WILDCARD_KEY_ID = "0000000000000000";

// ---------------------------------------------------------------------------------------------
// Small helpers

/** One line of a library or gpg message, shortened; never a secret (see the file comment). */
function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const line = (m.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
  // Belt and braces: armored key material never leaves this module.
  const clean = line.replace(/-----BEGIN PGP[^]*$/, "(key material removed)");
  return clean.length > 160 ? `${clean.slice(0, 157)}…` : clean;
}

/** The gpg program: `SOPS_GPG_EXEC` or `gpg`. */
function gpgProgram(env: NodeJS.ProcessEnv): string {
  return env["SOPS_GPG_EXEC"] || "gpg";
}

/** GnuPG's home as gpg will use it, for messages. */
function gnupgHome(env: NodeJS.ProcessEnv): string {
  return env["GNUPGHOME"] || join(env["HOME"] || homedir(), ".gnupg");
}

interface GpgResult {
  /** Exit status, or null when gpg could not be run or was killed. */
  status: number | null;
  stdout: Buffer;
  stderr: string;
  /** Why gpg did not run to completion ("not installed", "timed out after 120 s", …). */
  failure?: string;
}

/** Runs gpg without a shell, feeding `input` on stdin; never rejects. */
function runGpg(env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<GpgResult> {
  const program = gpgProgram(env);
  return new Promise((resolve) => {
    let settled = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const done = (r: Omit<GpgResult, "stdout" | "stderr">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, args, { env, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
    } catch (e) {
      done({ status: null, failure: spawnFailure(e) });
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      done({ status: null, failure: `timed out after ${GPG_TIMEOUT_MS / 1000} s` });
    }, GPG_TIMEOUT_MS);
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => done({ status: null, failure: spawnFailure(e) }));
    child.on("close", (status, signal) =>
      done(status === null ? { status: null, failure: `killed by ${signal ?? "a signal"}` } : { status }),
    );
    // gpg may exit before reading all of stdin (a bad message): ignore EPIPE, the status tells.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input ?? "");
  });
}

function spawnFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "not installed (not found on PATH)";
  if (code === "EACCES") return "permission denied";
  return `cannot be run${code ? ` (${code})` : ""}`;
}

/** The most useful line of gpg's stderr: its "decryption failed: …" reason, else its first line. */
function gpgReason(r: GpgResult): string {
  if (r.failure) return r.failure;
  const lines = r.stderr.split(/\r?\n/).filter((l) => l.startsWith("gpg: "));
  const failed = lines.find((l) => /failed: /.test(l));
  const line = failed ?? lines[lines.length - 1];
  return line ? oneLine(line.slice(5)) : `exited with status ${r.status}`;
}

// ---------------------------------------------------------------------------------------------
// Fingerprints

/**
 * Normalises a fingerprint as sops does (all spaces removed; a trailing `!`, gpg's "exactly this
 * (sub)key", kept) and checks it: a full v4 (40 hex digits) or v5/v6 (64) fingerprint, or a long
 * key ID (16). Throws HushError USAGE otherwise.
 */
export function normaliseFingerprint(fp: string): string {
  const s = fp.replace(/\s+/g, "");
  const bare = s.replace(/^0x/i, "").replace(/!$/, "");
  if (/^[0-9A-Fa-f]{8}$/.test(bare)) {
    throw new HushError("USAGE", `PGP short key ID ${JSON.stringify(s)} is ambiguous`, "give the full fingerprint (gpg --fingerprint)");
  }
  if (!/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.test(bare)) {
    throw new HushError(
      "USAGE",
      `not a PGP fingerprint: ${JSON.stringify(s.length > 72 ? `${s.slice(0, 68)}…` : s)}`,
      "give the key's full fingerprint, 40 hex digits (gpg --fingerprint shows it)",
    );
  }
  return s.replace(/^0x/i, "");
}

/** True when `fp` (hex, any case, no `!`) names this key or subkey: fingerprint or key ID. */
function namesKey(fp: string, sub: { getFingerprint(): string; getKeyID(): { toHex(): string } }): boolean {
  const want = fp.toLowerCase();
  return want.length === 16 ? sub.getKeyID().toHex().toLowerCase() === want : sub.getFingerprint().toLowerCase() === want;
}

// ---------------------------------------------------------------------------------------------
// PKESK key IDs, without openpgp.js

/** The binary packets of an armored OpenPGP message, or null when it is not one. */
function dearmorMessage(armored: string): Uint8Array | null {
  const lines = armored.replace(/\r/g, "").split("\n").map((l) => l.trim());
  const begin = lines.indexOf("-----BEGIN PGP MESSAGE-----");
  if (begin === -1) return null;
  let i = begin + 1;
  // Armor headers ("Version: …", "Comment: …") run to a blank line.
  while (i < lines.length && /^[\w-]+: /.test(lines[i]!)) i++;
  if (lines[i] === "") i++;
  let b64 = "";
  for (; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith("-----END PGP MESSAGE-----")) break;
    if (/^=[A-Za-z0-9+/]{4}$/.test(l)) continue; // the CRC-24 checksum
    if (!/^[A-Za-z0-9+/=]*$/.test(l)) return null;
    b64 += l;
  }
  if (i >= lines.length || b64 === "") return null;
  return new Uint8Array(Buffer.from(b64, "base64"));
}

/**
 * The key IDs (16 upper-case hex digits) a message's public-key encrypted session key packets are
 * addressed to, in order, read from the armor without openpgp.js (RFC 9580 §4.2, §5.1). A hidden
 * recipient gives `0000000000000000`. Returns null when the text is not a message this parser
 * understands; the caller then tries every key it holds.
 */
export function pkeskKeyIds(armored: string): string[] | null {
  const bytes = dearmorMessage(armored);
  if (!bytes) return null;
  const ids: string[] = [];
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();
  let p = 0;
  while (p < bytes.length) {
    const ctb = bytes[p++]!;
    if ((ctb & 0x80) === 0) return null;
    let tag: number;
    let len: number;
    if (ctb & 0x40) {
      tag = ctb & 0x3f;
      const o1 = bytes[p++];
      if (o1 === undefined) return null;
      if (o1 < 192) len = o1;
      else if (o1 < 224) {
        const o2 = bytes[p++];
        if (o2 === undefined) return null;
        len = ((o1 - 192) << 8) + o2 + 192;
      } else if (o1 === 255) {
        if (p + 4 > bytes.length) return null;
        len = ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0;
        p += 4;
      } else {
        // A partial length: only data packets use it, and they come after the session keys.
        break;
      }
    } else {
      tag = (ctb >> 2) & 0x0f;
      const lt = ctb & 3;
      if (lt === 3) break; // indeterminate length: a data packet
      const n = 1 << lt;
      if (p + n > bytes.length) return null;
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + bytes[p + k]!;
      p += n;
    }
    if (p + len > bytes.length) return null;
    const body = bytes.subarray(p, p + len);
    p += len;
    if (tag === 1) {
      const version = body[0];
      if (version === 3 && body.length >= 9) {
        ids.push(hex(body.subarray(1, 9)));
      } else if (version === 6 && body.length >= 2) {
        const n = body[1]!;
        if (n === 0) ids.push(WILDCARD_KEY_ID);
        else {
          const keyVersion = body[2];
          const fpr = body.subarray(3, 2 + n);
          if (fpr.length < 8) return null;
          // v4 key IDs are the fingerprint's last 8 bytes; v5/v6 key IDs are its first 8.
          ids.push(hex(keyVersion === 4 ? fpr.subarray(fpr.length - 8) : fpr.subarray(0, 8)));
        }
      } else {
        return null;
      }
    } else if (tag === 3 || tag === 10) {
      // A passphrase-encrypted session key, or a marker packet: nothing for us.
    } else {
      break; // the encrypted data: no more session keys follow
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Key files

/** Keys read from a key file. */
interface KeyFileKeys {
  keys: PgpKey[];
  problems: string[];
}

/** Reads every OpenPGP key in a file: concatenated armored blocks, or binary packets. */
async function readKeyFile(path: string, source: string, env: NodeJS.ProcessEnv): Promise<KeyFileKeys> {
  const problems: string[] = [];
  let raw: Buffer;
  try {
    raw = await fsp.readFile(path);
  } catch (err) {
    return { keys: [], problems: [`${source}: ${fileProblem(err)}`] };
  }
  // Only secret keys need hiding: a file of public keys may be readable by anyone.
  if (raw.includes("PRIVATE KEY BLOCK")) {
    const exposed = await keyFileExposure(path, source, env);
    if (exposed) return { keys: [], problems: [exposed] };
  }
  const openpgp = await loadOpenPgp();
  const keys: PgpKey[] = [];
  const text = raw.toString("utf8");
  const blocks = [...text.matchAll(/-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[^]*?-----END PGP \1 KEY BLOCK-----/g)];
  if (blocks.length > 0) {
    for (const [i, m] of blocks.entries()) {
      try {
        keys.push(...(await openpgp.readKeys({ armoredKeys: m[0], config: OPENPGP_CONFIG })));
      } catch (err) {
        problems.push(`${source}: key block ${i + 1} cannot be read: ${oneLine(err)}`);
      }
    }
  } else if (/-----BEGIN PGP/.test(text)) {
    problems.push(`${source}: no PGP key block in the file`);
  } else {
    try {
      keys.push(...(await openpgp.readKeys({ binaryKeys: new Uint8Array(raw), config: OPENPGP_CONFIG })));
    } catch (err) {
      problems.push(`${source}: not an OpenPGP key file: ${oneLine(err)}`);
    }
  }
  if (keys.length === 0 && problems.length === 0) problems.push(`${source}: no PGP keys found`);
  return { keys, problems };
}

/** The key files named by the environment, with the variable each came from. */
function keyFilesOf(env: NodeJS.ProcessEnv): { path: string; source: string }[] {
  const seen = new Set<string>();
  const out: { path: string; source: string }[] = [];
  for (const v of PGP_KEY_FILE_VARS) {
    const path = env[v];
    if (!path || seen.has(path)) continue;
    seen.add(path);
    out.push({ path, source: `${v} ${path}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recipients

/**
 * Finds the public key for `fp` (no `!`): first in the key files, then in GnuPG. Returns the key
 * and where it came from, or a HushError KEY_SOURCE saying where it looked.
 */
async function findPublicKey(fp: string, env: NodeJS.ProcessEnv): Promise<{ key: PgpKey; source: string }> {
  const looked: string[] = [];
  for (const f of keyFilesOf(env)) {
    const { keys, problems } = await readKeyFile(f.path, f.source, env);
    const key = keys.find((k) => k.getKeys().some((s) => namesKey(fp, s)));
    if (key) return { key: key.isPrivate() ? key.toPublic() : key, source: f.source };
    looked.push(problems.length > 0 ? problems.join("; ") : `${f.source}: not there`);
  }
  const r = await runGpg(env, ["--batch", "--no-tty", "--export", "--armor", "--", fp]);
  const armored = r.stdout.toString("utf8");
  if (r.status === 0 && armored.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
    const openpgp = await loadOpenPgp();
    try {
      const keys = await openpgp.readKeys({ armoredKeys: armored, config: OPENPGP_CONFIG });
      const key = keys.find((k) => k.getKeys().some((s) => namesKey(fp, s))) ?? keys[0];
      if (key) return { key, source: `GnuPG (${gnupgHome(env)})` };
    } catch (err) {
      throw new HushError("KEY_SOURCE", `pgp ${fp}: the key exported by gpg cannot be read: ${oneLine(err)}`);
    }
  }
  looked.push(r.status === 0 || !r.failure ? `GnuPG ${gnupgHome(env)}: not there` : `gpg (${gpgProgram(env)}): ${r.failure}`);
  throw new HushError(
    "KEY_SOURCE",
    `pgp ${fp}: public key not found (${looked.join("; ")})`,
    "import it with `gpg --import`, or set SOPS_PGP_KEY_FILE to a file holding it",
  );
}

/** `time.Now().UTC().Format(time.RFC3339)`, as sops stamps `created_at`. */
function rfc3339Utc(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A recipient that wraps the data key as sops does: the raw key, as a binary literal, in an
 * armored `PGP MESSAGE` without a trailing newline (SOPS-FORMAT §7.3). `spec` is a fingerprint;
 * `env` decides where the public key is looked up (see the file comment).
 */
export function pgpRecipient(spec: string | Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
  if (typeof spec !== "string") throw new HushError("CONFIG", "a PGP recipient must be a string (a fingerprint)");
  const fp = normaliseFingerprint(spec);
  const bare = fp.replace(/!$/, "");
  return {
    kind: "pgp",
    id: fp,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      const createdAt = rfc3339Utc(new Date());
      const { key } = await findPublicKey(bare, env);
      const openpgp = await loadOpenPgp();
      let enc: string;
      try {
        // `FP!` means exactly that (sub)key, as in gpg; otherwise openpgp.js picks the key's
        // newest valid encryption subkey, as go-crypto and gpg do.
        const exact = fp.endsWith("!") ? key.getKeys().find((s) => namesKey(bare, s)) : undefined;
        const message = await openpgp.createMessage({ binary: dataKey, format: "binary" });
        enc = await openpgp.encrypt({
          message,
          encryptionKeys: key,
          ...(exact ? { encryptionKeyIDs: exact.getKeyID() } : {}),
          format: "armored",
          config: OPENPGP_CONFIG,
        });
      } catch (err) {
        throw new HushError("KEY_SOURCE", `pgp ${fp}: cannot encrypt the data key: ${oneLine(err)}`);
      }
      return { created_at: createdAt, enc: enc.replace(/\r\n/g, "\n").replace(/\n+$/, ""), fp };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Decryption

/** A gpg secret key listing: key IDs of usable secret (sub)keys, and the primary count. */
interface GpgSecrets {
  keyIds: Set<string>;
  primaries: number;
  /** Why gpg could not be asked, when it could not. */
  failure?: string;
}

/**
 * Reads `gpg --with-colons --list-secret-keys`: `sec`/`ssb` records carry the key ID in field 5;
 * field 15 is `#` for a stub whose secret part is not available (gnupg `doc/DETAILS`).
 */
export function parseGpgSecretKeys(colons: string): { keyIds: Set<string>; primaries: number } {
  const keyIds = new Set<string>();
  let primaries = 0;
  for (const line of colons.split(/\r?\n/)) {
    const f = line.split(":");
    if (f[0] !== "sec" && f[0] !== "ssb") continue;
    if (f[0] === "sec") primaries++;
    const id = f[4];
    if (id && f[14] !== "#") keyIds.add(id.toUpperCase());
  }
  return { keyIds, primaries };
}

/**
 * The PGP private keys hush holds: those of the key files, and GnuPG's. Unwraps `sops.pgp[]`
 * entries; load problems are kept, to be reported only when no key could decrypt.
 */
export class PgpKeyring implements KeyUnwrapper {
  readonly kind = "pgp" as const;
  /** Problems met while loading the key files, one line each, free of secrets. */
  readonly problems: string[];
  readonly #env: NodeJS.ProcessEnv;
  /** Decrypted private keys of the key files; private, so never printed or serialised. */
  readonly #keys: readonly PgpPrivateKey[];
  readonly #keyFileSources: readonly string[];
  #gpg: Promise<GpgSecrets> | undefined;
  #gpgSeen: GpgSecrets | undefined;

  /** `keys` must be decrypted private keys; `env` is used for gpg. */
  constructor(keys: readonly PgpPrivateKey[], env: NodeJS.ProcessEnv, problems: readonly string[] = [], keyFileSources: readonly string[] = []) {
    this.#keys = [...keys];
    this.#env = env;
    this.problems = [...problems];
    this.#keyFileSources = [...keyFileSources];
  }

  /** How many private keys the key files gave. */
  get keyFileCount(): number {
    return this.#keys.length;
  }

  /** GnuPG's secret keys, listed once, on first need. */
  #gpgSecrets(): Promise<GpgSecrets> {
    return (this.#gpg ??= (async () => {
      const r = await runGpg(this.#env, ["--batch", "--no-tty", "--with-colons", "--list-secret-keys"]);
      const parsed = parseGpgSecretKeys(r.stdout.toString("utf8"));
      const s: GpgSecrets = r.failure ? { ...parsed, failure: `gpg (${gpgProgram(this.#env)}): ${r.failure}` } : parsed;
      this.#gpgSeen = s;
      return s;
    })());
  }

  /**
   * Returns the unwrapped data key, `null` when no key held matches the message's recipients, and
   * throws HushError KEY_SOURCE when the entry is malformed or a key that matches fails.
   */
  async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
    const fp = typeof entry["fp"] === "string" && entry["fp"] !== "" ? entry["fp"] : "(no fp)";
    const enc = entry["enc"];
    if (typeof enc !== "string" || enc.trim() === "") throw new HushError("KEY_SOURCE", `pgp ${fp}: the entry has no enc`);
    if (!enc.includes("-----BEGIN PGP MESSAGE-----")) {
      throw new HushError("KEY_SOURCE", `pgp ${fp}: enc is not an armored PGP message`);
    }
    // null: unknown recipients (a layout the parser does not read), so every key is tried.
    const ids = pkeskKeyIds(enc);
    const anyKey = ids === null || ids.includes(WILDCARD_KEY_ID);
    const failures: string[] = [];

    const fileKeys = this.#keys.filter(
      (k) => anyKey || k.getKeys().some((s) => ids.includes(s.getKeyID().toHex().toUpperCase())),
    );
    if (fileKeys.length > 0) {
      const openpgp = await loadOpenPgp();
      try {
        // A message object is spent by one decrypt (openpgp.js drops its session key packets),
        // so all candidate keys go in one call.
        const message = await openpgp.readMessage({ armoredMessage: enc, config: OPENPGP_CONFIG });
        const { data } = await openpgp.decrypt({ message, decryptionKeys: [...fileKeys], format: "binary", config: OPENPGP_CONFIG });
        if (data.length > 0) return data;
        failures.push("the key file's key decrypted it to nothing");
      } catch (err) {
        if (!anyKey) failures.push(`with the key file's key: ${oneLine(err)}`);
      }
    }

    const gpg = await this.#gpgSecrets();
    const gpgHolds = anyKey ? gpg.keyIds.size > 0 : ids.some((id) => gpg.keyIds.has(id));
    if (gpgHolds) {
      // --status-fd puts machine-readable lines on stderr: NO_SECKEY tells "not ours" apart.
      const r = await runGpg(this.#env, ["--batch", "--no-tty", "--status-fd", "2", "--decrypt"], enc);
      if (r.status === 0 && r.stdout.length > 0) return new Uint8Array(r.stdout);
      const noSecretKey = /^\[GNUPG:\] NO_SECKEY /m.test(r.stderr) && !/^\[GNUPG:\] DECRYPTION_OKAY/m.test(r.stderr);
      if (!(anyKey && noSecretKey)) {
        failures.push(r.status === 0 ? "gpg decrypted it to nothing" : `gpg: ${gpgReason(r)}`);
      }
    }

    if (failures.length > 0) throw new HushError("KEY_SOURCE", `pgp ${fp}: could not decrypt: ${failures.join("; ")}`);
    return null;
  }

  /** One line on what is held, for "could not decrypt the data key" messages. */
  describe(): string {
    const gpg = this.#gpgSeen;
    const home = gnupgHome(this.#env);
    const gpgPart = !gpg
      ? "GnuPG not consulted"
      : gpg.failure
        ? gpg.failure
        : `${gpg.primaries} in GnuPG ${home}`;
    const files = this.#keyFileSources.length > 0 ? `${this.#keys.length} from ${this.#keyFileSources.join(", ")}` : "no SOPS_PGP_KEY_FILE";
    const total = this.#keys.length + (gpg && !gpg.failure ? gpg.keyIds.size : 0);
    if (total === 0) return `no PGP private key found (${files}; ${gpgPart})`;
    return `none of the PGP private keys held matches (${files}; ${gpgPart})`;
  }
}

/**
 * Loads the PGP keyring sops would use plus hush's key file: the private keys of
 * `SOPS_PGP_KEY_FILE`/`HUSH_PGP_KEY_FILE` now (openpgp.js is imported only when one is set), and
 * GnuPG's secret keys on first need. Never throws: problems are kept in `problems`.
 */
export async function loadPgpKeyring(env: NodeJS.ProcessEnv = process.env): Promise<PgpKeyring> {
  const keys: PgpPrivateKey[] = [];
  const problems: string[] = [];
  const sources: string[] = [];
  for (const f of keyFilesOf(env)) {
    sources.push(f.source);
    const r = await readKeyFile(f.path, f.source, env);
    problems.push(...r.problems);
    for (const k of r.keys) {
      if (!k.isPrivate()) continue;
      if (!k.isDecrypted()) {
        problems.push(
          `${f.source}: the private key ${k.getFingerprint().toUpperCase()} is protected by a passphrase, which the key file does not support (import it into GnuPG instead)`,
        );
        continue;
      }
      keys.push(k);
    }
    if (r.keys.length > 0 && !r.keys.some((k) => k.isPrivate())) problems.push(`${f.source}: holds public keys only`);
  }
  return new PgpKeyring(keys, env, problems, sources);
}
