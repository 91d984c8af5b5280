// `engines` states what is tested (issue 21): the Node majors in package.json's engines are the
// ones `npm test` runs the suite on (scripts/nodes.js), and every runtime dependency, as locked,
// admits the oldest version engines allows on each major. Node 20 stays while the pinned SDKs
// allow it: a dependency bump that drops it (the AWS SDK after January 2027, @azure/identity
// >= 4.13.2, @google-cloud/kms 6) fails here, which is the moment to drop Node 20 from engines.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";
// @ts-expect-error: a plain JavaScript module of the build scripts, without types
import { PINNED } from "../scripts/nodes.js";
// @ts-expect-error: a plain JavaScript module of the build scripts, without types
import { VENDORED } from "../scripts/vendored.js";

type Version = [number, number, number];
const parse = (v: string): Version => {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v.trim());
  if (!m) throw new Error(`not a version: ${v}`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
};
const cmp = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Whether `version` satisfies an engines range made of `||` alternatives of space-separated
 * `>=`, `>`, `<`, `<=`, `^` comparators (the forms in use here); anything else throws, for a
 * person to look at.
 */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split("||").some((alt) =>
    alt
      .trim()
      .replace(/(>=|<=|>|<|\^|~)\s+/g, "$1")
      .split(/\s+/)
      .every((c) => {
        const m = /^(>=|<=|>|<|\^|~)?(.+)$/.exec(c)!;
        const w = parse(m[2]!);
        switch (m[1]) {
          case ">=":
            return cmp(v, w) >= 0;
          case ">":
            return cmp(v, w) > 0;
          case "<":
            return cmp(v, w) < 0;
          case "<=":
            return cmp(v, w) <= 0;
          case "^":
            return v[0] === w[0] && cmp(v, w) >= 0;
          case "~":
            return v[0] === w[0] && v[1] === w[1] && cmp(v, w) >= 0;
          default:
            return cmp(v, w) === 0;
        }
      }),
  );
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
/**
 * What the package runs: it installs no dependency (issue 17), but carries these bundled
 * (scripts/vendored.js; commander and yaml inlined into the CLI script and the library).
 */
const RUNTIME: string[] = [...(VENDORED as string[]), "commander", "yaml"];
/** The oldest version engines admits on each major: the first of each `||` alternative. */
const floors = pkg.engines.node.split("||").map((alt) => /\d+\.\d+\.\d+|\d+/.exec(alt)![0]);

describe("engines states what is tested", () => {
  it("names exactly the majors the suite runs on: the machine's (20 here) and the pinned 22 and 24", () => {
    const majors = floors.map((f) => parse(f)[0]).sort((a, b) => a - b);
    const tested = [...new Set([20, ...(PINNED as string[]).map((v) => parse(v)[0])])].sort((a, b) => a - b);
    expect(majors).toEqual(tested);
    for (const v of PINNED as string[]) expect(satisfies(v, pkg.engines.node)).toBe(true);
    expect(satisfies("20.20.2", pkg.engines.node)).toBe(true);
    // Node 20 before require(esm) (20.19) and the odd majors are not tested, so not claimed.
    for (const v of ["20.18.0", "21.7.0", "23.11.0", "18.20.0"]) expect(satisfies(v, pkg.engines.node)).toBe(false);
  });

  it("every bundled dependency, as locked, admits the oldest Node of each supported major", () => {
    const refused: string[] = [];
    for (const name of RUNTIME) {
      const dep = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string; engines?: { node?: string } };
      const range = dep.engines?.node;
      if (range === undefined) continue;
      for (const f of floors) if (!satisfies(f, range)) refused.push(`${name}@${dep.version} needs node ${range}, engines allows ${f}`);
    }
    expect(refused).toEqual([]);
  });

  it("the range checker itself", () => {
    expect(satisfies("20.0.0", ">=20.0.0")).toBe(true);
    expect(satisfies("20.19.0", ">= 18")).toBe(true);
    expect(satisfies("20.19.0", ">=22")).toBe(false);
    expect(satisfies("22.11.0", ">=22.12.0")).toBe(false);
    expect(satisfies("24.0.0", "^20.19.0 || ^22.12.0 || >=24")).toBe(true);
    expect(satisfies("22.12.0", "^20.19.0 || ^22.12.0 || >=24")).toBe(true);
    expect(satisfies("23.0.0", "^20.19.0 || ^22.12.0 || >=24")).toBe(false);
  });
});
