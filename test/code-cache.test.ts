// The bundled CLI's V8 code cache (scripts/bundle.js, scripts/code-cache.js, bin/hush.js): V8
// accepts the cache the build made (else cold start silently loses most of its gain), a cache
// holds code only, one that is damaged or from another build is never used, and for other V8
// flags (or another Node) a decrypt saves one of its own in the user's cache directory, never in
// the package's, with the CLI working as ever throughout. Runs on every Node the suite runs on
// (scripts/test-nodes.js): when the build was made by another Node, the copy gets a build cache
// for this one from scripts/code-cache.js, as `npm run build` would have made it.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, ROOT } from "./helpers.js";

const BUNDLE = join(ROOT, "dist", "bundle");
const built = existsSync(join(BUNDLE, "hush.cjs"));
/**
 * The cache the build made for a script, for this Node's V8 with no options (as the tests run the
 * CLI): hush.cjs is the full CLI (--version, encrypt), hush-fast.cjs the fast path (decrypt).
 */
const buildCache = (script = "hush.cjs"): string => `${script}.${process.versions.v8}.cache`;
const SCRIPTS = ["hush.cjs", "hush-fast.cjs"];
const FAST = "hush-fast.cjs";

describe.runIf(built)("code cache of the bundled CLI", () => {
  let dir: string;
  /** bin/hush.js of a copy of bin/ and dist/bundle/, whose cache files the tests change. */
  let bin: string;
  let copy: string;
  let env: NodeJS.ProcessEnv;
  let secretsFile: string;
  let identity: string;
  let recipient: string;
  /** XDG_CACHE_HOME of the runs: where saved caches (and Node's compile cache) go. */
  let userCache: string;

  const run = (args: string[], node: string[] = [], at = bin) => {
    const r = spawnSync(process.execPath, [...node, at, ...args], { env, encoding: "utf8", timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const version = (): string => `${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`;
  const caches = (): string[] => readdirSync(copy).filter((f) => f.endsWith(".cache")).sort();
  const saved = (): string[] => {
    const d = join(userCache, "hush", "code-cache");
    return existsSync(d) ? readdirSync(d).sort() : [];
  };
  /** Every file under the copy of the package, with its size and mtime. */
  const listing = (): string[] => {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isSymbolicLink()) out.push(p);
        else if (e.isDirectory()) walk(p);
        else out.push(`${p} ${statSync(p).size} ${statSync(p).mtimeMs}`);
      }
    };
    walk(join(dir, "bin"));
    walk(join(dir, "dist"));
    return out.sort();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hush-code-cache-"));
    copy = join(dir, "dist", "bundle");
    mkdirSync(join(dir, "bin"));
    mkdirSync(copy, { recursive: true });
    for (const f of ["hush.js", "package.json"]) copyFileSync(join(ROOT, "bin", f), join(dir, "bin", f));
    cpSync(join(BUNDLE, "vendor"), join(copy, "vendor"), { recursive: true }); // age-encryption and the SDKs
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    for (const script of SCRIPTS) {
      copyFileSync(join(BUNDLE, script), join(copy, script));
      if (existsSync(join(BUNDLE, buildCache(script)))) copyFileSync(join(BUNDLE, buildCache(script)), join(copy, buildCache(script)));
      else {
        // Built by another Node: make this Node's build cache for the copy, as the build does.
        const id = readFileSync(join(copy, script), "latin1").slice(13, 29);
        const mode = script === FAST ? "fast" : "full";
        const r = spawnSync(process.execPath, [join(ROOT, "scripts", "code-cache.js"), join(copy, script), id, mode], { encoding: "utf8", env: cleanEnv() });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
      }
    }
    bin = join(dir, "bin", "hush.js");
    userCache = join(dir, "xdg-cache");
    // A file whose plaintext, key and identity must never reach a cache.
    const key = await generateAgeKeyFile();
    identity = key.identity;
    recipient = key.recipient;
    env = cleanEnv({ HUSH_DEBUG_CODE_CACHE: "1", SOPS_AGE_KEY: key.identity, XDG_CACHE_HOME: userCache });
    writeFileSync(join(dir, "s.yaml"), "marker_key: not-in-any-cache-value\n");
    const enc = run(["encrypt", "--age", key.recipient, join(dir, "s.yaml")]);
    expect(enc.stderr).toBe("hush: code cache accepted\n");
    expect(enc.status).toBe(0);
    secretsFile = join(dir, "s.enc.yaml");
    writeFileSync(secretsFile, enc.stdout);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is accepted by V8 for the build's own Node", () => {
    const r = run(["--version"], [], existsSync(join(BUNDLE, buildCache())) ? join(ROOT, "bin", "hush.js") : bin);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("hush: code cache accepted\n");
  });

  it("holds none of the training run's data", () => {
    for (const script of SCRIPTS) {
      const cache = readFileSync(join(copy, buildCache(script)));
      // scripts/code-cache.js's throwaway file has "training-only" in a comment, a key and a value.
      for (const s of ["training-only", "db.internal"]) {
        expect(cache.includes(Buffer.from(s, "latin1"))).toBe(false);
        expect(cache.includes(Buffer.from(s, "utf16le"))).toBe(false);
      }
    }
  });

  it("the fast path's script (decrypt) has its own, accepted by V8", () => {
    const r = run(["decrypt", secretsFile]);
    expect(r.stdout).toBe("marker_key: not-in-any-cache-value\n");
    expect(r.stderr).toBe("hush: code cache accepted\n");
    expect(r.status).toBe(0);
  });

  it("is not used when damaged (V8 would crash on it), and the CLI runs without it", () => {
    const good = readFileSync(join(copy, buildCache()));
    const bad = Buffer.from(good);
    bad.fill(0x41, 4096, 8192);
    writeFileSync(join(copy, buildCache()), bad);
    const r = run(["--version"]);
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.stdout).toBe(version());
    expect(r.status).toBe(0);
    writeFileSync(join(copy, buildCache()), good);
  });

  it("is not used when it comes from another build of the script, nor when missing", () => {
    const good = readFileSync(join(copy, buildCache()));
    writeFileSync(join(copy, buildCache()), Buffer.concat([Buffer.from("0123456789abcdef", "latin1"), good.subarray(16)]));
    expect(run(["--version"]).stderr).toBe("hush: code cache missing\n");
    rmSync(join(copy, buildCache()));
    const r = run(["--version"]);
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.stdout).toBe(version());
    expect(r.status).toBe(0);
    expect(caches()).toEqual([buildCache(FAST)]); // --version saves none
    expect(saved()).toEqual([]);
    writeFileSync(join(copy, buildCache()), good);
  });

  it("for other V8 flags, a decrypt saves a cache of its own in the user's cache directory, used from then on, holding no data", () => {
    const before = listing();
    const flags = ["--no-opt"];
    const first = run(["decrypt", secretsFile], flags);
    expect(first.stdout).toBe("marker_key: not-in-any-cache-value\n");
    expect(first.stderr).toBe("hush: code cache missing\nhush: code cache saved\n");
    expect(first.status).toBe(0);
    expect(saved()).toHaveLength(1);
    const second = run(["decrypt", secretsFile], flags);
    expect(second.stdout).toBe("marker_key: not-in-any-cache-value\n");
    expect(second.stderr).toBe("hush: code cache accepted\n");
    // The build's cache is still the one for default flags, and the package is as it was.
    expect(run(["--version"]).stderr).toBe("hush: code cache accepted\n");
    expect(listing()).toEqual(before);
    const cache = readFileSync(join(userCache, "hush", "code-cache", saved()[0]!));
    for (const s of ["not-in-any-cache-value", "marker_key", identity, identity.slice(20)]) {
      expect(cache.includes(Buffer.from(s, "latin1"))).toBe(false);
      expect(cache.includes(Buffer.from(s, "utf16le"))).toBe(false);
    }
  });

  it("a build cache V8 rejects: a decrypt saves one in the user's directory, used from then on", () => {
    rmSync(userCache, { recursive: true, force: true });
    const good = readFileSync(join(copy, buildCache(FAST)));
    // A cache for other V8 flags, in the build cache's place: valid for hush, rejected by V8.
    expect(run(["decrypt", secretsFile], ["--no-opt"]).stderr).toBe("hush: code cache missing\nhush: code cache saved\n");
    copyFileSync(join(userCache, "hush", "code-cache", saved()[0]!), join(copy, buildCache(FAST)));
    try {
      const first = run(["decrypt", secretsFile]);
      expect(first.stdout).toBe("marker_key: not-in-any-cache-value\n");
      expect(first.stderr).toBe("hush: code cache rejected\nhush: code cache saved\n");
      expect(saved()).toHaveLength(2);
      const second = run(["decrypt", secretsFile]);
      expect(second.stderr).toBe("hush: code cache accepted\n");
      expect(second.status).toBe(0);
    } finally {
      writeFileSync(join(copy, buildCache(FAST)), good);
      rmSync(userCache, { recursive: true, force: true });
    }
  });

  it("never writes into the package's own directory (read-only install), on any Node", () => {
    rmSync(userCache, { recursive: true, force: true });
    for (const script of SCRIPTS) rmSync(join(copy, buildCache(script))); // as under a Node other than the build's
    const before = listing();
    chmodSync(copy, 0o555);
    chmodSync(join(dir, "bin"), 0o555);
    try {
      for (const flags of [[], ["--no-opt"]]) {
        const r = run(["decrypt", secretsFile], flags);
        expect(r.stdout).toBe("marker_key: not-in-any-cache-value\n");
        expect(r.status).toBe(0);
        // encrypt imports dist/bundle/vendor/age-encryption.js as a module: Node's compile cache on >= 22.1
        const e = run(["encrypt", "--age", recipient, join(dir, "s.yaml")], flags);
        expect(e.status).toBe(0);
      }
      expect(listing()).toEqual(before);
      expect(saved()).toHaveLength(2);
      const major = Number(process.versions.node.split(".")[0]);
      // Node's compile cache (>= 22.1) goes to the user's cache directory too.
      if (major >= 23 || (major === 22 && Number(process.versions.node.split(".")[1]) >= 1)) {
        expect(readdirSync(join(userCache, "hush", "compile-cache")).length).toBeGreaterThan(0);
      }
    } finally {
      chmodSync(copy, 0o755);
      chmodSync(join(dir, "bin"), 0o755);
    }
  });

  it("when the user's cache directory cannot be written, nothing is saved and nothing fails", () => {
    rmSync(userCache, { recursive: true, force: true });
    mkdirSync(userCache, { mode: 0o555 });
    try {
      const r = run(["decrypt", secretsFile], ["--no-opt"]);
      expect(r.stdout).toBe("marker_key: not-in-any-cache-value\n");
      expect(r.status).toBe(0);
      // (root writes anyway: then the directory is not read-only for it, and a cache is saved)
      if (process.getuid?.() !== 0) {
        expect(r.stderr).toBe("hush: code cache missing\n");
        expect(saved()).toEqual([]);
      }
    } finally {
      chmodSync(userCache, 0o755);
    }
  });

  it("with neither HOME nor XDG_CACHE_HOME, runs without saving anything", () => {
    const bare = { ...env };
    delete bare["HOME"];
    delete bare["XDG_CACHE_HOME"];
    const before = listing();
    const r = spawnSync(process.execPath, ["--no-opt", bin, "decrypt", secretsFile], { env: bare, encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toBe("marker_key: not-in-any-cache-value\n");
    expect(r.stderr).toBe("hush: code cache missing\n");
    expect(r.status).toBe(0);
    expect(listing()).toEqual(before);
  });
});
