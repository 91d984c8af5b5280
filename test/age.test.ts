import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { HushError } from "../src/errors.js";
import {
  ageIdentitiesFromText,
  ageRecipient,
  defaultAgeKeyFile,
  generateAgeKeyFile,
  loadAgeIdentities,
  parseAgeRecipients,
} from "../src/keys/age-client.js";
import { splitCommand } from "../src/util/shlex.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/sops/", import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

const EXAMPLE_DATA_KEY = "9ac088cf7029981341457c39dd56dde54600dfbce9b5ede23aa65c418900ab67";
const EXAMPLE_RECIPIENTS = [
  "age1yt3tfqlfrwdwx0z0ynwplcr6qxcxfaqycuprpmy89nr83ltx74tqdpszlw",
  "age1tmaae3ld5vpevmsh5yacsauzx8jetg300mpvc4ugp5zr5l6ssq9sla97ep",
];
const ARMOR =
  /^-----BEGIN AGE ENCRYPTED FILE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/]{1,63}={0,2}\n-----END AGE ENCRYPTED FILE-----\n$|^-----BEGIN AGE ENCRYPTED FILE-----\n(?:[A-Za-z0-9+/]{64}\n)+-----END AGE ENCRYPTED FILE-----\n$/;

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));

let tmp: string;
/** An XDG_CONFIG_HOME/HOME with no keys file, so the developer's own keys never leak in. */
let emptyHome: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "hush-age-test-"));
  emptyHome = join(tmp, "empty-home");
  mkdirSync(emptyHome);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** An environment with PATH and an empty home, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "", HOME: emptyHome, XDG_CONFIG_HOME: emptyHome, ...extra };
}

/** The age entries of the sops 3.7.1 example. */
function exampleEntries(): Record<string, unknown>[] {
  const doc = parseYaml(readFileSync(fixture("age-yaml-v3.7.1-example.enc.yaml"), "utf8")) as {
    sops: { age: Record<string, unknown>[] };
  };
  return doc.sops.age;
}

/** Secret keys in the fixtures and generated here, to check that no message ever contains one. */
function secretLeaks(message: string, secrets: readonly string[]): boolean {
  for (const s of secrets) {
    const body = s.replace(/^AGE-SECRET-KEY-(PQ-)?1/, "");
    for (let i = 0; i + 8 <= body.length; i++) {
      if (message.toUpperCase().includes(body.slice(i, i + 8).toUpperCase())) return true;
    }
  }
  return false;
}

async function expectHushError(p: Promise<unknown> | (() => unknown), code: string): Promise<HushError> {
  let caught: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HushError);
  expect((caught as HushError).code).toBe(code);
  return caught as HushError;
}

describe("sops fixtures", () => {
  it("the example keys file unwraps both age entries of the 3.7.1 example", async () => {
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: fixture("key-age-sops-examples.txt") }));
    expect(set.count).toBe(2);
    expect(set.problems).toEqual([]);
    expect(await set.recipients()).toEqual(EXAMPLE_RECIPIENTS);
    const entries = exampleEntries();
    expect(entries.map((e) => e["recipient"])).toEqual(EXAMPLE_RECIPIENTS);
    for (const entry of entries) {
      expect(entry["enc"]).toMatch(ARMOR);
      expect(hex(await set.unwrap(entry))).toBe(EXAMPLE_DATA_KEY);
    }
  });

  it("each example identity unwraps only its own entry; the other is null", async () => {
    const lines = readFileSync(fixture("key-age-sops-examples.txt"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("AGE-SECRET-KEY-1"));
    expect(lines).toHaveLength(2);
    const entries = exampleEntries();
    for (const [i, id] of lines.entries()) {
      const set = await ageIdentitiesFromText(id);
      for (const [j, entry] of entries.entries()) {
        expect(hex(await set.unwrap(entry))).toBe(i === j ? EXAMPLE_DATA_KEY : null);
      }
    }
  });

  it("the sops age test vector decrypts to \"data\"", async () => {
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: fixture("age-vector-x25519-identity.txt") }));
    expect(set.count).toBe(1);
    expect(await set.recipients()).toEqual(["age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"]);
    const enc = readFileSync(fixture("age-vector-x25519-encrypted-data.age"), "utf8");
    const out = await set.unwrap({ recipient: "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun", enc });
    expect(Buffer.from(out!).toString("utf8")).toBe("data");
  });

  it("an SSH-recipient entry is not ours: null", async () => {
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: fixture("key-age-sops-examples.txt") }));
    const enc = readFileSync(fixture("age-vector-ssh-ed25519-encrypted-data.age"), "utf8");
    expect(await set.unwrap({ recipient: "ssh-ed25519 AAAA", enc })).toBeNull();
  });
});

