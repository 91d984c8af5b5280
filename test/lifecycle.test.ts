// Secret lifecycle: generated values (`set --generate`, `rotate-value`), the rotation policy of
// .sops.yaml (`hush.rotation`) applied by `rotation-status`, with real git and the real CLI.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { generateValue, parseGenerateSpec, specLike } from "../src/lib/generate.js";
import { HUSH, cleanEnv } from "./helpers.js";

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

let key: { identity: string; recipient: string };
const temps: string[] = [];
beforeAll(async () => {
  key = await generateAgeKeyFile();
});
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe("generated values", () => {
  const cases: [string, RegExp][] = [
    ["", /^[A-Za-z0-9]{32}$/],
    ["20", /^[A-Za-z0-9]{20}$/],
    ["alnum:8", /^[A-Za-z0-9]{8}$/],
    ["hex", /^[0-9a-f]{64}$/],
    ["hex:16", /^[0-9a-f]{16}$/],
    ["base64", /^[A-Za-z0-9+/]{43}=$/],
    ["base64url:16", /^[A-Za-z0-9_-]{22}$/],
    ["uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ["django", /^[a-z0-9!@#$%^&*(\-_=+)]{50}$/],
    ["ascii:40", /^[!#-&(-[\]-_a-~]{40}$/],
    ["chars:ab:40", /^[ab]{40}$/],
  ];
  it.each(cases)("spec %j has the promised length and alphabet", (spec, shape) => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const v = generateValue(parseGenerateSpec(spec));
      expect(v).toMatch(shape);
      seen.add(v);
    }
    expect(seen.size).toBe(50); // random, not constant
  });

  it("uses every character of the alphabet (no bias towards a prefix of it)", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 200; i++) for (const c of generateValue(parseGenerateSpec("chars:abcdefghij:50"))) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe("abcdefghij");
    for (const n of counts.values()) expect(n).toBeGreaterThan(700); // 1,000 expected each
  });

  it("refuses bad specs with one clear line", () => {
    for (const bad of ["nope", "hex:7", "alnum:0", "alnum:x", "uuid:3", "chars:a:4", "alnum:5000"]) {
      expect(() => parseGenerateSpec(bad)).toThrow(/--generate|generate/);
    }
  });

  it("a new value keeps the old one's shape", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), (bytes) => {
        const b = Buffer.from(bytes);
        const hex = b.toString("hex");
        if (hex.length >= 16) expect(generateValue(specLike(hex))).toMatch(new RegExp(`^[0-9a-f]{${hex.length}}$`));
        const b64 = b.toString("base64");
        if (/[+/=]/.test(b64) && b64.length >= 16) expect(Buffer.from(generateValue(specLike(b64)), "base64").length).toBe(b.length);
      }),
    );
    expect(generateValue(specLike("2f1c9a4e-0b7d-4c1e-9f3a-6d5e4c3b2a10"))).toMatch(/^[0-9a-f-]{36}$/);
    expect(generateValue(specLike("short"))).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(generateValue(specLike("p@ss-w0rd!with$ymbols"))).toHaveLength(21);
  });
});

