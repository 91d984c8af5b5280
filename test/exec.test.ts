// exec-env and exec-file end to end, with real processes: exit codes and signals pass through,
// values reach the child's environment named as documented, several files override in order,
// and no plaintext file exists while the child runs (exec-env) or after it exits (exec-file).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import type { FormatName } from "../src/model/tree.js";
import { formatNameForPath, getFormat } from "../src/formats/index.js";
import { cleanEnv, HUSH, runHush, withTempDir } from "./helpers.js";

const NODE = process.execPath;
/** A value no file on this machine contains by chance: finding it on disk means a leak. */
const MARKER = `marker-${randomBytes(12).toString("hex")}`;

const NESTED = `db:
    password: ${MARKER}
    port: 5432
    ratio: 2.5
    threshold: 3.0
    tiny: 1e-06
    enabled: true
api-keys:
    stripe-live: sk_x
when: 2024-01-02T03:04:05.5Z
TOP_LEVEL: plain
lower_case: kept
multi: |
    line one
    line two
nothing:
empty_map: {}
`;

let dir: string;
let env: NodeJS.ProcessEnv;
let other: NodeJS.ProcessEnv;
const f = (name: string) => join(dir, name);

async function encryptTo(name: string, text: string, format: FormatName, recipient: string): Promise<void> {
  const enc = await encryptText(text, { format, groups: [[ageRecipient(recipient)]] });
  writeFileSync(f(name), enc.text);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hush-exec-test-"));
  const key = await generateAgeKeyFile();
  const stranger = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
  other = cleanEnv({ SOPS_AGE_KEY: stranger.identity });
  await encryptTo("nested.enc.yaml", NESTED, "yaml", key.recipient);
  await encryptTo("lists.enc.yaml", "hosts:\n    - alpha\n    - beta\nTOP_LEVEL: plain\n", "yaml", key.recipient);
  await encryptTo("flat.enc.json", '{"A": "one", "B": 2.0, "C": true, "D": "multi\\nline", "E": null}\n', "json", key.recipient);
  await encryptTo("base.enc.yaml", "SHARED: base\nONLY_BASE: x\ndb:\n    password: base-pw\n", "yaml", key.recipient);
  await encryptTo("over.enc.json", '{"SHARED": "over", "DB_PASSWORD": "over-pw"}\n', "json", key.recipient);
  await encryptTo("clash.enc.yaml", "db:\n    password: a\nDB_PASSWORD: b\n", "yaml", key.recipient);
  // A child that prints its environment as JSON.
  writeFileSync(f("env.mjs"), "process.stdout.write(JSON.stringify(process.env));\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function childEnv(args: string[], extra: NodeJS.ProcessEnv = {}): Record<string, string> {
  const r = runHush(["exec-env", ...args, "--", NODE, f("env.mjs")], { env: { ...env, ...extra } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** Starts hush without waiting; resolves lines of stdout as they come. */
function startHush(args: string[], opts: { env: NodeJS.ProcessEnv }) {
  const child = spawn(NODE, [HUSH, ...args], { env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (status, signal) => resolve({ status, signal })),
  );
  const waitFor = async (text: string, timeoutMs = 15_000): Promise<void> => {
    const start = Date.now();
    while (!stdout.includes(text)) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${JSON.stringify(text)}; stderr: ${stderr}`);
      if (child.exitCode !== null) throw new Error(`hush exited early (${child.exitCode}); stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, exited, waitFor, out: () => stdout, err: () => stderr };
}

describe("exec-env: exit codes and signals", () => {
  it("exits with the command's exit code and prints nothing of its own", () => {
    for (const code of [0, 1, 7, 255]) {
      const r = runHush(["exec-env", f("nested.enc.yaml"), "--", NODE, "-e", `process.exit(${code})`], { env });
      expect(r.status).toBe(code);
      expect(r.stderr).toBe("");
    }
  });

  it("runs sops's form, a shell command string, with /bin/sh -c", () => {
    const r = runHush(["exec-env", f("nested.enc.yaml"), 'test "$TOP_LEVEL" = plain && exit 5'], { env });
    expect(r.status).toBe(5);
  });

  it("reports a child killed by a signal, and exits with 128 + the signal number", () => {
    const r = runHush(["exec-env", f("nested.enc.yaml"), "--", NODE, "-e", "process.kill(process.pid, 'SIGKILL')"], { env });
    expect(r.status).toBe(137);
    expect(r.stderr).toBe("hush: the command was killed by SIGKILL\n");
    const t = runHush(["exec-env", f("nested.enc.yaml"), "--", NODE, "-e", "process.kill(process.pid, 'SIGTERM')"], { env });
    expect(t.status).toBe(143);
    expect(t.stderr).toBe("hush: the command was killed by SIGTERM\n");
  });

  it.each(["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"] as const)("forwards %s to the child, which records it", async (sig) => {
    const record = f(`got-${sig}`);
    const script = f(`trap-${sig}.mjs`);
    writeFileSync(
      script,
      `import { writeFileSync } from "node:fs";
process.on(${JSON.stringify(sig)}, () => { writeFileSync(${JSON.stringify(record)}, ${JSON.stringify(sig)}); process.exit(42); });
setInterval(() => {}, 1000);
console.log("ready");
`,
    );
    const h = startHush(["exec-env", f("nested.enc.yaml"), "--", NODE, script], { env });
    await h.waitFor("ready");
    h.child.kill(sig);
    const { status } = await h.exited;
    expect(status).toBe(42);
    expect(readFileSync(record, "utf8")).toBe(sig);
    expect(h.err()).toBe("");
  });

  it("a SIGTERM that kills the child ends hush with 143, and the child is not left running", async () => {
    const pidFile = f("child.pid");
    const h = startHush(
      ["exec-env", f("nested.enc.yaml"), "--", NODE, "-e", `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log("ready"); setInterval(() => {}, 1000);`],
      { env },
    );
    await h.waitFor("ready");
    h.child.kill("SIGTERM");
    const { status } = await h.exited;
    expect(status).toBe(143);
    expect(h.err()).toBe("hush: the command was killed by SIGTERM\n");
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(() => process.kill(pid, 0)).toThrow(); // gone
  });

  it("a command that does not exist is exit 127, one that is not executable 126", () => {
    const r = runHush(["exec-env", f("nested.enc.yaml"), "--", "no-such-command-hush-test"], { env });
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^hush: error: command not found: no-such-command-hush-test\n/);
    const r2 = runHush(["exec-env", f("nested.enc.yaml"), "--", f("env.mjs")], { env });
    expect(r2.status).toBe(126);
    expect(r2.stderr).toMatch(/^hush: error: .*permission denied/);
  });
});

describe("exec-env: names and values", () => {
  it("flattens nested keys and converts values as documented", () => {
    const e = childEnv([f("nested.enc.yaml")]);
    expect(e["DB_PASSWORD"]).toBe(MARKER);
    expect(e["DB_PORT"]).toBe("5432");
    expect(e["DB_RATIO"]).toBe("2.5");
    expect(e["DB_THRESHOLD"]).toBe("3.0"); // sops's ValToString for floats
    expect(e["DB_TINY"]).toBe("1E-06");
    expect(e["DB_ENABLED"]).toBe("true");
    expect(e["API_KEYS_STRIPE_LIVE"]).toBe("sk_x");
    expect(e["when"]).toBe("2024-01-02T03:04:05Z"); // RFC 3339, fraction dropped
    expect(e["TOP_LEVEL"]).toBe("plain");
    expect(e["lower_case"]).toBe("kept"); // top-level names stay as written
    expect(e["multi"]).toBe("line one\nline two\n");
    expect(Object.hasOwn(e, "nothing")).toBe(false); // a null is outside the MAC: not exported
    expect(Object.keys(e).filter((k) => /empty_map/i.test(k))).toEqual([]);
  });

  it("list items are refused (positions are not authenticated) unless --env-lists names them by index", () => {
    const r = runHush(["exec-env", f("lists.enc.yaml"), "--", NODE, "-e", ""], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: error: cannot use a list item as an environment variable: hosts\[0\] \(list positions are not covered by the MAC/);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("hush: error:"))).toHaveLength(1);
    const e = childEnv(["--env-lists", f("lists.enc.yaml")]);
    expect([e["HOSTS_0"], e["HOSTS_1"]]).toEqual(["alpha", "beta"]);
  });

  it("--separator joins nested names", () => {
    const e = childEnv(["--separator", "__", f("nested.enc.yaml")]);
    expect(e["DB__PASSWORD"]).toBe(MARKER);
    expect(e["API_KEYS__STRIPE_LIVE"]).toBe("sk_x");
    expect(e["TOP_LEVEL"]).toBe("plain");
  });

  it("--no-flatten is sops's behaviour: top-level values, nested ones an error naming the key only", () => {
    const e = childEnv(["--no-flatten", f("flat.enc.json")]);
    expect([e["A"], e["B"], e["C"], e["D"], e["E"]]).toEqual(["one", "2.0", "true", "multi\nline", undefined]);
    const r = runHush(["exec-env", "--no-flatten", f("nested.enc.yaml"), "--", NODE, "-e", ""], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: error: cannot use complex value in environment; offending key "db"\n/);
    expect(r.stderr).not.toContain(MARKER);
  });

  it("two values with the same name in one file are an error naming both paths", () => {
    const r = runHush(["exec-env", f("clash.enc.yaml"), "--", NODE, "-e", ""], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("DB_PASSWORD: db.password and DB_PASSWORD");
  });

  it("later files override earlier ones, and the files override the parent environment", () => {
    const e = childEnv(["-f", f("base.enc.yaml"), "-f", f("over.enc.json")], { SHARED: "parent", PARENT_ONLY: "p" });
    expect(e["SHARED"]).toBe("over");
    expect(e["DB_PASSWORD"]).toBe("over-pw");
    expect(e["ONLY_BASE"]).toBe("x");
    expect(e["PARENT_ONLY"]).toBe("p");
    // The positional file comes first, then the -f files.
    const e2 = childEnv([f("over.enc.json"), "-f", f("base.enc.yaml")]);
    expect(e2["SHARED"]).toBe("base");
    expect(e2["DB_PASSWORD"]).toBe("base-pw");
  });

  it("reads dotenv files (values verbatim), which override like any other file", async () => {
    const r = formatNameForPath(".env");
    try {
      getFormat(r);
    } catch {
      return; // dotenv not available in this build
    }
    const key = await generateAgeKeyFile();
    await encryptTo("extra.enc.env", 'SHARED=from-dotenv\nQUOTED="x y"\n', "dotenv", key.recipient);
    const e = childEnv(["-f", f("base.enc.yaml"), "-f", f("extra.enc.env")], { SOPS_AGE_KEY: `${env["SOPS_AGE_KEY"]}\n${key.identity}` });
    expect(e["SHARED"]).toBe("from-dotenv");
    expect(e["QUOTED"]).toBe(readValue("QUOTED"));
    expect(e["ONLY_BASE"]).toBe("x");

    function readValue(name: string): string {
      const out = runHush(["decrypt", "--extract", `["${name}"]`, f("extra.enc.env")], { env: cleanEnv({ SOPS_AGE_KEY: key.identity }) });
      expect(out.status).toBe(0);
      return out.stdout;
    }
  });

  it("--pristine passes only the secrets (and still finds the command on hush's PATH)", () => {
    const r = runHush(["exec-env", "--pristine", f("flat.enc.json"), "--", "node", f("env.mjs")], { env: { ...env, PARENT_ONLY: "p" } });
    expect(r.status).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout) as object).sort()).toEqual(["A", "B", "C", "D"]);
  });

  it("--only passes a subset; a name no file defines is an error", () => {
    const e = childEnv(["--pristine", "--only", "DB_PASSWORD,API_KEYS_STRIPE_LIVE", "--only", "TOP_LEVEL", f("nested.enc.yaml")]);
    expect(Object.keys(e).sort()).toEqual(["API_KEYS_STRIPE_LIVE", "DB_PASSWORD", "TOP_LEVEL"]);
    const r = runHush(["exec-env", "--only", "NOPE", f("nested.enc.yaml"), "--", NODE, "-e", ""], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("NOPE");
  });

  it("arguments after -- are the command's, options included", () => {
    writeFileSync(f("args.mjs"), "console.log(process.argv.slice(2).join(' '));\n");
    const r = runHush(["exec-env", f("nested.enc.yaml"), "--", NODE, f("args.mjs"), "--", "--pristine", "-f"], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("-- --pristine -f\n");
  });
});

describe("exec-env: failures happen before the command starts", () => {
  const sentinel = () => f(`ran-${randomBytes(4).toString("hex")}`);
  const touch = (p: string) => [NODE, "-e", `require("fs").writeFileSync(${JSON.stringify(p)}, "")`];

  it.each([
    ["a missing file", (s: string) => ["exec-env", f("missing.enc.yaml"), "--", ...touch(s)], () => env, 100],
    ["no key for the file", (s: string) => ["exec-env", f("nested.enc.yaml"), "--", ...touch(s)], () => other, 128],
    ["no command", () => ["exec-env", f("nested.enc.yaml"), "--"], () => env, 8],
    ["a shell string without a file", () => ["exec-env", "echo hi"], () => env, 8],
  ])("%s", (_name, args, e, code) => {
    const s = sentinel();
    const r = runHush(args(s), { env: e() });
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(/^hush: error: /);
    expect(existsSync(s)).toBe(false);
  });

  it("a MAC mismatch is exit 51 and the command does not run", () => {
    const text = readFileSync(f("flat.enc.json"), "utf8");
    // The MAC replaced by another valid ciphertext (of a value, so it fails authentication).
    const a = /"A": "(ENC\[[^"]+\])"/.exec(text)![1]!;
    const tampered = text.replace(/"mac": "ENC\[[^"]+\]"/, `"mac": "${a}"`);
    expect(tampered).not.toBe(text);
    writeFileSync(f("tampered.enc.json"), tampered);
    const s = sentinel();
    const r = runHush(["exec-env", f("tampered.enc.json"), "--", ...touch(s)], { env });
    expect(r.status).toBe(51);
    expect(existsSync(s)).toBe(false);
  });
});

