// The GitHub Action under a simulated runner: the committed bundle (.github/actions/decrypt/dist),
// copied outside the repository so no node_modules can be found, run with node as the runner runs
// it: inputs as INPUT_<NAME> variables, GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE files, stdout
// captured and read the way the runner reads it.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { cleanEnv, HUSH, ROOT } from "./helpers.js";
import { startAwsKmsServer, type AwsKmsServer } from "./servers/aws-kms.js";
import { startGcpKmsServer, type GcpKmsServer } from "./servers/gcp-kms.js";

const DIST = join(ROOT, ".github", "actions", "decrypt", "dist");
const ACTION_YML = join(ROOT, ".github", "actions", "decrypt", "action.yml");
/** The Node major action.yml declares (`runs.using: nodeNN`): GitHub runs the bundle with it. */
const DECLARED = Number(/^\s*using:\s*node(\d+)\s*$/m.exec(readFileSync(ACTION_YML, "utf8"))?.[1]);
/**
 * The Node the simulated runner uses: scripts/test-nodes.js (`npm test`) passes the one action.yml
 * declares as HUSH_ACTION_NODE, whichever Node runs vitest; a bare `vitest run` uses its own.
 */
const ACTION_NODE = process.env["HUSH_ACTION_NODE"] || process.execPath;

let sandbox: string;
let action: string;
let key: Awaited<ReturnType<typeof generateAgeKeyFile>>;
let other: Awaited<ReturnType<typeof generateAgeKeyFile>>;

beforeAll(async () => {
  if (!existsSync(join(DIST, "index.js"))) {
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "bundle-action.js")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`build:action failed: ${r.stderr}`);
  }
  sandbox = mkdtempSync(join(tmpdir(), "hush-action-"));
  // Outside the repository: the bundle must run with no node_modules anywhere above it.
  action = join(sandbox, "action");
  cpSync(DIST, join(action, "dist"), { recursive: true });
  [key, other] = await Promise.all([generateAgeKeyFile(), generateAgeKeyFile()]);
}, 120_000);

afterAll(() => {
  rmSync(sandbox, { recursive: true, force: true });
});

interface Run {
  status: number;
  stdout: string;
  stderr: string;
  lines: string[];
  /** GITHUB_ENV as the runner parses it, in order (duplicates kept). */
  env: [string, string][];
  output: Map<string, string>;
  state: Map<string, string>;
  workspace: string;
  temp: string;
}

/** Parses a runner file command file (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE) as the runner does. */
function parseFileCommands(text: string): [string, string][] {
  const out: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const heredoc = line.indexOf("<<");
    const eq = line.indexOf("=");
    if (heredoc !== -1 && (eq === -1 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      const value: string[] = [];
      let j = i + 1;
      for (; j < lines.length && lines[j] !== delimiter; j++) value.push(lines[j]!);
      if (j >= lines.length) throw new Error(`unterminated heredoc for ${name}`);
      out.push([name, value.join("\n")]);
      i = j;
    } else if (eq !== -1) {
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    } else {
      throw new Error(`invalid line in a file command file: ${JSON.stringify(line)}`);
    }
  }
  return out;
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/**
 * Runs a process without blocking this one: the loopback KMS servers answer from this process, so
 * a synchronous spawn would starve them.
 */
function spawnAsync(args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv; node?: string }): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(opts.node ?? process.execPath, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", fail);
    child.on("close", (code) => done({ status: code ?? -1, stdout, stderr }));
  });
}

