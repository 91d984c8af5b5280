// hush as a drop-in for the sops command line: sops's top-level forms, `get`, `version`/-V and
// shell completion. Real processes, real files.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgeKeyFile } from "../src/keys/age-client.js";
import { rewriteSopsForm, splitSetExpr, type SopsFormProgram } from "../src/cli/sops-forms.js";
import { cleanEnv, HUSH, runHush, withTempDir } from "./helpers.js";

const PLAIN = `db:
    user: app
    password: hunter2
    port: 5432
list:
    - one
    - two
`;

let key: { identity: string; recipient: string };
beforeAll(async () => {
  key = await generateAgeKeyFile();
});
const env = () => cleanEnv({ SOPS_AGE_KEY: key.identity });

async function encrypted(dir: string, name = "s.enc.yaml", plain = PLAIN): Promise<string> {
  const f = join(dir, name);
  writeFileSync(f, plain);
  const r = runHush(["encrypt", "-i", "--age", key.recipient, f]);
  expect(r.stderr).toBe("");
  return f;
}

/** A stand-in for the program: the value-taking flags of the commands the forms map to. */
const program: SopsFormProgram = {
  isCommand: (w) => ["decrypt", "encrypt", "edit", "set", "rotate", "help", "git"].includes(w),
  takesValue: (_c, flag) => ["--age", "-a", "--input-type", "--output-type", "--output", "-o", "--add-age", "--config"].includes(flag),
};

describe("sops's top-level forms (argument rewriting)", () => {
  it.each([
    [["-d", "f.yaml"], ["decrypt", "f.yaml"]],
    [["--decrypt", "f.yaml"], ["decrypt", "f.yaml"]],
    [["-d", "-i", "f.yaml"], ["decrypt", "--in-place", "f.yaml"]],
    [["-di", "f.yaml"], ["decrypt", "--in-place", "f.yaml"]],
    [["-d", "--extract", '["a"]', "f.yaml"], ["decrypt", "--extract", '["a"]', "f.yaml"]],
    [["-d", "--extract=a.b", "--output-type", "json", "f.yaml"], ["decrypt", "--extract", "a.b", "--output-type", "json", "f.yaml"]],
    [["-e", "--age", "age1x", "-i", "f.yaml"], ["encrypt", "--in-place", "--age", "age1x", "f.yaml"]],
    [["--age", "age1x", "-e", "f.yaml"], ["encrypt", "--age", "age1x", "f.yaml"]],
    [["-r", "--add-age", "age1x", "-i", "f.yaml"], ["rotate", "--in-place", "--add-age", "age1x", "f.yaml"]],
    [["--set", '["a"]["b"] "v w"', "f.yaml"], ["set", "f.yaml", '["a"]["b"]', '"v w"']],
    [["--set", "a.b 42", "f.yaml"], ["set", "f.yaml", "a.b", "42"]],
    [["f.yaml"], ["edit", "f.yaml"]],
    [["-s", "f.yaml"], ["edit", "-s", "f.yaml"]],
    [["-i", "f.yaml"], ["edit", "f.yaml"]],
    [["--verbose", "-d", "f.yaml"], ["decrypt", "f.yaml"]],
    [["-V"], ["--version"]],
  ])("%j → %j", (args, want) => {
    expect(rewriteSopsForm(args, program)).toEqual(want);
  });

  it.each([[["decrypt", "-i", "f"]], [["--help"]], [["-v"]], [["decryp"]], [[]], [["git", "install"]]])("leaves %j alone", (args) => {
    expect(rewriteSopsForm(args, program)).toEqual(args);
  });

  it("refuses two modes, --extract without -d and a missing file, with sops's codes", () => {
    const code = (args: string[]) => {
      try {
        rewriteSopsForm(args, program);
        return "none";
      } catch (e) {
        return (e as { exitCode: number }).exitCode;
      }
    };
    expect(code(["-d", "-e", "f.yaml"])).toBe(8);
    expect(code(["-e", "--extract", "a", "f.yaml"])).toBe(8);
    expect(code(["-d"])).toBe(100);
    expect(code(["-d", "--age"])).toBe(8);
  });

  it("splits --set as sops does (after the first '] '), and a dotted path at its first space", () => {
    expect(splitSetExpr('["a b"]["c"] {"x": "] y"}')).toEqual(['["a b"]["c"]', '{"x": "] y"}']);
    expect(splitSetExpr("a.b  7")).toEqual(["a.b", " 7"]);
    expect(() => splitSetExpr("novalue")).toThrow(/invalid --set/);
    expect(() => splitSetExpr("novalue")).not.toThrow(/novalue/);
  });
});

