// Every YAML/JSON fixture in test/fixtures/sops decrypts to sops's expected output. PGP fixtures
// are decrypted with the data key the MANIFEST gives (the PGP key source is another issue); the
// age fixtures go through the real CLI with the fixture's keys file.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { decryptText } from "../src/lib/files.js";
import { isHushError } from "../src/errors.js";
import { cleanEnv, FIXTURES, fixture, manifestKeys, runHush } from "./helpers.js";

const KEYS = manifestKeys();
const encFiles = readdirSync(FIXTURES).filter((f) => /\.enc\.(yaml|json)$/.test(f));
const formatOf = (f: string) => (f.endsWith(".json") ? "json" : "yaml") as "yaml" | "json";

function expectedFor(file: string): { name: string; ignoreMac: boolean } | undefined {
  const base = file.replace(/\.enc\.(\w+)$/, "");
  const ext = file.split(".").pop()!;
  const names = readdirSync(FIXTURES);
  if (names.includes(`${base}.expected.${ext}`)) return { name: `${base}.expected.${ext}`, ignoreMac: false };
  if (names.includes(`${base}.ignore-mac.expected.${ext}`)) return { name: `${base}.ignore-mac.expected.${ext}`, ignoreMac: true };
  return undefined;
}

/** Files written before yaml.v3 (sops ≤ 3.6) use another layout; sops re-indents on decrypt. */
const OLD_LAYOUT = /-v3\.[0-6]\.\d-/;

describe("sops fixtures decrypt to their expected plaintext", () => {
  it("finds the fixtures", () => {
    expect(encFiles.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of encFiles) {
    const keys = KEYS.get(file);
    const expected = expectedFor(file);
    if (!keys || !expected) continue;
    it(`${file} (data key from the MANIFEST)`, async () => {
      const text = fixture(file);
      const want = fixture(expected.name);
      const opts = { format: formatOf(file), dataKey: keys.dataKey };
      if (expected.ignoreMac) {
        // The file is meant to fail its MAC check (exit 51) and decrypt with --ignore-mac.
        const err = await decryptText(text, opts).catch((e: unknown) => e);
        expect(isHushError(err, "MAC_MISMATCH")).toBe(true);
      }
      const { text: got } = await decryptText(text, { ...opts, ignoreMac: expected.ignoreMac });
      if (OLD_LAYOUT.test(file) && formatOf(file) === "yaml") {
        // hush keeps the file's own layout; the content and comments must be sops's.
        expect(parseYaml(got)).toEqual(parseYaml(want));
        expect(comments(got)).toEqual(comments(want));
      } else {
        expect(got).toBe(want);
      }
    });
  }
});

function comments(yamlText: string): string[] {
  return [...yamlText.matchAll(/#(.*)$/gm)].map((m) => m[1]!);
}

describe("age fixtures through the CLI", () => {
  const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(FIXTURES, "key-age-sops-examples.txt") });
  for (const file of encFiles.filter((f) => f.startsWith("age-"))) {
    it(`hush decrypt ${file}`, () => {
      const r = runHush(["decrypt", join(FIXTURES, file)], { env });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(fixture(expectedFor(file)!.name));
    });
  }

  it("without any key, says no identity was found and exits 128", () => {
    const r = runHush(["decrypt", join(FIXTURES, "age-yaml-v3.7.1-example.enc.yaml")]);
    expect(r.status).toBe(128);
    expect(r.stderr).toMatch(/no age identity found/);
    expect(r.stdout).toBe("");
  });
});
