// Issue 15, "Library and keys": key files others can read, updatekeys that removes someone, a
// file without a MAC (sops's exit 52), tampered encrypted comments. Real CLI, real files.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Keyring } from "../src/keys/registry.js";
import { decryptHeld, decryptText } from "../src/lib/files.js";
import { cleanEnv, FIXTURES, fixture, HUSH, withTempDir } from "./helpers.js";

const NODE = process.execPath;

function ageKey(dir: string, name: string): { file: string; identity: string; recipient: string } {
  const file = join(dir, name);
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  const text = readFileSync(file, "utf8");
  return { file, recipient: /public key: (age1\w+)/.exec(text)![1]!, identity: /^(AGE-SECRET-KEY-1\w+)$/m.exec(text)![1]! };
}

function hush(args: string[], env: NodeJS.ProcessEnv, cwd?: string) {
  // Warnings on: this file tests them.
  const r = spawnSync(NODE, [HUSH, ...args], { env: { ...env, HUSH_NO_WARNINGS: "" }, encoding: "utf8", ...(cwd ? { cwd } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("a key file other users can read", () => {
  it("0644 / 0666: used, with one warning line; HUSH_STRICT=1 refuses it; 0600: silent", async () => {
    await withTempDir((dir) => {
      const k = ageKey(dir, "keys.txt");
      writeFileSync(join(dir, "s.yaml"), "a: 1\n");
      const enc = join(dir, "s.enc.yaml");
      expect(hush(["encrypt", "--age", k.recipient, "-o", enc, join(dir, "s.yaml")], cleanEnv()).status).toBe(0);
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: k.file });
      for (const mode of [0o644, 0o666, 0o640]) {
        chmodSync(k.file, mode);
        const r = hush(["decrypt", enc], env);
        expect(r.status).toBe(0);
        expect(r.stdout).toBe("a: 1\n");
        expect(r.stderr).toMatch(new RegExp(`^hush: warning: SOPS_AGE_KEY_FILE .*keys\\.txt is readable by (any user|its group) \\(mode 0${mode.toString(8)}\\)`));
        expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
        const strict = hush(["decrypt", enc], { ...env, HUSH_STRICT: "1" });
        expect(strict.status).toBe(128);
        expect(strict.stderr).toMatch(/not used \(--strict or HUSH_STRICT=1\)/);
        expect(strict.stdout).toBe("");
      }
      chmodSync(k.file, 0o600);
      const quiet = hush(["decrypt", enc], env);
      expect(quiet.status).toBe(0);
      expect(quiet.stderr).toBe("");
    });
  });
});

describe("--strict and CI refuse a key file other users can read", () => {
  /** One error line (the key it could not use, and why) and hints; nothing on stdout. */
  function expectRefused(r: { status: number | null; stdout: string; stderr: string }, why: RegExp): void {
    expect(r.status).toBe(128);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.filter((l) => !l.startsWith("hush: hint: "))).toHaveLength(1);
    expect(lines[0]).toMatch(/^hush: error: could not decrypt the data key: .*keys\.txt is readable by any user \(mode 0644\): not used \(/);
    expect(lines[0]).toMatch(why);
  }

  it("0644: a warning and success by default; refused under --strict (anywhere on the line) and CI=true; HUSH_STRICT=0 wins over CI", async () => {
    await withTempDir((dir) => {
      const k = ageKey(dir, "keys.txt");
      writeFileSync(join(dir, "s.yaml"), "a: 1\n");
      const enc = join(dir, "s.enc.yaml");
      expect(hush(["encrypt", "--age", k.recipient, "-o", enc, join(dir, "s.yaml")], cleanEnv()).status).toBe(0);
      chmodSync(k.file, 0o644);
      // Neither HUSH_STRICT nor CI from the environment this test runs in.
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: k.file });
      delete env["HUSH_STRICT"];
      delete env["CI"];
      const plain = hush(["decrypt", enc], env);
      expect(plain.status).toBe(0);
      expect(plain.stdout).toBe("a: 1\n");
      expect(plain.stderr).toMatch(/^hush: warning: .*readable by any user \(mode 0644\).*--strict refuses such files, as do CI runs\)\n$/);
      for (const args of [["--strict", "decrypt", enc], ["decrypt", "--strict", enc], ["--strict", "-d", enc]]) {
        expectRefused(hush(args, env), /not used \(--strict or HUSH_STRICT=1\); chmod 600 it/);
      }
      for (const ci of ["true", "1"]) expectRefused(hush(["decrypt", enc], { ...env, CI: ci }), /not used \(CI=true; HUSH_STRICT=0 allows it\)/);
      const allowed = hush(["decrypt", enc], { ...env, CI: "true", HUSH_STRICT: "0" });
      expect(allowed.status).toBe(0);
      expect(allowed.stdout).toBe("a: 1\n");
      // A private key file is used under --strict and in CI alike, silently.
      chmodSync(k.file, 0o600);
      for (const r of [hush(["--strict", "decrypt", enc], env), hush(["decrypt", enc], { ...env, CI: "true" })]) {
        expect(r.status).toBe(0);
        expect(r.stdout).toBe("a: 1\n");
        expect(r.stderr).toBe("");
      }
    });
  });
});