describe("sops's forms end to end", () => {
  it("-d, -d --extract, -d -i, -e -i and --set behave as the subcommands", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      const d = runHush(["-d", f], { env: env() });
      expect(d.stderr).toBe("");
      expect(d.stdout).toBe(PLAIN);
      expect(runHush(["-d", "--extract", '["db"]["password"]', f], { env: env() }).stdout).toBe("hunter2");
      const set = runHush(["--set", '["db"]["password"] "changed"', f], { env: env() });
      expect(set.stderr).toBe("");
      expect(set.status).toBe(0);
      expect(runHush(["-d", "--extract", "db.password", f], { env: env() }).stdout).toBe("changed");
      expect(runHush(["-d", "-i", f], { env: env() }).status).toBe(0);
      expect(readFileSync(f, "utf8")).toBe(PLAIN.replace("hunter2", "changed"));
      expect(runHush(["-e", "-i", "--age", key.recipient, f]).status).toBe(0);
      expect(readFileSync(f, "utf8")).toContain("ENC[AES256_GCM");
      const r = runHush(["-r", "-i", f], { env: env() });
      expect(r.status).toBe(0);
      expect(runHush(["-d", f], { env: env() }).stdout).toBe(PLAIN.replace("hunter2", "changed"));
    });
  });

  it("hush FILE edits the file, as sops FILE does", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      const editor = join(dir, "ed.mjs");
      writeFileSync(editor, `import { mkdirSync, readFileSync, writeFileSync } from "node:fs";\nconst f = process.argv[2];\nwriteFileSync(f, readFileSync(f, "utf8").replace("hunter2", "edited"));\n`);
      const r = runHush([f], { env: { ...env(), EDITOR: `${process.execPath} ${editor}` } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(runHush(["get", f, "db.password"], { env: env() }).stdout).toBe("edited\n");
    });
  });

  it("errors keep sops's exit codes: no file 100, two modes 8", () => {
    expect(runHush(["-d"]).status).toBe(100);
    const two = runHush(["-d", "-e", "x.yaml"]);
    expect(two.status).toBe(8);
    expect(two.stderr).toMatch(/^hush: error: use only one of -d, -e, -r and --set/);
  });

  it("a mistyped command is still suggested, not edited", () => {
    const r = runHush(["decryp"]);
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/Did you mean decrypt\?/);
  });
});

describe("hush get", () => {
  const TREE = `name: plain text
multi: "two\\nlines"
n: 42
big: 9007199254740993
f: 1.5
ok: true
nothing: null
db:
  password: hunter2
  hosts: [a, b]
labels:
  app.kubernetes.io/name: web
`;

  it("prints a string as it is, other scalars as JSON text, maps and lists as JSON", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir, "g.enc.yaml", TREE);
      const get = (...args: string[]) => runHush(["get", ...args], { env: env() });
      expect(get(f, "name").stdout).toBe("plain text\n");
      expect(get(f, "multi").stdout).toBe("two\nlines\n");
      expect(get(f, '["db"]["password"]').stdout).toBe("hunter2\n");
      expect(get(f, "n").stdout).toBe("42\n");
      expect(get(f, "big").stdout).toBe("9007199254740993\n");
      expect(get(f, "f").stdout).toBe("1.5\n");
      expect(get(f, "ok").stdout).toBe("true\n");
      expect(get(f, "nothing").stdout).toBe("null\n");
      expect(get(f, "db.hosts[1]").stdout).toBe("b\n");
      expect(get(f, "db.hosts.0").stdout).toBe("a\n");
      expect(get(f, "labels.app.kubernetes.io/name").stdout).toBe("web\n");
      expect(get(f, "db").stdout).toBe('{\n  "password": "hunter2",\n  "hosts": [\n    "a",\n    "b"\n  ]\n}\n');
      expect(JSON.parse(get(f, "db", "--json").stdout)).toEqual({ password: "hunter2", hosts: ["a", "b"] });
      expect(get("--json", f, "name").stdout).toBe('"plain text"\n');
      expect(get("--json", f, "n").stdout).toBe("42\n");
    });
  });

  it("a missing path exits 1 naming the path; a bad path exits 91", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      const r = runHush(["get", f, "db.nope"], { env: env() });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/"db\.nope" not found/);
      expect(r.stdout).toBe("");
      expect(runHush(["get", f, "a["], { env: env() }).status).toBe(91);
    });
  });

  it("works on dotenv files (a key is the path)", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir, "app.env", "API_KEY=k-123\nDB_URL=postgres://x\n");
      expect(runHush(["get", f, "API_KEY"], { env: env() }).stdout).toBe("k-123\n");
    });
  });
});

