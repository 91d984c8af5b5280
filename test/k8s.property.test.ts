// Property test (fast-check): an arbitrary encrypted document → `hush k8s secret`'s manifest →
// read back by a YAML 1.1 reader (kubectl's) and a YAML 1.2 reader (kustomize's) gives exactly the
// variables `hush exec-env` would give (Secrets.toEnv, an independent implementation), without the
// nulls; or, when a name cannot be a Secret key, a USAGE error and no manifest.
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { emitTrees } from "../src/formats/index.js";
import type { TreeMap, TreeNode } from "../src/model/tree.js";
import { encrypt, load, isHushError } from "../src/lib/index.js";
import { secretManifest } from "../src/k8s/index.js";
import { scalar } from "./support/arbitraries.js";
import { withTempDir } from "./helpers.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

let identity: string;
let recipient: string;

beforeAll(() => {
  const r = spawnSync("age-keygen", [], { encoding: "utf8" });
  identity = r.stdout.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
  recipient = /public key: (age1\S+)/.exec(r.stdout + r.stderr)![1]!;
});

/** Keys that are mostly valid Secret keys (letters, digits, - _ .), sometimes not. */
const secretKey = fc.oneof(
  { weight: 9, arbitrary: fc.stringMatching(/^[A-Za-z][-._A-Za-z0-9]{0,8}$/) },
  { weight: 1, arbitrary: fc.constantFrom("with space", "ümlaut", "a/b", "") },
);

const { tree } = fc.letrec<{ tree: TreeMap; node: TreeNode; list: TreeNode[] }>((tie) => ({
  tree: fc.uniqueArray(fc.tuple(secretKey, tie("node")), { selector: ([k]) => k, maxLength: 5 }).map((e) => new Map(e)),
  list: fc.array(tie("node"), { maxLength: 3 }),
  node: fc.oneof({ depthSize: "small" }, scalar.map((value) => ({ value })), tie("tree"), tie("list")),
}));

function nullPaths(n: TreeNode, prefix: (string | number)[] = []): (string | number)[][] {
  if (n instanceof Map) return [...n].flatMap(([k, v]) => nullPaths(v, [...prefix, k]));
  if (Array.isArray(n)) return n.flatMap((v, i) => nullPaths(v, [...prefix, i]));
  return n.value === null ? [prefix] : [];
}

describe("hush k8s secret: the manifest holds exactly exec-env's variables", () => {
  it("for arbitrary YAML and JSON documents, in data and in stringData", async () => {
    await withTempDir(async (dir) => {
      const env = { SOPS_AGE_KEY: identity };
      await fc.assert(
        fc.asyncProperty(tree, fc.constantFrom("yaml" as const, "json" as const), fc.boolean(), async (t, format, stringData) => {
          const enc = await encrypt({ text: emitTrees(format, [t]), format }, { age: recipient });
          const file = join(dir, `s.enc.${format}`);
          writeFileSync(file, enc);
          let expected: Record<string, string>;
          try {
            const s = await load(file, { env });
            expected = { ...s.toEnv() };
            s.dispose();
          } catch (e) {
            fc.pre(!isHushError(e)); // a name exec-env refuses (NUL, '=', a collision): not this property
            throw e;
          }
          const { envName } = await import("../src/model/env.js");
          for (const p of nullPaths(t)) delete expected[envName(p)];
          const valid = Object.keys(expected).every((k) => /^[-._a-zA-Z0-9]+$/.test(k) && k.length <= 253);
          let out: string;
          try {
            out = await secretManifest([file], { name: "s", env, ...(stringData ? { stringData: true } : {}) });
          } catch (e) {
            expect(isHushError(e) && !valid).toBe(true);
            return;
          }
          expect(valid).toBe(true);
          for (const version of ["1.1", "1.2"] as const) {
            const m = parseYaml(out, { version });
            expect(m.apiVersion).toBe("v1");
            expect(m.kind).toBe("Secret");
            const got: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.data ?? {})) got[k] = Buffer.from(v as string, "base64").toString("utf8");
            for (const [k, v] of Object.entries(m.stringData ?? {})) got[k] = v as string;
            expect(got).toEqual(expected);
            if (!stringData) expect(m.stringData).toBeUndefined();
          }
        }),
        { numRuns: Number(process.env["HUSH_PROPERTY_RUNS"] ?? 60) },
      );
    });
  });
});
