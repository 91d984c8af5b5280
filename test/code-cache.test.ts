// The bundled CLI's V8 code cache (scripts/bundle.js, scripts/code-cache.js, bin/hush.js): V8
// accepts the cache the build made (else cold start silently loses most of its gain), a cache
// holds code only, one that is damaged or from another build is never used, and for other V8
// flags (or another Node) a decrypt saves one of its own, with the CLI working as ever throughout.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, ROOT } from "./helpers.js";

const BUNDLE = join(ROOT, "dist", "bundle");
const built = existsSync(join(BUNDLE, "hush.cjs"));
/** The cache the build made, for this Node with its default flags (as the tests run the CLI). */
const TAG = built ? spawnSync(process.execPath, ["-p", "require('node:v8').cachedDataVersionTag().toString(16)"], { encoding: "utf8" }).stdout.trim() : "";
const buildCache = (): string => `hush.cjs.${TAG}.cache`;

describe.runIf(built)("code cache of the bundled CLI", () => {
  let dir: string;
  /** bin/hush.js of a copy of bin/ and dist/bundle/, whose cache files the tests change. */
  let bin: string;
  let copy: string;
  let env: NodeJS.ProcessEnv;
  let secretsFile: string;
  let identity: string;

  const run = (args: string[], node: string[] = [], at = bin) => {
    const r = spawnSync(process.execPath, [...node, at, ...args], { env, encoding: "utf8", timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const version = (): string => `${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`;
  const caches = (): string[] => readdirSync(copy).filter((f) => f.endsWith(".cache")).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hush-code-cache-"));
    copy = join(dir, "dist", "bundle");
    mkdirSync(join(dir, "bin"));
    mkdirSync(copy, { recursive: true });
    for (const f of ["hush.js", "package.json"]) copyFileSync(join(ROOT, "bin", f), join(dir, "bin", f));
    for (const f of ["hush.cjs", buildCache()]) copyFileSync(join(BUNDLE, f), join(copy, f));
    cpSync(join(BUNDLE, "vendor"), join(copy, "vendor"), { recursive: true }); // age-encryption and the SDKs
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    bin = join(dir, "bin", "hush.js");
    // A file whose plaintext, key and identity must never reach a cache.
    const key = await generateAgeKeyFile();
    identity = key.identity;
    env = cleanEnv({ HUSH_DEBUG_CODE_CACHE: "1", SOPS_AGE_KEY: key.identity });
    writeFileSync(join(dir, "s.yaml"), "marker_key: not-in-any-cache-value\n");
    const enc = run(["encrypt", "--age", key.recipient, join(dir, "s.yaml")]);
    expect(enc.stderr).toBe("hush: code cache accepted\n");
    expect(enc.status).toBe(0);
    secretsFile = join(dir, "s.enc.yaml");
    writeFileSync(secretsFile, enc.stdout);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is accepted by V8 for the build's own Node", () => {
    const r = run(["--version"], [], join(ROOT, "bin", "hush.js"));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("hush: code cache accepted\n");
  });

  it("holds none of the training run's data", () => {
    const cache = readFileSync(join(BUNDLE, buildCache()));
    // scripts/code-cache.js's throwaway file has "training-only" in a comment, a key and a value.
    for (const s of ["training-only", "db.internal"]) {
      expect(cache.includes(Buffer.from(s, "latin1"))).toBe(false);
      expect(cache.includes(Buffer.from(s, "utf16le"))).toBe(false);
    }
  });

  it("is not used when damaged (V8 would crash on it), and the CLI runs without it", () => {
    const bad = Buffer.from(readFileSync(join(BUNDLE, buildCache())));
    bad.fill(0x41, 4096, 8192);
    writeFileSync(join(copy, buildCache()), bad);
    const r = run(["--version"]);
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.stdout).toBe(version());
    expect(r.status).toBe(0);
  });

  it("is not used when it comes from another build of the script, nor when missing", () => {
    const good = readFileSync(join(BUNDLE, buildCache()));
    writeFileSync(join(copy, buildCache()), Buffer.concat([Buffer.from("0123456789abcdef", "latin1"), good.subarray(16)]));
    expect(run(["--version"]).stderr).toBe("hush: code cache missing\n");
    rmSync(join(copy, buildCache()));
    const r = run(["--version"]);
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.stdout).toBe(version());
    expect(r.status).toBe(0);
    expect(caches()).toEqual([]); // --version saves none
  });

  it("for other V8 flags, a decrypt saves a cache of its own, used from then on, holding no data", () => {
    copyFileSync(join(BUNDLE, buildCache()), join(copy, buildCache()));
    const flags = ["--max-old-space-size=1000"];
    const first = run(["decrypt", secretsFile], flags);
    expect(first.stdout).toBe("marker_key: not-in-any-cache-value\n");
    expect(first.stderr).toBe("hush: code cache missing\nhush: code cache saved\n");
    expect(first.status).toBe(0);
    const saved = caches().filter((f) => f !== buildCache());
    expect(saved).toHaveLength(1);
    const second = run(["decrypt", secretsFile], flags);
    expect(second.stdout).toBe("marker_key: not-in-any-cache-value\n");
    expect(second.stderr).toBe("hush: code cache accepted\n");
    // The build's cache is still the one for default flags.
    expect(run(["--version"]).stderr).toBe("hush: code cache accepted\n");
    const cache = readFileSync(join(copy, saved[0]!));
    for (const s of ["not-in-any-cache-value", "marker_key", identity, identity.slice(20)]) {
      expect(cache.includes(Buffer.from(s, "latin1"))).toBe(false);
      expect(cache.includes(Buffer.from(s, "utf16le"))).toBe(false);
    }
  });

  it("when dist/bundle cannot be written, nothing is saved and nothing fails", () => {
    for (const f of caches()) rmSync(join(copy, f));
    chmodSync(copy, 0o555);
    try {
      const r = run(["decrypt", secretsFile], ["--max-old-space-size=1000"]);
      expect(r.stdout).toBe("marker_key: not-in-any-cache-value\n");
      expect(r.status).toBe(0);
      // (root writes anyway: then the directory is not read-only for it, and a cache is saved)
      if (process.getuid?.() !== 0) {
        expect(r.stderr).toBe("hush: code cache missing\n");
        expect(caches()).toEqual([]);
      }
    } finally {
      chmodSync(copy, 0o755);
    }
  });
});