describe("versions and completion", () => {
  it("-V, version, -v and --version print the same version", () => {
    const outs = [["-V"], ["version"], ["-v"], ["--version"]].map((a) => runHush(a));
    for (const o of outs) {
      expect(o.status).toBe(0);
      expect(o.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
      expect(o.stdout).toBe(outs[0]!.stdout);
    }
  });

  it("bash completion completes commands, subcommands, flags, flag values and files", async () => {
    const script = runHush(["completion", "bash"]);
    expect(script.status).toBe(0);
    await withTempDir((dir) => {
      const file = join(dir, "hush.bash");
      writeFileSync(file, script.stdout);
      writeFileSync(join(dir, "secrets.enc.yaml"), "");
      const complete = (words: string[]) => {
        const arr = words.map((w) => `'${w}'`).join(" ");
        const r = spawnSync("bash", ["-c", `source '${file}'; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _hush; printf '%s\\n' "\${COMPREPLY[@]}"`], {
          cwd: dir,
          encoding: "utf8",
        });
        expect(r.stderr).toBe("");
        return r.stdout.split("\n").filter(Boolean);
      };
      expect(complete(["hush", "dec"])).toEqual(["decrypt"]);
      expect(complete(["hush", "g"]).sort()).toEqual(["get", "git", "groups"]);
      expect(complete(["hush", "groups", ""])).toEqual(["add", "delete"]);
      expect(complete(["hush", "git", "in"])).toEqual(["install"]);
      expect(complete(["hush", "decrypt", "--ext"])).toEqual(["--extract"]);
      expect(complete(["hush", "decrypt", "--output-type", "j"])).toEqual(["json"]);
      expect(complete(["hush", "decrypt", "sec"])).toEqual(["secrets.enc.yaml"]);
      expect(complete(["hush", "decrypt", "--output", "sec"])).toEqual(["secrets.enc.yaml"]);
      expect(complete(["hush", "completion", "f"])).toEqual(["fish"]);
    });
  });

  it("zsh and fish scripts name every command and flag", () => {
    const zsh = runHush(["completion", "zsh"]);
    expect(zsh.status).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef hush\n/);
    expect(zsh.stdout).toContain("'decrypt:decrypt a file written by hush or sops and print the plaintext'");
    expect(zsh.stdout).toContain("'--extract:print only this part");
    const fish = runHush(["completion", "fish"]);
    expect(fish.status).toBe(0);
    expect(fish.stdout).toContain("complete -c hush -n '__fish_use_subcommand' -f -a 'decrypt'");
    expect(fish.stdout).toMatch(/complete -c hush -n '__fish_seen_subcommand_from decrypt' -l extract -r -F/);
    expect(fish.stdout).toMatch(/-l output-type -x -a 'yaml json dotenv ini binary'/);
    expect(fish.stdout).toMatch(/__fish_seen_subcommand_from git; and __fish_seen_subcommand_from install' -l uninstall/);
    expect(runHush(["completion", "tcsh"]).status).toBe(8);
  });
});

describe("set and unset on dotenv and INI; set --string and --idempotent", () => {
  const dec = (f: string) => runHush(["decrypt", f], { env: env() });

  it("dotenv: a path is one key; values are set, added at the end and removed, other lines kept", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir, "app.env", "# settings\nA=1\nB=two words\n\nC=x\n");
      const run = (...args: string[]) => {
        const r = runHush(args, { env: env() });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
      };
      run("set", "--string", f, "B", "new value");
      run("set", f, "D", '"dee"');
      run("set", f, '["N"]', "42");
      run("unset", f, "A");
      expect(dec(f).stdout).toBe("# settings\nB=new value\n\nC=x\nD=dee\nN=42\n");
      const nested = runHush(["set", f, "a.b", '"x"'], { env: env() });
      expect(nested.status).toBe(91);
      expect(nested.stderr).toMatch(/a dotenv path is one key/);
      expect(runHush(["set", f, "M", '{"a": 1}'], { env: env() }).stderr).toMatch(/dotenv values are strings/);
      expect(runHush(["unset", f, "nope"], { env: env() }).status).toBe(1);
      expect(runHush(["unset", "--idempotent", f, "nope"], { env: env() }).status).toBe(0);
    });
  });

  it("INI: a path is a section and a key; new keys go at the end of their section, new sections at the end", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir, "c.ini", "top=1\n\n[db]\n; the password\npassword = hunter2\nuser = app\n\n[other]\nx = y\n");
      for (const args of [
        ["set", "--string", f, "db.host", "localhost"],
        ["set", "--string", f, '["new"]["k"]', "v"],
        ["set", "--string", f, "DEFAULT.t2", "2"],
        ["unset", f, '["db"]["user"]'],
        ["set", "--string", f, "db.password", "p#w;d"],
      ]) {
        const r = runHush(args, { env: env() });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
      }
      expect(dec(f).stdout).toBe("top=1\nt2 = 2\n\n[db]\n; the password\npassword = `p#w;d`\nhost = localhost\n\n[other]\nx = y\n\n[new]\nk = v\n");
      expect(runHush(["get", f, "db.password"], { env: env() }).stdout).toBe("p#w;d\n");
      expect(runHush(["set", f, "db", '"x"'], { env: env() }).status).toBe(91);
    });
  });

  it("set --string takes the text as it is; from standard input less one final newline", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      expect(runHush(["set", "--string", f, "db.password", '"quoted" {not json}'], { env: env() }).status).toBe(0);
      expect(runHush(["get", "--json", f, "db.password"], { env: env() }).stdout).toBe('"\\"quoted\\" {not json}"\n');
      expect(runHush(["set", "--string", "--value-stdin", f, "db.user"], { env: env(), input: "from stdin\n" }).status).toBe(0);
      expect(runHush(["get", f, "db.user"], { env: env() }).stdout).toBe("from stdin\n");
      // Without --string the value is JSON, as in sops.
      const bad = runHush(["set", f, "db.user", "plain"], { env: env() });
      expect(bad.status).toBe(7); // sops's ErrorInvalidSetFormat
      expect(bad.stderr).toMatch(/must be JSON/);
    });
  });

  it("set --idempotent (and any set of an equal value) leaves the file untouched, exit 0", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      const before = readFileSync(f, "utf8");
      const r = runHush(["set", "--idempotent", f, "db.password", '"hunter2"'], { env: env() });
      expect(r.status).toBe(0);
      expect(readFileSync(f, "utf8")).toBe(before);
      expect(runHush(["set", f, "db.port", "5432"], { env: env() }).status).toBe(0);
      expect(readFileSync(f, "utf8")).toBe(before);
      expect(runHush(["set", "--idempotent", f, "db.password", '"other"'], { env: env() }).status).toBe(0);
      expect(readFileSync(f, "utf8")).not.toBe(before);
    });
  });

  it("sops's --value-file form (a switch; the value argument names the file) works too", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      const v = join(dir, "value.json");
      writeFileSync(v, '"from a file"\n');
      expect(runHush(["set", "--value-file", f, '["db"]["password"]', v], { env: env() }).status).toBe(0);
      expect(runHush(["get", f, "db.password"], { env: env() }).stdout).toBe("from a file\n");
      writeFileSync(v, '"hush form"');
      expect(runHush(["set", "--value-file", v, f, "db.password"], { env: env() }).status).toBe(0);
      expect(runHush(["get", f, "db.password"], { env: env() }).stdout).toBe("hush form\n");
    });
  });
});

