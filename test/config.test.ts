// .sops.yaml: discovery, validation, creation rules, precedence with the command line, key groups
// with Shamir. The CLI cases run the built `bin/hush.js` in throw-away repositories with real age keys.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  encryptionSettings,
  findConfigFile,
  keySpecsFromFlags,
  loadConfig,
  parseConfig,
  rulesForFile,
  selectCreationRule,
  storeIndent,
  type KeySpec,
} from "../src/config/index.js";
import { HushError } from "../src/errors.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, FIXTURES, runHush, withTempDir } from "./helpers.js";

type Key = { identity: string; recipient: string };
let a: Key, b: Key, c: Key;
beforeAll(async () => {
  [a, b, c] = await Promise.all([generateAgeKeyFile(), generateAgeKeyFile(), generateAgeKeyFile()]);
});

const quiet = { warn: () => {} };
const ids = (groups: readonly (readonly KeySpec[])[]) => groups.map((g) => g.map((k) => `${k.kind}:${typeof k.spec === "string" ? k.spec : JSON.stringify(k.spec)}`));

/** Writes files under `dir` (creating directories) from a path → content map. */
function tree(dir: string, files: Record<string, string>): void {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
}

async function configError(text: string): Promise<HushError> {
  try {
    await parseConfig(text, "/repo/.sops.yaml", { cwd: "/repo", ...quiet });
  } catch (e) {
    if (e instanceof HushError) return e;
    throw e;
  }
  throw new Error("expected the config to be rejected");
}

/** Recipients of the age entries of an encrypted YAML text, per key group. */
function ageRecipients(enc: string): string[][] {
  const sops = (parse(enc) as { sops: Record<string, unknown> }).sops;
  const groups = (sops["key_groups"] as Record<string, unknown>[] | undefined) ?? [sops];
  return groups.map((g) => ((g["age"] as { recipient: string }[] | undefined) ?? []).map((e) => e.recipient));
}

describe("discovery", () => {
  it("finds the nearest .sops.yaml from the working directory up, and honours --config and SOPS_CONFIG", async () => {
    await withTempDir((dir) => {
      tree(dir, { ".sops.yaml": "creation_rules: []\n", "a/.sops.yaml": "creation_rules: []\n", "a/b/c/d/.keep": "", "x/y/.keep": "" });
      expect(findConfigFile({ cwd: join(dir, "a/b/c/d"), env: {} })).toBe(join(dir, "a/.sops.yaml"));
      expect(findConfigFile({ cwd: join(dir, "a"), env: {} })).toBe(join(dir, "a/.sops.yaml"));
      expect(findConfigFile({ cwd: join(dir, "x/y"), env: {} })).toBe(join(dir, ".sops.yaml"));
      // SOPS_CONFIG beats discovery; --config beats SOPS_CONFIG; both resolve against the cwd.
      expect(findConfigFile({ cwd: join(dir, "a/b"), env: { SOPS_CONFIG: "../../.sops.yaml" } })).toBe(join(dir, ".sops.yaml"));
      expect(findConfigFile({ cwd: dir, env: { SOPS_CONFIG: ".sops.yaml" }, configPath: "other.yaml" })).toBe(join(dir, "other.yaml"));
    });
  });

  it("never reads .sops.yml, but warns about it", async () => {
    await withTempDir((dir) => {
      tree(dir, { "p/.sops.yml": "creation_rules: []\n", "p/q/.keep": "" });
      const warnings: string[] = [];
      const found = findConfigFile({ cwd: join(dir, "p/q"), env: {}, warn: (m) => warnings.push(m) });
      // Only a .sops.yaml above the temp dir could be found; there is none in this test's tree.
      expect(found === undefined || !found.startsWith(dir)).toBe(true);
      expect(warnings).toEqual([`ignoring ${join(dir, "p/.sops.yml")}: the config file must be called .sops.yaml`]);
      tree(dir, { ".sops.yaml": "creation_rules: []\n" });
      warnings.length = 0;
      expect(findConfigFile({ cwd: join(dir, "p/q"), env: {}, warn: (m) => warnings.push(m) })).toBe(join(dir, ".sops.yaml"));
      expect(warnings[0]).toMatch(/ignoring .*\.sops\.yml: .*; using .*\.sops\.yaml$/);
    });
  });
});