describe("wrap and unwrap", () => {
  it("round trips, in the shape sops stores", async () => {
    const key = await generateAgeKeyFile();
    const dataKey = new Uint8Array(32).map((_, i) => i * 7);
    const r = ageRecipient(key.recipient);
    expect(r.kind).toBe("age");
    expect(r.id).toBe(key.recipient);
    const entry = await r.wrap(dataKey);
    expect(Object.keys(entry)).toEqual(["enc", "recipient"]);
    expect(entry["recipient"]).toBe(key.recipient);
    expect(entry["enc"]).toMatch(ARMOR);
    const set = await ageIdentitiesFromText(key.identity);
    expect(await set.unwrap(entry)).toEqual(dataKey);
    // A Shamir share is 33 bytes.
    const share = new Uint8Array(33).fill(5);
    expect(await set.unwrap(await r.wrap(share))).toEqual(share);
  });

  it("an unrelated identity returns null", async () => {
    const a = await generateAgeKeyFile();
    const b = await generateAgeKeyFile();
    const entry = await ageRecipient(a.recipient).wrap(new Uint8Array(32));
    expect(await (await ageIdentitiesFromText(b.identity)).unwrap(entry)).toBeNull();
    // No identity at all: null too.
    expect(await (await loadAgeIdentities(env())).unwrap(entry)).toBeNull();
  });

  it("a corrupted entry throws KEY_SOURCE, without the secret key in the message", async () => {
    const key = await generateAgeKeyFile();
    const set = await ageIdentitiesFromText(key.identity);
    const entry = await ageRecipient(key.recipient).wrap(new Uint8Array(32));
    const enc = entry["enc"] as string;
    const lines = enc.split("\n");
    const badArmor = [lines[0], `!${lines[1]!.slice(1)}`, ...lines.slice(2)].join("\n");
    const noFooter = enc.replace("-----END AGE ENCRYPTED FILE-----\n", "");
    for (const bad of [badArmor, noFooter, "not armor", ""]) {
      const e = await expectHushError(set.unwrap({ recipient: key.recipient, enc: bad }), "KEY_SOURCE");
      expect(secretLeaks(e.message, [key.identity])).toBe(false);
    }
    await expectHushError(set.unwrap({ recipient: key.recipient }), "KEY_SOURCE");
    // Valid armor, our stanza, damaged payload: a real failure, not "not ours".
    const raw = Buffer.from(lines.slice(1, -2).join(""), "base64");
    raw[raw.length - 1]! ^= 1;
    const b64 = raw.toString("base64");
    const rewrapped = `-----BEGIN AGE ENCRYPTED FILE-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END AGE ENCRYPTED FILE-----\n`;
    const e = await expectHushError(set.unwrap({ recipient: key.recipient, enc: rewrapped }), "KEY_SOURCE");
    expect(secretLeaks(e.message, [key.identity])).toBe(false);
  });

  it("post-quantum hybrid identities and recipients work", async () => {
    const { generateHybridIdentity } = await import("age-encryption");
    const id = await generateHybridIdentity();
    const set = await ageIdentitiesFromText(id);
    expect(set.count).toBe(1);
    const [recipient] = await set.recipients();
    expect(recipient).toMatch(/^age1pq1/);
    expect(parseAgeRecipients(` ${recipient!} `)).toEqual([recipient]);
    const dataKey = new Uint8Array(32).fill(9);
    const entry = await ageRecipient(recipient!).wrap(dataKey);
    expect(entry["enc"]).toMatch(ARMOR);
    expect(await set.unwrap(entry)).toEqual(dataKey);
  });

  it("the identities are not printed by inspect or JSON", async () => {
    const key = await generateAgeKeyFile();
    const set = await ageIdentitiesFromText(key.identity);
    expect(secretLeaks(inspect(set, { showHidden: true, depth: 5 }), [key.identity])).toBe(false);
    expect(secretLeaks(JSON.stringify(set), [key.identity])).toBe(false);
  });
});