describe("rotate over many files, with progress on a terminal only", () => {
  async function tree(dir: string): Promise<string[]> {
    mkdirSync(join(dir, "secrets", "nested"), { recursive: true });
    mkdirSync(join(dir, "secrets", "node_modules"), { recursive: true });
    const a = await encrypted(dir, "secrets/a.enc.yaml");
    const b = await encrypted(dir, "secrets/nested/b.enc.json", '{"k": "v"}\n');
    const c = await encrypted(dir, "one.enc.yaml");
    writeFileSync(join(dir, "secrets", "plain.txt"), "not encrypted\n");
    writeFileSync(join(dir, "secrets", "node_modules", "x.enc.yaml"), readFileSync(a));
    // The rule that names the recipient: rotate wraps the new key only for those (trust policy).
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${key.recipient}\n`);
    return [a, b, c];
  }

  it("rotates every encrypted file of the directories and files named, in place, each reported", async () => {
    await withTempDir(async (dir) => {
      const files = await tree(dir);
      const before = files.map((f) => readFileSync(f, "utf8"));
      const r = runHush(["rotate", "-i", "secrets", "one.enc.yaml"], { env: env(), cwd: dir });
      expect(r.stderr).toBe(""); // no terminal: no progress line
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("secrets/a.enc.yaml: rotated\nsecrets/nested/b.enc.json: rotated\none.enc.yaml: rotated\n");
      files.forEach((f, i) => {
        const after = readFileSync(f, "utf8");
        expect(after).not.toBe(before[i]);
        // A new data key: not one ciphertext of the old file survives.
        const old = new Set(before[i]!.match(/ENC\[[^\]]+\]/g));
        expect((after.match(/ENC\[[^\]]+\]/g) ?? []).some((e) => old.has(e))).toBe(false);
      });
      expect(runHush(["get", files[1]!, "k"], { env: env() }).stdout).toBe("v\n");
      expect(readFileSync(join(dir, "secrets", "node_modules", "x.enc.yaml"), "utf8")).toBe(before[0]);
    });
  });

  it("several files need -i; a failing file is reported and the others still rotate (exit 1)", async () => {
    await withTempDir(async (dir) => {
      const [a, , c] = await tree(dir);
      const noI = runHush(["rotate", a!, c!], { env: env(), cwd: dir });
      expect(noI.status).toBe(8);
      expect(noI.stderr).toMatch(/needs --in-place/);
      writeFileSync(join(dir, "bad.enc.yaml"), "a: 1\n");
      const r = runHush(["rotate", "-i", a!, join(dir, "bad.enc.yaml"), c!], { env: env(), cwd: dir });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/bad\.enc\.yaml: error: sops metadata not found/);
      expect(r.stdout).toMatch(/a\.enc\.yaml: rotated\n.*one\.enc\.yaml: rotated\n/s);
    });
  });

  it("draws a progress line when stderr is a terminal (script(1))", async () => {
    await withTempDir(async (dir) => {
      await tree(dir);
      const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} rotate -i secrets one.enc.yaml`;
      const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { env: env(), cwd: dir, encoding: "utf8", timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("] 3/3 rotated");
      expect(r.stdout).toMatch(/\r\[#{30}\] 3\/3 rotated\r\x1b\[K/);
    });
  });
});

