/**
 * The set-up shared by the Kubernetes tests (test/k8s*.test.ts): a temp directory with its own
 * HOME, XDG_CONFIG_HOME and TMPDIR, an age key, the CLI, and the plaintext watch: the secret values
 * are random, exist only in the tests' memory (files are encrypted from standard input), and after
 * every test each file under the directory is scanned for them; after all, new files in the system
 * temp dir and the repository too.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { cleanEnv, runHush, type RunResult } from "../helpers.js";

export let root: string;
export let env: NodeJS.ProcessEnv;
export let recipient: string;

/** The secret values: random, so finding one anywhere on disk can only mean a leak. */
export const V = {
  dbPassword: `pw-${randomBytes(9).toString("hex")}`,
  apiKey: `key-${randomBytes(9).toString("hex")}`,
  nested: `nest-${randomBytes(9).toString("hex")}`,
  envToken: `tok-${randomBytes(9).toString("hex")}`,
  tlsKey: `-----BEGIN PRIVATE KEY-----\n${randomBytes(24).toString("base64")}\n-----END PRIVATE KEY-----\n`,
  tlsCrt: `-----BEGIN CERTIFICATE-----\n${randomBytes(24).toString("base64")}\n-----END CERTIFICATE-----\n`,
  manifestPw: `mpw-${randomBytes(9).toString("hex")}`,
  binary: Buffer.concat([Buffer.from([0, 255, 254, 1]), randomBytes(32)]),
};

export function needles(): Buffer[] {
  const out: Buffer[] = [];
  for (const v of Object.values(V)) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v.split("\n")[1] ?? v);
    out.push(b, Buffer.from(b.toString("base64")));
  }
  return out;
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Fails when any file under the test's directory holds a secret value (raw or base64). */
export function assertNoPlaintextOnDisk(): void {
  for (const f of allFiles(root)) {
    const data = readFileSync(f);
    for (const n of needles()) {
      if (data.includes(n)) throw new Error(`plaintext found in ${relative(root, f)}`);
    }
  }
}

export function hush(args: string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  return runHush(args, { env: opts.env ?? env, cwd: opts.cwd ?? root, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

export function ok(args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): RunResult {
  const r = hush(args, opts);
  if (r.status !== 0) throw new Error(`hush ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r;
}

/** Encrypts `plaintext` (given on standard input, never as a file) into `path`. */
export function encryptTo(path: string, plaintext: string | Buffer, type: string, extra: string[] = []): string {
  const r = ok(["encrypt", "--age", recipient, "--input-type", type, ...extra], { input: plaintext });
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, r.stdout);
  return r.stdout;
}

/** Files directly in the system temp dir and in the repository (outside build output) before the tests. */
let outsideBefore: Map<string, number>;

function outsideFiles(): Map<string, number> {
  const out = new Map<string, number>();
  const add = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // another user's private directory
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (["node_modules", ".git", "dist"].includes(e.name)) continue;
      if (e.isDirectory() && depth > 0) add(p, depth - 1);
      else if (e.isFile()) {
        try {
          out.set(p, statSync(p).mtimeMs);
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  add(tmpdir(), 1);
  add(process.cwd(), 3);
  return out;
}

/** Registers the hooks: the temp directory and key before all, the watch after each and all. */
export function useK8sEnv(options: { installPlugin?: boolean } = {}): void {
  beforeAll(() => {
    outsideBefore = outsideFiles();
    root = mkdtempSync(join(tmpdir(), "hush-k8s-"));
    mkdirSync(join(root, "tmp"));
    mkdirSync(join(root, "home"));
    env = cleanEnv({
      HOME: join(root, "home"),
      XDG_CONFIG_HOME: join(root, "xdg"),
      TMPDIR: join(root, "tmp"),
      SOPS_AGE_KEY_FILE: join(root, "home", "keys.txt"),
    });
    delete env["KUSTOMIZE_PLUGIN_HOME"];
    recipient = runHush(["keygen", "-o", join(root, "home", "keys.txt")], { env }).stdout.trim();
    expect(recipient).toMatch(/^age1/);
    if (options.installPlugin) ok(["k8s", "install-kustomize-plugin", "--ksops"]);
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    // Nothing new or changed in the system temp dir or the repository holds a value (other tests
    // running meanwhile may add files there; only ours could hold these random values).
    for (const [file, mtime] of outsideFiles()) {
      if (file.startsWith(root) || outsideBefore.get(file) === mtime) continue;
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch {
        continue;
      }
      for (const n of needles()) if (data.includes(n)) throw new Error(`plaintext found in ${file}`);
    }
  });

  afterEach(() => {
    assertNoPlaintextOnDisk();
  });
}
