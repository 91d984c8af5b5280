// The CLI end to end, as a user runs it: real processes, real files, sops's exit codes.
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";

const PLAIN = `# database settings
db:
    user: app
    password: hunter2 # rotate quarterly
    port: 5432
list:
    - one
    - two
public_unencrypted: visible
`;

let key: { identity: string; recipient: string; text: string };
let other: { identity: string; recipient: string; text: string };
beforeAll(async () => {
  key = await generateAgeKeyFile();
  other = await generateAgeKeyFile();
});
const envWith = (k: { identity: string }) => cleanEnv({ SOPS_AGE_KEY: k.identity });

describe("hush encrypt / decrypt", () => {
  it("round-trips a YAML file byte for byte and hides every value and comment", async () => {
    await withTempDir((dir) => {
      const f = join(dir, "secrets.yaml");
      writeFileSync(f, PLAIN);
      const enc = runHush(["encrypt", "--age", key.recipient, f]);
      expect(enc.stderr).toBe("");
      expect(enc.status).toBe(0);
      // Short secrets are looked for outside the random text (ciphertexts, the wrapped key, the
      // recipient), where three or four letters turn up by chance ("app" in a recipient).
      const visible = enc.stdout.slice(0, enc.stdout.indexOf("\nsops:\n")).replace(/ENC\[[^\]]*\]/g, "ENC[…]");
      expect(visible).toContain("user: ENC[…]");
      for (const secret of ["hunter2", "rotate quarterly", "database settings", "5432", "app"]) {
        expect(visible).not.toContain(secret);
      }
      for (const secret of ["hunter2", "rotate quarterly", "database settings"]) {
        expect(enc.stdout).not.toContain(secret);
      }
      expect(enc.stdout).toContain("public_unencrypted: visible");
      expect(enc.stdout).toMatch(/^ {4}password: ENC\[AES256_GCM,[^\n]+ #ENC\[AES256_GCM,[^\n]+type:comment\]$/m);
      const ef = join(dir, "secrets.enc.yaml");
      writeFileSync(ef, enc.stdout);
      const dec = runHush(["decrypt", ef], { env: envWith(key) });
      expect(dec.stderr).toBe("");
      expect(dec.stdout).toBe(PLAIN);
    });
  });

  it("reads standard input and picks the format from --input-type or the content", () => {
    const enc = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: PLAIN });
    expect(enc.status).toBe(0);
    const dec = runHush(["decrypt", "-"], { env: envWith(key), input: enc.stdout });
    expect(dec.stdout).toBe(PLAIN);
    const json = runHush(["encrypt", "--age", key.recipient], { input: '{"a": "b"}\n' });
    expect(json.stdout).toMatch(/^\{"a": "ENC\[/);
  });

  it("takes recipients from SOPS_AGE_RECIPIENTS and encrypts for several", () => {
    const env = cleanEnv({ SOPS_AGE_RECIPIENTS: `${key.recipient}, ${other.recipient}` });
    const enc = runHush(["encrypt", "--input-type", "json"], { env, input: '{"a": "b"}' });
    expect(enc.status).toBe(0);
    for (const k of [key, other]) {
      expect(runHush(["decrypt", "--input-type", "json"], { env: envWith(k), input: enc.stdout }).stdout).toBe('{"a": "b"}\n');
    }
  });

  it("--in-place replaces the file atomically and keeps its mode", async () => {
    await withTempDir((dir) => {
      const f = join(dir, "c.json");
      writeFileSync(f, '{\n  "token": "abc"\n}\n');
      chmodSync(f, 0o640);
      expect(runHush(["encrypt", "-i", "--age", key.recipient, f]).status).toBe(0);
      expect(readFileSync(f, "utf8")).toMatch(/"token": "ENC\[/);
      expect(statSync(f).mode & 0o777).toBe(0o640);
      expect(runHush(["decrypt", "-i", f], { env: envWith(key) }).status).toBe(0);
      expect(readFileSync(f, "utf8")).toBe('{\n  "token": "abc"\n}\n');
      expect(readdirSync(dir)).toEqual(["c.json"]); // no temp file left behind
    });
  });

  it("--output writes a new plaintext file with mode 0600", async () => {
    await withTempDir((dir) => {
      const f = join(dir, "s.yaml");
      writeFileSync(f, runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: PLAIN }).stdout);
      const out = join(dir, "plain.yaml");
      expect(runHush(["decrypt", "--output", out, f], { env: envWith(key) }).status).toBe(0);
      expect(readFileSync(out, "utf8")).toBe(PLAIN);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    });
  });

  it("--extract prints a string raw, a map as a document, and fails clearly on a bad path", async () => {
    const enc = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: PLAIN }).stdout;
    const run = (p: string) => runHush(["decrypt", "--input-type", "yaml", "--extract", p], { env: envWith(key), input: enc });
    expect(run('["db"]["password"]').stdout).toBe("hunter2");
    expect(run('["db"]["port"]').stdout).toBe("5432\n");
    expect(run('["list"][1]').stdout).toBe("two");
    expect(run('["db"]').stdout).toBe("user: app\npassword: hunter2\nport: 5432\n");
    const missing = run('["db"]["nope"]');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\["nope"\].*not found/);
    // The dotted form works too (model/tree-path.ts); a malformed path is sops's exit 91.
    expect(run("db.password").stdout).toBe("hunter2");
    expect(run("list[1]").stdout).toBe("two");
    for (const p of ['["db"', "db..password", "db.pass\\word"]) {
      const bad = run(p);
      expect(bad.status).toBe(91);
      expect(bad.stderr).toMatch(/^hush: error: invalid path "/);
      expect(bad.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    }
  });

  it("converts between YAML and JSON with --output-type", () => {
    const enc = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: PLAIN }).stdout;
    const r = runHush(["decrypt", "--input-type", "yaml", "--output-type", "json"], { env: envWith(key), input: enc });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ db: { user: "app", password: "hunter2", port: 5432 }, list: ["one", "two"], public_unencrypted: "visible" });
    expect(r.stdout.startsWith('{\n\t"db": {\n\t\t"user": "app"')).toBe(true);
  });
});

