// The one precedence rule (src/lib/env-precedence.ts, issue 17): files are applied in order;
// without overload nothing already set is replaced (the environment wins, then the first file),
// with overload the last file wins over everything. hush-sops/config (import and require) does
// not overload unless HUSH_OVERLOAD=1; exec-env overloads (sops's behaviour) unless --no-overload.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { layerEnv } from "../src/lib/env-precedence.js";
import { encryptText } from "../src/lib/files.js";
import { cleanEnv, ROOT, runHush } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;
const FIRST = () => join(dir, "first.enc.yaml");
const SECOND = () => join(dir, "second.enc.yaml");
const PRINT = "process.stdout.write(JSON.stringify({ shared: process.env.SHARED, preset: process.env.PRESET, first: process.env.ONLY_FIRST, second: process.env.ONLY_SECOND }))";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hush-precedence-test-"));
  const key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity, PRESET: "from-env" });
  const groups = [[ageRecipient(key.recipient)]];
  writeFileSync(FIRST(), (await encryptText("SHARED: first\nPRESET: first\nONLY_FIRST: a\n", { format: "yaml", groups })).text);
  writeFileSync(SECOND(), (await encryptText("SHARED: second\nPRESET: second\nONLY_SECOND: b\n", { format: "yaml", groups })).text);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("layerEnv", () => {
  it("without overload: the environment wins, then the first file; with overload: the last file", () => {
    const files: Record<string, string>[] = [{ A: "1", B: "1" }, { A: "2", C: "2" }];
    expect({ ...layerEnv({ B: "env" }, files, false) }).toEqual({ A: "1", C: "2" });
    expect({ ...layerEnv({ B: "env" }, files, true) }).toEqual({ A: "2", B: "1", C: "2" });
  });

  it("property: every name gets the value the rule says, and only names the files define", () => {
    const rec = fc.dictionary(fc.constantFrom("A", "B", "C", "D"), fc.string());
    fc.assert(
      fc.property(rec, fc.array(rec, { maxLength: 4 }), fc.boolean(), (base, files, overload) => {
        const out = layerEnv(base, files, overload);
        for (const name of new Set(files.flatMap((f) => Object.keys(f)))) {
          const defining = files.filter((f) => Object.hasOwn(f, name));
          if (overload) expect(out[name]).toBe(defining.at(-1)![name]);
          else if (Object.hasOwn(base, name)) expect(Object.hasOwn(out, name)).toBe(false);
          else expect(out[name]).toBe(defining[0]![name]);
        }
        for (const name of Object.keys(out)) expect(files.some((f) => Object.hasOwn(f, name))).toBe(true);
      }),
    );
  });
});

describe("hush exec-env", () => {
  const run = (...flags: string[]) => runHush(["exec-env", ...flags, "-f", FIRST(), "-f", SECOND(), "--", process.execPath, "-e", PRINT], { env });

  it("by default as sops: the files win over the environment, the last file over the first", () => {
    const r = run();
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ shared: "second", preset: "second", first: "a", second: "b" });
    expect(JSON.parse(run("--overload").stdout)).toEqual({ shared: "second", preset: "second", first: "a", second: "b" });
  });

  it("with --no-overload as dotenv: the environment wins, then the first file", () => {
    const r = run("--no-overload");
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ shared: "first", preset: "from-env", first: "a", second: "b" });
  });
});

describe("hush-sops/config (import, and require as the package ships it)", () => {
  const forms: [string, string[]][] = [
    ["--import", ["--import", pathToFileURL(join(ROOT, "dist", "lib", "config.js")).href]],
    ["-r", ["-r", join(ROOT, "dist", "bundle", "config.cjs")]],
  ];
  const run = (form: string[], extra: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [...form, "-e", PRINT], { env: { ...env, HUSH_FILE: `${FIRST()}:${SECOND()}`, ...extra }, encoding: "utf8", timeout: 30_000 });

  for (const [name, form] of forms) {
    it(`${name}: the environment wins, then the first file; HUSH_OVERLOAD=1: the last file wins`, () => {
      const r = run(form, {});
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toEqual({ shared: "first", preset: "from-env", first: "a", second: "b" });
      for (const overload of [{ HUSH_OVERLOAD: "1" }, { HUSH_OVERRIDE: "true" }]) {
        expect(JSON.parse(run(form, overload).stdout)).toEqual({ shared: "second", preset: "second", first: "a", second: "b" });
      }
    });
  }
});
