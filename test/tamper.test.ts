// Tampering is detected: any change to a value's ciphertext, IV or tag, to a key name, to the order
// of values, to the MAC or to lastmodified makes decryption fail with sops's exit code (25 when a
// value fails authentication, 51 when the MAC does not match), and no plaintext is printed.
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { ageRecipient } from "../src/keys/age-client.js";
import { cleanEnv, runHush } from "./helpers.js";

const PLAIN = `first: alpha-secret
second: beta-secret
nested:
    inner: gamma-secret
    other: delta-secret
list:
    - one-secret
    - two-secret
`;
const SECRETS = ["alpha-secret", "beta-secret", "gamma-secret", "delta-secret", "one-secret", "two-secret"];

let enc = "";
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  const key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
  enc = (await encryptText(PLAIN, { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text;
});

function decrypt(text: string) {
  const r = runHush(["decrypt", "--input-type", "yaml"], { env, input: text });
  for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r;
}

/** Changes one base64 character of the n-th `field:` in the n-th ENC value. */
function flip(text: string, valueIndex: number, field: "data" | "iv" | "tag"): string {
  let i = -1;
  return text.replace(/ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:(\w+)\]/g, (m, data: string, iv: string, tag: string, type: string) => {
    if (++i !== valueIndex) return m;
    const parts = { data, iv, tag };
    const s = parts[field];
    const c = s[1] === "A" ? "B" : "A";
    parts[field] = s[0] + c + s.slice(2);
    return `ENC[AES256_GCM,data:${parts.data},iv:${parts.iv},tag:${parts.tag},type:${type}]`;
  });
}

describe("tampering is detected", () => {
  it("the untouched file decrypts", () => {
    const r = runHush(["decrypt", "--input-type", "yaml"], { env, input: enc });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(PLAIN);
  });

  for (const field of ["data", "iv", "tag"] as const) {
    it(`a changed ${field} of any value fails authentication (exit 25)`, () => {
      const values = enc.match(/ENC\[/g)!.length - 1; // the last ENC[...] is the MAC
      for (let v = 0; v < values; v++) {
        const r = decrypt(flip(enc, v, field));
        expect(r.status).toBe(25);
        expect(r.stderr).toMatch(/^hush: error: cannot decrypt the value at .* failed authentication/);
      }
    });
    it(`a changed ${field} of the MAC fails the MAC check (exit 51)`, () => {
      const macIndex = enc.match(/ENC\[/g)!.length - 1;
      const r = decrypt(flip(enc, macIndex, field));
      expect(r.status).toBe(51);
    });
  }

  it("a renamed key fails authentication: the path is the additional data (exit 25)", () => {
    const r = decrypt(enc.replace("    inner:", "    innr:"));
    expect(r.status).toBe(25);
    expect(r.stderr).toContain('"nested"."innr"');
  });

  it("reordered keys or list items fail the MAC (exit 51)", () => {
    const lines = enc.split("\n");
    const swap = (a: number, b: number) => {
      const l = [...lines];
      [l[a], l[b]] = [l[b]!, l[a]!];
      return l.join("\n");
    };
    const first = lines.findIndex((l) => l.startsWith("first:"));
    const second = lines.findIndex((l) => l.startsWith("second:"));
    expect(decrypt(swap(first, second)).status).toBe(51);
    const items = lines.map((l, i) => (l.startsWith("    - ") ? i : -1)).filter((i) => i >= 0);
    const r = decrypt(swap(items[0]!, items[1]!));
    expect(r.status).toBe(51);
    expect(r.stderr).toMatch(/MAC mismatch/);
  });

  it("a removed value fails the MAC (exit 51)", () => {
    expect(decrypt(enc.replace(/^second: .*\n/m, "")).status).toBe(51);
  });

  it("a changed lastmodified fails the MAC (exit 51)", () => {
    const r = decrypt(enc.replace(/lastmodified: "(\d{4})/, (_, y: string) => `lastmodified: "${Number(y) - 1}`));
    expect(r.status).toBe(51);
  });

  it("a removed MAC fails unless --ignore-mac", () => {
    const noMac = enc.replace(/^ {4}mac: .*\n/m, "");
    const r = decrypt(noMac);
    expect(r.status).toBe(51);
    expect(r.stderr).toMatch(/no MAC/);
    const ok = runHush(["decrypt", "--input-type", "yaml", "--ignore-mac"], { env, input: noMac });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(PLAIN);
  });
});
