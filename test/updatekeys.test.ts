// updatekeys: recipients follow .sops.yaml; values, mac and lastmodified stay byte for byte.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ageRecipient, generateAgeKeyFile } from "../src/keys/age-client.js";
import { encryptText } from "../src/lib/files.js";
import { mapLimit } from "../src/lib/updatekeys.js";
import { cleanEnv, runHush, withTempDir } from "./helpers.js";

let a: Awaited<ReturnType<typeof generateAgeKeyFile>>;
let b: Awaited<ReturnType<typeof generateAgeKeyFile>>;
beforeAll(async () => {
  [a, b] = await Promise.all([generateAgeKeyFile(), generateAgeKeyFile()]);
});

const valuesOf = (t: string) => t.slice(0, t.indexOf("sops:"));
const macOf = (t: string) => /mac: (.*)/.exec(t)![1];

describe("hush updatekeys", () => {
  it("updates 200 files in parallel, reporting each, keeping values and MAC", async () => {
    await withTempDir(async (dir) => {
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n    - path_regex: \\.enc\\.yaml$\n      age: ${a.recipient}\n`);
      mkdirSync(join(dir, "secrets"));
      const recipient = ageRecipient(a.recipient);
      const originals: string[] = [];
      for (let i = 0; i < 200; i++) {
        const { text } = await encryptText(`name: file-${i}\ntoken: t${i}\n`, { format: "yaml", groups: [[recipient]] });
        writeFileSync(join(dir, "secrets", `s${String(i).padStart(3, "0")}.enc.yaml`), text);
        originals.push(text);
      }
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n    - path_regex: \\.enc\\.yaml$\n      age: ${a.recipient},${b.recipient}\n`);
      const env = cleanEnv({ SOPS_AGE_KEY: a.identity });
      const dry = runHush(["updatekeys", "secrets"], { env, cwd: dir });
      expect(dry.status).toBe(8); // no terminal, no --yes: nothing is written
      expect(dry.stderr).toMatch(/--yes/);
      expect(readFileSync(join(dir, "secrets", "s000.enc.yaml"), "utf8")).toBe(originals[0]);

      const r = runHush(["updatekeys", "--yes", "--jobs", "4", "secrets"], { env, cwd: dir });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines.filter((l) => l.endsWith(`+ age ${b.recipient}`))).toHaveLength(200);
      expect(lines.filter((l) => l.endsWith(": updated"))).toHaveLength(200);
      for (let i = 0; i < 200; i += 37) {
        const f = join(dir, "secrets", `s${String(i).padStart(3, "0")}.enc.yaml`);
        const now = readFileSync(f, "utf8");
        expect(valuesOf(now)).toBe(valuesOf(originals[i]!));
        expect(macOf(now)).toBe(macOf(originals[i]!));
        expect(now).toContain(originals[i]!.match(/- enc: \|\n(?:.*\n){6}/)![0]); // a's entry kept verbatim
        expect(runHush(["decrypt", f], { env: cleanEnv({ SOPS_AGE_KEY: b.identity }) }).stdout).toBe(`name: file-${i}\ntoken: t${i}\n`);
      }
      // Second run: nothing to do.
      const again = runHush(["updatekeys", "--yes", "secrets"], { env, cwd: dir });
      expect(again.stdout.trim().split("\n").every((l) => l.endsWith("up to date"))).toBe(true);
    });
  }, 120_000);

  it("removes a recipient who is no longer in the rule", async () => {
    await withTempDir(async (dir) => {
      const f = join(dir, "x.enc.yaml");
      const { text } = await encryptText("k: v\n", { format: "yaml", groups: [[ageRecipient(a.recipient), ageRecipient(b.recipient)]] });
      writeFileSync(f, text);
      writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n    - age: ${a.recipient}\n`);
      const r = runHush(["updatekeys", "-y", f], { env: cleanEnv({ SOPS_AGE_KEY: a.identity }), cwd: dir });
      expect(r.stdout).toContain(`- age ${b.recipient}`);
      expect(runHush(["decrypt", f], { env: cleanEnv({ SOPS_AGE_KEY: b.identity }) }).status).toBe(128);
      expect(runHush(["decrypt", f], { env: cleanEnv({ SOPS_AGE_KEY: a.identity }) }).stdout).toBe("k: v\n");
    });
  });
});

describe("mapLimit", () => {
  it("never has more than the limit in flight and keeps the order of results", async () => {
    let inFlight = 0;
    let peak = 0;
    const res = await mapLimit([...Array(50).keys()], 5, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      inFlight--;
      if (i === 7) throw new Error("boom");
      return i * 2;
    });
    expect(peak).toBe(5);
    expect(res.map((r) => (r.status === "fulfilled" ? r.value : "x"))).toEqual([...Array(50).keys()].map((i) => (i === 7 ? "x" : i * 2)));
  });
});
