/**
 * The age identities hush holds (`AgeIdentitySet`) and how they unwrap `sops.age[]` entries: X25519
 * with `node:crypto` (`age-native.ts`), SSH keys, plugins and passphrase-protected files as
 * stanza identities, per-entry `SOPS_AGE_KEY_CMD` runs, and hybrid post-quantum identities through
 * age-encryption (imported only then). Part of the age client (`age-client.ts`), loaded lazily
 * with it. Loading the identities is `age-client.ts`'s `loadAgeIdentities`.
 */
import { HushError } from "../errors.js";
import type { KeyEntry, KeyUnwrapper } from "./key-source.js";
import { decodeAgeArmor, decryptX25519, openWithFileKey, parseAgeFile, type X25519Identity, type AgeFile } from "./age-native.js";
import type { ProtectedSshKey, StanzaIdentity } from "./age-sources.js";
import { NoTerminal, readSecretFromTerminal } from "./tty-prompt.js";
import { bech32Encode } from "./bech32.js";
import { readSshPrivateKey } from "./age-ssh.js";
import { loadAgeLib, oneLine, shown } from "./age-common.js";
import { parseIdentityBytes, pluginIdentities, type EncryptedSource, type HeldIdentity } from "./age-identity-parse.js";

/** What an identity set holds besides keys-file identities. */
export interface AgeExtras {
  readonly stanzaIdentities?: readonly StanzaIdentity[];
  readonly protectedSsh?: readonly ProtectedSshKey[];
  readonly sshNotes?: readonly string[];
  /** `SOPS_AGE_KEY_CMD`, run for a recipient ("" for none). */
  readonly keyCommand?: (recipient: string) => { out: Buffer } | { problem: string };
  /** Passphrase-protected identity files, opened (asking on the terminal) when nothing else matched. */
  readonly encrypted?: readonly EncryptedSource[];
  /** The environment plugins run with. */
  readonly env?: NodeJS.ProcessEnv;
  /** `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, likewise. */
  readonly sshCommand?: (recipient: string) => { out: Buffer } | { problem: string };
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

  /** `identities` as parsed (`age-identity-parse.ts`); duplicates (same public key or text) are dropped. */
  constructor(identities: readonly HeldIdentity[], problems: readonly string[] = [], extras: AgeExtras = {}) {
    const seen = new Set<string>();
    const held: HeldIdentity[] = [];
    for (const h of identities) {
      const k = h.kind === "x25519" ? `x25519:${Buffer.from(h.key.publicKey).toString("hex")}` : h.text;
      if (seen.has(k)) continue;
      seen.add(k);
      held.push(h);
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
    const ids: HeldIdentity[] = [];
    const stanzaIds: StanzaIdentity[] = [];
    const problems: string[] = [];
    const kc = this.#extras.keyCommand?.(recipient);
    if (kc) {
      if ("out" in kc) {
        const p = parseIdentityBytes(kc.out, "SOPS_AGE_KEY_CMD output");
        ids.push(...p.identities);
        stanzaIds.push(...pluginIdentities(p.plugins ?? [], this.#extras.env ?? process.env));
        problems.push(...p.problems);
      } else problems.push(kc.problem);
    }
    const sc = this.#extras.sshCommand?.(recipient);
    if (sc) {
      if ("out" in sc) {
        try {
          const r = readSshPrivateKey(sc.out.toString("utf8"), "SOPS_AGE_SSH_PRIVATE_KEY_CMD output");
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
        let plain: Uint8Array;
        try {
          const head = Buffer.from(src.bytes.subarray(0, 64)).toString("latin1");
          const bytes = head.trimStart().startsWith("-----BEGIN") ? decodeAgeArmor(Buffer.from(src.bytes).toString("utf8")) : src.bytes;
          plain = await d.decrypt(bytes);
        } catch {
          return note("incorrect passphrase, or not an age passphrase file");
        }
        // Parsed from the bytes, which parseIdentityBytes zeroes: no string of the identities.
        const parsed = parseIdentityBytes(plain, src.source);
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
