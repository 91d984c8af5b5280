// The fast path of the CLI (src/cli/fast.ts, dist/bundle/hush-fast.cjs): decrypt, git textconv and
// exec-env without commander. It must behave exactly as the full CLI:
// - every argument list it takes, commander parses to the same operands and options (property
//   test over lists drawn from each command's flags, values and oddities); anything else it
//   leaves to the full CLI;
// - the real CLI's output, errors and exit codes are the full CLI's (dist/cli/main.js run
//   directly), for the forms it takes and for those it passes on (--help, unknown flags);
// - bin/hush.js takes the fast path for plain forms and the full CLI for the rest (seen through
//   HUSH_DEBUG_CODE_CACHE: one line per bundled script loaded).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseFast } from "../src/cli/fast.js";
import { newProgram } from "../src/cli/program.js";
import { rewriteSopsForm } from "../src/cli/sops-forms.js";
import { command as decrypt } from "../src/cli/commands/decrypt.command.js";
import { command as git } from "../src/cli/commands/git.command.js";
import { command as execEnv } from "../src/cli/commands/exec-env.command.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { recipientFor } from "../src/keys/registry.js";
import { cleanEnv, HUSH, ROOT } from "./helpers.js";

type Parsed = { operands: string[]; opts: Record<string, unknown> };

/** What commander hands the command's action for `args` (after `hush`), or "error". */
async function viaCommander(args: string[]): Promise<Parsed | "error"> {
  const program = newProgram();
  program.configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  const spec = args[0] === "decrypt" ? decrypt : args[0] === "git" ? git : execEnv;
  spec.define(program);
  const top = program.commands[0]!;
  const target: Command = args[0] === "git" ? top.commands.find((c) => c.name() === "textconv")! : top;
  let got: Parsed | undefined;
  target.action((...a: unknown[]) => {
    const opts = a.at(-2) as Record<string, unknown>;
    const operands = a.slice(0, -2).flatMap((x) => (x === undefined ? [] : Array.isArray(x) ? (x as string[]) : [x as string]));
    got = { operands, opts: { ...opts } };
  });
  try {
    await program.parseAsync(["node", "hush", ...args]);
  } catch {
    return "error";
  }
  return got ?? "error";
}

const COMMON = ["--", "-", "", "--help", "-h", "-z", "--nope", "=", "a=b", "x", "a.enc.yaml", "json", "yaml", "xml", "2", "-1", "--input-type", "--input-type=json", "--input-type=", "--config", "--ignore-mac", "--decryption-order", "age,pgp"];
const DECRYPT = [
  ...COMMON, "-i", "--in-place", "-o", "--output", "--extract", "--extract=a.b", "--output-type", "--output-type=yaml", "--filename-override",
  "--indent", "--indent=2", "--indent=x", "-io", "-ofile", "--in-place=1", "-d", "--output=out",
];
const EXEC_ENV = [
  ...COMMON, "-f", "--file", "--file=b.enc.yaml", "--only", "A,B", "--only=C", "--separator", "__", "--no-overload", "--overload", "--no-flatten", "--flatten",
  "--pristine", "--env-lists", "--keep-key-env", "--allow-env-name", "PATH", "echo", "true", "-fx", "--pristine=1",
];

const argsOf = (prefix: string[], pool: string[]) => fc.array(fc.constantFrom(...pool), { maxLength: 7 }).map((t) => [...prefix, ...t]);

