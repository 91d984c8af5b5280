// Editing encrypted files: edit (scripted editors), set, unset, rotate, filestatus, and the stable
// ciphertext property: a rewrite changes exactly the values that changed.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { setAtPath } from "../src/formats/cst-edit.js";
import { getTreePath } from "../src/model/tree-path.js";
import type { TreeCell } from "../src/model/tree.js";
import { emitTrees } from "../src/formats/index.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { decryptHeld, decryptText, encryptText } from "../src/lib/files.js";
import { rewriteText } from "../src/lib/rewrite.js";
import { isHushError } from "../src/errors.js";
import { cleanEnv, HUSH, runHush, withTempDir } from "./helpers.js";
import { document, FAKE_RECIPIENT, leafPaths } from "./support/arbitraries.js";

const DATA_KEY = Buffer.alloc(32, 9);
const encs = (text: string): string[] => text.match(/ENC\[[^\]]*\]/g) ?? [];

describe("stable ciphertext", () => {
  it("changing one value changes exactly one ENC[...] besides the MAC", async () => {
    await fc.assert(
      fc.asyncProperty(
        document.filter((t) => leafPaths(t).length > 0),
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 12 }),
        async (tree, pick, newValue) => {
          const plain = emitTrees("yaml", [tree]);
          const { text } = await encryptText(plain, { format: "yaml", groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY });
          // Empty strings are never encrypted, so setting one adds a value: pick encrypted leaves.
          const paths = leafPaths(tree).filter((p) => getTreePath(tree, p) && (getTreePath(tree, p) as TreeCell).value?.text !== "");
          fc.pre(paths.length > 0);
          const path = paths[pick % paths.length]!;
          fc.pre((getTreePath(tree, path) as TreeCell).value?.text !== `x${newValue}`);
          const res = await rewriteText(text, (p) => setAtPath(p, "yaml", path, { value: { type: "str", text: `x${newValue}` } }), {
            format: "yaml",
            dataKey: DATA_KEY,
          });
          const before = encs(text);
          const after = encs(res.text);
          expect(after.length).toBe(before.length);
          // The last ENC is the MAC; every value but the one set keeps its bytes.
          const diff = before.slice(0, -1).filter((e, i) => e !== after[i]);
          expect(diff.length).toBe(1);
          expect(res.text.replace(/ENC\[[^\]]*\]/g, "E").replace(/lastmodified: .*/, "")).toBe(
            text.replace(/ENC\[[^\]]*\]/g, "E").replace(/lastmodified: .*/, ""),
          );
        },
      ),
      { numRuns: Number(process.env["HUSH_PROPERTY_RUNS"] ?? 100) },
    );
  });

  it("a no-op rewrite leaves the file byte for byte as it was", async () => {
    await fc.assert(
      fc.asyncProperty(document, async (tree) => {
        const plain = emitTrees("yaml", [tree]);
        const { text } = await encryptText(plain, { format: "yaml", groups: [[FAKE_RECIPIENT]], dataKey: DATA_KEY });
        const res = await rewriteText(text, (p) => p, { format: "yaml", dataKey: DATA_KEY });
        expect(res.changed).toBe(false);
        expect(res.text).toBe(text);
      }),
      { numRuns: Number(process.env["HUSH_PROPERTY_RUNS"] ?? 50) },
    );
  });
});

let key: Awaited<ReturnType<typeof generateAgeKeyFile>>;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
});

const PLAIN = `# settings
db:
    user: app
    password: hunter2
list:
    - a
    - b
`;

