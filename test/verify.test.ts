// `hush verify`: a repository with one tampered, one mis-recipiented and one stale file, and the
// good ones around them; with keys, without keys, text and JSON. Real git, real CLI.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { HUSH, cleanEnv } from "./helpers.js";

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

let key: { identity: string; recipient: string };
let stranger: { identity: string; recipient: string };
let base: string;
let dir: string;
let env: NodeJS.ProcessEnv;

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, "+00:00");
const run = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Run => {
  const r = spawnSync(cmd, args, { cwd: dir, env: { ...env, ...extra }, encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const hush = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(process.execPath, [HUSH, ...args], extra);
const ok = (r: Run) => {
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return r;
};
const commit = (msg: string, date: string) => {
  ok(run("git", ["add", "-A"]));
  ok(run("git", ["commit", "-q", "-m", msg], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }));
};

beforeAll(async () => {
  key = await generateAgeKeyFile();
  stranger = await generateAgeKeyFile();
  base = mkdtempSync(join(tmpdir(), "hush-verify-"));
  dir = join(base, "repo");
  mkdirSync(dir, { recursive: true });
  env = cleanEnv({ HOME: base, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: join(base, ".gitconfig"), SOPS_AGE_KEY: key.identity });
  ok(run("git", ["init", "-q", "-b", "main"]));
  ok(run("git", ["config", "user.name", "Alice"]));
  ok(run("git", ["config", "user.email", "alice@example.com"]));
  writeFileSync(
    join(dir, ".sops.yaml"),
    `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\nhush:\n  rotation:\n    rules:\n      - { path_regex: ^stale, max_age: 90d }\n`,
  );
  writeFileSync(join(dir, "stale.enc.yaml"), "password: old-but-gold\n");
  ok(hush(["encrypt", "-i", "stale.enc.yaml"]));
  commit("the stale one", ago(200));
  for (const name of ["good", "tampered", "recipients"]) {
    writeFileSync(join(dir, `${name}.enc.yaml`), `password: ${name}-secret\nport: 5432\n`);
    ok(hush(["encrypt", "-i", `${name}.enc.yaml`]));
  }
  commit("three more", ago(1));
  // An attacker without a key: swaps two values' ciphertexts (the MAC no longer matches)...
  const t = readFileSync(join(dir, "tampered.enc.yaml"), "utf8");
  const port = /port: (ENC\[[^\]]+\])/.exec(t)![1]!;
  const pw = /password: (ENC\[[^\]]+\])/.exec(t)![1]!;
  writeFileSync(join(dir, "tampered.enc.yaml"), t.replace(pw, "PW").replace(port, pw).replace("PW", port));
  // ...and adds a recipient of their own to another file (its blob copied from the real one).
  const r = readFileSync(join(dir, "recipients.enc.yaml"), "utf8");
  writeFileSync(
    join(dir, "recipients.enc.yaml"),
    r.replace(/(\n {4}age:\n)/, `$1        - recipient: ${stranger.recipient}\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            -----END AGE ENCRYPTED FILE-----\n`),
  );
  commit("an attacker's commit", ago(0));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe("hush verify", () => {
  type Report = { files: { path: string; ok: boolean; decrypted: boolean; problems: string[] }[]; problems: number };
  const json = (args: string[] = [], extra: NodeJS.ProcessEnv = {}) => {
    const r = hush(["verify", "--json", ...args], extra);
    return { status: r.status, stderr: r.stderr, report: JSON.parse(r.stdout) as Report };
  };
  const byPath = (rep: Report) => Object.fromEntries(rep.files.map((f) => [f.path, f]));

  it("with a key: the tampered, mis-recipiented and stale files fail; the good one decrypts", () => {
    const { status, stderr, report } = json();
    expect(status).toBe(1);
    expect(stderr).toMatch(/^hush: error: \d+ problems? in 3 files$/m);
    const f = byPath(report);
    expect(f["good.enc.yaml"]).toMatchObject({ ok: true, decrypted: true, problems: [] });
    expect(f["tampered.enc.yaml"]!.ok).toBe(false);
    expect(f["tampered.enc.yaml"]!.problems.join("\n")).toMatch(/MAC|tampered/);
    expect(f["recipients.enc.yaml"]!.ok).toBe(false);
    expect(f["recipients.enc.yaml"]!.problems.join("\n")).toContain(stranger.recipient);
    expect(f["stale.enc.yaml"]!.ok).toBe(false);
    expect(f["stale.enc.yaml"]!.problems).toEqual([expect.stringMatching(/^\["password"\] expired on \d{4}-\d\d-\d\d: rotate it/)]);
    // No value anywhere in the output.
    const text = hush(["verify"]).stdout;
    for (const v of ["good-secret", "tampered-secret", "recipients-secret", "old-but-gold"]) expect(text + stderr).not.toContain(v);
    expect(text).toMatch(/^good\.enc\.yaml: ok \(decrypted, MAC verified\)$/m);
    expect(text).toMatch(/^tampered\.enc\.yaml: FAIL$/m);
  });

  it("without keys: structure and policy only; the tampered file cannot be told without a key", () => {
    const { status, report } = json([], { SOPS_AGE_KEY: "" });
    expect(status).toBe(1);
    const none = json(["--no-keys"]);
    const f = byPath(none.report);
    expect(f["recipients.enc.yaml"]!.ok).toBe(false);
    expect(f["stale.enc.yaml"]!.ok).toBe(false);
    expect(f["tampered.enc.yaml"]).toMatchObject({ ok: true, decrypted: false });
    expect(byPath(report)["good.enc.yaml"]!.problems.join("\n")).toMatch(/does not decrypt|no key/i);
  });

  it("named paths; a clean set passes with exit 0", () => {
    const r = hush(["verify", "good.enc.yaml"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("1 file checked");
  });
});
