// Locks taken by hard links (issue 20, src/util/lock.ts): from its second lock in a directory a
// process links one holder file (`pid host time`) to each lock's name instead of creating a lock
// file. What every other hush sees must not change: the same `pid host time` in the lock, the same
// refusal (exit 75 naming the pid), the same stale rules when the holder dies; and a release must
// never remove a lock someone else has taken over. Real processes, real files.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockFile } from "../src/util/lock.js";
import { ROOT, withTempDir } from "./helpers.js";

const LOCK_JS = join(ROOT, "dist", "util", "lock.js");

/** Runs an ES module snippet in a fresh Node process with `lockFile` imported from the build. */
function node(code: string, env: Record<string, string> = {}): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import { lockFile } from ${JSON.stringify(LOCK_JS)};\n${code}`], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const holders = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(".hush-holder-"));
const lockOf = (dir: string, name: string) => join(dir, `.${name}.hush.lock`);

describe("locks taken by hard links to one holder file", () => {
  it("share one inode holding `pid host time`; another process is refused naming this pid; a release removes only its own name", async () => {
    await withTempDir(async (dir) => {
      for (const n of ["a", "b", "c"]) writeFileSync(join(dir, n), n);
      const a = await lockFile(join(dir, "a"));
      const b = await lockFile(join(dir, "b"));
      const c = await lockFile(join(dir, "c"));
      // The first lock is a file of its own; the next two are names of the holder file.
      expect(holders(dir)).toHaveLength(1);
      const holder = lstatSync(join(dir, holders(dir)[0]!));
      expect(lstatSync(lockOf(dir, "a")).ino).not.toBe(holder.ino);
      expect(lstatSync(lockOf(dir, "b")).ino).toBe(holder.ino);
      expect(lstatSync(lockOf(dir, "c")).ino).toBe(holder.ino);
      for (const n of ["a", "b", "c"]) expect(readFileSync(lockOf(dir, n), "utf8")).toMatch(new RegExp(`^${process.pid} ${hostname()} \\d{4}-`));
      // Another process cannot take a linked lock, and says whose it is.
      const other = node(`await lockFile(${JSON.stringify(join(dir, "b"))});`, { HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(other.status).not.toBe(0);
      expect(other.stderr).toContain(`is being changed by another hush command (locked by process ${process.pid})`);
      b.release();
      expect(existsSync(lockOf(dir, "b"))).toBe(false);
      expect(existsSync(lockOf(dir, "c"))).toBe(true);
      // Now it can.
      const again = node(`const l = await lockFile(${JSON.stringify(join(dir, "b"))}); l.release();`, { HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(again.status, again.stderr).toBe(0);
      a.release();
      c.release();
      expect(readdirSync(dir).filter((n) => n.endsWith(".hush.lock"))).toEqual([]);
      // The holder file goes a little after the last lock of its directory is released.
      await new Promise((r) => setTimeout(r, 2500));
      expect(holders(dir)).toEqual([]);
    });
  });

  it("a linked lock taken over meanwhile (as stale) is left to its new holder at release", async () => {
    await withTempDir(async (dir) => {
      for (const n of ["a", "b"]) writeFileSync(join(dir, n), n);
      const a = await lockFile(join(dir, "a"));
      const b = await lockFile(join(dir, "b"));
      expect(lstatSync(lockOf(dir, "b")).nlink).toBe(2);
      // Another process removed it and took it: same name, its own file.
      unlinkSync(lockOf(dir, "b"));
      writeFileSync(lockOf(dir, "b"), `999999 ${hostname()} now\n`);
      b.release();
      expect(readFileSync(lockOf(dir, "b"), "utf8")).toBe(`999999 ${hostname()} now\n`);
      a.release();
      unlinkSync(lockOf(dir, "b"));
    });
  });

  it("a holder killed while holding: its linked locks are stale at once, and its holder file is removed by the next process that links", async () => {
    await withTempDir(async (dir) => {
      for (const n of ["a", "b", "c", "d"]) writeFileSync(join(dir, n), n);
      // Takes three locks (two of them links), then dies without any exit handler running.
      const killed = node(`for (const n of ["a", "b", "c"]) await lockFile(${JSON.stringify(dir)} + "/" + n); process.kill(process.pid, "SIGKILL");`);
      expect(killed.signal).toBe("SIGKILL");
      expect(holders(dir)).toHaveLength(1);
      expect(existsSync(lockOf(dir, "c"))).toBe(true);
      // A waiter with no patience at all takes the dead process's linked lock over.
      const next = node(
        `const ls = []; for (const n of ["c", "d"]) ls.push(await lockFile(${JSON.stringify(dir)} + "/" + n)); console.log(ls.length); for (const l of ls) l.release();`,
        { HUSH_LOCK_TIMEOUT_MS: "0" },
      );
      expect(next.status, next.stderr).toBe(0);
      // The dead process's holder file was removed when the second process made its own; its own
      // went at exit; the dead process's other locks stay until someone wants them (and are stale).
      expect(holders(dir)).toEqual([]);
      expect(readdirSync(dir).filter((n) => n.endsWith(".hush.lock")).sort()).toEqual([".a.hush.lock", ".b.hush.lock"]);
      const take = node(`for (const n of ["a", "b"]) (await lockFile(${JSON.stringify(dir)} + "/" + n)).release();`, { HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(take.status, take.stderr).toBe(0);
      expect(readdirSync(dir).filter((n) => n.includes(".hush"))).toEqual([]);
    });
  });

  it("Ctrl-C or SIGTERM while holding: the locks and the holder file go, and the process still ends by that signal", async () => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      await withTempDir(async (dir) => {
        for (const n of ["a", "b", "c"]) writeFileSync(join(dir, n), n);
        const r = node(`for (const n of ["a", "b", "c"]) await lockFile(${JSON.stringify(dir)} + "/" + n); process.kill(process.pid, ${JSON.stringify(sig)}); await new Promise((r) => setTimeout(r, 5000)); console.log("still running");`);
        expect(r.signal, r.stderr).toBe(sig);
        expect(r.stdout).toBe("");
        expect(readdirSync(dir).filter((n) => n.includes(".hush"))).toEqual([]);
      });
    }
  });

  it("a command handling the signal itself keeps its locks until it exits (the exit hook releases them)", async () => {
    await withTempDir(async (dir) => {
      for (const n of ["a", "b"]) writeFileSync(join(dir, n), n);
      const r = node(
        `import { readdirSync } from "node:fs";
