// Kubernetes (docs/kubernetes.md): `hush k8s secret`, the kustomize generator run by Debian's
// real `kubectl kustomize --enable-alpha-plugins` (legacy exec plugin, offline), ksops's generator
// shape and the KRM function mode (a ResourceList piped in). Plaintext exists only in the tests'
// memory; test/support/k8s-env.ts watches the disk for it.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { HUSH, runHush } from "./helpers.js";
import { assertNoPlaintextOnDisk, encryptTo, env, hush, needles, ok, root, useK8sEnv, V } from "./support/k8s-env.js";

useK8sEnv({ installPlugin: true });

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