describe("rotation policy, end to end (three classes)", () => {
  const DAY = 86_400_000;
  const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d+Z$/, "+00:00");
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const run = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Run => {
    const r = spawnSync(cmd, args, { cwd: dir, env: { ...env, ...extra }, encoding: "utf8", timeout: 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const hush = (args: string[]) => run(process.execPath, [HUSH, ...args]);
  const ok = (r: Run) => {
    if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
    return r;
  };
  const commit = (msg: string, date: string) => {
    ok(run("git", ["add", "-A"]));
    ok(run("git", ["commit", "-q", "-m", msg], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }));
  };
  type Status = { file: string; values: { path: string; state?: string; class?: string }[]; dataKey: { state?: string } }[];
  const status = (args: string[] = []) => {
    const r = hush(["rotation-status", "--json", ...args]);
    return { code: r.status, stderr: r.stderr, files: JSON.parse(r.stdout) as Status };
  };
  const states = (files: Status) =>
    Object.fromEntries(files.flatMap((f) => f.values.map((v) => [`${f.file} ${v.path}`, `${v.state ?? "-"}/${v.class ?? "-"}`])));

  it("warns, expires, and is clean again after rotate-value", () => {
    const base = mkdtempSync(join(tmpdir(), "hush-life-"));
    temps.push(base);
    dir = join(base, "repo");
    mkdirSync(join(dir, "prod"), { recursive: true });
    mkdirSync(join(dir, "dev"), { recursive: true });
    env = cleanEnv({
      HOME: base,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: join(base, ".gitconfig"),
      SOPS_AGE_KEY: key.identity,
    });
    ok(run("git", ["init", "-q", "-b", "main"]));
    ok(run("git", ["config", "user.name", "Alice"]));
    ok(run("git", ["config", "user.email", "alice@example.com"]));
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:
  - path_regex: \\.enc\\.yaml$
    age: ${key.recipient}
hush:
  rotation:
    classes:
      critical: { max_age: 90d, warn_before: 14d }
      high: { max_age: 180d, warn_before: 14d }
      medium: { max_age: 365d, warn_before: 30d }
    rules:
      - { path_regex: ^prod/, key_regex: password, class: critical }
      - { key_regex: token, class: high }
      - { class: medium }
`,
    );
    writeFileSync(join(dir, "prod", "db.enc.yaml"), "db:\n    password: 8c1f0e7a9b2d4c6e8f0a1b3c5d7e9f10\n    user: app\napi_token: tok_1234567890abcdef\n");
    ok(hush(["encrypt", "-i", "prod/db.enc.yaml"]));
    commit("prod secrets", ago(80));
    writeFileSync(join(dir, "dev", "app.enc.yaml"), "session_secret: 2f1c9a4e-0b7d-4c1e-9f3a-6d5e4c3b2a10\n");
    ok(hush(["encrypt", "-i", "dev/app.enc.yaml"]));
    commit("dev secrets", ago(370));

    // 80 days: the critical password is within its 14-day warning; the dev secret (medium) expired.
    let s = status();
    expect(states(s.files)).toEqual({
      'prod/db.enc.yaml ["db"]["password"]': "expiring/critical",
      'prod/db.enc.yaml ["db"]["user"]': "ok/medium",
      'prod/db.enc.yaml ["api_token"]': "ok/high",
      'dev/app.enc.yaml ["session_secret"]': "expired/medium",
    });
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/^hush: error: 1 value or data key expired$/m);
    const text = hush(["rotation-status"]).stdout;
    expect(text).toMatch(/\["db"\]\["password"\]\s+EXPIRING \[critical\]/);
    expect(text).toMatch(/\["session_secret"\]\s+EXPIRED \[medium\]/);

    // The expired one is rotated (same shape: a UUID stays a UUID); only the warning is left: exit 10.
    const before = readFileSync(join(dir, "dev", "app.enc.yaml"), "utf8");
    const rv = ok(hush(["rotate-value", "dev/app.enc.yaml", "session_secret"]));
    expect(rv.stdout).toBe(""); // never printed unless asked
    expect(rv.stderr).toContain("rotated 1 value in dev/app.enc.yaml");
    const after = readFileSync(join(dir, "dev", "app.enc.yaml"), "utf8");
    expect(after).not.toBe(before);
    const dec = ok(hush(["decrypt", "--extract", '["session_secret"]', "dev/app.enc.yaml"])).stdout;
    expect(dec).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(dec).not.toBe("2f1c9a4e-0b7d-4c1e-9f3a-6d5e4c3b2a10");
    commit("rotate the dev session secret", ago(0));
    s = status();
    expect(s.code).toBe(10);
    expect(s.stderr).toMatch(/^hush: error: 1 value or data key expiring soon$/m);
    expect(states(s.files)['dev/app.enc.yaml ["session_secret"]']).toBe("ok/medium");

    // The warning is heeded: rotate-value on the password (hex stays hex of its length); clean.
    const shown = JSON.parse(ok(hush(["rotate-value", "--show", "prod/db.enc.yaml", "db.password"])).stdout) as Record<string, string>;
    expect(shown["db.password"]).toMatch(/^[0-9a-f]{32}$/);
    expect(ok(hush(["decrypt", "--extract", '["db"]["password"]', "prod/db.enc.yaml"])).stdout).toBe(shown["db.password"]);
    commit("rotate the prod password", ago(0));
    s = status();
    expect(s.code, s.stderr).toBe(0);
    expect(Object.values(states(s.files)).every((v) => v.startsWith("ok/"))).toBe(true);
  });

  it("a data-key policy; --max-age replaces the policy; set --generate", () => {
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\nhush:\n  rotation:\n    data_key: { max_age: 365d, warn_before: 30d }\n`,
    );
    commit("data key policy only", ago(0));
    let s = status();
    expect(s.files.find((f) => f.file.startsWith("dev/"))!.dataKey.state).toBe("expired");
    expect(s.files.find((f) => f.file.startsWith("prod/"))!.dataKey.state).toBe("ok");
    expect(s.code).toBe(1);
    ok(hush(["rotate", "-i", "dev/app.enc.yaml"]));
    commit("rotate the dev data key", ago(0));
    s = status();
    expect(s.code, s.stderr).toBe(0);

    const strict = hush(["rotation-status", "--max-age", "30d", "prod/db.enc.yaml"]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("2 encrypted values are older than 30d"); // user and api_token

    const gen = ok(hush(["set", "--generate=hex:40", "prod/db.enc.yaml", '["new_key"]']));
    ok(hush(["set", "--generate", "prod/db.enc.yaml", '["other_key"]']));
    expect(ok(hush(["decrypt", "--extract", '["other_key"]', "prod/db.enc.yaml"])).stdout).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(gen.stdout).toBe("");
    expect(ok(hush(["decrypt", "--extract", '["new_key"]', "prod/db.enc.yaml"])).stdout).toMatch(/^[0-9a-f]{40}$/);
    const both = hush(["set", "prod/db.enc.yaml", '["x"]', '"v"', "--generate"]);
    expect(both.status).toBe(8);
  });
});
