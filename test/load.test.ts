// The library's load(): every value type comes back right from get(), paths work in both forms,
// the MAC is checked at load, values are decrypted only when read, dispose() zero-fills the data
// key; encrypt()/decrypt() of whole documents; and `hush-sops/config` filling process.env.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { sealDocument } from "../src/core/sealed.js";
import { getFormat } from "../src/formats/index.js";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { Keyring } from "../src/keys/registry.js";
import { decrypt, encrypt } from "../src/lib/documents.js";
import { decryptHeld, encryptText } from "../src/lib/files.js";
import { load, Secrets } from "../src/lib/load.js";
import { cleanEnv, ROOT, withTempDir } from "./helpers.js";

const YAML_DOC = `str: hello
multi: |
    line one
    line two
unicode: "héllo ✓ 🎉"
int: 42
neg: -7
big: 9223372036854775807
float: 1.5
float_int: 3.0
exp: 1e-06
inf: .inf
flag_on: true
flag_off: false
when: 2024-01-02T03:04:05.123456789+02:00
nothing: null
tilde: ~
empty: ""
quoted_num: "42"
db:
    password: hunter2
    port: 5432
hosts:
    - alpha
    - beta
    - name: gamma
      port: 1
matrix:
    - [1, 2]
    - [3, 4]
dotted.key: dotted
labels:
    app.kubernetes.io/name: web
"123": numeric key
public_unencrypted: visible
count_unencrypted: 7
`;

let key: { identity: string; recipient: string };
let env: NodeJS.ProcessEnv;
let enc: string;

beforeAll(async () => {
  key = await generateAgeKeyFile();
  env = cleanEnv({ SOPS_AGE_KEY: key.identity });
  enc = (await encryptText(YAML_DOC, { format: "yaml", groups: [[ageRecipient(key.recipient)]] })).text;
});

const open = (text = enc, format: "yaml" | "json" | "dotenv" = "yaml") => load({ text, format }, { env });

