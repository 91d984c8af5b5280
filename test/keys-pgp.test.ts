// PGP key source. Every PGP fixture sops wrote decrypts with the test key shipped beside it, set up
// the two ways a user would: imported into a temporary GNUPGHOME with `gpg --batch --import` (as
// for sops), and given as a key file through SOPS_PGP_KEY_FILE with gpg made unavailable. Every
// entry of every fixture unwraps on its own, RSA-1024 "Key 2" included. Round trips encrypt to the
// fixture key's fingerprint; a key that is not the file's gives "could not decrypt the data key"
// (exit 128) without spawning `gpg --decrypt`.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptHeld, decryptText, encryptText, parseDocument } from "../src/lib/files.js";
import { isHushError } from "../src/errors.js";
import { readMetadata } from "../src/core/metadata.js";
import { formatNameForPath, getFormat, type FormatName } from "../src/formats/index.js";
import { Keyring, recipientFor } from "../src/keys/registry.js";
import { loadPgpKeyring, normaliseFingerprint, parseGpgSecretKeys, pkeskKeyIds } from "../src/keys/pgp-client.js";
import { cleanEnv, FIXTURES, fixture, manifestKeys, runHush, withTempDir } from "./helpers.js";

const KEY_FILE = join(FIXTURES, "key-pgp-sops-functional-tests-private.asc");
const FP1 = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
const FP2 = "D7229043384BCC60326C6FB9D8720D957C3D3074";
const KEYS = manifestKeys();

/** Formats registered in this build; fixtures of other formats wait for them (no skips). */
function registered(name: FormatName): boolean {
  try {
    getFormat(name);
    return true;
  } catch {
    return false;
  }
}

const pgpFixtures = readdirSync(FIXTURES)
  .filter((f) => /^pgp-.*\.enc\.\w+$/.test(f))
  .map((file) => ({ file, format: formatNameForPath(file) }))
  .filter((f) => registered(f.format));

function expectedFor(file: string): { name: string; ignoreMac: boolean } {
  const base = file.replace(/\.enc\.(\w+)$/, "");
  const ext = file.split(".").pop()!;
  const names = readdirSync(FIXTURES);
  if (names.includes(`${base}.expected.${ext}`)) return { name: `${base}.expected.${ext}`, ignoreMac: false };
  return { name: `${base}.ignore-mac.expected.${ext}`, ignoreMac: true };
}

/** Files written before yaml.v3 (sops ≤ 3.6): hush keeps their layout; sops re-indents. */
const OLD_LAYOUT = /-v3\.[0-6]\.\d-/;