describe("the key-file check reads the caller's environment, not the process's", () => {
  it("a PGP key file (0644) under a Keyring whose env says HUSH_STRICT=1 is refused; with HUSH_STRICT=0 it is used", async () => {
    await withTempDir(async (dir) => {
      const key = join(dir, "key.asc");
      copyFileSync(join(FIXTURES, "key-pgp-sops-functional-tests-private.asc"), key);
      chmodSync(key, 0o644);
      const text = fixture("pgp-yaml-v3.13.1-format.enc.yaml");
      const env = (strict: string) => ({ SOPS_PGP_KEY_FILE: key, SOPS_GPG_EXEC: join(dir, "no-gpg"), HUSH_STRICT: strict, HUSH_NO_WARNINGS: "1" });
      await expect(decryptText(text, { format: "yaml", keyring: new Keyring({ env: env("1") }) })).rejects.toThrow(/not used \(--strict or HUSH_STRICT=1\)/);
      expect((await decryptText(text, { format: "yaml", keyring: new Keyring({ env: env("0") }) })).text).toBe(fixture("pgp-yaml-v3.13.1-format.expected.yaml"));
    });
  });
});

describe("updatekeys that removes a recipient", () => {
  it("says the removed party can still read the values, and --rotate gives a new data key", async () => {
    await withTempDir(async (dir) => {
      const a = ageKey(dir, "a.txt");
      const b = ageKey(dir, "b.txt");
      const envA = cleanEnv({ SOPS_AGE_KEY: a.identity });
      writeFileSync(join(dir, "s.yaml"), "k: v\n");
      for (const rotate of [false, true]) {
        const f = join(dir, `x${rotate ? "r" : ""}.enc.yaml`);
        expect(hush(["encrypt", "--age", `${a.recipient},${b.recipient}`, "-o", f, join(dir, "s.yaml")], envA).status).toBe(0);
        const before = readFileSync(f, "utf8");
        // What b keeps: the data key, from their copy of the file.
        const bKey = (await decryptHeld(before, { format: "yaml", keyring: new Keyring({ env: cleanEnv({ SOPS_AGE_KEY: b.identity }) }) })).dataKey;
        writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n    - age: ${a.recipient}\n`);
        const r = hush(["updatekeys", "-y", ...(rotate ? ["--rotate"] : []), f], envA, dir);
        expect(r.status, r.stderr).toBe(0);
        const after = readFileSync(f, "utf8");
        expect(hush(["decrypt", f], envA).stdout).toBe("k: v\n");
        expect(hush(["decrypt", f], cleanEnv({ SOPS_AGE_KEY: b.identity })).status).toBe(128);
        const withOldKey = decryptText(after, { format: "yaml", dataKey: bKey });
        if (!rotate) {
          expect(r.stderr).toMatch(/^hush: warning: removed recipients can still read the old and current values of 1 file: the data key is unchanged\. Rotate it with `hush updatekeys --rotate`/);
          // the warning is true: b's old data key still opens the updated file
          expect((await withOldKey).text).toBe("k: v\n");
        } else {
          expect(r.stderr).toMatch(/rotated the data key of 1 file/);
          await expect(withOldKey).rejects.toMatchObject({ code: "DECRYPT_TREE" });
        }
      }
    });
  });
});

describe("MAC and comments", () => {
  // The issue asked for 52 (sops's MacNotFound), but sops defines that code and never uses it: a
  // missing MAC is "MAC mismatch. File has no MAC" and exit 51 (../shared/interop/SOPS-FORMAT.md,
  // the MAC section and the exit code table; the no-mac fixture's MANIFEST entry). sops wins.
  it("a file whose MAC is missing exits 51, as sops does (not 52: sops never uses MacNotFound)", async () => {
    await withTempDir((dir) => {
      const k = ageKey(dir, "k.txt");
      writeFileSync(join(dir, "s.yaml"), "a: 1\n");
      const env = cleanEnv({ SOPS_AGE_KEY: k.identity });
      const enc = join(dir, "s.enc.yaml");
      expect(hush(["encrypt", "--age", k.recipient, "-o", enc, join(dir, "s.yaml")], env).status).toBe(0);
      writeFileSync(enc, readFileSync(enc, "utf8").replace(/\n {4}mac: .*\n/, "\n"));
      const r = hush(["decrypt", enc], env);
      expect(r.status).toBe(51);
      expect(r.stderr).toMatch(/^hush: error: MAC mismatch: the file has no MAC\n/);
    });
  });

  it("an encrypted comment that does not decrypt is kept, with a warning on stderr", async () => {
    await withTempDir((dir) => {
      const k = ageKey(dir, "k.txt");
      writeFileSync(join(dir, "s.yaml"), "# a comment\na: 1\n");
      const env = cleanEnv({ SOPS_AGE_KEY: k.identity });
      const enc = join(dir, "s.enc.yaml");
      expect(hush(["encrypt", "--age", k.recipient, "-o", enc, join(dir, "s.yaml")], env).status).toBe(0);
      const text = readFileSync(enc, "utf8");
      expect(text).toMatch(/^#ENC\[/);
      // The attacker flips a character of the comment's ciphertext (comments are outside the MAC).
      const tampered = text.replace(/^#ENC\[AES256_GCM,data:(.)/, (_m, c: string) => `#ENC[AES256_GCM,data:${c === "A" ? "B" : "A"}`);
      writeFileSync(enc, tampered);
      const r = hush(["decrypt", enc], env);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^#ENC\[AES256_GCM/);
      expect(r.stdout).toContain("a: 1\n");
      expect(r.stderr).toMatch(/^hush: warning: the encrypted comment under the top level does not decrypt/);
    });
  });
});
