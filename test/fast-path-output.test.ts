// The fast path's script (dist/bundle/hush-fast.cjs, what bin/hush.js runs for decrypt, git
// textconv and exec-env) gives byte for byte what the full CLI as compiled (dist/cli/main.js: no
// bundle, no code cache, the yaml package imported as it is) gives: same stdout, stderr and exit
// status. The fast path's script differs from it in how it is built (minified; the yaml package
// initialised on first use through stand-ins, scripts/bundle.js) and reads its input and key files
// synchronously, so this plays the forms that reach the yaml package (anchors, aliases, flow
// collections, block scalars, a `.sops.yaml` read with --config), every sops fixture, and
// generated documents (fast-check).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { recipientFor } from "../src/keys/registry.js";
import { cleanEnv, FIXTURES, HUSH, ROOT } from "./helpers.js";

let dir: string;
let env: NodeJS.ProcessEnv;
let group: Awaited<ReturnType<typeof recipientFor>>[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hush-fast-out-"));
  const key = await generateAgeKeyFile();
  writeFileSync(join(dir, "keys.txt"), key.text, { mode: 0o600 });
  env = cleanEnv({ SOPS_AGE_KEY_FILE: join(dir, "keys.txt"), XDG_CACHE_HOME: join(dir, "cache"), HOME: dir });
  group = [await recipientFor("age", key.recipient, env)];
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const viaShim = (args: string[], e: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [HUSH, ...args], { env: e, cwd: dir, encoding: "utf8", timeout: 30_000 });
const viaFullCli = (args: string[], e: NodeJS.ProcessEnv) => {
  const main = pathToFileURL(join(ROOT, "dist", "cli", "main.js")).href;
  const script = `import(${JSON.stringify(main)}).then((m) => m.main(["node", "hush", ...${JSON.stringify(args)}]))`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: e, cwd: dir, encoding: "utf8", timeout: 30_000 });
};
/** Runs args both ways and expects the same status, stdout and stderr; returns the shim's run. */
const same = (args: string[], e: NodeJS.ProcessEnv = env) => {
  const a = viaShim(args, e);
  const b = viaFullCli(args, e);
  expect({ status: a.status, stdout: a.stdout, stderr: a.stderr }, args.join(" ")).toEqual({ status: b.status, stdout: b.stdout, stderr: b.stderr });
  return a;
};

/** Encrypts YAML text for the test key into a file of the directory; returns its path. */
async function encryptedFile(name: string, yaml: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, (await encryptText(yaml, { format: "yaml", groups: [group] })).text);
  return path;
}

describe("the fast path's script gives what the full CLI gives", () => {
  it("for YAML forms the fast reader hands to the yaml package, and a .sops.yaml read with --config", async () => {
    const file = await encryptedFile(
      "forms.enc.yaml",
      [
        "# anchors, aliases, flow collections, block scalars",
        "host: &host db.internal",
        "prod:",
        "    host: *host",
        "    name: prod",
        "flow: {a: 1, b: [x, y, 'z']}",
        "seq: [1, 2.5, true, null]",
        "text: |",
        "    line one",
        "    line two",
        "folded: >-",
        "    folded",
        "    text",
        '"quoted key": "v\\u00e9"',
        "",
      ].join("\n"),
    );
    expect(same(["decrypt", file]).status).toBe(0);
    same(["decrypt", "--output-type", "json", file]);
    same(["git", "textconv", file]);
    same(["exec-env", "--env-lists", file, "--", process.execPath, "-e", "process.stdout.write(String(process.env.TEXT))"]);
    const config = join(dir, "sops-config.yaml");
    writeFileSync(config, "creation_rules:\n  - path_regex: .*\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\nstores:\n  json:\n    indent: 3\n");
    same(["decrypt", "--config", config, "--output-type", "json", file]);
    writeFileSync(config, "creation_rules: [\n");
    expect(same(["decrypt", "--config", config, file]).status).not.toBe(0);
  });

  it("for every sops fixture (age ones with their key; the others fail alike)", () => {
    const fixtureEnv = cleanEnv({ SOPS_AGE_KEY_FILE: join(FIXTURES, "key-age-sops-examples.txt"), XDG_CACHE_HOME: join(dir, "cache"), HOME: dir });
    const files = readdirSync(FIXTURES).filter((f) => /\.enc\.\w+$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(10);
    let decrypted = 0;
    for (const f of files) {
      // (copied: the CLI runs in the temp directory, and a file keeps its name, so its format)
      copyFileSync(join(FIXTURES, f), join(dir, f));
      if (same(["decrypt", f], fixtureEnv).status === 0) decrypted++;
      same(["git", "textconv", f], fixtureEnv);
    }
    expect(decrypted).toBeGreaterThanOrEqual(2);
  });

  it("for generated YAML documents (nesting, lists, anchors, flow and block styles, comments)", async () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
    const scalar = fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9 .-]{0,12}$/).map((s) => s.trimEnd() || "v"),
      fc.integer({ min: -1000, max: 100000 }).map(String),
      fc.constantFrom("true", "false", "null", "1.5", "'quoted'", '"dq \\t"', "~", "0x1F", "1e3"),
    );
    const flow = fc.oneof(fc.array(scalar, { maxLength: 3 }).map((a) => `[${a.join(", ")}]`), fc.dictionary(key, scalar, { maxKeys: 3 }).map((o) => `{${Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(", ")}}`));
    const entry = fc.tuple(key, fc.oneof(scalar, flow, fc.array(scalar, { minLength: 1, maxLength: 3 }), fc.constant("block"), fc.constant("anchor")), fc.boolean());
    const doc = fc.uniqueArray(entry, { minLength: 1, maxLength: 8, selector: (e) => e[0] }).map((entries) => {
      const lines: string[] = ["# generated"];
      let anchored = false;
      for (const [k, v, comment] of entries) {
        if (comment) lines.push(`# about ${k}`);
        if (Array.isArray(v)) lines.push(`${k}:`, ...v.map((x) => `    - ${x}`));
        else if (v === "block") lines.push(`${k}: |`, "    one", "    two");
        else if (v === "anchor" && !anchored) {
          anchored = true;
          lines.push(`${k}: &anc anchored`, `${k}_ref: *anc`);
        } else if (v === "anchor") lines.push(`${k}: plain`);
        else lines.push(`${k}: ${v}`);
      }
      return `${lines.join("\n")}\n`;
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(doc, async (yaml) => {
        const file = await encryptedFile(`gen-${n++}.enc.yaml`, yaml);
        expect(same(["decrypt", file]).status).toBe(0);
        same(["git", "textconv", file]);
      }),
      { numRuns: 12 },
    );
  });
});