describe("parseAgeRecipients", () => {
  it("splits on commas, trims and drops empty entries", () => {
    expect(parseAgeRecipients(` ${EXAMPLE_RECIPIENTS[0]!} ,,\n${EXAMPLE_RECIPIENTS[1]!}, `)).toEqual(EXAMPLE_RECIPIENTS);
    expect(parseAgeRecipients("")).toEqual([]);
    expect(parseAgeRecipients(" , ")).toEqual([]);
  });

  it("rejects malformed recipients with USAGE", async () => {
    const good = EXAMPLE_RECIPIENTS[0]!;
    const bad = [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isG",
      "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3q", // bad checksum
      `${good.slice(0, -1)}q`, // checksum
      good.toUpperCase(),
      "age1",
      "foo",
      "age1pq1qqqqqqqq",
    ];
    for (const r of bad) {
      const e = await expectHushError(() => parseAgeRecipients(`${good},${r}`), "USAGE");
      expect(e.message.split("\n")).toHaveLength(1);
    }
    expect(() => ageRecipient("ssh-rsa AAAA")).toThrow(HushError);
  });

  it("does not echo a secret key given as a recipient", async () => {
    const key = await generateAgeKeyFile();
    const e = await expectHushError(() => parseAgeRecipients(key.identity), "USAGE");
    expect(secretLeaks(`${e.message} ${e.hint ?? ""}`, [key.identity])).toBe(false);
  });
});

describe("Debian age CLI interop", () => {
  // CI installs `age`; a missing binary fails these tests on purpose.
  const run = (cmd: string, args: string[], input?: Buffer | string) =>
    execFileSync(cmd, args, { input: input ?? "", stdio: ["pipe", "pipe", "pipe"] });

  it("age is installed", () => {
    expect(run("age", ["--version"]).toString()).toMatch(/\d+\.\d+/);
  });

  it("age -d decrypts an entry hush wraps; age-keygen -o key files load via SOPS_AGE_KEY_FILE", async () => {
    const dir = mkdtempSync(join(tmp, "cli-"));
    const keyFile = join(dir, "keys.txt");
    run("age-keygen", ["-o", keyFile]);
    const recipient = run("age-keygen", ["-y", keyFile]).toString().trim();
    expect(readFileSync(keyFile, "utf8")).toContain(`# public key: ${recipient}\n`);

    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: keyFile }));
    expect(set.count).toBe(1);
    expect(set.problems).toEqual([]);
    expect(await set.recipients()).toEqual([recipient]);

    const dataKey = Buffer.from(EXAMPLE_DATA_KEY, "hex");
    const entry = await ageRecipient(recipient).wrap(dataKey);
    const encFile = join(dir, "enc.age");
    writeFileSync(encFile, entry["enc"] as string);
    expect(run("age", ["-d", "-i", keyFile, encFile]).toString("hex")).toBe(EXAMPLE_DATA_KEY);
  });

  it("hush unwraps what age -r -a encrypts", async () => {
    const dir = mkdtempSync(join(tmp, "cli-"));
    const keyFile = join(dir, "keys.txt");
    run("age-keygen", ["-o", keyFile]);
    const recipient = run("age-keygen", ["-y", keyFile]).toString().trim();
    const other = await generateAgeKeyFile();
    const dataKey = Buffer.from(EXAMPLE_DATA_KEY, "hex");
    const enc = run("age", ["-r", other.recipient, "-r", recipient, "-a"], dataKey).toString("utf8");
    expect(enc).toMatch(ARMOR);
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: keyFile }));
    expect(hex(await set.unwrap({ recipient, enc }))).toBe(EXAMPLE_DATA_KEY);
    expect(hex(await (await ageIdentitiesFromText(other.identity)).unwrap({ recipient, enc }))).toBe(EXAMPLE_DATA_KEY);
  });

  it("generateAgeKeyFile writes what age-keygen writes, and age reads it", async () => {
    const key = await generateAgeKeyFile();
    expect(key.text).toMatch(
      /^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\n# public key: age1[a-z0-9]{58}\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$/,
    );
    expect(key.text).toContain(`# public key: ${key.recipient}\n${key.identity}\n`);
    const dir = mkdtempSync(join(tmp, "cli-"));
    const keyFile = join(dir, "keys.txt");
    writeFileSync(keyFile, key.text, { mode: 0o600 });
    expect(run("age-keygen", ["-y", keyFile]).toString().trim()).toBe(key.recipient);
    const enc = run("age", ["-r", key.recipient], "hello");
    writeFileSync(join(dir, "f.age"), enc);
    expect(run("age", ["-d", "-i", keyFile, join(dir, "f.age")]).toString()).toBe("hello");
  });
});