describe("exec-env: plaintext never touches disk", () => {
  it("no file anywhere hush could write holds a value while the command runs", async () => {
    await withTempDir(async (work) => {
      const tmp = join(work, "tmp");
      const runtime = join(work, "runtime");
      mkdirSync(tmp);
      mkdirSync(runtime);
      const scan = join(work, "scan.mjs");
      writeFileSync(
        scan,
        `import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
const marker = process.env.DB_PASSWORD;
const hits = [];
const seen = [];
function walk(d, depth) {
  let names = [];
  try { names = readdirSync(d); } catch { return; }
  for (const n of names) {
    const p = join(d, n);
    let st; try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) { if (depth < 4) walk(p, depth + 1); continue; }
    if (!st.isFile() || st.size > 1e6) continue;
    seen.push(p);
    try { if (readFileSync(p, "utf8").includes(marker)) hits.push(p); } catch {}
  }
}
for (const d of process.argv.slice(2)) walk(d, 0);
// Files the hush process itself has open.
for (const fd of readdirSync("/proc/" + process.ppid + "/fd")) {
  let target; try { target = readlinkSync("/proc/" + process.ppid + "/fd/" + fd); } catch { continue; }
  if (!target.startsWith("/")) continue;
  try { if (statSync(target).isFile() && readFileSync(target, "utf8").includes(marker)) hits.push(target); } catch {}
}
console.log(JSON.stringify({ marker: marker.length, hits, tmp: readdirSync(process.argv[2]), runtime: readdirSync(process.argv[3]) }));
`,
      );
      const r = runHush(["exec-env", f("nested.enc.yaml"), "--", NODE, scan, tmp, runtime, dir, "/dev/shm"], {
        env: { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: runtime },
      });
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout) as { marker: number; hits: string[]; tmp: string[]; runtime: string[] };
      expect(out.marker).toBe(MARKER.length);
      expect(out.hits).toEqual([]);
      expect(out.tmp).toEqual([]);
      expect(out.runtime).toEqual([]);
    });
  });
});

