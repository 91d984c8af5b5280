// The library is the one door (issue 13): the CLI, the git drivers, the Action, the team commands
// and exec call `src/lib` (plus `errors`, the ground floor `model` and each other), never `core`,
// `formats`, `keys`, `config` or `util` directly. Read from the sources' import statements, static
// and dynamic. (.dependency-cruiser.cjs states the layers too; this is the library's own claim.)
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

const SRC = join(ROOT, "src");
const UPPER = ["cli", "git", "action", "team", "exec", "k8s"];
/** Where upper layers may import from (folders or files under src/). */
const ALLOWED = ["lib", "model", "errors.ts", "version.ts", ...UPPER];
/** Known exceptions, each with its reason (none today). */
const EXCEPTIONS: Record<string, string> = {};

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

/** Relative module specifiers of a file: `from "…"`, `import("…")`, `export … from "…"`. */
function imports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)) out.push(m[1]!);
  return out;
}

describe("upper layers import only the library", () => {
  it("finds the imports it checks (the check is not vacuous)", () => {
    const decrypt = readFileSync(join(SRC, "cli", "commands", "decrypt.ts"), "utf8");
    expect(imports(decrypt)).toContain("../../lib/internal.js");
  });

  for (const layer of UPPER) {
    it(`src/${layer}`, () => {
      const bad: string[] = [];
      for (const file of files(join(SRC, layer))) {
        const rel = relative(SRC, file).split("\\").join("/");
        if (EXCEPTIONS[rel]) continue;
        for (const spec of imports(readFileSync(file, "utf8"))) {
          const target = relative(SRC, resolve(dirname(file), spec)).split("\\").join("/");
          const top = target.split("/")[0]!.replace(/\.js$/, ".ts");
          if (!ALLOWED.includes(top)) bad.push(`${rel} → ${target}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
