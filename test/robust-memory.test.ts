// Issue 15, "Memory and size": alias bombs and large binary files end in one clean line (or
// succeed), never in a V8 heap crash. The CLI runs as a child under a fixed --max-old-space-size.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, HUSH, withTempDir } from "./helpers.js";

const NODE = process.execPath;

function keys(dir: string): { env: NodeJS.ProcessEnv; recipient: string } {
  const file = join(dir, "keys.txt");
  execFileSync("age-keygen", ["-o", file], { stdio: "ignore" });
  chmodSync(file, 0o600);
  return { env: cleanEnv({ SOPS_AGE_KEY_FILE: file }), recipient: /public key: (age1\w+)/.exec(readFileSync(file, "utf8"))![1]! };
}

/** Runs the CLI under a fixed heap; the output goes to a file (`out`) when given. */
function hushHeap(heapMb: number, args: string[], env: NodeJS.ProcessEnv, out?: string) {
  const r = spawnSync(NODE, [`--max-old-space-size=${heapMb}`, HUSH, ...args], {
    env,
    encoding: out ? "buffer" : "utf8",
    maxBuffer: 1 << 30,
    timeout: 120_000,
  });
  if (out && r.stdout) writeFileSync(out, r.stdout as Buffer);
  return { status: r.status, signal: r.signal, stderr: String(r.stderr), stdout: out ? "" : String(r.stdout) };
}

/** One `hush: error: …` line (and an optional hint), no stack, no V8 report. */
function expectCleanError(stderr: string): void {
  const lines = stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^hush: error: the input is too large for the memory available/);
  expect(lines.slice(1).every((l) => l.startsWith("hush: hint: "))).toBe(true);
  expect(stderr).not.toMatch(/FATAL|heap out of memory|\n\s+at /);
}

describe("YAML alias expansion is counted against the memory limit", () => {
  it("1 MB anchored string, 200 aliases: encrypt fails cleanly (exit 2) under a 256 MB heap", async () => {
    await withTempDir((dir) => {
      const { env, recipient } = keys(dir);
      const bomb = join(dir, "bomb.yaml");
      writeFileSync(bomb, `a: &x ${"A".repeat(1_000_000)}\n${Array.from({ length: 200 }, (_, i) => `k${i}: *x\n`).join("")}`);
      const r = hushHeap(256, ["encrypt", "--age", recipient, bomb], env);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expectCleanError(r.stderr);
      expect(r.stderr).toMatch(/aliases expand to/);
    });
  });

  it("an encrypted file with 2,000 aliases of a large value: decrypt and textconv end cleanly before any decryption", async () => {
    await withTempDir((dir) => {
      const { env, recipient } = keys(dir);
      const plain = join(dir, "big.yaml");
      writeFileSync(plain, `a: ${"B".repeat(960_000)}\n`);
      const enc = spawnSync(NODE, [HUSH, "encrypt", "--age", recipient, plain], { env, encoding: "utf8", maxBuffer: 1 << 26 });
      expect(enc.status, enc.stderr).toBe(0);
      // The attacker (no key) anchors the ciphertext and adds 2,000 aliases of it.
      let text = enc.stdout.replace("a: ENC[", "a: &x ENC[");
      const at = text.indexOf("\nsops:");
      text = text.slice(0, at + 1) + Array.from({ length: 2000 }, (_, i) => `k${i}: *x\n`).join("") + text.slice(at + 1);
      const bomb = join(dir, "bomb.enc.yaml");
      writeFileSync(bomb, text);
      expect(text.length).toBeGreaterThan(1_250_000);
      const r = hushHeap(256, ["decrypt", bomb], env);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(2);
      expectCleanError(r.stderr);
      // textconv never fails a diff: it shows the file as it is, and does not crash.
      const t = hushHeap(256, ["git", "textconv", bomb], env);
      expect(t.signal).toBeNull();
      expect(t.status).toBe(0);
      expect(t.stderr).not.toMatch(/FATAL|heap out of memory/);
      expect(t.stdout).not.toContain("B".repeat(100));
    });
  });

  it("a few small aliases still work as sops expands them", async () => {
    await withTempDir((dir) => {
      const { env, recipient } = keys(dir);
      const f = join(dir, "ok.yaml");
      writeFileSync(f, `a: &x hello\nb: *x\nc: *x\n`);
      const enc = join(dir, "ok.enc.yaml");
      expect(spawnSync(NODE, [HUSH, "encrypt", "--age", recipient, "-o", enc, f], { env }).status).toBe(0);
      const d = spawnSync(NODE, [HUSH, "decrypt", enc], { env, encoding: "utf8" });
      // (the anchor stays on the first value, as in the input)
      expect(d.stdout).toMatch(/^a: (&x )?hello\nb: hello\nc: hello\n$/);
    });
  });
});

