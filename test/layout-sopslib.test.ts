// sops reads what hush writes, for the layouts hush keeps and sops does not write itself: a CRLF
// YAML file, a 2-space file (its sops block 2-space too), kept block scalar styles, a top-level
// flow mapping (rewritten in block style), and a file without `sops.version` (as other sops-format
// tools write it). sops's Go library (test/sopslib, MAC checked) must decrypt each to its values.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";
import { sopslibDecrypt, sopslibUnavailable, type SopslibResult } from "./support/sopslib.js";

const reason = sopslibUnavailable();

/** hush encrypts `plain` (YAML) for a fresh age key; `edit` may change the encrypted text; sops decrypts. */
async function throughSops(plain: string, edit: (enc: string) => string = (e) => e): Promise<SopslibResult & { enc: string }> {
  return withTempDir(async (dir) => {
    const key = await generateAgeKeyFile();
    writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
    writeFileSync(join(dir, "app.yaml"), plain);
    const e = runHush(["encrypt", "--age", key.recipient, "-o", join(dir, "app.enc.yaml"), join(dir, "app.yaml")], { env: cleanEnv() });
    expect(e.stderr).toBe("");
    const enc = edit(readFileSync(join(dir, "app.enc.yaml"), "utf8"));
    writeFileSync(join(dir, "app.enc.yaml"), enc);
    return { ...sopslibDecrypt(join(dir, "app.enc.yaml"), "yaml", join(dir, "keys.txt")), enc };
  });
}

describe.skipIf(reason !== undefined)(`sops's Go library decrypts hush's layouts${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("a CRLF, 2-space file with kept block scalar styles", async () => {
    const r = await throughSops("db:\r\n  pass: s3cr3t\r\n  note_unencrypted: >\r\n    folded\r\n    text\r\nblock: |-\r\n  a\r\n  b\r\n");
    expect(r.enc).toContain("\r\nsops:\r\n  age:\r\n");
    expect(r.reason ?? "").toBe("");
    expect(r.status).toBe("SUCCESS");
    expect(JSON.parse(r.secretString!)).toEqual({ db: { pass: "s3cr3t", note_unencrypted: "folded text\n" }, block: "a\nb" });
  });

  it("a top-level flow mapping, written in block style", async () => {
    const r = await throughSops("{a: b, c: [1, x], d: {e: f}}\n");
    expect(r.enc).toContain("\n    mac: ENC[");
    expect(r.status).toBe("SUCCESS");
    expect(JSON.parse(r.secretString!)).toEqual({ a: "b", c: ["1", "x"], d: { e: "f" } });
  });

  it("a file without sops.version", async () => {
    const r = await throughSops("a: secret\n", (enc) => enc.replace(/^ {4}version: .*\n/m, ""));
    expect(r.enc).not.toContain("version:");
    expect(r.reason ?? "").toBe("");
    expect(r.status).toBe("SUCCESS");
    expect(JSON.parse(r.secretString!)).toEqual({ a: "secret" });
  });
});