describe("load(): get() for every type", () => {
  it("the file really is encrypted (so get() decrypts)", () => {
    for (const s of ["hello", "hunter2", "gamma", "numeric key", "5432"]) expect(enc).not.toContain(s);
    expect(enc).toContain("public_unencrypted: visible");
  });

  it.each<[string, unknown]>([
    ["str", "hello"],
    ["multi", "line one\nline two\n"],
    ["unicode", "héllo ✓ 🎉"],
    ["int", 42],
    ["neg", -7],
    ["big", 9223372036854775807n],
    ["float", 1.5],
    ["float_int", 3],
    ["exp", 1e-6],
    ["inf", Infinity],
    ["flag_on", true],
    ["flag_off", false],
    ["nothing", null],
    ["tilde", null],
    ["empty", ""],
    ["quoted_num", "42"],
    ["db.password", "hunter2"],
    ["db.port", 5432],
    ["hosts.0", "alpha"],
    ["hosts.1", "beta"],
    ["hosts.2.name", "gamma"],
    ["hosts.2.port", 1],
    ["matrix.1.0", 3],
    ["dotted.key", "dotted"],
    ["labels.app.kubernetes.io/name", "web"],
    ["123", "numeric key"],
    ["public_unencrypted", "visible"],
    ["count_unencrypted", 7],
  ])("%s", async (path, expected) => {
    const s = await open();
    expect(s.get(path)).toEqual(expected);
    expect(s.has(path)).toBe(true);
  });

  it("a timestamp is a Date (to the millisecond; the file keeps nanoseconds)", async () => {
    const when = (await open()).get("when");
    expect(when).toBeInstanceOf(Date);
    expect((when as Date).toISOString()).toBe("2024-01-02T01:04:05.123Z");
  });

  it("array paths are exact; numbers index lists; maps and lists come back whole", async () => {
    const s = await open();
    expect(s.get(["db", "password"])).toBe("hunter2");
    expect(s.get(["hosts", 2, "name"])).toBe("gamma");
    expect(s.get(["hosts", "2", "name"])).toBe("gamma");
    expect(s.get(["dotted.key"])).toBe("dotted");
    expect(s.get(["labels", "app.kubernetes.io/name"])).toBe("web");
    expect(s.get([123])).toBe("numeric key");
    expect(s.get("db")).toEqual({ password: "hunter2", port: 5432 });
    expect(s.get("hosts")).toEqual(["alpha", "beta", { name: "gamma", port: 1 }]);
    expect(s.get("matrix")).toEqual([[1, 2], [3, 4]]);
  });

  it("a missing path is undefined (and has() is false); null is a value", async () => {
    const s = await open();
    for (const p of ["nope", "db.nope", "db.password.deeper", "hosts.9", "hosts.x", ["db", "password", "x"], ["hosts", -1], ["hosts", 1.5]] as const) {
      expect(s.get(p)).toBeUndefined();
      expect(s.has(p)).toBe(false);
    }
    expect(s.has("nothing")).toBe(true);
    expect(s.get("nothing")).toBeNull();
  });

  it("get(path, type) returns the value typed, undefined when missing, and refuses another type without showing it", async () => {
    const s = await open();
    const host: string | undefined = s.get("db.password", "string");
    expect(typeof host).toBe("string");
    const port: number | undefined = s.get("db.port", "number");
    expect(port).toBe(5432);
    expect(s.get("nope", "string")).toBeUndefined();
    expect(() => s.get("db.port", "string")).toThrow(/^the value at db\.port is a number, not a string$/);
    expect(() => s.get("db", "string")).toThrow(/is a map, not a string/);
    expect(() => s.get("db.password", "number")).toThrow(/^the value at db\.password is a string, not a number$/);
  });

  it("keys() lists every value's dotted path in file order", async () => {
    expect((await open()).keys()).toEqual([
      "str", "multi", "unicode", "int", "neg", "big", "float", "float_int", "exp", "inf", "flag_on", "flag_off", "when",
      "nothing", "tilde", "empty", "quoted_num", "db.password", "db.port", "hosts.0", "hosts.1", "hosts.2.name",
      "hosts.2.port", "matrix.0.0", "matrix.0.1", "matrix.1.0", "matrix.1.1", "dotted.key", "labels.app.kubernetes.io/name",
      "123", "public_unencrypted", "count_unencrypted",
    ]);
  });

  it("toObject() is the whole document", async () => {
    const o = (await open()).toObject();
    expect(o["db"]).toEqual({ password: "hunter2", port: 5432 });
    expect(o["big"]).toBe(9223372036854775807n);
    expect(Object.keys(o)).toHaveLength(25);
  });

  it("toEnv() names and converts as exec-env does", async () => {
    await expect((async () => (await open()).toEnv())()).rejects.toThrow(/list item as an environment variable: hosts\[0\]/);
    const e = (await open()).toEnv({ lists: true });
    expect(e["DB_PASSWORD"]).toBe("hunter2");
    expect(e["HOSTS_2_NAME"]).toBe("gamma");
    expect(e["MATRIX_1_0"]).toBe("3");
    expect(e["LABELS_APP_KUBERNETES_IO_NAME"]).toBe("web");
    expect(e["float_int"]).toBe("3.0");
    expect(e["exp"]).toBe("1E-06");
    expect(e["inf"]).toBe("+Inf");
    expect(e["flag_on"]).toBe("true");
    expect(e["when"]).toBe("2024-01-02T03:04:05+02:00");
    expect(Object.hasOwn(e, "nothing")).toBe(false); // nulls are outside the MAC: skipped
    expect(e["big"]).toBe("9223372036854775807");
    await expect((async () => (await open()).toEnv({ flatten: false }))()).rejects.toThrow(/complex value.*"db"/);
  });

  it("reads JSON", async () => {
    const json = '{"a": "x", "n": 12, "f": 2.5, "b": false, "z": null, "big": 12345678901234567890, "o": {"k": ["v", 1]}}\n';
    const text = (await encryptText(json, { format: "json", groups: [[ageRecipient(key.recipient)]] })).text;
    const s = await load({ text, format: "json" }, { env });
    expect(s.toObject()).toEqual({ a: "x", n: 12, f: 2.5, b: false, z: null, big: 12345678901234567000, o: { k: ["v", 1] } });
    expect(s.get("o.k.1")).toBe(1);
  });

  it("reads dotenv when that format is available", async () => {
    let available = true;
    try {
      getFormat("dotenv");
    } catch {
      available = false;
    }
    if (!available) return;
    const text = (await encryptText("API_KEY=abc\nDB_URL=postgres://u@h/db\n", { format: "dotenv", groups: [[ageRecipient(key.recipient)]] })).text;
    expect(text).not.toContain("abc");
    const s = await load({ text, format: "dotenv" }, { env });
    expect(s.get("API_KEY")).toBe("abc");
    expect(s.toEnv()).toEqual({ API_KEY: "abc", DB_URL: "postgres://u@h/db" });
  });
});

