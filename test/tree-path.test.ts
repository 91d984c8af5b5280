// The path grammar (src/model/tree-path.ts): one module that `--extract`, `set`, `unset`,
// `share`, the library's get()/has() and the Action read. Print → parse round trips for arbitrary
// keys and indexes; the escapes and errors as a table; the lookup rules on real trees.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HushError } from "../src/errors.js";
import {
  formatLoosePath,
  formatPath,
  formatTreePath,
  getTreePath,
  lookupPath,
  parsePath,
  parsePathExpr,
  parseTreePath,
  type TreePath,
} from "../src/model/tree-path.js";
import type { TreeNode } from "../src/model/tree.js";

const step: fc.Arbitrary<string | number> = fc.oneof(
  // keys made of the characters the grammar treats specially, and any others
  fc.string({ unit: fc.constantFrom(".", "[", "]", "\\", '"', "'", " ", "0", "7", "a", "é", "\n"), maxLength: 8 }),
  fc.string({ maxLength: 8 }),
  fc.nat({ max: Number.MAX_SAFE_INTEGER }),
);
const anyPath = fc.array(step, { minLength: 1, maxLength: 6 });

function error(f: () => unknown): HushError {
  try {
    f();
  } catch (e) {
    if (e instanceof HushError) return e;
    throw e;
  }
  throw new Error("expected a HushError");
}

describe("parsePath / formatPath", () => {
  it("prints any path so that it parses back to the same steps", () => {
    fc.assert(
      fc.property(anyPath, (path) => {
        expect(parsePath(formatPath(path))).toEqual(path);
      }),
      { numRuns: 3000 },
    );
  });

  it("the tree form prints and parses back too (keys holding only one kind of quote)", () => {
    const key = fc.string({ maxLength: 8 }).filter((k) => !(k.includes('"') && k.includes("'")));
    fc.assert(
      fc.property(fc.array(fc.oneof(key, fc.nat()), { minLength: 1, maxLength: 6 }), (path) => {
        const printed = formatTreePath(path);
        expect(parseTreePath(printed)).toEqual(path);
        expect(parsePath(printed)).toEqual(path);
      }),
      { numRuns: 2000 },
    );
  });

  it("anything else either parses or fails with INVALID_TREE_PATH (exit 91)", () => {
    const pieces = fc.array(fc.constantFrom("a", ".", "[", "]", "\\", '"', "'", "0", "[0]", '["x"]', " "), { maxLength: 10 }).map((p) => p.join(""));
    fc.assert(
      fc.property(fc.oneof(pieces, fc.string({ maxLength: 12 })), (expr) => {
        let path: TreePath;
        try {
          path = parsePath(expr);
        } catch (e) {
          expect(e).toBeInstanceOf(HushError);
          expect((e as HushError).code).toBe("INVALID_TREE_PATH");
          expect((e as HushError).exitCode).toBe(91);
          return;
        }
        expect(path.length).toBeGreaterThan(0);
        expect(parsePath(formatPath(path))).toEqual(path);
      }),
      { numRuns: 3000 },
    );
  });

  it.each<[string, TreePath]>([
    ["db.password", ["db", "password"]],
    ['["db"]["password"]', ["db", "password"]],
    ["['db']['pass\"word']", ["db", 'pass"word']],
    ["hosts[0]", ["hosts", 0]],
    ['["hosts"][0]', ["hosts", 0]],
    ["hosts.0", ["hosts", "0"]],
    ["[0].name", [0, "name"]],
    ["matrix[1][0]", ["matrix", 1, 0]],
    ['labels["app.kubernetes.io/name"]', ["labels", "app.kubernetes.io/name"]],
    ['labels["app.kubernetes.io/name"].x', ["labels", "app.kubernetes.io/name", "x"]],
    ["a\\.b", ["a.b"]],
    ["a\\[0\\]", ["a[0]"]],
    ["a\\\\b", ["a\\b"]],
    ["x.a\\.b.c", ["x", "a.b", "c"]],
    ['["a\\.b"]', ["a\\.b"]], // in quotes nothing is escaped, as in sops
    ['[""]', [""]],
    ["with space.and 'quotes\"", ["with space", "and 'quotes\""]],
    ["[007]", [7]],
  ])("%s → %j", (expr, path) => {
    expect(parsePath(expr)).toEqual(path);
  });

  it.each<[string, RegExp]>([
    ["", /^empty path$/],
    ["a..b", /invalid path "a\.\.b": expected a key at character 3/],
    [".a", /expected a key at character 1/],
    ["a.", /expected a key at character 3/],
    ["a.[0]", /expected a key at character 3/],
    ["a[", /expected \["key"\] or \[0\] at character 2/],
    ['["db"', /expected \["key"\] or \[0\] at character 1/],
    ["[-1]", /expected \["key"\] or \[0\] at character 1/],
    ["[x]", /expected \["key"\] or \[0\] at character 1/],
    ['["a"]b', /expected \. or \[ at character 6/],
    ["a]", /unexpected \] at character 2/],
    ["a\\x", /\\ at character 2 must be followed by \. \[ \] or \\/],
    ["a\\", /\\ at character 2 must be followed by/],
    ["a[99999999999999999999]", /list index at character 3 is too large/],
  ])("%j fails: %s", (expr, message) => {
    const e = error(() => parsePath(expr));
    expect(e.code).toBe("INVALID_TREE_PATH");
    expect(e.message).toMatch(message);
  });

  it("prints plain keys bare, others quoted, and escapes only a key holding both quotes", () => {
    expect(formatPath(["db", "password"])).toBe("db.password");
    expect(formatPath(["hosts", 1, "name"])).toBe("hosts[1].name");
    expect(formatPath(["labels", "app.kubernetes.io/name"])).toBe('labels["app.kubernetes.io/name"]');
    expect(formatPath(["say", 'it "loud"'])).toBe(`say['it "loud"']`);
    expect(formatPath(["x", `a.'b"[c]`])).toBe(`x.a\\.'b"\\[c\\]`);
    expect(formatPath(["0"])).toBe("0");
    expect(formatPath([""])).toBe('[""]');
  });
});

