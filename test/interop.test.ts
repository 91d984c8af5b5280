// Independent readers: files hush writes decrypt with the `sops-age` package, and the data-key
// stanza hush stores decrypts with Debian's `age` CLI.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decryptSops } from "sops-age";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { withTempDir } from "./helpers.js";

// sops-age has false failures of its own (PEERS.md): digit-only map keys, the `time` type,
// integers above 2^53, comments. The documents below avoid them on purpose.
const YAML_DOC = `app:
    name: checkout
    password: hunter2
    port: 8080
    ratio: 0.75
    enabled: true
    tags:
        - a
        - b
    nested:
        deeper:
            token: abc def
    note_unencrypted: left in clear
multi: |
    line one
    line two
`;

const JSON_DOC = `{
  "db": {"user": "app", "password": "s3cr3t", "port": 5432, "weight": 1.5},
  "flags": [true, false],
  "empty": "",
  "nothing": null
}
`;

describe("sops-age decrypts what hush writes", () => {
  it("YAML and JSON", async () => {
    const key = await generateAgeKeyFile();
    for (const [format, doc] of [["yaml", YAML_DOC], ["json", JSON_DOC]] as const) {
      const { text } = await encryptText(doc, { format, groups: [[ageRecipient(key.recipient)]] });
      const plain = await decryptSops(text, { secretKey: key.identity, fileType: format });
      const want = format === "json" ? JSON.parse(doc) : parseYaml(doc);
      expect(plain).toEqual(want);
    }
  });
});

describe("Debian's age CLI", () => {
  it("decrypts the stored data-key stanza, and hush reads a stanza age wrote", async () => {
    await withTempDir(async (dir) => {
      const key = await generateAgeKeyFile();
      const keyFile = join(dir, "keys.txt");
      writeFileSync(keyFile, key.text, { mode: 0o600 });
      const { text, metadata } = await encryptText(YAML_DOC, { format: "yaml", groups: [[ageRecipient(key.recipient)]] });
      const enc = metadata.keyGroups[0]![0]!.entry["enc"] as string;
      expect(text).toContain("-----BEGIN AGE ENCRYPTED FILE-----");
      writeFileSync(join(dir, "stanza.age"), enc);
      const dataKey = execFileSync("age", ["-d", "-i", keyFile, join(dir, "stanza.age")]);
      expect(dataKey.length).toBe(32);
      // That key decrypts the document: the stanza really holds this file's data key.
      const out = await decryptText(text, { format: "yaml", dataKey });
      expect(out.text).toBe(YAML_DOC);
      // And the other way round: a data key age wraps is what hush unwraps.
      const rewrapped = execFileSync("age", ["-r", key.recipient, "-a"], { input: dataKey }).toString();
      const swapped = text.replace(enc.replace(/\n$/, "").split("\n").join("\n            "), rewrapped.replace(/\n$/, "").split("\n").join("\n            "));
      expect(swapped).not.toBe(text);
      const again = await decryptText(swapped, { format: "yaml", env: { SOPS_AGE_KEY_FILE: keyFile } });
      expect(again.text).toBe(YAML_DOC);
      expect(readFileSync(keyFile, "utf8")).toContain("AGE-SECRET-KEY-1");
    });
  });
});
