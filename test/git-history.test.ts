// `hush git log` / `hush git diff` (issue 20): with real git, their output equals, byte for byte,
// what git prints with the textconv driver (`hush git textconv`, one process per blob), over a
// repository with several encrypted files (YAML, JSON, one for a key we do not hold, one tampered
// with) and several commits; no plaintext is left on disk and git's textconv cache stays empty.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { cleanEnv, HUSH } from "./helpers.js";

const TIMEOUT = 240_000;
let base: string;
let repo: string;
let env: NodeJS.ProcessEnv;
let tmp: string;

function run(cmd: string, args: string[], e: NodeJS.ProcessEnv = env) {
  const r = spawnSync(cmd, args, { cwd: repo, env: e, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function git(...args: string[]): string {
  const r = run("git", args);
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}
const hush = (...args: string[]) => run(process.execPath, [HUSH, ...args]);

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "hush-git-history-"));
  repo = join(base, "repo");
  tmp = join(base, "tmp");
  mkdirSync(repo);
  mkdirSync(tmp);
  mkdirSync(join(repo, "svc"));
  const ours = await generateAgeKeyFile();
  const theirs = await generateAgeKeyFile();
  // TMPDIR is ours, so the test can see what the command leaves there (nothing).
  env = cleanEnv({ SOPS_AGE_KEY: ours.identity, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: join(base, "gitconfig"), TMPDIR: tmp });
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Alice");
  git("config", "user.email", "alice@example.com");
  git("config", "commit.gpgsign", "false");
  git("config", "diff.hush.textconv", `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} git textconv`);
  git("config", "diff.hush.cachetextconv", "false");
  writeFileSync(join(repo, ".gitattributes"), "*.enc.yaml diff=hush\n*.enc.json diff=hush\n");
  const mine = [[ageRecipient(ours.recipient)]];
  const other = [[ageRecipient(theirs.recipient)]];
  const yaml = async (name: string, text: string, groups = mine) =>
    writeFileSync(join(repo, name), (await encryptText(text, { format: "yaml", groups })).text);
  for (let c = 0; c < 4; c++) {
    await yaml("app.enc.yaml", `# app\ndb:\n    user: admin\n    password: pw-${c}\nlist:\n    - a\n    - ${c}\n`);
    await yaml(`svc/s${c % 2}.enc.yaml`, `token: t-${c}\nport: ${8000 + c}\n`);
    const json = (await encryptText(`{\n\t"k": "v${c}",\n\t"n": ${c}\n}\n`, { format: "json", groups: mine })).text;
    writeFileSync(join(repo, "c.enc.json"), json);
    await yaml("theirs.enc.yaml", `secret: s-${c}\n`, other);
    writeFileSync(join(repo, "plain.txt"), `plain ${c}\n`);
    if (c === 3) {
      // Tampered with: a value's ciphertext swapped for another file's, so the MAC fails.
      const app = (await encryptText("x: 1\n", { format: "yaml", groups: mine })).text;
      writeFileSync(join(repo, "bad.enc.yaml"), app.replace(/^x: ENC\[[^\]]*\]/m, "x: ENC[AES256_GCM,data:AA==,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:int]"));
    }
    git("add", "-A");
    git("commit", "-q", "-m", `commit ${c}`);
  }
  // An uncommitted change for `git diff` against the working tree.
  await yaml("app.enc.yaml", "# app\ndb:\n    user: root\n");
}, TIMEOUT);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe("hush git log / hush git diff", { timeout: TIMEOUT }, () => {
  it("`hush git log -p` prints exactly what `git log -p` prints with the textconv driver", () => {
    const expected = git("log", "-p");
    expect(expected).toContain("+    password: pw-3"); // the driver decrypted: the comparison means something
    expect(expected).toContain("hush: no usable key");
    const r = hush("git", "log", "-p");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it("passes every argument to git (options, ranges, paths, --stat, --format)", () => {
    const args = ["-p", "--stat", "--format=%s", "HEAD~3..HEAD", "--", "app.enc.yaml", "svc"];
    expect(hush("git", "log", ...args).stdout).toBe(git("log", ...args));
  });

  it("`hush git diff A B` and `hush git diff` (working tree) print what `git diff` prints", () => {
    const between = git("diff", "HEAD~3", "HEAD");
    expect(between).toContain("-    password: pw-0");
    expect(hush("git", "diff", "HEAD~3", "HEAD").stdout).toBe(between);
    const worktree = git("diff");
    expect(worktree).toContain("+    user: root");
    expect(hush("git", "diff").stdout).toBe(worktree);
  });

  it("passes git's failure through, and leaves no file behind nor a textconv cache", () => {
    const r = hush("git", "log", "--no-such-option");
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("--no-such-option");
    expect(readdirSync(tmp)).toEqual([]);
    expect(run("git", ["show-ref"]).stdout).not.toContain("notes/textconv");
  });

  it("files without the hush driver go through untouched", () => {
    expect(hush("git", "log", "-p", "--", "plain.txt").stdout).toBe(git("log", "-p", "--", "plain.txt"));
  });
});
