// One naming rule for the CLI, the library and `hush init` (issue 17): `.env.enc`, `NAME.env.enc`
// and `.env.<environment>.enc` are dotenv; hush-sops/config picks `.env.<NODE_ENV>.enc` first.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatNameForPath } from "../src/formats/index.js";
import { globsFromRegex } from "../src/git/install.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { formatForSecretsPath } from "../src/lib/load.js";
import { DEFAULT_PATH_REGEX } from "../src/team/init.js";
import { cleanEnv, ROOT, runHush } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hush-naming-test-"));
  const key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
  const groups = [[ageRecipient(key.recipient)]];
  for (const [name, value] of [[".env.enc", "default"], [".env.production.enc", "production"]] as const) {
    writeFileSync(join(dir, name), (await encryptText(`WHICH=${value}\n`, { format: "dotenv", groups })).text);
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("dotenv's encrypted names", () => {
  const DOTENV = [".env.enc", "app/.env.enc", "api.env.enc", ".env.production.enc", "deploy/.env.staging.enc", "x.enc.env", ".env"];
  const NOT = ["secrets.env.yaml.enc", ".env.a.b.enc", "x.env.prod.enc", "data.enc", "env.enc", "notes.txt"];

  it("are dotenv for the CLI and the library alike; other names keep sops's rule", () => {
    for (const p of DOTENV) {
      expect(formatNameForPath(p), p).toBe("dotenv");
      expect(formatForSecretsPath(p), p).toBe("dotenv");
    }
    for (const p of NOT) expect(formatNameForPath(p), p).not.toBe("dotenv");
    expect(formatNameForPath("secrets.env.yaml.enc")).toBe("binary"); // as sops
  });

  it("are covered by the path_regex `hush init` writes, and by its gitattributes patterns", () => {
    const re = new RegExp(DEFAULT_PATH_REGEX);
    for (const p of [".env.enc", "app/.env.enc", ".env.production.enc", "a.enc.yaml", "b.enc.env"]) expect(re.test(p), p).toBe(true);
    for (const p of ["secrets.yaml", ".env", "data.enc"]) expect(re.test(p), p).toBe(false);
    expect(globsFromRegex(DEFAULT_PATH_REGEX)).toEqual(expect.arrayContaining(["*.env.enc", "*.env.*.enc", "*.enc.yaml"]));
  });

  it("the CLI decrypts them as dotenv and filestatus says encrypted", () => {
    for (const name of [".env.enc", ".env.production.enc"]) {
      const d = runHush(["decrypt", name], { env, cwd: dir });
      expect(d.stderr).toBe("");
      expect(d.stdout).toMatch(/^WHICH=(default|production)\n$/);
      expect(JSON.parse(runHush(["filestatus", name], { env, cwd: dir }).stdout)).toEqual({ encrypted: true });
    }
  });
});

describe("hush-sops/config picks the file by NODE_ENV", () => {
  const run = (extra: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ["-r", join(ROOT, "dist", "bundle", "config.cjs"), "-e", "process.stdout.write(String(process.env.WHICH))"], { cwd: dir, env: { ...env, ...extra }, encoding: "utf8", timeout: 30_000 });

  it(".env.<NODE_ENV>.enc when it exists, else .env.enc", () => {
    expect(run({ NODE_ENV: "production" }).stdout).toBe("production");
    expect(run({ NODE_ENV: "test" }).stdout).toBe("default");
    expect(run({}).stdout).toBe("default");
  });
});