describe("groups add / groups delete (sops's key groups)", () => {
  it("adds a group (both groups then needed), deletes it again; values, mac and lastmodified stay", async () => {
    const other = await generateAgeKeyFile();
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${key.recipient},${other.recipient}\n`);
      const before = readFileSync(f, "utf8");
      const both = cleanEnv({ SOPS_AGE_KEY: `${key.identity}\n${other.identity}` });
      const onlyOther = cleanEnv({ SOPS_AGE_KEY: other.identity });

      // sops's form: --file, repeatable key flags, result on stdout unless -i.
      const printed = runHush(["groups", "add", "--file", f, "--age", other.recipient], { env: env(), cwd: dir });
      expect(printed.stderr).toBe("");
      expect(printed.status).toBe(0);
      expect(readFileSync(f, "utf8")).toBe(before);
      expect(printed.stdout).toMatch(/shamir_threshold: 2/);

      expect(runHush(["groups", "add", "-i", "--file", f, "--age", other.recipient], { env: env(), cwd: dir }).status).toBe(0);
      const added = readFileSync(f, "utf8");
      const line = (t: string, k: string) => t.split("\n").find((l) => l.includes(`${k}:`));
      for (const k of ["password", "mac", "lastmodified"]) expect(line(added, k)).toBe(line(before, k));
      expect(runHush(["decrypt", f], { env: env() }).status).toBe(128); // one group's key is not enough
      expect(runHush(["decrypt", f], { env: onlyOther }).status).toBe(128);
      expect(runHush(["decrypt", f], { env: both }).stdout).toBe(PLAIN);

      const del = runHush(["groups", "delete", "--file", f, "-i", "1"], { env: both, cwd: dir });
      expect(del.stderr).toBe("");
      expect(del.status).toBe(0);
      expect(runHush(["decrypt", f], { env: env() }).stdout).toBe(PLAIN);
      expect(runHush(["decrypt", f], { env: onlyOther }).status).toBe(128);
    });
  });

  it("re-wraps only for recipients .sops.yaml names: one injected into the file is refused", async () => {
    const attacker = await generateAgeKeyFile();
    const other = await generateAgeKeyFile();
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${key.recipient}\n`);
      const text = readFileSync(f, "utf8");
      // The attacker adds an entry (outside the MAC) hoping the next re-key wraps the key for them.
      writeFileSync(f, text.replace(/ {8}- enc: \|\n(?: {12}.*\n)+ {10}recipient: age1\w+\n/, (m) => m + m.replace(/age1\w+/, attacker.recipient)));
      expect(readFileSync(f, "utf8")).toContain(attacker.recipient);
      const r = runHush(["groups", "add", "-i", "--file", f, "--age", other.recipient], { env: env(), cwd: dir });
      expect(r.status).toBe(5);
      expect(r.stderr).toMatch(/refusing to wrap a new data key for recipients .* does not name: age /);
    });
  });

  it("refuses what cannot work: no keys, a bad index, the last group, a threshold above the groups", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir);
      expect(runHush(["groups", "add", "-i", f], { env: env() }).stderr).toMatch(/name the new group's keys/);
      expect(runHush(["groups", "delete", "--file", f, "0"], { env: env() }).stderr).toMatch(/cannot delete the only key group/);
      expect(runHush(["groups", "delete", "--file", f, "3"], { env: env() }).stderr).toMatch(/no key group 3/);
      const t = runHush(["groups", "add", "--file", f, "--age", key.recipient, "--shamir-secret-sharing-threshold", "3"], { env: env() });
      expect(t.status).toBe(8);
      expect(t.stderr).toMatch(/threshold is 3, but there would be only 2 key groups/);
    });
  });
});