describe("the schema's validator", () => {
  it("is compiled from schemas/sops-config.schema.json as it is now (node scripts/compile-schema.js)", async () => {
    // @ts-expect-error: a plain JS build script, no types
    const { validatorSource } = (await import("../scripts/compile-schema.js")) as { validatorSource: () => string };
    const committed = readFileSync(join(import.meta.dirname, "..", "src", "config", "sops-config.validate.ts"), "utf8");
    expect(committed === validatorSource(), "src/config/sops-config.validate.ts is stale: run `node scripts/compile-schema.js`").toBe(true);
  });
});

describe("loading and rules", () => {
  it("loads the sops fixture configs", async () => {
    const examples = await loadConfig(join(FIXTURES, "config-examples-pgp-age.sops.yaml"), quiet);
    expect(examples.creationRules).toHaveLength(1);
    // Folded, comma-separated strings; flat order age before pgp.
    expect(ids(examples.creationRules![0]!.groups)).toEqual([
      [
        "age:age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep",
        "age:age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw",
        "pgp:FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4",
        "pgp:D7229043384BCC60326C6FB9D8720D957C3D3074",
      ],
    ]);
    expect(examples.stores).toEqual({ yaml: {}, json: {}, json_binary: {} });

    const warnings: string[] = [];
    const functional = await loadConfig(join(FIXTURES, "config-functional-tests.sops.yaml"), { warn: (m) => warnings.push(m) });
    const rules = functional.creationRules!;
    expect(rules).toHaveLength(6);
    expect(ids(rules[0]!.groups)).toEqual([["pgp:FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"], ["pgp:D7229043384BCC60326C6FB9D8720D957C3D3074"]]);
    expect(rules[2]!.groups).toEqual([[]]); // no keys at all
    expect(rules[3]!.groups).toEqual([[]]); // key_groups: [] falls back to the (empty) flat form
    expect(rules[4]!.groups).toEqual([[]]); // one empty group: an error only when used
    expect(rules[5]!.pathRegex).toBeUndefined();
    // The fixture's misspelt `reencryption_rule` is ignored, as by sops, but no longer silently.
    expect(warnings).toEqual([expect.stringMatching(/destination_rules\[0\]\.reencryption_rule is not a sops option and is ignored$/)]);
    expect(selectCreationRule(functional, join(FIXTURES, "test_roundtrip_keygroups.yaml"))!.index).toBe(0);
    expect(selectCreationRule(functional, join(FIXTURES, "anything.yaml"))!.index).toBe(5);
  });

  it("matches paths relative to the config's directory, unanchored, first match wins", async () => {
    const cfg = await parseConfig(
      `creation_rules:
  - path_regex: ^secrets/
    age: ${a.recipient}
  - path_regex: \\.prod\\.yaml$
    age: ${b.recipient}
  - age: ${c.recipient}
`,
      "/repo/.sops.yaml",
      quiet,
    );
    const pick = (file: string, cwd = "/repo") => selectCreationRule(cfg, file, cwd)!.index;
    expect(pick("secrets/x.prod.yaml")).toBe(0);
    expect(pick("x.yaml", "/repo/secrets")).toBe(0); // relative to the cwd, then to the config dir
    expect(pick("app/secrets/x.yaml")).toBe(2); // ^ anchors at the config dir
    expect(pick("app/db.prod.yaml")).toBe(1); // unanchored search
    expect(pick("/elsewhere/secrets/x.yaml")).toBe(2); // outside: the absolute path is matched
    expect(pick("/elsewhere/db.prod.yaml")).toBe(1);
    // An unnamed input (stdin) can only take a leading catch-all rule.
    expect(selectCreationRule(cfg, undefined)).toBeUndefined();
  });

  it("fails with 'no matching creation rule' when rules exist and none matches", async () => {
    await withTempDir(async (dir) => {
      tree(dir, { ".sops.yaml": `creation_rules:\n  - path_regex: ^only/\n    age: ${a.recipient}\n` });
      const err = await rulesForFile("other.yaml", { cwd: dir, env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HushError);
      expect((err as HushError).code).toBe("CONFIG");
      expect((err as HushError).message).toBe(`no matching creation rule for other.yaml in .sops.yaml`);
      expect((await rulesForFile("only/x.yaml", { cwd: dir, env: {} }))!.index).toBe(0);
      // No creation_rules key: as if there were no config.
      tree(dir, { ".sops.yaml": "stores:\n  yaml:\n    indent: 2\n" });
      expect(await rulesForFile("other.yaml", { cwd: dir, env: {} })).toBeUndefined();
    });
  });

  it("reads every key kind, key_groups with merge and dedup, and sops's string syntaxes", async () => {
    const cfg = await parseConfig(
      `keys:
  ops: &ops
    age: ["${a.recipient}, ${b.recipient}"]
    pgp: ["FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4"]
creation_rules:
  - path_regex: flat
    hc_vault_transit_uri: https://vault:8200/v1/transit/keys/k
    azure_keyvault: https://v.vault.azure.net/keys/name/123
    gcp_kms: [projects/p/locations/global/keyRings/r/cryptoKeys/k]
    kms: "arn:aws:kms:us-east-1:1:key/a+arn:aws:iam::1:role/r, arn:aws:kms:us-east-1:1:key/b"
    aws_profile: prof
    age: ["${c.recipient},${a.recipient}"]
    hckms: [eu-west-0:1234]
  - path_regex: groups
    key_groups:
      - merge: [*ops]
        age: [${a.recipient}, ${c.recipient}]
        kms:
          - arn: arn:aws:kms:us-east-1:1:key/x
            role: arn:aws:iam::1:role/r
            context: {app: web, version: 1.10}
        azure_keyvault: [{vaultUrl: "https://v.vault.azure.net/", key: k, version: ""}]
        gcp_kms: [{resource_id: projects/p/locations/l/keyRings/r/cryptoKeys/k}]
        hc_vault: [https://vault:8200/v1/transit/keys/k]
      - pgp: [D7229043384BCC60326C6FB9D8720D957C3D3074]
    shamir_threshold: 2
`,
      "/repo/.sops.yaml",
      { ...quiet, kmsEncryptionContext: { env: "prod" } },
    );
    const [flat, groups] = cfg.creationRules!;
    expect(ids(flat!.groups)).toEqual([
      [
        `age:${c.recipient}`,
        `age:${a.recipient}`,
        'kms:{"arn":"arn:aws:kms:us-east-1:1:key/a","role":"arn:aws:iam::1:role/r","aws_profile":"prof","context":{"env":"prod"}}',
        'kms:{"arn":"arn:aws:kms:us-east-1:1:key/b","role":"","aws_profile":"prof","context":{"env":"prod"}}',
        "gcp_kms:projects/p/locations/global/keyRings/r/cryptoKeys/k",
        "hckms:eu-west-0:1234",
        "azure_kv:https://v.vault.azure.net/keys/name/123",
        "hc_vault:https://vault:8200/v1/transit/keys/k",
      ],
    ]);
    expect(ids(groups!.groups)).toEqual([
      [
        // merge first, then age (the duplicate of a merged key dropped), pgp, kms, gcp, azure, vault
        `age:${a.recipient}`,
        `age:${b.recipient}`,
        "pgp:FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4",
        `age:${c.recipient}`,
        // key_groups contexts come from the config only; scalars keep their text, as in yaml.v3
        'kms:{"arn":"arn:aws:kms:us-east-1:1:key/x","role":"arn:aws:iam::1:role/r","aws_profile":"","context":{"app":"web","version":"1.10"}}',
        "gcp_kms:projects/p/locations/l/keyRings/r/cryptoKeys/k",
        "azure_kv:https://v.vault.azure.net/keys/k",
        "hc_vault:https://vault:8200/v1/transit/keys/k",
      ],
      ["pgp:D7229043384BCC60326C6FB9D8720D957C3D3074"],
    ]);
    expect(groups!.shamirThreshold).toBe(2);
  });

  it("rejects invalid configs with one line naming the field and the reason", async () => {
    const rule = `  - age: ${"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"}\n`;
    const cases: [string, RegExp][] = [
      [`creation_rules:\n${rule}  - shamir_threshold: two\n`, /^\.sops\.yaml: creation_rules\[1\]\.shamir_threshold must be an integer \(got a string\)$/],
      [`creation_rules:\n  - shamir_threshold: -1\n`, /creation_rules\[0\]\.shamir_threshold must be at least 0$/],
      [`creation_rules:\n  - age: 5\n`, /creation_rules\[0\]\.age must be a string or a list \(got an integer\)$/],
      [`creation_rules:\n  - key_groups:\n      - kms: [{role: r}]\n`, /creation_rules\[0\]\.key_groups\[0\]\.kms\[0\] is missing "arn"$/],
      [`creation_rules: {age: x}\n`, /: creation_rules must be a list \(got a mapping\)$/],
      [`stores:\n  yaml:\n    indent: "4"\n`, /stores\.yaml\.indent must be an integer/],
      [`creation_rules:\n  - encrypted_regex: ^a$\n    unencrypted_suffix: _x\n`, /creation_rules\[0\] sets unencrypted_suffix and encrypted_regex: use at most one of/],
      [`creation_rules:\n  - path_regex: "("\n`, /creation_rules\[0\]\.path_regex is not a valid regular expression$/],
      [`creation_rules:\n  - encrypted_regex: "[a-"\n`, /creation_rules\[0\]\.encrypted_regex is not a valid regular expression$/],
      [`creation_rules:\n  - age: [\n`, /^\.sops\.yaml: not valid YAML: .*line 3, column 1$/],
      [`creation_rules:\n  - age: 1\n    pgp: 2\n`, /creation_rules\[0\]\.age must be .* \(and 1 more problem\)$/],
    ];
    for (const [text, re] of cases) {
      const e = await configError(text);
      expect(e.code, text).toBe("CONFIG");
      expect(e.exitCode).toBe(5);
      expect(e.message, text).toMatch(re);
      expect(e.message).not.toContain("\n");
    }
  });

  it("warns about keys sops ignores, and accepts what sops accepts", async () => {
    const warnings: string[] = [];
    const cfg = await parseConfig(
      `x-anchors: &k ${a.recipient}
creation_rules:
  - keygroups: []
    age: *k
    mac_only_encrypted: yes
    unencrypted_suffix: 1
stores:
  json: {indent: 2}
`,
      "/repo/.sops.yaml",
      { warn: (m) => warnings.push(m) },
    );
    expect(warnings).toEqual([expect.stringMatching(/creation_rules\[0\]\.keygroups is not a sops option and is ignored$/)]);
    const r = cfg.creationRules![0]!;
    expect(r.macOnlyEncrypted).toBe(true); // yaml.v3 takes YAML 1.1 booleans in a bool field
    expect(r.rules).toEqual({ unencrypted_suffix: "1" }); // and any scalar's text in a string field
    expect(storeIndent(cfg.stores, "json")).toBe(2);
    expect(storeIndent(cfg.stores, "yaml")).toBeUndefined();
  });
});

describe("precedence (sops's keyGroups / getEncryptConfig)", () => {
  it("key flags or their variables replace the config's keys; options come from the flags, else the rule", async () => {
    await withTempDir(async (dir) => {
      tree(dir, {
        ".sops.yaml": `creation_rules:\n  - path_regex: ^s/\n    encrypted_regex: ^pw$\n    shamir_threshold: 3\n    mac_only_encrypted: true\n    age: ${a.recipient}\n`,
      });
      const base = { cwd: dir, env: {}, ...quiet };
      const fromConfig = await encryptionSettings({ ...base, file: "s/x.yaml" });
      expect(ids(fromConfig.groups)).toEqual([[`age:${a.recipient}`]]);
      expect(fromConfig).toMatchObject({ rules: { encrypted_regex: "^pw$" }, shamirThreshold: 3, macOnlyEncrypted: true, ruleIndex: 0 });

      const env = { SOPS_AGE_RECIPIENTS: b.recipient };
      const keys = keySpecsFromFlags({}, env);
      const fromEnv = await encryptionSettings({ ...base, file: "s/x.yaml", keys, rules: { unencrypted_suffix: "_u" }, shamirThreshold: 2 });
      expect(ids(fromEnv.groups)).toEqual([[`age:${b.recipient}`]]);
      expect(fromEnv).toMatchObject({ rules: { unencrypted_suffix: "_u" }, shamirThreshold: 2, macOnlyEncrypted: true });

      // With keys given, a config whose rules do not match is no error (getsops/sops#1790).
      expect((await encryptionSettings({ ...base, file: "other.yaml", keys })).ruleIndex).toBeUndefined();
      await expect(encryptionSettings({ ...base, file: "other.yaml" })).rejects.toMatchObject({ code: "CONFIG" });
      await expect(encryptionSettings({ ...base, file: undefined })).rejects.toMatchObject({ code: "CONFLICTING_PARAMETERS" });
    });
  });

  it("orders a command-line group as sops does and parses the ARN and context syntax", () => {
    const env = { SOPS_PGP_FP: "AAAA BBBB", SOPS_VAULT_URIS: "https://v:8200/v1/t/keys/k" };
    const g = keySpecsFromFlags({ age: a.recipient, kms: "arn:aws:kms:r:1:key/k+arn:aws:iam::1:role/x", awsProfile: "p", encryptionContext: "a:1,b:2" }, env)!;
    expect(g.map((k) => k.kind)).toEqual(["kms", "pgp", "hc_vault", "age"]);
    expect(g[0]!.spec).toEqual({ arn: "arn:aws:kms:r:1:key/k", role: "arn:aws:iam::1:role/x", aws_profile: "p", context: { a: "1", b: "2" } });
    expect(g[1]!.spec).toBe("AAAABBBB");
    expect(keySpecsFromFlags({}, {})).toBeUndefined();
    expect(keySpecsFromFlags({ pgp: "" }, { SOPS_PGP_FP: "" })).toBeUndefined();
    expect(() => keySpecsFromFlags({ encryptionContext: "a:1:2" }, {})).toThrow(expect.objectContaining({ code: "INVALID_KMS_CONTEXT", exitCode: 6 }));
  });
});

describe("hush encrypt with a .sops.yaml (the built CLI)", () => {
  const PLAIN = "db:\n    user: app\n    password: hunter2\n";
  const repoConfig = () => `# a repository with several creation rules
creation_rules:
  - path_regex: ^secrets/prod/.*\\.yaml$
    encrypted_regex: ^password$
    age: ${a.recipient}
  - path_regex: \\.json$
    age: >-
      ${a.recipient},
      ${b.recipient}
  - path_regex: ^secrets/
    unencrypted_regex: ^user$
    key_groups:
      - age: [${b.recipient}]
      - age: [${c.recipient}]
`;

  it("picks recipients and selection options per path, from a nested working directory", async () => {
    await withTempDir((dir) => {
      tree(dir, {
        ".sops.yaml": repoConfig(),
        "secrets/prod/db.yaml": PLAIN,
        "secrets/dev/db.yaml": PLAIN,
        "app/config.json": '{"password": "hunter2", "user": "app"}\n',
        "app/src/.keep": "",
      });
      const cwd = join(dir, "app/src");
      const prod = runHush(["encrypt", "../../secrets/prod/db.yaml"], { cwd });
      expect(prod.stderr).toBe("");
      expect(prod.status).toBe(0);
      expect(ageRecipients(prod.stdout)).toEqual([[a.recipient]]);
      expect(prod.stdout).toContain("    user: app\n"); // encrypted_regex: only password
      expect(prod.stdout).toMatch(/password: ENC\[/);
      expect(prod.stdout).toContain("encrypted_regex: ^password$");

      const dev = runHush(["encrypt", join(dir, "secrets/dev/db.yaml")], { cwd });
      expect(dev.status).toBe(0);
      expect(ageRecipients(dev.stdout)).toEqual([[b.recipient], [c.recipient]]);
      expect(dev.stdout).toContain("unencrypted_regex: ^user$");
      expect(dev.stdout).toContain("shamir_threshold: 2"); // all groups, written as sops does

      const json = runHush(["encrypt", "../config.json"], { cwd });
      expect(json.status).toBe(0);
      const meta = (JSON.parse(json.stdout) as { sops: { age: { recipient: string }[]; unencrypted_suffix: string } }).sops;
      expect(meta.age.map((e) => e.recipient)).toEqual([a.recipient, b.recipient]);
      expect(meta.unencrypted_suffix).toBe("_unencrypted");

      // Decrypts with the rule's key only.
      writeFileSync(join(dir, "prod.enc.yaml"), prod.stdout);
      const dec = runHush(["decrypt", join(dir, "prod.enc.yaml")], { env: cleanEnv({ SOPS_AGE_KEY: a.identity }) });
      expect(dec.stdout).toBe(PLAIN);
    });
  });

  it("key flags and SOPS_AGE_RECIPIENTS replace the rule's keys but keep its options; --config and SOPS_CONFIG choose the file", async () => {
    await withTempDir((dir) => {
      tree(dir, { "conf/sops.yaml": repoConfig(), "secrets/prod/db.yaml": PLAIN, "other/x.yaml": PLAIN });
      // No .sops.yaml is found from dir; the config is given explicitly, and its directory is what
      // paths are matched against.
      const file = join(dir, "secrets/prod/db.yaml");
      const noConfig = runHush(["encrypt", file], { cwd: dir });
      expect(noConfig.status).toBe(111);
      tree(dir, { "conf/secrets/prod/db.yaml": PLAIN });
      const viaFlag = runHush(["encrypt", "--config", "conf/sops.yaml", "conf/secrets/prod/db.yaml"], { cwd: dir });
      expect(viaFlag.status).toBe(0);
      expect(ageRecipients(viaFlag.stdout)).toEqual([[a.recipient]]);
      const viaEnv = runHush(["encrypt", "conf/secrets/prod/db.yaml"], { cwd: dir, env: cleanEnv({ SOPS_CONFIG: join(dir, "conf/sops.yaml") }) });
      expect(ageRecipients(viaEnv.stdout)).toEqual([[a.recipient]]);

      const env = cleanEnv({ SOPS_CONFIG: join(dir, "conf/sops.yaml"), SOPS_AGE_RECIPIENTS: c.recipient });
      const envKeys = runHush(["encrypt", "conf/secrets/prod/db.yaml"], { cwd: dir, env });
      expect(envKeys.status).toBe(0);
      expect(ageRecipients(envKeys.stdout)).toEqual([[c.recipient]]);
      expect(envKeys.stdout).toContain("encrypted_regex: ^password$"); // §14-Q27: options still from the rule
      const flagKeys = runHush(["encrypt", "--age", b.recipient, "--encrypted-suffix", "word", "conf/secrets/prod/db.yaml"], { cwd: dir, env });
      expect(ageRecipients(flagKeys.stdout)).toEqual([[b.recipient]]);
      expect(flagKeys.stdout).toContain("encrypted_suffix: word");
      expect(flagKeys.stdout).not.toContain("encrypted_regex");

      // A file no rule matches: an error without key flags, fine with them.
      const none = runHush(["encrypt", "--config", "conf/sops.yaml", "other/x.yaml"], { cwd: dir });
      expect(none.status).toBe(5);
      expect(none.stderr).toMatch(/^hush: error: no matching creation rule for .*other\/x\.yaml in conf\/sops\.yaml\n/);
      expect(runHush(["encrypt", "--config", "conf/sops.yaml", "--age", a.recipient, "other/x.yaml"], { cwd: dir }).status).toBe(0);

      // A malformed --encryption-context is sops's exit 6; a missing --config file is a config error.
      expect(runHush(["encrypt", "--age", a.recipient, "--encryption-context", "nope", "other/x.yaml"], { cwd: dir }).status).toBe(6);
      const missing = runHush(["encrypt", "--config", "nope.yaml", "other/x.yaml"], { cwd: dir });
      expect(missing.status).toBe(5);
      expect(missing.stderr).toMatch(/cannot read the config file nope\.yaml: ENOENT/);
    });
  });

  it("uses stores.*.indent as the default --indent", async () => {
    await withTempDir((dir) => {
      tree(dir, { ".sops.yaml": `creation_rules:\n  - age: ${a.recipient}\nstores:\n  yaml:\n    indent: 2\n`, "x.yaml": "a: 1\n" });
      const two = runHush(["encrypt", "x.yaml"], { cwd: dir });
      expect(two.stdout).toMatch(/\nsops:\n {2}age:\n {4}- enc: \|/);
      const flag = runHush(["encrypt", "--indent", "4", "x.yaml"], { cwd: dir });
      expect(flag.stdout).toMatch(/\nsops:\n {4}age:\n/);
    });
  });

  it("an invalid config fails with exit 5 naming the field, and writes nothing", async () => {
    await withTempDir((dir) => {
      tree(dir, {
        ".sops.yaml": `creation_rules:\n  - path_regex: ^a/\n    age: ${a.recipient}\n  - shamir_threshold: two\n    age: ${b.recipient}\n`,
        "x.yaml": PLAIN,
      });
      for (const args of [["-i", "x.yaml"], ["--output", "out.yaml", "x.yaml"], ["--age", a.recipient, "-i", "x.yaml"]]) {
        const r = runHush(["encrypt", ...args], { cwd: dir });
        expect(r.status).toBe(5);
        expect(r.stderr.split("\n")[0]).toBe("hush: error: .sops.yaml: creation_rules[1].shamir_threshold must be an integer (got a string)");
        expect(r.stdout).toBe("");
        expect(readFileSync(join(dir, "x.yaml"), "utf8")).toBe(PLAIN);
        expect(readdirSync(dir).sort()).toEqual([".sops.yaml", "x.yaml"]);
      }
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - encrypted_regex: "(unclosed"\n    age: ${a.recipient}\n`);
      const re = runHush(["encrypt", "-i", "x.yaml"], { cwd: dir });
      expect(re.status).toBe(5);
      expect(re.stderr).toMatch(/^hush: error: \.sops\.yaml: creation_rules\[0\]\.encrypted_regex is not a valid regular expression\n/);
      expect(existsSync(join(dir, "out.yaml"))).toBe(false);
      expect(readFileSync(join(dir, "x.yaml"), "utf8")).toBe(PLAIN);
    });
  });
});

describe("key groups with Shamir (three groups, threshold 2)", () => {
  it("decrypts with the keys of any two groups and fails clearly with one", async () => {
    await withTempDir((dir) => {
      tree(dir, {
        ".sops.yaml": `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n      - age: [${c.recipient}]\n`,
        "s.yaml": "token: abc\nnested:\n    n: 1\n",
      });
      const enc = runHush(["encrypt", "-i", "s.yaml"], { cwd: dir });
      expect(enc.stderr).toBe("");
      expect(enc.status).toBe(0);
      const text = readFileSync(join(dir, "s.yaml"), "utf8");
      expect(ageRecipients(text)).toEqual([[a.recipient], [b.recipient], [c.recipient]]);
      expect(text).toMatch(/\n {4}shamir_threshold: 2\n/);
      expect(text).toMatch(/\n {10}hc_vault: \[\]\n/); // sops 3.13's group layout (§7.6)
      expect(text).not.toMatch(/\n {4}age:/); // no flat lists with several groups

      const file = join(dir, "s.yaml");
      for (const pair of [[a, b], [a, c], [b, c], [a, b, c]]) {
        const r = runHush(["decrypt", file], { env: cleanEnv({ SOPS_AGE_KEY: pair.map((k) => k.identity).join("\n") }) });
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe("token: abc\nnested:\n    n: 1\n");
      }
      for (const one of [a, b, c]) {
        const r = runHush(["decrypt", file], { env: cleanEnv({ SOPS_AGE_KEY: one.identity }) });
        expect(r.status).toBe(128);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(/^hush: error: could not decrypt the data key: 1 of 3 key groups decrypted, 2 needed/);
      }
    });
  });

  it("--shamir-secret-sharing-threshold overrides the rule's, and an impossible threshold fails before writing", async () => {
    await withTempDir((dir) => {
      tree(dir, {
        ".sops.yaml": `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n      - age: [${c.recipient}]\n`,
        "s.yaml": "token: abc\n",
      });
      const three = runHush(["encrypt", "--shamir-secret-sharing-threshold", "3", "s.yaml"], { cwd: dir });
      expect(three.status).toBe(0);
      expect(three.stdout).toMatch(/\n {4}shamir_threshold: 3\n/);
      writeFileSync(join(dir, "t.enc.yaml"), three.stdout);
      const two = runHush(["decrypt", join(dir, "t.enc.yaml")], { env: cleanEnv({ SOPS_AGE_KEY: `${a.identity}\n${b.identity}` }) });
      expect(two.status).toBe(128);
      expect(two.stderr).toMatch(/2 of 3 key groups decrypted, 3 needed/);
      const bad = runHush(["encrypt", "-i", "--shamir-secret-sharing-threshold", "4", "s.yaml"], { cwd: dir });
      expect(bad.status).toBe(5);
      expect(readFileSync(join(dir, "s.yaml"), "utf8")).toBe("token: abc\n");
    });
  });
});
