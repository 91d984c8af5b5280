// Limits (issue 9, hardening): a 50 MB file and a 10,000-level document either succeed or fail
// cleanly: the real CLI, run with a 512 MB heap, exits 0 or with one `hush: error:` line (and
// perhaps a hint), never with a heap crash (SIGABRT, exit 134) or a stack overflow.
//
// What hush does about it: documents nested deeper than MAX_DEPTH (500) levels are refused before
// anything recursive runs ("document nested too deeply (limit 500 levels)"), and a text whose
// parse would likely exhaust the heap is refused up front ("the input is too large for the memory
// available", src/formats/limits.ts), with a hint to raise --max-old-space-size. At the depth
// limit itself every command works.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_DEPTH } from "../src/formats/cst-dialect.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { load } from "../src/lib/load.js";
import { cleanEnv, HUSH, withTempDir, type RunResult } from "./helpers.js";

const MB50 = 50 * 1024 * 1024;
let key: { identity: string; recipient: string };
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
});

/** Runs the CLI with a 512 MB heap (or, with `heapMb` null, Node's default). */
function hush512(args: string[], cwd: string, heapMb: number | null = 512): RunResult & { signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, [...(heapMb === null ? [] : [`--max-old-space-size=${heapMb}`]), HUSH, ...args], {
    env,
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  return { status: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Success, or one error line (plus at most a hint): no crash, no stack trace. */
function expectCleanOutcome(r: RunResult & { signal: NodeJS.Signals | null }, what: string): "ok" | "error" {
  expect(r.signal, `${what}: killed by ${r.signal}`).toBeNull();
  expect(r.stderr, what).not.toMatch(/FATAL ERROR|heap out of memory|RangeError|Maximum call stack|\n\s+at /);
  if (r.status === 0) return "ok";
  const lines = r.stderr.split("\n").filter(Boolean);
  expect(lines[0], what).toMatch(/^hush: error: /);
  expect(lines.length, `${what}: ${r.stderr}`).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hush: hint: /);
  expect([1, 2, 25, 51], `${what}: exit ${r.status}`).toContain(r.status);
  return "error";
}

/** ~`bytes` of YAML: groups of 100 keys with realistic string values. */
function manyYaml(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let g = 0; size < bytes; g++) {
    let s = `group${g}:\n`;
    for (let k = 0; k < 100; k++) s += `    key${k}: value-${g}-${k}-${"x".repeat(16)}\n`;
    parts.push(s);
    size += s.length;
  }
  return parts.join("");
}

describe("a 50 MB file succeeds or fails cleanly with a 512 MB heap", () => {
  const cases: [string, () => string][] = [
    ["many.yaml", () => manyYaml(MB50)],
    ["one.yaml", () => `big: |\n${`    ${"z".repeat(76)}\n`.repeat(Math.ceil(MB50 / 81))}`],
    ["many.json", () => `{\n${Array.from({ length: Math.ceil(MB50 / 40) }, (_, i) => `\t"key${i}": "value-${i}-${"x".repeat(12)}"`).join(",\n")}\n}\n`],
    ["many.env", () => Array.from({ length: Math.ceil(MB50 / 40) }, (_, i) => `KEY_${i}=value-${i}-${"x".repeat(20)}\n`).join("")],
    ["many.ini", () => manyYaml(MB50).replace(/^group(\d+):$/gm, "[group$1]").replace(/^ {4}(key\d+): /gm, "$1 = ")],
    ["one.bin", () => "b".repeat(MB50)],
  ];
  for (const [name, make] of cases) {
    it(`hush encrypt ${name}`, async () => {
      await withTempDir(async (dir) => {
        writeFileSync(join(dir, name), make());
        const r = hush512(["encrypt", "--age", key.recipient, "-o", join(dir, `${name}.enc`), name], dir);
        const outcome = expectCleanOutcome(r, `encrypt ${name}`);
        if (outcome === "error") expect(r.stderr).toMatch(/too large for the memory available/);
      });
    }, 180_000);
  }

  it("hush decrypt of a 50 MB encrypted YAML file", async () => {
    await withTempDir(async (dir) => {
      // A real small encrypted file, its value lines repeated under new keys up to 50 MB: it
      // cannot decrypt (each copy sits at another path), but it must fail cleanly.
      const small = (await encryptText("key: a-secret-value\n", { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text;
      const line = small.split("\n")[0]!.slice("key: ".length);
      const count = Math.ceil(MB50 / (line.length + 12));
      const body = Array.from({ length: count }, (_, i) => `k${i}: ${line}\n`).join("");
      writeFileSync(join(dir, "big.enc.yaml"), body + small.slice(small.indexOf("sops:")));
      for (const args of [["decrypt", "big.enc.yaml"], ["exec-env", "big.enc.yaml", "--", "true"]]) {
        expectCleanOutcome(hush512(args, dir), args.join(" "));
      }
    });
  }, 180_000);

  it("a 2 MB YAML file (50k values) still works with a 512 MB heap", async () => {
    await withTempDir(async (dir) => {
      const text = manyYaml(2 * 1024 * 1024);
      writeFileSync(join(dir, "mid.yaml"), text);
      const enc = hush512(["encrypt", "--age", key.recipient, "-o", "mid.enc.yaml", "mid.yaml"], dir);
      expect(enc.stderr).toBe("");
      expect(enc.status).toBe(0);
      const dec = hush512(["decrypt", "mid.enc.yaml"], dir);
      expect(dec.status).toBe(0);
      expect(dec.stdout === text).toBe(true);
    });
  }, 180_000);
});

/** `levels` nested collections of one kind, a scalar at the bottom. */
function nested(kind: "map" | "seq" | "flow" | "json", levels: number): { text: string; format: "yaml" | "json" } {
  switch (kind) {
    // Block styles indent by one space per level (10,000 levels are still 50 MB of text).
    case "map": {
      // The top-level map counts as a level.
      let s = "";
      for (let i = 0; i < levels - 1; i++) s += `${" ".repeat(i)}k${i}:\n`;
      return { text: `${s}${" ".repeat(levels - 1)}leaf: deep-secret\n`, format: "yaml" };
    }
    case "seq": {
      let s = "top:\n";
      for (let i = 1; i < levels; i++) s += `${" ".repeat(i)}-\n`;
      return { text: `${s}${" ".repeat(levels + 1)}deep-secret\n`, format: "yaml" };
    }
    case "flow":
      return { text: `top: ${"[".repeat(levels - 1)}deep-secret${"]".repeat(levels - 1)}\n`, format: "yaml" };
    case "json":
      return { text: `{"a":${'{"b":'.repeat(levels - 2)}{"leaf":"deep-secret"}${"}".repeat(levels - 2)}}\n`, format: "json" };
  }
}

describe("deeply nested documents", () => {
  for (const kind of ["map", "seq", "flow", "json"] as const) {
    it(`${kind}: 10,000 levels fail cleanly, with the limit named`, async () => {
      await withTempDir(async (dir) => {
        const { text, format } = nested(kind, 10_000);
        const file = `deep.${format}`;
        writeFileSync(join(dir, file), text);
        const nestedTooDeeply = new RegExp(`^hush: error: invalid (YAML|JSON) at line \\d+, column \\d+: document nested too deeply \\(limit ${MAX_DEPTH} levels\\)\\n$`);
        // With Node's default heap: refused for its depth, by encrypt and by decrypt.
        for (const args of [["encrypt", "--age", key.recipient, file], ["decrypt", "--input-type", format, file]]) {
          const r = hush512(args, dir, null);
          expectCleanOutcome(r, `${args[0]} ${kind}`);
          expect(r.status).toBe(2);
          expect(r.stderr).toMatch(nestedTooDeeply);
        }
        // With 512 MB: refused for its depth, or (50 MB of indentation) for its size.
        const r = hush512(["encrypt", "--age", key.recipient, file], dir);
        expectCleanOutcome(r, `encrypt ${kind} (512 MB)`);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(kind === "map" || kind === "seq" ? /nested too deeply|too large for the memory available/ : nestedTooDeeply);
      });
    }, 60_000);

    it(`${kind}: exactly ${MAX_DEPTH} levels work everywhere; ${MAX_DEPTH + 1} are refused`, async () => {
      const { text, format } = nested(kind, MAX_DEPTH);
      const enc = (await encryptText(text, { format, groups: [[ageRecipient(key.recipient)]] })).text;
      expect((await decryptText(enc, { format, env: { SOPS_AGE_KEY: key.identity } })).text).toBe(text);
      const secrets = await load({ text: enc, format }, { env: { SOPS_AGE_KEY: key.identity } });
      expect(Object.values(secrets.toEnv({ lists: true }))).toContain("deep-secret");
      secrets.dispose();
      await withTempDir(async (dir) => {
        const file = join(dir, `deep.enc.${format}`);
        writeFileSync(file, enc);
        for (const args of [
          ["decrypt", file],
          ["decrypt", "--output-type", format === "json" ? "yaml" : "json", file],
          ["exec-env", "--env-lists", file, "--", "true"],
          ["decrypt", "--extract", '["top"]', file],
        ]) {
          const r = hush512(args, dir);
          expectCleanOutcome(r, args.join(" "));
          if (!args.includes("--extract")) expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(0);
        }
        const set = hush512(["set", file, '["added"]', '"x"'], dir);
        expect(set.status, set.stderr).toBe(0);
        expect((await decryptText(readFileSync(file, "utf8"), { format, env: { SOPS_AGE_KEY: key.identity } })).text).toContain("deep-secret");
      });
      const over = nested(kind, MAX_DEPTH + 1);
      await expect(encryptText(over.text, { format: over.format, groups: [[ageRecipient(key.recipient)]] })).rejects.toThrow(/nested too deeply/);
    }, 60_000);
  }
});