describe("exec-file", () => {
  const plain = () => runHush(["decrypt", f("nested.enc.yaml")], { env }).stdout;

  it("serves the plaintext through a FIFO at {} and removes it after the command", async () => {
    await withTempDir(async (work) => {
      const script = join(work, "read.mjs");
      writeFileSync(
        script,
        `import { readFileSync, statSync } from "node:fs";
const p = process.argv[2];
const st = statSync(p);
console.log(JSON.stringify({ path: p, fifo: st.isFIFO(), mode: st.mode & 0o777, text: readFileSync(p, "utf8") }));
`,
      );
      const runtime = join(work, "runtime");
      mkdirSync(runtime);
      const r = runHush(["exec-file", f("nested.enc.yaml"), "--", NODE, script, "{}"], { env: { ...env, XDG_RUNTIME_DIR: runtime } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { path: string; fifo: boolean; mode: number; text: string };
      expect(out.fifo).toBe(true);
      expect(out.mode).toBe(0o600);
      expect(out.path.startsWith(runtime)).toBe(true);
      expect(out.path.endsWith("/nested.yaml")).toBe(true);
      expect(out.text).toBe(plain());
      expect(existsSync(out.path)).toBe(false);
      expect(readdirSync(runtime)).toEqual([]);
    });
  });

  it("does not hang when the command never opens the FIFO, and propagates its exit code", async () => {
    await withTempDir(async (work) => {
      const start = Date.now();
      const r = runHush(["exec-file", f("nested.enc.yaml"), "--", NODE, "-e", "process.exit(3)", "{}"], { env: { ...env, XDG_RUNTIME_DIR: work } });
      expect(r.status).toBe(3);
      expect(Date.now() - start).toBeLessThan(10_000);
      expect(readdirSync(work)).toEqual([]);
    });
  });

  it("--no-fifo gives a 0600 regular file, removed after the command exits", async () => {
    await withTempDir(async (work) => {
      const r = runHush(
        ["exec-file", "--no-fifo", "--output-type", "json", "--filename", "app.json", f("nested.enc.yaml"), "--", NODE, "-e",
          "const fs = require('fs'); const p = process.argv[1]; const st = fs.statSync(p); console.log(JSON.stringify({ p, file: st.isFile(), mode: st.mode & 0o777, db: JSON.parse(fs.readFileSync(p, 'utf8')).db }))", "{}"],
        { env: { ...env, XDG_RUNTIME_DIR: work } },
      );
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout) as { p: string; file: boolean; mode: number; db: { password: string } };
      expect(out.file).toBe(true);
      expect(out.mode).toBe(0o600);
      expect(out.p.endsWith("/app.json")).toBe(true);
      expect(out.db.password).toBe(MARKER);
      expect(existsSync(out.p)).toBe(false);
      expect(readdirSync(work)).toEqual([]);
    });
  });

  it.each(["SIGKILL", "SIGTERM"] as const)("--no-fifo removes the file when the command dies of %s", async (sig) => {
    await withTempDir(async (work) => {
      const r = runHush(["exec-file", "--no-fifo", f("nested.enc.yaml"), "--", NODE, "-e", `console.log(process.argv[1]); process.kill(process.pid, "${sig}")`, "{}"], {
        env: { ...env, XDG_RUNTIME_DIR: work },
      });
      expect(r.status).toBe(sig === "SIGKILL" ? 137 : 143);
      expect(existsSync(r.stdout.trim())).toBe(false);
      expect(readdirSync(work)).toEqual([]);
    });
  });

  it("--no-fifo removes the file when hush itself gets SIGTERM", async () => {
    await withTempDir(async (work) => {
      const h = startHush(["exec-file", "--no-fifo", f("nested.enc.yaml"), "--", NODE, "-e", "console.log(process.argv[1]); setInterval(() => undefined, 1000)", "{}"], {
        env: { ...env, XDG_RUNTIME_DIR: work },
      });
      await h.waitFor("\n");
      const path = h.out().trim();
      expect(readFileSync(path, "utf8")).toContain(MARKER);
      h.child.kill("SIGTERM");
      const { status } = await h.exited;
      expect(status).toBe(143);
      expect(existsSync(path)).toBe(false);
      expect(readdirSync(work)).toEqual([]);
    });
  });

  it("sops's form: one shell string with {}", () => {
    const r = runHush(["exec-file", f("flat.enc.json"), "wc -c < {}"], { env });
    expect(r.status).toBe(0);
    expect(Number(r.stdout.trim())).toBe(Buffer.byteLength(runHush(["decrypt", f("flat.enc.json")], { env }).stdout));
  });

  it("rejects a --filename that is not a plain name", () => {
    const r = runHush(["exec-file", "--filename", "../x", f("nested.enc.yaml"), "--", "true"], { env });
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/^hush: error: --filename must be a plain file name/);
  });
});
