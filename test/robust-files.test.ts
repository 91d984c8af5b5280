// Issue 15, "Files on disk": what `-o`/`-i` do to things that are not plain files, concurrent
// writers on one file, and a standard output that cannot be written. Real processes, real files.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, HUSH, withTempDir } from "./helpers.js";

/** A fresh age key (Debian's age-keygen) and an encrypted file in `dir`. */
function setup(dir: string): { env: NodeJS.ProcessEnv; file: string; recipient: string } {
  const keys = join(dir, "keys.txt");
  execFileSync("age-keygen", ["-o", keys], { stdio: "ignore" });
  chmodSync(keys, 0o600);
  const recipient = /public key: (age1\w+)/.exec(readFileSync(keys, "utf8"))![1]!;
  const env = cleanEnv({ SOPS_AGE_KEY_FILE: keys });
  writeFileSync(join(dir, "s.yaml"), "a: 1\nb: secret-b\n");
  const file = join(dir, "s.enc.yaml");
  const r = hush(["encrypt", "--age", recipient, "-o", file, join(dir, "s.yaml")], env);
  expect(r.status, r.stderr).toBe(0);
  return { env, file, recipient };
}

function hush(args: string[], env: NodeJS.ProcessEnv, stdio?: "closed-stdout"): { status: number; stdout: string; stderr: string } {
  if (stdio === "closed-stdout") {
    // Through a shell, as a user would: `>&-` closes descriptor 1 before hush starts.
    const r = spawnSync("sh", ["-c", `"$0" "$@" >&-`, process.execPath, HUSH, ...args], { env, encoding: "utf8" });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  const r = spawnSync(process.execPath, [HUSH, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const isRoot = process.getuid?.() === 0;

describe("-o and -i write through to what is not a regular file", () => {
  it("a character device stays a device (mknod as root; /dev/null's numbers)", async () => {
    await withTempDir((dir) => {
      const { env, file } = setup(dir);
      const dev = join(dir, "n");
      try {
        execFileSync("mknod", ["-m", "666", dev, "c", "1", "3"], { stdio: "ignore" });
      } catch {
        return; // no CAP_MKNOD here: the FIFO and link tests below cover the code path
      }
      const r = hush(["decrypt", "-o", dev, file], env);
      expect(r.status, r.stderr).toBe(0);
      expect(statSync(dev).isCharacterDevice()).toBe(true);
      expect(statSync(dev).mode & 0o777).toBe(0o666);
    });
  });

  it("a FIFO is written into, not replaced", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const fifo = join(dir, "pipe");
      execFileSync("mkfifo", [fifo]);
      const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "inherit"] });
      let got = "";
      reader.stdout.on("data", (c: Buffer) => (got += c.toString()));
      const readerDone = new Promise((r) => reader.on("exit", r));
      const child = spawn(process.execPath, [HUSH, "decrypt", "-o", fifo, file], { env, stdio: ["ignore", "ignore", "pipe"] });
      const code = await new Promise<number | null>((r) => child.on("exit", r));
      await readerDone;
      expect(code).toBe(0);
      expect(got).toBe("a: 1\nb: secret-b\n");
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    });
  });

  it("a FIFO is read as input once (exec-env, <(…) style), its writer served", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const fifo = join(dir, "in.enc.yaml");
      execFileSync("mkfifo", [fifo]);
      const writer = spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", file, fifo], { stdio: "ignore" });
      const writerDone = new Promise<number | null>((r) => writer.on("exit", r));
      const child = spawn(process.execPath, [HUSH, "exec-env", fifo, "--", "printenv", "b"], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => child.on("exit", r));
      expect(code, err).toBe(0);
      expect(out).toBe("secret-b\n");
      expect(await writerDone).toBe(0);
    });
  });

  it("-o /dev/stdout and a link to /proc/self/fd/1 write to the pipe, and leave the link alone", async () => {
    await withTempDir((dir) => {
      const { env, file } = setup(dir);
      const r = hush(["decrypt", "-o", "/dev/stdout", file], env);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe("a: 1\nb: secret-b\n");
      const link = join(dir, "out");
      symlinkSync("/proc/self/fd/1", link);
      const r2 = hush(["decrypt", "-o", link, file], env);
      expect(r2.status, r2.stderr).toBe(0);
      expect(r2.stdout).toBe("a: 1\nb: secret-b\n");
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe("/proc/self/fd/1");
    });
  });

  it.skipIf(!isRoot)("as a normal user, -o /dev/stdout opens the pipe for writing (no EACCES from a rename in /dev)", async (ctx) => {
    await withTempDir((dir) => {
      const { file } = setup(dir);
      // The user must be able to read the key and the file; the repository is world-readable here.
      chmodSync(dir, 0o755);
      chmodSync(join(dir, "keys.txt"), 0o644);
      chmodSync(file, 0o644);
      const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt") });
      const asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath];
      // A checkout that user cannot reach (e.g. under a 0700 mktemp directory) cannot be run as it.
      const reach = spawnSync("setpriv", [...asNobody, "-e", `require("node:fs").accessSync(${JSON.stringify(HUSH)})`], { encoding: "utf8" });
      if (reach.error || reach.status !== 0) ctx.skip();
      const r = spawnSync("setpriv", [...asNobody, HUSH, "decrypt", "-o", "/dev/stdout", file], {
        env,
        encoding: "utf8",
      });
      // No setpriv, or not allowed in this sandbox: reported as skipped, not passed.
      if (r.error || /setpriv: /.test(r.stderr)) ctx.skip();
      expect(r.stderr).not.toMatch(/EACCES/);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe("a: 1\nb: secret-b\n");
    });
  });

  it("hush set on a symlink updates the target atomically and keeps the link and the mode", async () => {
    await withTempDir((dir) => {
      const { env, file } = setup(dir);
      chmodSync(file, 0o640);
      mkdirSync(join(dir, "links"));
      const link = join(dir, "links", "link.enc.yaml");
      symlinkSync("../s.enc.yaml", link);
      const r = hush(["set", link, '["c"]', '"via-link"'], env);
      expect(r.status, r.stderr).toBe(0);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o640);
      const d = hush(["decrypt", file], env);
      expect(d.stdout).toBe("a: 1\nb: secret-b\nc: via-link\n");
      // no temp or lock left beside either name
      expect(execFileSync("ls", ["-A", dir, join(dir, "links")], { encoding: "utf8" })).not.toMatch(/\.hush/);
    });
  });

  it("a new plaintext file is created 0600; an existing one keeps its mode", async () => {
    await withTempDir((dir) => {
      const { env, file } = setup(dir);
      const out = join(dir, "plain.yaml");
      expect(hush(["decrypt", "-o", out, file], env).status).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      chmodSync(out, 0o640);
      expect(hush(["decrypt", "-o", out, file], env).status).toBe(0);
      expect(statSync(out).mode & 0o777).toBe(0o640);
      // through a dangling link: the target is created, 0600, and the link stays
      const link = join(dir, "dangling.yaml");
      symlinkSync("made.yaml", link);
      expect(hush(["decrypt", "-o", link, file], env).status).toBe(0);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(statSync(join(dir, "made.yaml")).mode & 0o777).toBe(0o600);
    });
  });
});

