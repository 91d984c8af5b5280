/**
 * age's SSH recipient types (age spec, "ssh-ed25519" and "ssh-rsa"; Go: `filippo.io/age/agessh`),
 * which sops ≥ 3.10 accepts as age recipients and identities, on `node:crypto` alone:
 *
 * - `ssh-ed25519`: the Ed25519 key converted to X25519 (public: the birational map
 *   u = (1+y)/(1−y); private: the clamped first half of SHA-512(seed)), an X25519 exchange with an
 *   ephemeral share, the shared secret tweaked by X25519(HKDF(salt = SSH public key, label), ·),
 *   then HKDF-SHA256 (salt = share ‖ public key) to a ChaCha20-Poly1305 wrapping key.
 * - `ssh-rsa`: RSA-OAEP with SHA-256 and the label `age-encryption.org/v1/ssh-rsa`.
 *
 * Both stanzas carry a tag, the first 4 bytes of SHA-256 of the SSH wire-format public key, so an
 * identity skips stanzas for other keys without trying them.
 *
 * Private keys: OpenSSH (`BEGIN OPENSSH PRIVATE KEY`, unencrypted), PKCS #1 (`BEGIN RSA PRIVATE
 * KEY`) and PKCS #8 (`BEGIN PRIVATE KEY`), as `ssh.ParseRawPrivateKey` reads them. A
 * passphrase-protected key is not decrypted (that needs bcrypt_pbkdf): it is reported with its
 * public key, so a later "no key matched" can say that this key was the one needed.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { HushError } from "../errors.js";
import { bcryptPbkdf } from "./ssh-bcrypt.js";
import { chachaOpen, hkdf, x25519, x25519PrivateKey, x25519PublicKey, type AgeStanza } from "./age-native.js";

const ED25519_LABEL = "age-encryption.org/v1/ssh-ed25519";
const RSA_LABEL = "age-encryption.org/v1/ssh-rsa";
const FILE_KEY_SIZE = 16;

function fail(message: string): never {
  throw new HushError("KEY_SOURCE", message);
}

// ---------------------------------------------------------------------------------------------
// SSH wire format (RFC 4251 §5)

class WireReader {
  #pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.#pos >= this.buf.length;
  }
  u32(): number {
    if (this.#pos + 4 > this.buf.length) throw new Error("truncated");
    const v = this.buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    if (this.#pos + n > this.buf.length) throw new Error("truncated");
    const b = this.buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }
  string(): string {
    return this.bytes().toString("latin1");
  }
}

const wireString = (b: Uint8Array | string): Buffer => {
  const body = typeof b === "string" ? Buffer.from(b, "latin1") : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
};

/** An unsigned big-endian integer as an SSH mpint (a leading zero when the top bit is set). */
function mpint(unsigned: Buffer): Buffer {
  let i = 0;
  while (i < unsigned.length && unsigned[i] === 0) i++;
  let b = unsigned.subarray(i);
  if (b.length > 0 && b[0]! & 0x80) b = Buffer.concat([Buffer.alloc(1), b]);
  return wireString(b);
}

/** An mpint's magnitude without leading zeros (for JWK, which wants no sign byte). */
const unsignedOf = (m: Buffer): Buffer => {
  let i = 0;
  while (i < m.length - 1 && m[i] === 0) i++;
  return m.subarray(i);
};

/** `sshFingerprint` in agessh: base64 (raw) of the first 4 bytes of SHA-256(wire public key). */
function sshTag(wire: Buffer): string {
  return createHash("sha256").update(wire).digest().subarray(0, 4).toString("base64").replace(/=+$/, "");
}

// ---------------------------------------------------------------------------------------------
// Ed25519 → X25519

const P = (1n << 255n) - 19n;

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b %= P;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

const leToBig = (b: Uint8Array): bigint => {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
};

const bigToLe32 = (v: bigint): Buffer => {
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};

/** The Montgomery u-coordinate of an Ed25519 public key: u = (1 + y) / (1 − y) mod p. */
function ed25519PublicToX25519(pub: Uint8Array): Buffer {
  if (pub.length !== 32) fail("invalid ssh-ed25519 public key: bad length");
  const yBytes = Uint8Array.from(pub);
  yBytes[31]! &= 0x7f;
  const y = leToBig(yBytes);
  if (y >= P || (1n - y + P) % P === 0n) fail("invalid ssh-ed25519 public key");
  const u = ((1n + y) * modPow((1n - y + P) % P, P - 2n)) % P;
  return bigToLe32(u);
}

// ---------------------------------------------------------------------------------------------
// Recipients