async function encryptedFile(dir: string, name = "s.enc.yaml"): Promise<string> {
  const f = join(dir, name);
  writeFileSync(f, (await encryptText(PLAIN, { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text);
  return f;
}

describe("hush set / unset", () => {
  it("sets, creates and appends values, keeping the others' ciphertext", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      const before = readFileSync(f, "utf8");
      expect(runHush(["set", f, '["db"]["password"]', '"s3cret"'], { env }).status).toBe(0);
      expect(runHush(["set", f, '["db"]["port"]', "5432"], { env }).status).toBe(0);
      expect(runHush(["set", f, '["list"][2]', '"c"'], { env }).status).toBe(0);
      expect(runHush(["set", f, '["new"]["deep"]', '{"x": [1, true]}'], { env }).status).toBe(0);
      const after = readFileSync(f, "utf8");
      expect(after).toContain(encs(before)[1]); // db.user kept its ciphertext
      expect(after).toContain(encs(before)[0]); // so did the comment
      const dec = runHush(["decrypt", f], { env });
      expect(dec.stdout).toBe(`# settings
db:
    user: app
    password: s3cret
    port: 5432
list:
    - a
    - b
    - c
new:
    deep:
        x:
            - 1
            - true
`);
      expect(after).toMatch(/port: ENC\[[^\]]*type:int\]/);
    });
  });

  it("reads the value from stdin; an unchanged value does not rewrite the file", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      const before = readFileSync(f, "utf8");
      expect(runHush(["set", "--value-stdin", f, '["db"]["password"]'], { env, input: '"hunter2"\n' }).status).toBe(0);
      expect(readFileSync(f, "utf8")).toBe(before);
      const bad = runHush(["set", f, '["db"]["password"]', "not json"], { env });
      expect(bad.status).toBe(7); // sops's ErrorInvalidSetFormat
      expect(bad.stderr).not.toContain("not json");
    });
  });

  it("unsets a key and a list item; a missing path fails unless --idempotent", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      expect(runHush(["unset", f, '["db"]["user"]'], { env }).status).toBe(0);
      expect(runHush(["unset", f, '["list"][0]'], { env }).status).toBe(0);
      expect(runHush(["decrypt", f], { env }).stdout).toBe("# settings\ndb:\n    password: hunter2\nlist:\n    - b\n");
      const missing = runHush(["unset", f, '["nope"]'], { env });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/\["nope"\] not found/);
      expect(runHush(["unset", "--idempotent", f, '["nope"]'], { env }).status).toBe(0);
    });
  });
});

describe("hush unset of a nested block's last entry", () => {
  it("leaves an empty collection and the keys after it intact (it once produced invalid YAML, exit 2)", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      expect(runHush(["unset", f, '["db"]["user"]'], { env }).status).toBe(0);
      const r = runHush(["unset", f, '["db"]["password"]'], { env });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(runHush(["decrypt", f], { env }).stdout).toBe("# settings\ndb: {}\nlist:\n    - a\n    - b\n");
    });
  });
});

describe("hush set / unset: paths in the dotted form too (model/tree-path.ts)", () => {
  it("set and unset take db.password, list[1], list.1 and escaped keys; a bad path exits 7 (sops's \"Invalid set index format\")", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      expect(runHush(["set", f, "db.password", '"s3cret"'], { env }).status).toBe(0);
      expect(runHush(["set", f, "list[1]", '"B"'], { env }).status).toBe(0);
      expect(runHush(["set", f, "list.0", '"A"'], { env }).status).toBe(0);
      expect(runHush(["set", f, "new.a\\.b", "1"], { env }).status).toBe(0);
      expect(runHush(["set", f, "new.x\\[0\\]", "2"], { env }).status).toBe(0);
      expect(runHush(["set", f, "more[0]", '"first"'], { env }).status).toBe(0);
      expect(runHush(["decrypt", f], { env }).stdout).toBe(
          '# settings\ndb:\n    user: app\n    password: s3cret\nlist:\n    - A\n    - B\nnew:\n    a.b: 1\n    x[0]: 2\nmore:\n    - first\n',
      );
      expect(runHush(["unset", f, "new.a\\.b"], { env }).status).toBe(0);
      expect(runHush(["unset", f, 'new["x[0]"]'], { env }).status).toBe(0);
      expect(runHush(["unset", f, "list.1"], { env }).status).toBe(0);
      expect(runHush(["decrypt", f], { env }).stdout).toBe("# settings\ndb:\n    user: app\n    password: s3cret\nlist:\n    - A\nnew: {}\nmore:\n    - first\n");
      const before = readFileSync(f, "utf8");
      for (const bad of ["db..password", "db[", "a\\x"]) {
        const r = runHush(["set", f, bad, "1"], { env });
        expect(r.status).toBe(7);
        expect(r.stderr).toMatch(/^hush: error: invalid path /);
      }
      expect(readFileSync(f, "utf8")).toBe(before);
    });
  });
});

