// Editing .sops.yaml recipients (invite, revoke): only the recipient's bytes change; comments,
// quoting, indentation and folded `age: >-` lists stay as written.
import { describe, expect, it } from "vitest";
import { addAgeRecipient, ageRecipientsByRule, initialConfig, removeAgeRecipient } from "../src/config/edit.js";
import { parseConfig } from "../src/config/index.js";

const A = "age1aaa";
const B = "age1bbb";
const C = "age1ccc";

describe(".sops.yaml recipient edits", () => {
  it("adds to and removes from a block list, keeping comments and names", () => {
    const src = `# top comment
creation_rules:
    # the secrets
    - path_regex: \\.enc\\.yaml$   # trailing
      age:
          - ${A}  # alice
          - ${B} # bob
      pgp: ABCDEF
    - path_regex: ^public/
      age: []
`;
    const added = addAgeRecipient(src, C, { name: "carol" });
    expect(added.changed).toEqual([0]); // a rule that names no keys is left alone
    expect(added.text).toBe(src.replace(`          - ${B} # bob\n`, `          - ${B} # bob\n          - ${C}  # carol\n`));
    const removed = removeAgeRecipient(added.text, B);
    expect(removed.changed).toEqual([0]);
    expect(removed.text).toBe(added.text.replace(`          - ${B} # bob\n`, ""));
    expect(ageRecipientsByRule(removed.text)).toEqual([[[A, C]], [[]]]);
    // Named explicitly, an empty flow list gets the recipient too.
    expect(addAgeRecipient(src, C, { rules: [1] }).text).toBe(src.replace("      age: []", `      age: [${C}]`));
  });

  it("keeps a comma list (plain or folded) as a comma list", () => {
    const plain = `creation_rules:\n  - age: ${A},${B}\n`;
    expect(addAgeRecipient(plain, C).text).toBe(`creation_rules:\n  - age: ${A},${B},${C}\n`);
    expect(removeAgeRecipient(plain, A).text).toBe(`creation_rules:\n  - age: ${B}\n`);
    const folded = `creation_rules:\n  - path_regex: x\n    age: >-\n      ${A},\n      ${B}\n  - age: ${A}\n`;
    expect(addAgeRecipient(folded, C, { rules: [0] }).text).toBe(`creation_rules:\n  - path_regex: x\n    age: >-\n      ${A},\n      ${B},\n      ${C}\n  - age: ${A}\n`);
    expect(removeAgeRecipient(folded, A).text).toBe(`creation_rules:\n  - path_regex: x\n    age: >-\n      ${B}\n  - age: ""\n`);
  });

  it("adds to the first key group, and removes from every group", () => {
    const src = `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age:\n          - ${A}\n      - age:\n          - ${B}\n          - ${A}\n`;
    const added = addAgeRecipient(src, C);
    expect(ageRecipientsByRule(added.text)).toEqual([[[A, C], [B, A]]]);
    const removed = removeAgeRecipient(added.text, A);
    expect(ageRecipientsByRule(removed.text)).toEqual([[[C], [B]]]);
  });

  it("adds an age list to a rule that has other keys only", () => {
    const src = `creation_rules:\n  - path_regex: x\n    kms: arn:aws:kms:us-east-1:1:key/k\n  - path_regex: y\n`;
    const added = addAgeRecipient(src, C, { name: "carol" });
    expect(added.changed).toEqual([0]); // the rule without keys is left alone
    expect(added.text).toBe(`creation_rules:\n  - path_regex: x\n    kms: arn:aws:kms:us-east-1:1:key/k\n    age:\n        - ${C}  # carol\n  - path_regex: y\n`);
  });

  it("removing the last entry of a block list leaves age: []", () => {
    const src = `creation_rules:\n  - age:\n      - ${A} # alice\n    pgp: X\n`;
    expect(removeAgeRecipient(src, A).text).toBe(`creation_rules:\n  - age: []\n    pgp: X\n`);
  });

  it("is a no-op when there is nothing to do", () => {
    const src = `creation_rules:\n  - age: ${A}\n`;
    expect(addAgeRecipient(src, A)).toEqual({ text: src, changed: [] });
    expect(removeAgeRecipient(src, B)).toEqual({ text: src, changed: [] });
  });

  it("writes an initial config that sops's rules parse back", async () => {
    const text = initialConfig([{ recipient: A, name: "me@example.com" }, { recipient: B, name: "recovery key (kept offline)" }], String.raw`\.enc\.(yaml|yml|json|env|ini)$`);
    const config = await parseConfig(text, "/x/.sops.yaml", { cwd: "/x" });
    expect(config.creationRules?.[0]?.pathRegex).toBe(String.raw`\.enc\.(yaml|yml|json|env|ini)$`);
    expect(config.creationRules?.[0]?.groups).toEqual([[{ kind: "age", spec: A }, { kind: "age", spec: B }]]);
    expect(text).toContain(`      - ${A}  # me@example.com\n`);
  });
});