describe("loading identities from the environment", () => {
  it("SOPS_AGE_KEY: identities separated by newlines and spaces, comments skipped", async () => {
    const a = await generateAgeKeyFile();
    const b = await generateAgeKeyFile();
    for (const text of [`${a.identity}\n  ${b.identity}  \n`, `  ${a.identity}   ${b.identity}`, `${a.text}\r\n${b.text}`]) {
      const set = await loadAgeIdentities(env({ SOPS_AGE_KEY: text }));
      expect(set.problems).toEqual([]);
      expect(set.count).toBe(2);
      expect(await set.recipients()).toEqual([a.recipient, b.recipient]);
    }
  });

  it("SOPS_AGE_KEY_CMD runs without a shell, per entry, with SOPS_AGE_RECIPIENT set to its recipient (as sops)", async () => {
    const key = await generateAgeKeyFile();
    const entry = await ageRecipient(key.recipient).wrap(Buffer.from(EXAMPLE_DATA_KEY, "hex"));
    // The command prints the identity only when asked for its recipient.
    const script = `if (process.env.SOPS_AGE_RECIPIENT === '${key.recipient}') { console.log('# from cmd'); console.log('${key.identity}') }`;
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_CMD: `node -e "${script}"`, SOPS_AGE_RECIPIENT: "ignored" }));
    expect(hex(await set.unwrap(entry))).toBe(EXAMPLE_DATA_KEY);
    expect(set.count).toBe(1);
    expect(set.problems).toEqual([]);
    // Without an entry (keys, team init) it runs with SOPS_AGE_RECIPIENT unset.
    const any = `if (process.env.SOPS_AGE_RECIPIENT === undefined) console.log('${key.identity}')`;
    const set2 = await loadAgeIdentities(env({ SOPS_AGE_KEY_CMD: `node -e "${any}"`, SOPS_AGE_RECIPIENT: "ignored" }));
    expect(await set2.recipients()).toEqual([key.recipient]);
  });

  it("SOPS_AGE_KEY_CMD failures become problem lines", async () => {
    const entry = exampleEntries()[0]!;
    const failing = await loadAgeIdentities(env({ SOPS_AGE_KEY_CMD: `node -e "process.exit(3)"` }));
    expect(await failing.unwrap(entry)).toBeNull();
    expect(failing.count).toBe(0);
    expect(failing.problems).toContain('SOPS_AGE_KEY_CMD "node": exited with status 3');
    const missing = await loadAgeIdentities(env({ SOPS_AGE_KEY_CMD: "hush-no-such-command-xyz --flag" }));
    expect(await missing.unwrap(entry)).toBeNull();
    expect(missing.problems).toContain('SOPS_AGE_KEY_CMD "hush-no-such-command-xyz": command not found');
    const unparsable = await loadAgeIdentities(env({ SOPS_AGE_KEY_CMD: `node -e "oops` }));
    expect(await unparsable.unwrap(entry)).toBeNull();
    expect(unparsable.problems[0]).toMatch(/^SOPS_AGE_KEY_CMD: cannot parse the command/);
  });

  it("the default keys file under XDG_CONFIG_HOME", async () => {
    const key = await generateAgeKeyFile();
    const xdg = mkdtempSync(join(tmp, "xdg-"));
    mkdirSync(join(xdg, "sops", "age"), { recursive: true });
    writeFileSync(join(xdg, "sops", "age", "keys.txt"), key.text);
    const set = await loadAgeIdentities(env({ XDG_CONFIG_HOME: xdg }));
    expect(set.problems).toEqual([]);
    expect(await set.recipients()).toEqual([key.recipient]);
    // All sources are combined; duplicates count once.
    const other = await generateAgeKeyFile();
    const both = await loadAgeIdentities(env({ XDG_CONFIG_HOME: xdg, SOPS_AGE_KEY: `${other.identity} ${key.identity}` }));
    expect(both.count).toBe(2);
  });

  it("the default keys file path per platform", () => {
    expect(defaultAgeKeyFile({ HOME: "/h" }, "linux")).toBe("/h/.config/sops/age/keys.txt");
    expect(defaultAgeKeyFile({ HOME: "/h", XDG_CONFIG_HOME: "/x" }, "linux")).toBe("/x/sops/age/keys.txt");
    expect(defaultAgeKeyFile({ HOME: "/h", XDG_CONFIG_HOME: "rel" }, "linux")).toBe("/h/.config/sops/age/keys.txt");
    expect(defaultAgeKeyFile({ HOME: "/h" }, "darwin")).toBe("/h/Library/Application Support/sops/age/keys.txt");
    expect(defaultAgeKeyFile({ HOME: "/h", XDG_CONFIG_HOME: "/x" }, "darwin")).toBe("/x/sops/age/keys.txt");
    expect(defaultAgeKeyFile({ AppData: "C:\\Users\\u\\AppData\\Roaming" }, "win32")).toBe(
      "C:\\Users\\u\\AppData\\Roaming\\sops\\age\\keys.txt",
    );
  });

  it("a missing SOPS_AGE_KEY_FILE is a problem line, not an error", async () => {
    const path = join(tmp, "nope", "keys.txt");
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: path }));
    expect(set.count).toBe(0);
    expect(set.problems).toContain(`SOPS_AGE_KEY_FILE ${path}: no such file`);
    expect(await set.unwrap(exampleEntries()[0]!)).toBeNull();
    // With identities from elsewhere, the problem is still remembered.
    const withKey = await loadAgeIdentities(
      env({ SOPS_AGE_KEY_FILE: path, SOPS_AGE_KEY: readFileSync(fixture("key-age-sops-examples.txt"), "utf8") }),
    );
    expect(withKey.count).toBe(2);
    expect(withKey.problems).toEqual([`SOPS_AGE_KEY_FILE ${path}: no such file`]);
  });

  it("no problem line or error contains secret key material", async () => {
    const good = await generateAgeKeyFile();
    const pq = await (await import("age-encryption")).generateHybridIdentity();
    // Damage the checksum (and a lowercase copy), which @scure/base would quote in full.
    const last = good.identity.at(-1) === "Q" ? "P" : "Q";
    const broken = good.identity.slice(0, -1) + last;
    const brokenPq = pq.slice(0, -1) + (pq.at(-1) === "Q" ? "P" : "Q");
    const text = [
      "# a comment",
      broken,
      good.identity.toLowerCase(),
      brokenPq,
      `${good.identity}X`,
      "AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQ",
      "garbage",
    ].join("\n");
    const keyFile = join(tmp, "broken-keys.txt");
    writeFileSync(keyFile, text);
    const set = await loadAgeIdentities(
      env({ SOPS_AGE_KEY: text, SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_KEY_CMD: `node -e "console.log('${broken}')"` }),
    );
    expect(await set.unwrap(exampleEntries()[0]!)).toBeNull();
    expect(set.count).toBe(0);
    expect(set.problems.length).toBeGreaterThanOrEqual(6 + 6 + 1);
    for (const p of set.problems) {
      expect(p).not.toContain("\n");
      expect(secretLeaks(p, [good.identity, pq])).toBe(false);
    }
    expect(set.problems).toContain(`SOPS_AGE_KEY: line 2: malformed AGE-SECRET-KEY-1… identity (bad checksum or length)`);
    expect(set.problems).toContain(`SOPS_AGE_KEY_FILE ${keyFile}: line 6: malformed AGE-PLUGIN-… identity`);
  });

  it("a passphrase-encrypted keys file is held for later, not parsed", async () => {
    const keyFile = join(tmp, "encrypted-keys.txt");
    writeFileSync(keyFile, readFileSync(fixture("age-vector-x25519-encrypted-data.age")));
    const set = await loadAgeIdentities(env({ SOPS_AGE_KEY_FILE: keyFile }));
    // Opened only when an entry needs it (asking on the terminal): see age-passphrase.test.ts.
    expect(set.count).toBe(1);
    expect(set.problems).toEqual([]);
  });
});

describe("splitCommand", () => {
  it("splits like shlex", () => {
    expect(splitCommand(`a  b\t"c d" 'e "f' g\\ h "i\\"j" k'l'm`)).toEqual(["a", "b", "c d", 'e "f', "g h", 'i"j', "klm"]);
    expect(splitCommand(`cmd # comment\nnext`)).toEqual(["cmd", "next"]);
    expect(splitCommand(`a#b`)).toEqual(["a#b"]);
    expect(splitCommand(`""`)).toEqual([""]);
    expect(splitCommand("   ")).toEqual([]);
    expect(() => splitCommand(`"open`)).toThrow();
    expect(() => splitCommand(`'open`)).toThrow();
    expect(() => splitCommand(`end\\`)).toThrow();
  });
});
