// Crash safety (issue 9, hardening): `hush encrypt -i`, `hush set` and `hush decrypt -i` are
// killed with SIGKILL in the middle of writing, many times. After every kill the target file is
// either exactly its old content or a complete new version (it decrypts, with the expected
// values): never empty, truncated or half-encrypted, and its mode is unchanged.
//
// A preload (`--import`) slows hush's file operations down and logs each step of writeFileAtomic
// to a side file (synchronously, so the log survives the kill): the temp file is written in eight
// chunks. First each run is killed exactly at one step (the preload stalls there), from creating
// the temp file to after the rename; then at random moments, slowed and at natural speed. The log
// also checks that a stray temp file `.<name>.hush-<pid>-<hex>.tmp` is left only by a kill between
// creating it and the rename, that it is 0600 even when the target is 0644 (after `decrypt -i` it
// holds plaintext) until the chmod just before the rename, and that the next write of the same
// file removes it.
import { spawn } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { decryptText, encryptText } from "../src/lib/files.js";
import { cleanEnv, HUSH, runHush, withTempDir } from "./helpers.js";

const TRIALS = Number(process.env["HUSH_CRASH_TRIALS"] ?? 10);
const PLAIN = `db:
    user: admin
    password: crash-test-s3cret
hosts:
    - alpha
    - beta
`;

/** The preload: slows down and logs every step of writeFileAtomic on a `.hush-` temp file. */
const PRELOAD = `
import { appendFileSync, promises as fsp } from "node:fs";
const log = process.env.HUSH_TEST_FS_LOG;
const step = Number(process.env.HUSH_TEST_FS_DELAY_MS ?? 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stallAt = process.env.HUSH_TEST_FS_STALL;
// Logs a step; when told to stall there, waits (a timer keeps the process alive) to be killed.
const mark = async (m) => {
  appendFileSync(log, m + " " + Date.now() + "\\n");
  if (m === stallAt) await sleep(600_000);
};
const isTemp = (p) => String(p).includes(".hush-");
const h = await fsp.open(process.execPath, "r");
const proto = Object.getPrototypeOf(h);
await h.close();
const origOpen = fsp.open;
fsp.open = async (p, ...rest) => {
  if (!isTemp(p)) return origOpen(p, ...rest);
  await mark("open-start");
  const fh = await origOpen(p, ...rest);
  await mark("opened");
  await sleep(step);
  return fh;
};
const origWriteFile = proto.writeFile;
proto.writeFile = async function (data, ...rest) {
  const buf = Buffer.from(data);
  const chunk = Math.max(1, Math.ceil(buf.length / 8));
  await mark("write-start");
  for (let at = 0, k = 0; at < buf.length; at += chunk, k++) {
    await this.write(buf.subarray(at, at + chunk));
    await mark("chunk-" + k);
    await sleep(step);
  }
  await mark("written");
};
for (const name of ["sync", "close"]) {
  const orig = proto[name];
  proto[name] = async function (...a) { const r = await orig.apply(this, a); await sleep(step); return r; };
}
const origChmod = fsp.chmod;
fsp.chmod = async (p, ...rest) => { const r = await origChmod(p, ...rest); if (isTemp(p)) { await mark("chmod"); await sleep(step); } return r; };
const origRename = fsp.rename;
fsp.rename = async (a, b) => {
  if (!isTemp(a)) return origRename(a, b);
  await mark("rename-start");
  await origRename(a, b);
  await mark("renamed");
};
`;

interface Scenario {
  readonly name: string;
  readonly file: string;
  /** Content before each run. */
  readonly old: () => string;
  readonly mode: number;
  readonly args: (file: string) => string[];
  /** Throws unless `text` is a complete new version. */
  readonly checkNew: (text: string) => Promise<void>;
}

let env: NodeJS.ProcessEnv;
let keyEnv: NodeJS.ProcessEnv;
let recipient = "";
let encrypted = "";

beforeAll(async () => {
  const key = await generateAgeKeyFile();
  recipient = key.recipient;
  keyEnv = { SOPS_AGE_KEY: key.identity };
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
  encrypted = (await encryptText(PLAIN, { format: "yaml", groups: [[ageRecipient(recipient)]] })).text;
});

async function decrypts(text: string): Promise<string> {
  return (await decryptText(text, { format: "yaml", env: keyEnv })).text;
}