/** A parsed SSH public key usable as an age recipient. */
export interface SshRecipientKey {
  readonly type: "ssh-ed25519" | "ssh-rsa";
  /** The SSH wire-format public key. */
  readonly wire: Buffer;
  readonly tag: string;
}

/**
 * Parses an authorized_keys-style line (`ssh-ed25519 AAAA… [comment]`, `ssh-rsa AAAA… [comment]`)
 * as agessh.ParseRecipient does; throws HushError USAGE naming what is wrong.
 */
export function parseSshRecipient(line: string): SshRecipientKey {
  const parts = line.trim().split(/\s+/);
  const type = parts[0];
  if (type !== "ssh-ed25519" && type !== "ssh-rsa") {
    throw new HushError("USAGE", `unsupported SSH key type ${JSON.stringify(type)} for an age recipient`, "age accepts ssh-ed25519 and ssh-rsa keys");
  }
  const b64 = parts[1] ?? "";
  const wire = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, "base64") : Buffer.alloc(0);
  try {
    const r = new WireReader(wire);
    if (r.string() !== type) throw new Error("type mismatch");
    if (type === "ssh-ed25519") {
      if (r.bytes().length !== 32) throw new Error("bad length");
    } else {
      r.bytes();
      const n = unsignedOf(r.bytes());
      // agessh refuses keys under 2048 bits.
      if (n.length * 8 < 2048 - 7) throw new HushError("USAGE", "ssh-rsa recipients must be at least 2048 bits");
    }
    if (!r.done) throw new Error("trailing data");
  } catch (e) {
    if (e instanceof HushError) throw e;
    throw new HushError("USAGE", `malformed ${type} recipient (not a valid SSH public key)`);
  }
  return { type, wire, tag: sshTag(wire) };
}

function rsaPublicKey(wire: Buffer): KeyObject {
  const r = new WireReader(wire);
  r.string();
  const e = unsignedOf(r.bytes());
  const n = unsignedOf(r.bytes());
  return createPublicKey({ key: { kty: "RSA", n: n.toString("base64url"), e: e.toString("base64url") }, format: "jwk" });
}

/** A recipient stanza wrapping `fileKey` for an SSH key: type, arguments and body. */
export function wrapForSsh(key: SshRecipientKey, fileKey: Uint8Array): AgeStanza {
  if (key.type === "ssh-rsa") {
    const body = publicEncrypt(
      { key: rsaPublicKey(key.wire), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: Buffer.from(RSA_LABEL) },
      fileKey,
    );
    return { type: "ssh-rsa", args: [key.tag], body };
  }
  const r = new WireReader(key.wire);
  r.string();
  const theirs = ed25519PublicToX25519(r.bytes());
  const ephemeral = x25519PrivateKey(randomBytes(32));
  const share = x25519(ephemeral, x25519PublicKey(Buffer.from([9, ...new Uint8Array(31)])));
  const shared = x25519(ephemeral, x25519PublicKey(theirs));
  if (share === null || shared === null) fail("ssh-ed25519: invalid public key");
  const tweaked = tweak(shared, key.wire);
  const wrapKey = hkdf(tweaked, Buffer.concat([share, theirs]), ED25519_LABEL);
  tweaked.fill(0);
  const c = createCipheriv("chacha20-poly1305", wrapKey, new Uint8Array(12), { authTagLength: 16 });
  const body = Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]);
  wrapKey.fill(0);
  return { type: "ssh-ed25519", args: [key.tag, share.toString("base64").replace(/=+$/, "")], body };
}

