// Huawei Cloud KMS (`hckms`, sops ≥ 3.12) against the protocol-level loopback server in
// test/servers/hckms.ts, which checks every request's SDK-HMAC-SHA256 signature as Huawei's API
// gateway does: round trips with sops's exact entries, the CLI end to end (encrypt, decrypt,
// rotate, updatekeys, .sops.yaml flat and key_groups), the project lookup, and failures (bad
// secret key, unknown key, no credentials, a region that is not one) as one clear line, exit 128.
//
// The endpoint comes only from the environment (HUAWEICLOUD_SDK_REGION_KMS_<REGION>, the SDK's own
// override); nothing in a file names an address.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptText, encryptText } from "../src/lib/files.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { Keyring, recipientFor } from "../src/keys/registry.js";
import { hckmsEndpoint, parseHckmsKeyId, sdkDate, signRequest } from "../src/keys/hckms-client.js";
import { cleanEnv, HUSH, ROOT } from "./helpers.js";
import { startHckmsServer, type HckmsServer } from "./servers/hckms.js";

const PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n";
const REGION = "cn-north-4";
// Test-only credentials, known to the loopback server.
const ALICE = { ak: "HPUATESTALICE0000001", sk: "alice-secret-key-for-loopback-tests-only-000", projectId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9" };
const BOB = { ak: "HPUATESTBOB000000001", sk: "bob-secret-key-for-loopback-tests-only-00000", projectId: "0a1b2c3d4e5f60718293a4b5c6d7e8f9" };
const UUID1 = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
const UUID2 = "1e1577c1-f838-4ead-a46e-095cc585b480";
const UUID_ALICE_ONLY = "2f2688d2-0949-4fbe-b57f-1a6dd696c591";
const KEY1 = `${REGION}:${UUID1}`;
const KEY2 = `${REGION}:${UUID2}`;

let kms: HckmsServer;
let tmp: string;
let age: { identity: string; recipient: string; text: string };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "hush-hckms-test-"));
  [kms, age] = await Promise.all([
    startHckmsServer({ region: REGION, users: [ALICE, BOB], keys: [{ uuid: UUID1 }, { uuid: UUID2 }, { uuid: UUID_ALICE_ONLY, allow: [ALICE.ak] }] }),
    generateAgeKeyFile(),
  ]);
});

afterAll(async () => {
  await kms.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The environment a user of the loopback KMS has. */
function env(user = ALICE, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    HUAWEICLOUD_SDK_AK: user.ak,
    HUAWEICLOUD_SDK_SK: user.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: user.projectId,
    HUAWEICLOUD_SDK_REGION_KMS_CN_NORTH_4: kms.address,
    HUSH_KEY_TIMEOUT_MS: "5000",
    ...extra,
  });
}

