// Issue 15, "Library and keys": the public encrypt() cannot be made to reuse an IV.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as lib from "../src/lib/index.js";
import { ivsOf, withTempDir } from "./helpers.js";

describe("the public encrypt() has no IV hook", () => {
  it("ivSource is a type error, and ignored at run time: every value gets its own IV", async () => {
    await withTempDir(async (dir) => {
      execFileSync("age-keygen", ["-o", join(dir, "k.txt")], { stdio: "ignore" });
      const age = /public key: (age1\w+)/.exec(readFileSync(join(dir, "k.txt"), "utf8"))![1]!;
      const zero = () => new Uint8Array(32);
      const text = await lib.encrypt(
        { text: "a: one\nb: two\n", format: "yaml" },
        // @ts-expect-error -- not part of the public options
        { age, ivSource: zero },
      );
      const ivs = ivsOf(text).map((b) => b.toString("hex"));
      expect(ivs.length).toBeGreaterThanOrEqual(3); // a, b and the MAC
      expect(new Set(ivs).size).toBe(ivs.length);
      expect(ivs).not.toContain("00".repeat(32));
      const t2 = await lib.encryptText("a: one\nb: two\n", {
        format: "yaml",
        groups: [[lib.ageRecipient(age)]],
        // @ts-expect-error -- not part of the public options either
        ivSource: zero,
      });
      const ivs2 = ivsOf(t2.text).map((b) => b.toString("hex"));
      expect(new Set(ivs2).size).toBe(ivs2.length);
      expect(ivs2).not.toContain("00".repeat(32));
      // The internal hook is not reachable from the package's entry point.
      expect(Object.keys(lib)).not.toContain("IV_SOURCE");
    });
  });
});
