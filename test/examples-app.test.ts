// examples/app: the same tiny app started through `hush exec-env` and through
// `node --import hush-sops/config` sees the same configuration (and, without either, has none).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { cleanEnv, HUSH, ROOT, withTempDir } from "./helpers.js";

const APP_DIR = join(ROOT, "examples", "app");
const APP = join(APP_DIR, "app.js");
const EXPECTED = `app: database postgres://shop@db.internal:5432/shop (password: 28 characters)
app: payments test mode (key: 22 characters)
app: checkout enabled
`;
const SECRETS = ["correct-horse-battery-staple", "sk_test_not_a_real_key"];

let key: { identity: string; recipient: string };
let encrypted: string;
beforeAll(async () => {
  key = await generateAgeKeyFile();
  const plain = readFileSync(join(APP_DIR, "secrets.yaml"), "utf8");
  encrypted = (await encryptText(plain, { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text;
});

function run(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  const r = spawnSync(process.execPath, args, { ...opts, encoding: "utf8", timeout: 30_000 });
  for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
  return r;
}

describe("examples/app", () => {
  it("gets its configuration through hush exec-env", async () => {
    await withTempDir((dir) => {
      const file = join(dir, "secrets.enc.yaml");
      writeFileSync(file, encrypted);
      const r = run([HUSH, "exec-env", file, "--", process.execPath, APP], { cwd: APP_DIR, env: cleanEnv({ SOPS_AGE_KEY: key.identity }) });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(EXPECTED);
    });
  });

  it("gets the same configuration through node --import hush-sops/config", async () => {
    await withTempDir((dir) => {
      const file = join(dir, "secrets.enc.yaml");
      writeFileSync(file, encrypted);
      // `hush-sops/config` resolves through the package's own `exports` (a self-reference: the app
      // lives inside the package), as it would from node_modules in a real app.
      const r = run(["--import", "hush-sops/config", APP], { cwd: APP_DIR, env: cleanEnv({ SOPS_AGE_KEY: key.identity, HUSH_FILE: file }) });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(EXPECTED);
    });
  });

  it("has no configuration without hush, and does not start when hush cannot decrypt", async () => {
    const bare = run([APP], { cwd: APP_DIR, env: cleanEnv() });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toMatch(/^app: missing configuration: DB_HOST/);
    await withTempDir((dir) => {
      const file = join(dir, "secrets.enc.yaml");
      writeFileSync(file, encrypted);
      const r = run(["--import", "hush-sops/config", APP], { cwd: APP_DIR, env: cleanEnv({ HUSH_FILE: file }) });
      expect(r.status).toBe(128);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^hush: error: could not decrypt the data key/);
    });
  });
});
