/** fast-check arbitraries for documents: trees of maps, lists and typed scalars. */
import fc from "fast-check";
import { formatFloatF } from "../../src/model/go-number.js";
import type { PlainValue } from "../../src/model/value.js";
import type { TreeMap, TreeNode } from "../../src/model/tree.js";
import type { KeyRecipient } from "../../src/keys/key-source.js";

export const BREAKS = /[\n\r\u0085\u2028\u2029]/;
const key = fc.string({ unit: "grapheme", maxLength: 10 }).filter((k) => !BREAKS.test(k) && Buffer.byteLength(k) <= 128);

export const scalar: fc.Arbitrary<PlainValue | null> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 30 }).map((text) => ({ type: "str", text }) as const),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({ type: "int", text: n.toString() }) as const),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    // -0 becomes int 0 on the next read, in sops too (SOPS-FORMAT §14-Q4).
    .filter((x) => !Object.is(x, -0))
    .map((x) => ({ type: "float", text: formatFloatF(x) }) as const),
  fc.boolean().map((b) => ({ type: "bool", text: b ? "True" : "False" }) as const),
  fc.constant(null),
);

const { tree } = fc.letrec<{ tree: TreeMap; node: TreeNode; list: TreeNode[] }>((tie) => ({
  tree: fc
    .uniqueArray(fc.tuple(key, tie("node")), { selector: ([k]) => k, maxLength: 5 })
    .map((entries) => new Map(entries)),
  list: fc.array(tie("node"), { maxLength: 4 }),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar.map((value) => ({ value })), tie("tree"), tie("list")),
}));

/** A top-level document (a map without a `sops` key). */
export const document = tree.filter((t) => !t.has("sops"));

/** Paths of every scalar leaf (non-null), as tree paths with list indexes. */
export function leafPaths(n: TreeNode, prefix: (string | number)[] = []): (string | number)[][] {
  if (n instanceof Map) return [...n].flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  if (Array.isArray(n)) return n.flatMap((v, i) => leafPaths(v, [...prefix, i]));
  return n.value === null ? [] : [prefix];
}

/** A fixed fake recipient: wrapping is not what property tests are about. */
export const FAKE_RECIPIENT: KeyRecipient = {
  kind: "age",
  id: "test",
  wrap: async () => ({ enc: "-----BEGIN AGE ENCRYPTED FILE-----\nAA==\n-----END AGE ENCRYPTED FILE-----\n", recipient: "age1test" }),
};
