/**
 * age master keys (sops `age/keysource.go`, SOPS-FORMAT.md §8.3): X25519 (`age1…`) and hybrid
 * post-quantum (`age1pq1…`) recipients, identities from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`,
 * `SOPS_AGE_KEY_CMD` and the default keys file. No SSH keys, no plugins, no passphrase-encrypted
 * key files.
 *
 * X25519 identities (`AGE-SECRET-KEY-1…`) are loaded, checked and used with `node:crypto` alone
 * (`age-native.ts`): `age-encryption` costs ~80 ms to import and ~38 ms for its first decrypt,
 * most of an age-only `hush decrypt`. It is imported on first use, never at the top level, and
 * only for what needs it: hybrid post-quantum identities, encryption, key generation.
 *
 * Secret keys never appear in an error message or a problem line: typage's (really @scure/base's)
 * bech32 errors quote the whole input ("Invalid checksum in AGE-SECRET-KEY-1…"), so they are
 * caught and replaced, never passed on as a message or a `cause`.
 */
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { homedir } from "node:os";
import { posix, win32 } from "node:path";
import { HushError } from "../errors.js";
import type { KeyEntry, KeyRecipient, KeyUnwrapper } from "./key-source.js";
import { decodeAgeArmor, decryptX25519, parseAgeFile, X25519Identity, X25519Recipient, type AgeFile } from "./age-native.js";
import { fileProblem, keyFileExposure } from "../util/fs.js";
import { splitCommand } from "../util/shlex.js";

type AgeLib = typeof import("age-encryption");

let ageLib: Promise<AgeLib> | undefined;
/** The age-encryption module, imported once on first use. */
function loadAgeLib(): Promise<AgeLib> {
  return (ageLib ??= import("age-encryption"));
}

/**
 * How long `SOPS_AGE_KEY_CMD` may run: `HUSH_KEY_TIMEOUT_MS` when set (as for key services), else
 * 60 s (longer than the key services' 10 s: the command may wait for a person to unlock a password
 * manager). It is then killed (SIGKILL: a hung command may ignore SIGTERM).
 */
function keyCmdTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env["HUSH_KEY_TIMEOUT_MS"];
  const n = raw === undefined || raw === "" ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 60_000;
}

const X25519_SECRET_PREFIX = "AGE-SECRET-KEY-1";
const HYBRID_SECRET_PREFIX = "AGE-SECRET-KEY-PQ-1";

