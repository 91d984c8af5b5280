// Kubernetes (docs/kubernetes.md): `hush k8s secret`, the kustomize generator run by Debian's
// real `kubectl kustomize --enable-alpha-plugins` (legacy exec plugin, offline), ksops's generator
// shape, the KRM function mode (a ResourceList piped in), and Secret manifests encrypted for Flux.
// Plaintext exists only in this test's memory: files are encrypted from standard input, and after
// each step every file under the test's directory (its TMPDIR included) is scanned for the values.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from "yaml";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, HUSH, runHush, type RunResult } from "./helpers.js";

let root: string;
let env: NodeJS.ProcessEnv;
let recipient: string;

/** The secret values: random, so finding one anywhere on disk can only mean a leak. */
const V = {
  dbPassword: `pw-${randomBytes(9).toString("hex")}`,
  apiKey: `key-${randomBytes(9).toString("hex")}`,
  nested: `nest-${randomBytes(9).toString("hex")}`,
  envToken: `tok-${randomBytes(9).toString("hex")}`,
  tlsKey: `-----BEGIN PRIVATE KEY-----\n${randomBytes(24).toString("base64")}\n-----END PRIVATE KEY-----\n`,
  tlsCrt: `-----BEGIN CERTIFICATE-----\n${randomBytes(24).toString("base64")}\n-----END CERTIFICATE-----\n`,
  manifestPw: `mpw-${randomBytes(9).toString("hex")}`,
  binary: Buffer.concat([Buffer.from([0, 255, 254, 1]), randomBytes(32)]),
};

function needles(): Buffer[] {
  const out: Buffer[] = [];
  for (const v of Object.values(V)) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v.split("\n")[1] ?? v);
    out.push(b, Buffer.from(b.toString("base64")));
  }
  return out;
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Fails when any file under the test's directory holds a secret value (raw or base64). */
function assertNoPlaintextOnDisk(): void {
  for (const f of allFiles(root)) {
    const data = readFileSync(f);
    for (const n of needles()) {
      if (data.includes(n)) throw new Error(`plaintext found in ${relative(root, f)}`);
    }
  }
}

function hush(args: string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  return runHush(args, { env: opts.env ?? env, cwd: opts.cwd ?? root, ...(opts.input !== undefined ? { input: opts.input } : {}) });
}