for (const n of ["a", "b"]) await lockFile(${JSON.stringify(dir)} + "/" + n);
process.on("SIGINT", () => { console.log(readdirSync(${JSON.stringify(dir)}).filter((n) => n.endsWith(".hush.lock")).length); process.exit(130); });
process.kill(process.pid, "SIGINT"); await new Promise((r) => setTimeout(r, 5000));`,
      );
      expect(r.status, r.stderr).toBe(130);
      expect(r.stdout).toBe("2\n");
      expect(readdirSync(dir).filter((n) => n.includes(".hush"))).toEqual([]);
    });
  });

  it("a holder file left by a killed process is removed by the next lock taken in its directory, by any command", async () => {
    await withTempDir(async (dir) => {
      for (const n of ["a", "b", "c"]) writeFileSync(join(dir, n), n);
      const killed = node(`for (const n of ["a", "b"]) await lockFile(${JSON.stringify(dir)} + "/" + n); process.kill(process.pid, "SIGKILL");`);
      expect(killed.signal).toBe("SIGKILL");
      expect(holders(dir)).toHaveLength(1);
      // One lock on another file (a single-file command such as set): the dead process's holder goes.
      const one = node(`(await lockFile(${JSON.stringify(dir)} + "/c")).release();`, { HUSH_LOCK_TIMEOUT_MS: "0" });
      expect(one.status, one.stderr).toBe(0);
      expect(holders(dir)).toEqual([]);
    });
  });

  it("where the holder file is gone (or links fail), locks are created as files again", async () => {
    await withTempDir(async (dir) => {
      for (const n of ["a", "b", "c"]) writeFileSync(join(dir, n), n);
      const a = await lockFile(join(dir, "a"));
      const b = await lockFile(join(dir, "b"));
      unlinkSync(join(dir, holders(dir)[0]!));
      const c = await lockFile(join(dir, "c"));
      expect(lstatSync(lockOf(dir, "c")).nlink).toBe(1);
      expect(readFileSync(lockOf(dir, "c"), "utf8")).toMatch(new RegExp(`^${process.pid} `));
      for (const l of [a, b, c]) l.release();
      expect(readdirSync(dir).filter((n) => n.includes(".hush"))).toEqual([]);
    });
  });
});
