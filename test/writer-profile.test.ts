// Writer profile (SOPS-FORMAT §15): re-encrypting the plaintext of each `*-format.*` fixture with
// its data key, IVs, timestamp and key entries reproduces sops's file byte for byte.
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readMetadata } from "../src/core/metadata.js";
import { encryptText, IV_SOURCE } from "../src/lib/files.js";
import { fixture, ivsOf, manifestKeys } from "./helpers.js";

const KEYS = manifestKeys();

const CASES = [
  { enc: "pgp-yaml-v3.13.1-format.enc.yaml", plain: "pgp-yaml-v3.13.1-format.expected.yaml", format: "yaml" },
  { enc: "pgp-json-v3.13.1-format.enc.json", plain: "pgp-json-v3.13.1-format.expected.json", format: "json" },
] as const;

describe("writer profile: hush reproduces sops 3.13 files byte for byte", () => {
  for (const c of CASES) {
    it(c.enc, async () => {
      const sopsText = fixture(c.enc);
      const raw = (c.format === "json" ? JSON.parse(sopsText) : parseYaml(sopsText)).sops;
      const meta = readMetadata(raw);
      const ivs = ivsOf(sopsText);
      // The values' IVs come first in the file, the MAC's is the last ENC[...].
      let i = 0;
      const { text } = await encryptText(fixture(c.plain), {
        format: c.format,
        groups: [],
        dataKey: KEYS.get(c.enc)!.dataKey,
        [IV_SOURCE]: () => ivs[i++]!,
        now: new Date(meta.lastModified),
        wrappedKeys: meta.keyGroups,
        version: meta.version,
      });
      expect(text).toBe(sopsText);
      expect(i).toBe(ivs.length);
    });
  }
});
