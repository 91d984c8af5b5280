// No leaks on failure (issue 9, hardening): runs of the real CLI that fail (wrong key, every key
// service down or refusing, a tampered value, a MAC mismatch, malformed input or key material)
// print one `hush: error:` line and never any secret: stdout and stderr are scanned for every
// plaintext value and comment of the file, for the data key (hex and base64), for the age
// identities and for the Vault token.
//
// The file is wrapped for an age key, a Vault transit key (the loopback server in
// test/servers/vault.ts) and an AWS KMS key whose endpoint is a closed port, with a known data key.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WrappedKey } from "../src/model/metadata.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { recipientFor } from "../src/keys/registry.js";
import { encryptText } from "../src/lib/files.js";
import { cleanEnv, HUSH, withTempDir, type RunResult } from "./helpers.js";
import { startVaultServer, type VaultServer } from "./servers/vault.js";

const canary = (what: string) => `canary-${what}-${randomBytes(8).toString("hex")}`;
const SECRET = {
  password: canary("password"),
  token: canary("token"),
  nested: canary("nested"),
  item: canary("item"),
  comment: canary("comment"),
  last: canary("last"),
};
const PLAIN = `# ${SECRET.comment}
db:
    user: admin
    password: ${SECRET.password}
api_token: ${SECRET.token}
deep:
    deeper:
        value: ${SECRET.nested}
list:
    - ${SECRET.item}
last: ${SECRET.last}
`;
const DATA_KEY = randomBytes(32);

let vault: VaultServer;
let deadPort = 0;
let enc = "";
let right: { identity: string; recipient: string };
let wrong: { identity: string; recipient: string };
/** Everything that must never be printed. */
let needles: string[] = [];

beforeAll(async () => {
  vault = await startVaultServer();
  // A port nothing listens on: bind one, then close it.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  deadPort = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));

  right = await generateAgeKeyFile();
  wrong = await generateAgeKeyFile();
  const vaultRecipient = await recipientFor("hc_vault", vault.keyUrl("leaks"), { VAULT_TOKEN: vault.token });
  const first = await encryptText(PLAIN, { format: "yaml", groups: [[ageRecipient(right.recipient), vaultRecipient]], dataKey: DATA_KEY });
  // Add a KMS entry (its service will be unreachable) to the same group.
  const kms: WrappedKey = {
    kind: "kms",
    entry: { arn: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", enc: Buffer.from(randomBytes(64)).toString("base64"), aws_profile: "", created_at: "2026-01-02T03:04:05Z" },
  };
  enc = (
    await encryptText(PLAIN, {
      format: "yaml",
      groups: [[]],
      dataKey: DATA_KEY,
      wrappedKeys: [[kms, ...first.metadata.keyGroups[0]!]],
    })
  ).text;
  expect(enc).toContain("hc_vault:");
  expect(enc).toContain("kms:");
  for (const s of Object.values(SECRET)) expect(enc).not.toContain(s);

  needles = [
    ...Object.values(SECRET),
    // A distinctive part of each secret, in case one is printed cut or wrapped.
    ...Object.values(SECRET).map((s) => s.slice(-16)),
    DATA_KEY.toString("hex"),
    DATA_KEY.toString("hex").toUpperCase(),
    DATA_KEY.toString("base64"),
    DATA_KEY.toString("base64url"),
    DATA_KEY.toString("base64").slice(4, 24),
    DATA_KEY.toString("hex").slice(8, 40),
    right.identity,
    wrong.identity,
    right.identity.slice(-30),
    wrong.identity.slice(-30),
    vault.token,
  ];
});

afterAll(async () => {
  await vault.close();
});

/** The environment: no keys from the machine, fake AWS credentials, AWS KMS on a closed port. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e = cleanEnv();
  for (const k of Object.keys(e)) if (k.startsWith("AWS_") || k.startsWith("VAULT_") || k.startsWith("HUSH_")) delete e[k];
  return {
    ...e,
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL: `http://127.0.0.1:${deadPort}`,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/hush-test-credentials",
    AWS_CONFIG_FILE: "/nonexistent/hush-test-config",
    HUSH_KEY_TIMEOUT_MS: "3000",
    ...extra,
  };
}

/** Runs the CLI without blocking this process (the Vault server lives here). */
function run(args: string[], opts: { env: NodeJS.ProcessEnv; input?: string; cwd?: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUSH, ...args], { env: opts.env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, stdout, stderr });
    });
  });
}