function ok(args: string[], opts: { input?: string | Buffer; cwd?: string } = {}): RunResult {
  const r = hush(args, opts);
  if (r.status !== 0) throw new Error(`hush ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r;
}

/** Encrypts `plaintext` (given on standard input, never as a file) into `path`. */
function encryptTo(path: string, plaintext: string | Buffer, type: string, extra: string[] = []): string {
  const r = ok(["encrypt", "--age", recipient, "--input-type", type, ...extra], { input: plaintext });
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, r.stdout);
  return r.stdout;
}

function kustomize(dir: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("kubectl", ["kustomize", "--enable-alpha-plugins", dir], { env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function secrets(yamlStream: string): Record<string, any>[] {
  return parseAllDocuments(yamlStream).map((d) => d.toJS()).filter((o) => o && o.kind === "Secret");
}

function decoded(secret: Record<string, any>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v as string, "base64");
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = Buffer.from(v as string, "utf8");
  return out;
}

/** The v1 Secret shape (core/v1 types, validation.go): what the API server would accept. */
function expectSecretShape(s: Record<string, any>): void {
  expect(s.apiVersion).toBe("v1");
  expect(s.kind).toBe("Secret");
  expect(s.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
  if (s.metadata.namespace !== undefined) expect(s.metadata.namespace).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  const allowed = new Set(["apiVersion", "kind", "metadata", "type", "data", "stringData", "immutable"]);
  for (const k of Object.keys(s)) expect(allowed.has(k), `unexpected field ${k}`).toBe(true);
  for (const [k, v] of Object.entries(s.data ?? {})) {
    expect(k).toMatch(/^[-._a-zA-Z0-9]+$/);
    expect(typeof v).toBe("string");
    expect(Buffer.from(v as string, "base64").toString("base64")).toBe(v);
  }
  for (const [k, v] of Object.entries(s.stringData ?? {})) {
    expect(k).toMatch(/^[-._a-zA-Z0-9]+$/);
    expect(typeof v).toBe("string");
  }
}

const APP_YAML = () => `# app settings
db:
  password: ${V.dbPassword}
  port: 5432
api_key: ${V.apiKey}
deep:
  list:
    - ${V.nested}
unset: null
`;

/** Files directly in the system temp dir and in the repository (outside build output) before the tests. */
let outsideBefore: Map<string, number>;

function outsideFiles(): Map<string, number> {
  const out = new Map<string, number>();
  const add = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // another user's private directory
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (["node_modules", ".git", "dist"].includes(e.name)) continue;
      if (e.isDirectory() && depth > 0) add(p, depth - 1);
      else if (e.isFile()) {
        try {
          out.set(p, statSync(p).mtimeMs);
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  add(tmpdir(), 1);
  add(process.cwd(), 3);
  return out;
}

beforeAll(() => {
  outsideBefore = outsideFiles();
  root = mkdtempSync(join(tmpdir(), "hush-k8s-"));
  mkdirSync(join(root, "tmp"));
  mkdirSync(join(root, "home"));
  env = cleanEnv({
    HOME: join(root, "home"),
    XDG_CONFIG_HOME: join(root, "xdg"),
    TMPDIR: join(root, "tmp"),
    SOPS_AGE_KEY_FILE: join(root, "home", "keys.txt"),
  });
  delete env["KUSTOMIZE_PLUGIN_HOME"];
  recipient = runHush(["keygen", "-o", join(root, "home", "keys.txt")], { env }).stdout.trim();
  expect(recipient).toMatch(/^age1/);
  ok(["k8s", "install-kustomize-plugin", "--ksops"]);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  // Nothing new or changed in the system temp dir or the repository holds a value (other tests
  // running meanwhile may add files there; only ours could hold these random values).
  for (const [file, mtime] of outsideFiles()) {
    if (file.startsWith(root) || outsideBefore.get(file) === mtime) continue;
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch {
      continue;
    }
    for (const n of needles()) if (data.includes(n)) throw new Error(`plaintext found in ${file}`);
  }
});

afterEach(() => {
  assertNoPlaintextOnDisk();
});

describe("hush k8s secret", () => {
  it("the plaintext watch finds a value written anywhere under the test directory (it can fail)", () => {
    const leak = join(root, "tmp", "leak");
    writeFileSync(leak, `x ${Buffer.from(V.apiKey).toString("base64")} y`);
    expect(() => assertNoPlaintextOnDisk()).toThrow(/plaintext found in tmp\/leak/);
    rmSync(leak);
  });

  it("prints a v1 Secret: nested values flattened as exec-env names them, nulls skipped, data base64", () => {
    encryptTo(join(root, "secret-cmd", "app.enc.yaml"), APP_YAML(), "yaml");
    const r = ok(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "app", "-n", "prod", "--label", "app.kubernetes.io/name=web", "--annotation", "team=core"]);
    const [s] = secrets(r.stdout);
    expectSecretShape(s!);
    expect(s!.metadata).toEqual({ name: "app", namespace: "prod", labels: { "app.kubernetes.io/name": "web" }, annotations: { team: "core" } });
    expect(s!.type).toBe("Opaque");
    expect(Object.fromEntries(Object.entries(decoded(s!)).map(([k, v]) => [k, v.toString()]))).toEqual({
      DB_PASSWORD: V.dbPassword,
      DB_PORT: "5432",
      api_key: V.apiKey,
      DEEP_LIST_0: V.nested,
    });
    expect(s!.stringData).toBeUndefined();
  });

  it("--string-data, --extract and --key", () => {
    const s = secrets(ok(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "db", "--extract", "db", "--string-data"]).stdout)[0]!;
    expectSecretShape(s);
    expect(s.stringData).toEqual({ password: V.dbPassword, port: "5432" });
    expect(s.data).toBeUndefined();
    const one = secrets(ok(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "db", "--extract", '["db"]["password"]', "--key", "pw"]).stdout)[0]!;
    expect(decoded(one)["pw"]!.toString()).toBe(V.dbPassword);
    const whole = secrets(ok(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "cfg", "--key", "config.yaml"]).stdout)[0]!;
    expect(decoded(whole)["config.yaml"]!.toString()).toBe(APP_YAML());
  });

  it("strings a YAML 1.1 reader (kubectl's) would misread stay strings: yes, on, 0123, 12:30", () => {
    encryptTo(join(root, "secret-cmd", "tricky.enc.yaml"), `flag: "yes"\nmode: "on"\nzip: "0123"\ntime: "12:30"\nnum: 7\n`, "yaml");
    const out = ok(["k8s", "secret", "secret-cmd/tricky.enc.yaml", "--name", "t", "--string-data", "--label", "enabled=yes"]).stdout;
    for (const version of ["1.1", "1.2"] as const) {
      const s = parseYaml(out, { version });
      expect(s.stringData).toEqual({ flag: "yes", mode: "on", zip: "0123", time: "12:30", num: "7" });
      expect(s.metadata.labels).toEqual({ enabled: "yes" });
    }
  });

  it("a binary file becomes one key: the file name without .enc, or --key; bytes exact", () => {
    encryptTo(join(root, "secret-cmd", "keystore.p12.enc"), V.binary, "binary");
    const s = secrets(ok(["k8s", "secret", "secret-cmd/keystore.p12.enc", "--name", "ks", "--string-data"]).stdout)[0]!;
    expectSecretShape(s);
    // not UTF-8: stays in data even with --string-data
    expect(decoded(s)["keystore.p12"]!.equals(V.binary)).toBe(true);
    const k = secrets(ok(["k8s", "secret", "secret-cmd/keystore.p12.enc", "--name", "ks", "--key", "store"]).stdout)[0]!;
    expect(Object.keys(k.data)).toEqual(["store"]);
  });

  it("typed Secrets: required keys present pass, missing keys fail with the key names and no value", () => {
    encryptTo(join(root, "secret-cmd", "tls.enc.yaml"), `tls.crt: |\n${indent(V.tlsCrt)}tls.key: |\n${indent(V.tlsKey)}`, "yaml");
    const s = secrets(ok(["k8s", "secret", "secret-cmd/tls.enc.yaml", "--name", "web-tls", "--type", "kubernetes.io/tls"]).stdout)[0]!;
    expectSecretShape(s);
    expect(s.type).toBe("kubernetes.io/tls");
    expect(decoded(s)["tls.key"]!.toString()).toBe(V.tlsKey);

    const cases: [string, RegExp][] = [
      ["kubernetes.io/tls", /needs the keys tls\.crt and tls\.key/],
      ["kubernetes.io/dockerconfigjson", /needs the key \.dockerconfigjson/],
      ["kubernetes.io/basic-auth", /needs at least one of the keys username, password/],
      ["kubernetes.io/ssh-auth", /needs the key ssh-privatekey/],
    ];
    for (const [type, message] of cases) {
      const r = hush(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "x", "--type", type]);
      expect(r.status, type).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
      for (const n of needles()) expect(r.stderr.includes(n.toString())).toBe(false);
    }
    const missingOne = hush(["k8s", "secret", "secret-cmd/tls.enc.yaml", "--name", "x", "--extract", "tls.crt", "--type", "kubernetes.io/tls"]);
    expect(missingOne.status).toBe(1);
    expect(missingOne.stderr).toMatch(/needs the key tls\.key/);
    // .dockerconfigjson must be JSON
    const bad = hush(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "x", "--extract", "api_key", "--key", ".dockerconfigjson", "--type", "kubernetes.io/dockerconfigjson"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/\.dockerconfigjson .* is not JSON/);
    expect(bad.stderr).not.toContain(V.apiKey);
  });

  it("rejects invalid names and keys before printing anything", () => {
    expect(hush(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "Bad_Name"]).stderr).toMatch(/invalid Secret name/);
    expect(hush(["k8s", "secret", "secret-cmd/app.enc.yaml", "--name", "ok", "--label", "novalue"]).stderr).toMatch(/--label takes KEY=VALUE/);
    encryptTo(join(root, "secret-cmd", "spaces.enc.yaml"), `"my key": ${V.apiKey}\n`, "yaml");
    const r = hush(["k8s", "secret", "secret-cmd/spaces.enc.yaml", "--name", "ok"]);
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/"my key" .* cannot be a Secret key/);
    expect(r.stdout).toBe("");
    // the same key from two files
    encryptTo(join(root, "secret-cmd", "again.enc.yaml"), `api_key: ${V.nested}\n`, "yaml");
    const dup = hush(["k8s", "secret", "secret-cmd/app.enc.yaml", "secret-cmd/again.enc.yaml", "--name", "ok"]);
    expect(dup.status).toBe(8);
    expect(dup.stderr).toMatch(/two values would both be the Secret key api_key: secret-cmd\/app\.enc\.yaml api_key and secret-cmd\/again\.enc\.yaml api_key/);
    expect(dup.stdout).toBe("");
  });

  it("the output is accepted by kubectl kustomize as a resource (read through a FIFO, never a file)", async () => {
    const dir = join(root, "as-resource");
    mkdirSync(dir);
    writeFileSync(join(dir, "kustomization.yaml"), "resources:\n  - secret.yaml\nnamespace: prod\nlabels:\n  - pairs:\n      team: core\n");
    const fifo = join(dir, "secret.yaml");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const writer = spawn("sh", ["-c", `"${process.execPath}" "${HUSH}" k8s secret ../secret-cmd/app.enc.yaml --name app > secret.yaml`], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    const done = new Promise<number>((res) => writer.on("close", (c) => res(c ?? -1)));
    const k = kustomize(dir);
    expect(await done).toBe(0);
    expect(k.stderr).toBe("");
    expect(k.status).toBe(0);
    const [s] = secrets(k.stdout);
    expectSecretShape(s!);
    expect(s!.metadata).toEqual({ name: "app", namespace: "prod", labels: { team: "core" } });
    expect(decoded(s!)["DB_PASSWORD"]!.toString()).toBe(V.dbPassword);
    expect(statSync(fifo).isFIFO()).toBe(true);
  });
});

function indent(s: string): string {
  return s
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => `  ${l}\n`)
    .join("");
}

describe("the kustomize generator (kubectl kustomize --enable-alpha-plugins)", () => {
  it("install-kustomize-plugin writes an executable at kustomize's legacy plugin paths", () => {
    for (const p of ["hush/v1/secretgenerator/SecretGenerator", "viaduct.ai/v1/ksops/ksops"]) {
      const file = join(root, "xdg", "kustomize", "plugin", p);
      expect(statSync(file).mode & 0o111).not.toBe(0);
      expect(readFileSync(file, "utf8")).toMatch(/^#!\/bin\/sh\n# hush kustomize plugin[\s\S]*k8s kustomize-plugin "\$@"\n$/);
    }
    // KUSTOMIZE_PLUGIN_HOME wins over XDG_CONFIG_HOME, as in kustomize
    const home = join(root, "plugin-home");
    const r = runHush(["k8s", "install-kustomize-plugin"], { env: { ...env, KUSTOMIZE_PLUGIN_HOME: home }, cwd: root });
    expect(r.stdout).toBe(`installed ${join(home, "hush/v1/secretgenerator/SecretGenerator")}\n`);
  });

  it("refuses to replace a plugin hush did not write, unless --force", () => {
    const home = join(root, "other-home");
    const ksops = join(home, "viaduct.ai/v1/ksops/ksops");
    mkdirSync(join(ksops, ".."), { recursive: true });
    writeFileSync(ksops, "ELF a real ksops\n");
    const e = { ...env, KUSTOMIZE_PLUGIN_HOME: home };
    const r = runHush(["k8s", "install-kustomize-plugin", "--ksops"], { env: e, cwd: root });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/was not written by hush/);
    expect(readFileSync(ksops, "utf8")).toBe("ELF a real ksops\n");
    expect(runHush(["k8s", "install-kustomize-plugin", "--ksops", "--force"], { env: e, cwd: root }).status).toBe(0);
    expect(readFileSync(ksops, "utf8")).toContain("hush kustomize plugin");
  });

  it("a hush/v1 SecretGenerator builds a Secret whose decoded data is the plaintext (hash suffix as kustomize's own)", () => {
    const dir = join(root, "gen");
    encryptTo(join(dir, "app.enc.yaml"), APP_YAML(), "yaml");
    encryptTo(join(dir, "certs", "tls.enc.yaml"), `tls.crt: |\n${indent(V.tlsCrt)}tls.key: |\n${indent(V.tlsKey)}`, "yaml");
    encryptTo(join(dir, "keystore.p12.enc"), V.binary, "binary");
    writeFileSync(
      join(dir, "generator.yaml"),
      `apiVersion: hush/v1
kind: SecretGenerator
metadata:
  name: app
  namespace: prod
labels:
  app: web
files:
  - app.enc.yaml
  - keystore.p12.enc
---
apiVersion: hush/v1
kind: SecretGenerator
metadata:
  name: web-tls
type: kubernetes.io/tls
disableNameSuffixHash: true
stringData: true
files:
  - certs/tls.enc.yaml
`,
    );
    writeFileSync(join(dir, "kustomization.yaml"), "generators:\n  - generator.yaml\n");
    const k = kustomize(dir);
    expect(k.stderr).toBe("");
    expect(k.status).toBe(0);
    const out = secrets(k.stdout);
    const app = out.find((s) => s.metadata.name.startsWith("app-"))!;
    expectSecretShape(app);
    expect(app.metadata.name).toMatch(/^app-[a-z0-9]{10}$/);
    expect(app.metadata.namespace).toBe("prod");
    expect(app.metadata.labels).toEqual({ app: "web" });
    expect(app.metadata.annotations).toBeUndefined(); // kustomize consumed needs-hash
    const d = decoded(app);
    expect(Object.keys(d).sort()).toEqual(["DB_PASSWORD", "DB_PORT", "DEEP_LIST_0", "api_key", "keystore.p12"]);
    expect(d["DB_PASSWORD"]!.toString()).toBe(V.dbPassword);
    expect(d["api_key"]!.toString()).toBe(V.apiKey);
    expect(d["DEEP_LIST_0"]!.toString()).toBe(V.nested);
    expect(d["keystore.p12"]!.equals(V.binary)).toBe(true);
    const tls = out.find((s) => s.metadata.name === "web-tls")!;
    expectSecretShape(tls);
    expect(tls.type).toBe("kubernetes.io/tls");
    expect(tls.stringData).toEqual({ "tls.crt": V.tlsCrt, "tls.key": V.tlsKey });
  });

  it("ksops's shape builds with the same executable: an encrypted Secret manifest (files:) and secretFrom", () => {
    const dir = join(root, "ksops");
    const manifest = `apiVersion: v1
kind: Secret
metadata:
  name: mysecret
  annotations:
    kustomize.config.k8s.io/needs-hash: "false"
type: Opaque
data:
  password: ${Buffer.from(V.manifestPw).toString("base64")}
stringData:
  application: kustomize-sops
`;
    const enc = encryptTo(join(dir, "secret.enc.yaml"), manifest, "yaml", ["--encrypted-regex", "^(data|stringData)$"]);
    expect(enc).toContain("kind: Secret");
    encryptTo(join(dir, "secret.enc.env"), `TOKEN=${V.envToken}\nUSER=admin\n`, "dotenv");
    encryptTo(join(dir, "store.bin"), V.binary, "binary");
    writeFileSync(
      join(dir, "generate-resources.yaml"),
      `apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: ksops-generator
files:
  - ./secret.enc.yaml
secretFrom:
  - metadata:
      name: from-parts
      labels:
        foo: bar
      annotations:
        kustomize.config.k8s.io/needs-hash: "false"
    type: Opaque
    envs:
      - ./secret.enc.env
    binaryFiles:
      - keystore=./store.bin
`,
    );
    writeFileSync(join(dir, "kustomization.yaml"), "generators:\n  - ./generate-resources.yaml\n");
    const k = kustomize(dir);
    expect(k.stderr).toBe("");
    expect(k.status).toBe(0);
    const out = secrets(k.stdout);
    const my = out.find((s) => s.metadata.name === "mysecret")!;
    expectSecretShape(my);
    expect(decoded(my)["password"]!.toString()).toBe(V.manifestPw);
    expect(my.stringData).toEqual({ application: "kustomize-sops" });
    const parts = out.find((s) => s.metadata.name === "from-parts")!;
    expectSecretShape(parts);
    expect(parts.metadata.labels).toEqual({ foo: "bar" });
    expect(parts.stringData).toEqual({ TOKEN: V.envToken, USER: "admin" });
    expect(Buffer.from(parts.data.keystore, "base64").equals(V.binary)).toBe(true);
  });

  it("a generator cannot read encrypted files outside the kustomization directory (attack: a pushed config)", () => {
    const outside = join(root, "outside.enc.yaml");
    encryptTo(outside, `stolen: ${V.apiKey}\n`, "yaml");
    const dir = join(root, "attack");
    mkdirSync(dir);
    symlinkSync(outside, join(dir, "link.enc.yaml"));
    for (const file of ["../outside.enc.yaml", outside, "link.enc.yaml"]) {
      writeFileSync(join(dir, "gen.yaml"), `apiVersion: hush/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n  - ${file}\n`);
      writeFileSync(join(dir, "kustomization.yaml"), "generators:\n  - gen.yaml\n");
      const k = kustomize(dir);
      expect(k.status, file).not.toBe(0);
      expect(k.stderr).toMatch(/outside the kustomization directory/);
      expect(k.stdout).not.toContain(Buffer.from(V.apiKey).toString("base64"));
    }
    // The operator (the environment, not the repository) may widen the root to hold both.
    writeFileSync(join(dir, "gen.yaml"), "apiVersion: hush/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfiles:\n  - ../outside.enc.yaml\n");
    const wide = spawnSync("kubectl", ["kustomize", "--enable-alpha-plugins", dir], { env: { ...env, HUSH_KUSTOMIZE_ROOT: root }, encoding: "utf8" });
    expect(wide.stderr).toBe("");
    expect(decoded(secrets(wide.stdout)[0]!)["stolen"]!.toString()).toBe(V.apiKey);
    const narrow = spawnSync("kubectl", ["kustomize", "--enable-alpha-plugins", dir], { env: { ...env, HUSH_KUSTOMIZE_ROOT: join(root, "gen") }, encoding: "utf8" });
    expect(narrow.status).not.toBe(0);
    expect(narrow.stderr).toMatch(/HUSH_KUSTOMIZE_ROOT .* does not contain the kustomization directory/);
  });

  it("a generator config with a typo fails clearly", () => {
    const dir = join(root, "typo");
    mkdirSync(dir);
    writeFileSync(join(dir, "gen.yaml"), "apiVersion: hush/v1\nkind: SecretGenerator\nmetadata:\n  name: x\nfile:\n  - a.enc.yaml\n");
    writeFileSync(join(dir, "kustomization.yaml"), "generators:\n  - gen.yaml\n");
    const k = kustomize(dir);
    expect(k.status).not.toBe(0);
    expect(k.stderr).toMatch(/generator config: unknown field "file"/);
  });
});

describe("the KRM function mode (a ResourceList on standard input)", () => {
  it("replaces generator items by their Secrets and passes other items through", () => {
    const dir = join(root, "gen");
    const config = {
      apiVersion: "hush/v1",
      kind: "SecretGenerator",
      metadata: { name: "app", annotations: { "config.kubernetes.io/function": "exec:\n  path: hush-plugin\n" } },
      files: ["app.enc.yaml"],
      disableNameSuffixHash: true,
    };
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "plain" }, data: { a: "b" } };
    const list = { apiVersion: "config.kubernetes.io/v1", kind: "ResourceList", items: [cm, config], functionConfig: config };
    const plugin = join(root, "xdg", "kustomize", "plugin", "hush/v1/secretgenerator/SecretGenerator");
    const r = spawnSync(plugin, [], { cwd: dir, env, input: JSON.stringify(list), encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = parseYaml(r.stdout);
    expect(out.kind).toBe("ResourceList");
    expect(out.items).toHaveLength(2);
    expect(out.items[0]).toEqual(cm);
    const s = out.items[1];
    expectSecretShape(s);
    expect(s.metadata.name).toBe("app");
    expect(Buffer.from(s.data.DB_PASSWORD, "base64").toString()).toBe(V.dbPassword);

    // only a functionConfig (no items): the function config is run
    const r2 = spawnSync(plugin, [], { cwd: dir, env, input: JSON.stringify({ ...list, items: [] }), encoding: "utf8" });
    expect(r2.status).toBe(0);
    expect(parseYaml(r2.stdout).items.map((i: any) => i.kind)).toEqual(["Secret"]);

    // ksops's shape through ksops's path, as kustomize --enable-exec would call it
    const ksopsPlugin = join(root, "xdg", "kustomize", "plugin", "viaduct.ai/v1/ksops/ksops");
    const kcfg = { apiVersion: "viaduct.ai/v1", kind: "ksops", metadata: { name: "g" }, files: ["./secret.enc.yaml"] };
    const r4 = spawnSync(ksopsPlugin, [], { cwd: join(root, "ksops"), env, input: JSON.stringify({ ...list, items: [kcfg], functionConfig: kcfg }), encoding: "utf8" });
    expect(r4.stderr).toBe("");
    const k4 = parseYaml(r4.stdout).items;
    expect(k4.map((i: any) => i.metadata.name)).toEqual(["mysecret"]);
    expect(Buffer.from(k4[0].data.password, "base64").toString()).toBe(V.manifestPw);

    // not a ResourceList: a clear error, nothing on stdout
    const r3 = spawnSync(plugin, [], { cwd: dir, env, input: "kind: Nope\n", encoding: "utf8" });
    expect(r3.status).toBe(8);
    expect(r3.stderr).toMatch(/not a ResourceList/);
    expect(r3.stdout).toBe("");
  });
});

/**
 * The markers Flux's kustomize-controller looks for (internal/decryptor/decryptor.go): a resource
 * is decrypted when it has `sops.mac` (isSOPSEncryptedResource); a Secret data value (e.g. made by
 * kustomize's secretGenerator from an encrypted file) when its bytes contain the format's marker
 * (sopsFormatToMarkerBytes); a file a secretGenerator or patch names when it contains its format's.
 */
const FLUX_MARKERS = { binary: '"mac": "ENC[', dotenv: "sops_mac=ENC[", ini: "[sops]", json: '"mac": "ENC[', yaml: "mac: ENC[" } as const;

function fluxDetect(bytes: Buffer): string | undefined {
  for (const [format, marker] of Object.entries(FLUX_MARKERS)) if (bytes.includes(Buffer.from(marker))) return format;
  return undefined;
}

describe("Secret manifests encrypted for Flux", () => {
  const manifest = () => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "prod", labels: { app: "db" } },
    type: "Opaque",
    data: { password: Buffer.from(V.manifestPw).toString("base64") },
    stringData: { user: "admin" },
  });

  it("block YAML and JSON: apiVersion, kind and metadata stay in clear; sops.mac and the marker are there", () => {
    for (const type of ["yaml", "json"] as const) {
      const plain = type === "yaml" ? `${stringifyBlock(manifest())}` : JSON.stringify(manifest(), null, 2);
      const path = join(root, "flux", `db-secret.${type}`);
      const enc = encryptTo(path, plain, type, ["--encrypted-regex", "^(data|stringData)$"]);
      expect(enc.includes(FLUX_MARKERS[type])).toBe(true);
      expect(fluxDetect(Buffer.from(enc))).toBeDefined();
      const obj = type === "yaml" ? parseYaml(enc) : JSON.parse(enc);
      expect(obj.apiVersion).toBe("v1");
      expect(obj.kind).toBe("Secret");
      expect(obj.metadata).toEqual(manifest().metadata);
      expect(obj.type).toBe("Opaque");
      expect(obj.data.password).toMatch(/^ENC\[AES256_GCM,/);
      expect(obj.stringData.user).toMatch(/^ENC\[AES256_GCM,/);
      // Flux's IsEncryptedSecret / isSOPSEncryptedResource
      expect(typeof obj.sops.mac).toBe("string");
      expect(obj.sops.mac).toMatch(/^ENC\[/);
      // The same document as JSON, in its own order, decrypts with the MAC verified.
      const asJson = ok(["decrypt", "--input-type", "json"], { input: JSON.stringify(obj) });
      expect(JSON.parse(asJson.stdout)).toEqual(manifest());
      // Flux decrypts a built resource as JSON with its keys sorted (kyaml's RNode.MarshalJSON goes
      // through a Go map) and skips the MAC (checkSopsMac is off: kustomize edits resources). Every
      // value still decrypts, as its AAD is its path, not its place; the MAC no longer matches.
      const fluxJson = JSON.stringify(sortKeys(obj));
      expect(JSON.parse(ok(["decrypt", "--input-type", "json", "--ignore-mac"], { input: fluxJson }).stdout)).toEqual(sortKeys(manifest()));
      expect(hush(["decrypt", "--input-type", "json"], { input: fluxJson }).status).toBe(51);
    }
  });

  it("dotenv and binary files (kustomize secretGenerator envs/files) carry the markers Flux detects", () => {
    const env1 = encryptTo(join(root, "flux", "app.env"), `TOKEN=${V.envToken}\n`, "dotenv");
    expect(fluxDetect(Buffer.from(env1))).toBe("dotenv");
    const bin = encryptTo(join(root, "flux", "store.bin"), V.binary, "binary");
    expect(["binary", "json"]).toContain(fluxDetect(Buffer.from(bin)));
    // A Secret data value holding an encrypted file, as kustomize's secretGenerator makes it,
    // is detected after base64-decoding (DecryptResource's Secret case).
    for (const enc of [env1, bin]) expect(fluxDetect(Buffer.from(Buffer.from(enc).toString("base64"), "base64"))).toBeDefined();
  });

  it("hush init --kubernetes writes a creation rule that encrypts only data and stringData of *.yaml under --path", () => {
    const repo = join(root, "init-repo");
    mkdirSync(repo);
    const r = runHush(["init", "--no-git", "--kubernetes", "--path", "deploy/secrets"], { env, cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    const config = parseYaml(readFileSync(join(repo, ".sops.yaml"), "utf8"));
    expect(config.creation_rules[0]).toMatchObject({ path_regex: "^deploy/secrets/.*\\.ya?ml$", encrypted_regex: "^(data|stringData)$", age: [recipient] });
    // the recipe: encrypt a Secret manifest in place, as .sops.yaml says
    const file = join(repo, "deploy", "secrets", "db.yaml");
    mkdirSync(join(file, ".."), { recursive: true });
    // (this plaintext file is the recipe's starting point; it holds no test secret value)
    writeFileSync(file, stringifyBlock({ ...manifest(), data: { password: Buffer.from("not-a-secret").toString("base64") } }));
    expect(runHush(["encrypt", "-i", "deploy/secrets/db.yaml"], { env, cwd: repo }).status).toBe(0);
    const enc = parseYaml(readFileSync(file, "utf8"));
    expect(enc.kind).toBe("Secret");
    expect(enc.metadata.name).toBe("db");
    expect(enc.data.password).toMatch(/^ENC\[/);
    expect(readFileSync(file, "utf8")).toContain(FLUX_MARKERS.yaml);
    // other files keep the default rule (every value encrypted)
    expect(config.creation_rules[1].path_regex).toBe("\\.enc\\.(yaml|yml|json|env|ini)$");
    expect(config.creation_rules[1].encrypted_regex).toBeUndefined();

    // an existing .sops.yaml: the rule is added first, with the first keyed rule's keys, once
    const before = readFileSync(join(repo, ".sops.yaml"), "utf8");
    expect(runHush(["init", "--no-git", "--kubernetes", "--path", "deploy/secrets"], { env, cwd: repo }).status).toBe(0);
    expect(readFileSync(join(repo, ".sops.yaml"), "utf8")).toBe(before);
    const again = runHush(["init", "--no-git", "--kubernetes", "--path", "./clusters/prod/"], { env, cwd: repo });
    expect(again.stdout).toMatch(/added the Kubernetes rule/);
    const rules = parseYaml(readFileSync(join(repo, ".sops.yaml"), "utf8")).creation_rules;
    expect(rules.map((r: any) => r.path_regex)).toEqual(["^clusters/prod/.*\\.ya?ml$", "^deploy/secrets/.*\\.ya?ml$", "\\.enc\\.(yaml|yml|json|env|ini)$"]);
    expect(rules[0]).toMatchObject({ encrypted_regex: "^(data|stringData)$", age: [recipient] });

    // the whole repository, or outside it, is refused before anything is written
    const fresh = join(root, "init-refused");
    mkdirSync(fresh);
    for (const p of [".", "../x", "/abs"]) {
      const r = runHush(["init", "--no-git", "--kubernetes", "--path", p], { env, cwd: fresh });
      expect(r.status, p).toBe(8);
      expect(readdirSync(fresh)).toEqual([]);
    }
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

function stringifyBlock(o: unknown): string {
  return stringifyYaml(o); // block style
}

describe("helm-secrets: examples/helm-secrets/hush-backend.sh, called as helm-secrets calls a custom backend", () => {
  /** Sources the backend as helm-secrets's scripts/lib/backend.sh does, then runs `call`. */
  function backend(call: string, input = ""): RunResult {
    const script = join(process.cwd(), "examples", "helm-secrets", "hush-backend.sh");
    const r = spawnSync("sh", ["-c", `set -euf; SECRET_BACKEND_ARGS=""; . "${script}"; ${call}`], {
      cwd: join(root, "helm"),
      env: { ...env, HELM_SECRETS_HUSH_PATH: `${process.execPath} ${HUSH}` },
      input,
      encoding: "utf8",
    });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  it("detects encrypted files, decrypts to standard output, encrypts in place, decrypts literals", () => {
    const dir = join(root, "helm");
    const values = `db:\n  password: ${V.dbPassword}\nreplicas: 2\n`;
    encryptTo(join(dir, "secrets.yaml"), values, "yaml");
    expect(backend("_custom_backend_is_file_encrypted secrets.yaml").status).toBe(0);
    const out = backend("_custom_backend_decrypt_file auto secrets.yaml");
    expect(out.stderr).toBe("");
    expect(out.stdout).toBe(values);
    expect(backend("_custom_backend_decrypt_file yaml secrets.yaml").stdout).toBe(values);

    // helm-secrets's own flow writes a .dec file; here with a value that is not a test secret.
    // Recipients for encryption come from .sops.yaml, as with sops.
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${recipient}\n`);
    writeFileSync(join(dir, "plain.yaml"), "greeting: hello\n");
    expect(backend("_custom_backend_is_file_encrypted plain.yaml").status).not.toBe(0);
    expect(backend("_custom_backend_encrypt_file yaml plain.yaml plain.yaml").status).toBe(0);
    expect(readFileSync(join(dir, "plain.yaml"), "utf8")).toMatch(/greeting: ENC\[AES256_GCM,/);
    expect(backend("_custom_backend_is_file_encrypted plain.yaml").status).toBe(0);
    expect(backend("_custom_backend_decrypt_file auto plain.yaml plain.yaml.dec").status).toBe(0);
    expect(readFileSync(join(dir, "plain.yaml.dec"), "utf8")).toBe("greeting: hello\n");
    expect(statSync(join(dir, "plain.yaml.dec")).mode & 0o777).toBe(0o600);
    rmSync(join(dir, "plain.yaml.dec"));

    const literal = ok(["encrypt", "--age", recipient, "--input-type", "json"], { input: '{"v": "hello"}' }).stdout;
    const lit = backend(`_custom_backend_decrypt_literal '${literal.replace(/'/g, "'\\''")}'`);
    expect(JSON.parse(lit.stdout)).toEqual({ v: "hello" });
    expect(backend("_custom_backend_decrypt_literal 'not encrypted'").stdout).toBe("not encrypted");
  });
});