describe("concurrent writers on one file: every update lands, or the loser fails cleanly", () => {
  it("8 concurrent `hush set`, one key each", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const runs = Array.from({ length: 8 }, (_, i) =>
        new Promise<{ i: number; code: number | null; stderr: string }>((resolve) => {
          const c = spawn(process.execPath, [HUSH, "set", file, `["k${i}"]`, `"v${i}"`], { env: { ...env, HUSH_LOCK_TIMEOUT_MS: "30000" }, stdio: ["ignore", "ignore", "pipe"] });
          let stderr = "";
          c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          c.on("exit", (code) => resolve({ i, code, stderr }));
        }),
      );
      const results = await Promise.all(runs);
      const d = hush(["decrypt", file], env);
      expect(d.status, d.stderr).toBe(0);
      for (const r of results) {
        if (r.code === 0) expect(d.stdout).toContain(`k${r.i}: v${r.i}\n`);
        else {
          expect(r.code).toBe(75);
          expect(r.stderr).toMatch(/^hush: error: .* is being changed by another hush command/);
        }
      }
      // With a 30 s wait, none should have given up on this machine.
      expect(results.filter((r) => r.code === 0).length).toBe(8);
      expect(existsSync(join(dir, ".s.enc.yaml.hush.lock"))).toBe(false);
    });
  });

  it("a held lock makes a second writer fail with exit 75 after the wait; a dead holder's lock is taken over", async () => {
    await withTempDir(async (dir) => {
      const { env, file } = setup(dir);
      const lock = join(dir, ".s.enc.yaml.hush.lock");
      // A live holder: this test process.
      writeFileSync(lock, `${process.pid} ${(await import("node:os")).hostname()} now\n`);
      const r = hush(["set", file, '["x"]', '"1"'], { ...env, HUSH_LOCK_TIMEOUT_MS: "300" });
      expect(r.status).toBe(75);
      expect(r.stderr.trim().split("\n")[0]).toMatch(new RegExp(`^hush: error: .*s\\.enc\\.yaml is being changed by another hush command \\(locked by process ${process.pid}\\)$`));
      expect(hush(["decrypt", file], env).stdout).not.toContain("x:");
      // A dead holder (a pid that has exited): stale, taken over at once.
      const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
      writeFileSync(lock, `${dead} ${(await import("node:os")).hostname()} then\n`);
      const r2 = hush(["set", file, '["x"]', '"one"'], { ...env, HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(r2.status, r2.stderr).toBe(0);
      expect(hush(["decrypt", file], env).stdout).toContain("x: one\n");
      expect(existsSync(lock)).toBe(false);
      // An empty lock (a writer killed between creating it and writing its pid): a fresh one is
      // waited for, one older than two seconds is taken over.
      writeFileSync(lock, "");
      const r3 = hush(["set", file, '["x"]', '"two"'], { ...env, HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(r3.status).toBe(75);
      const old = new Date(Date.now() - 5000);
      utimesSync(lock, old, old);
      const r4 = hush(["set", file, '["x"]', '"two"'], { ...env, HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(r4.status, r4.stderr).toBe(0);
      expect(hush(["decrypt", file], env).stdout).toContain("x: two\n");
      expect(existsSync(lock)).toBe(false);
    });
  });
});

describe("a standard output that cannot be written", () => {
  it("> /dev/full: one line, exit 3", async () => {
    await withTempDir((dir) => {
      const { env, file } = setup(dir);
      const r = spawnSync("sh", ["-c", `"$0" "$@" > /dev/full`, process.execPath, HUSH, "decrypt", file], { env, encoding: "utf8" });
      expect(r.status).toBe(3);
      expect(r.stderr).toBe("hush: error: cannot write to standard output: ENOSPC\n");
    });
  });

  it(">&-: non-zero (3), one error line", async () => {
    await withTempDir((dir) => {
      const { env, file } = setup(dir);
      const r = hush(["decrypt", file], env, "closed-stdout");
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(/^hush: error: standard output is closed\n/);
      // a shell's > /dev/null is a choice, not a mistake
      const ok = spawnSync("sh", ["-c", `"$0" "$@" > /dev/null`, process.execPath, HUSH, "decrypt", file], { env, encoding: "utf8" });
      expect(ok.status, ok.stderr).toBe(0);
      // The documented trade-off (README, "Errors and exit codes"): /dev/null opened read-write
      // (Node's stdio "ignore", Python's DEVNULL, 1<>/dev/null) is what Node makes of a closed
      // descriptor 1, so it is refused the same way (sops exits 0 there).
      const ignored = spawnSync(process.execPath, [HUSH, "decrypt", file], { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
      expect(ignored.status).toBe(3);
      expect(ignored.stderr).toMatch(/^hush: error: standard output is closed\n/);
      const rw = spawnSync("sh", ["-c", `"$0" "$@" 1<>/dev/null`, process.execPath, HUSH, "decrypt", file], { env, encoding: "utf8" });
      expect(rw.status).toBe(3);
    });
  });
});
