// The rest of sops's command line (docs/sops-compat.md): global options before a subcommand,
// sops's key-service flags, the flags hush accepts with sops's meaning or refuses with one line
// and exit 8, and sops commands hush does not have. Real processes, real files.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { rewriteSopsForm, type SopsFormProgram } from "../src/cli/sops-forms.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";

let key: { identity: string; recipient: string };
beforeAll(async () => {
  key = await generateAgeKeyFile();
});
const env = (extra: Record<string, string> = {}) => cleanEnv({ SOPS_AGE_KEY: key.identity, ...extra });

function encrypted(dir: string, name = "s.yaml", plain = "db:\n    password: hunter2\nport: 5432\n"): string {
  const f = join(dir, name);
  writeFileSync(f, plain);
  const r = runHush(["encrypt", "-i", "--age", key.recipient, f]);
  expect(r.stderr).toBe("");
  return f;
}

/** A stand-in for the program: which words are commands and which flags take a value where. */
const program: SopsFormProgram = {
  isCommand: (w) => ["decrypt", "encrypt", "updatekeys", "set", "help"].includes(w),
  takesValue: (c, flag) => {
    const own: Record<string, Record<string, boolean>> = {
      decrypt: { "--config": true, "--indent": true, "--extract": true, "--keyservice": true },
      encrypt: { "--config": true, "--age": true, "-a": true, "--mac-only-encrypted": false },
      updatekeys: { "--config": true, "-y": false },
      set: { "--config": true },
    };
    return own[c]?.[flag];
  },
};