describe("examples/kubernetes/rotate-vault-transit.sh (the CronJob's script) against the loopback Vault", () => {
  function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<RunResult> {
    return new Promise((res, rej) => {
      const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", rej);
      child.on("close", (status) => res({ status: status ?? -1, stdout, stderr }));
      child.stdin.on("error", () => {}); // a child that reads nothing closes its stdin early
      child.stdin.end(opts.input ?? "");
    });
  }

  it("re-encrypts the files with a Vault transit entry under new data keys, commits and pushes; others untouched", async () => {
    const { startVaultServer } = await import("./servers/vault.js");
    const vault = await startVaultServer();
    try {
      const dir = join(root, "rotate");
      mkdirSync(dir);
      const genv: NodeJS.ProcessEnv = {
        ...env,
        VAULT_TOKEN: vault.token,
        GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com",
        GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: join(root, "home", ".gitconfig"),
      };
      const git = async (args: string[], cwd: string) => {
        const r = await run("git", args, { cwd, env: genv });
        if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
      };
      const hushAsync = (args: string[], input?: string) => run(process.execPath, [HUSH, ...args], { cwd: dir, env: genv, ...(input !== undefined ? { input } : {}) });
      await git(["init", "--quiet", "--bare", "-b", "main", "remote.git"], dir);
      await git(["init", "--quiet", "-b", "main", "work"], dir);
      const work = join(dir, "work");
      const plain = `db:\n  password: ${V.dbPassword}\n`;
      const vaultFile = await hushAsync(["encrypt", "--input-type", "yaml", "--hc-vault-transit", vault.keyUrl("hush"), "--age", recipient], plain);
      expect(vaultFile.status, vaultFile.stderr).toBe(0);
      mkdirSync(join(work, "k8s secrets"));
      writeFileSync(join(work, "k8s secrets", "app.enc.yaml"), vaultFile.stdout);
      const ageOnly = encryptTo(join(work, "other.enc.yaml"), `token: ${V.apiKey}\n`, "yaml");
      await git(["add", "."], work);
      await git(["commit", "--quiet", "-m", "secrets"], work);
      await git(["push", "--quiet", join(dir, "remote.git"), "main"], work);

      const script = join(process.cwd(), "examples", "kubernetes", "rotate-vault-transit.sh");
      const r = await run("sh", [script], { cwd: dir, env: { ...genv, REPO_URL: `file://${join(dir, "remote.git")}`, HUSH: `${process.execPath} ${HUSH}` } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("rotate: re-encrypted 1 file(s)\n");

      const remote = join(dir, "remote.git");
      expect(await git(["log", "-1", "--format=%s", "main"], remote)).toMatch(/^Re-encrypt 1 file\(s\) under new data keys/);
      const after = await git(["show", "main:k8s secrets/app.enc.yaml"], remote);
      const before = parseYaml(vaultFile.stdout);
      const now = parseYaml(after);
      expect(now.db.password).not.toBe(before.db.password);
      expect(now.sops.hc_vault[0].enc).not.toBe(before.sops.hc_vault[0].enc);
      expect(now.sops.hc_vault[0].enc).toMatch(/^vault:v1:/);
      expect(await git(["show", "main:other.enc.yaml"], remote)).toBe(ageOnly);
      // the rotated file decrypts to the same values, with the age key alone too
      const dec = await hushAsync(["decrypt", "--input-type", "yaml", "-"], after);
      expect(dec.stdout).toBe(plain);
      const byAge = await run(process.execPath, [HUSH, "decrypt", "--input-type", "yaml", "-"], { cwd: dir, env, input: after });
      expect(byAge.stdout).toBe(plain);
    } finally {
      await vault.close();
    }
  });
});