describe("the fast path's argument parser", () => {
  it("parses every argument list it takes exactly as commander does (decrypt, git textconv, exec-env)", async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(argsOf(["decrypt"], DECRYPT), argsOf(["git", "textconv"], COMMON), argsOf(["exec-env"], EXEC_ENV)), async (args) => {
        const fast = parseFast(["node", "hush", ...args]);
        if (!fast) return;
        taken++;
        expect(await viaCommander(args)).toEqual({ operands: fast.operands, opts: fast.opts });
      }),
      { numRuns: 3000 },
    );
    // (not vacuous: a good share of the lists is taken)
    expect(taken).toBeGreaterThan(300);
  });

  it("takes the plain forms, with their options as commander gives them", async () => {
    const cases: [string[], Parsed][] = [
      [["decrypt", "s.enc.yaml"], { operands: ["s.enc.yaml"], opts: {} }],
      [["decrypt"], { operands: [], opts: {} }],
      [["decrypt", "-"], { operands: ["-"], opts: {} }],
      [["-d", "s.enc.yaml"], { operands: ["s.enc.yaml"], opts: {} }], // sops's form
      [["decrypt", "--extract", '["a"]["b"]', "--output-type=json", "s.enc.yaml", "--ignore-mac"], { operands: ["s.enc.yaml"], opts: { extract: '["a"]["b"]', outputType: "json", ignoreMac: true } }],
      [["decrypt", "-i", "--indent", "4", "s.enc.json"], { operands: ["s.enc.json"], opts: { inPlace: true, indent: 4 } }],
      [["git", "textconv", "/tmp/x"], { operands: ["/tmp/x"], opts: {} }],
      [["git", "textconv", "--input-type", "json", "/tmp/x"], { operands: ["/tmp/x"], opts: { inputType: "json" } }],
      [["exec-env", "s.enc.yaml", "--", "node", "--help", "-x"], { operands: ["s.enc.yaml", "node", "--help", "-x"], opts: { flatten: true } }],
      [["exec-env", "-f", "a", "--file", "b", "--only", "A", "--no-overload", "--", "true"], { operands: ["true"], opts: { file: ["a", "b"], only: ["A"], overload: false, flatten: true } }],
      [["exec-env", "s.enc.yaml", "echo $A"], { operands: ["s.enc.yaml", "echo $A"], opts: { flatten: true } }],
    ];
    for (const [args, want] of cases) {
      const fast = parseFast(["node", "hush", ...args]);
      expect(fast && { operands: fast.operands, opts: fast.opts }, args.join(" ")).toEqual(want);
      // (sops's form as main.ts rewrites it)
      const full = args[0] === "-d" ? ["decrypt", ...args.slice(1)] : args;
      expect(await viaCommander(full), args.join(" ")).toEqual(want);
    }
    expect(rewriteSopsForm(["-d", "s.enc.yaml"], { isCommand: () => false, takesValue: () => undefined })).toEqual(["decrypt", "s.enc.yaml"]);
  });

  it("leaves help, unknown or repeated flags, values starting with - and other commands to the full CLI", () => {
    for (const args of [
      ["decrypt", "--help"], ["decrypt", "-h", "f"], ["decrypt", "--nope", "f"], ["decrypt", "a", "b"], ["decrypt", "--", "f"],
      ["decrypt", "--extract", "-x", "f"], ["decrypt", "--input-type", "xml", "f"], ["decrypt", "--indent", "x", "f"],
      ["decrypt", "-o", "a", "-o", "b", "f"], ["decrypt", "-io", "f"], ["decrypt", "--ignore-mac=1", "f"],
      ["git", "textconv"], ["git", "textconv", "a", "b"], ["git", "install"], ["git", "textconv", "--help", "f"],
      ["exec-env", "--help"], ["exec-env", "-x", "f", "--", "true"], ["exec-env", "--only", "--", "true"],
      ["encrypt", "f"], ["-d", "-x"], ["-d", "a", "b"], ["-di", "f"], ["-d", "--extract", "a", "f"], ["--version"], [],
    ]) {
      expect(parseFast(["node", "hush", ...args]), args.join(" ")).toBeUndefined();
    }
  });
});

