// Key services load their libraries only when a file needs them: decrypting an age-only file (or
// an age entry of a mixed file), and `hush --help`, never load openpgp or a cloud SDK.
//
// How it is checked: the real CLI runs in a child node with `--import` of a module that registers
// a resolve hook (node:module `register`); the hook appends every resolved module URL to a log.
// Dynamic `import()` of a package goes through the hook, so a lazily loaded library shows up
// exactly when it is loaded (openpgp and the SDKs stay separate modules in the esbuild bundle
// too, in dist/bundle/vendor/). A positive control (a PGP decrypt with a key file loads openpgp) keeps the check from
// passing vacuously.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptText } from "../src/lib/files.js";
import { recipientFor } from "../src/keys/registry.js";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, FIXTURES, HUSH, ROOT } from "./helpers.js";

// In node_modules (the unbundled CLI), or vendored in dist/bundle/vendor/ (the bundled one).
const HEAVY: Record<string, RegExp> = {
  openpgp: /\/node_modules\/openpgp\/|\/dist\/bundle\/vendor\/openpgp\.js$/,
  "@aws-sdk": /\/node_modules\/@aws-sdk\/|\/dist\/bundle\/vendor\/aws-sdk__/,
  "@google-cloud": /\/node_modules\/@google-cloud\/|\/dist\/bundle\/vendor\/google-cloud__/,
  "@azure": /\/node_modules\/@azure\/|\/dist\/bundle\/vendor\/azure__/,
};
const PGP_KEY_FILE = join(FIXTURES, "key-pgp-sops-functional-tests-private.asc");

let dir: string;
let register: string;
let gnupgHome: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "hush-lazy-"));
  writeFileSync(
    join(dir, "hook.mjs"),
    [
      'import { appendFileSync } from "node:fs";',
      "export async function resolve(specifier, context, next) {",
      "  const r = await next(specifier, context);",
      "  appendFileSync(process.env.HUSH_LOAD_LOG, r.url + '\\n');",
      "  return r;",
      "}",
    ].join("\n"),
  );
  register = join(dir, "register.mjs");
  writeFileSync(register, 'import { register } from "node:module";\nregister(new URL("./hook.mjs", import.meta.url));\n');
  gnupgHome = mkdtempSync(join(tmpdir(), "hush-lazy-gpg-"));
  chmodSync(gnupgHome, 0o700);
  spawnSync("gpg", ["--batch", "--import", PGP_KEY_FILE], { env: { ...process.env, GNUPGHOME: gnupgHome } });
});

afterAll(() => {
  spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: gnupgHome } });
  rmSync(gnupgHome, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;
/** Runs the CLI under the hook; returns its result and the module URLs it resolved. */
function traced(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const log = join(dir, `load-${++runs}.log`);
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(register).href, HUSH, ...args], {
    env: { ...env, HUSH_LOAD_LOG: log },
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

function heavyLoaded(loaded: string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, re]) => loaded.some((u) => re.test(u)))
    .map(([name]) => name);
}