describe("progress lines of the other bulk commands", () => {
  it("check, updatekeys: a progress line on a terminal, none in a pipe", async () => {
    await withTempDir(async (dir) => {
      await encrypted(dir, "a.enc.yaml");
      await encrypted(dir, "b.enc.yaml");
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`);
      const other = await generateAgeKeyFile();
      const tty = (args: string) =>
        spawnSync("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(HUSH)} ${args}`, "/dev/null"], { env: env(), cwd: dir, encoding: "utf8", timeout: 30_000 });
      const check = tty("check a.enc.yaml b.enc.yaml");
      expect(check.status).toBe(0);
      expect(check.stdout).toContain("] 2/2 checked");
      expect(runHush(["check", "a.enc.yaml", "b.enc.yaml"], { env: env(), cwd: dir }).stderr).toBe("");
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient},${other.recipient}\n`);
      const up = tty("updatekeys -y .");
      expect(up.status).toBe(0);
      expect(up.stdout).toContain("] 2/2 updated");
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${key.recipient}\n`);
      const piped = runHush(["updatekeys", "-y", "."], { env: env(), cwd: dir });
      expect(piped.status).toBe(0);
      expect(piped.stderr).not.toMatch(/\] \d+\/\d+ updated/); // no progress line without a terminal
    });
  });
});

describe("exec-env variable names: one rule", () => {
  it("top-level keys as written; nested paths upper-cased, other characters made _, joined by the separator", async () => {
    await withTempDir(async (dir) => {
      const f = await encrypted(dir, "n.enc.yaml", "http_proxy: p\nMixed_Case: m\ndb:\n  password: pw\napi-keys:\n  stripe: s\nhosts: [a, b]\n");
      const r = runHush(["exec-env", "--env-lists", f, "--", process.execPath, "-e", "for (const k of ['http_proxy','Mixed_Case','DB_PASSWORD','API_KEYS_STRIPE','HOSTS_1','db_password','HTTP_PROXY']) console.log(k + '=' + (process.env[k] ?? '<unset>'))"], { env: env() });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("http_proxy=p\nMixed_Case=m\nDB_PASSWORD=pw\nAPI_KEYS_STRIPE=s\nHOSTS_1=b\ndb_password=<unset>\nHTTP_PROXY=<unset>\n");
      const clash = await encrypted(dir, "c.enc.yaml", "DB_PASSWORD: a\ndb:\n  password: b\n");
      const c = runHush(["exec-env", clash, "--", "true"], { env: env() });
      expect(c.status).toBe(1);
      expect(c.stderr).toMatch(/two values would both be the variable DB_PASSWORD/);
    });
  });
});