describe("errors: one line, sops's exit codes, no secrets", () => {
  const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);

  it("a missing file exits 100", () => {
    const r = runHush(["decrypt", "/nonexistent/x.yaml"]);
    expect(r.status).toBe(100);
    expect(r.stderr).toBe("hush: error: file not found: /nonexistent/x.yaml\n");
  });

  it("a file that is not encrypted says so", () => {
    const r = runHush(["decrypt", "--input-type", "yaml"], { input: "a: 1\n" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: error: sops metadata not found: the file is not encrypted\n/);
  });

  it("encrypting an encrypted file exits 203", () => {
    const enc = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: PLAIN }).stdout;
    const r = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: enc });
    expect(r.status).toBe(203);
  });

  it("an empty file exits 92; no recipients exits 111", () => {
    expect(runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: "" }).status).toBe(92);
    const r = runHush(["encrypt", "--input-type", "yaml"], { input: "a: 1\n" });
    expect(r.status).toBe(111);
    expect(r.stderr).toMatch(/no recipients/);
  });

  it("the wrong key says which recipients the file has and exits 128", () => {
    const enc = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: PLAIN }).stdout;
    const r = runHush(["decrypt", "--input-type", "yaml"], { env: envWith(other), input: enc });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain(key.recipient);
    expect(r.stderr).toMatch(/none of the 1 age identity loaded matches/);
    expect(r.stderr).not.toContain(other.identity);
    noStack(r.stderr);
  });

  it("malformed YAML and JSON give a position, not the offending text", () => {
    const y = runHush(["encrypt", "--age", key.recipient, "--input-type", "yaml"], { input: "a: [unclosed\npassword: hunter2\n" });
    expect(y.status).toBe(2);
    expect(y.stderr).toMatch(/^hush: error: invalid YAML at line \d+, column \d+/);
    expect(y.stderr).not.toContain("hunter2");
    const j = runHush(["encrypt", "--age", key.recipient, "--input-type", "json"], { input: '{"password": "hunter2",}' });
    expect(j.status).toBe(2);
    expect(j.stderr).toMatch(/^hush: error: invalid JSON/);
    expect(j.stderr).not.toContain("hunter2");
    noStack(y.stderr + j.stderr);
  });

  it("--in-place with --output conflicts (exit 8); an unknown option exits 8", () => {
    expect(runHush(["decrypt", "-i", "--output", "x", "f.yaml"]).status).toBe(8);
    expect(runHush(["decrypt", "--bogus"]).status).toBe(8);
  });

  it("--help explains with examples; --version prints the version", () => {
    const h = runHush(["--help"]);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Examples:/);
    expect(h.stdout).toMatch(/Exit codes/);
    const d = runHush(["decrypt", "--help"]);
    expect(d.stdout).toMatch(/SOPS_AGE_KEY_FILE/);
    expect(runHush(["--version"]).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe("hush keygen", () => {
  it("appends a 0600 identity and prints the public key", async () => {
    await withTempDir((dir) => {
      const f = join(dir, "sub", "keys.txt");
      const a = runHush(["keygen", "-o", f]);
      const b = runHush(["keygen", "-o", f]);
      expect(a.status).toBe(0);
      expect(a.stdout).toMatch(/^age1[0-9a-z]{58}\n$/);
      const text = readFileSync(f, "utf8");
      expect(text.match(/AGE-SECRET-KEY-1/g)).toHaveLength(2);
      expect(text).toContain(`# public key: ${a.stdout.trim()}`);
      expect(text).toContain(`# public key: ${b.stdout.trim()}`);
      expect(statSync(f).mode & 0o777).toBe(0o600);
      expect(a.stdout + a.stderr).not.toContain("AGE-SECRET-KEY");
    });
  });

  it("defaults to sops's keys file under XDG_CONFIG_HOME", async () => {
    await withTempDir((dir) => {
      const r = runHush(["keygen"], { env: cleanEnv({ XDG_CONFIG_HOME: dir }) });
      expect(r.status).toBe(0);
      expect(existsSync(join(dir, "sops", "age", "keys.txt"))).toBe(true);
    });
  });
});
