// The node:crypto age reader (src/keys/age-native.ts) against files written by others: the sops
// fixtures, Debian's `age` CLI and age-encryption (typage); hand-built files for the edge cases of
// the spec (STREAM chunking, malformed X25519 stanzas, armor); and every single-byte corruption,
// which must be rejected, never turned into wrong data.
//
// The C2SP CCTV age vectors (npm `cctv-age`) are not a dependency yet; they would cover the parser
// edge cases more widely.
import { execFileSync, spawnSync } from "node:child_process";
import {
  createCipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { Encrypter, armor, generateHybridIdentity, identityToRecipient } from "age-encryption";
import { HushError } from "../src/errors.js";
import { ageIdentitiesFromText, ageRecipient, generateAgeKeyFile, type AgeIdentitySet } from "../src/keys/age-client.js";
import { decodeAgeArmor, decryptX25519, parseAgeFile, X25519Identity } from "../src/keys/age-native.js";
import { FIXTURES, ROOT, fixture } from "./helpers.js";

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64").replace(/=+$/, "");

/** Armors bytes the way age does: 64-column padded base64 between BEGIN and END lines. */
function armorOf(file: Uint8Array): string {
  const text = Buffer.from(file).toString("base64");
  const lines = text.match(/.{1,64}/g) ?? [];
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.map((l) => `${l}\n`).join("")}-----END AGE ENCRYPTED FILE-----\n`;
}

/** The outcome of unwrapping: the bytes, "null" (not ours), or the error code. */
async function outcome(set: AgeIdentitySet, enc: string): Promise<Uint8Array | "null" | string> {
  try {
    const r = await set.unwrap({ recipient: "age1test", enc });
    return r ?? "null";
  } catch (e) {
    if (!(e instanceof HushError)) throw e;
    return e.code;
  }
}

/** The same at the native level, on binary age files. */
function nativeOutcome(file: Uint8Array, ids: readonly X25519Identity[]): Uint8Array | "null" | string {
  try {
    return decryptX25519(parseAgeFile(file), ids) ?? "null";
  } catch (e) {
    if (!(e instanceof HushError)) throw e;
    return e.code;
  }
}

/** Secret keys must never reach a message: no 8-character run of one appears in it. */
function leaks(message: string, secret: string): boolean {
  const body = secret.replace(/^AGE-SECRET-KEY-(PQ-)?1/, "").toUpperCase();
  for (let i = 0; i + 8 <= body.length; i++) if (message.toUpperCase().includes(body.slice(i, i + 8))) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// A minimal age writer on node:crypto, for files no encrypter would write (edge cases).

const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string) => Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));
function seal(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}
/** Body lines as age writes them: 64 columns, ending with a short (maybe empty) line. */
function bodyLines(body: Uint8Array): string {
  const t = b64(body);
  let out = "";
  for (let i = 0; i < t.length; i += 64) out += `${t.slice(i, i + 64)}\n`;
  return t.length % 64 === 0 ? `${out}\n` : out;
}
/** An X25519 stanza wrapping `fileKey` for `recipient` (32 raw bytes). */
function x25519Stanza(recipient: Uint8Array, fileKey: Uint8Array, tweak: { share?: Uint8Array; body?: Uint8Array } = {}): string {
  const eph = generateKeyPairSync("x25519");
  const share = eph.publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  const peer = createPublicKey({ key: Buffer.concat([SPKI_X25519, recipient]), format: "der", type: "spki" });
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: peer });
  const wrapKey = hkdf(shared, Buffer.concat([share, recipient]), "age-encryption.org/v1/X25519");
  const body = tweak.body ?? seal(wrapKey, new Uint8Array(12), fileKey);
  return `-> X25519 ${b64(tweak.share ?? share)}\n${bodyLines(body)}`;
}
/**
 * A whole age file: `stanzas` (header text), a correct MAC, then the payload sealed as the given
 * chunks (each with its own last-chunk flag, so invalid chunkings can be built too).
 */
function ageFile(fileKey: Uint8Array, stanzas: string, chunks: { plain: Uint8Array; last: boolean }[]): Buffer {
  const headerNoMac = `age-encryption.org/v1\n${stanzas}---`;
  const mac = createHmac("sha256", hkdf(fileKey, new Uint8Array(0), "header")).update(headerNoMac).digest();
  const nonce = randomBytes(16);
  const key = hkdf(fileKey, nonce, "payload");
  const sealed = chunks.map((c, i) => {
    const n = Buffer.alloc(12);
    n.writeUIntBE(i, 5, 6);
    n[11] = c.last ? 1 : 0;
    return seal(key, n, c.plain);
  });
  return Buffer.concat([Buffer.from(`${headerNoMac} ${b64(mac)}\n`, "latin1"), nonce, ...sealed]);
}
/** STREAM chunks as age writes them: 64 KiB each, the last flagged (full-size when it fits). */
function chunksOf(plain: Uint8Array): { plain: Uint8Array; last: boolean }[] {
  const out: { plain: Uint8Array; last: boolean }[] = [];
  for (let i = 0; i === 0 || i < plain.length; i += 65536) out.push({ plain: plain.subarray(i, i + 65536), last: false });
  out[out.length - 1]!.last = true;
  return out;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "hush-age-native-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = (cmd: string, args: string[], input: Uint8Array | string = "") =>
  execFileSync(cmd, args, { input, stdio: ["pipe", "pipe", "pipe"] });

// ---------------------------------------------------------------------------------------------

describe("fixtures", () => {
  it("the sops age vector decrypts to \"data\"", async () => {
    const set = await ageIdentitiesFromText(fixture("age-vector-x25519-identity.txt"));
    expect(await set.recipients()).toEqual(["age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"]);
    const enc = fixture("age-vector-x25519-encrypted-data.age");
    expect(Buffer.from((await set.unwrap({ enc }))!).toString()).toBe("data");
    // The header parses as age's: one X25519 stanza with one argument and a 32-byte body.
    const file = parseAgeFile(decodeAgeArmor(enc));
    expect(file.stanzas.map((s) => [s.type, s.args.length, s.body.length])).toEqual([["X25519", 1, 32]]);
    expect(file.mac.length).toBe(32);
  });

  for (const [name, dataKey] of [
    ["age-yaml-v3.7.1-example.enc.yaml", "9ac088cf7029981341457c39dd56dde54600dfbce9b5ede23aa65c418900ab67"],
    ["age-json-v3.7.1-example.enc.json", "82ee047aa51fbcf65882bdeb1996b6d729d457364a9eba6b41766cc742415fdb"],
  ] as const) {
    it(`${name}: each example identity unwraps its own entry, the other is not ours`, async () => {
      const doc = parseYaml(fixture(name)) as { sops: { age: { recipient: string; enc: string }[] } };
      const ids = fixture("key-age-sops-examples.txt")
        .split("\n")
        .filter((l) => l.startsWith("AGE-SECRET-KEY-1"));
      expect(ids).toHaveLength(2);
      for (const [i, id] of ids.entries()) {
        const set = await ageIdentitiesFromText(id);
        expect(await set.recipients()).toEqual([doc.sops.age[i]!.recipient]);
        for (const [j, entry] of doc.sops.age.entries()) {
          expect(hex(await set.unwrap(entry))).toBe(i === j ? dataKey : null);
        }
      }
    });
  }
});

describe("files written by Debian's age CLI", () => {
  it("age -r … -a, at every chunking boundary, with this identity first, last or alone", async () => {
    const keyFile = join(tmp, "cli-keys.txt");
    run("age-keygen", ["-o", keyFile]);
    const recipient = run("age-keygen", ["-y", keyFile]).toString().trim();
    const set = await ageIdentitiesFromText(readFileSync(keyFile, "utf8"));
    expect(await set.recipients()).toEqual([recipient]);
    const other = await generateAgeKeyFile();
    for (const size of [0, 1, 32, 33, 65535, 65536, 65537, 131072, 200_000]) {
      const plain = randomBytes(size);
      for (const rs of [[recipient], [other.recipient, recipient], [recipient, other.recipient]]) {
        const args = rs.flatMap((r) => ["-r", r]);
        const enc = run("age", [...args, "-a"], plain).toString();
        expect(Buffer.from((await set.unwrap({ enc }))!).equals(plain)).toBe(true);
        // The binary form parses the same.
        const bin = run("age", args, plain);
        const keyId = new X25519Identity(Buffer.alloc(32, 1)); // not ours: null
        expect(nativeOutcome(bin, [keyId])).toBe("null");
      }
    }
  });

  it("age -d reads what hush's identities unwrap (round trip through the CLI)", async () => {
    const key = await generateAgeKeyFile();
    const keyFile = join(tmp, "rt-keys.txt");
    writeFileSync(keyFile, key.text);
    const plain = randomBytes(32);
    const enc = run("age", ["-r", key.recipient, "-a"], plain).toString();
    const set = await ageIdentitiesFromText(key.identity);
    expect(Buffer.from((await set.unwrap({ enc }))!).equals(plain)).toBe(true);
    expect(run("age", ["-d", "-i", keyFile], enc).equals(plain)).toBe(true);
  });
});

describe("files written by age-encryption", () => {
  it("X25519 alone, with other X25519 recipients and beside a post-quantum stanza", async () => {
    const key = await generateAgeKeyFile();
    const other = await generateAgeKeyFile();
    const pq = await identityToRecipient(await generateHybridIdentity());
    const set = await ageIdentitiesFromText(key.identity);
    for (const size of [0, 16, 32, 33, 65536, 65537]) {
      const plain = randomBytes(size);
      for (const rs of [[key.recipient], [other.recipient, key.recipient], [pq, key.recipient]]) {
        const e = new Encrypter();
        for (const r of rs) e.addRecipient(r);
        const enc = armor.encode(await e.encrypt(plain));
        expect(Buffer.from((await set.unwrap({ enc }))!).equals(plain)).toBe(true);
      }
    }
  });

  it("the entries hush wraps (through age-encryption) unwrap natively", async () => {
    const key = await generateAgeKeyFile();
    const dataKey = randomBytes(32);
    const entry = await ageRecipient(key.recipient).wrap(dataKey);
    const set = await ageIdentitiesFromText(key.identity);
    expect(hex(await set.unwrap(entry))).toBe(dataKey.toString("hex"));
  });

  it("a passphrase (scrypt) file is not for an X25519 identity: null", async () => {
    const key = await generateAgeKeyFile();
    const e = new Encrypter();
    e.setPassphrase("correct horse");
    e.setScryptWorkFactor(2);
    const enc = armor.encode(await e.encrypt("x"));
    expect(await (await ageIdentitiesFromText(key.identity)).unwrap({ enc })).toBeNull();
  });

  it("a hybrid identity beside an X25519 one: each file goes to the identity that matches", async () => {
    const x = await generateAgeKeyFile();
    const pqId = await generateHybridIdentity();
    const pq = await identityToRecipient(pqId);
    const set = await ageIdentitiesFromText(`${pqId}\n${x.identity}`);
    expect(await set.recipients()).toEqual([pq, x.recipient]);
    for (const r of [pq, x.recipient]) {
      const entry = await ageRecipient(r).wrap(new Uint8Array(32).fill(3));
      expect(await set.unwrap(entry)).toEqual(new Uint8Array(32).fill(3));
    }
    const stranger = await ageRecipient((await generateAgeKeyFile()).recipient).wrap(new Uint8Array(32));
    expect(await set.unwrap(stranger)).toBeNull();
  });
});

describe("not ours", () => {
  it("a wrong identity, an SSH stanza, or no identity: null", async () => {
    const a = await generateAgeKeyFile();
    const b = await generateAgeKeyFile();
    const entry = await ageRecipient(a.recipient).wrap(randomBytes(32));
    expect(await (await ageIdentitiesFromText(b.identity)).unwrap(entry)).toBeNull();
    const ssh = fixture("age-vector-ssh-ed25519-encrypted-data.age");
    expect(await (await ageIdentitiesFromText(a.identity)).unwrap({ enc: ssh })).toBeNull();
    const none = await ageIdentitiesFromText("# nothing");
    expect(await none.unwrap(entry)).toBeNull();
  });
});

describe("spec edge cases (hand-built files)", () => {
  const id = new X25519Identity(randomBytes(32));
  const fileKey = randomBytes(16);
  const stanza = () => x25519Stanza(id.publicKey, fileKey);

  it("decrypts what the writer here builds, with unknown stanzas around", () => {
    const plain = randomBytes(100);
    const unknown = `-> example.com/x a b\n${bodyLines(randomBytes(48))}`;
    expect(Buffer.from(decryptX25519(parseAgeFile(ageFile(fileKey, unknown + stanza() + unknown, chunksOf(plain))), [id])!).equals(plain)).toBe(true);
  });

  it("a full-size last chunk is valid; an empty last chunk after a full one is not", () => {
    const plain = randomBytes(65536);
    const ok = ageFile(fileKey, stanza(), [{ plain, last: true }]);
    expect(Buffer.from(decryptX25519(parseAgeFile(ok), [id])!).equals(plain)).toBe(true);
    const empty = ageFile(fileKey, stanza(), [
      { plain, last: false },
      { plain: new Uint8Array(0), last: true },
    ]);
    expect(nativeOutcome(empty, [id])).toBe("KEY_SOURCE");
    // An empty file is one empty last chunk.
    expect(nativeOutcome(ageFile(fileKey, stanza(), [{ plain: new Uint8Array(0), last: true }]), [id])).toEqual(new Uint8Array(0));
  });

  it("a missing last-chunk flag, a flag on a middle chunk, or chunks out of order: KEY_SOURCE", () => {
    const a = randomBytes(65536);
    const b = randomBytes(10);
    const cases = [
      [{ plain: a, last: false }],
      [
        { plain: a, last: true },
        { plain: b, last: true },
      ],
      [
        { plain: a, last: false },
        { plain: b, last: false },
      ],
    ];
    for (const c of cases) expect(nativeOutcome(ageFile(fileKey, stanza(), c), [id])).toBe("KEY_SOURCE");
    // Swap two sealed chunks of a valid three-chunk file.
    const plain = randomBytes(65536 * 2 + 5);
    const f = ageFile(fileKey, stanza(), chunksOf(plain));
    const start = f.length - (65552 * 2 + 21);
    const swapped = Buffer.concat([f.subarray(0, start), f.subarray(start + 65552, start + 65552 * 2), f.subarray(start, start + 65552), f.subarray(start + 65552 * 2)]);
    expect(nativeOutcome(swapped, [id])).toBe("KEY_SOURCE");
  });

  it("malformed X25519 stanzas are errors when we hold an X25519 identity", () => {
    const share = randomBytes(32);
    const body = randomBytes(32);
    const bad = [
      `-> X25519\n${bodyLines(body)}`, // no share
      `-> X25519 ${b64(share)} extra\n${bodyLines(body)}`, // two arguments
      `-> X25519 ${b64(share.subarray(0, 31))}\n${bodyLines(body)}`, // short share
      `-> X25519 ${Buffer.from(share).toString("base64")}\n${bodyLines(body)}`, // padded base64
      `-> X25519 ${b64(share)}\n${bodyLines(body.subarray(0, 31))}`, // short body
      `-> X25519 ${b64(share)}\n${bodyLines(Buffer.concat([body, body]))}`, // long body
      `-> X25519 ${b64(new Uint8Array(32))}\n${bodyLines(body)}`, // low-order share (zero)
    ];
    for (const s of bad) expect(nativeOutcome(ageFile(fileKey, s, chunksOf(randomBytes(8))), [id])).toBe("KEY_SOURCE");
    // A stanza of ours before the malformed one wins, as in age (stanzas are tried in order).
    const plain = randomBytes(8);
    expect(nativeOutcome(ageFile(fileKey, stanza() + bad[0]!, chunksOf(plain)), [id])).toEqual(new Uint8Array(plain));
  });

  it("header grammar: intro, stanza lines, body lines, MAC line", () => {
    const good = ageFile(fileKey, stanza(), chunksOf(randomBytes(8))).toString("latin1");
    const variants = [
      good.replace("age-encryption.org/v1", "age-encryption.org/v2"),
      good.replace("-> X25519", "->  X25519"), // empty argument
      good.replace("-> X25519", "-> X25519\t"),
      good.replace(/-> X25519 \S+/, "->"), // no arguments at all
      good.replace("-> X25519", "-< X25519"),
      good.replace("\n---", "\n\n---"), // a stray empty line
      good.replace(/\n--- (\S+)\n/, "\n--- $1=\n"), // padded MAC
      good.replace(/\n--- (\S+)\n/, "\n---  $1\n"),
      good.replace(/\n--- (\S+)\n/, "\n--- $1 x\n"),
      good.replace(/\n--- (\S{10})\S+\n/, "\n--- $1\n"), // short MAC
      good.replace("\n", "\r\n"),
      good.slice(0, good.indexOf("\n---") + 5), // truncated in the MAC line
    ];
    for (const v of variants) expect(nativeOutcome(Buffer.from(v, "latin1"), [id])).toBe("KEY_SOURCE");
    // A non-ASCII byte in an argument.
    const f = Buffer.from(good.replace("-> X25519", "-> X25519 \u00e9"), "latin1");
    expect(nativeOutcome(f, [id])).toBe("KEY_SOURCE");
  });

  it("every truncation and any trailing byte is rejected", () => {
    const f = ageFile(fileKey, stanza(), chunksOf(randomBytes(40)));
    for (let n = 0; n < f.length; n++) expect(nativeOutcome(f.subarray(0, n), [id])).toBe("KEY_SOURCE");
    expect(nativeOutcome(Buffer.concat([f, Buffer.from([0])]), [id])).toBe("KEY_SOURCE");
  });
});

describe("armor", () => {
  const file = randomBytes(200);
  const text = armorOf(file);
  const lines = text.trimEnd().split("\n");

  it("round trips age's armor, with CRLF and surrounding whitespace", () => {
    expect(hex(decodeAgeArmor(text))).toBe(hex(file));
    expect(hex(decodeAgeArmor(text.replace(/\n/g, "\r\n")))).toBe(hex(file));
    expect(hex(decodeAgeArmor(`\n  \n${text}\n\n  `))).toBe(hex(file));
    expect(hex(decodeAgeArmor(text.trimEnd()))).toBe(hex(file));
    // A final line of exactly 64 columns, followed by the footer.
    const even = randomBytes(96);
    expect(hex(decodeAgeArmor(armorOf(even)))).toBe(hex(even));
  });

  it("rejects everything else", () => {
    const body = lines.slice(1, -1);
    const join = (ls: string[]) => `${ls.join("\n")}\n`;
    const bad = [
      "",
      "not armor",
      text.replace("BEGIN AGE", "BEGIN  AGE"),
      text.replace("-----END AGE ENCRYPTED FILE-----\n", ""),
      text.replace("-----END AGE ENCRYPTED FILE-----", "-----END AGE ENCRYPTED FILE----- "),
      `${text}x\n`, // data after the footer
      `${text}${" ".repeat(1100)}`, // too much trailing whitespace
      `${" ".repeat(1100)}\n${text}`, // too much leading whitespace
      join([lines[0]!, body[0]!.slice(0, 60), body[0]!.slice(60), ...body.slice(1), lines.at(-1)!]), // short middle line
      join([lines[0]!, body[0]! + body[1]!.slice(0, 4), body[1]!.slice(4), ...body.slice(2), lines.at(-1)!]), // 68 columns
      join([lines[0]!, ...body.slice(0, -1), `${body.at(-1)!}=`, lines.at(-1)!]), // bad padding
      join([lines[0]!, ...body.slice(0, -1), body.at(-1)!.replace(/=+$/, ""), lines.at(-1)!]), // no padding
      join([lines[0]!, ...body, "", lines.at(-1)!]), // empty line before the footer
      join([lines[0]!, body[0]!.replace(/^./, "-"), ...body.slice(1), lines.at(-1)!]), // URL-safe alphabet
      join([lines[0]!, ` ${body[0]!.slice(1)}`, ...body.slice(1), lines.at(-1)!]),
    ];
    for (const b of bad) expect(() => decodeAgeArmor(b), JSON.stringify(b.slice(0, 80))).toThrow(HushError);
    // Non-canonical padding bits in the last group (200 bytes: the last group encodes 2 bytes).
    const last = body.at(-1)!;
    const c = last.at(-2)!;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const tweaked = `${last.slice(0, -2)}${alphabet[alphabet.indexOf(c) ^ 1]}=`;
    expect(() => decodeAgeArmor(join([lines[0]!, ...body.slice(0, -1), tweaked, lines.at(-1)!]))).toThrow(HushError);
  });
});

describe("every single-byte corruption is rejected", () => {
  /** Flips bits of every byte (three ways) and expects a refusal (null or KEY_SOURCE), never data. */
  async function everyByte(set: AgeIdentitySet, file: Uint8Array, positions: Iterable<number>) {
    const refusals = new Map<string, number>();
    for (const i of positions) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = Buffer.from(file);
        bad[i]! ^= mask;
        const r = await outcome(set, armorOf(bad));
        expect(typeof r, `byte ${i} ^ ${mask}`).toBe("string");
        refusals.set(r as string, (refusals.get(r as string) ?? 0) + 1);
      }
    }
    // Both kinds occur: a changed share or wrapped key is "not ours", anything else an error.
    expect([...refusals.keys()].sort()).toEqual(["KEY_SOURCE", "null"]);
  }
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("a data key wrapped by hush (age-encryption), for one and for two recipients", async () => {
    const key = await generateAgeKeyFile();
    const other = await generateAgeKeyFile();
    const set = await ageIdentitiesFromText(key.identity);
    const single = decodeAgeArmor((await ageRecipient(key.recipient).wrap(randomBytes(32)))["enc"] as string);
    await everyByte(set, single, all(single.length));
    const e = new Encrypter();
    e.addRecipient(other.recipient);
    e.addRecipient(key.recipient);
    const double = await e.encrypt(randomBytes(32));
    await everyByte(set, double, all(double.length));
  });

  it("a file from Debian's age spanning two chunks (header, chunk edges and a sample of each chunk)", async () => {
    const key = await generateAgeKeyFile();
    const set = await ageIdentitiesFromText(key.identity);
    const file = run("age", ["-r", key.recipient], randomBytes(65536 + 100));
    const header = file.indexOf("\n---") + 1;
    const macEnd = file.indexOf("\n", header) + 1;
    const positions = new Set<number>(all(macEnd + 16 + 32));
    for (let i = 0; i < 40; i++) positions.add(macEnd + Math.floor(Math.random() * (file.length - macEnd)));
    for (const edge of [macEnd + 16 + 65552, file.length]) for (let d = -20; d < 20; d++) if (edge + d < file.length) positions.add(edge + d);
    await everyByte(set, file, positions);
  });

  it("every character of the armored text: never wrong data", async () => {
    const key = await generateAgeKeyFile();
    const set = await ageIdentitiesFromText(key.identity);
    const dataKey = randomBytes(32);
    const enc = (await ageRecipient(key.recipient).wrap(dataKey))["enc"] as string;
    for (let i = 0; i < enc.length; i++) {
      for (const c of ["A", "z", "/", "=", " ", "\n", "-"]) {
        if (enc[i] === c) continue;
        const r = await outcome(set, enc.slice(0, i) + c + enc.slice(i + 1));
        // Only the final newline may become whitespace and still decode; nothing decodes wrong.
        if (typeof r !== "string") {
          expect(i, `char ${i} -> ${JSON.stringify(c)}`).toBe(enc.length - 1);
          expect(hex(r)).toBe(dataKey.toString("hex"));
        }
      }
    }
  });
});

describe("secrets stay out of messages", () => {
  it("no error message contains the identity", async () => {
    const key = await generateAgeKeyFile();
    const set = await ageIdentitiesFromText(key.identity);
    const entry = await ageRecipient(key.recipient).wrap(randomBytes(32));
    const bin = Buffer.from(decodeAgeArmor(entry["enc"] as string));
    bin[bin.length - 1]! ^= 1;
    for (const enc of [armorOf(bin), "garbage", `${entry["enc"] as string}x`]) {
      const e = await set.unwrap({ recipient: key.recipient, enc }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HushError);
      expect((e as HushError).code).toBe("KEY_SOURCE");
      expect((e as HushError).message).not.toContain("\n");
      expect(leaks((e as HushError).message, key.identity)).toBe(false);
    }
  });
});

describe("cold path", () => {
  /** A module hook that reports on stderr when age-encryption's code is loaded, bundled or not. */
  function registerHooks(): string {
    const hooks = join(tmp, "hooks.mjs");
    writeFileSync(
      hooks,
      `import { writeSync } from "node:fs";
export async function load(url, ctx, next) {
  const r = await next(url, ctx);
  // Unbundled: its own files; bundled: esbuild's path comments in the chunk that holds it, or
  // the package's vendored entry (dist/bundle/vendor/age-encryption.js).
  if (url.includes("/age-encryption/") || url.endsWith("/vendor/age-encryption.js") || String(r.source ?? "").includes("node_modules/age-encryption/")) {
    writeSync(2, "IMPORTED age-encryption\\n");
  }
  return r;
}\n`,
    );
    const register = join(tmp, "register.mjs");
    writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    return register;
  }

  it("hush decrypt of an age-only file never loads age-encryption (the built CLI)", () => {
    const register = registerHooks();
    const env = { PATH: process.env["PATH"] ?? "", HOME: tmp, XDG_CONFIG_HOME: tmp, SOPS_AGE_KEY_FILE: join(FIXTURES, "key-age-sops-examples.txt"), HUSH_NO_WARNINGS: "1" };
    const r = spawnSync(process.execPath, ["--import", register, join(ROOT, "bin", "hush.js"), "decrypt", join(FIXTURES, "age-yaml-v3.7.1-example.enc.yaml")], {
      encoding: "utf8",
      env,
    });
    expect(r.stdout).toBe(fixture("age-yaml-v3.7.1-example.expected.yaml"));
    expect(r.stderr).toBe("");
    // Key generation does load it: the hook works. (Encrypting to an X25519 recipient no longer
    // does: age-native.ts encrypts natively.)
    const e = spawnSync(process.execPath, ["--import", register, join(ROOT, "bin", "hush.js"), "keygen", "-o", join(tmp, "new-key.txt")], {
      encoding: "utf8",
      env,
    });
    expect(e.stderr).toContain("IMPORTED age-encryption");
  });

  it("loading X25519 identities and unwrapping never imports age-encryption (built dist/)", () => {
    const register = registerHooks();
    const script = `
      const { loadAgeIdentities } = await import(${JSON.stringify(join(ROOT, "dist", "keys", "age-client.js"))});
      const env = { HOME: "/nonexistent", XDG_CONFIG_HOME: "/nonexistent", SOPS_AGE_KEY_FILE: ${JSON.stringify(join(FIXTURES, "key-age-sops-examples.txt"))} };
      const set = await loadAgeIdentities(env);
      const enc = ${JSON.stringify((parseYaml(fixture("age-yaml-v3.7.1-example.enc.yaml")) as { sops: { age: { enc: string }[] } }).sops.age[0]!.enc)};
      const key = await set.unwrap({ enc });
      await set.recipients();
      console.log(set.count, Buffer.from(key).toString("hex"));
      if (process.argv[1] === "pq") await import("age-encryption");
    `;
    const r = spawnSync(process.execPath, ["--import", register, "--input-type=module", "-e", script], { encoding: "utf8", cwd: ROOT });
    expect(r.stdout).toBe("2 9ac088cf7029981341457c39dd56dde54600dfbce9b5ede23aa65c418900ab67\n");
    expect(r.stderr).not.toContain("IMPORTED age-encryption");
    // The hook does see the import when it happens.
    const r2 = spawnSync(process.execPath, ["--import", register, "--input-type=module", "-e", script, "pq"], { encoding: "utf8", cwd: ROOT });
    expect(r2.stderr).toContain("IMPORTED age-encryption");
  });
});

describe("native encryption to X25519 recipients (issue 20)", () => {
  it("Debian's age decrypts what ageRecipient().wrap writes, at every chunk boundary; each wrap is fresh", async () => {
    const key = await generateAgeKeyFile();
    const dir = mkdtempSync(join(tmpdir(), "hush-age-native-enc-"));
    try {
      writeFileSync(join(dir, "key.txt"), key.text, { mode: 0o600 });
      const r = ageRecipient(key.recipient);
      for (const n of [0, 1, 32, 65535, 65536, 65537, 131072 + 5]) {
        const data = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
        const enc = (await r.wrap(data))["enc"] as string;
        expect(enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n$/);
        writeFileSync(join(dir, "f.age"), enc);
        const out = execFileSync("age", ["-d", "-i", join(dir, "key.txt"), join(dir, "f.age")]);
        expect(Buffer.compare(out, Buffer.from(data))).toBe(0);
      }
      const a = await r.wrap(new Uint8Array(32));
      const b = await r.wrap(new Uint8Array(32));
      expect(a.enc).not.toBe(b.enc); // fresh ephemeral key, file key and nonce each time
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