const scenarios = (): Scenario[] => [
  {
    name: "encrypt -i",
    file: "secrets.yaml",
    old: () => PLAIN,
    mode: 0o640,
    args: (f) => ["encrypt", "-i", "--age", recipient, f],
    checkNew: async (t) => {
      expect(t).toMatch(/\nsops:\n[\s\S]*\n {4}version: \S+\n$/);
      expect(await decrypts(t)).toBe(PLAIN);
    },
  },
  {
    name: "set",
    file: "secrets.enc.yaml",
    old: () => encrypted,
    mode: 0o600,
    args: (f) => ["set", f, '["db"]["password"]', '"changed-s3cret"'],
    checkNew: async (t) => {
      expect(await decrypts(t)).toBe(PLAIN.replace("crash-test-s3cret", "changed-s3cret"));
    },
  },
  {
    name: "decrypt -i (the target is 0644: a stray temp file must still be 0600)",
    file: "public.enc.yaml",
    old: () => encrypted,
    mode: 0o644,
    args: (f) => ["decrypt", "-i", f],
    checkNew: async (t) => {
      expect(t).toBe(PLAIN);
    },
  },
];

/** The preload's log: each step and when it happened (ms since the epoch). */
function marksOf(log: string): { mark: string; time: number }[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [mark, time] = l.split(" ");
      return { mark: mark!, time: Number(time) };
    });
}

function temps(dir: string, file: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith(`.${file}.hush-`) && n.endsWith(".tmp"));
}

/** Runs hush and SIGKILLs it after `killAfter` ms (unless it ended first). */
function runAndKill(args: string[], runEnv: NodeJS.ProcessEnv, killAfter: number, cwd: string): Promise<{ killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env: runEnv, cwd, stdio: "ignore" });
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill("SIGKILL");
    }, killAfter);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ killed: killed && code === null, code });
    });
  });
}

/** Runs hush until the preload logs `step`, then SIGKILLs it there. */
function killAtStep(args: string[], runEnv: NodeJS.ProcessEnv, step: string, log: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env: { ...runEnv, HUSH_TEST_FS_STALL: step }, cwd, stdio: "ignore" });
    const poll = setInterval(() => {
      if (marksOf(log).some((m) => m.mark === step)) child.kill("SIGKILL");
    }, 5);
    const timeout = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code, signal) => {
      clearInterval(poll);
      clearTimeout(timeout);
      if (signal !== "SIGKILL" || !marksOf(log).some((m) => m.mark === step)) reject(new Error(`${args[0]} did not reach ${step} (exit ${code}, ${signal})`));
      else resolve();
    });
  });
}

/** The steps of writeFileAtomic the preload logs, in order; a kill at any of them but the last leaves the old file. */
const STEPS = ["open-start", "opened", "write-start", "chunk-0", "chunk-3", "written", "chmod", "rename-start", "renamed"] as const;