/** Runs the action's entry (`index.js` or `post.js`) in a fresh workspace holding `files`. */
async function runAction(inputs: Record<string, string>, files: Record<string, string>, opts: { entry?: string; extraEnv?: Record<string, string>; workspace?: string; state?: Map<string, string> } = {}): Promise<Run> {
  const workspace = opts.workspace ?? mkdtempSync(join(sandbox, "ws-"));
  const temp = join(workspace, "..", `${workspace.split("/").pop()}-tmp`);
  mkdirSync(temp, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(workspace, name, ".."), { recursive: true });
    writeFileSync(join(workspace, name), text);
  }
  const envFile = join(temp, "github_env");
  const outputFile = join(temp, "github_output");
  const stateFile = join(temp, "github_state");
  for (const f of [envFile, outputFile, stateFile]) writeFileSync(f, "");
  const env: NodeJS.ProcessEnv = cleanEnv({
    GITHUB_ENV: envFile,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STATE: stateFile,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: temp,
    ...opts.extraEnv,
  });
  // GitHub passes every input declared in action.yml, defaults included; names upper-cased, '-' kept.
  const all = { files: "", "age-key": "", export: "env", extract: "", "output-dir": "", "mask-min-length": "1", ...inputs };
  for (const [k, v] of Object.entries(all)) env[`INPUT_${k.toUpperCase()}`] = v;
  for (const [k, v] of opts.state ?? []) env[`STATE_${k}`] = v;
  const r = await spawnAsync([join(action, "dist", opts.entry ?? "index.js")], { cwd: workspace, env, node: ACTION_NODE });
  const stdout = r.stdout;
  return {
    status: r.status,
    stdout,
    stderr: r.stderr,
    lines: stdout.split(/\r?\n/).filter((l) => l !== ""),
    env: parseFileCommands(readFileSync(envFile, "utf8")),
    output: new Map(parseFileCommands(readFileSync(outputFile, "utf8"))),
    state: new Map(parseFileCommands(readFileSync(stateFile, "utf8"))),
    workspace,
    temp,
  };
}

async function enc(text: string, format: "yaml" | "json" = "yaml", recipient = key.recipient): Promise<string> {
  return (await encryptText(text, { format, groups: [[ageRecipient(recipient)]] })).text;
}

const PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----";
const SECRETS = `db:
    password: p@ss%w0rd
    port: 5432
api_token: tok_live_1234567890
tls_key: |
${PEM.split("\n").map((l) => `    ${l}`).join("\n")}
debug: true
`;

/** Asserts every `::add-mask::` line comes before every other line, and returns the masked strings. */
function masksFirst(lines: readonly string[]): Set<string> {
  const masks = new Set<string>();
  let other = -1;
  lines.forEach((l, i) => {
    if (l.startsWith("::add-mask::")) {
      expect(other, `mask on line ${i} after other output on line ${other}: ${lines[other]}`).toBe(-1);
      masks.add(unescapeData(l.slice("::add-mask::".length)));
    } else if (other === -1) other = i;
  });
  return masks;
}

