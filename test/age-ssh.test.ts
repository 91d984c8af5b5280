/**
 * age SSH recipients and identities (ssh-ed25519, ssh-rsa), as sops ≥ 3.10 loads them, checked
 * against sops's vector and Debian's `age` CLI in both directions with keys from `ssh-keygen`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HushError } from "../src/errors.js";
import { ageRecipient, loadAgeIdentities, parseAgeRecipients } from "../src/keys/age-client.js";
import { keyService } from "../src/keys/index.js";
import { cleanEnv, HUSH } from "./helpers.js";

// sops's SSH vectors (test/fixtures/sops/MANIFEST.md: mockSshIdentity, mockSshRecipient, mockEncryptedSshKey).
const VECTORS = fileURLToPath(new URL("./fixtures/sops/", import.meta.url));
const vector = (name: string) => join(VECTORS, name);
const hasTools = spawnSync("ssh-keygen", ["-?"]).error === undefined && spawnSync("age", ["--version"]).status === 0;

let tmp: string;
let home: string;
const keys: Record<string, { priv: string; pub: string }> = {};

function keygen(name: string, type: string, pass = ""): void {
  const priv = join(tmp, name);
  const bits = type === "rsa" ? ["-b", "2048"] : type === "rsa1024" ? ["-b", "1024"] : [];
  execFileSync("ssh-keygen", ["-q", "-t", type.replace("1024", ""), ...bits, "-N", pass, "-C", `${name}@test`, "-f", priv]);
  keys[name] = { priv, pub: readFileSync(`${priv}.pub`, "utf8").trim() };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "hush-age-ssh-"));
  home = join(tmp, "home");
  mkdirSync(home);
  if (!hasTools) return;
  keygen("ed", "ed25519");
  keygen("rsa", "rsa");
  keygen("prot", "ed25519", "correct horse");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "", HOME: home, XDG_CONFIG_HOME: home, ...extra };
}

const DATA_KEY = Buffer.from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "hex");

describe("sops's SSH vector", () => {
  it("decrypts mockEncryptedSshKey with mockSshIdentity from SOPS_AGE_SSH_PRIVATE_KEY_FILE", async () => {
    const set = await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: vector("age-vector-ssh-ed25519-identity.pem") }));
    const enc = readFileSync(vector("age-vector-ssh-ed25519-encrypted-data.age"), "utf8");
    const recipient = readFileSync(vector("age-vector-ssh-ed25519-recipient.pub"), "utf8").trim();
    const out = await set.unwrap({ recipient, enc });
    expect(Buffer.from(out!).toString()).toBe("data");
  });

  it("accepts the recipient line (with its comment) as an age recipient", () => {
    const recipient = readFileSync(vector("age-vector-ssh-ed25519-recipient.pub"), "utf8").trim();
    expect(parseAgeRecipients(`${recipient}, age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun`)).toHaveLength(2);
    expect(() => parseAgeRecipients("ssh-ed25519 AAAAnotbase64!")).toThrow(HushError);
    expect(() => parseAgeRecipients("ssh-dss AAAAB3NzaC1kc3MAAACBAP")).toThrow(/unsupported SSH key type/);
  });
});

describe.skipIf(!hasTools)("interop with Debian's age CLI", () => {
  for (const name of ["ed", "rsa"]) {
    it(`${name}: hush wraps, age -d -i decrypts`, async () => {
      const entry = await ageRecipient(keys[name]!.pub).wrap(DATA_KEY);
      expect(entry["recipient"]).toBe(keys[name]!.pub);
      const out = execFileSync("age", ["-d", "-i", keys[name]!.priv], { input: entry["enc"] as string });
      expect(out.equals(DATA_KEY)).toBe(true);
    });

    it(`${name}: age -R encrypts, hush unwraps from ~/.ssh`, async () => {
      const pubFile = join(tmp, `${name}.recipients`);
      writeFileSync(pubFile, `${keys[name]!.pub}\n`);
      const enc = execFileSync("age", ["-a", "-R", pubFile], { input: DATA_KEY }).toString();
      const sshDir = join(tmp, `home-${name}`, ".ssh");
      mkdirSync(sshDir, { recursive: true });
      const file = name === "ed" ? "id_ed25519" : "id_rsa";
      writeFileSync(join(sshDir, file), readFileSync(keys[name]!.priv));
      chmodSync(join(sshDir, file), 0o600);
      const set = await loadAgeIdentities({ ...env(), HOME: join(tmp, `home-${name}`) });
      expect(set.sshNotes).toEqual([`${join(sshDir, file)} (ssh-${name === "ed" ? "ed25519" : "rsa"})`]);
      const out = await set.unwrap({ recipient: keys[name]!.pub, enc });
      expect(Buffer.from(out!).equals(DATA_KEY)).toBe(true);
    });
  }

  it("an entry for another SSH key is not ours; a tampered body fails for the matching key", async () => {
    const entry = await ageRecipient(keys["ed"]!.pub).wrap(DATA_KEY);
    const other = await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["rsa"]!.priv }));
    expect(await other.unwrap(entry)).toBeNull();
  });

  it("a passphrase-protected key: held, not asked for when the entry is for another key", async () => {
    const set = await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["prot"]!.priv }));
    expect(set.count).toBe(0);
    expect(set.sshNotes[0]).toMatch(/passphrase-protected: asked for when a file needs it/);
    expect(set.problems).toEqual([]);
    // An entry for another key never reaches the prompt (so this runs safely on a terminal too).
    const unrelated = await ageRecipient(keys["ed"]!.pub).wrap(DATA_KEY);
    expect(await set.unwrap(unrelated)).toBeNull();
  });

  it("a passphrase-protected key through the CLI: asked on the terminal; without one, a clear line", async () => {
    const dir = join(tmp, "prot-cli");
    mkdirSync(dir, { recursive: true });
    const entryFile = join(dir, "s.enc.yaml");
    writeFileSync(join(dir, "s.yaml"), "token: s3cr3t\n");
    const enc = spawnSync(process.execPath, [HUSH, "encrypt", "--age", keys["prot"]!.pub, join(dir, "s.yaml")], { env: cleanEnv(), encoding: "utf8" });
    writeFileSync(entryFile, enc.stdout);
    const e = cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["prot"]!.priv });
    const noTty = spawnSync("setsid", ["-w", process.execPath, HUSH, "decrypt", entryFile], { env: e, encoding: "utf8" });
    expect(noTty.status).toBe(128);
    expect(noTty.stderr).toContain(`is for the passphrase-protected SSH key SOPS_AGE_SSH_PRIVATE_KEY_FILE ${keys["prot"]!.priv}: no terminal is available to ask for its passphrase`);
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} decrypt ${JSON.stringify(entryFile)}`;
    const tty = spawnSync("script", ["-qec", cmd, "/dev/null"], { input: "correct horse\r", env: e, encoding: "utf8", timeout: 60_000 });
    expect(tty.stdout).toContain("Enter passphrase for");
    expect(tty.stdout).toContain("token: s3cr3t");
    expect(tty.status).toBe(0);
    const wrong = spawnSync("script", ["-qec", cmd, "/dev/null"], { input: "wrong horse\r", env: e, encoding: "utf8", timeout: 60_000 });
    expect(wrong.status).toBe(128);
    expect(wrong.stdout).toContain("incorrect passphrase for the SSH key");
  });

  it("SOPS_AGE_SSH_PRIVATE_KEY_CMD prints the key, with SOPS_AGE_RECIPIENT set to the entry's recipient", async () => {
    const script = join(tmp, "sshcmd.sh");
    const log = join(tmp, "sshcmd.log");
    writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$SOPS_AGE_RECIPIENT" >> ${log}\ncat ${keys["rsa"]!.priv}\n`);
    chmodSync(script, 0o755);
    const set = await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_CMD: script }));
    const entry = await ageRecipient(keys["rsa"]!.pub).wrap(DATA_KEY);
    expect(Buffer.from((await set.unwrap(entry))!).equals(DATA_KEY)).toBe(true);
    expect(readFileSync(log, "utf8")).toBe(`${keys["rsa"]!.pub}\n`);
  });

  it("no match: the message names the SSH keys tried and skipped", async () => {
    const set = await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["prot"]!.priv }));
    void set;
    const u = await (await keyService("age").load()).unwrapper(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["ed"]!.priv }));
    expect(u.describe()).toBe(`none of the 1 age identity loaded matches; SSH keys: SOPS_AGE_SSH_PRIVATE_KEY_FILE ${keys["ed"]!.priv} (ssh-ed25519)`);
    expect(set.sshNotes).toEqual([`SOPS_AGE_SSH_PRIVATE_KEY_FILE ${keys["prot"]!.priv} (passphrase-protected: asked for when a file needs it)`]);
  });

  it("the CLI: a .sops.yaml rule with SSH recipients encrypts; ~/.ssh keys decrypt; recipient: keeps the line", async () => {
    const dir = join(tmp, "repo");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: >-\n      ${keys["ed"]!.pub},\n      ${keys["rsa"]!.pub}\n`);
    writeFileSync(join(dir, "s.yaml"), "token: s3cr3t\n");
    const run = (args: string[], e: NodeJS.ProcessEnv) => spawnSync(process.execPath, [HUSH, ...args], { cwd: dir, env: e, encoding: "utf8" });
    const enc = run(["encrypt", "s.yaml"], cleanEnv());
    expect(enc.stderr).toBe("");
    expect(enc.stdout).toContain(`recipient: ${keys["ed"]!.pub}`);
    writeFileSync(join(dir, "s.enc.yaml"), enc.stdout);
    for (const [name, file] of [["ed", "id_ed25519"], ["rsa", "id_rsa"]] as const) {
      const h = join(tmp, `cli-home-${name}`);
      mkdirSync(join(h, ".ssh"), { recursive: true });
      writeFileSync(join(h, ".ssh", file), readFileSync(keys[name]!.priv), { mode: 0o600 });
      const dec = run(["decrypt", "s.enc.yaml"], { ...cleanEnv(), HOME: h });
      expect(dec.stdout).toBe("token: s3cr3t\n");
    }
    // No key: the message says which SSH keys were looked at.
    const none = run(["decrypt", "s.enc.yaml"], cleanEnv({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["prot"]!.priv }));
    expect(none.status).toBe(128);
    expect(none.stderr).toContain(`SSH keys: SOPS_AGE_SSH_PRIVATE_KEY_FILE ${keys["prot"]!.priv} (passphrase-protected: asked for when a file needs it)`);
  });

  it("PEM keys as ssh.ParseRawPrivateKey reads them: PKCS #1 RSA, PKCS #8 Ed25519", async () => {
    keygen("pemrsa", "rsa");
    execFileSync("ssh-keygen", ["-q", "-p", "-m", "PEM", "-N", "", "-P", "", "-f", keys["pemrsa"]!.priv]);
    expect(readFileSync(keys["pemrsa"]!.priv, "utf8")).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const pkcs8 = generateKeyPairSync("ed25519");
    const pem = join(tmp, "pkcs8-ed25519.pem");
    writeFileSync(pem, pkcs8.privateKey.export({ format: "pem", type: "pkcs8" }));
    const raw = Buffer.from(pkcs8.publicKey.export({ format: "jwk" }).x!, "base64url");
    const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const edLine = `ssh-ed25519 ${Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]).toString("base64")}`;
    for (const [line, file] of [[keys["pemrsa"]!.pub, keys["pemrsa"]!.priv], [edLine, pem]] as const) {
      const entry = await ageRecipient(line).wrap(DATA_KEY);
      const set = await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: file }));
      expect(Buffer.from((await set.unwrap(entry))!).equals(DATA_KEY)).toBe(true);
      // and age agrees
      expect(execFileSync("age", ["-d", "-i", file], { input: entry["enc"] as string }).equals(DATA_KEY)).toBe(true);
    }
  });

  it("RSA keys under 2048 bits are refused as recipients (as agessh)", () => {
    keygen("small", "rsa1024");
    expect(() => parseAgeRecipients(keys["small"]!.pub)).toThrow(/at least 2048 bits/);
  });
});

describe("property: any data key round trips through SSH stanzas", () => {
  it.skipIf(!hasTools)("ssh-ed25519 and ssh-rsa", async () => {
    const sets = {
      ed: await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["ed"]!.priv })),
      rsa: await loadAgeIdentities(env({ SOPS_AGE_SSH_PRIVATE_KEY_FILE: keys["rsa"]!.priv })),
    };
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom("ed", "rsa"), async (data, name) => {
        const entry = await ageRecipient(keys[name]!.pub).wrap(data);
        expect(Buffer.from((await sets[name].unwrap(entry))!).equals(Buffer.from(data))).toBe(true);
        expect(await sets[name === "ed" ? "rsa" : "ed"].unwrap(entry)).toBeNull();
      }),
      { numRuns: 25 },
    );
  });
});
