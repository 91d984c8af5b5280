// Issue 14, attack 4: unauthenticated parts exported. An attacker who can push but holds no key
// edits an encrypted file's text: adds `PATH: null` / `BASH_ENV: null` (nulls are never encrypted
// and never in the MAC), wraps a value in a list (list positions are in neither the MAC nor the
// AAD), or, in a mac_only_encrypted file, adds a clear value. The victim's exports (exec-env, the
// library's toEnv, hush-sops/config, the Action's env and dotenv exports) must not carry any of it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDecryptAction, type ActionIO } from "../src/action/decrypt.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { load } from "../src/lib/load.js";
import { dangerousEnvName } from "../src/model/env-policy.js";
import { cleanEnv, ROOT, runHush } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;
let legit: string;
const f = (name: string) => join(dir, name);
const NODE = process.execPath;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hush-attack4-"));
  const key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
  legit = (await encryptText("API_KEY: key-1234\nDB_PASSWORD: pw-5678\n", { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text;
  // The attacker's commits: text edits only, no key.
  writeFileSync(f("nulls.enc.yaml"), legit.replace("API_KEY:", "PATH: null\nBASH_ENV: null\nLD_PRELOAD:\nAPI_KEY:"));
  writeFileSync(f("wrapped.enc.yaml"), legit.replace(/API_KEY: (ENC\[[^\]]*\])/, "API_KEY:\n    - $1"));
  const macOnly = (
    await encryptText("password: pw-5678\nlog_level: info\n", {
      format: "yaml",
      groups: [[ageRecipient(key.recipient)]],
      rules: { encrypted_regex: "^password$" },
      macOnlyEncrypted: true,
    })
  ).text;
  writeFileSync(f("maconly.enc.yaml"), macOnly.replace("log_level: info", "log_level: info\nHTTPS_PROXY: http://attacker.example:8080"));
  writeFileSync(f("env.mjs"), "process.stdout.write(JSON.stringify(process.env));\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The environment a child of `hush exec-env ARGS` sees. */
function childEnv(args: string[]): { status: number; stderr: string; env: Record<string, string> } {
  const r = runHush(["exec-env", ...args, "--", NODE, f("env.mjs")], { env });
  return { status: r.status, stderr: r.stderr, env: r.status === 0 ? (JSON.parse(r.stdout) as Record<string, string>) : {} };
}

/** A fake runner for the Action's main step; GITHUB_ENV exports are recorded. */
function fakeRunner(inputs: Record<string, string>): { io: ActionIO; exported: Map<string, string>; failed: string[]; warnings: string[]; outputs: Map<string, string> } {
  const exported = new Map<string, string>();
  const outputs = new Map<string, string>();
  const failed: string[] = [];
  const warnings: string[] = [];
  const io: ActionIO = {
    getInput: (n) => inputs[n] ?? "",
    setSecret: () => {},
    exportVariable: (n, v) => void exported.set(n, v),
    setOutput: (n, v) => void outputs.set(n, v),
    saveState: () => {},
    getState: () => "",
    info: () => {},
    warning: (m) => void warnings.push(m),
    setFailed: (m) => void failed.push(m),
  };
  return { io, exported, failed, warnings, outputs };
}

describe("attack 4: nulls, lists and clear values outside the MAC are not exported", () => {
  it("exec-env: injected PATH/BASH_ENV/LD_PRELOAD nulls do not reach the child; the real values do", () => {
    const r = childEnv([f("nulls.enc.yaml")]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.env["PATH"]).toBe(process.env["PATH"]);
    expect(Object.hasOwn(r.env, "BASH_ENV")).toBe(false);
    expect(Object.hasOwn(r.env, "LD_PRELOAD")).toBe(false);
    expect([r.env["API_KEY"], r.env["DB_PASSWORD"]]).toEqual(["key-1234", "pw-5678"]);
  });

  it("exec-env: a value wrapped in a list is refused with one line; the command never runs", () => {
    const marker = f("ran");
    const r = runHush(["exec-env", f("wrapped.enc.yaml"), "--", NODE, "-e", `require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: error: cannot use a list item as an environment variable: API_KEY\[0\] /);
    expect(r.stderr.split("\n").filter((l) => l.startsWith("hush: error:"))).toHaveLength(1);
    expect(r.stderr).not.toContain("key-1234");
    expect(() => readFileSync(marker)).toThrow();
  });

  it("exec-env: a clear value added to a mac_only_encrypted file is not exported (named in a warning)", () => {
    const r = childEnv([f("maconly.enc.yaml")]);
    expect(r.status).toBe(0);
    expect(Object.hasOwn(r.env, "HTTPS_PROXY")).toBe(false);
    expect(Object.hasOwn(r.env, "log_level")).toBe(false);
    expect(r.env["password"]).toBe("pw-5678");
    expect(r.stderr).toContain("hush: warning: not exported: HTTPS_PROXY: stored in clear outside the MAC");
    expect(r.stderr).not.toContain("attacker.example");
  });

  it("the library's toEnv() skips the nulls and refuses the list", async () => {
    const s = await load(f("nulls.enc.yaml"), { env });
    expect(s.toEnv()).toEqual({ API_KEY: "key-1234", DB_PASSWORD: "pw-5678" });
    s.dispose();
    const w = await load(f("wrapped.enc.yaml"), { env });
    expect(() => w.toEnv()).toThrow(/list item as an environment variable: API_KEY\[0\]/);
    w.dispose();
  });

  it("hush-sops/config does not set PATH from an injected null", () => {
    const config = pathToFileURL(join(ROOT, "dist", "lib", "config.js")).href;
    const r = spawnSync(NODE, ["--import", config, "-e", "process.stdout.write(JSON.stringify({p: process.env.PATH, b: process.env.BASH_ENV ?? null, k: process.env.API_KEY}))"], {
      cwd: dir,
      env: { ...env, HUSH_FILE: f("nulls.enc.yaml"), HUSH_OVERRIDE: "1" },
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ p: env["PATH"], b: null, k: "key-1234" });
  });

  it("the Action exports no PATH= or BASH_ENV= to later steps (env and dotenv)", async () => {
    const runnerEnv = { ...env, GITHUB_WORKSPACE: dir, GITHUB_ENV: f("github-env"), RUNNER_TEMP: f("runner-temp") };
    const e = fakeRunner({ files: "nulls.enc.yaml", export: "env" });
    await runDecryptAction(e.io, runnerEnv);
    expect(e.failed).toEqual([]);
    expect([...e.exported.keys()].sort()).toEqual(["API_KEY", "DB_PASSWORD"]);

    const d = fakeRunner({ files: "nulls.enc.yaml", export: "dotenv" });
    await runDecryptAction(d.io, runnerEnv);
    expect(d.failed).toEqual([]);
    const dotenv = readFileSync(d.outputs.get("dotenv-file")!, "utf8");
    expect(dotenv.split("\n").filter(Boolean).map((l) => l.split("=")[0])).toEqual(["API_KEY", "DB_PASSWORD"]);

    const w = fakeRunner({ files: "wrapped.enc.yaml", export: "env" });
    await runDecryptAction(w.io, runnerEnv);
    expect(w.failed).toHaveLength(1);
    expect(w.failed[0]).toMatch(/^wrapped\.enc\.yaml: cannot use a list item as an environment variable: API_KEY\[0\]/);
    expect(w.exported.size).toBe(0);

    const m = fakeRunner({ files: "maconly.enc.yaml", export: "env" });
    await runDecryptAction(m.io, runnerEnv);
    expect(m.failed).toEqual([]);
    expect([...m.exported.keys()]).toEqual(["password"]);
    expect(m.warnings.join("\n")).toContain("maconly.enc.yaml: HTTPS_PROXY");
  });
});

describe("names that change how programs run", () => {
  let danger: string;
  beforeAll(async () => {
    const key = await generateAgeKeyFile();
    env = cleanEnv({ SOPS_AGE_KEY: key.identity });
    danger = f("danger.enc.yaml");
    writeFileSync(danger, (await encryptText("NODE_OPTIONS: --require=/tmp/x.js\nLD_LIBRARY_PATH: /tmp\nOK: yes-it-is\n", { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text);
  });

  it("are refused from a secrets file, even encrypted, unless allowed by name or prefix", () => {
    const r = runHush(["exec-env", danger, "--", NODE, "-e", ""], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^hush: error: refusing to set NODE_OPTIONS from a secrets file: NODE_OPTIONS changes how programs run/);
    expect(r.stderr).toContain("hush: hint: if it is meant, allow it explicitly: exec-env --allow-env-name NODE_OPTIONS");
    expect(r.stderr).not.toContain("/tmp/x.js");
    const half = runHush(["exec-env", "--allow-env-name", "NODE_OPTIONS", danger, "--", NODE, "-e", ""], { env });
    expect(half.stderr).toMatch(/refusing to set LD_LIBRARY_PATH .*: LD_\* changes/);
    const ok = runHush(["exec-env", "--allow-env-name", "LD_*", "--allow-env-name", "NODE_OPTIONS", danger, "--", NODE, "-e", "process.stdout.write(process.env.OK)"], {
      env: { ...env, NODE_OPTIONS: "" },
    });
    // The child is node: the allowed NODE_OPTIONS makes it fail to start, which shows it was set.
    expect(ok.stderr).toContain("/tmp/x.js");
  });

  it("the documented list covers the issue's examples, case-insensitively", () => {
    for (const n of ["PATH", "Path", "LD_PRELOAD", "LD_LIBRARY_PATH", "NODE_OPTIONS", "BASH_ENV", "ENV", "GITHUB_TOKEN", "RUNNER_TEMP", "DYLD_INSERT_LIBRARIES", "PYTHONPATH", "SOPS_AGE_KEY_CMD"]) {
      expect(dangerousEnvName(n), n).toBeDefined();
    }
    for (const n of ["DATABASE_URL", "API_KEY", "PATHNAME", "ENVIRONMENT", "HOME_DIR"]) expect(dangerousEnvName(n), n).toBeUndefined();
  });
});
