// Shared by the lean YAML tests (yaml-lean.test.ts, yaml-lean-stream.test.ts): generated YAML
// documents to encrypt, and everything a loaded document shows, to compare a lean load with the
// full path's.
import fc from "fast-check";
import type { Secrets } from "../../src/lib/load.js";
import { formatFloatF } from "../../src/model/go-number.js";
import type { PlainValue } from "../../src/model/value.js";
import type { TreeMap, TreeNode } from "../../src/model/tree.js";

const BREAKS = /[\n\r\u0085\u2028\u2029]/;
const word = fc.constantFrom("a", "db", "password", "x_y", "Key-1", "sops", "env", "é", "ключ", "日本", "true", "1", "null", "a b", "'q'", "k#x", "a:b");
const key = fc.oneof(
  word,
  word.map((w) => `${w}_unencrypted`),
  fc.string({ unit: "grapheme", maxLength: 8 }).filter((k) => !BREAKS.test(k) && Buffer.byteLength(k) <= 128),
);

/**
 * Documents (no top-level `sops` key) of keys of every shape and values of every type: random
 * strings up to `maxString` graphemes, the given `strings`, ints, floats, bools and nulls.
 */
export function yamlDocuments(strings: readonly string[], maxString: number): fc.Arbitrary<TreeMap> {
  const scalar: fc.Arbitrary<PlainValue | null> = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: maxString }).map((text) => ({ type: "str", text }) as const),
    fc.constantFrom(...strings).map((text) => ({ type: "str", text }) as const),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({ type: "int", text: n.toString() }) as const),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)).map((x) => ({ type: "float", text: formatFloatF(x) }) as const),
    fc.boolean().map((b) => ({ type: "bool", text: b ? "True" : "False" }) as const),
    fc.constant(null),
  );
  const { tree } = fc.letrec<{ tree: TreeMap; node: TreeNode; list: TreeNode[] }>((tie) => ({
    tree: fc.uniqueArray(fc.tuple(key, tie("node")), { selector: ([k]) => k, maxLength: 5 }).map((entries) => new Map(entries)),
    list: fc.array(tie("node"), { maxLength: 4 }),
    node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar.map((value) => ({ value })), tie("tree"), tie("list")),
  }));
  return tree.filter((t) => !t.has("sops"));
}

/** Everything a loaded document shows (with its metadata when `metadata`), or the error code. */
export function secretsView(s: Secrets, metadata: boolean): unknown {
  const attempt = (fn: () => unknown) => {
    try {
      return fn();
    } catch (e) {
      return `error ${(e as { code?: string }).code ?? String(e)}`;
    }
  };
  const keys = s.keys();
  return {
    object: attempt(() => s.toObject()),
    keys,
    env: attempt(() => s.toEnv()),
    each: keys.map((k) => [k, attempt(() => s.get(k)), s.has(k), attempt(() => s.getBuffer(k))]),
    missing: [s.get("no.such.key"), s.has("nope"), attempt(() => s.get(["a", 0, "b"]))],
    ...(metadata ? { metadata: s.metadata } : {}),
  };
}
