// Issue 15, "Signals and processes": every catchable signal reaches exec-env's child, SIGUSR1
// never opens the Node inspector, `hush edit` leaves no plaintext on any signal and keeps it on a
// memory file system, key material stays out of the child's environment, and a hanging
// SOPS_AGE_KEY_CMD times out. Real processes and real signals throughout.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, HUSH, withTempDir } from "./helpers.js";

const NODE = process.execPath;

function setup(dir: string, plain = "A: one\nB: two\n"): { env: NodeJS.ProcessEnv; file: string; identity: string; recipient: string } {
  const keys = join(dir, "keys.txt");
  execFileSync("age-keygen", ["-o", keys], { stdio: "ignore" });
  chmodSync(keys, 0o600);
  const text = readFileSync(keys, "utf8");
  const recipient = /public key: (age1\w+)/.exec(text)![1]!;
  const identity = /^(AGE-SECRET-KEY-1\w+)$/m.exec(text)![1]!;
  const env = cleanEnv({ SOPS_AGE_KEY_FILE: keys });
  writeFileSync(join(dir, "s.yaml"), plain);
  const file = join(dir, "s.enc.yaml");
  const r = spawnSync(NODE, [HUSH, "encrypt", "--age", recipient, "-o", file, join(dir, "s.yaml")], { env, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return { env, file, identity, recipient };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(NODE, [HUSH, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (status, signal) => resolve({ status, signal })));
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe("exec-env forwards every catchable signal and exits with the child's status", () => {
  it("USR1, USR2, WINCH, CONT, ALRM reach the child; hush stays until the child exits", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const sigs = ["SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM"] as const;
      const script = join(dir, "child.mjs");
      writeFileSync(
        script,
        `const got = [];
for (const s of ${JSON.stringify(sigs)}) process.on(s, () => { got.push(s); console.log("got " + s); if (got.length === ${sigs.length}) process.exit(42); });
setInterval(() => {}, 1000);
console.log("ready");
`,
      );
      const h = start(["exec-env", file, "--", NODE, script], env);
      await until(() => h.out().includes("ready"), "the child");
      for (const s of sigs) {
        h.child.kill(s);
        await until(() => h.out().includes(`got ${s}`), `the child to get ${s}`);
      }
      const { status } = await h.exited;
      expect(status).toBe(42);
      expect(h.err()).toBe("");
      expect(h.err()).not.toMatch(/Debugger listening/);
    });
  });
});

describe("SIGUSR1 never opens the Node inspector", () => {
  it("hush edit and exec-env: no 'Debugger listening', no listener on 9229", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const ready = join(dir, "ready");
      const editor = join(dir, "editor.mjs");
      writeFileSync(editor, `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(ready)}, "1"); process.on("SIGUSR1", () => {}); setTimeout(() => {}, 3000);\n`);
      chmodSync(editor, 0o755);
      const h = start(["edit", file], { ...env, EDITOR: `${NODE} ${editor}`, XDG_RUNTIME_DIR: dir });
      await until(() => existsSync(ready), "the editor");
      h.child.kill("SIGUSR1");
      await new Promise((r) => setTimeout(r, 300));
      const listening = spawnSync("sh", ["-c", "cat /proc/net/tcp | awk '$4 == \"0A\" {print $2}'"], { encoding: "utf8" }).stdout;
      expect(listening).not.toMatch(/:2405\b/i); // 9229 = 0x2405
      h.child.kill("SIGTERM");
      await h.exited;
      expect(h.err()).not.toMatch(/Debugger listening/);
    });
  });

  it("a plain hush process (the shim's first line) ignores SIGUSR1 instead of starting a debugger", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const h = start(["exec-env", file, "--", NODE, "-e", "process.on('SIGUSR1', () => process.exit(7)); console.log('ready'); setInterval(() => {}, 1000)"], env);
      await until(() => h.out().includes("ready"), "the child");
      h.child.kill("SIGUSR1");
      const { status } = await h.exited;
      expect(status).toBe(7);
      expect(h.err()).not.toMatch(/Debugger/);
    });
  });
});