describe("large binary files: hush never writes a file it cannot read back", () => {
  // 50 MB is within 2 MB of the largest size encrypt accepts under this heap (51.2–51.5 MB on Node
  // 20, 22 and 24): what encrypt accepts, decrypt reads back under the same heap.
  it("50 MB of random bytes encrypt and decrypt exactly under a 256 MB heap", async () => {
    await withTempDir((dir) => {
      const { env, recipient } = keys(dir);
      const data = randomBytes(50 << 20);
      const plain = join(dir, "blob.bin");
      writeFileSync(plain, data);
      const enc = join(dir, "blob.enc");
      const e = hushHeap(256, ["encrypt", "--age", recipient, "-o", enc, plain], env);
      expect(e.status, e.stderr).toBe(0);
      const out = join(dir, "blob.out");
      const d = hushHeap(256, ["decrypt", "-o", out, enc], env);
      expect(d.status, d.stderr).toBe(0);
      expect(readFileSync(out).equals(data)).toBe(true);
      // rotate keeps it readable (the large envelope is re-emitted in sops's layout); it holds the
      // old and the new ciphertext at once, so it gets more room
      const r = hushHeap(512, ["rotate", "-i", enc], env);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(enc, "utf8").startsWith('{\n\t"data": "ENC[AES256_GCM,data:')).toBe(true);
      const d2 = hushHeap(256, ["decrypt", "-o", out, enc], env);
      expect(d2.status, d2.stderr).toBe(0);
      expect(readFileSync(out).equals(data)).toBe(true);
    });
  });

  // The limit compared is the old generation's (--max-old-space-size), not V8's heap_size_limit,
  // which adds a young generation of 48 MB on Node 20/22 but 192 MB on Node 24: against that total
  // the estimate let encrypt start on Node 24, and V8 aborted.
  it("80 MB under the same heap: encrypt refuses up front with one line, writes nothing", async () => {
    await withTempDir((dir) => {
      const { env, recipient } = keys(dir);
      const plain = join(dir, "blob.bin");
      writeFileSync(plain, randomBytes(80 << 20));
      const enc = join(dir, "blob.enc");
      const e = hushHeap(256, ["encrypt", "--age", recipient, "-o", enc, plain], env);
      expect(e.signal).toBeNull();
      expect(e.status).toBe(2);
      expectCleanError(e.stderr);
      expect(e.stderr).toMatch(/the limit is 256 MB/);
      expect(() => readFileSync(enc)).toThrow();
      // the same limit set through NODE_OPTIONS
      const o = spawnSync(NODE, [HUSH, "encrypt", "--age", recipient, "-o", enc, plain], {
        env: { ...env, NODE_OPTIONS: "--max-old-space-size=256" },
        encoding: "utf8",
      });
      expect(o.signal).toBeNull();
      expect(o.status).toBe(2);
      expectCleanError(o.stderr);
      expect(() => readFileSync(enc)).toThrow();
    });
  });
});