describe("load(): integrity, laziness, disposal", () => {
  it("checks the MAC at load: reordered list items are rejected", async () => {
    // List items share their additional data, so both still decrypt: only the MAC sees it.
    const lines = enc.split("\n");
    const i = lines.findIndex((l) => l.startsWith("hosts:"));
    [lines[i + 1], lines[i + 2]] = [lines[i + 2]!, lines[i + 1]!];
    const swapped = lines.join("\n");
    await expect(open(swapped)).rejects.toMatchObject({ code: "MAC_MISMATCH" });
    const s = await load({ text: swapped, format: "yaml" }, { env, ignoreMac: true });
    expect(s.get("hosts.0")).toBe("beta");
  });

  it("decrypts on get(): a damaged value fails when read, naming its path and nothing else", async () => {
    const damaged = enc.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, a: string, c: string) => a + (c === "A" ? "B" : "A"));
    expect(damaged).not.toBe(enc);
    await expect(open(damaged)).rejects.toMatchObject({ code: "DECRYPT_TREE" });
    const s = await load({ text: damaged, format: "yaml" }, { env, ignoreMac: true });
    expect(s.get("str")).toBe("hello");
    expect(() => s.get("db.password")).toThrow(/cannot decrypt the value at "db"\."password"/);
    try {
      s.get("db");
    } catch (e) {
      expect(String(e)).not.toContain("hunter2");
    }
  });

  it("fails clearly without the key, on a plaintext file, on a missing file", async () => {
    const stranger = await generateAgeKeyFile();
    await expect(load({ text: enc, format: "yaml" }, { env: cleanEnv({ SOPS_AGE_KEY: stranger.identity }) })).rejects.toMatchObject({ code: "COULD_NOT_RETRIEVE_KEY" });
    await expect(open(YAML_DOC)).rejects.toMatchObject({ code: "METADATA_NOT_FOUND" });
    await expect(load(join(ROOT, "no-such.enc.yaml"), { env })).rejects.toMatchObject({ code: "NO_FILE" });
  });

  it("loads from a path, with the format from the name (a final .enc is ignored)", async () => {
    await withTempDir(async (dir) => {
      writeFileSync(join(dir, "s.enc.yaml"), enc);
      writeFileSync(join(dir, "s.yaml.enc"), enc);
      expect((await load(join(dir, "s.enc.yaml"), { env })).get("str")).toBe("hello");
      expect((await load(join(dir, "s.yaml.enc"), { env })).get("str")).toBe("hello");
    });
  });

  it("dispose() zero-fills the data key and ends the object's life", async () => {
    const doc = getFormat("yaml").parse(enc);
    const sealed = await sealDocument(doc, { keyring: new Keyring({ env }) });
    const s = new Secrets(sealed.root, sealed.dataKey, sealed.metadata, "yaml");
    expect(s.get("str")).toBe("hello");
    expect(sealed.dataKey.some((b) => b !== 0)).toBe(true);
    s.dispose();
    expect(s.disposed).toBe(true);
    expect([...sealed.dataKey].every((b) => b === 0)).toBe(true);
    expect(() => s.get("str")).toThrow(/disposed/);
    expect(() => s.keys()).toThrow(/disposed/);
  });

  it("a data key passed in is copied, so dispose() leaves the caller's alone", async () => {
    const { dataKey } = await decryptHeld(enc, { format: "yaml", env });
    const s = await load({ text: enc, format: "yaml" }, { dataKey, env: cleanEnv() });
    expect(s.get("db.port")).toBe(5432);
    s.dispose();
    expect(dataKey.some((b) => b !== 0)).toBe(true);
  });

  it("shows neither ciphertexts nor the key when printed", async () => {
    const s = await open();
    for (const shown of [inspect(s, { depth: 10, showHidden: true }), JSON.stringify(s)]) {
      expect(shown).not.toContain("ENC[");
      expect(shown).not.toContain("hunter2");
      expect(shown).not.toMatch(/Uint8Array/);
    }
  });
});

