// Matching a file's key entries against a .sops.yaml rule's specs (src/lib/recipients.ts): the
// comparison behind `hush check` and the re-wrap policy (issue 14, attack 2), per key kind.
import { describe, expect, it } from "vitest";
import type { KeySpec } from "../src/config/index.js";
import type { WrappedKey } from "../src/model/metadata.js";
import { authorizeRewrap, diffRecipients, specMatchesEntry } from "../src/lib/recipients.js";

const AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const EVIL = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";

describe("specMatchesEntry", () => {
  const cases: [KeySpec, WrappedKey, boolean][] = [
    [{ kind: "age", spec: AGE }, { kind: "age", entry: { recipient: AGE, enc: "x" } }, true],
    [{ kind: "age", spec: AGE }, { kind: "age", entry: { recipient: EVIL, enc: "x" } }, false],
    [{ kind: "pgp", spec: "fbc7 b9e2 a4f9 289a c0c1" }, { kind: "pgp", entry: { fp: "FBC7B9E2A4F9289AC0C1", enc: "x" } }, true],
    [{ kind: "kms", spec: { arn: "arn:aws:kms:us-east-1:1:key/a", role: "", aws_profile: "", context: {} } }, { kind: "kms", entry: { arn: "arn:aws:kms:us-east-1:1:key/a", enc: "x" } }, true],
    [{ kind: "kms", spec: { arn: "arn:aws:kms:us-east-1:1:key/a", role: "", aws_profile: "", context: {} } }, { kind: "kms", entry: { arn: "arn:aws:kms:us-east-1:1:key/a", role: "arn:aws:iam::9:role/x", enc: "x" } }, false],
    [{ kind: "gcp_kms", spec: "projects/p/locations/global/keyRings/r/cryptoKeys/k" }, { kind: "gcp_kms", entry: { resource_id: "projects/p/locations/global/keyRings/r/cryptoKeys/k", enc: "x" } }, true],
    [{ kind: "hc_vault", spec: "https://Vault.example.com:8200/v1/team/transit/keys/app" }, { kind: "hc_vault", entry: { vault_address: "https://vault.example.com:8200", engine_path: "team/transit", key_name: "app", enc: "x" } }, true],
    [{ kind: "hc_vault", spec: "https://vault.example.com:8200/v1/transit/keys/app" }, { kind: "hc_vault", entry: { vault_address: "http://127.0.0.1:9", engine_path: "transit", key_name: "app", enc: "x" } }, false],
    [{ kind: "azure_kv", spec: "https://v.vault.azure.net/keys/k" }, { kind: "azure_kv", entry: { vault_url: "https://v.vault.azure.net", name: "k", version: "abc", enc: "x" } }, true],
    [{ kind: "azure_kv", spec: { vaultUrl: "https://v.vault.azure.net", key: "k", version: "def" } }, { kind: "azure_kv", entry: { vault_url: "https://v.vault.azure.net", name: "k", version: "abc", enc: "x" } }, false],
    [{ kind: "age", spec: AGE }, { kind: "pgp", entry: { fp: AGE, enc: "x" } }, false],
  ];
  for (const [spec, w, want] of cases) {
    it(`${spec.kind} ${JSON.stringify(spec.spec).slice(0, 60)} vs ${JSON.stringify(w.entry).slice(0, 60)}: ${want}`, () => {
      expect(specMatchesEntry(spec, w.kind, w.entry)).toBe(want);
    });
  }
});

describe("diffRecipients and authorizeRewrap", () => {
  const rule: KeySpec[][] = [[{ kind: "age", spec: AGE }, { kind: "hc_vault", spec: "https://vault.example.com:8200/v1/transit/keys/app" }]];
  const mine: WrappedKey = { kind: "age", entry: { recipient: AGE, enc: "x" } };
  const evil: WrappedKey = { kind: "age", entry: { recipient: EVIL, enc: "x" } };
  const moved: WrappedKey = { kind: "hc_vault", entry: { vault_address: "http://203.0.113.9:8200", engine_path: "transit", key_name: "app", enc: "x" } };

  it("names the extra, the missing and the moved", () => {
    const d = diffRecipients([[mine, evil, moved]], rule);
    expect(d.unknown.map((u) => `${u.kind} ${u.label}`)).toEqual([`age ${EVIL}`, "hc_vault http://203.0.113.9:8200/v1/transit/keys/app"]);
    expect(d.missing).toEqual(["hc_vault https://vault.example.com:8200/v1/transit/keys/app"]);
    expect(d.moved).toEqual([{ kind: "hc_vault", label: "hc_vault http://203.0.113.9:8200/v1/transit/keys/app".slice(9), address: "http://203.0.113.9:8200", configured: "https://vault.example.com:8200" }]);
  });

  it("refuses unknown recipients (CONFIG, naming them), drops them when asked, never drops to an empty group", async () => {
    await expect(authorizeRewrap([[mine, evil]], { ruleGroups: rule, ruleName: "creation_rules[0] of .sops.yaml" })).rejects.toMatchObject({
      code: "CONFIG",
      message: `refusing to wrap a new data key for recipients creation_rules[0] of .sops.yaml does not name: age ${EVIL}`,
    });
    const r = await authorizeRewrap([[mine, evil]], { ruleGroups: rule, dropUnknown: true });
    expect(r).toEqual({ groups: [[mine]], dropped: [`age ${EVIL}`] });
    await expect(authorizeRewrap([[evil]], { ruleGroups: rule, dropUnknown: true })).rejects.toMatchObject({ code: "CONFIG" });
  });

  it("without a rule keeps the file's recipients and warns, but refuses an endpoint only the file names", async () => {
    const warned: string[] = [];
    const r = await authorizeRewrap([[mine, evil]], { ruleGroups: undefined, env: {}, warn: (m) => warned.push(m) });
    expect(r.groups).toEqual([[mine, evil]]);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain("unauthenticated");
    await expect(authorizeRewrap([[mine, moved]], { ruleGroups: undefined, env: {} })).rejects.toMatchObject({ code: "KEY_SOURCE" });
  });
});