/** Runs the built CLI without blocking this process (the server lives here). */
function hush(args: string[], e: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env: e, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function sopsBlock(text: string): Record<string, unknown> {
  return (parseYaml(text) as { sops: Record<string, unknown> }).sops;
}

describe("hckms key ids and endpoints", () => {
  it("parses region:uuid as sops does, and refuses a region that is not a host label", () => {
    expect(parseHckmsKeyId(` ${KEY1} `)).toEqual({ keyId: KEY1, region: REGION, uuid: UUID1 });
    for (const bad of ["nocolon", ":uuid", "region:", "evil.example.com/x:uuid", "a b:uuid", "cn-north-4:../../x"]) {
      expect(() => parseHckmsKeyId(bad), bad).toThrow(expect.objectContaining({ code: "CONFIG" }));
    }
  });

  it("goes to Huawei's host for the region unless the environment overrides it", () => {
    expect(hckmsEndpoint("ap-southeast-1", {})).toBe("https://kms.ap-southeast-1.myhuaweicloud.com");
    expect(hckmsEndpoint("ap-southeast-1", { HUAWEICLOUD_SDK_REGION_KMS_AP_SOUTHEAST_1: "http://127.0.0.1:9/,https://other" })).toBe("http://127.0.0.1:9");
  });
});

describe("SDK-HMAC-SHA256 signing", () => {
  // Vectors computed with the official signer, `AKSKSigner.sign` of @huaweicloud/huaweicloud-sdk-core
  // 3.1.211 (npm), on the same requests (2026-12-07); hush's own signer must match it byte for byte.
  const ak = "HPUAEXAMPLE";
  const sk = "secretkey123";
  const date = "20261207T064500Z";
  it("signs a KMS POST as the official SDK does", () => {
    const url = new URL("https://kms.cn-north-4.myhuaweicloud.com/v1.0/proj123/kms/encrypt-data");
    const body = JSON.stringify({ key_id: "abc", plain_text: "AAAA", encryption_algorithm: "SYMMETRIC_DEFAULT" });
    const headers = { host: url.host, "x-sdk-date": date, "content-type": "application/json;charset=UTF-8", "x-project-id": "proj123" };
    expect(signRequest({ method: "POST", url, headers, body }, ak, sk)).toBe(
      "SDK-HMAC-SHA256 Access=HPUAEXAMPLE, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=2baebcb1f654e80726c521f1db1b9c5fec2db8fe933f976fbf5150b7aabcded9",
    );
  });
  it("signs an IAM GET with a query as the official SDK does", () => {
    const url = new URL("https://iam.myhuaweicloud.com/v3/projects?name=cn-north-4");
    const headers = { host: url.host, "x-sdk-date": date, "x-project-id": "proj123" };
    expect(signRequest({ method: "GET", url, headers, body: "" }, ak, sk)).toBe(
      "SDK-HMAC-SHA256 Access=HPUAEXAMPLE, SignedHeaders=host;x-project-id;x-sdk-date, Signature=f42fc47ba5f2dca5d2aef7cc6bc4b3f55c75d22213093d034c2aa9eefe30fc45",
    );
  });
});

describe("hckms through the library", () => {
  it("wraps and unwraps the data key with sops's entry fields", async () => {
    const e = env();
    const r = await recipientFor("hckms", KEY1, e);
    const { text } = await encryptText(PLAIN, { format: "yaml", groups: [[r]] });
    const entries = sopsBlock(text)["hckms"] as Record<string, unknown>[];
    expect(entries).toHaveLength(1);
    expect(Object.keys(entries[0]!)).toEqual(["created_at", "enc", "key_id"]);
    expect(entries[0]!["key_id"]).toBe(KEY1);
    expect(entries[0]!["created_at"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const dec = await decryptText(text, { format: "yaml", keyring: new Keyring({ env: e }) });
    expect(dec.text).toBe(PLAIN);
    // Every request was signed by alice and accepted.
    expect(kms.requests.every((q) => q.ak === ALICE.ak && q.status === 200)).toBe(true);
  });

  it("looks the project up with IAM when no project id is set", async () => {
    const e = env(ALICE, { HUAWEICLOUD_SDK_IAM_ENDPOINT: kms.address });
    delete e["HUAWEICLOUD_SDK_PROJECT_ID"];
    const before = kms.requests.length;
    const { text } = await encryptText(PLAIN, { format: "yaml", groups: [[await recipientFor("hckms", KEY2, e)]] });
    expect(kms.requests.slice(before).map((q) => `${q.method} ${q.path}`)).toEqual(["GET /v3/projects", `POST /v1.0/${ALICE.projectId}/kms/encrypt-data`]);
    expect(text).toContain(KEY2);
  });

  it("reads the [basic] section of the SDK's credentials file when the variables are not set", async () => {
    const file = join(tmp, "credentials");
    writeFileSync(file, `# test only\n[other]\nak = nope\n\n[basic]\nak = ${BOB.ak}\nsk = ${BOB.sk}\nproject_id = ${BOB.projectId}\n`);
    const e = cleanEnv({ HUAWEICLOUD_SDK_CREDENTIALS_FILE: file, HUAWEICLOUD_SDK_REGION_KMS_CN_NORTH_4: kms.address });
    const before = kms.requests.length;
    await encryptText(PLAIN, { format: "yaml", groups: [[await recipientFor("hckms", KEY1, e)]] });
    expect(kms.requests.slice(before).map((q) => [q.ak, q.status])).toEqual([[BOB.ak, 200]]);
  });

  it("retries a 503 once, and gives up at HUSH_KEY_TIMEOUT_MS on a server that does not answer", async () => {
    kms.failNext(1, 503);
    const before = kms.requests.length;
    const { text } = await encryptText(PLAIN, { format: "yaml", groups: [[await recipientFor("hckms", KEY1, env())]] });
    expect(kms.requests.slice(before).map((q) => q.status)).toEqual([503, 200]);
    kms.delayMs = 2000;
    try {
      const keyring = new Keyring({ env: env(ALICE, { HUSH_KEY_TIMEOUT_MS: "200" }) });
      await expect(decryptText(text, { format: "yaml", keyring })).rejects.toMatchObject({
        code: "COULD_NOT_RETRIEVE_KEY",
        message: expect.stringContaining("timed out after 200 ms"),
      });
    } finally {
      kms.delayMs = 0;
    }
  });

  it("the server rejects a request whose body changed after signing (the check is real)", async () => {
    const url = new URL(`${kms.address}/v1.0/${ALICE.projectId}/kms/encrypt-data`);
    const body = JSON.stringify({ key_id: UUID1, plain_text: "AAAA", encryption_algorithm: "SYMMETRIC_DEFAULT" });
    const headers = { host: url.host, "x-sdk-date": sdkDate(), "content-type": "application/json;charset=UTF-8", "x-project-id": ALICE.projectId };
    const authorization = signRequest({ method: "POST", url, headers, body }, ALICE.ak, ALICE.sk);
    const send = (b: string) =>
      fetch(url, { method: "POST", headers: { "x-sdk-date": headers["x-sdk-date"], "content-type": headers["content-type"], "x-project-id": ALICE.projectId, authorization }, body: b });
    expect((await send(body)).status).toBe(200);
    const tampered = await send(body.replace("AAAA", "BBBB"));
    expect(tampered.status).toBe(401);
    expect(((await tampered.json()) as { error_code: string }).error_code).toBe("APIGW.0301");
  });
});

describe("hckms through the CLI", () => {
  it("encrypt --hckms, decrypt, and SOPS_HUAWEICLOUD_KMS_IDS as the flag's variable", async () => {
    const plain = join(tmp, "plain.yaml");
    writeFileSync(plain, PLAIN);
    const enc = await hush(["encrypt", "--hckms", KEY1, plain], env());
    expect(enc.stderr).toBe("");
    expect(enc.status).toBe(0);
    expect((sopsBlock(enc.stdout)["hckms"] as unknown[]).length).toBe(1);
    const file = join(tmp, "a.enc.yaml");
    writeFileSync(file, enc.stdout);
    const dec = await hush(["decrypt", file], env(BOB));
    expect(dec.stderr).toBe("");
    expect(dec.stdout).toBe(PLAIN);

    const viaEnv = await hush(["encrypt", plain], env(ALICE, { SOPS_HUAWEICLOUD_KMS_IDS: `${KEY1},${KEY2}` }));
    expect(viaEnv.status).toBe(0);
    expect((sopsBlock(viaEnv.stdout)["hckms"] as { key_id: string }[]).map((k) => k.key_id)).toEqual([KEY1, KEY2]);
  });

  it("fails with one clear line and exit 128 for a wrong secret key, an unknown key, no credentials", async () => {
    const plain = join(tmp, "plain2.yaml");
    writeFileSync(plain, PLAIN);
    const wrongSk = await hush(["encrypt", "--hckms", KEY1, plain], env({ ...ALICE, sk: "not-the-secret" }));
    expect(wrongSk.status).toBe(128);
    expect(wrongSk.stderr).toMatch(/Huawei Cloud KMS encrypt with cn-north-4:0d04.* failed: access denied: .*\(APIGW\.0301\)/);
    expect(wrongSk.stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    expect(wrongSk.stderr).not.toContain("not-the-secret");

    const unknown = await hush(["encrypt", "--hckms", `${REGION}:3a3799e3-1a5a-4a0f-b68f-2b7eea7a6d02`, plain], env());
    expect(unknown.status).toBe(128);
    expect(unknown.stderr).toMatch(/not found: .*\(KMS\.0205\)/);

    const noCreds = cleanEnv({ HUAWEICLOUD_SDK_REGION_KMS_CN_NORTH_4: kms.address });
    const r = await hush(["encrypt", "--hckms", KEY1, plain], noCreds);
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("no Huawei Cloud credentials found");

    // A key only alice may use: bob cannot decrypt, and an age key beside it still can.
    const both = await hush(["encrypt", "--hckms", `${REGION}:${UUID_ALICE_ONLY}`, "--age", age.recipient, plain], env());
    expect(both.status).toBe(0);
    const file = join(tmp, "alice-only.enc.yaml");
    writeFileSync(file, both.stdout);
    const denied = await hush(["decrypt", "--decryption-order", "hckms", file], env(BOB));
    expect(denied.status).toBe(128);
    expect(denied.stderr).toMatch(/hckms cn-north-4:2f26.*access denied: .*\(KMS\.0303\)/);
    const keys = join(tmp, "keys.txt");
    writeFileSync(keys, age.text);
    const withAge = await hush(["decrypt", "--decryption-order", "hckms,age", file], env(BOB, { SOPS_AGE_KEY_FILE: keys }));
    expect(withAge.stderr).toBe("");
    expect(withAge.stdout).toBe(PLAIN);
  });

  it("rotate --add-hckms / --rm-hckms", async () => {
    const plain = join(tmp, "plain3.yaml");
    writeFileSync(plain, PLAIN);
    const enc = await hush(["encrypt", "--hckms", KEY1, plain], env());
    const file = join(tmp, "rot.enc.yaml");
    writeFileSync(file, enc.stdout);
    const oldEnc = (sopsBlock(enc.stdout)["hckms"] as { enc: string }[])[0]!.enc;
    const rot = await hush(["rotate", "-i", "--add-hckms", KEY2, "--rm-hckms", KEY1, file], env());
    expect(rot.status).toBe(0);
    expect(rot.stderr).toContain(`removed hckms ${KEY1}`);
    const after = readFileSync(file, "utf8");
    const entries = sopsBlock(after)["hckms"] as { key_id: string; enc: string }[];
    expect(entries.map((k) => k.key_id)).toEqual([KEY2]);
    expect(entries[0]!.enc).not.toBe(oldEnc);
    const dec = await hush(["decrypt", file], env(BOB));
    expect(dec.stdout).toBe(PLAIN);
  });

  it(".sops.yaml with an hckms rule (flat list and key_groups), then updatekeys", async () => {
    const dir = mkdtempSync(join(tmp, "repo-"));
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: flat\\.yaml$\n    hckms:\n      - ${KEY1}\n  - path_regex: groups\\.yaml$\n    key_groups:\n      - hckms:\n          - key_id: ${KEY1}\n          - key_id: ${KEY1}\n        age:\n          - ${age.recipient}\n`);
    writeFileSync(join(dir, "flat.yaml"), PLAIN);
    writeFileSync(join(dir, "groups.yaml"), PLAIN);
    const flat = await hush(["encrypt", "-i", "flat.yaml"], env(), dir);
    expect(flat.stderr).toBe("");
    expect((sopsBlock(readFileSync(join(dir, "flat.yaml"), "utf8"))["hckms"] as { key_id: string }[]).map((k) => k.key_id)).toEqual([KEY1]);
    const groups = await hush(["encrypt", "-i", "groups.yaml"], env(), dir);
    expect(groups.stderr).toBe("");
    const g = sopsBlock(readFileSync(join(dir, "groups.yaml"), "utf8"));
    // One group: written flat, the duplicate key_id removed as sops's deduplicateKeygroup does.
    expect((g["hckms"] as { key_id: string }[]).map((k) => k.key_id)).toEqual([KEY1]);
    expect((g["age"] as unknown[]).length).toBe(1);

    // The rule changes: updatekeys re-wraps for KEY2 and drops KEY1, values untouched.
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: flat\\.yaml$\n    hckms: [${KEY2}]\n`);
    const before = readFileSync(join(dir, "flat.yaml"), "utf8");
    const up = await hush(["updatekeys", "--yes", "flat.yaml"], env(), dir);
    expect(up.status).toBe(0);
    expect(up.stdout + up.stderr).toContain(`hckms ${KEY2}`);
    const after = readFileSync(join(dir, "flat.yaml"), "utf8");
    expect((sopsBlock(after)["hckms"] as { key_id: string }[]).map((k) => k.key_id)).toEqual([KEY2]);
    expect(sopsBlock(after)["mac"]).toBe(sopsBlock(before)["mac"]);
    const dec = await hush(["decrypt", "flat.yaml"], env(BOB), dir);
    expect(dec.stdout).toBe(PLAIN);
  });
});
