// `hush import-dotenv` and `hush import-env` (the real CLI): a Node-style .env or variables of the
// environment become an encrypted file for the matching .sops.yaml rule (its encrypted_regex
// applied), with the values the dotenv package reads; the report names keys and lines only, and
// no value ever reaches standard error.
import dotenv from "dotenv";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";

const NODE_ENV = [
  "# database",
  "DB_PASSWORD=hunter2 #1",
  'API_TOKEN="tok en"',
  "export DB_HOST=db.internal",
  'PEM="-----BEGIN-----',
  'abc',
  '-----END-----"',
  "",
].join("\n");
const SECRETS = ["hunter2", "tok en", "db.internal", "-----BEGIN-----", "abc"];

async function setup(dir: string): Promise<NodeJS.ProcessEnv> {
  const key = await generateAgeKeyFile();
  writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
  // Only names ending in _PASSWORD, _TOKEN or PEM are encrypted in files matching secrets.*.
  writeFileSync(
    join(dir, ".sops.yaml"),
    `creation_rules:\n  - path_regex: secrets\\.\n    encrypted_regex: "(_PASSWORD|_TOKEN|PEM)$"\n    age: ${key.recipient}\n`,
  );
  return cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") });
}

function decryptJson(dir: string, file: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const d = runHush(["decrypt", "--output-type", "json", file], { env, cwd: dir });
  expect(d.stderr).toBe("");
  return JSON.parse(d.stdout) as Record<string, string>;
}