describe("sops's global options before a subcommand", () => {
  it.each([
    [["--config", "c.yaml", "decrypt", "f"], ["decrypt", "--config", "c.yaml", "f"]],
    [["--config=c.yaml", "--indent", "2", "decrypt", "--extract", "a", "f"], ["decrypt", "--config=c.yaml", "--indent", "2", "--extract", "a", "f"]],
    [["--verbose", "updatekeys", "-y", "f"], ["updatekeys", "-y", "f"]],
    [["--mac-only-encrypted", "encrypt", "f"], ["encrypt", "--mac-only-encrypted", "f"]],
    // sops reads only --config, --indent and --mac-only-encrypted from there; --age is ignored
    // (with a warning here), and its value is not taken for the file.
    [["--age", "age1x", "updatekeys", "f"], ["updatekeys", "f"]],
  ])("%j → %j", (args, want) => {
    expect(rewriteSopsForm(args, program)).toEqual(want);
  });

  it("sops commands hush does not have are refused with one line and exit 8", () => {
    for (const args of [["publish", "f.yaml"], ["keyservice"], ["--verbose", "publish", "f.yaml"]]) {
      const r = runHush(args);
      expect(r.status).toBe(8);
      expect(r.stderr).toMatch(/^hush: error: hush does not implement sops (publish|keyservice)/);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("end to end: the --config before decrypt is the one decrypt uses", async () => {
    await withTempDir(async (dir) => {
      const f = encrypted(dir);
      const bad = runHush(["--config", join(dir, "missing.yaml"), "decrypt", f], { env: env() });
      expect(bad.status).toBe(5);
      const ok = runHush(["--verbose", "decrypt", "--extract", '["db"]["password"]', f], { env: env() });
      expect(ok.stderr).toBe("");
      expect(ok.stdout).toBe("hunter2");
    });
  });
});

describe("sops's key-service flags", () => {
  it("--enable-local-keyservice changes nothing; --keyservice is refused (exit 8), on every form", async () => {
    await withTempDir(async (dir) => {
      const f = encrypted(dir);
      for (const args of [
        ["decrypt", "--enable-local-keyservice", f],
        ["-d", "--enable-local-keyservice", f],
        ["--enable-local-keyservice", "decrypt", f],
        ["decrypt", "--enable-local-keyservice=true", f],
      ]) {
        const r = runHush(args, { env: env() });
        expect(r.stderr).toBe("");
        expect(r.stdout).toContain("hunter2");
      }
      for (const args of [
        ["decrypt", "--keyservice", "tcp://127.0.0.1:5000", f],
        ["--keyservice", "unix:///tmp/sops.sock", "-d", f],
        ["exec-env", "--keyservice", "tcp://127.0.0.1:5000", f, "true"],
        ["updatekeys", "-y", "--keyservice", "tcp://127.0.0.1:5000", f],
        ["decrypt", "--enable-local-keyservice=false", f],
      ]) {
        const r = runHush(args, { env: env() });
        expect(r.status).toBe(8);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/^hush: error: --(keyservice "[^"]+"|enable-local-keyservice=false): hush .*does not speak sops's key-service protocol/);
      }
    });
  });

  it("SOPS_KEYSERVICE in the environment: a warning, and the local keys are used", async () => {
    await withTempDir(async (dir) => {
      const f = encrypted(dir);
      const r = runHush(["decrypt", "--extract", "port", f], { env: env({ SOPS_KEYSERVICE: "tcp://127.0.0.1:5000", HUSH_NO_WARNINGS: "" }) });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("5432\n"); // a non-string is emitted by the store, with its newline (as sops)
      expect(r.stderr).toBe("hush: warning: SOPS_KEYSERVICE is set, but hush does not use sops key services: only the keys on this machine are tried\n");
    });
  });
});

describe("flags sops declares on set, unset, rotate, edit, exec-env and exec-file", () => {
  it("--output-type naming the file's own format is accepted; another is refused and nothing is written", async () => {
    await withTempDir(async (dir) => {
      const f = encrypted(dir);
      expect(runHush(["set", "--output-type", "yaml", "--shamir-secret-sharing-threshold", "1", f, '["a"]', '"b"'], { env: env() }).status).toBe(0);
      expect(runHush(["unset", "--output-type", "yaml", "--shamir-secret-sharing-threshold", "1", f, '["a"]'], { env: env() }).status).toBe(0);
      const before = readFileSync(f, "utf8");
      for (const args of [
        ["set", "--output-type", "json", f, '["a"]', '"b"'],
        ["unset", "--output-type", "json", f, '["port"]'],
        ["rotate", "--output-type", "json", f],
        ["edit", "--output-type", "dotenv", f],
      ]) {
        const r = runHush(args, { env: { ...env(), EDITOR: "true" } });
        expect(r.status).toBe(8);
        expect(r.stderr).toMatch(/^hush: error: --output-type (json|dotenv): .* is yaml, and hush \w+ keeps a file's format/);
      }
      expect(readFileSync(f, "utf8")).toBe(before);
      const rotated = runHush(["rotate", "--output-type", "yaml", f], { env: env() });
      expect(rotated.status).toBe(0);
      expect(rotated.stdout).toContain("ENC[AES256_GCM");
    });
  });

  it("exec-env --same-process runs the command as usual; --background and --user are refused before decrypting", async () => {
    await withTempDir(async (dir) => {
      const f = encrypted(dir, "s.yaml", "A: one\n");
      const same = runHush(["exec-env", "--same-process", f, "printenv A"], { env: env() });
      expect(same.stdout).toBe("one\n");
      expect(same.status).toBe(0);
      for (const args of [
        ["exec-env", "--background", f, "printenv A"],
        ["exec-file", "--background", f, "cat {}"],
        ["exec-env", "--user", "nobody", f, "printenv A"],
        ["exec-file", "--user", "nobody", f, "cat {}"],
      ]) {
        const r = runHush(args, { env: env() });
        expect(r.status).toBe(8);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/^hush: error: --(background|user "nobody") is not supported/);
      }
    });
  });

  it("edit of a new file takes sops's selection options (--encrypted-regex, --unencrypted-suffix …)", async () => {
    await withTempDir(async (dir) => {
      const tpl = join(dir, "tpl.yaml");
      writeFileSync(tpl, "password: s3cret\nhost: db.local\n");
      const e = { ...env(), EDITOR: `cp ${tpl}` };
      const a = join(dir, "a.yaml");
      const r = runHush(["edit", "--age", key.recipient, "--encrypted-regex", "^pass", a], { env: e });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const text = readFileSync(a, "utf8");
      expect(text).toMatch(/^password: ENC\[/m);
      expect(text).toContain("host: db.local\n");
      expect(text).toContain("encrypted_regex: ^pass");
      // sops's top-level form of the same.
      const b = join(dir, "b.yaml");
      expect(runHush(["--age", key.recipient, "--unencrypted-suffix", "_clear", b], { env: e }).status).toBe(0);
      expect(readFileSync(b, "utf8")).toContain("unencrypted_suffix: _clear");
      const two = runHush(["edit", "--age", key.recipient, "--encrypted-regex", "x", "--unencrypted-suffix", "_c", join(dir, "c.yaml")], { env: e });
      expect(two.status).toBe(8);
    });
  });

  it("filestatus of a file it cannot read exits 1, as sops (a plain error there)", async () => {
    await withTempDir(async (dir) => {
      const missing = runHush(["filestatus", join(dir, "missing.yaml")]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/^hush: error: cannot check file status: /);
      writeFileSync(join(dir, "bad.yaml"), "a: [\n");
      expect(runHush(["filestatus", join(dir, "bad.yaml")]).status).toBe(1);
    });
  });
});