describe("the fast path in the real CLI", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let file: string;
  let jsonFile: string;
  let recipient: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "hush-fast-"));
    const key = await generateAgeKeyFile();
    recipient = key.recipient;
    writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
    env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt"), XDG_CACHE_HOME: join(dir, "cache"), HOME: dir });
    const group = [await recipientFor("age", key.recipient, env)];
    file = join(dir, "s.enc.yaml");
    writeFileSync(file, (await encryptText("# c\ndb:\n    password: p4ss\n    port: 5432\nlist:\n    - a\napi_token: t0k\n", { format: "yaml", groups: [group] })).text);
    jsonFile = join(dir, "s.enc.json");
    writeFileSync(jsonFile, (await encryptText('{"a": {"b": "c"}, "n": 1.5}\n', { format: "json", groups: [group] })).text);
    writeFileSync(join(dir, "plain.yaml"), "a: 1\n");
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const viaShim = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [HUSH, ...args], { env: { ...env, ...extra }, cwd: dir, encoding: "utf8", timeout: 30_000 });
  /** The full CLI, as compiled (no bundle, no fast path). */
  const viaFullCli = (args: string[]) => {
    const main = pathToFileURL(join(ROOT, "dist", "cli", "main.js")).href;
    const script = `import(${JSON.stringify(main)}).then((m) => m.main(["node", "hush", ...${JSON.stringify(args)}]))`;
    return spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, cwd: dir, encoding: "utf8", timeout: 30_000 });
  };
  const same = (args: string[]) => {
    const a = viaShim(args);
    const b = viaFullCli(args);
    expect({ status: a.status, stdout: a.stdout, stderr: a.stderr }, args.join(" ")).toEqual({ status: b.status, stdout: b.stdout, stderr: b.stderr });
    return a;
  };

  it("prints, fails and exits exactly as the full CLI", () => {
    expect(same(["decrypt", file]).stdout).toContain("password: p4ss\n");
    same(["-d", file]);
    same(["decrypt", "--extract", '["db"]["password"]', file]);
    same(["decrypt", "--output-type", "json", file]);
    same(["decrypt", "--output-type=dotenv", "--indent", "2", jsonFile]);
    same(["decrypt", "--extract", "db.nope", file]); // 91
    same(["decrypt", join(dir, "missing.enc.yaml")]); // 100
    same(["decrypt", join(dir, "plain.yaml")]);
    same(["decrypt", "--decryption-order", "nope", file]);
    expect(same(["git", "textconv", file]).stdout).toContain("recipient: age ");
    same(["git", "textconv", "--input-type", "json", jsonFile]);
    same(["git", "textconv", join(dir, "plain.yaml")]);
    const printEnv = [process.execPath, "-e", "process.stdout.write(`${process.env.DB_PASSWORD}:${process.env.api_token}:${process.env.LIST_0}`)"];
    same(["exec-env", file, "--", ...printEnv]); // a list: refused without --env-lists
    expect(same(["exec-env", "--env-lists", file, "--", ...printEnv]).stdout).toBe("p4ss:t0k:a");
    same(["exec-env", "--env-lists", "--only", "LIST_0,DB_PORT", file, "--", ...printEnv]);
    same(["exec-env", "--no-flatten", file, "--", "true"]);
    same(["exec-env", file, "exit 7"]);
    same(["exec-env", "-f", file, "-f", jsonFile, "--", process.execPath, "-e", "process.stdout.write(String(process.env.A_B))"]);
    // passed on to the full CLI
    same(["decrypt", "--help"]);
    same(["decrypt", "--nope", file]);
    same(["git", "textconv"]);
    same(["exec-env", "--help"]);
  });

  it("bin/hush.js runs the fast path's script alone for plain forms, and the full CLI for the rest", () => {
    const debug = { HUSH_DEBUG_CODE_CACHE: "1" };
    const lines = (s: string) => s.split("\n").filter((l) => l.startsWith("hush: code cache"));
    viaShim(["decrypt", file], debug); // (saves a cache on a Node the build was not made with)
    viaShim(["decrypt", "--nope"], debug);
    const plain = viaShim(["decrypt", file], debug);
    expect(plain.status).toBe(0);
    expect(lines(plain.stderr)).toEqual(["hush: code cache accepted"]);
    const odd = viaShim(["decrypt", "--nope", file], debug);
    expect(odd.status).toBe(8);
    expect(lines(odd.stderr)).toHaveLength(2); // the fast path's script, then the full CLI's
    const other = viaShim(["--version"], debug);
    expect(lines(other.stderr)).toHaveLength(1);
  });

  it("writes large output to a pipe in full, and a closed pipe ends quietly", () => {
    const many = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`key_${i}`, `value-${i}-${"x".repeat(40)}`]));
    const big = join(dir, "big.enc.json");
    writeFileSync(join(dir, "big.json"), JSON.stringify(many));
    const e = viaShim(["encrypt", "--age", recipient, join(dir, "big.json")]);
    expect(e.status, e.stderr).toBe(0);
    writeFileSync(big, e.stdout);
    const out = viaShim(["decrypt", big]);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(many);
    // `| head -c 10`: the reader goes away; hush ends without a word, as any Unix tool
    const head = spawnSync("sh", ["-c", `"$0" "$@" | head -c 10`, process.execPath, HUSH, "decrypt", big], { env, encoding: "utf8" });
    expect(head.stdout).toHaveLength(10);
    expect(head.stderr).toBe("");
  });
});