describe("encrypt() / decrypt() of whole documents", () => {
  it("round-trips, converts and extracts", async () => {
    const text = await encrypt({ text: "a: 1\nb:\n    c: secret\n", format: "yaml" }, { age: [key.recipient] });
    expect(text).not.toContain("secret");
    expect(await decrypt({ text, format: "yaml" }, { env })).toBe("a: 1\nb:\n    c: secret\n");
    expect(await decrypt({ text, format: "yaml" }, { env, outputFormat: "json" })).toBe('{\n\t"a": 1,\n\t"b": {\n\t\t"c": "secret"\n\t}\n}\n');
    expect(await decrypt({ text, format: "yaml" }, { env, extract: ["b", "c"] })).toBe("secret");
    await expect(encrypt({ text: "a: 1\n", format: "yaml" }, { env: cleanEnv() })).rejects.toMatchObject({ code: "NO_ENCRYPTION_KEY" });
    const viaEnv = await encrypt({ text: "a: 1\n", format: "yaml" }, { env: cleanEnv({ SOPS_AGE_RECIPIENTS: key.recipient }) });
    expect(await decrypt({ text: viaEnv, format: "yaml" }, { env })).toBe("a: 1\n");
  });
});

describe("hush-sops/config", () => {
  const CONFIG = pathToFileURL(join(ROOT, "dist", "lib", "config.js")).href;
  const PRINT = "process.stdout.write(JSON.stringify({ pw: process.env.DB_PASSWORD, str: process.env.str, keep: process.env.KEEP }))";
  const run = (cwd: string, extra: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ["--import", CONFIG, "-e", PRINT], { cwd, env: { ...env, HUSH_ENV_LISTS: "1", ...extra }, encoding: "utf8", timeout: 30_000 });

  it("loads HUSH_FILE into process.env before the program runs; existing variables win unless HUSH_OVERRIDE", async () => {
    await withTempDir((dir) => {
      const file = join(dir, "app.enc.yaml");
      writeFileSync(file, enc);
      const r = run(dir, { HUSH_FILE: file, KEEP: "mine", str: "already set" });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ pw: "hunter2", str: "already set", keep: "mine" });
      const o = run(dir, { HUSH_FILE: file, str: "already set", HUSH_OVERRIDE: "1" });
      expect(JSON.parse(o.stdout)).toMatchObject({ str: "hello" });
    });
  });

  it("finds secrets.enc.yaml in the current directory", async () => {
    await withTempDir((dir) => {
      writeFileSync(join(dir, "secrets.enc.yaml"), enc);
      const r = run(dir, {});
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ pw: "hunter2", str: "hello" });
    });
  });

  it("finds .env.enc (read as dotenv) when that format is available", async () => {
    try {
      getFormat("dotenv");
    } catch {
      return;
    }
    const text = (await encryptText("DB_PASSWORD=from-dotenv\n", { format: "dotenv", groups: [[ageRecipient(key.recipient)]] })).text;
    await withTempDir((dir) => {
      writeFileSync(join(dir, ".env.enc"), text);
      const r = run(dir, {});
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout)).toMatchObject({ pw: "from-dotenv" });
    });
  });

  it("stops the program with one line and the CLI's exit code when it cannot load", async () => {
    await withTempDir(async (dir) => {
      const none = run(dir, {});
      expect(none.status).toBe(100);
      expect(none.stdout).toBe("");
      expect(none.stderr).toMatch(/^hush: error: no secrets file: none of (\.env\.test\.enc, )?secrets\.enc\.yaml, \.env\.enc in .*\nhush: hint: set HUSH_FILE/);
      writeFileSync(join(dir, "secrets.enc.yaml"), enc);
      const stranger = await generateAgeKeyFile();
      const nokey = run(dir, { SOPS_AGE_KEY: stranger.identity });
      expect(nokey.status).toBe(128);
      expect(nokey.stdout).toBe("");
      expect(nokey.stderr).toMatch(/^hush: error: could not decrypt the data key/);
      expect(nokey.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
