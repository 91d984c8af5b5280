// GitOps around hush files (docs/kubernetes.md): Secret manifests encrypted for Flux (the markers
// its kustomize-controller detects, block YAML, JSON, dotenv, binary), `hush init --kubernetes`,
// the helm-secrets backend called as helm-secrets calls it, and the Vault transit rotation script
// of the CronJob recipe against the loopback Vault. test/support/k8s-env.ts watches the disk.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { HUSH, runHush, type RunResult } from "./helpers.js";
import { encryptTo, env, hush, ok, recipient, root, useK8sEnv, V } from "./support/k8s-env.js";

useK8sEnv();

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
    // the recipe's pipe form: no plaintext file at all, the rule chosen by --filename-override
    const piped = runHush(["encrypt", "--input-type", "yaml", "--filename-override", "deploy/secrets/piped.yaml"], { env, cwd: repo, input: stringifyBlock(manifest()) });
    expect(piped.status, piped.stderr).toBe(0);
    const p = parseYaml(piped.stdout);
    expect(p.metadata).toEqual(manifest().metadata);
    expect(p.data.password).toMatch(/^ENC\[/);
    expect(p.sops.encrypted_regex).toBe("^(data|stringData)$");
    // other files keep the default rule (every value encrypted)
    expect(config.creation_rules[1].path_regex).toBe(String.raw`(\.enc\.(yaml|yml|json|env|ini)|\.env\.enc|\.env\.[^/]+\.enc)$`);
    expect(config.creation_rules[1].encrypted_regex).toBeUndefined();

    // an existing .sops.yaml: the rule is added first, with the first keyed rule's keys, once
    const before = readFileSync(join(repo, ".sops.yaml"), "utf8");
    expect(runHush(["init", "--no-git", "--kubernetes", "--path", "deploy/secrets"], { env, cwd: repo }).status).toBe(0);
    expect(readFileSync(join(repo, ".sops.yaml"), "utf8")).toBe(before);
    const again = runHush(["init", "--no-git", "--kubernetes", "--path", "./clusters/prod/"], { env, cwd: repo });
    expect(again.stdout).toMatch(/added the Kubernetes rule/);
    const rules = parseYaml(readFileSync(join(repo, ".sops.yaml"), "utf8")).creation_rules;
    expect(rules.map((r: any) => r.path_regex)).toEqual(["^clusters/prod/.*\\.ya?ml$", "^deploy/secrets/.*\\.ya?ml$", String.raw`(\.enc\.(yaml|yml|json|env|ini)|\.env\.enc|\.env\.[^/]+\.enc)$`]);
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
      // The recipients a rotation wraps for come from .sops.yaml, never from the file alone.
      writeFileSync(
        join(work, ".sops.yaml"),
        `creation_rules:\n  - path_regex: app\\.enc\\.yaml$\n    hc_vault_transit_uri: ${vault.keyUrl("hush")}\n    age: ${recipient}\n  - age: ${recipient}\n`,
      );
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