/** X25519(HKDF(ikm = "", salt = SSH public key, info = label), shared): agessh's tweak. */
function tweak(shared: Buffer, wire: Buffer): Buffer {
  const t = hkdf(new Uint8Array(0), wire, ED25519_LABEL);
  const out = x25519(x25519PrivateKey(t), x25519PublicKey(shared));
  t.fill(0);
  shared.fill(0);
  if (out === null) fail("ssh-ed25519: invalid shared secret");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Identities

/** An SSH private key usable as an age identity. Key material stays in private fields. */
export class SshIdentity {
  readonly type: "ssh-ed25519" | "ssh-rsa";
  readonly tag: string;
  /** Where it came from (a path or a variable name), for messages. */
  readonly source: string;
  readonly #wire: Buffer;
  readonly #key: KeyObject;
  /** ssh-ed25519 only: the X25519 public key (the HKDF salt's second half). */
  readonly #x25519Public: Buffer | undefined;

  constructor(type: "ssh-ed25519" | "ssh-rsa", wire: Buffer, key: KeyObject, source: string, x25519Public?: Buffer) {
    this.type = type;
    this.#wire = wire;
    this.tag = sshTag(wire);
    this.#key = key;
    this.#x25519Public = x25519Public;
    this.source = source;
  }

  /**
   * agessh's `Unwrap`: the file key from the first stanza of this key's type and tag that opens,
   * or null. Throws HushError KEY_SOURCE for a malformed stanza of this type.
   */
  unwrapFileKey(stanzas: readonly AgeStanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.type !== this.type) continue;
      if (this.type === "ssh-rsa") {
        if (s.args.length !== 1) fail("invalid ssh-rsa stanza");
        if (s.args[0] !== this.tag) continue;
        try {
          const k = privateDecrypt(
            { key: this.#key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: Buffer.from(RSA_LABEL) },
            s.body,
          );
          if (k.length === FILE_KEY_SIZE) return k;
        } catch {
          // agessh: a failed decryption is "not this identity"
        }
        continue;
      }
      if (s.args.length !== 2) fail("invalid ssh-ed25519 stanza");
      if (s.args[0] !== this.tag) continue;
      const shareText = s.args[1]!;
      const share = /^[A-Za-z0-9+/]{43}$/.test(shareText) ? Buffer.from(shareText, "base64") : null;
      if (share === null || share.length !== 32) fail("invalid ssh-ed25519 stanza: bad ephemeral share");
      const shared = x25519(this.#key, x25519PublicKey(share));
      if (shared === null) fail("invalid ssh-ed25519 stanza: low-order ephemeral share");
      const tweaked = tweak(shared, this.#wire);
      const wrapKey = hkdf(tweaked, Buffer.concat([share, this.#x25519Public!]), ED25519_LABEL);
      tweaked.fill(0);
      const k = s.body.length === FILE_KEY_SIZE + 16 ? chachaOpen(wrapKey, new Uint8Array(12), s.body) : null;
      wrapKey.fill(0);
      if (k !== null) return k;
    }
    return null;
  }
}

/** What reading an SSH private key gave: an identity, or a key we hold but cannot open. */
export type SshKeyRead =
  | { readonly identity: SshIdentity }
  | {
      readonly protectedKey: {
        readonly source: string;
        readonly tag: string | null;
        readonly type: string;
        /** Opens the key with its passphrase (OpenSSH bcrypt + aes256-ctr/cbc only); throws HushError. */
        readonly open?: (passphrase: string) => SshIdentity;
      };
    };

function ed25519Identity(seed: Uint8Array, pub: Uint8Array, source: string): SshIdentity {
  const h = createHash("sha512").update(seed).digest();
  const key = x25519PrivateKey(h.subarray(0, 32));
  h.fill(0);
  const wire = Buffer.concat([wireString("ssh-ed25519"), wireString(pub)]);
  return new SshIdentity("ssh-ed25519", wire, key, source, ed25519PublicToX25519(pub));
}

function rsaIdentity(key: KeyObject, source: string): SshIdentity {
  const jwk = createPublicKey(key).export({ format: "jwk" });
  const n = Buffer.from(jwk.n!, "base64url");
  const e = Buffer.from(jwk.e!, "base64url");
  const wire = Buffer.concat([wireString("ssh-rsa"), mpint(e), mpint(n)]);
  return new SshIdentity("ssh-rsa", wire, key, source);
}

const OPENSSH_MAGIC = "openssh-key-v1\0";

/** Parses an `openssh-key-v1` container (PROTOCOL.key). */
function parseOpenSsh(der: Buffer, source: string): SshKeyRead {
  if (der.toString("latin1", 0, OPENSSH_MAGIC.length) !== OPENSSH_MAGIC) throw new Error("bad magic");
  const r = new WireReader(der.subarray(OPENSSH_MAGIC.length));
  const cipher = r.string();
  const kdf = r.string();
  const kdfOptions = r.bytes();
  if (r.u32() !== 1) throw new Error("one key expected");
  const pubWire = r.bytes();
  const type = new WireReader(pubWire).string();
  const section = r.bytes();
  if (cipher !== "none") {
    const supported = type === "ssh-ed25519" || type === "ssh-rsa";
    const algo = CIPHERS[cipher];
    const open =
      supported && kdf === "bcrypt" && algo
        ? (passphrase: string): SshIdentity => {
            const o = new WireReader(kdfOptions);
            const salt = o.bytes();
            const rounds = o.u32();
            const km = bcryptPbkdf(Buffer.from(passphrase, "utf8"), salt, algo.keyLen + 16, rounds);
            const d = createDecipheriv(algo.name, km.subarray(0, algo.keyLen), km.subarray(algo.keyLen));
            d.setAutoPadding(false);
            const plain = Buffer.concat([d.update(section), d.final()]);
            km.fill(0);
            const check = new WireReader(plain);
            if (check.u32() !== check.u32()) {
              plain.fill(0);
              throw new HushError("KEY_SOURCE", `${source}: incorrect passphrase for the SSH key`);
            }
            const read = parsePrivateSection(plain, type, source);
            plain.fill(0);
            return read;
          }
        : undefined;
    return { protectedKey: { source, type, tag: supported ? sshTag(pubWire) : null, ...(open ? { open } : {}) } };
  }
  return { identity: parsePrivateSection(section, type, source) };
}

/** OpenSSH key-file ciphers hush can open (what ssh-keygen writes by default, and the CBC one). */
const CIPHERS: Record<string, { name: string; keyLen: number }> = {
  "aes256-ctr": { name: "aes-256-ctr", keyLen: 32 },
  "aes256-cbc": { name: "aes-256-cbc", keyLen: 32 },
  "aes128-ctr": { name: "aes-128-ctr", keyLen: 16 },
};

/** The private section of an openssh-key-v1 file (after decryption): the identity it holds. */
function parsePrivateSection(section: Buffer, type: string, source: string): SshIdentity {
  const p = new WireReader(section);
  if (p.u32() !== p.u32()) throw new Error("check mismatch");
  const kt = p.string();
  if (kt !== type) throw new Error("type mismatch");
  if (kt === "ssh-ed25519") {
    const pub = p.bytes();
    const priv = p.bytes();
    if (pub.length !== 32 || priv.length !== 64) throw new Error("bad ed25519 key");
    return ed25519Identity(priv.subarray(0, 32), pub, source);
  }
  if (kt === "ssh-rsa") {
    const [n, e, d, iqmp, pp, q] = [p.bytes(), p.bytes(), p.bytes(), p.bytes(), p.bytes(), p.bytes()].map(unsignedOf);
    const big = (b: Buffer) => BigInt(`0x${b.toString("hex") || "0"}`);
    const toB64 = (v: bigint) => {
      let h = v.toString(16);
      if (h.length % 2) h = `0${h}`;
      return Buffer.from(h, "hex").toString("base64url");
    };
    const dd = big(d!);
    const jwk = {
      kty: "RSA",
      n: n!.toString("base64url"),
      e: e!.toString("base64url"),
      d: d!.toString("base64url"),
      p: pp!.toString("base64url"),
      q: q!.toString("base64url"),
      dp: toB64(dd % (big(pp!) - 1n)),
      dq: toB64(dd % (big(q!) - 1n)),
      qi: iqmp!.toString("base64url"),
    };
    return rsaIdentity(createPrivateKey({ key: jwk, format: "jwk" }), source);
  }
  throw new HushError("KEY_SOURCE", `${source}: SSH key type ${JSON.stringify(kt)} cannot be an age identity (ssh-ed25519 and ssh-rsa can)`);
}

/**
 * Reads an SSH private key (OpenSSH, PKCS #1 or PKCS #8 PEM). Throws HushError KEY_SOURCE (a
 * message naming `source`, never key material) when it is not one hush can use.
 */
export function readSshPrivateKey(text: string, source: string): SshKeyRead {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) fail(`${source}: not an SSH private key (no PEM block)`);
  const label = m[1]!;
  try {
    if (label === "OPENSSH PRIVATE KEY") {
      return parseOpenSsh(Buffer.from(m[2]!.replace(/\s+/g, ""), "base64"), source);
    }
    if (label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(m[2]!)) {
      return { protectedKey: { source, type: "(PEM)", tag: null } };
    }
    if (label === "RSA PRIVATE KEY" || label === "PRIVATE KEY") {
      const key = createPrivateKey({ key: m[0], format: "pem" });
      if (key.asymmetricKeyType === "rsa") return { identity: rsaIdentity(key, source) };
      if (key.asymmetricKeyType === "ed25519") {
        const jwk = key.export({ format: "jwk" });
        return { identity: ed25519Identity(Buffer.from(jwk.d!, "base64url"), Buffer.from(jwk.x!, "base64url"), source) };
      }
      fail(`${source}: a ${key.asymmetricKeyType ?? "unknown"} key cannot be an age identity (ssh-ed25519 and ssh-rsa can)`);
    }
  } catch (e) {
    if (e instanceof HushError) throw e;
    fail(`${source}: malformed SSH private key`);
  }
  fail(`${source}: unsupported private key format (${label})`);
}
