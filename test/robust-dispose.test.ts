// Issue 15, dispose(): after load(), get()/getBuffer(), dispose() and garbage collection, the data
// key and the values never read are nowhere in the process's memory (a scan of /proc/self/mem,
// which sees freed memory too), nor in a heap snapshot. A value read with get() is a JS string,
// which cannot be wiped (README says so); getBuffer() plus fill(0) leaves none.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Keyring } from "../src/keys/registry.js";
import { decryptHeld } from "../src/lib/files.js";
import { cleanEnv, HUSH, ROOT, withTempDir } from "./helpers.js";

const mask = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a)).toString("hex");
const READ = "READ-VALUE-7f3a9c-hush-test";
const UNREAD = "UNREAD-VALUE-b81d2e-hush-test";
const UNREAD_2 = "second unread value, 40 bytes long......";

describe.skipIf(process.platform !== "linux")("what dispose() leaves in memory", () => {
  it("no data key, no unread value; a get() string stays (documented), a getBuffer() one does not", async () => {
    await withTempDir(async (dir) => {
      const keys = join(dir, "keys.txt");
      execFileSync("age-keygen", ["-o", keys], { stdio: "ignore" });
      chmodSync(keys, 0o600);
      const recipient = /public key: (age1\w+)/.exec(readFileSync(keys, "utf8"))![1]!;
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: keys });
      writeFileSync(join(dir, "p.yaml"), `read_me: ${READ}\nunread: ${UNREAD}\nnested:\n    more: ${UNREAD_2}\nnum: 1234567\n`);
      const file = join(dir, "p.enc.yaml");
      const enc = spawnSync(process.execPath, [HUSH, "encrypt", "--age", recipient, "-o", file, join(dir, "p.yaml")], { env, encoding: "utf8" });
      expect(enc.status, enc.stderr).toBe(0);
      const res = await decryptHeld(readFileSync(file, "utf8"), { format: "yaml", keyring: new Keyring({ env }) });
      const needles = [Buffer.from(res.dataKey), Buffer.from(UNREAD), Buffer.from(UNREAD_2), Buffer.from(READ)].map(mask);
      res.dataKey.fill(0);
      const probe = (mode: string) => {
        const r = spawnSync(process.execPath, ["--expose-gc", join(ROOT, "test", "support", "memory-probe.mjs"), join(ROOT, "dist"), file, mode, ...needles], {
          env: { ...env, PROBE_DIR: dir },
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { mem: number[]; snapshot: boolean[] };
      };
      for (const mode of ["none", "get", "buf"]) {
        const { mem, snapshot } = probe(mode);
        expect(mem[0], `${mode}: copies of the data key in memory`).toBe(0);
        expect(mem[1], `${mode}: copies of an unread value`).toBe(0);
        expect(mem[2], `${mode}: copies of another unread value`).toBe(0);
        expect(snapshot.slice(0, 3), `${mode}: in the heap snapshot`).toEqual([false, false, false]);
        if (mode === "buf" || mode === "none") expect(mem[3], `${mode}: copies of the value read`).toBe(0);
        // get() made a JS string: it may survive until its memory is reused (README, Library).
        if (mode === "get") expect(mem[3]).toBeLessThanOrEqual(1);
      }
    });
  });

  // Issue 15: the age identity is read into buffers, bech32-decoded from the bytes into a
  // node:crypto key object, and the buffers zeroed: no copy from SOPS_AGE_KEY_FILE (there were 4
  // of the text and 2 lower-cased before). SOPS_AGE_KEY lives in the environment, which cannot be
  // wiped (the process's environ block and process.env's V8 string), but parsing adds none.
  it("the age identity: no copy when read from SOPS_AGE_KEY_FILE; only the environment's own from SOPS_AGE_KEY", async () => {
    await withTempDir(async (dir) => {
      const keys = join(dir, "keys.txt");
      execFileSync("age-keygen", ["-o", keys], { stdio: "ignore" });
      chmodSync(keys, 0o600);
      const keysText = readFileSync(keys, "utf8");
      const recipient = /public key: (age1\w+)/.exec(keysText)![1]!;
      const identity = /AGE-SECRET-KEY-1\w+/.exec(keysText)![0];
      const data = identity.slice("AGE-SECRET-KEY-1".length);
      // The whole identity and its bech32 data part, as written and lower-cased (as decoders take it).
      const needles = [identity, identity.toLowerCase(), data, data.toLowerCase()].map((s) => mask(Buffer.from(s)));
      writeFileSync(join(dir, "p.yaml"), `read_me: ${READ}\n`);
      const file = join(dir, "p.enc.yaml");
      const enc = spawnSync(process.execPath, [HUSH, "encrypt", "--age", recipient, "-o", file, join(dir, "p.yaml")], { env: cleanEnv({}), encoding: "utf8" });
      expect(enc.status, enc.stderr).toBe(0);
      const probe = (mode: string, env: NodeJS.ProcessEnv) => {
        const r = spawnSync(process.execPath, ["--expose-gc", join(ROOT, "test", "support", "memory-probe.mjs"), join(ROOT, "dist"), file, mode, ...needles], {
          env: { ...env, HOME: dir, XDG_CONFIG_HOME: dir, PROBE_DIR: dir },
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { mem: number[]; snapshot: boolean[] };
      };
      for (const mode of ["none", "get"]) {
        const fromFile = probe(mode, cleanEnv({ SOPS_AGE_KEY_FILE: keys }));
        expect(fromFile.mem, `${mode}: copies of the identity read from SOPS_AGE_KEY_FILE`).toEqual([0, 0, 0, 0]);
        expect(fromFile.snapshot).toEqual([false, false, false, false]);
        const fromEnv = probe(mode, cleanEnv({ SOPS_AGE_KEY: identity }));
        // At most the environment's own two; no lower-cased copy (parsing makes no string of it).
        expect(fromEnv.mem[0], `${mode}: copies of the identity given in SOPS_AGE_KEY`).toBeLessThanOrEqual(2);
        expect(fromEnv.mem[1], `${mode}: lower-cased copies`).toBe(0);
      }
    });
  });
});

describe("getBuffer()", () => {
  it("returns the value's bytes (strings exactly, other types as sops encrypts them), null, or undefined", async () => {
    const lib = await import("../src/lib/index.js");
    await withTempDir(async (dir) => {
      const keys = join(dir, "keys.txt");
      execFileSync("age-keygen", ["-o", keys], { stdio: "ignore" });
      const recipient = /public key: (age1\w+)/.exec(readFileSync(keys, "utf8"))![1]!;
      const text = await lib.encrypt({ text: "s: héllo\nn: 42\nb: true\nz: null\nm:\n    k: v\nkeep_unencrypted: clear\n", format: "yaml" }, { age: recipient });
      const s = await lib.load({ text, format: "yaml" }, { env: cleanEnv({ SOPS_AGE_KEY_FILE: keys }) });
      expect(Buffer.from(s.getBuffer("s")!).toString("utf8")).toBe("héllo");
      expect(Buffer.from(s.getBuffer("n")!).toString()).toBe("42");
      expect(Buffer.from(s.getBuffer("b")!).toString()).toBe("True");
      expect(s.getBuffer("z")).toBeNull();
      expect(s.getBuffer("nope")).toBeUndefined();
      expect(Buffer.from(s.getBuffer("keep_unencrypted")!).toString()).toBe("clear");
      expect(() => s.getBuffer("m")).toThrow(/one value/);
      s.dispose();
      expect(() => s.getBuffer("s")).toThrow(/disposed/);
    });
  });
});