describe("hush rotate", () => {
  it("re-encrypts everything under a new data key; the old key decrypts nothing", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      const before = readFileSync(f, "utf8");
      const old = await decryptHeld(before, { format: "yaml", env });
      const other = await generateAgeKeyFile();
      const r = runHush(["rotate", "-i", "--add-age", other.recipient, f], { env });
      // No .sops.yaml names this file's recipients: said plainly (docs/security.md), nothing else.
      expect(r.stderr).toMatch(/^hush: warning: \S+: no \.sops\.yaml rule names this file's recipients: .*\(unauthenticated\)\n$/);
      expect(r.status).toBe(0);
      const after = readFileSync(f, "utf8");
      const a = encs(after);
      for (const e of encs(before)) expect(a).not.toContain(e);
      const err = await decryptText(after, { format: "yaml", dataKey: old.dataKey }).catch((e: unknown) => e);
      expect(isHushError(err, "DECRYPT_TREE", "MAC_MISMATCH")).toBe(true);
      for (const k of [key, other]) expect(runHush(["decrypt", f], { env: cleanEnv({ SOPS_AGE_KEY: k.identity }) }).stdout).toBe(PLAIN);
      // Removing a recipient: they can no longer decrypt.
      expect(runHush(["rotate", "-i", "--rm-age", other.recipient, f], { env }).status).toBe(0);
      expect(runHush(["decrypt", f], { env: cleanEnv({ SOPS_AGE_KEY: other.identity }) }).status).toBe(128);
      expect(runHush(["rotate", "-i", "--rm-age", key.recipient, f], { env }).status).toBe(8);
    });
  });
});

describe("hush filestatus", () => {
  it("prints sops's JSON", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      expect(runHush(["filestatus", f]).stdout).toBe('{"encrypted":true}\n');
      const p = join(dir, "p.yaml");
      writeFileSync(p, "a: 1\n");
      expect(runHush(["filestatus", p]).stdout).toBe('{"encrypted":false}\n');
    });
  });
});

/** A scripted editor: a node program applying `script` (JS, with `text` bound) to the file. */
function editorScript(dir: string, body: string): string {
  const p = join(dir, "editor.mjs");
  writeFileSync(p, `import { readFileSync, writeFileSync, existsSync } from "node:fs";\nconst file = process.argv[2];\nlet text = readFileSync(file, "utf8");\n${body}\n`);
  return `${process.execPath} ${p}`;
}

