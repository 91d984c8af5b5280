/**
 * Passphrase-protected age identity files (`age -p` of a keys file), as sops reads them: the
 * passphrase is asked on the terminal when no other identity matched; without a terminal, one
 * clear line says so (sops has no variable for the passphrase). The fixture was made by Debian's
 * age (test/fixtures/age-passphrase/README.md); the terminal is a real pty from `script`.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encryptText } from "../src/lib/files.js";
import { recipientFor } from "../src/keys/registry.js";
import { cleanEnv, HUSH, withTempDir } from "./helpers.js";

const KEY_FILE = fileURLToPath(new URL("./fixtures/age-passphrase/test-identity.age", import.meta.url));
const RECIPIENT = "age16am3hykkk9xarsvmgrertzr636ev6k8c5ffvmn0jq08jnckzqc2s4ukzce";
const hasTools = spawnSync("script", ["--version"]).status === 0 && spawnSync("setsid", ["--version"]).status === 0;

async function encryptedFile(dir: string): Promise<string> {
  const { text } = await encryptText("token: s3cr3t-value\n", { format: "yaml", groups: [[await recipientFor("age", RECIPIENT, cleanEnv())]] });
  const file = join(dir, "s.enc.yaml");
  writeFileSync(file, text);
  return file;
}

/** Runs the CLI with a real terminal (a pty from `script`), typing `typed` into it. */
function onTerminal(file: string, typed: string) {
  // The input reaches the pty at once, before the prompt turns echo off, so the pty echoes it
  // back here; a person types after the prompt, with echo off. The line is buffered either way.
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} decrypt ${JSON.stringify(file)}`;
  return spawnSync("script", ["-qec", cmd, "/dev/null"], {
    input: typed,
    env: cleanEnv({ SOPS_AGE_KEY_FILE: KEY_FILE }),
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe.skipIf(!hasTools)("a passphrase-protected identity file", () => {
  it("no terminal: exit 128 and one line saying the file is passphrase-protected and no terminal can ask", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir);
      // setsid: a new session without a controlling terminal, as in CI.
      const r = spawnSync("setsid", ["-w", process.execPath, HUSH, "decrypt", file], { env: cleanEnv({ SOPS_AGE_KEY_FILE: KEY_FILE }), encoding: "utf8" });
      expect(r.status).toBe(128);
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("hush: error: "));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`SOPS_AGE_KEY_FILE ${KEY_FILE}: the identity file is passphrase-protected; no terminal is available to ask for its passphrase`);
    });
  });

  it("on a terminal: asks once, decrypts with the right passphrase, fails clearly with a wrong one", async () => {
    await withTempDir(async (dir) => {
      const file = await encryptedFile(dir);
      const good = onTerminal(file, "correct horse\r");
      expect(good.stdout).toContain("Enter passphrase for identity");
      expect(good.stdout).toContain("token: s3cr3t-value");
      expect(good.status).toBe(0);
      const bad = onTerminal(file, "wrong horse\r");
      expect(bad.status).toBe(128);
      expect(bad.stdout).toMatch(/passphrase-protected; incorrect passphrase/);
    });
  });
});
