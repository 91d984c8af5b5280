// sops reads what hush writes, for dotenv: the tricky-line table (formats-shared.ts) encrypted by
// the real hush CLI, decrypted by sops's own Go library (test/sopslib: sops v3.9.2, MAC checked).
// The proof that hush reads each line as sops does is the MAC over the values left in clear: sops
// reads them from the file itself and hashes them, so they must be exactly what hush hashed.
// The Lambda around sops turns sops's dotenv output into JSON by its own rule (each emitted line
// split at `=`, key and value trimmed; it is not sops's), so the tree is compared in that form. Skipped with its reason where sopslib
// cannot run (needs root, unzip, openssl and test/sopslib, see its README).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { TRICKY_DOTENV } from "./formats-shared.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";
import { sopslibDecrypt, sopslibUnavailable } from "./support/sopslib.js";

const reason = sopslibUnavailable();

/** The Lambda's JSON of sops's `EmitPlainFile` output for these entries (see the top comment). */
function lambdaView(entries: readonly (readonly [string, string])[]): Record<string, string> {
  return Object.fromEntries(entries.map(([k, v]) => [k.trim(), v.replace(/\n/g, "\\n").trim()]));
}

/** Encrypts `plain` with the hush CLI for a fresh age key, then has sops's library decrypt it. */
async function throughSops(plain: string): Promise<{ status?: string; reason?: string; tree: Record<string, string> }> {
  return withTempDir(async (dir) => {
    const key = await generateAgeKeyFile();
    const keyFile = join(dir, "keys.txt");
    writeFileSync(keyFile, key.text, { mode: 0o600 });
    writeFileSync(join(dir, "app.env"), plain);
    const e = runHush(["encrypt", "--age", key.recipient, join(dir, "app.env")], { env: cleanEnv() });
    // At most the note that Node's dotenv would read some lines differently (no value in it).
    expect(e.stderr).toMatch(/^(hush: note: [^\n]*\n)?$/);
    expect(e.status).toBe(0);
    const enc = join(dir, "app.enc.env");
    writeFileSync(enc, e.stdout);
    const out = sopslibDecrypt(enc, "dotenv", keyFile);
    return { ...out, tree: out.secretString ? (JSON.parse(out.secretString) as Record<string, string>) : {} };
  });
}

describe.skipIf(reason !== undefined)(`sops's Go library decrypts hush's dotenv files${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("every tricky line, encrypted: the value sops's store reads from it", async () => {
    const plain = "# tricky lines\n" + TRICKY_DOTENV.map(([line]) => `${line}\n`).join("");
    const r = await throughSops(plain);
    expect(r.reason ?? "").toBe("");
    expect(r.status).toBe("SUCCESS");
    expect(r.tree).toEqual(lambdaView(TRICKY_DOTENV.map(([, key, value]) => [key, value])));
  });

  it("every tricky line left in clear (under the MAC)", async () => {
    // `_unencrypted` keys; the ones whose value holds a literal `\n` are read as sops reads them.
    const lines = TRICKY_DOTENV.filter(([, key]) => key !== "").map(([line, key, value]) => {
      const eq = line.indexOf("=");
      return { line: `${line.slice(0, eq)}_unencrypted${line.slice(eq)}`, key: `${key}_unencrypted`, value };
    });
    const r = await throughSops(lines.map((l) => `${l.line}\n`).join(""));
    expect(r.status).toBe("SUCCESS");
    expect(r.tree).toEqual(lambdaView(lines.map((l) => [l.key, l.value])));
  });

  it("a CRLF file, values in clear: each keeps its \\r, as sops reads it (else the MAC fails)", async () => {
    const r = await throughSops("#c\r\nA_unencrypted=1\r\nB=two words\r\n");
    expect(r.reason ?? "").toBe("");
    expect(r.status).toBe("SUCCESS");
  });

  it("the control: a clear value read differently than sops reads it fails sops's MAC check", async () => {
    // As the old Node-style reading did: `P_unencrypted=hunter2 #1` taken as `hunter2`.
    const r = await withTempDir(async (dir) => {
      const { encryptText } = await import("../src/lib/files.js");
      const { ageRecipient } = await import("../src/keys/age-client.js");
      const key = await generateAgeKeyFile();
      writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
      const enc = await encryptText("P_unencrypted=hunter2\n", { format: "dotenv", groups: [[ageRecipient(key.recipient)]] });
      writeFileSync(join(dir, "x.env"), enc.text.replace("P_unencrypted=hunter2\n", "P_unencrypted=hunter2 #1\n"));
      return sopslibDecrypt(join(dir, "x.env"), "dotenv", join(dir, "keys.txt"));
    });
    expect(r.status).toBe("FAILED");
    expect(r.reason).toMatch(/Failed to verify data integrity/);
  });
});
