// A run over many files (updatekeys, rotate) sets a V8 tier-up flag on Node 20 (cli/bulk.ts,
// issue 20). V8 prints an error line for a flag it does not know, which would break hush's
// output: the flag is set only where V8 has it, and never for a few files.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { jitFlagFor } from "../src/cli/bulk.js";

describe("the V8 flag of a run over many files", () => {
  it("is set for many files on V8 11 (Node 20) only", () => {
    expect(jitFlagFor("11.3.244.8-node.38", 1000)).toBe("--interrupt-budget=270336");
    expect(jitFlagFor("11.3.244.8-node.38", 100)).toBeDefined();
    expect(jitFlagFor("11.3.244.8-node.38", 99)).toBeUndefined();
    expect(jitFlagFor("12.4.254.21-node.33", 1000)).toBeUndefined();
    expect(jitFlagFor("13.6.233.17-node.44", 1000)).toBeUndefined();
  });

  it("is taken silently by this Node's V8, when there is one", () => {
    const flag = jitFlagFor(process.versions.v8, 1000);
    if (flag === undefined) return;
    const r = spawnSync(process.execPath, ["-e", `require("node:v8").setFlagsFromString(${JSON.stringify(flag)}); let s = 0; for (let i = 0; i < 1e6; i++) s += i; process.stdout.write(String(s))`], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("499999500000");
    expect(r.status).toBe(0);
  });
});