describe("parseTreePath (sops's form only, the library's first export)", () => {
  it("accepts brackets only, with sops's errors", () => {
    expect(parseTreePath(`["a"][0]['b']`)).toEqual(["a", 0, "b"]);
    expect(error(() => parseTreePath("db.password")).message).toBe(`invalid tree path "db.password": expected ["key"] or [0] at character 1`);
    expect(error(() => parseTreePath("")).message).toBe("empty tree path");
  });
});

describe("following a path", () => {
  const tree = new Map<string, unknown>([
    ["db", new Map([["password", "p"]])],
    ["hosts", ["h0", new Map([["name", "h1"]])]],
    ["labels", new Map<string, unknown>([["app.kubernetes.io/name", "web"], ["app", new Map([["x", "nested"]])]])],
    ["a.b", "dotted"],
    ["a", new Map([["b", "nested wins"]])],
    ["123", "numeric key"],
  ]) as unknown as TreeNode;
  const get = (expr: string) => lookupPath(tree, parsePathExpr(expr));

  it("walks maps by key and lists by index, in either form", () => {
    expect(get("db.password")?.node).toBe("p");
    expect(get('["hosts"][1]["name"]')).toEqual({ node: "h1", path: ["hosts", 1, "name"] });
    expect(get("hosts.1.name")).toEqual({ node: "h1", path: ["hosts", 1, "name"] });
    expect(get("[123]")?.node).toBe("numeric key");
    expect(get("hosts.x")).toBeUndefined();
    expect(get("db.password.deeper")).toBeUndefined();
  });

  it("reads neighbouring dotted keys joined, the nested reading first", () => {
    expect(get("labels.app.kubernetes.io/name")).toEqual({ node: "web", path: ["labels", "app.kubernetes.io/name"] });
    expect(get("labels.app.x")?.node).toBe("nested");
    expect(get("a.b")?.node).toBe("nested wins");
    expect(get("a\\.b")?.node).toBe("dotted");
    expect(get('["a.b"]')?.node).toBe("dotted");
    // joining is for dotted keys only: a key in brackets or an index is exact
    expect(get('labels.app["kubernetes.io/name"]')).toBeUndefined();
    expect(lookupPath(tree, ["labels", "app", "kubernetes.io/name"])).toBeUndefined();
  });

  it("getTreePath (--extract) is exact, and its error names keys only, with a hint for dotted keys", () => {
    expect(getTreePath(tree, ["db", "password"])).toBe("p");
    const e = error(() => getTreePath(tree, parsePath("labels.app.kubernetes.io/name")));
    expect(e.code).toBe("PATH_NOT_FOUND");
    expect(e.message).toBe(`component ["kubernetes"] of ["labels"]["app"]["kubernetes"]["io/name"] not found`);
    expect(error(() => getTreePath(tree, parsePath("labels.app.kubernetes.io/name"))).hint).toBeUndefined(); // "app" exists: no guess
    const hinted = error(() => getTreePath(tree, parsePath("labels.app.kubernetes.io/nam")));
    expect(hinted.hint).toBeUndefined();
    const t2 = new Map([["labels", new Map([["app.kubernetes.io/name", "web"]])]]) as unknown as TreeNode;
    expect(error(() => getTreePath(t2, parsePath("labels.app.kubernetes.io/name"))).hint).toBe(
      `the key ["app.kubernetes.io/name"] contains dots: write it in brackets or escape its dots, e.g. labels["app.kubernetes.io/name"]`,
    );
  });

  it("every path formatLoosePath prints (Secrets.keys()) finds its own value", () => {
    const keyArb = fc.string({ unit: fc.constantFrom(".", "[", "]", "\\", '"', "'", " ", "0", "a", "b"), maxLength: 5 });
    const treeArb = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small", withCrossShrink: true }, fc.integer(), tie("map"), tie("list")),
      map: fc.uniqueArray(fc.tuple(keyArb, tie("node")), { selector: (e) => e[0], maxLength: 4 }).map((es) => new Map(es as [string, unknown][])),
      list: fc.array(tie("node"), { maxLength: 3 }),
    })).map;
    fc.assert(
      fc.property(treeArb, (root) => {
        const leaves: [TreePath, unknown][] = [];
        const walk = (n: unknown, p: TreePath) => {
          if (n instanceof Map) for (const [k, v] of n) walk(v, [...p, k]);
          else if (Array.isArray(n)) n.forEach((v, i) => walk(v, [...p, i]));
          else if (p.length > 0) leaves.push([p, n]);
        };
        walk(root, []);
        for (const [p] of leaves) {
          const exact = lookupPath(root, parsePathExpr(formatPath(p)));
          expect(exact?.path).toEqual(p);
          // The loose form may be ambiguous (a.b nested and "a.b"), but it always finds a leaf.
          expect(lookupPath(root, parsePathExpr(formatLoosePath(p)))).toBeDefined();
        }
      }),
      { numRuns: 1000 },
    );
  });
});
