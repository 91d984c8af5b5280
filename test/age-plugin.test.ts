/**
 * age plugins through the C2SP plugin protocol, with a test plugin written from the spec
 * (test/fixtures/age-plugin/age-plugin-hushtest) that Debian's `age` drives too: so the plugin is
 * validated by a real client, and hush interoperates with age through it in both directions.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HushError } from "../src/errors.js";
import { ageRecipient, loadAgeIdentities, parseAgeRecipients } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { recipientFor } from "../src/keys/registry.js";
import { cleanEnv, HUSH } from "./helpers.js";

const PLUGIN_DIR = fileURLToPath(new URL("./fixtures/age-plugin/", import.meta.url)).replace(/\/$/, "");
const hasAge = spawnSync("age", ["--version"]).status === 0;

let tmp: string;
let identity: string;
let recipient: string;
let idFile: string;
let log: string;

/** PATH with the plugin's directory first, and a log of what the plugin saw. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...cleanEnv(), PATH: `${PLUGIN_DIR}${delimiter}${process.env["PATH"] ?? ""}`, HUSHTEST_LOG: log, ...extra };
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "hush-age-plugin-"));
  log = join(tmp, "plugin.log");
  [identity, recipient] = execFileSync(join(PLUGIN_DIR, "age-plugin-hushtest"), ["--generate"], { encoding: "utf8" }).trim().split("\n") as [string, string];
  idFile = join(tmp, "identity.txt");
  writeFileSync(idFile, `# a hushtest plugin identity\n${identity}\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const DATA_KEY = Buffer.from("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0", "hex");

describe("plugin recipients and identities", () => {
  it("parses age1<name>1… recipients and rejects a broken checksum", () => {
    expect(parseAgeRecipients(recipient)).toEqual([recipient]);
    expect(() => parseAgeRecipients(`${recipient.slice(0, -1)}${recipient.endsWith("q") ? "p" : "q"}`)).toThrow(HushError);
  });

  it("a plugin that is not installed: one clear line naming it", async () => {
    const e = env({ PATH: "/nonexistent" });
    await expect(ageRecipient(recipient, e).wrap(DATA_KEY)).rejects.toThrow("age: plugin age-plugin-hushtest not found on PATH");
  });

  it("relative PATH entries are not searched (the spec forbids it)", async () => {
    const e = env({ PATH: "test/fixtures/age-plugin" });
    await expect(ageRecipient(recipient, e).wrap(DATA_KEY)).rejects.toThrow(/not found on PATH/);
  });
});

describe.skipIf(!hasAge)("interop with Debian's age through the same plugin", () => {
  it("age validates the plugin: age -r encrypts, age -d -i decrypts", () => {
    const enc = execFileSync("age", ["-a", "-r", recipient], { input: DATA_KEY, env: env() });
    expect(execFileSync("age", ["-d", "-i", idFile], { input: enc, env: env() }).equals(DATA_KEY)).toBe(true);
  });

  it("hush wraps through the plugin (recipient-v1); age -d -i decrypts", async () => {
    writeFileSync(log, "");
    const entry = await ageRecipient(recipient, env()).wrap(DATA_KEY);
    expect(entry["recipient"]).toBe(recipient);
    expect(execFileSync("age", ["-d", "-i", idFile], { input: entry["enc"] as string, env: env() }).equals(DATA_KEY)).toBe(true);
    expect(readFileSync(log, "utf8")).toContain("recipient-v1 wrap-file-key");
  });

  it("age encrypts; hush unwraps through the plugin (identity-v1) from SOPS_AGE_KEY_FILE", async () => {
    const enc = execFileSync("age", ["-a", "-r", recipient], { input: DATA_KEY, env: env() }).toString();
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: idFile }));
    expect(set.count).toBe(1);
    expect(set.problems).toEqual([]);
    expect(Buffer.from((await set.unwrap({ recipient, enc }))!).equals(DATA_KEY)).toBe(true);
  });

  it("an entry for another recipient: the plugin finds nothing, null", async () => {
    const other = execFileSync(join(PLUGIN_DIR, "age-plugin-hushtest"), ["--generate"], { encoding: "utf8" }).trim().split("\n")[1]!;
    const entry = await ageRecipient(other, env()).wrap(DATA_KEY);
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY: identity }));
    expect(await set.unwrap(entry)).toBeNull();
  });

  it("the CLI decrypts a sops file whose data key went through the plugin; no identity in the output", async () => {
    const { text } = await encryptText("api: s3cr3t\n", { format: "yaml", groups: [[await recipientFor("age", recipient, env())]] });
    const file = join(tmp, "s.enc.yaml");
    writeFileSync(file, text);
    const r = spawnSync(process.execPath, [HUSH, "decrypt", file], { env: env({ SOPS_AGE_KEY_FILE: idFile }), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("api: s3cr3t\n");
    const bad = spawnSync(process.execPath, [HUSH, "decrypt", file], { env: env({ SOPS_AGE_KEY_FILE: idFile, PATH: "/nonexistent" }), encoding: "utf8" });
    expect(bad.status).toBe(128);
    expect(bad.stderr).toContain("age-plugin-hushtest not found on PATH");
    expect(bad.stderr).not.toContain(identity);
  });
});
