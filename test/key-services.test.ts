// Every key service descriptor (src/keys/<service>.ts, listed in src/keys/index.ts) reaches every
// place that lists services: the key flags and their variables, `--help` of encrypt, edit and
// rotate, `--decryption-order`, `.sops.yaml` parsing (flat rule and key_groups), the metadata
// reader and writer, the JSON Schema of .sops.yaml, and a lazily loaded client. A new descriptor
// without a sample below fails here, so a service cannot be half added.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KEY_SERVICES, keyFlagOptions, keyService, rotateFlagOptions } from "../src/keys/index.js";
import type { KeyKind } from "../src/keys/key-source.js";
import { keySpecsFromFlags, parseConfig } from "../src/config/index.js";
import { addAgeRecipient } from "../src/config/edit.js";
import { metadataToNode, readMetadata } from "../src/core/metadata.js";
import type { MetaNode } from "../src/model/metadata.js";
import { parseDecryptionOrder } from "../src/cli/commands/decrypt.js";
import { withoutKeyEnv } from "../src/exec/key-env.js";
import { cleanEnv, ROOT, runHush } from "./helpers.js";

/** One recipient per service: as a flag value, as a key_groups item, and the kind's entry id. */
const SAMPLES: Record<string, { flag: string; group: unknown }> = {
  age: { flag: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", group: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p" },
  pgp: { flag: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", group: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4" },
  kms: { flag: "arn:aws:kms:us-east-1:111122223333:key/k", group: { arn: "arn:aws:kms:us-east-1:111122223333:key/k" } },
  gcp_kms: { flag: "projects/p/locations/global/keyRings/r/cryptoKeys/k", group: { resource_id: "projects/p/locations/global/keyRings/r/cryptoKeys/k" } },
  azure_kv: { flag: "https://v.vault.azure.net/keys/k/1", group: { vaultUrl: "https://v.vault.azure.net", key: "k", version: "1" } },
  hc_vault: { flag: "https://vault.example:8200/v1/transit/keys/k", group: "https://vault.example:8200/v1/transit/keys/k" },
  hckms: { flag: "cn-north-4:0d0466b0-e727-4d9c-b35d-f84bb474a37f", group: { key_id: "cn-north-4:0d0466b0-e727-4d9c-b35d-f84bb474a37f" } },
};

const quiet = { cwd: "/repo", warn: () => {} };

