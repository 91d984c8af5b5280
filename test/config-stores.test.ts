// `.sops.yaml` for every command: `--config` (and SOPS_CONFIG) is accepted wherever sops accepts
// it (it is a global flag there), and `stores:` (yaml/json/json_binary indent, the only store
// options sops has: config/config.go StoresConfig) shapes the text hush generates: another output
// format, an extracted subtree, new YAML blocks from `set`, a new file's envelope. Output in the
// file's own format keeps the file's layout (README, "stores").
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";

let key: Awaited<ReturnType<typeof generateAgeKeyFile>>;
beforeAll(async () => {
  key = await generateAgeKeyFile();
});

const PLAIN = "a:\n    b: 1\n    c: [1, 2]\n";

/** A temp project: an encrypted YAML file, and a `.sops.yaml` with the given `stores:` text. */
async function project<T>(stores: string, fn: (dir: string, env: NodeJS.ProcessEnv) => T | Promise<T>): Promise<T> {
  return withTempDir(async (dir) => {
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${key.recipient}\n${stores}`);
    const env = cleanEnv({ SOPS_AGE_KEY: key.identity });
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    const e = runHush(["encrypt", "-o", "s.enc.yaml", "s.yaml"], { env, cwd: dir });
    expect(e.stderr).toBe("");
    return fn(dir, env);
  });
}

describe("stores: in .sops.yaml", () => {
  it("decrypt to another format uses stores.json.indent; --indent wins", async () => {
    await project("stores:\n  json:\n    indent: 3\n", (dir, env) => {
      const r = runHush(["decrypt", "--output-type", "json", "s.enc.yaml"], { env, cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe('{\n   "a": {\n      "b": 1,\n      "c": [\n         1,\n         2\n      ]\n   }\n}\n');
      const i = runHush(["decrypt", "--indent", "1", "--output-type", "json", "s.enc.yaml"], { env, cwd: dir });
      expect(i.stdout.startsWith('{\n "a": {\n  "b": 1,')).toBe(true);
    });
  });

  it("an extracted subtree uses stores.yaml.indent; the file's own format keeps its layout", async () => {
    await project("stores:\n  yaml:\n    indent: 2\n", (dir, env) => {
      const x = runHush(["decrypt", "--extract", '["a"]', "s.enc.yaml"], { env, cwd: dir });
      expect(x.stderr).toBe("");
      expect(x.stdout).toBe("b: 1\nc:\n  - 1\n  - 2\n");
      // Same format: the file's layout (4 spaces, a flow list), not the stores setting.
      expect(runHush(["decrypt", "s.enc.yaml"], { env, cwd: dir }).stdout).toBe(PLAIN);
    });
  });

  it("without stores:, hush's defaults (sops's): 4-space YAML, tab JSON", async () => {
    await project("", (dir, env) => {
      expect(runHush(["decrypt", "--extract", '["a"]', "s.enc.yaml"], { env, cwd: dir }).stdout).toBe("b: 1\nc:\n    - 1\n    - 2\n");
      expect(runHush(["decrypt", "--output-type", "json", "s.enc.yaml"], { env, cwd: dir }).stdout.startsWith('{\n\t"a": {\n\t\t"b": 1,')).toBe(true);
    });
  });

  it("set indents new YAML blocks by stores.yaml.indent", async () => {
    await project("stores:\n  yaml:\n    indent: 2\n", (dir, env) => {
      const r = runHush(["set", "s.enc.yaml", '["new"]', '{"x": {"k": "v"}}'], { env, cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(runHush(["decrypt", "s.enc.yaml"], { env, cwd: dir }).stdout).toBe(`${PLAIN}new:\n  x:\n    k: v\n`);
    });
  });

  it("exec-file --output-type json uses stores.json.indent", async () => {
    await project("stores:\n  json:\n    indent: 2\n", (dir, env) => {
      const r = runHush(["exec-file", "--output-type", "json", "s.enc.yaml", "--", process.execPath, "-e", "process.stdout.write(require('fs').readFileSync(process.argv[1]))", "{}"], {
        env,
        cwd: dir,
      });
      expect(r.stderr).toBe("");
      expect(r.stdout.startsWith('{\n  "a": {\n    "b": 1,')).toBe(true);
    });
  });

  it("encrypting a binary file indents its JSON envelope by stores.json_binary.indent", async () => {
    await project("stores:\n  json_binary:\n    indent: 2\n", (dir, env) => {
      writeFileSync(join(dir, "blob.bin"), "raw");
      expect(runHush(["encrypt", "-i", "blob.bin"], { env, cwd: dir }).status).toBe(0);
      expect(readFileSync(join(dir, "blob.bin"), "utf8").startsWith('{\n  "data": "ENC[')).toBe(true);
      expect(runHush(["decrypt", "blob.bin"], { env, cwd: dir }).stdout).toBe("raw");
    });
  });
});

describe("--config and SOPS_CONFIG on every command", () => {
  const COMMANDS: string[][] = [
    ["encrypt", "s.yaml"],
    ["decrypt", "s.enc.yaml"],
    ["edit", "s.enc.yaml"],
    ["set", "s.enc.yaml", '["a"]["b"]', "2"],
    ["unset", "s.enc.yaml", '["a"]["b"]'],
    ["rotate", "s.enc.yaml"],
    ["filestatus", "s.enc.yaml"],
    ["exec-env", "s.enc.yaml", "--", "true"],
    ["exec-file", "s.enc.yaml", "--", "true"],
    ["updatekeys", "-y", "s.enc.yaml"],
  ];

  it("each lists --config in its help", () => {
    for (const [cmd] of COMMANDS) {
      const r = runHush([cmd!, "--help"]);
      expect(r.stdout, cmd).toMatch(/--config <path>.*SOPS_CONFIG/);
    }
  });

  it("each fails cleanly (exit 5, one line, the file left alone) on a --config that does not exist", async () => {
    await project("", (dir, env) => {
      const before = readFileSync(join(dir, "s.enc.yaml"), "utf8");
      for (const args of COMMANDS) {
        const [cmd, ...rest] = args;
        const r = runHush([cmd!, "--config", "missing.yaml", ...rest], { env: { ...env, EDITOR: "true" }, cwd: dir });
        const s = runHush([cmd!, ...rest], { env: { ...env, EDITOR: "true", SOPS_CONFIG: "missing.yaml" }, cwd: dir });
        if (cmd === "updatekeys") {
          // updatekeys reports per file, then fails the run as a whole (exit 1).
          expect(r.status).toBe(1);
          expect(r.stderr).toContain("s.enc.yaml: error: cannot read the config file missing.yaml: ENOENT\n");
          expect(s.status).toBe(1);
          continue;
        }
        expect(r.status, cmd).toBe(5);
        expect(r.stderr, cmd).toMatch(/^hush: error: cannot read the config file missing\.yaml: ENOENT\n/);
        expect(s.status, `${cmd} with SOPS_CONFIG`).toBe(5);
        expect(s.stderr, cmd).toMatch(/^hush: error: cannot read the config file missing\.yaml: ENOENT\n/);
      }
      expect(readFileSync(join(dir, "s.enc.yaml"), "utf8")).toBe(before);
    });
  });

  it("--config points decrypt, set and edit at a config outside the working directory's search path", async () => {
    await project("", async (dir, env) => {
      const other = join(dir, "conf");
      mkdirSync(other);
      const cfg = join(other, "team.sops.yaml");
      const second = await generateAgeKeyFile();
      writeFileSync(cfg, `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${second.recipient}\nstores:\n  yaml:\n    indent: 6\n`);
      const x = runHush(["decrypt", "--config", cfg, "--extract", '["a"]', "s.enc.yaml"], { env, cwd: dir });
      expect(x.stdout).toBe("b: 1\nc:\n      - 1\n      - 2\n");
      // SOPS_CONFIG does the same; --config wins over it.
      expect(runHush(["decrypt", "--extract", '["a"]', "s.enc.yaml"], { env: { ...env, SOPS_CONFIG: cfg }, cwd: dir }).stdout).toBe(x.stdout);
      expect(runHush(["decrypt", "--config", join(dir, ".sops.yaml"), "--extract", '["a"]', "s.enc.yaml"], { env: { ...env, SOPS_CONFIG: cfg }, cwd: dir }).stdout).toBe(
        "b: 1\nc:\n    - 1\n    - 2\n",
      );
      // A new file made with edit takes its recipients from the chosen config's rule.
      const editor = join(dir, "editor.mjs");
      writeFileSync(editor, `import { writeFileSync } from "node:fs";\nwriteFileSync(process.argv[2], "token: abc\\n");\n`);
      const e = runHush(["edit", "--config", cfg, "new.yaml"], { env: { ...env, EDITOR: `${process.execPath} ${editor}` }, cwd: dir });
      expect(e.stderr).toBe("");
      expect(e.status).toBe(0);
      const created = readFileSync(join(dir, "new.yaml"), "utf8");
      expect(created).toContain(second.recipient);
      expect(created).not.toContain(key.recipient);
      expect(created).not.toContain("abc");
      expect(runHush(["decrypt", "new.yaml"], { env: cleanEnv({ SOPS_AGE_KEY: second.identity }), cwd: dir }).stdout).toBe("token: abc\n");
    });
  });
});