// ---------------------------------------------------------------------------------------------
// Recipients

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
function bech32Encode(hrp: string, bytes: Uint8Array): string {
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
function bech32Decode(s: string): { hrp: string; bytes: Uint8Array } | null {
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

/** Shortens a (public) recipient for a message. */
function shown(s: string): string {
  const t = s.length > 72 ? `${s.slice(0, 68)}…` : s;
  return JSON.stringify(t);
}

/** Throws a USAGE error unless `r` is an X25519 or hybrid post-quantum age recipient. */
function checkRecipient(r: string): void {
  if (/^AGE-(SECRET-KEY|PLUGIN)-/i.test(r)) {
    // Never echo it: it is a private key given where a public key belongs.
    throw new HushError(
      "USAGE",
      "an age secret key was given as a recipient",
      "give its public key instead (age-keygen -y KEYFILE prints it)",
    );
  }
  if (r.startsWith("ssh-")) {
    throw new HushError("USAGE", `SSH recipients are not supported: ${shown(r)}`, "use an age1… recipient");
  }
  if (r.startsWith("age1pq1")) {
    const d = bech32Decode(r);
    if (d && d.hrp === "age1pq" && d.bytes.length === 1216) return;
    throw new HushError("USAGE", `not a valid age post-quantum recipient: ${shown(r)}`);
  }
  if (r.startsWith("age1") && r.indexOf("1", 4) !== -1) {
    throw new HushError("USAGE", `age plugin recipients are not supported: ${shown(r)}`);
  }
  if (r.startsWith("age1")) {
    const d = bech32Decode(r);
    if (d && d.hrp === "age" && d.bytes.length === 32) return;
    throw new HushError("USAGE", `not a valid age recipient: ${shown(r)}`);
  }
  throw new HushError("USAGE", `not an age recipient: ${shown(r)}`, "age recipients start with age1");
}

/**
 * Parses a comma-separated recipient list (`--age`, `SOPS_AGE_RECIPIENTS`, `.sops.yaml`): each
 * entry trimmed, empty entries dropped, each one checked. Throws HushError USAGE on the first bad
 * entry.
 */
export function parseAgeRecipients(csv: string): string[] {
  const out: string[] = [];
  for (const part of csv.split(",")) {
    const r = part.trim();
    if (r === "") continue;
    checkRecipient(r);
    out.push(r);
  }
  return out;
}

/** Normalises typage's armor to exactly what sops stores: the age armor with one final `\n`. */
function normaliseArmor(armored: string): string {
  return armored.replace(/\r\n/g, "\n").replace(/\n*$/, "\n");
}

/** A recipient that wraps the data key as sops does: one armored age file per recipient. */
export function ageRecipient(recipient: string): KeyRecipient {
  const r = recipient.trim();
  checkRecipient(r);
  // X25519 (not post-quantum) recipients are encrypted to natively, the key object made once.
  let native: X25519Recipient | undefined;
  return {
    kind: "age",
    id: r,
    async wrap(dataKey: Uint8Array): Promise<KeyEntry> {
      if (!r.startsWith("age1pq1")) {
        const d = bech32Decode(r);
        if (d && d.hrp === "age" && d.bytes.length === 32) {
          native ??= new X25519Recipient(d.bytes);
          try {
            return { enc: native.encryptArmored(dataKey), recipient: r };
          } catch (err) {
            throw new HushError("KEY_SOURCE", `age: cannot encrypt the data key to ${shown(r)}: ${oneLine(err)}`);
          }
        }
      }
      const { Encrypter, armor } = await loadAgeLib();
      let enc: string;
      try {
        const e = new Encrypter();
        e.addRecipient(r);
        enc = normaliseArmor(armor.encode(await e.encrypt(dataKey)));
      } catch (err) {
        throw new HushError("KEY_SOURCE", `age: cannot encrypt the data key to ${shown(r)}: ${oneLine(err)}`);
      }
      return { enc, recipient: r };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Identities

/** One line of a library error message (which never contains identities: see the file comment). */
function oneLine(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  const line = m.split(/\r?\n/, 1)[0] ?? "";
  // Belt and braces: nothing that looks like a secret key leaves this module.
  const clean = line.replace(/AGE-SECRET-KEY-[A-Z0-9-]*/gi, "AGE-SECRET-KEY-…");
  return clean.length > 160 ? `${clean.slice(0, 157)}…` : clean;
}

/** An identity as held: X25519 ready for `node:crypto`, anything else as its text for typage. */
type HeldIdentity = { readonly kind: "x25519"; readonly key: X25519Identity } | { readonly kind: "other"; readonly text: string };

/**
 * Decodes an `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` identity to its 32-byte secret, as
 * typage's constructors check it (all upper case, bech32 checksum, prefix, 32 bytes), or null.
 */
function decodeIdentity(id: string): { hybrid: boolean; secret: Uint8Array } | null {
  // bech32 forbids mixed case and age writes identities upper case; typage rejects lower case.
  if (id !== id.toUpperCase()) return null;
  const d = bech32Decode(id.toLowerCase());
  if (!d || d.bytes.length !== 32) return null;
  if (d.hrp === "age-secret-key-") return { hybrid: false, secret: d.bytes };
  if (d.hrp === "age-secret-key-pq-") return { hybrid: true, secret: d.bytes };
  return null;
}

/**
 * The age identities hush holds, from every source; unwraps `sops.age[]` entries. Load problems
 * are kept, to be reported only when no key could decrypt (as sops does).
 *
 * X25519 identities unwrap X25519 stanzas with `node:crypto` (`age-native.ts`); typage is imported
 * only when a hybrid post-quantum identity is held and the X25519 ones did not match.
 */
export class AgeIdentitySet implements KeyUnwrapper {
  readonly kind = "age" as const;
  /** The identities in load order; a private field, so not printed by `util.inspect` or JSON. */
  readonly #held: readonly HeldIdentity[];
  readonly #x25519: readonly X25519Identity[];
  readonly #others: readonly string[];
  /** Problems met while loading, one line each, free of secrets. */
  readonly problems: string[];

  /**
   * `identities` must already be valid `AGE-SECRET-KEY-1…`/`AGE-SECRET-KEY-PQ-1…` strings; throws
   * HushError KEY_SOURCE (naming no key) when one is not.
   */
  constructor(identities: readonly string[], problems: readonly string[] = []) {
    const held: HeldIdentity[] = [];
    for (const id of new Set(identities)) {
      const d = decodeIdentity(id);
      if (!d) throw new HushError("KEY_SOURCE", "malformed age identity (bad checksum or length)");
      if (d.hybrid) {
        held.push({ kind: "other", text: id });
      } else {
        held.push({ kind: "x25519", key: new X25519Identity(d.secret) });
      }
      d.secret.fill(0);
    }
    this.#held = held;
    this.#x25519 = held.flatMap((h) => (h.kind === "x25519" ? [h.key] : []));
    this.#others = held.flatMap((h) => (h.kind === "other" ? [h.text] : []));
    this.problems = [...problems];
  }

  /** How many distinct identities were loaded. */
  get count(): number {
    return this.#held.length;
  }

  /** The public keys (`age1…`, `age1pq1…`) of the identities held, in load order. */
  async recipients(): Promise<string[]> {
    const lib = this.#others.length > 0 ? await loadAgeLib() : undefined;
    return Promise.all(
      this.#held.map((h) => (h.kind === "x25519" ? bech32Encode("age", h.key.publicKey) : lib!.identityToRecipient(h.text))),
    );
  }

  /**
   * Returns the unwrapped data key, `null` when no identity held matches the entry's stanzas (or
   * none is held), and throws HushError KEY_SOURCE when the entry is malformed or decrypting it
   * fails after an identity matched.
   */
  async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
    if (this.#held.length === 0) return null;
    const who = typeof entry["recipient"] === "string" ? shown(entry["recipient"]) : "(no recipient)";
    const enc = entry["enc"];
    if (typeof enc !== "string" || enc.trim() === "") {
      throw new HushError("KEY_SOURCE", `age entry for ${who} has no enc`);
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeAgeArmor(enc);
    } catch (err) {
      throw new HushError("KEY_SOURCE", `age entry for ${who} is not a valid armored age file: ${oneLine(err)}`);
    }
    const broken = (err: unknown) =>
      new HushError("KEY_SOURCE", `age entry for ${who} could not be decrypted: ${err instanceof HushError ? err.message : oneLine(err)}`);
    let file: AgeFile;
    try {
      file = parseAgeFile(bytes);
    } catch (err) {
      throw broken(err);
    }
    if (this.#x25519.length > 0) {
      let out: Uint8Array | null;
      try {
        out = decryptX25519(file, this.#x25519);
      } catch (err) {
        throw broken(err);
      }
      if (out !== null) return out;
    }
    if (this.#others.length === 0) return null;
    return this.#unwrapWithTypage(bytes, who);
  }

  /** The identities native code does not handle (hybrid post-quantum), through age-encryption. */
  async #unwrapWithTypage(file: Uint8Array, who: string): Promise<Uint8Array | null> {
    const { Decrypter } = await loadAgeLib();
    // typage's Decrypter tries identities in order and throws one generic error when none
    // matched. A last identity that only records being reached tells "not ours" (return null)
    // apart from a real failure, without matching on the error text.
    let noneMatched = false;
    const d = new Decrypter();
    for (const id of this.#others) d.addIdentity(id);
    d.addIdentity({
      unwrapFileKey: () => {
        noneMatched = true;
        return null;
      },
    });
    try {
      return await d.decrypt(file);
    } catch (err) {
      if (noneMatched) return null;
      throw new HushError("KEY_SOURCE", `age entry for ${who} could not be decrypted: ${oneLine(err)}`);
    }
  }
}

/** A parsed identity source: valid identities plus problem lines. */
interface Parsed {
  identities: string[];
  problems: string[];
}

/**
 * Parses keys-file text: blank lines and `#` lines are skipped; every other line holds one or
 * more whitespace-separated identities (sops takes `SOPS_AGE_KEY` that way; for files this is
 * more lenient than sops's one per line). A bad line is reported and skipped, the rest is kept.
 */
function parseIdentityText(text: string, source: string): Parsed {
  const identities: string[] = [];
  const problems: string[] = [];
  const candidates: { id: string; line: number }[] = [];
  if (/^\s*(-----BEGIN AGE ENCRYPTED FILE-----|age-encryption\.org\/)/.test(text)) {
    return { identities, problems: [`${source}: passphrase-encrypted key files are not supported`] };
  }
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    for (const tok of line.split(/\s+/)) {
      if (tok.startsWith(X25519_SECRET_PREFIX) || tok.startsWith(HYBRID_SECRET_PREFIX)) {
        candidates.push({ id: tok, line: i + 1 });
      } else if (tok.startsWith("AGE-PLUGIN-")) {
        problems.push(`${source}: line ${i + 1}: age plugin identities are not supported`);
      } else {
        problems.push(`${source}: line ${i + 1}: not an age identity (expected ${X25519_SECRET_PREFIX}…)`);
      }
    }
  });
  // Checked here with the bech32 decoder rather than by typage's constructors, so that loading
  // X25519 keys never imports age-encryption; the checks are the same.
  for (const { id, line } of candidates) {
    const d = decodeIdentity(id);
    if (d) {
      d.secret.fill(0);
      identities.push(id);
    } else {
      const kind = id.startsWith(HYBRID_SECRET_PREFIX) ? HYBRID_SECRET_PREFIX : X25519_SECRET_PREFIX;
      problems.push(`${source}: line ${line}: malformed ${kind}… identity (bad checksum or length)`);
    }
  }
  if (identities.length === 0 && problems.length === 0) problems.push(`${source}: no age identities found`);
  return { identities, problems };
}

/** Builds an identity set from keys-file text (as `SOPS_AGE_KEY` is read). */
export async function ageIdentitiesFromText(text: string, source = "identities"): Promise<AgeIdentitySet> {
  const p = parseIdentityText(text, source);
  return new AgeIdentitySet(p.identities, p.problems);
}


/** Runs `SOPS_AGE_KEY_CMD` and returns its stdout, or a problem line. */
function runKeyCommand(cmd: string, env: NodeJS.ProcessEnv): { out: string } | { problem: string } {
  let argv: string[];
  try {
    argv = splitCommand(cmd);
  } catch (err) {
    return { problem: `SOPS_AGE_KEY_CMD: cannot parse the command: ${oneLine(err)}` };
  }
  const [file, ...args] = argv;
  if (file === undefined) return { problem: "SOPS_AGE_KEY_CMD: empty command" };
  // Only the program's name goes in messages: the arguments could be anything.
  const name = /AGE-SECRET-KEY/i.test(file) ? "(command)" : JSON.stringify(file);
  const childEnv: NodeJS.ProcessEnv = { ...env };
  // sops sets SOPS_AGE_RECIPIENT to the entry being decrypted; hush loads identities once, before
  // it knows the entry, so the command runs without it.
  delete childEnv["SOPS_AGE_RECIPIENT"];
  try {
    const out = execFileSync(file, args, {
      env: childEnv,
      stdio: ["ignore", "pipe", "inherit"],
      timeout: keyCmdTimeoutMs(env),
      killSignal: "SIGKILL",
      maxBuffer: 16 << 20,
      windowsHide: true,
    });
    return { out: out.toString("utf8") };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number | null; signal?: string | null };
    let why: string;
    if (e.code === "ENOENT") why = "command not found";
    else if (e.code === "ETIMEDOUT") why = `timed out after ${keyCmdTimeoutMs(env) / 1000} s (HUSH_KEY_TIMEOUT_MS)`;
    else if (e.code === "EACCES") why = "permission denied";
    else if (e.code === "ENOBUFS") why = "too much output";
    else if (typeof e.status === "number") why = `exited with status ${e.status}`;
    else if (e.signal) why = `killed by ${e.signal}`;
    else why = `failed${e.code ? ` (${e.code})` : ""}`;
    return { problem: `SOPS_AGE_KEY_CMD ${name}: ${why}` };
  }
}

/**
 * The default keys file, `<user config dir>/sops/age/keys.txt` as sops finds it: on Linux
 * `$XDG_CONFIG_HOME` (when absolute) or `~/.config`; on macOS `$XDG_CONFIG_HOME` when set, else
 * `~/Library/Application Support`; on Windows `%AppData%`.
 */
export function defaultAgeKeyFile(
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform, // (string: the published types need no @types/node)
): string {
  const home = env["HOME"] || homedir();
  const xdg = env["XDG_CONFIG_HOME"];
  if (platform === "win32") {
    const appData = env["AppData"] || env["APPDATA"] || win32.join(env["USERPROFILE"] || homedir(), "AppData", "Roaming");
    return win32.join(appData, "sops", "age", "keys.txt");
  }
  let dir: string;
  if (platform === "darwin") {
    dir = xdg ? xdg : posix.join(home, "Library", "Application Support");
  } else {
    dir = xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, ".config");
  }
  return posix.join(dir, "sops", "age", "keys.txt");
}

/**
 * Loads every age identity sops would (minus SSH keys and plugins) and combines them:
 * `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` and the default keys file. Never
 * throws for a missing or broken source: the problem is remembered in `problems`. A missing
 * default file is noted only when no identity was found anywhere. Empty variables count as unset.
 */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv = process.env): Promise<AgeIdentitySet> {
  const identities: string[] = [];
  const problems: string[] = [];
  const add = (p: Parsed) => {
    identities.push(...p.identities);
    problems.push(...p.problems);
  };

  const key = env["SOPS_AGE_KEY"];
  if (key) add(parseIdentityText(key, "SOPS_AGE_KEY"));

  const keyFile = env["SOPS_AGE_KEY_FILE"];
  if (keyFile) {
    const source = `SOPS_AGE_KEY_FILE ${keyFile}`;
    const exposed = await keyFileExposure(keyFile, source, env);
    if (exposed) problems.push(exposed);
    else {
      try {
        add(parseIdentityText(await fsp.readFile(keyFile, "utf8"), source));
      } catch (err) {
        problems.push(`${source}: ${fileProblem(err)}`);
      }
    }
  }

  const keyCmd = env["SOPS_AGE_KEY_CMD"];
  if (keyCmd) {
    const r = runKeyCommand(keyCmd, env);
    if ("out" in r) add(parseIdentityText(r.out, "SOPS_AGE_KEY_CMD output"));
    else problems.push(r.problem);
  }

  const defaultFile = defaultAgeKeyFile(env);
  let text: string | undefined;
  try {
    text = await fsp.readFile(defaultFile, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") problems.push(`${defaultFile}: ${fileProblem(err)}`);
    else if (identities.length === 0) problems.push(`${defaultFile}: no such file`);
  }
  if (text !== undefined) {
    const exposed = await keyFileExposure(defaultFile, defaultFile, env);
    if (exposed) problems.push(exposed);
    else add(parseIdentityText(text, defaultFile));
  }

  return new AgeIdentitySet(identities, problems);
}

// ---------------------------------------------------------------------------------------------
// Key generation

/** `time.Now().Format(time.RFC3339)` in local time, as age-keygen writes it. */
function rfc3339Local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? "Z" : `${off > 0 ? "+" : "-"}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`
  );
}

/** A new X25519 identity and the keys-file text `age-keygen` would write for it. */
export async function generateAgeKeyFile(): Promise<{ identity: string; recipient: string; text: string }> {
  const { generateX25519Identity, identityToRecipient } = await loadAgeLib();
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const text = `# created: ${rfc3339Local(new Date())}\n# public key: ${recipient}\n${identity}\n`;
  return { identity, recipient, text };
}