describe("key service descriptors", () => {
  it("every descriptor has a sample here, and kinds, flags and variables are unique", () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(KEY_SERVICES.map((s) => s.kind).sort());
    const flags = keyFlagOptions().map((o) => o.flags.replace(/ <.*/, ""));
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(KEY_SERVICES.map((s) => s.flags.env)).size).toBe(KEY_SERVICES.length);
    expect(new Set(KEY_SERVICES.map((s) => s.config.flat)).size).toBe(KEY_SERVICES.length);
    for (const s of KEY_SERVICES) expect(s.entryFields).toContain(s.idField);
  });

  it.each(KEY_SERVICES.map((s) => [s.kind]))("%s: its flag and its variable name one recipient of its kind", (kind) => {
    const s = keyService(kind as KeyKind);
    const option = keyFlagOptions().find((o) => o.kind === kind && o.env === s.flags.env)!;
    const byFlag = keySpecsFromFlags({ [option.attribute]: SAMPLES[kind]!.flag }, {})!;
    expect(byFlag.map((k) => k.kind)).toEqual([kind]);
    const byEnv = keySpecsFromFlags({}, { [s.flags.env]: SAMPLES[kind]!.flag })!;
    expect(byEnv).toEqual(byFlag);
    expect(parseDecryptionOrder(kind)).toEqual([kind]);
  });

  it.each(KEY_SERVICES.map((s) => [s.kind]))("%s: a flat rule and a key group in .sops.yaml parse into it", async (kind) => {
    const s = keyService(kind as KeyKind);
    const sample = SAMPLES[kind]!;
    const flat = `creation_rules:\n  - ${s.config.flat}: ${JSON.stringify(s.config.flatForm === "list" ? [sample.flag] : sample.flag)}\n`;
    const cf = await parseConfig(flat, "/repo/.sops.yaml", quiet);
    expect(cf.creationRules![0]!.groups[0]!.map((k) => k.kind)).toEqual([kind]);
    const groups = `creation_rules:\n  - key_groups:\n      - ${s.config.group}: ${JSON.stringify([sample.group])}\n`;
    const cg = await parseConfig(groups, "/repo/.sops.yaml", quiet);
    expect(cg.creationRules![0]!.groups[0]!).toEqual(cf.creationRules![0]!.groups[0]!);
  });

  it.each(KEY_SERVICES.map((s) => [s.kind]))("%s: a rule naming only its keys counts as naming keys when invite edits .sops.yaml", (kind) => {
    const s = keyService(kind as KeyKind);
    const sample = SAMPLES[kind]!;
    const flat = `creation_rules:\n  - ${s.config.flat}: ${JSON.stringify(s.config.flatForm === "list" ? [sample.flag] : sample.flag)}\n  - path_regex: none\n`;
    const newcomer = "age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg";
    expect(addAgeRecipient(flat, newcomer).changed).toEqual([0]);
  });

  it.each(KEY_SERVICES.map((s) => [s.kind]))("%s: metadata entries read and write with its fields, flat and in key groups", (kind) => {
    const s = keyService(kind as KeyKind);
    const entry: Record<string, unknown> = {};
    for (const f of s.entryFields) entry[f] = s.mapFields?.includes(f) ? { a: "1" } : f === "created_at" ? "2026-01-02T03:04:05Z" : `${f}-value`;
    const base = { lastmodified: "2026-01-02T03:04:05Z", mac: "ENC[x]", version: "3.13.2" };
    const meta = readMetadata({ ...base, [kind]: [entry] });
    expect(meta.keyGroups).toEqual([[{ kind, entry }]]);
    const node = metadataToNode(meta);
    const list = node.get(kind) as Map<string, MetaNode>[];
    expect([...list[0]!.keys()]).toEqual(s.entryFields);
    // Two groups: written under key_groups, and read back the same.
    const two = readMetadata({ ...base, key_groups: [{ [kind]: [entry] }, { age: [{ recipient: "age1x", enc: "e" }] }] });
    const written = metadataToNode(two).get("key_groups") as Map<string, MetaNode>[];
    expect(written[0]!.get(kind)).toEqual(list);
  });

  it("each descriptor loads a client lazily, with a recipient and an unwrapper", async () => {
    for (const s of KEY_SERVICES) {
      const client = await s.load();
      expect(typeof client.recipient, s.kind).toBe("function");
      expect(typeof client.unwrapper, s.kind).toBe("function");
    }
  });

  it("hush encrypt --help, edit --help and rotate --help list every service's flags; hush --help runs", () => {
    const env = cleanEnv();
    expect(runHush(["--help"], { env }).status).toBe(0);
    const encrypt = runHush(["encrypt", "--help"], { env }).stdout;
    const edit = runHush(["edit", "--help"], { env }).stdout;
    const rotate = runHush(["rotate", "--help"], { env }).stdout;
    for (const s of KEY_SERVICES) {
      const flag = `--${s.flags.recipients.name} <${s.flags.recipients.value}>`;
      for (const help of [encrypt, edit]) {
        expect(help).toContain(flag);
        expect(help.replace(/\s+/g, " ")).toContain(`(env ${s.flags.env})`);
      }
      for (const x of s.flags.extra ?? []) expect(encrypt).toContain(`--${x.name} <${x.value}>`);
    }
    for (const { add, rm } of rotateFlagOptions()) {
      expect(rotate).toContain(add.flags);
      expect(rotate).toContain(rm.flags);
    }
  });

  it("every service's secret variables are taken from exec-env's child (derived, not a list to keep in step) and named in README", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const all: Record<string, string> = { PATH: "/usr/bin", SOPS_AGE_KEY_FILE: "/k.txt" };
    for (const s of KEY_SERVICES) {
      // Every service that authenticates with something in the environment declares it; PGP's
      // secrets live in GnuPG (its agent, its home), whose path is kept.
      if (s.kind !== "pgp") expect(s.secretEnv.length, s.kind).toBeGreaterThan(0);
      for (const name of s.secretEnv) {
        all[name] = "secret";
        expect(readme, `README names ${name}`).toContain(`\`${name}\``);
      }
    }
    const { env, removed } = withoutKeyEnv(all);
    expect(Object.keys(env).sort()).toEqual(["PATH", "SOPS_AGE_KEY_FILE"]);
    expect(removed.sort()).toEqual(KEY_SERVICES.flatMap((s) => s.secretEnv).sort());
  });

  it("schemas/sops-config.schema.json names exactly the descriptors' rule and key group fields", () => {
    const schema = JSON.parse(readFileSync(join(ROOT, "schemas", "sops-config.schema.json"), "utf8")) as {
      definitions: Record<string, { properties: Record<string, { $ref?: string }> }>;
    };
    const rule = schema.definitions["creationRule"]!.properties;
    const group = schema.definitions["keyGroup"]!.properties;
    for (const s of KEY_SERVICES) {
      expect(rule[s.config.flat]?.$ref, s.config.flat).toBe(s.config.flatForm === "list" ? "#/definitions/textList" : "#/definitions/keyList");
      expect(group[s.config.group], s.config.group).toBeDefined();
    }
    const ruleKeyFields = Object.keys(rule).filter((k) => ["#/definitions/keyList", "#/definitions/textList"].includes(rule[k]!.$ref ?? ""));
    expect(ruleKeyFields.sort()).toEqual(KEY_SERVICES.map((s) => s.config.flat).sort());
    expect(Object.keys(group).filter((k) => k !== "merge").sort()).toEqual(KEY_SERVICES.map((s) => s.config.group).sort());
  });
});
