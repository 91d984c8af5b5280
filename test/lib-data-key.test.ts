// The library owns the data key (issue 13): every operation unwraps it, uses it and zero-fills it
// in its own `finally`, on success and on failure, and no result that leaves the library carries
// it. Observed from outside, as an attacker with a heap dump or a careless caller would: a keyring
// whose unwrapper hands out fresh copies of the key and keeps a reference to each, so the test can
// look at those very buffers after the operation returns (or throws).
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import type { KeyKind } from "../src/model/metadata.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { Keyring, type LoadedUnwrapper } from "../src/keys/registry.js";
import { decrypt, decryptText, encryptText } from "../src/lib/index.js";
import {
  encryptReusing,
  isEncryptedFile,
  mergeEncrypted,
  openDocument,
  rewriteBytes,
  rotateText,
  setValues,
  unsetValue,
} from "../src/lib/internal.js";
import { DATA_KEY, FAKE_KEYS } from "./formats-shared.js";

/** A keyring that unwraps every entry to a fresh copy of DATA_KEY and remembers each copy. */
class RecordingKeyring extends Keyring {
  readonly handed: Uint8Array[] = [];
  constructor() {
    super({ env: {} });
  }
  override unwrapper(kind: KeyKind): Promise<LoadedUnwrapper> {
    return Promise.resolve({
      kind,
      problems: [],
      describe: () => "the test's recording unwrapper",
      unwrap: async () => {
        const k = Uint8Array.from(DATA_KEY);
        this.handed.push(k);
        return k;
      },
    });
  }
  /** True when at least one key was handed out and every one of them is now all zeros. */
  allZeroed(): boolean {
    return this.handed.length > 0 && this.handed.every((k) => k.every((b) => b === 0));
  }
}

/** Whether `v` holds the data key (a 32-byte buffer equal to it) anywhere in its own properties. */
function holdsKey(v: unknown, depth = 4): boolean {
  if (v instanceof Uint8Array) return v.length === 32 && Buffer.from(v).equals(DATA_KEY);
  if (v === null || typeof v !== "object" || depth === 0) return false;
  return Object.values(v as Record<string, unknown>).some((x) => holdsKey(x, depth - 1));
}

const PLAIN = "db:\n    user: app\n    password: hunter2\ntoken: abc\n";
const enc = async (plain = PLAIN) => (await encryptText(plain, { format: "yaml", groups: [], dataKey: DATA_KEY, wrappedKeys: FAKE_KEYS })).text;

/** The file with one character of its MAC's ciphertext changed: the MAC no longer verifies. */
async function tampered(): Promise<string> {
  const text = await enc();
  return text.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_, p: string, c: string) => p + (c === "A" ? "B" : "A"));
}

