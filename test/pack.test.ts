// The package as a user gets it (issue 17): `npm pack`, the tarball installed into an empty
// project, and everything a user types run there, against the installed copy only: the `hush`
// command (age and AWS KMS through the loopback server), `require`/`import` of the library,
// `hush-sops/config` in its four forms, and TypeScript consumers with and without @types/node.
// The install is `--offline`: the tarball declares no dependency, so nothing is downloaded.
// Needs `npm run build` first (as `npm test` does).
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";
import { startAwsKmsServer, type AwsKmsServer } from "./servers/aws-kms.js";

/** The targets: at most 5 packages and 15 MB of node_modules in a project that installs hush-sops. */
const MAX_PACKAGES = 5;
const MAX_BYTES = 15 * 1024 * 1024;

const ALICE = { accessKeyId: "AKIAPACKTEST00000001", secretAccessKey: "pack/test/secret/for/loopback/only/00000", arn: "arn:aws:iam::111122223333:user/pack" };
const KEY = "arn:aws:kms:us-east-1:111122223333:key/77777777-7777-4777-8777-777777777777";

let tmp: string;
let project: string;
let aws: AwsKmsServer;

/** A clean environment for the installed package: no key of the developer's, a home of its own. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "", npm_config_update_notifier: "false", HOME: join(tmp, "home"), XDG_CONFIG_HOME: join(tmp, "home"), XDG_CACHE_HOME: join(tmp, "cache") };
  return { ...e, ...extra };
}

function run(cmd: string, args: string[], extra: Record<string, string> = {}, input = "") {
  const r = spawnSync(cmd, args, { cwd: project, env: env(extra), input, encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous, for commands that talk to the loopback server running in this process. */