function comments(yamlText: string): string[] {
  return [...yamlText.matchAll(/#(.*)$/gm)].map((m) => m[1]!);
}

function gpg(home: string, args: string[], input?: string): string {
  const r = spawnSync("gpg", args, { env: { ...process.env, GNUPGHOME: home }, input: input ?? "", encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gpg ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const dirs: string[] = [];
function tempHome(): string {
  const d = mkdtempSync(join(tmpdir(), "hush-gpg-"));
  chmodSync(d, 0o700);
  dirs.push(d);
  return d;
}

/** A GNUPGHOME holding the fixture keys; one holding an unrelated key; one empty. */
let sopsHome: string;
let wrongHome: string;
let emptyHome: string;
/** An armored private key file with an unrelated key. */
let wrongKeyFile: string;

beforeAll(async () => {
  sopsHome = tempHome();
  gpg(sopsHome, ["--batch", "--import", KEY_FILE]);
  wrongHome = tempHome();
  gpg(wrongHome, ["--batch", "--passphrase", "", "--quick-gen-key", "Wrong Key <wrong@example.com>", "future-default", "default", "never"]);
  emptyHome = tempHome();
  wrongKeyFile = join(tempHome(), "wrong.asc");
  writeFileSync(wrongKeyFile, gpg(wrongHome, ["--batch", "--armor", "--export-secret-keys"]));
});

afterAll(() => {
  for (const d of dirs) {
    // Each home got its own gpg-agent; stop it before removing its socket directory.
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: d } });
    rmSync(d, { recursive: true, force: true });
  }
});

/** A sops user's setup: the key imported into GnuPG, no key file. */
const gpgEnv = () => cleanEnv({ GNUPGHOME: sopsHome });
/** The key given as a file, with gpg unavailable (SOPS_GPG_EXEC names no program). */
const fileEnv = (variable = "SOPS_PGP_KEY_FILE") =>
  cleanEnv({ GNUPGHOME: emptyHome, SOPS_GPG_EXEC: join(emptyHome, "no-such-gpg"), [variable]: KEY_FILE });

describe("every PGP fixture decrypts with the test key", () => {
  it("finds the YAML and JSON PGP fixtures", () => {
    expect(pgpFixtures.filter((f) => f.format === "yaml").length).toBeGreaterThanOrEqual(6);
    expect(pgpFixtures.filter((f) => f.format === "json").length).toBeGreaterThanOrEqual(2);
  });

  const setups: [string, () => NodeJS.ProcessEnv][] = [
    ["key imported into GNUPGHOME", gpgEnv],
    ["key file in SOPS_PGP_KEY_FILE, no gpg", () => fileEnv()],
  ];
  for (const [setup, env] of setups) {
    for (const { file, format } of pgpFixtures) {
      it(`${file} (${setup})`, async () => {
        const text = fixture(file);
        const expected = expectedFor(file);
        const want = fixture(expected.name);
        const opts = { format, env: env() };
        if (expected.ignoreMac) {
          const err = await decryptText(text, opts).catch((e: unknown) => e);
          expect(isHushError(err, "MAC_MISMATCH")).toBe(true);
        }
        const res = await decryptHeld(text, { ...opts, ignoreMac: expected.ignoreMac });
        expect(Buffer.from(res.dataKey).toString("hex")).toBe(KEYS.get(file)!.dataKey.toString("hex"));
        if (OLD_LAYOUT.test(file) && format === "yaml") {
          expect(parseYaml(res.text)).toEqual(parseYaml(want));
          expect(comments(res.text)).toEqual(comments(want));
        } else {
          expect(res.text).toBe(want);
        }
      });
    }
  }

  it("HUSH_PGP_KEY_FILE works as SOPS_PGP_KEY_FILE does", async () => {
    const { text } = await decryptText(fixture("pgp-yaml-v3.13.1-format.enc.yaml"), { format: "yaml", env: fileEnv("HUSH_PGP_KEY_FILE") });
    expect(text).toBe("foo: bar\n");
  });

  it("through the CLI, as a sops user runs it", () => {
    const r = runHush(["decrypt", join(FIXTURES, "pgp-yaml-v3.10.2-example.enc.yaml")], { env: gpgEnv() });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(fixture("pgp-yaml-v3.10.2-example.expected.yaml"));
    const f = runHush(["decrypt", join(FIXTURES, "pgp-json-v3.13.1-format.enc.json")], { env: fileEnv() });
    expect(f.stderr).toBe("");
    expect(f.status).toBe(0);
    expect(f.stdout).toBe(fixture("pgp-json-v3.13.1-format.expected.json"));
  });
});

describe("each PGP entry unwraps on its own (Key 1 RSA-2048 and Key 2 RSA-1024)", () => {
  for (const { file, format } of pgpFixtures) {
    it(file, async () => {
      const meta = readMetadata(parseDocument(fixture(file), format).rawMetadata());
      const entries = meta.keyGroups.flat().filter((w) => w.kind === "pgp");
      expect(entries.length).toBeGreaterThanOrEqual(1);
      const want = KEYS.get(file)!.dataKey.toString("hex");
      for (const env of [gpgEnv(), fileEnv()]) {
        const ring = await new Keyring({ env }).unwrapper("pgp");
        for (const w of entries) {
          const key = await ring!.unwrap(w.entry);
          expect(key && Buffer.from(key).toString("hex"), `${String(w.entry["fp"])}`).toBe(want);
        }
      }
      expect(entries.map((w) => w.entry["fp"])).toContain(FP1);
    });
  }
});

describe("PGP round trip", () => {
  const PLAIN = '{\n\t"password": "hunter2",\n\t"port": 5432\n}\n';

  it("encrypts to a fingerprint found in GnuPG; sops's entry; decrypts with gpg and with the key file", async () => {
    const r = await recipientFor("pgp", "FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4", gpgEnv());
    expect(r.id).toBe(FP1);
    const { text } = await encryptText(PLAIN, { format: "json", groups: [[r]] });
    const entry = (JSON.parse(text) as { sops: { pgp: Record<string, string>[] } }).sops.pgp[0]!;
    expect(Object.keys(entry)).toEqual(["created_at", "enc", "fp"]);
    expect(entry["fp"]).toBe(FP1);
    expect(entry["created_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(entry["enc"]).toMatch(/^-----BEGIN PGP MESSAGE-----\n\n[^]*\n-----END PGP MESSAGE-----$/);
    // Addressed to Key 1's encryption subkey, as gpg sees it too.
    expect(pkeskKeyIds(entry["enc"]!)).toEqual(["25294A17CD90507F"]);

    for (const env of [gpgEnv(), fileEnv()]) {
      const res = await decryptText(text, { format: "json", env });
      expect(res.text).toBe(PLAIN);
    }
    // gpg itself reads the entry: sops with gpg will too.
    const viaGpg = spawnSync("gpg", ["--batch", "--decrypt"], { env: { ...process.env, GNUPGHOME: sopsHome }, input: entry["enc"] });
    expect(viaGpg.status).toBe(0);
    const res = await decryptHeld(text, { format: "json", env: gpgEnv() });
    expect(Buffer.from(viaGpg.stdout).equals(Buffer.from(res.dataKey))).toBe(true);
  });

  it("encrypts with only the key file (no gpg) to both keys; a trailing ! is kept in fp", async () => {
    const env = fileEnv();
    const SUB2 = "EA21E43623FA56D04982323A5C5525B581705783"; // Key 2's encryption subkey
    const rs = [await recipientFor("pgp", FP1, env), await recipientFor("pgp", `${SUB2}!`, env)];
    const { text } = await encryptText(PLAIN, { format: "json", groups: [rs] });
    const entries = (JSON.parse(text) as { sops: { pgp: Record<string, string>[] } }).sops.pgp;
    expect(entries.map((e) => e["fp"])).toEqual([FP1, `${SUB2}!`]);
    expect(pkeskKeyIds(entries[1]!["enc"]!)).toEqual(["5C5525B581705783"]);
    const meta = readMetadata((JSON.parse(text) as { sops: unknown }).sops);
    for (const w of meta.keyGroups[0]!) {
      const ring = await new Keyring({ env: gpgEnv() }).unwrapper("pgp");
      expect(await ring!.unwrap(w.entry)).not.toBeNull();
    }
    // FP! names exactly that key, as in gpg: Key 2's primary key cannot encrypt.
    const bang = await recipientFor("pgp", `${FP2}!`, env);
    const err = await encryptText(PLAIN, { format: "json", groups: [[bang]] }).catch((e: unknown) => e);
    expect(isHushError(err, "KEY_SOURCE")).toBe(true);
    expect((err as Error).message).toMatch(new RegExp(`^pgp ${FP2}!: cannot encrypt the data key: `));
  });

  it("says where it looked when the public key is nowhere", async () => {
    const r = await recipientFor("pgp", "0123456789ABCDEF0123456789ABCDEF01234567", cleanEnv({ GNUPGHOME: emptyHome }));
    const err = await encryptText(PLAIN, { format: "json", groups: [[r]] }).catch((e: unknown) => e);
    expect(isHushError(err, "KEY_SOURCE")).toBe(true);
    expect((err as Error).message).toMatch(/^pgp 0123456789ABCDEF0123456789ABCDEF01234567: public key not found \(GnuPG .*: not there\)$/);
  });

  it("refuses what is not a fingerprint", async () => {
    expect(normaliseFingerprint(" fbc7b9e2a4f9289ac0c1d4843d16cee4a27381b4! ")).toBe("fbc7b9e2a4f9289ac0c1d4843d16cee4a27381b4!");
    await expect(recipientFor("pgp", "someone@example.com")).rejects.toThrow(/not a PGP fingerprint/);
    await expect(recipientFor("pgp", "A27381B4")).rejects.toThrow(/short key ID/);
  });
});

describe("a key that is not the file's", () => {
  const file = join(FIXTURES, "pgp-yaml-v3.13.1-format.enc.yaml");

  it("unwrap gives null for a foreign entry, from the key file and from GnuPG", async () => {
    const meta = readMetadata(parseDocument(fixture("pgp-yaml-v3.13.1-format.enc.yaml"), "yaml").rawMetadata());
    const entry = meta.keyGroups[0]![0]!.entry;
    for (const env of [cleanEnv({ GNUPGHOME: wrongHome }), cleanEnv({ GNUPGHOME: emptyHome, SOPS_PGP_KEY_FILE: wrongKeyFile })]) {
      const ring = await loadPgpKeyring(env);
      expect(await ring.unwrap(entry)).toBeNull();
      expect(ring.describe()).toMatch(/none of the PGP private keys held matches/);
    }
  });

  it("the CLI says could not decrypt the data key and exits 128, never running gpg --decrypt", async () => {
    await withTempDir((dir) => {
      // A gpg wrapper that logs its arguments, to prove the key ID match spares the decrypt.
      const log = join(dir, "gpg.log");
      const wrapper = join(dir, "gpg-wrapper.sh");
      writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec gpg "$@"\n`);
      chmodSync(wrapper, 0o755);
      const env = cleanEnv({ GNUPGHOME: wrongHome, SOPS_GPG_EXEC: wrapper, SOPS_PGP_KEY_FILE: wrongKeyFile });
      const r = runHush(["decrypt", file], { env });
      expect(r.status).toBe(128);
      expect(r.stdout).toBe("");
      const lines = r.stderr.split("\n").filter(Boolean);
      expect(lines[0]).toMatch(
        new RegExp(`^hush: error: could not decrypt the data key: pgp ${FP1}: none of the PGP private keys held matches \\(1 from SOPS_PGP_KEY_FILE .*; 1 in GnuPG .*\\)$`),
      );
      expect(lines.filter((l) => l.startsWith("hush: error:"))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/PRIVATE KEY|\n\s+at /);
      const calls = readFileSync(log, "utf8");
      expect(calls).toMatch(/--list-secret-keys/);
      expect(calls).not.toMatch(/--decrypt/);
    });
  });

  it("with no PGP key anywhere, says so", () => {
    const r = runHush(["decrypt", file], { env: cleanEnv({ GNUPGHOME: emptyHome }) });
    expect(r.status).toBe(128);
    expect(r.stderr).toMatch(/could not decrypt the data key: pgp FBC7\S*: no PGP private key found \(no SOPS_PGP_KEY_FILE; 0 in GnuPG/);
  });

  it("reports an unreadable key file, without its contents", () => {
    const r = runHush(["decrypt", file], { env: cleanEnv({ GNUPGHOME: emptyHome, SOPS_PGP_KEY_FILE: join(emptyHome, "missing.asc") }) });
    expect(r.status).toBe(128);
    expect(r.stderr).toMatch(/SOPS_PGP_KEY_FILE \S*missing\.asc: no such file/);
  });
});

describe("PKESK key IDs without openpgp.js", () => {
  it("reads the recipients of every fixture entry", () => {
    const ids = new Set<string>();
    for (const { file, format } of pgpFixtures) {
      const meta = readMetadata(parseDocument(fixture(file), format).rawMetadata());
      for (const w of meta.keyGroups.flat()) if (w.kind === "pgp") for (const id of pkeskKeyIds(String(w.entry["enc"])) ?? ["?"]) ids.add(id);
    }
    expect([...ids].sort()).toEqual(["25294A17CD90507F", "5C5525B581705783"]);
  });

  it("returns null for what is not an armored message", () => {
    expect(pkeskKeyIds("hello")).toBeNull();
    expect(pkeskKeyIds("-----BEGIN PGP MESSAGE-----\n\n!!!\n-----END PGP MESSAGE-----")).toBeNull();
  });

  it("parses gpg's secret key listing, skipping stubs", () => {
    const colons = [
      "sec:-:2048:1:3D16CEE4A27381B4:1567113565:::-:::scESC:::+:::23::0:",
      "fpr:::::::::FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4:",
      "ssb:-:2048:1:25294A17CD90507F:1567113565::::::e:::#:::23:",
    ].join("\n");
    const { keyIds, primaries } = parseGpgSecretKeys(colons);
    expect(primaries).toBe(1);
    expect([...keyIds]).toEqual(["3D16CEE4A27381B4"]);
  });
});