describe("hush import-dotenv", () => {
  it("encrypts with the values the dotenv package reads, for the rule matching -o, and reports the differences", async () => {
    await withTempDir(async (dir) => {
      const env = await setup(dir);
      writeFileSync(join(dir, ".env"), NODE_ENV);
      const r = runHush(["import-dotenv", ".env", "-o", "secrets.enc.env"], { env, cwd: dir });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe(
        [
          "hush: import-dotenv: .env: 4 keys; where sops would read the file differently:",
          "  line 2, DB_PASSWORD: inline comment dropped (sops would keep it in the value)",
          "  line 3, API_TOKEN: double quotes removed (sops would keep them)",
          '  line 4, DB_HOST: "export " dropped from the key',
          "  line 5, PEM: quoted value spans lines 5-7: read as one value with newlines (sops reads line by line)",
          "  line 5, PEM: double quotes removed (sops would keep them)",
          "",
        ].join("\n"),
      );
      for (const s of SECRETS) expect(r.stderr).not.toContain(s);
      const enc = readFileSync(join(dir, "secrets.enc.env"), "utf8");
      // encrypted_regex applied: DB_HOST (and the comment) stay in clear, the others are encrypted.
      expect(enc).toMatch(/^# database\nDB_PASSWORD=ENC\[[^\n]*\]\nAPI_TOKEN=ENC\[[^\n]*\]\nDB_HOST=db\.internal\nPEM=ENC\[[^\n]*\]\nsops_age__list_0__map_enc=/);
      expect(enc).toContain("sops_encrypted_regex=(_PASSWORD|_TOKEN|PEM)$\n");
      expect(decryptJson(dir, "secrets.enc.env", env)).toEqual(dotenv.parse(NODE_ENV));
    });
  });

  it("writes YAML when -o says so; --dry-run needs no key and writes nothing", async () => {
    await withTempDir(async (dir) => {
      const env = await setup(dir);
      writeFileSync(join(dir, ".env"), NODE_ENV);
      const dry = runHush(["import-dotenv", "--dry-run", ".env"], { env: cleanEnv(), cwd: dir });
      expect(dry.status).toBe(0);
      expect(dry.stdout).toBe("");
      expect(dry.stderr).toMatch(/^hush: import-dotenv: \.env: 4 keys; where sops/);
      const y = runHush(["import-dotenv", ".env", "-o", "secrets.enc.yaml"], { env, cwd: dir });
      expect(y.status).toBe(0);
      const enc = readFileSync(join(dir, "secrets.enc.yaml"), "utf8");
      expect(enc).toMatch(/^DB_PASSWORD: ENC\[/);
      expect(enc).toContain("\nDB_HOST: db.internal\n");
      expect(decryptJson(dir, "secrets.enc.yaml", env)).toEqual(dotenv.parse(NODE_ENV));
    });
  });

  it("says when sops reads the file the same way; refuses a file that is already encrypted", async () => {
    await withTempDir(async (dir) => {
      const env = await setup(dir);
      writeFileSync(join(dir, "plain.env"), "A_TOKEN=x\nB=y\n");
      const r = runHush(["import-dotenv", "plain.env", "-o", "secrets.enc.env"], { env, cwd: dir });
      expect(r.stderr).toBe("hush: import-dotenv: plain.env: 2 keys, read as sops reads them\n");
      const again = runHush(["import-dotenv", "secrets.enc.env", "-o", "secrets.2.enc.env"], { env, cwd: dir });
      expect(again.status).toBe(203);
      expect(existsSync(join(dir, "secrets.2.enc.env"))).toBe(false);
    });
  });
});

describe("hush encrypt of a Node-style .env", () => {
  it("encrypts as sops reads it and notes, without a value, that Node's dotenv reads it differently", async () => {
    await withTempDir(async (dir) => {
      const env = await setup(dir);
      writeFileSync(join(dir, "secrets.env"), NODE_ENV.split("\n").slice(0, 4).join("\n") + "\n");
      const r = runHush(["encrypt", "secrets.env"], { env, cwd: dir });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe(
        "hush: note: secrets.env: 3 lines read differently by Node's dotenv package (line 2, DB_PASSWORD: inline comment dropped " +
          "(sops would keep it in the value)); encrypted as sops reads them. For the values a Node app saw: hush import-dotenv secrets.env (--dry-run lists them)\n",
      );
      for (const s of SECRETS) expect(r.stderr).not.toContain(s);
      writeFileSync(join(dir, "secrets.enc.env"), r.stdout);
      // sops's reading: the comment and the quotes are part of the values.
      expect(decryptJson(dir, "secrets.enc.env", env)).toEqual({ DB_PASSWORD: "hunter2 #1", API_TOKEN: '"tok en"', "export DB_HOST": "db.internal" });
      writeFileSync(join(dir, "secrets.2.env"), "A_TOKEN=x\n");
      expect(runHush(["encrypt", "secrets.2.env"], { env, cwd: dir }).stderr).toBe("");
    });
  });
});

describe("hush import-env", () => {
  it("encrypts named and prefixed variables, never printing a value", async () => {
    await withTempDir(async (dir) => {
      const env = await setup(dir);
      const vars = { DB_PASSWORD: "hunter2", APP_TOKEN: "tok\nen", APP_HOST: "db.internal", OTHER: "not taken" };
      const r = runHush(["import-env", "DB_PASSWORD", "--prefix", "APP_", "-o", "secrets.enc.env"], { env: { ...env, ...vars }, cwd: dir });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toBe("hush: import-env: 3 variables: DB_PASSWORD, APP_HOST, APP_TOKEN\n");
      const enc = readFileSync(join(dir, "secrets.enc.env"), "utf8");
      expect(enc).toMatch(/^DB_PASSWORD=ENC\[[^\n]*\]\nAPP_HOST=db\.internal\nAPP_TOKEN=ENC\[[^\n]*\]\nsops_/);
      expect(decryptJson(dir, "secrets.enc.env", env)).toEqual({ DB_PASSWORD: "hunter2", APP_HOST: "db.internal", APP_TOKEN: "tok\nen" });
    });
  });

  it("names a variable that is not set (exit 8), and nothing is written", async () => {
    await withTempDir(async (dir) => {
      const env = await setup(dir);
      const r = runHush(["import-env", "NOPE_TOKEN", "-o", "secrets.enc.env"], { env, cwd: dir });
      expect(r.status).toBe(8);
      expect(r.stderr).toContain("not set in the environment: NOPE_TOKEN");
      expect(existsSync(join(dir, "secrets.enc.env"))).toBe(false);
    });
  });
});