describe("GitHub Action (simulated runner)", () => {
  it("runs under the Node action.yml declares when the suite provides it (npm test does)", () => {
    const version = spawnSync(ACTION_NODE, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (process.env["HUSH_ACTION_NODE"]) expect(version).toMatch(new RegExp(`^v${DECLARED}\\.`));
    else expect(version).toBe(process.version);
  });

  it("runs from the committed bundle alone, with no node_modules", () => {
    expect(existsSync(join(action, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(sandbox, "node_modules"))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(DIST, "package.json"), "utf8")) as { type?: string };
    expect(pkg.type).toBe("module");
    const yml = readFileSync(ACTION_YML, "utf8");
    // GitHub's runners are moving JavaScript actions off Node 20.
    expect(yml).toMatch(/using: node24/);
    expect(DECLARED).toBe(24);
    expect(yml).toMatch(/main: dist\/index\.js/);
    for (const input of ["files", "age-key", "export", "extract"]) expect(yml).toContain(`  ${input}:`);
  });

  it("mask-min-length leaves shorter values unmasked (the key always masked); by default every value is masked", async () => {
    const file = await enc("app: web\nport: 80\ntoken: tok_live_abcdef\n");
    const short = await runAction({ files: "s.enc.yaml", "age-key": key.text, "mask-min-length": "4" }, { "s.enc.yaml": file });
    expect(short.status, short.stderr).toBe(0);
    const masks = masksFirst(short.lines);
    expect(masks).toContain("tok_live_abcdef");
    expect(masks).toContain(key.identity);
    expect(masks).not.toContain("web");
    expect(masks).not.toContain("80");
    const all = masksFirst((await runAction({ files: "s.enc.yaml", "age-key": key.text }, { "s.enc.yaml": file })).lines);
    for (const v of ["web", "80", "tok_live_abcdef"]) expect(all).toContain(v);
    const bad = await runAction({ files: "s.enc.yaml", "age-key": key.text, "mask-min-length": "three" }, { "s.enc.yaml": file });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain("mask-min-length must be a whole number");
  });

  it("masks the key and every value (each line of multi-line ones) before any other output", async () => {
    const r = await runAction({ files: "secrets.enc.yaml", "age-key": key.text }, { "secrets.enc.yaml": await enc(SECRETS) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const masks = masksFirst(r.lines);
    // The key (whole and line by line) is the very first thing masked.
    expect(unescapeData(r.lines[0]!.slice("::add-mask::".length))).toBe(key.text.trim());
    expect(masks).toContain(key.identity);
    for (const v of ["p@ss%w0rd", "5432", "tok_live_1234567890", `${PEM}\n`, ...PEM.split("\n")]) expect(masks).toContain(v);
    // No value appears anywhere in the output except in its mask command.
    const rest = r.lines.filter((l) => !l.startsWith("::add-mask::")).join("\n");
    for (const v of ["p@ss%w0rd", "tok_live_1234567890", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", key.identity]) expect(rest).not.toContain(v);
    expect(rest).toContain("hush: exported 5 variables: DB_PASSWORD, DB_PORT, api_token, debug, tls_key");
    // The values, as later steps will see them.
    // Top-level keys keep their names; nested ones are named by their path, as in exec-env.
    expect(Object.fromEntries(r.env)).toEqual({
      DB_PASSWORD: "p@ss%w0rd",
      DB_PORT: "5432",
      api_token: "tok_live_1234567890",
      debug: "true",
      tls_key: `${PEM}\n`,
    });
    expect(r.output.get("names")).toBe("DB_PASSWORD,DB_PORT,api_token,debug,tls_key");
  });

  it("a value holding newlines and heredoc delimiters cannot define another variable", async () => {
    // Every shape an attacker could guess: the toolkit's delimiter prefix, a plain EOF, a
    // `NAME=value` line and a `NAME<<DELIM` heredoc of their own.
    const evil = [
      "legit",
      "ghadelimiter_00000000-0000-0000-0000-000000000000",
      "EVIL=pwned",
      "EOF",
      "EVIL2<<EOF",
      "pwned too",
      "EOF",
      "",
    ].join("\n");
    const file = await enc(`payload: ${JSON.stringify(evil)}\nafter: ok\n`);
    const r = await runAction({ files: "x.enc.yaml", "age-key": key.identity }, { "x.enc.yaml": file });
    expect(r.status).toBe(0);
    masksFirst(r.lines);
    expect(r.env.map(([k]) => k)).toEqual(["after", "payload"]);
    expect(Object.fromEntries(r.env)).toEqual({ after: "ok", payload: evil });
    // Each value has its own random delimiter, never one the value contains.
    const raw = readFileSync(join(r.temp, "github_env"), "utf8");
    const delimiters = [...raw.matchAll(/^(?:after|payload)<<(.+)$/gm)].map((m) => m[1]!);
    expect(delimiters).toHaveLength(2);
    expect(new Set(delimiters).size).toBe(2);
    for (const d of delimiters) expect(evil).not.toContain(d);
  });

  it("refuses a key that is not a usable variable name (a newline in a key could inject too)", async () => {
    for (const [keyText, error] of [
      [String.raw`"A\nEVIL=1"`, /::error::x\.enc\.yaml: cannot use keys with '=' in environment: "A\\nEVIL=1"/],
      [String.raw`"A\nEVIL"`, /::error::x\.enc\.yaml: "A\\nEVIL" is not a usable variable name/],
      ["GITHUB_PATH", /::error::x\.enc\.yaml: GITHUB_PATH is reserved for the runner/],
    ] as const) {
      const file = await enc(`${keyText}: x\nB: y\n`);
      const r = await runAction({ files: "x.enc.yaml", "age-key": key.identity }, { "x.enc.yaml": file });
      expect(r.status, keyText).toBe(1);
      expect(r.env, keyText).toEqual([]);
      expect(r.stdout, keyText).toMatch(error);
      masksFirst(r.lines);
    }
  });

  it("fails the step on a tampered file (value, MAC), exporting nothing", async () => {
    const good = await enc(SECRETS);
    // A changed ciphertext byte: the value's GCM tag no longer matches.
    const value = /api_token: ENC\[AES256_GCM,data:([^,]+)/.exec(good)!;
    const data = value[1]!;
    const flipped = (data[0] === "A" ? "B" : "A") + data.slice(1);
    const tamperedValue = good.replace(`data:${data}`, `data:${flipped}`);
    // Two values swapped: each decrypts under its new path only if paths match (they do not).
    // A changed MAC: the values are intact but the file's MAC does not match them.
    const mac = /mac: ENC\[AES256_GCM,data:([^,]+)/.exec(good)![1]!;
    const tamperedMac = good.replace(`data:${mac}`, `data:${(mac[0] === "A" ? "B" : "A") + mac.slice(1)}`);
    // A value removed entirely: everything left decrypts, but the MAC covers the removed one.
    const tamperedRemoved = good.replace(/^debug: .*\n/m, "");
    for (const [what, text, error] of [
      ["value", tamperedValue, /::error::s\.enc\.yaml: cannot decrypt the value at "api_token"/],
      ["mac", tamperedMac, /::error::s\.enc\.yaml: (MAC mismatch|cannot decrypt the MAC)/],
      ["removed value", tamperedRemoved, /::error::s\.enc\.yaml: MAC mismatch/],
    ] as const) {
      const r = await runAction({ files: "s.enc.yaml", "age-key": key.identity }, { "s.enc.yaml": text });
      expect(r.status, what).toBe(1);
      expect(r.stdout, what).toMatch(error);
      expect(r.env, what).toEqual([]);
      expect(r.stdout, what).not.toContain("tok_live_1234567890");
    }
  });

  it("fails with a clear message when no key opens the file", async () => {
    const r = await runAction({ files: "s.enc.yaml", "age-key": other.identity }, { "s.enc.yaml": await enc("a: b\n") });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error::s\.enc\.yaml: could not decrypt the data key/);
    expect(r.lines.filter((l) => !l.startsWith("::add-mask::")).join("\n")).not.toContain(other.identity);
  });

  it("reads the key from the job's SOPS_AGE_KEY_FILE when the input is empty; later files override", async () => {
    const keyFile = join(sandbox, "job-key.txt");
    writeFileSync(keyFile, key.text, { mode: 0o600 });
    const r = await runAction(
      { files: "base.enc.yaml\nprod.enc.json" },
      { "base.enc.yaml": await enc("LOG_LEVEL: info\nDB_HOST: localhost\n"), "prod.enc.json": await enc('{"DB_HOST": "db.prod"}', "json") },
      { extraEnv: { SOPS_AGE_KEY_FILE: keyFile } },
    );
    expect(r.status).toBe(0);
    expect(Object.fromEntries(r.env)).toEqual({ DB_HOST: "db.prod", LOG_LEVEL: "info" });
  });

  it("extract names variables relative to the part extracted", async () => {
    const file = await enc("prod:\n    db:\n        password: pp\n    TOKEN: tt\nstaging:\n    TOKEN: st\n");
    let r = await runAction({ files: "s.enc.yaml", "age-key": key.identity, extract: "prod" }, { "s.enc.yaml": file });
    expect(r.status).toBe(0);
    expect(Object.fromEntries(r.env)).toEqual({ DB_PASSWORD: "pp", TOKEN: "tt" });
    r = await runAction({ files: "s.enc.yaml", "age-key": key.identity, extract: '["staging"]["TOKEN"]' }, { "s.enc.yaml": file });
    expect(Object.fromEntries(r.env)).toEqual({ TOKEN: "st" });
    masksFirst(r.lines);
  });

  it("export: files writes 0600 plaintext files, and the post step removes them", async () => {
    const text = await enc(SECRETS);
    const r = await runAction({ files: "conf/secrets.enc.yaml", "age-key": key.identity, export: "files" }, { "conf/secrets.enc.yaml": text });
    expect(r.status).toBe(0);
    masksFirst(r.lines);
    const out = join(r.temp, "hush", "secrets.yaml");
    expect(r.output.get("paths")).toBe(out);
    expect(readFileSync(out, "utf8")).toBe(SECRETS);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(join(r.temp, "hush")).mode & 0o777).toBe(0o700);
    expect(r.env).toEqual([]);

    const post = await runAction({}, {}, { entry: "post.js", workspace: r.workspace, state: r.state });
    expect(post.status).toBe(0);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(r.temp, "hush"))).toBe(false);
  });

  it("export: dotenv writes the variables as a 0600 .env file", async () => {
    const r = await runAction({ files: "s.enc.yaml", "age-key": key.identity, export: "dotenv" }, { "s.enc.yaml": await enc("A: one\nB: |\n    two\n    lines\n") });
    expect(r.status).toBe(0);
    masksFirst(r.lines);
    const path = r.output.get("dotenv-file")!;
    // sops's dotenv form (what \`sops -d --output-type dotenv\` writes): newlines escaped as \\n, no quotes.
    expect(readFileSync(path, "utf8")).toBe("A=one\nB=two\\nlines\\n\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(r.env).toEqual([]);
  });

  describe("with cloud credentials already in the job", () => {
    // Test-only credentials, known to the loopback servers in test/servers/.
    const USER = { accessKeyId: "AKIACIJOB00000000001", secretAccessKey: "ci/job/secret/for/loopback/tests/only/00", arn: "arn:aws:iam::111122223333:user/ci" };
    const ARN = "arn:aws:kms:us-east-1:111122223333:key/66666666-6666-4666-8666-666666666666";
    const RES = "projects/p/locations/global/keyRings/ci/cryptoKeys/deploy";
    const TOKEN = "ya29.loopback-test-token";
    let aws: AwsKmsServer;
    let gcp: GcpKmsServer;
    beforeAll(async () => {
      [aws, gcp] = await Promise.all([startAwsKmsServer({ users: [USER], keys: [{ arn: ARN }] }), startGcpKmsServer({ keys: [RES], token: TOKEN })]);
    });
    afterAll(async () => {
      await Promise.all([aws?.stop(), gcp?.stop()]);
    });
    // What aws-actions/configure-aws-credentials and google-github-actions/auth leave in the job
    // (plus the loopback endpoints).
    const awsJob = () => ({
      AWS_ACCESS_KEY_ID: USER.accessKeyId,
      AWS_SECRET_ACCESS_KEY: USER.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: aws.url,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SHARED_CREDENTIALS_FILE: join(sandbox, "none"),
      AWS_CONFIG_FILE: join(sandbox, "none"),
    });
    const gcpJob = () => ({ SOPS_GCP_KMS_ENDPOINT: gcp.endpoint, HUSH_GCP_KMS_INSECURE: "1", GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN });

    it("decrypts AWS KMS and GCP KMS files through the bundled SDKs, with no age key", async () => {
      const dir = mkdtempSync(join(sandbox, "cloud-"));
      writeFileSync(join(dir, "plain.yaml"), "DEPLOY_TOKEN: dt-123\n");
      const a = await spawnAsync([HUSH, "encrypt", "--kms", ARN, join(dir, "plain.yaml")], { env: cleanEnv(awsJob()) });
      expect(a.stderr).toBe("");
      const g = await spawnAsync([HUSH, "encrypt", "--gcp-kms", RES, join(dir, "plain.yaml")], { env: cleanEnv(gcpJob()) });
      expect(g.stderr).toBe("");
      let r = await runAction({ files: "aws.enc.yaml" }, { "aws.enc.yaml": a.stdout }, { extraEnv: awsJob() });
      expect(r.stdout + r.stderr, r.stderr).not.toMatch(/::error::/);
      expect(r.status).toBe(0);
      expect(Object.fromEntries(r.env)).toEqual({ DEPLOY_TOKEN: "dt-123" });
      expect(aws.calls["Decrypt"]).toBe(1);
      r = await runAction({ files: "gcp.enc.yaml" }, { "gcp.enc.yaml": g.stdout }, { extraEnv: gcpJob() });
      expect(r.stdout + r.stderr, r.stderr).not.toMatch(/::error::/);
      expect(r.status).toBe(0);
      expect(Object.fromEntries(r.env)).toEqual({ DEPLOY_TOKEN: "dt-123" });
      expect(gcp.calls["Decrypt"]).toBe(1);
    });
  });

  it("rejects an unknown export mode and an empty files input before reading anything", async () => {
    let r = await runAction({ files: "x.enc.yaml", export: "stdout" }, {});
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error::export must be one of env, files, dotenv/);
    r = await runAction({ files: " " }, {});
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/::error::the files input is empty/);
  });
});