describe("hush edit", () => {
  async function setup(body: string) {
    return withTempDir(async (dir) => {
      const tmp = join(dir, "tmp");
      mkdirSync(tmp);
      const f = await encryptedFile(dir);
      const before = readFileSync(f, "utf8");
      const editEnv = { ...env, EDITOR: editorScript(dir, body), TMPDIR: tmp, XDG_RUNTIME_DIR: tmp };
      return { dir, tmp, f, before, editEnv, result: runHush(["edit", f], { env: editEnv }), after: readFileSync(f, "utf8"), tmpLeft: readdirSync(tmp) };
    });
  }

  it("saves a change, keeping unchanged ciphertexts, and removes the temp file", async () => {
    const s = await setup(`writeFileSync(file, text.replace("hunter2", "changed"));`);
    expect(s.result.status).toBe(0);
    expect(s.tmpLeft).toEqual([]);
    expect(encs(s.after).filter((e) => !encs(s.before).includes(e))).toHaveLength(2); // the value and the MAC
    expect(runHush(["decrypt", "--input-type", "yaml"], { env, input: s.after }).stdout).toBe(PLAIN.replace("hunter2", "changed"));
  });

  it("no change leaves the file untouched and exits 200, as sops", async () => {
    const s = await setup(`writeFileSync(file, text);`);
    expect(s.result.status).toBe(200);
    expect(s.result.stderr).toBe("hush: error: the file has not changed; nothing was written\n");
    expect(s.after).toBe(s.before);
    expect(s.tmpLeft).toEqual([]);
  });

  it("an invalid edit without a terminal fails with one line and writes nothing", async () => {
    const s = await setup(`writeFileSync(file, text.replace("hunter2", "x: [broken"));`);
    expect(s.result.status).toBe(2);
    expect(s.result.stderr).toMatch(/^hush: error: the edit is not valid: .*invalid YAML.*; nothing was written\n$/);
    expect(s.result.stderr).not.toContain("broken");
    expect(s.after).toBe(s.before);
    expect(s.tmpLeft).toEqual([]);
  });

  it("on a terminal, an invalid edit waits for Enter and reopens the editor (sops's pause)", async () => {
    await withTempDir(async (dir) => {
      const tmp = join(dir, "tmp");
      mkdirSync(tmp);
      const f = await encryptedFile(dir);
      const count = join(dir, "count");
      const editor = editorScript(
        dir,
        `const n = existsSync(${JSON.stringify(count)}) ? Number(readFileSync(${JSON.stringify(count)}, "utf8")) : 0;
writeFileSync(${JSON.stringify(count)}, String(n + 1));
writeFileSync(file, n === 0 ? text.replace("hunter2", "x: [broken") : text.replace("x: [broken", "fixed"));`,
      );
      // script(1) gives hush a terminal; its standard input (one Enter) goes to that terminal.
      const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} edit ${JSON.stringify(f)}`;
      const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { env: { ...env, EDITOR: editor, TMPDIR: tmp }, input: "\n", encoding: "utf8", timeout: 30_000 });
      expect(r.stdout).toMatch(/invalid YAML/);
      expect(r.stdout).toMatch(/press Enter to re-open the editor, or Ctrl-C to abort/);
      expect(r.status).toBe(0);
      expect(readFileSync(count, "utf8")).toBe("2");
      expect(runHush(["decrypt", f], { env }).stdout).toBe(PLAIN.replace("hunter2", "fixed"));
      expect(readdirSync(tmp)).toEqual([]);
    });
  });

  it("no editor found exits 201 (sops's NoEditorFound); so does a failing editor", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      const before = readFileSync(f, "utf8");
      const missing = runHush(["edit", f], { env: { ...env, EDITOR: join(dir, "no-such-editor") } });
      expect(missing.status).toBe(201);
      expect(missing.stderr).toMatch(/^hush: error: cannot run the editor/);
      const none = runHush(["edit", f], { env: { ...env, EDITOR: "", VISUAL: "", SOPS_EDITOR: "", PATH: join(dir, "empty") } });
      expect(none.status).toBe(201);
      expect(none.stderr).toMatch(/no editor found/);
      expect(readFileSync(f, "utf8")).toBe(before);
    });
  });

  it("-s shows the sops block in the editor; values change as usual, the block cannot", async () => {
    const shown = await setup(`writeFileSync(file + ".seen", text); writeFileSync(file, text.replace("hunter2", "changed"));`);
    expect(shown.result.status).toBe(0); // without -s: no sops block seen
    const s2 = await withTempDir(async (dir) => {
      const tmp = join(dir, "tmp");
      mkdirSync(tmp);
      const f = await encryptedFile(dir);
      const seen = join(dir, "seen");
      const ok = runHush(["edit", "-s", f], {
        env: { ...env, TMPDIR: tmp, EDITOR: editorScript(dir, `writeFileSync(${JSON.stringify(seen)}, text); writeFileSync(file, text.replace("hunter2", "changed"));`) },
      });
      const bad = runHush(["edit", "--show-master-keys", f], {
        env: { ...env, TMPDIR: tmp, EDITOR: editorScript(dir, `writeFileSync(file, text.replace(/recipient: age1\\w+/, "recipient: age1attacker"));`) },
      });
      return { ok, bad, seen: readFileSync(seen, "utf8"), out: runHush(["decrypt", f], { env }).stdout, tmpLeft: readdirSync(tmp) };
    });
    expect(s2.ok.status).toBe(0);
    expect(s2.seen).toContain("sops:");
    expect(s2.seen).toContain(`recipient: ${key.recipient}`);
    expect(s2.seen).toContain("password: hunter2");
    expect(s2.out).toBe(PLAIN.replace("hunter2", "changed"));
    expect(s2.bad.status).toBe(2);
    expect(s2.bad.stderr).toMatch(/the sops metadata was changed/);
    expect(s2.tmpLeft).toEqual([]);
  });

  it("an editor crash leaves the file as it was and cleans up", async () => {
    const s = await setup(`writeFileSync(file, "half written"); process.exit(3);`);
    expect(s.result.status).not.toBe(0);
    expect(s.result.stderr).toMatch(/editor exited with status 3/);
    expect(s.after).toBe(s.before);
    expect(s.tmpLeft).toEqual([]);
  });

  for (const sig of ["SIGINT", "SIGTERM", "SIGQUIT"] as const) {
    it(`${sig} while the editor runs removes the plaintext and leaves the file`, async () => {
      await withTempDir(async (dir) => {
        const tmp = join(dir, "tmp");
        mkdirSync(tmp);
        const f = await encryptedFile(dir);
        const before = readFileSync(f, "utf8");
        const ready = join(dir, "ready");
        const editEnv = { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: tmp, EDITOR: editorScript(dir, `writeFileSync(${JSON.stringify(ready)}, "1"); setTimeout(() => {}, 30000);`) };
        const child = spawn(process.execPath, [HUSH, "edit", f], { env: editEnv, stdio: "ignore" });
        for (let i = 0; i < 200 && !readdirSync(dir).includes("ready"); i++) await new Promise((r) => setTimeout(r, 25));
        expect(readdirSync(tmp)).toHaveLength(1); // the private dir exists while editing
        child.kill(sig);
        const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
        expect(code).toBe({ SIGINT: 130, SIGTERM: 143, SIGQUIT: 131 }[sig]);
        expect(readdirSync(tmp)).toEqual([]);
        expect(readFileSync(f, "utf8")).toBe(before);
      });
    });
  }

  it("creates a new file from a template", async () => {
    await withTempDir(async (dir) => {
      const tmp = join(dir, "tmp");
      mkdirSync(tmp);
      const f = join(dir, "new.enc.yaml");
      const editEnv = { ...env, TMPDIR: tmp, XDG_RUNTIME_DIR: tmp, EDITOR: editorScript(dir, `writeFileSync(file, text + "token: abc\\n");`) };
      const r = runHush(["edit", "--age", key.recipient, f], { env: editEnv });
      expect(r.status).toBe(0);
      const out = runHush(["decrypt", f], { env }).stdout;
      expect(out).toContain("token: abc");
      expect(readFileSync(f, "utf8")).not.toContain("abc");
    });
  });
});

describe("hush encrypt --reuse", () => {
  it("re-encrypting an edited plaintext keeps every unchanged ciphertext", async () => {
    await withTempDir(async (dir) => {
      const f = await encryptedFile(dir);
      const before = readFileSync(f, "utf8");
      const plain = join(dir, "s.yaml");
      writeFileSync(plain, runHush(["decrypt", f], { env }).stdout.replace("hunter2", "rotated-pw"));
      const r = runHush(["encrypt", "--reuse", f, plain], { env });
      expect(r.stderr).toMatch(/^hush: warning: \S+: no \.sops\.yaml rule names this file's recipients: .*\(unauthenticated\)\n$/);
      const after = r.stdout;
      const changed = encs(after).filter((e) => !encs(before).includes(e));
      expect(changed).toHaveLength(2); // the password and the MAC
      expect(after.slice(after.indexOf("sops:")).replace(/(lastmodified|mac): .*/g, "")).toBe(
        before.slice(before.indexOf("sops:")).replace(/(lastmodified|mac): .*/g, ""),
      );
      expect(runHush(["decrypt", "--input-type", "yaml"], { env, input: after }).stdout).toBe(PLAIN.replace("hunter2", "rotated-pw"));
    });
  });
});