describe("lazy loading of key service libraries", () => {
  it("an age-only decrypt loads none of them", () => {
    const env = cleanEnv({ SOPS_AGE_KEY_FILE: join(FIXTURES, "key-age-sops-examples.txt") });
    const r = traced(["decrypt", join(FIXTURES, "age-yaml-v3.7.1-example.enc.yaml")], env);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.loaded.length).toBeGreaterThan(0);
    expect(heavyLoaded(r.loaded)).toEqual([]);
  });

  it("hush --help loads none of them", () => {
    const r = traced(["--help"], cleanEnv());
    expect(r.status).toBe(0);
    expect(r.loaded.length).toBeGreaterThan(0);
    expect(heavyLoaded(r.loaded)).toEqual([]);
    expect(r.loaded.some((u) => /age-encryption/.test(u))).toBe(false);
  });

  it("a file with age and PGP entries, decrypted with the age key, does not load openpgp", async () => {
    const age = await generateAgeKeyFile();
    const env = cleanEnv({ SOPS_PGP_KEY_FILE: PGP_KEY_FILE, GNUPGHOME: gnupgHome });
    const group = [
      await recipientFor("pgp", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", env),
      await recipientFor("age", age.recipient, env),
    ];
    const { text } = await encryptText("a: 1\n", { format: "yaml", groups: [group] });
    expect(text).toContain("BEGIN PGP MESSAGE");
    const file = join(dir, "mixed.enc.yaml");
    writeFileSync(file, text);
    const keys = join(dir, "keys.txt");
    writeFileSync(keys, age.text);
    const r = traced(["decrypt", file], cleanEnv({ SOPS_AGE_KEY_FILE: keys }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("a: 1\n");
    expect(heavyLoaded(r.loaded)).toEqual([]);
  });

  it("a PGP decrypt through GnuPG alone does not load openpgp either", () => {
    const r = traced(["decrypt", join(FIXTURES, "pgp-yaml-v3.13.1-format.enc.yaml")], cleanEnv({ GNUPGHOME: gnupgHome }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("foo: bar\n");
    expect(heavyLoaded(r.loaded)).toEqual([]);
  });

  it("control: a PGP decrypt with a key file does load openpgp (the hook sees lazy imports)", () => {
    const env = cleanEnv({ GNUPGHOME: gnupgHome, SOPS_PGP_KEY_FILE: PGP_KEY_FILE, SOPS_GPG_EXEC: join(dir, "no-gpg") });
    const r = traced(["decrypt", join(FIXTURES, "pgp-yaml-v3.13.1-format.enc.yaml")], env);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("foo: bar\n");
    expect(heavyLoaded(r.loaded)).toEqual(["openpgp"]);
  });
});

describe("lazy loading of command bodies", () => {
  // The unbundled CLI (dist/cli/main.js, what bin/hush.js runs without a bundle) resolves each of
  // our modules through the hook, so what a run loads is visible module by module.
  function tracedUnbundled(args: string[]): ReturnType<typeof traced> {
    const log = join(dir, `load-${++runs}.log`);
    writeFileSync(log, "");
    const main = pathToFileURL(join(ROOT, "dist", "cli", "main.js")).href;
    const script = `import(${JSON.stringify(main)}).then((m) => m.main(["node", "hush", ...${JSON.stringify(args)}]))`;
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(register).href, "--input-type=module", "-e", script], {
      env: { ...cleanEnv(), HUSH_LOAD_LOG: log },
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded: readFileSync(log, "utf8").split("\n").filter(Boolean) };
  }
  /** Our modules a run loaded, relative to dist/ (cli/main.js, cli/commands/decrypt.command.js, …). */
  const ours = (loaded: string[]) =>
    loaded.flatMap((u) => {
      const m = /\/dist\/(.+\.js)$/.exec(u);
      return m ? [m[1]!] : [];
    });
  /**
   * A command body, or the machinery only a body needs (formats, crypto, child processes, git,
   * team workflows). Declarations may load cheap modules elsewhere: `model/` (pure helpers), and
   * the key services' descriptors that the key flags are made from.
   */
  const body = (m: string) => (/^cli\/commands\//.test(m) && !m.endsWith(".command.js")) || /^(core|formats|exec|git|team)\//.test(m);

  it("hush --help loads every command's declaration and no command's body", () => {
    const r = tracedUnbundled(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Commands:");
    const mods = ours(r.loaded);
    expect(mods).toContain("cli/commands/decrypt.command.js");
    expect(mods).toContain("cli/commands/git-resolve.command.js");
    expect(mods.filter(body)).toEqual([]);
  });

  it("hush decrypt --help loads no body either; running a command loads its own body and no other", () => {
    const help = tracedUnbundled(["decrypt", "--help"]);
    expect(help.status).toBe(0);
    expect(ours(help.loaded).filter(body)).toEqual([]);
    const run = tracedUnbundled(["filestatus", join(FIXTURES, "age-yaml-v3.7.1-example.enc.yaml")]);
    expect(run.stdout).toBe('{"encrypted":true}\n');
    const commands = ours(run.loaded).filter((m) => /^cli\/commands\//.test(m) && !m.endsWith(".command.js"));
    expect(commands).toEqual(["cli/commands/filestatus.js"]);
  });
});
