// The bundled CLI's V8 code cache (scripts/bundle.js, scripts/code-cache.js, bin/hush.js): V8
// accepts the cache the build made (else cold start silently loses most of its gain), the cache
// holds code only, and a cache that is damaged, from another build, or for another Node or other
// V8 flags is never used, with the CLI working as ever.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, ROOT } from "./helpers.js";

const BUNDLE = join(ROOT, "dist", "bundle");
const built = existsSync(join(BUNDLE, "hush.cjs"));

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { env: cleanEnv({ HUSH_DEBUG_CODE_CACHE: "1" }), encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(built)("code cache of the bundled CLI", () => {
  let dir: string;
  /** A copy of bin/ and dist/bundle/ whose cache file the test may change. */
  let bin: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hush-code-cache-"));
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "dist", "bundle"), { recursive: true });
    for (const f of ["hush.js", "package.json"]) copyFileSync(join(ROOT, "bin", f), join(dir, "bin", f));
    for (const f of ["hush.cjs", "hush.cjs.cache"]) copyFileSync(join(BUNDLE, f), join(dir, "dist", "bundle", f));
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    bin = join(dir, "bin", "hush.js");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is accepted by V8 for the build's own Node", () => {
    const r = run(join(ROOT, "bin", "hush.js"), ["--version"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("hush: code cache accepted\n");
  });

  it("holds none of the training run's data", () => {
    const cache = readFileSync(join(BUNDLE, "hush.cjs.cache"));
    // scripts/code-cache.js's throwaway file has "training-only" in a comment, a key and a value.
    for (const s of ["training-only", "db.internal"]) {
      expect(cache.includes(Buffer.from(s, "latin1"))).toBe(false);
      expect(cache.includes(Buffer.from(s, "utf16le"))).toBe(false);
    }
  });

  const version = (): string => `${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`;

  it("is not used when damaged (V8 would crash on it), and the CLI runs without it", () => {
    const bad = Buffer.from(readFileSync(join(BUNDLE, "hush.cjs.cache")));
    bad.fill(0x41, 4096, 8192);
    writeFileSync(join(dir, "dist", "bundle", "hush.cjs.cache"), bad);
    const r = run(bin, ["--version"]);
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.stdout).toBe(version());
    expect(r.status).toBe(0);
  });

  it("is rejected by V8 when made for another Node or other flags, and the CLI runs without it", () => {
    copyFileSync(join(BUNDLE, "hush.cjs.cache"), join(dir, "dist", "bundle", "hush.cjs.cache"));
    const r = spawnSync(process.execPath, ["--max-old-space-size=1000", bin, "--version"], {
      env: cleanEnv({ HUSH_DEBUG_CODE_CACHE: "1" }),
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.stderr).toBe("hush: code cache rejected\n");
    expect(r.stdout).toBe(version());
    expect(r.status).toBe(0);
  });

  it("is not used when it comes from another build of the script, nor when missing", () => {
    const good = readFileSync(join(BUNDLE, "hush.cjs.cache"));
    writeFileSync(join(dir, "dist", "bundle", "hush.cjs.cache"), Buffer.concat([Buffer.from("0123456789abcdef", "latin1"), good.subarray(16)]));
    expect(run(bin, ["--version"]).stderr).toBe("hush: code cache missing\n");
    rmSync(join(dir, "dist", "bundle", "hush.cjs.cache"));
    const r = run(bin, ["--version"]);
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.status).toBe(0);
  });
});