/** A failing run: the expected exit code, one error line, no stack trace, and no secret anywhere. */
function expectCleanFailure(r: RunResult, status: number, extraNeedles: readonly string[] = []): void {
  const out = r.stdout + r.stderr;
  for (const n of [...needles, ...extraNeedles]) {
    if (out.includes(n)) throw new Error(`a secret (${n.slice(0, 6)}…) was printed:\n${out}`);
  }
  expect(r.status, r.stderr).toBe(status);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.split("\n").filter((l) => l.startsWith("hush: error: "))).toHaveLength(1);
}

/** Replaces one base64 character of the n-th ENC value's data (0: the comment, then the values in order). */
function tamper(text: string, n: number): string {
  let i = -1;
  return text.replace(/ENC\[AES256_GCM,data:([^,]+),/g, (m, data: string) => {
    if (++i !== n) return m;
    return `ENC[AES256_GCM,data:${data[0] === "A" ? "B" : "A"}${data.slice(1)},`;
  });
}

describe("failing runs print no secret", () => {
  it("the file decrypts with the right age key (and then prints the secrets)", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, enc);
      const ok = await run(["decrypt", file], { env: env({ SOPS_AGE_KEY: right.identity }) });
      expect(ok.status).toBe(0);
      expect(ok.stdout).toBe(PLAIN);
    });
  });

  it("wrong age key, Vault refusing the token, AWS KMS down: exit 128", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, enc);
      const e = env({ SOPS_AGE_KEY: wrong.identity, VAULT_TOKEN: "hvs.not-the-token" });
      for (const args of [["decrypt", file], ["decrypt", "--extract", '["api_token"]', file], ["exec-env", file, "--", process.execPath, "-e", "console.log(process.env.api_token)"], ["set", file, '["x"]', '"y"']]) {
        expectCleanFailure(await run(args, { env: e }), 128);
      }
      expect(readFileSync(file, "utf8")).toBe(enc);
    });
  });

  it("every key service down (Vault stopped, AWS KMS refused), no usable age key: exit 128", async () => {
    const down = await startVaultServer();
    const rec = await recipientFor("hc_vault", down.keyUrl("gone"), { VAULT_TOKEN: down.token });
    const first = await encryptText(PLAIN, { format: "yaml", groups: [[ageRecipient(right.recipient), rec]], dataKey: DATA_KEY });
    const kms = /\n {4}kms:\n[\s\S]*?(?=\n {4}[a-z])/.exec(enc)![0];
    // The same age + Vault (now stopped) + KMS (refused) layout as the main file.
    const text = first.text.replace("\nsops:", `\nsops:${kms}`);
    expect(text).toContain("kms:");
    await down.close();
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, text);
      for (const e of [env({ VAULT_TOKEN: down.token }), env({ VAULT_TOKEN: down.token, SOPS_AGE_KEY: wrong.identity })]) {
        expectCleanFailure(await run(["decrypt", file], { env: e }), 128, [down.token]);
        expectCleanFailure(await run(["exec-env", file, "--", "true"], { env: e }), 128, [down.token]);
      }
    });
  });

  it("a slow Vault (timeout) and a sealed Vault: exit 128", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, enc);
      vault.delayMs = 2_000;
      try {
        expectCleanFailure(await run(["decrypt", file], { env: env({ VAULT_TOKEN: vault.token, HUSH_KEY_TIMEOUT_MS: "300" }) }), 128);
      } finally {
        vault.delayMs = 0;
      }
      vault.failNext(10, 503);
      expectCleanFailure(await run(["decrypt", file], { env: env({ VAULT_TOKEN: vault.token }) }), 128);
    });
  });

  it("a tampered value, with the right key: exit 25, nothing decrypted is printed", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      const e = env({ SOPS_AGE_KEY: right.identity });
      // The comment is ENC #0; tampering with the last value means every other value decrypted first.
      const values = (enc.match(/ENC\[/g) ?? []).length - 1;
      for (const n of [1, values - 1]) {
        writeFileSync(file, tamper(enc, n));
        for (const args of [
          ["decrypt", file],
          ["decrypt", "--output-type", "json", file],
          ["decrypt", "--extract", '["db"]["password"]', file],
          ["decrypt", "-i", file],
          ["exec-env", file, "--", process.execPath, "-e", "console.log(JSON.stringify(process.env))"],
          ["exec-file", file, "--", "cat", "{}"],
          ["set", file, '["db"]["user"]', '"root"'],
        ]) {
          expectCleanFailure(await run(args, { env: e }), 25);
        }
        expect(readFileSync(file, "utf8")).toBe(tamper(enc, n));
      }
    });
  });

  it("a MAC mismatch (values reordered, removed, MAC or lastmodified changed): exit 51", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      const e = env({ SOPS_AGE_KEY: right.identity });
      const lines = enc.split("\n");
      const variants = [
        enc.replace(/^api_token: .*\n/m, ""),
        enc.replace(/lastmodified: "(\d{4})/, (_, y: string) => `lastmodified: "${Number(y) + 1}`),
        enc.replace(/(\n {4}mac: ENC\[AES256_GCM,data:)(.)/, (_, p: string, c: string) => `${p}${c === "A" ? "B" : "A"}`),
        (() => {
          const a = lines.findIndex((l) => l.startsWith("api_token:"));
          const b = lines.findIndex((l) => l.startsWith("last:"));
          const l = [...lines];
          // Swapping the lines also swaps the keys, which are the additional data: swap values only.
          const va = l[a]!.slice("api_token: ".length);
          const vb = l[b]!.slice("last: ".length);
          l[a] = `api_token: ${vb}`;
          l[b] = `last: ${va}`;
          return l.join("\n");
        })(),
      ];
      for (const [i, v] of variants.entries()) {
        writeFileSync(file, v);
        for (const args of [["decrypt", file], ["exec-env", file, "--", "true"], ["decrypt", "--extract", '["api_token"]', file]]) {
          const r = await run(args, { env: e });
          // Swapped values fail authentication first (their path is their additional data).
          expectCleanFailure(r, i === 3 ? 25 : 51);
        }
      }
    });
  });

  it("malformed plaintext: parse errors never quote the line (it may hold a secret)", async () => {
    const e = env({ SOPS_AGE_RECIPIENTS: right.recipient });
    const s = SECRET.password;
    const cases: [string, string][] = [
      ["a.yaml", `ok: 1\npassword: ${s}\n  bad: [${s}\n`],
      ["b.yaml", `password: "${s}\n`],
      ["c.yaml", `password: ${s}\npassword: ${s}\n`],
      ["d.yaml", `- ${s}\n`],
      ["e.json", `{"password": "${s}",}`],
      ["f.json", `{"password": "${s}" "x": 1}`],
      ["g.json", `["${s}"]`],
      ["h.env", `PASSWORD=${s}\n${s}\n`],
      ["i.env", `PASSWORD="${s}\n`],
      ["j.ini", `[s]\npassword = ${s}\n[${s}\n`],
      ["k.ini", `password = """${s}\n`],
    ];
    await withTempDir(async (dir) => {
      for (const [name, text] of cases) {
        const file = join(dir, name);
        writeFileSync(file, text);
        const r = await run(["encrypt", file], { env: e });
        const out = r.stdout + r.stderr;
        if (out.includes(s)) throw new Error(`${name}: the secret was printed:\n${out}`);
        expect(r.stderr, name).not.toMatch(/\n\s+at /);
        // Either it failed with one line, or (a format that takes the text as it is) it encrypted.
        if (r.status !== 0) expect(r.stderr.split("\n").filter((l) => l.startsWith("hush: error: ")), name).toHaveLength(1);
      }
    });
  });

  it("malformed key material is never echoed", async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, "s.enc.yaml");
      writeFileSync(file, enc);
      // A secret key with one character changed (bad checksum), a truncated one, and a keys file with garbage.
      const flipped = right.identity.slice(0, -2) + (right.identity.at(-2) === "Q" ? "P" : "Q") + right.identity.slice(-1);
      const truncated = right.identity.slice(0, -5);
      const keysFile = join(dir, "keys.txt");
      writeFileSync(keysFile, `# keys\n${flipped}\nnot-a-key-${SECRET.token}\n`, { mode: 0o600 });
      const extra = [flipped, truncated, flipped.slice(-30), truncated.slice(-30)];
      const noServices = { VAULT_TOKEN: "hvs.wrong" };
      for (const e of [
        env({ ...noServices, SOPS_AGE_KEY: flipped }),
        env({ ...noServices, SOPS_AGE_KEY: truncated }),
        env({ ...noServices, SOPS_AGE_KEY_FILE: keysFile }),
        env({ ...noServices, SOPS_AGE_KEY_CMD: `echo ${flipped}` }),
      ]) {
        expectCleanFailure(await run(["decrypt", file], { env: e }), 128, extra);
      }
    });
  });
});