describe("a crash mid-write never leaves a truncated or half-written file", () => {
  for (const index of [0, 1, 2]) {
    it(`hush ${["encrypt -i", "set", "decrypt -i"][index]}: SIGKILL at each step of the write`, async () => {
      const s = scenarios()[index]!;
      await withTempDir(async (dir) => {
        const target = join(dir, s.file);
        const log = join(dir, "fs.log");
        const preload = join(dir, "slow-fs.mjs");
        writeFileSync(preload, PRELOAD);
        const slowEnv = { ...env, HUSH_TEST_FS_LOG: log, NODE_OPTIONS: `--import ${preload}` };
        for (const step of STEPS) {
          writeFileSync(target, s.old());
          chmodSync(target, s.mode);
          writeFileSync(log, "");
          const before = new Set(temps(dir, s.file));
          await killAtStep(s.args(s.file), slowEnv, step, log, dir);
          const text = readFileSync(target, "utf8");
          const fresh = temps(dir, s.file).filter((n) => !before.has(n));
          expect(statSync(target).mode & 0o777, step).toBe(s.mode);
          if (step === "renamed") {
            await s.checkNew(text);
            expect(fresh, step).toEqual([]);
          } else {
            expect(text === s.old(), `${step}: the target changed before the rename`).toBe(true);
            // Killed after creating the temp file and before the rename: it stays, 0600 until the
            // chmod just before the rename (then the target's mode).
            if (step === "open-start") expect(fresh.length, step).toBeLessThanOrEqual(1);
            else expect(fresh, step).toHaveLength(1);
            for (const name of fresh) {
              const mode = statSync(join(dir, name)).mode & 0o777;
              expect(mode, `${step}: temp file mode`).toBe(step === "chmod" || step === "rename-start" ? s.mode : 0o600);
            }
            // Earlier strays were removed by this run (its process is gone now, so the next run removes this one).
            expect(temps(dir, s.file).filter((n) => before.has(n)), step).toEqual([]);
          }
        }
        // A stray left by a killed run goes with the next complete run.
        writeFileSync(target, s.old());
        writeFileSync(log, "");
        await killAtStep(s.args(s.file), slowEnv, "written", log, dir);
        expect(temps(dir, s.file)).toHaveLength(1);
        const last = runHush(s.args(s.file), { env, cwd: dir });
        expect(last.status, last.stderr).toBe(0);
        expect(temps(dir, s.file)).toEqual([]);
      });
    }, 120_000);
  }

  for (const index of [0, 1, 2]) {
    it(`hush ${["encrypt -i", "set", "decrypt -i"][index]}: SIGKILL at random moments`, async () => {
      const s = scenarios()[index]!;
      await withTempDir(async (dir) => {
        const target = join(dir, s.file);
        const log = join(dir, "fs.log");
        const preload = join(dir, "slow-fs.mjs");
        writeFileSync(preload, PRELOAD);
        const slowEnv = { ...env, HUSH_TEST_FS_LOG: log, NODE_OPTIONS: `--import ${preload}` };
        const reset = () => {
          writeFileSync(target, s.old());
          chmodSync(target, s.mode);
          writeFileSync(log, "");
        };

        // One full slow run: how long it takes, and that it really writes through the preload.
        reset();
        const t0 = Date.now();
        const full = await runAndKill(s.args(s.file), slowEnv, 60_000, dir);
        expect(full.code).toBe(0);
        await s.checkNew(readFileSync(target, "utf8"));
        const fullMarks = marksOf(log);
        const at = (m: string) => fullMarks.find((x) => x.mark === m)!.time - t0;
        // The write, from creating the temp file to the rename, with some slack for start-up jitter.
        const window = [at("open-start") - 40, at("renamed") + 20] as const;
        expect(window[1] - window[0]).toBeGreaterThan(100);

        const phases = new Map<string, number>();
        for (let trial = 0; trial < TRIALS * 2; trial++) {
          const slow = trial < TRIALS;
          reset();
          const before = new Set(temps(dir, s.file));
          // Slowed runs are killed inside the write window, the others anywhere in the run.
          const after = slow ? window[0] + Math.random() * (window[1] - window[0]) : 40 + Math.random() * 400;
          const r = await runAndKill(s.args(s.file), slow ? slowEnv : env, after, dir);
          const text = readFileSync(target, "utf8");
          const marks = marksOf(log).map((x) => x.mark);
          const last = marks[marks.length - 1] ?? "before-write";
          phases.set(r.killed ? `killed at ${last}` : "finished", (phases.get(r.killed ? `killed at ${last}` : "finished") ?? 0) + 1);

          // The target: exactly the old content, or a complete new version; mode kept.
          if (text !== s.old()) {
            await s.checkNew(text);
            if (slow) expect(marks).toContain("rename-start");
          }
          expect(statSync(target).mode & 0o777).toBe(s.mode);

          // Stray temp files: only from a kill after creating one and before the rename, and 0600.
          const left = temps(dir, s.file);
          for (const name of left.filter((n) => !before.has(n))) {
            // 0600 until the chmod right before the rename (after it, the target's own mode).
            const expected = slow && marks.includes("chmod") ? s.mode : 0o600;
            if (slow || s.mode === 0o600) expect(statSync(join(dir, name)).mode & 0o777).toBe(expected);
            else expect([0o600, s.mode]).toContain(statSync(join(dir, name)).mode & 0o777);
          }
          const fresh = left.filter((n) => !before.has(n));
          if (fresh.length > 0) {
            expect(fresh).toHaveLength(1);
            expect(r.killed).toBe(true);
            if (slow) {
              expect(marks).toContain("open-start");
              expect(marks).not.toContain("renamed");
            }
          }
          // Strays of earlier runs are gone once a run got as far as writing.
          if (marks.includes("open-start")) expect(left.filter((n) => before.has(n))).toEqual([]);
          // Leave the strays: the next run must clean them up.
        }
        if (process.env["HUSH_CRASH_VERBOSE"]) console.log(s.name, JSON.stringify([...phases]));
        // A normal run removes every temp file left by killed runs.
        reset();
        const last = runHush(s.args(s.file), { env, cwd: dir });
        expect(last.status).toBe(0);
        expect(temps(dir, s.file)).toEqual([]);
        await s.checkNew(readFileSync(target, "utf8"));
        // (Where the kills landed depends on the machine's load; the steps above cover each one.)
        expect(phases.size, `kill points: ${JSON.stringify([...phases])}`).toBeGreaterThan(0);
      });
    }, 180_000);
  }
});