describe("operations zero the data key and never return it", () => {
  it("decryptText: the result has no dataKey or stash, and the unwrapped key is zeroed", async () => {
    const keyring = new RecordingKeyring();
    const res = await decryptText(await enc(), { format: "yaml", keyring });
    expect(res.text).toBe(PLAIN);
    expect("dataKey" in res).toBe(false);
    expect("stash" in res).toBe(false);
    expect(holdsKey(res)).toBe(false);
    expect(keyring.allZeroed()).toBe(true);
  });

  it("decryptText failing after the unwrap (bad MAC, missing --extract path) still zeroes the key", async () => {
    const k1 = new RecordingKeyring();
    const err1 = await decryptText(await tampered(), { format: "yaml", keyring: k1 }).catch((e: unknown) => e);
    expect(isHushError(err1, "MAC_MISMATCH")).toBe(true);
    expect(k1.allZeroed()).toBe(true);
    const k2 = new RecordingKeyring();
    const err2 = await decryptText(await enc(), { format: "yaml", keyring: k2, extract: ["nope"] }).catch((e: unknown) => e);
    expect(isHushError(err2, "PATH_NOT_FOUND")).toBe(true);
    expect(k2.allZeroed()).toBe(true);
  });

  it("a data key passed in is copied: the caller's buffer is left as it was", async () => {
    const mine = Uint8Array.from(DATA_KEY);
    await decryptText(await enc(), { format: "yaml", dataKey: mine });
    expect(Buffer.from(mine).equals(DATA_KEY)).toBe(true);
  });

  it("decrypt() and openDocument()", async () => {
    const k1 = new RecordingKeyring();
    expect(await decrypt({ text: await enc(), format: "yaml" }, { keyring: k1 })).toBe(PLAIN);
    expect(k1.allZeroed()).toBe(true);
    const k2 = new RecordingKeyring();
    const opened = await openDocument(await enc(), { format: "yaml", keyring: k2 });
    expect(opened.text).toBe(PLAIN);
    expect(holdsKey(opened)).toBe(false);
    expect(k2.allZeroed()).toBe(true);
    const k3 = new RecordingKeyring();
    await expect(openDocument(await tampered(), { format: "yaml", keyring: k3 })).rejects.toMatchObject({ code: "MAC_MISMATCH" });
    expect(k3.allZeroed()).toBe(true);
  });

  it("set and unset", async () => {
    const k1 = new RecordingKeyring();
    const set = await setValues(await enc(), [{ path: ["db", "password"], node: { value: { type: "str", text: "s3cret" } } }], { format: "yaml", keyring: k1 });
    expect(set.changed).toBe(true);
    expect(Object.keys(set).sort()).toEqual(["changed", "metadata", "text"]);
    expect(k1.allZeroed()).toBe(true);
    expect((await decryptText(set.text, { format: "yaml", dataKey: DATA_KEY })).text).toContain("password: s3cret");
    const k2 = new RecordingKeyring();
    const unset = await unsetValue(set.text, ["token"], { format: "yaml", keyring: k2 });
    expect(holdsKey(unset)).toBe(false);
    expect(k2.allZeroed()).toBe(true);
    // A failing change (a missing path) zeroes the key too.
    const k3 = new RecordingKeyring();
    await expect(unsetValue(set.text, ["nope"], { format: "yaml", keyring: k3 })).rejects.toMatchObject({ code: "PATH_NOT_FOUND" });
    expect(k3.allZeroed()).toBe(true);
  });

  it("edit's re-encrypt step, also when the edit throws", async () => {
    const k1 = new RecordingKeyring();
    const res = await rewriteBytes(await enc(), (p) => Buffer.concat([p, Buffer.from("extra: 1\n")]), { format: "yaml", keyring: k1 });
    expect(res.changed).toBe(true);
    expect(holdsKey(res)).toBe(false);
    expect(k1.allZeroed()).toBe(true);
    const k2 = new RecordingKeyring();
    const boom = rewriteBytes(await enc(), () => {
      throw new Error("editor failed");
    }, { format: "yaml", keyring: k2 });
    await expect(boom).rejects.toThrow("editor failed");
    expect(k2.allZeroed()).toBe(true);
  });

  it("encrypt --reuse", async () => {
    const keyring = new RecordingKeyring();
    const previous = await enc();
    const res = await encryptReusing(PLAIN.replace("abc", "xyz"), previous, { format: "yaml", previousFormat: "yaml", keyring });
    expect(holdsKey(res)).toBe(false);
    expect(keyring.allZeroed()).toBe(true);
    // Unchanged values kept their ciphertext: the reuse really used the old key.
    const pw = (t: string) => /password: (ENC\[[^\]]+\])/.exec(t)![1];
    expect(pw(res.text)).toBe(pw(previous));
  });

  it("rotate: the old key is zeroed, the new one never leaves", async () => {
    const id = await generateAgeKeyFile();
    const { text } = await encryptText(PLAIN, { format: "yaml", groups: [[ageRecipient(id.recipient)]], dataKey: DATA_KEY });
    const keyring = new RecordingKeyring();
    const res = await rotateText(text, { format: "yaml", keyring, keepVersion: true });
    expect(holdsKey(res)).toBe(false);
    expect(Object.keys(res).sort()).toEqual(["changed", "dropped", "metadata", "removed", "text"]);
    expect(keyring.allZeroed()).toBe(true);
    // The rotated file opens with the recipient's identity, not with the old key.
    expect((await decryptText(res.text, { format: "yaml", env: { SOPS_AGE_KEY: id.identity } })).text).toBe(PLAIN);
    await expect(decryptText(res.text, { format: "yaml", dataKey: DATA_KEY })).rejects.toMatchObject({ code: "DECRYPT_TREE" });
  });

  it("the 3-way merge zeroes all three versions' keys, also when one version fails", async () => {
    const base = await enc();
    const ours = await enc(PLAIN.replace("app", "app2"));
    const theirs = await enc(PLAIN.replace("abc", "abd"));
    const k1 = new RecordingKeyring();
    const out = await mergeEncrypted({ base, ours, theirs, format: "yaml" }, { keyring: k1 });
    expect(out.status).toBe("merged");
    expect(holdsKey(out)).toBe(false);
    expect(k1.handed.length).toBeGreaterThanOrEqual(3);
    expect(k1.allZeroed()).toBe(true);
    // theirs fails its MAC after base's and ours' keys were unwrapped: all of them are zeroed.
    const k2 = new RecordingKeyring();
    await expect(mergeEncrypted({ base, ours, theirs: await tampered(), format: "yaml" }, { keyring: k2 })).rejects.toMatchObject({ code: "MAC_MISMATCH" });
    expect(k2.handed.length).toBe(3);
    expect(k2.allZeroed()).toBe(true);
  });

  it("filestatus needs no key at all", async () => {
    const keyring = new RecordingKeyring();
    expect(isEncryptedFile(await enc(), "yaml")).toBe(true);
    expect(isEncryptedFile(PLAIN, "yaml")).toBe(false);
    expect(keyring.handed).toHaveLength(0);
  });
});
