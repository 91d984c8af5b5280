/**
 * age master keys (sops `age/keysource.go`, SOPS-FORMAT.md §8.3): X25519 (`age1…`), hybrid
 * post-quantum (`age1pq1…`), SSH (`ssh-ed25519`, `ssh-rsa`: `age-ssh.ts`) and plugin
 * (`age1<name>1…`: `age-plugin.ts`) recipients; identities from `SOPS_AGE_KEY`,
 * `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD` (run per entry with `SOPS_AGE_RECIPIENT`, as sops does),
 * the default keys file, SSH keys (`age-sources.ts`), plugins, and passphrase-protected identity
 * files (asked for on the terminal).
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
import { decodeAgeArmor, decryptX25519, openWithFileKey, parseAgeFile, X25519Identity, X25519Recipient, type AgeFile } from "./age-native.js";
import { loadSshSources, type ProtectedSshKey, type StanzaIdentity } from "./age-sources.js";
import { NoTerminal, readSecretFromTerminal } from "./tty-prompt.js";
import { PluginIdentity, pluginName, wrapWithPlugin } from "./age-plugin.js";
import { fileProblem, keyFileExposure } from "../util/fs.js";
import { splitCommand } from "../util/shlex.js";
import { bech32Decode, bech32Encode } from "./bech32.js";
import { parseSshRecipient, readSshPrivateKey, wrapForSsh } from "./age-ssh.js";

/** What an identity set holds besides keys-file identities. */
interface AgeExtras {
  readonly stanzaIdentities?: readonly StanzaIdentity[];
  readonly protectedSsh?: readonly ProtectedSshKey[];
  readonly sshNotes?: readonly string[];
  /** `SOPS_AGE_KEY_CMD`, run for a recipient ("" for none). */
  readonly keyCommand?: (recipient: string) => { out: string } | { problem: string };
  /** Passphrase-protected identity files, opened (asking on the terminal) when nothing else matched. */
  readonly encrypted?: readonly EncryptedSource[];
  /** The environment plugins run with. */
  readonly env?: NodeJS.ProcessEnv;
  /** `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, likewise. */
  readonly sshCommand?: (recipient: string) => { out: string } | { problem: string };
}

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
    parseSshRecipient(r);
    return;
  }
  if (r.startsWith("age1pq1")) {
    const d = bech32Decode(r);
    if (d && d.hrp === "age1pq" && d.bytes.length === 1216) return;
    throw new HushError("USAGE", `not a valid age post-quantum recipient: ${shown(r)}`);
  }
  if (r.startsWith("age1") && r.indexOf("1", 4) !== -1) {
    // age1<name>1…: a plugin recipient (its payload is the plugin's business).
    const d = bech32Decode(r);
    if (d && pluginName(r) !== null) return;
    throw new HushError("USAGE", `not a valid age plugin recipient: ${shown(r)}`);
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
export function ageRecipient(recipient: string, env: NodeJS.ProcessEnv = process.env): KeyRecipient {
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
      const { Encrypter, armor, Stanza } = await loadAgeLib();
      let enc: string;
      try {
        const e = new Encrypter();
        if (r.startsWith("age1") && pluginName(r) !== null && !r.startsWith("age1pq1")) {
          e.addRecipient({
            wrapFileKey: async (fileKey) =>
              (await wrapWithPlugin(r, fileKey, env)).map((s) => new Stanza([s.type, ...s.args], s.body)),
          });
        } else if (r.startsWith("ssh-")) {
          const key = parseSshRecipient(r);
          e.addRecipient({
            wrapFileKey: (fileKey) => {
              const s = wrapForSsh(key, fileKey);
              return [new Stanza([s.type, ...s.args], s.body)];
            },
          });
        } else {
          e.addRecipient(r);
        }
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
  constructor(identities: readonly string[], problems: readonly string[] = [], extras: AgeExtras = {}) {
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
    this.#extras = extras;
    this.#stanzaIds = [...(extras.stanzaIdentities ?? [])];
  }

  readonly #extras: AgeExtras;
  /** SSH keys, plugins, passphrase-protected files: identities that work on parsed stanzas. */
  readonly #stanzaIds: StanzaIdentity[];
  /** What each per-entry command gave, by the recipient it ran for. */
  readonly #commandRuns = new Map<string, AgeIdentitySet>();

  /** How many distinct identities were loaded (including those per-entry commands gave). */
  get count(): number {
    let n = this.#held.length + this.#stanzaIds.length + (this.#extras.encrypted?.length ?? 0);
    for (const s of this.#commandRuns.values()) n += s.count;
    return n;
  }

  /** The SSH key locations looked at and what happened to each, for messages. */
  get sshNotes(): readonly string[] {
    return this.#extras.sshNotes ?? [];
  }

  /** Whether `SOPS_AGE_KEY_CMD` or `SOPS_AGE_SSH_PRIVATE_KEY_CMD` may still give identities. */
  get hasCommands(): boolean {
    return this.#extras.keyCommand !== undefined || this.#extras.sshCommand !== undefined;
  }

  /**
   * The identities the per-entry commands give for `recipient` (sops runs them with
   * `SOPS_AGE_RECIPIENT` set to the entry's recipient), run once per recipient.
   */
  #fromCommands(recipient: string): AgeIdentitySet {
    let set = this.#commandRuns.get(recipient);
    if (set) return set;
    const ids: string[] = [];
    const stanzaIds: StanzaIdentity[] = [];
    const problems: string[] = [];
    const kc = this.#extras.keyCommand?.(recipient);
    if (kc) {
      if ("out" in kc) {
        const p = parseIdentityText(kc.out, "SOPS_AGE_KEY_CMD output");
        ids.push(...p.identities);
        stanzaIds.push(...pluginIdentities(p.plugins ?? [], this.#extras.env ?? process.env));
        problems.push(...p.problems);
      } else problems.push(kc.problem);
    }
    const sc = this.#extras.sshCommand?.(recipient);
    if (sc) {
      if ("out" in sc) {
        try {
          const r = readSshPrivateKey(sc.out, "SOPS_AGE_SSH_PRIVATE_KEY_CMD output");
          if ("identity" in r) stanzaIds.push(r.identity);
          else problems.push("SOPS_AGE_SSH_PRIVATE_KEY_CMD: the SSH key it printed is passphrase-protected, which is unsupported (as in sops)");
        } catch (err) {
          problems.push(err instanceof HushError ? err.message : "SOPS_AGE_SSH_PRIVATE_KEY_CMD: malformed SSH private key");
        }
      } else problems.push(sc.problem.replace("SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"));
    }
    set = new AgeIdentitySet(ids, [], { stanzaIdentities: stanzaIds });
    // Problems are reported once, whichever recipient the command ran for.
    for (const p of problems) if (!this.problems.includes(p)) this.problems.push(p);
    this.#commandRuns.set(recipient, set);
    return set;
  }

  /** The public keys (`age1…`, `age1pq1…`) of the identities held, in load order. */
  async recipients(): Promise<string[]> {
    const fromCmd = this.hasCommands ? await this.#fromCommands("").recipients() : [];
    const lib = this.#others.length > 0 ? await loadAgeLib() : undefined;
    return Promise.all(
      this.#held.map((h) => (h.kind === "x25519" ? bech32Encode("age", h.key.publicKey) : lib!.identityToRecipient(h.text))),
    ).then((r) => [...r, ...fromCmd]);
  }

  /**
   * Returns the unwrapped data key, `null` when no identity held matches the entry's stanzas (or
   * none is held), and throws HushError KEY_SOURCE when the entry is malformed or decrypting it
   * fails after an identity matched.
   */
  async unwrap(entry: KeyEntry): Promise<Uint8Array | null> {
    const recipient = typeof entry["recipient"] === "string" ? entry["recipient"] : "";
    const own = await this.#unwrapHeld(entry);
    if (own !== null) return own;
    if (this.hasCommands) {
      const got = await this.#fromCommands(recipient).unwrap(entry);
      if (got !== null) return got;
    }
    for (const src of this.#extras.encrypted ?? []) {
      const set = await this.#openEncrypted(src);
      const got = set ? await set.unwrap(entry) : null;
      if (got !== null) return got;
    }
    return null;
  }

  /** Opened passphrase-protected files (null: could not be opened, already reported), by source. */
  readonly #opened = new Map<string, Promise<AgeIdentitySet | null>>();

  /**
   * Opens a passphrase-protected identity file once: asks for the passphrase on the terminal (as
   * sops does; sops has no variable for it), decrypts it (scrypt) and parses what it holds.
   */
  #openEncrypted(src: EncryptedSource): Promise<AgeIdentitySet | null> {
    let p = this.#opened.get(src.source);
    if (!p) {
      p = (async () => {
        const note = (why: string) => {
          this.problems.push(`${src.source}: the identity file is passphrase-protected; ${why}`);
          return null;
        };
        let pass: string;
        try {
          pass = await readSecretFromTerminal(`Enter passphrase for identity '${src.source}':`);
        } catch (err) {
          return note(err instanceof NoTerminal ? "no terminal is available to ask for its passphrase (sops has no variable for it either)" : "no passphrase given");
        }
        const { Decrypter } = await loadAgeLib();
        const d = new Decrypter();
        d.addPassphrase(pass);
        let text: string;
        try {
          const head = Buffer.from(src.bytes.subarray(0, 64)).toString("latin1");
          const bytes = head.trimStart().startsWith("-----BEGIN") ? decodeAgeArmor(Buffer.from(src.bytes).toString("utf8")) : src.bytes;
          text = await d.decrypt(bytes, "text");
        } catch {
          return note("incorrect passphrase, or not an age passphrase file");
        }
        const parsed = parseIdentityText(text, src.source);
        for (const q of parsed.problems) this.problems.push(q);
        return new AgeIdentitySet(parsed.identities);
      })();
      this.#opened.set(src.source, p);
    }
    return p;
  }

  async #unwrapHeld(entry: KeyEntry): Promise<Uint8Array | null> {
    if (this.#held.length === 0 && this.#stanzaIds.length === 0 && !this.#extras.protectedSsh?.length) return null;
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
    for (const id of this.#stanzaIds) {
      let key: Uint8Array | null;
      try {
        key = await id.unwrapFileKey(file.stanzas);
      } catch (err) {
        throw broken(err);
      }
      if (key === null) continue;
      try {
        return openWithFileKey(file, key);
      } catch (err) {
        throw broken(err);
      }
    }
    if (this.#others.length === 0) {
      return this.#unwrapProtected(file, who);
    }
    return (await this.#unwrapWithTypage(bytes, who)) ?? this.#unwrapProtected(file, who);
  }

  /** Passphrase-protected SSH keys opened so far, by source (one prompt per key and run). */
  readonly #openedSsh = new Map<string, Promise<StanzaIdentity>>();

  /**
   * When the entry is for a passphrase-protected SSH key we hold (its tag is in a stanza), asks
   * for the passphrase on the terminal, as sops does, and unwraps with it; without a terminal, or
   * for a key format hush cannot open, says so rather than "no match".
   */
  async #unwrapProtected(file: AgeFile, who: string): Promise<Uint8Array | null> {
    for (const k of this.#extras.protectedSsh ?? []) {
      if (k.tag === null || !file.stanzas.some((s) => s.type === k.type && s.args[0] === k.tag)) continue;
      const cannot = (why: string) =>
        new HushError(
          "KEY_SOURCE",
          `age entry for ${who} is for the passphrase-protected SSH key ${k.source}: ${why}`,
          "give an unprotected copy of the key with SOPS_AGE_SSH_PRIVATE_KEY_FILE, or print it from SOPS_AGE_SSH_PRIVATE_KEY_CMD",
        );
      const open = k.open;
      if (!open) throw cannot("hush cannot open its format (OpenSSH bcrypt with aes256-ctr, aes256-cbc or aes128-ctr only)");
      let id = this.#openedSsh.get(k.source);
      if (!id) {
        id = (async () => {
          let pass: string;
          try {
            pass = await readSecretFromTerminal(`Enter passphrase for "${k.source}":`);
          } catch (err) {
            throw cannot(err instanceof NoTerminal ? "no terminal is available to ask for its passphrase" : "no passphrase given");
          }
          try {
            return open(pass);
          } catch (err) {
            throw err instanceof HushError ? err : cannot("malformed key");
          }
        })();
        id.catch(() => {});
        this.#openedSsh.set(k.source, id);
      }
      const key = (await id).unwrapFileKey(file.stanzas) as Uint8Array | null;
      if (key !== null) return openWithFileKey(file, key);
    }
    return null;
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

/** A parsed identity source: valid identities plus problem lines, and passphrase-protected files. */
interface Parsed {
  identities: string[];
  problems: string[];
  encrypted?: EncryptedSource[];
  /** `AGE-PLUGIN-…` identities, by source. */
  plugins?: { source: string; identities: string[] }[];
}

/** A passphrase-protected identity file (`age -p` of a keys file), opened only when needed. */
interface EncryptedSource {
  readonly source: string;
  readonly bytes: Uint8Array;
}

const ENCRYPTED_FILE = /^\s*(-----BEGIN AGE ENCRYPTED FILE-----|age-encryption\.org\/)/;

/** Parses a keys file read as bytes: a binary age file must not go through UTF-8 decoding. */
function parseIdentityBytes(buf: Buffer, source: string): Parsed {
  if (ENCRYPTED_FILE.test(buf.subarray(0, 1100).toString("latin1"))) return { identities: [], problems: [], encrypted: [{ source, bytes: buf }] };
  return parseIdentityText(buf.toString("utf8"), source);
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
  const plugins: string[] = [];
  if (ENCRYPTED_FILE.test(text)) return { identities, problems, encrypted: [{ source, bytes: Buffer.from(text, "utf8") }] };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    for (const tok of line.split(/\s+/)) {
      if (tok.startsWith(X25519_SECRET_PREFIX) || tok.startsWith(HYBRID_SECRET_PREFIX)) {
        candidates.push({ id: tok, line: i + 1 });
      } else if (tok.startsWith("AGE-PLUGIN-")) {
        if (tok === tok.toUpperCase() && bech32Decode(tok.toLowerCase()) && pluginName(tok)) plugins.push(tok);
        else problems.push(`${source}: line ${i + 1}: malformed AGE-PLUGIN-… identity`);
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
  if (identities.length === 0 && plugins.length === 0 && problems.length === 0) problems.push(`${source}: no age identities found`);
  return { identities, problems, ...(plugins.length > 0 ? { plugins: [{ source, identities: plugins }] } : {}) };
}

/** One PluginIdentity per plugin name, in first-seen order. */
function pluginIdentities(sources: readonly { source: string; identities: readonly string[] }[], env: NodeJS.ProcessEnv): PluginIdentity[] {
  const byName = new Map<string, { ids: string[]; sources: string[] }>();
  for (const src of sources) {
    for (const id of src.identities) {
      const name = pluginName(id)!;
      const g = byName.get(name) ?? { ids: [], sources: [] };
      if (!g.ids.includes(id)) g.ids.push(id);
      if (!g.sources.includes(src.source)) g.sources.push(src.source);
      byName.set(name, g);
    }
  }
  return [...byName].map(([name, g]) => new PluginIdentity(name, g.ids, env, g.sources.join(", ")));
}

/** Builds an identity set from keys-file text (as `SOPS_AGE_KEY` is read). */
export async function ageIdentitiesFromText(text: string, source = "identities", env: NodeJS.ProcessEnv = process.env): Promise<AgeIdentitySet> {
  const p = parseIdentityText(text, source);
  return new AgeIdentitySet(p.identities, p.problems, { stanzaIdentities: pluginIdentities(p.plugins ?? [], env) });
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
  // The caller sets SOPS_AGE_RECIPIENT to the entry being decrypted, as sops does.
  const childEnv: NodeJS.ProcessEnv = { ...env };
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
  const encrypted: EncryptedSource[] = [];
  const plugins: NonNullable<Parsed["plugins"]> = [];
  const add = (p: Parsed) => {
    plugins.push(...(p.plugins ?? []));
    identities.push(...p.identities);
    problems.push(...p.problems);
    encrypted.push(...(p.encrypted ?? []));
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
        add(parseIdentityBytes(await fsp.readFile(keyFile), source));
      } catch (err) {
        problems.push(`${source}: ${fileProblem(err)}`);
      }
    }
  }

  // The commands run later, once per entry, with SOPS_AGE_RECIPIENT set to its recipient.
  const command = (cmd: string | undefined) =>
    cmd ? (recipient: string) => runKeyCommand(cmd, withRecipient(env, recipient)) : undefined;
  const keyCommand = command(env["SOPS_AGE_KEY_CMD"]);

  const defaultFile = defaultAgeKeyFile(env);
  let text: Buffer | undefined;
  try {
    text = await fsp.readFile(defaultFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") problems.push(`${defaultFile}: ${fileProblem(err)}`);
    else if (identities.length === 0 && encrypted.length === 0 && plugins.length === 0) problems.push(`${defaultFile}: no such file`);
  }
  if (text !== undefined) {
    const exposed = await keyFileExposure(defaultFile, defaultFile, env);
    if (exposed) problems.push(exposed);
    else add(parseIdentityBytes(text, defaultFile));
  }

  const ssh = await loadSshSources(env);
  const sshCommand = command(ssh.command);
  // A missing default keys file is no problem when SSH keys or commands can give identities.
  const noDefault = `${defaultFile}: no such file`;
  if ((ssh.identities.length > 0 || ssh.protectedKeys.length > 0 || keyCommand || sshCommand) && problems.at(-1) === noDefault) problems.pop();
  return new AgeIdentitySet(identities, [...ssh.problems, ...problems], {
    stanzaIdentities: [...ssh.identities, ...pluginIdentities(plugins, env)],
    env,
    protectedSsh: ssh.protectedKeys,
    sshNotes: ssh.notes,
    encrypted,
    ...(keyCommand ? { keyCommand } : {}),
    ...(sshCommand ? { sshCommand } : {}),
  });
}

/** `env` with SOPS_AGE_RECIPIENT set to `recipient` (removed when there is none), as sops runs commands. */
function withRecipient(env: NodeJS.ProcessEnv, recipient: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...env, SOPS_AGE_RECIPIENT: recipient };
  if (recipient === "") delete e["SOPS_AGE_RECIPIENT"];
  return e;
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