describe("hush edit removes its plaintext on every signal, and keeps it in memory", () => {
  for (const [sig, code] of [["SIGQUIT", 131], ["SIGUSR2", 140], ["SIGHUP", 129]] as const) {
    it(`${sig}: the temp directory is gone, the file unchanged, exit ${code}`, async () => {
      await withTempDir(async (dir) => {
        const { env, file } = setup(dir);
        const before = readFileSync(file, "utf8");
        const runtime = join(dir, "runtime");
        mkdirSync(runtime, { mode: 0o700 });
        const seen = join(dir, "seen");
        const editor = join(dir, "editor.mjs");
        writeFileSync(editor, `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(seen)}, process.argv[2]); setTimeout(() => {}, 30000);\n`);
        const h = start(["edit", file], { ...env, EDITOR: `${NODE} ${editor}`, XDG_RUNTIME_DIR: runtime });
        await until(() => existsSync(seen) && readFileSync(seen, "utf8") !== "", "the editor");
        const tmp = readFileSync(seen, "utf8");
        expect(tmp.startsWith(runtime)).toBe(true);
        expect(readFileSync(tmp, "utf8")).toContain("A: one");
        h.child.kill(sig);
        const { status } = await h.exited;
        expect(status).toBe(code);
        expect(existsSync(tmp)).toBe(false);
        expect(readdirSync(runtime)).toEqual([]);
        expect(readFileSync(file, "utf8")).toBe(before);
        expect(existsSync(join(dir, ".s.enc.yaml.hush.lock"))).toBe(false);
      });
    });
  }

  it("without XDG_RUNTIME_DIR the copy goes to /dev/shm when there is one", async () => {
    if (!existsSync("/dev/shm")) return;
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const seen = join(dir, "seen");
      const editor = join(dir, "editor.mjs");
      writeFileSync(editor, `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(seen)}, process.argv[2]);\n`);
      const e: NodeJS.ProcessEnv = { ...env, EDITOR: `${NODE} ${editor}` };
      delete e["XDG_RUNTIME_DIR"];
      const r = spawnSync(NODE, [HUSH, "edit", file], { env: e, encoding: "utf8" });
      // The editor changes nothing: sops's exit 200 ("file has not been modified").
      expect(r.status, r.stderr).toBe(200);
      const tmp = readFileSync(seen, "utf8");
      expect(tmp.startsWith("/dev/shm/")).toBe(true);
      expect(existsSync(tmp)).toBe(false);
    });
  });
});

describe("the child of exec-env / exec-file does not inherit key material", () => {
  const KEYS = {
    SOPS_AGE_KEY: "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    SOPS_AGE_KEY_CMD: "true",
    VAULT_TOKEN: "hvs.test-token",
    AWS_ACCESS_KEY_ID: "AKIATEST",
    AWS_SECRET_ACCESS_KEY: "aws-secret",
    AWS_SESSION_TOKEN: "aws-session",
    AZURE_CLIENT_SECRET: "azure-secret",
    GOOGLE_CREDENTIALS: "{}",
  };

  it("removed by default, kept with --keep-key-env; paths and the file's own values stay", async () => {
    await withTempDir(async (dir) => {
      const { env, file, identity } = setup(dir, "A: one\nAWS_SESSION_TOKEN: from-the-file\n");
      const printer = join(dir, "env.mjs");
      writeFileSync(printer, "process.stdout.write(JSON.stringify(process.env));\n");
      // The real key comes from the variable itself (the bogus SOPS_AGE_KEY above is only for the child check).
      const base = { ...env, ...KEYS, SOPS_AGE_KEY: identity, SOPS_AGE_KEY_CMD: "" };
      for (const args of [["exec-env", file, "--", NODE, printer], ["exec-file", file, "--", NODE, printer]]) {
        const r = spawnSync(NODE, [HUSH, ...args], { env: base, encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        const child = JSON.parse(r.stdout) as Record<string, string>;
        for (const k of ["SOPS_AGE_KEY", "VAULT_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AZURE_CLIENT_SECRET", "GOOGLE_CREDENTIALS"]) {
          expect(child[k], `${args[0]} ${k}`).toBeUndefined();
        }
        expect(child["SOPS_AGE_KEY_FILE"]).toBe(env["SOPS_AGE_KEY_FILE"]);
        if (args[0] === "exec-env") {
          expect(child["A"]).toBe("one");
          expect(child["AWS_SESSION_TOKEN"]).toBe("from-the-file");
        } else expect(child["AWS_SESSION_TOKEN"]).toBeUndefined();
        const kept = spawnSync(NODE, [HUSH, args[0]!, "--keep-key-env", ...args.slice(1)], { env: base, encoding: "utf8" });
        expect(kept.status, kept.stderr).toBe(0);
        const k2 = JSON.parse(kept.stdout) as Record<string, string>;
        expect(k2["SOPS_AGE_KEY"]).toBe(identity);
        expect(k2["VAULT_TOKEN"]).toBe("hvs.test-token");
        expect(k2["AWS_SECRET_ACCESS_KEY"]).toBe("aws-secret");
      }
    });
  });
});

describe("a hanging SOPS_AGE_KEY_CMD", () => {
  it("times out after HUSH_KEY_TIMEOUT_MS with one clear line", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      // Only the command can give the key: the file variable points nowhere useful.
      const e = { ...env, SOPS_AGE_KEY_FILE: join(dir, "none.txt"), SOPS_AGE_KEY_CMD: "sleep 60", HUSH_KEY_TIMEOUT_MS: "300" };
      const r = spawnSync(NODE, [HUSH, "decrypt", file], { env: e, encoding: "utf8", timeout: 30_000 });
      expect(r.signal).toBeNull(); // not killed by our timeout: hush ended by itself
      expect(r.status).toBe(128);
      expect(r.stderr).toMatch(/SOPS_AGE_KEY_CMD "sleep": timed out after 0\.3 s \(HUSH_KEY_TIMEOUT_MS\)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
