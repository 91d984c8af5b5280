/** Shared test helpers: fixture locations, the manifest's data keys, running the real CLI. */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Real sops files and sops's public test keys (copied from getsops/sops; see its NOTICE.md). */
export const FIXTURES = join(ROOT, "test", "fixtures", "sops");
export const TEST_KEYS = join(ROOT, "test", "keys");
export const HUSH = join(ROOT, "bin", "hush.js");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

/** file → { dataKey, mac } from the MANIFEST's "Full data keys and MACs" block. */
export function manifestKeys(): Map<string, { dataKey: Buffer; mac: string; status: string }> {
  const text = fixture("MANIFEST.md");
  const out = new Map<string, { dataKey: Buffer; mac: string; status: string }>();
  for (const m of text.matchAll(/^(\S+\.enc\.\w+) ([0-9a-f]{64}) ([0-9A-F]{128}) (\S+)/gm)) {
    out.set(m[1]!, { dataKey: Buffer.from(m[2]!, "hex"), mac: m[3]!, status: m[4]! });
  }
  return out;
}

/** An environment with no age key sources from the developer's machine. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("SOPS_") || k === "HUSH_FILE") delete env[k];
  env["XDG_CONFIG_HOME"] = join(tmpdir(), "hush-test-no-config");
  env["HOME"] = join(tmpdir(), "hush-test-no-home");
  // Key fixtures come out of git, always 0644: without this every run would warn that they are
  // readable by others. The tests of warnings pass HUSH_NO_WARNINGS: "" to see them.
  env["HUSH_NO_WARNINGS"] = "1";
  // For the same reason: under CI=true (as CI runners set) such key files are refused, and these
  // tests rely on their being used. The tests of --strict and CI set or remove it themselves.
  env["HUSH_STRICT"] = "0";
  return { ...env, ...extra };
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/hush.js`) as a real child process. */
export function runHush(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string } = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [HUSH, ...args], {
    env: opts.env ?? cleanEnv(),
    input: opts.input ?? "",
    cwd: opts.cwd ?? ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A temp dir removed after the callback. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "hush-test-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The IVs of every ENC[...] in a text, in order (for reproducing a sops file). */
export function ivsOf(text: string): Buffer[] {
  return [...text.matchAll(/ENC\[AES256_GCM,data:[^,]*,iv:([^,]+),tag:/g)].map((m) => Buffer.from(m[1]!, "base64"));
}