async function runAsync(cmd: string, args: string[], extra: Record<string, string> = {}) {
  try {
    const r = await promisify(execFile)(cmd, args, { cwd: project, env: env(extra), encoding: "utf8", timeout: 60_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof x.code === "number" ? x.code : -1, stdout: x.stdout ?? "", stderr: x.stderr ?? "" };
  }
}

const hush = join("node_modules", ".bin", "hush");

/** Bytes of every file below `dir`. */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += bytesUnder(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "hush-pack-test-"));
  project = join(tmp, "project");
  mkdirSync(project);
  mkdirSync(join(tmp, "home"));
  const pack = spawnSync("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: ROOT, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = join(tmp, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
  writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true })}\n`);
  const install = spawnSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts=false", tarball], { cwd: project, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "error" } });
  expect(install.status, install.stderr).toBe(0);
  aws = await startAwsKmsServer({ users: [ALICE], keys: [{ arn: KEY }] });
  writeFileSync(join(tmp, "aws-credentials"), `[default]\naws_access_key_id = ${ALICE.accessKeyId}\naws_secret_access_key = ${ALICE.secretAccessKey}\n`);
  writeFileSync(join(tmp, "aws-config"), "");
}, 120_000);

afterAll(async () => {
  await aws?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the packed package, installed into an empty project", () => {
  it(`adds at most ${MAX_PACKAGES} packages and ${MAX_BYTES / 1048576} MB`, () => {
    const lock = JSON.parse(readFileSync(join(project, "node_modules", ".package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    const packages = Object.keys(lock.packages).filter((p) => p !== "");
    expect(packages).toContain("node_modules/hush-sops");
    expect(packages.length).toBeLessThanOrEqual(MAX_PACKAGES);
    expect(bytesUnder(join(project, "node_modules"))).toBeLessThanOrEqual(MAX_BYTES);
  });

  it("ships the bundles, their licences, the types and what the commands point to; not the tsc output", () => {
    const pkg = join(project, "node_modules", "hush-sops");
    for (const f of ["dist/bundle/hush.cjs", "dist/bundle/lib.cjs", "dist/bundle/THIRD-PARTY-LICENSES.txt", "dist/types/index.d.cts", "docs/team.md", "docs/sops-compat.md", "README.md"]) {
      expect(statSync(join(pkg, f)).isFile(), f).toBe(true);
    }
    const licences = readFileSync(join(pkg, "dist/bundle/THIRD-PARTY-LICENSES.txt"), "utf8");
    for (const name of ["@aws-sdk/client-kms", "openpgp", "yaml", "commander", "age-encryption"]) expect(licences).toContain(`\n${name} `);
  });

  it("was bundled from the versions package-lock.json holds", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    const versions = JSON.parse(readFileSync(join(project, "node_modules/hush-sops/dist/bundle/vendor/versions.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(versions)).toContain("node_modules/@aws-sdk/client-kms");
    for (const [path, version] of Object.entries(versions)) expect(`${path}@${version}`).toBe(`${path}@${lock.packages[path]?.version}`);
  });

  it("runs `npx hush --version` and `npx hush-sops --version`", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    for (const bin of ["hush", "hush-sops"]) {
      const r = run("npx", ["--no-install", bin, "--version"]);
      expect(r.stdout.trim(), r.stderr).toBe(version);
    }
  });

  it("encrypts and decrypts with age, and loads the file through the library and hush-sops/config in every form", () => {
    const keys = join(tmp, "home", "age-keys.txt");
    expect(run(hush, ["keygen", "-o", keys]).status).toBe(0);
    const recipient = /age1[0-9a-z]+/.exec(readFileSync(keys, "utf8"))![0];
    writeFileSync(join(project, "secrets.yaml"), "db:\n  password: pack-test-value\n");
    const enc = run(hush, ["encrypt", "--age", recipient, "secrets.yaml"]);
    expect(enc.status, enc.stderr).toBe(0);
    writeFileSync(join(project, "secrets.enc.yaml"), enc.stdout);
    const withKey = { SOPS_AGE_KEY_FILE: keys };
    expect(run(hush, ["decrypt", "secrets.enc.yaml"], withKey).stdout).toBe("db:\n  password: pack-test-value\n");

    const print = 'process.stdout.write(String(process.env.DB_PASSWORD))';
    expect(run("node", ["-e", `require("hush-sops/config"); ${print}`], withKey).stdout).toBe("pack-test-value");
    expect(run("node", ["-r", "hush-sops/config", "-e", print], withKey).stdout).toBe("pack-test-value");
    writeFileSync(join(project, "app.mjs"), `${print};\n`);
    expect(run("node", ["--import", "hush-sops/config", "app.mjs"], withKey).stdout).toBe("pack-test-value");
    // What each form of hush-sops/config exports, as its published types say (dist/types/config.d.*).
    const result = '{"files":["secrets.enc.yaml"],"variables":["DB_PASSWORD"]}';
    expect(run("node", ["-e", 'process.stdout.write(JSON.stringify(require("hush-sops/config")))'], withKey).stdout).toBe(result);
    expect(run("node", ["--input-type=module", "-e", 'import * as c from "hush-sops/config"; process.stdout.write(JSON.stringify(c))'], withKey).stdout).toBe(`{"loaded":${result}}`);
    // The library, both ways.
    const get = 'load("secrets.enc.yaml").then((s) => process.stdout.write(s.get("db.password")))';
    expect(run("node", ["-e", `const { load } = require("hush-sops"); ${get}`], withKey).stdout).toBe("pack-test-value");
    expect(run("node", ["--input-type=module", "-e", `import { load } from "hush-sops"; ${get}`], withKey).stdout).toBe("pack-test-value");
    // No key: the one-line error and the CLI's exit code, from require as from the CLI.
    const noKey = run("node", ["-r", "hush-sops/config", "-e", print]);
    expect(noKey.stdout).toBe("");
    expect(noKey.stderr).toMatch(/^hush: error: /);
    expect(noKey.stderr).not.toMatch(/\n\s+at /);
    expect(noKey.status).toBe(run(hush, ["decrypt", "secrets.enc.yaml"]).status);
  });

  it("encrypts and decrypts with AWS KMS (the vendored SDK, against the loopback server), also through require", async () => {
    const awsEnv = { AWS_ENDPOINT_URL: aws.url, AWS_SHARED_CREDENTIALS_FILE: join(tmp, "aws-credentials"), AWS_CONFIG_FILE: join(tmp, "aws-config"), AWS_EC2_METADATA_DISABLED: "true", AWS_REGION: "us-east-1" };
    writeFileSync(join(project, "kms.yaml"), "API_TOKEN: pack-kms-value\n");
    const enc = await runAsync(hush, ["encrypt", "--kms", KEY, "kms.yaml"], awsEnv);
    expect(enc.status, enc.stderr).toBe(0);
    writeFileSync(join(project, "kms.enc.yaml"), enc.stdout);
    const dec = await runAsync(hush, ["decrypt", "kms.enc.yaml"], awsEnv);
    expect(dec.stdout).toBe("API_TOKEN: pack-kms-value\n");
    const viaRequire = await runAsync("node", ["-r", "hush-sops/config", "-e", "process.stdout.write(String(process.env.API_TOKEN))"], { ...awsEnv, HUSH_FILE: "kms.enc.yaml" });
    expect(viaRequire.stdout).toBe("pack-kms-value");
  });

  // The published types (scripts/bundle-dts.js): one rolled-up file for the library and two small
  // ones for hush-sops/config, checked as a consumer checks them (skipLibCheck off), without and with
  // @types/node, ES module and CommonJS files, under every module resolution a consumer may use,
  // with the strictest compiler options and an ES2020 `lib`.
  describe("type-checks consumers (skipLibCheck off)", () => {
    const consumers: Record<string, string[]> = {
      // An ES module: named imports, the typed get, the public age identities, hush-sops/config.
      "esm.mts": [
        'import { load, HushError, loadAgeIdentities, type SecretValue, type AgeIdentities } from "hush-sops";',
        'import { loaded, type ConfigResult } from "hush-sops/config";',
        "export async function password(): Promise<string> {",
        '  const secrets = await load("secrets.enc.yaml", { env: { SOPS_AGE_KEY_FILE: "keys.txt" } });',
        '  const any: SecretValue | undefined = secrets.get("db");',
        '  const v: string | undefined = secrets.get("db.password", "string");',
        '  const port: number | undefined = secrets.get(["db", "port"], "number");',
        '  const bytes: Uint8Array | null | undefined = secrets.getBuffer("db.password");',
        "  const ids: AgeIdentities = await loadAgeIdentities();",
        "  const result: ConfigResult = loaded;",
        '  if (v === undefined || any === undefined || port === undefined || !bytes || ids.count === 0 || result.files.length === 0) throw new HushError("PATH_NOT_FOUND", "no password");',
        "  return v;",
        "}",
      ],
      // A CommonJS file: `import … = require(…)` of both entries (the "require" condition's types).
      "cjs.cts": [
        'import hush = require("hush-sops");',
        'import loaded = require("hush-sops/config");',
        'import { load, type SecretValue } from "hush-sops";',
        "export async function password(): Promise<string | undefined> {",
        '  const any: SecretValue | undefined = (await load("other.enc.yaml")).get("a");',
        "  const files: readonly string[] | undefined = loaded?.files;",
        "  if (any === undefined || files === undefined) throw new hush.HushError(\"NO_FILE\", \"nothing loaded\");",
        '  return (await hush.load("secrets.enc.yaml")).get("db.password", "string");',
        "}",
      ],
      // An older project: `moduleResolution: node10` reads no "exports" (types, typesVersions).
      "node10.ts": [
        'import { load, type SecretValue } from "hush-sops";',
        'import hush = require("hush-sops");',
        'import loaded = require("hush-sops/config");',
        "export async function password(): Promise<string | undefined> {",
        '  const any: SecretValue | undefined = (await load("other.enc.yaml")).get("a");',
        "  if (any === undefined || loaded === undefined) throw new hush.HushError(\"NO_FILE\", \"nothing loaded\");",
        '  return (await load("secrets.enc.yaml")).get("db.password", "string");',
        "}",
      ],
      // A bundler's view of the same.
      "bundler.ts": [
        'import { load, decrypt, type SecretValue } from "hush-sops";',
        'import { loaded } from "hush-sops/config";',
        "export async function password(): Promise<string | undefined> {",
        '  const secrets = await load("secrets.enc.yaml", { env: {} });',
        '  const any: SecretValue | undefined = secrets.get("db");',
        '  const text: string = await decrypt("secrets.enc.yaml");',
        "  if (any === undefined || text === \"\" || loaded.variables.length === 0) return undefined;",
        '  return secrets.get("db.password", "string");',
        "}",
      ],
    };
    const modes: Record<string, { module: string; moduleResolution: string; files: string[]; esModuleInterop?: boolean }> = {
      node16: { module: "Node16", moduleResolution: "Node16", files: ["esm.mts", "cjs.cts"] },
      nodenext: { module: "NodeNext", moduleResolution: "NodeNext", files: ["esm.mts", "cjs.cts"] },
      bundler: { module: "ESNext", moduleResolution: "Bundler", files: ["bundler.ts"] },
      preserve: { module: "Preserve", moduleResolution: "Bundler", files: ["bundler.ts"] },
      node10: { module: "CommonJS", moduleResolution: "Node10", files: ["node10.ts"], esModuleInterop: true },
    };
    // The strictest settings a consumer may have, and the oldest `lib` Node 20 code would use.
    const strictest = { strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noPropertyAccessFromIndexSignature: true, noImplicitOverride: true, isolatedModules: true, target: "ES2020", lib: ["ES2020"] };
    // With @types/node: the repository's own copy (the offline install has none to add).
    const nodeTypes = { types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")] };

    function tsc(mode: keyof typeof modes, withNode: boolean, extra: Record<string, string[]> = {}) {
      const dir = join(project, "types", `${mode}-${withNode ? "node" : "bare"}-${Object.keys(extra).length}`);
      mkdirSync(dir, { recursive: true });
      const { files, ...options } = modes[mode]!;
      for (const f of files) writeFileSync(join(dir, f), `${[...consumers[f]!, ...(extra[f] ?? [])].join("\n")}\n`);
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { ...strictest, ...options, types: [], ...(withNode ? nodeTypes : {}), skipLibCheck: false, noEmit: true }, files }),
      );
      const r = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "tsconfig.json")], { cwd: project, encoding: "utf8", timeout: 120_000 });
      return { status: r.status ?? -1, output: r.stdout + r.stderr };
    }

    for (const mode of Object.keys(modes)) {
      for (const withNode of [false, true]) {
        it(`${mode}, ${withNode ? "with" : "without"} @types/node`, () => {
          const r = tsc(mode, withNode);
          expect(r.output).toBe("");
          expect(r.status).toBe(0);
        }, 120_000);
      }
    }

    it("the same setup reports a type error (the check can fail): get() without a type is not a string", () => {
      const extra = { "esm.mts": ['export const bad = async (): Promise<string | undefined> => (await load("x.enc.yaml")).get("a");'] };
      const r = tsc("nodenext", false, extra);
      expect(r.output).toMatch(/esm\.mts\(\d+,\d+\): error TS2322/);
      expect(r.status).not.toBe(0);
    }, 120_000);

    it("ships only the rolled-up declarations: no internal .d.ts, none that imports another module", () => {
      const pkg = join(project, "node_modules", "hush-sops");
      expect(readdirSync(join(pkg, "dist")).sort()).toEqual(["bundle", "types"]);
      expect(readdirSync(join(pkg, "dist", "types")).sort()).toEqual(["config.d.cts", "config.d.ts", "index.d.cts"]);
      const index = readFileSync(join(pkg, "dist", "types", "index.d.cts"), "utf8");
      expect(index).not.toMatch(/^\s*import\b|\bimport\(|<reference\b/m);
      expect(index.replace(/\/\*[\s\S]*?\*\//g, "")).not.toMatch(/\b(Buffer|KeyObject)\b|["']node:/);
    });
  });
});
