// Pins the text of `hush --help` and of every command's `--help`, byte for byte, against files in
// test/help/: the help is part of the interface, and the command declarations are spread over
// src/cli/commands/*.command.ts, so a change to one shows up here as a reviewable diff. After an
// intended change, run `npx vitest run test/help.test.ts -u` and review the files.
import { describe, expect, it } from "vitest";
import { runHush } from "./helpers.js";

const COMMANDS = [
  "encrypt", "decrypt", "keygen", "edit", "set", "rotate-value", "unset", "rotate", "filestatus", "exec-env", "exec-file",
  "updatekeys", "git", "check", "verify", "audit", "rotation-status", "init", "invite", "revoke", "share", "import",
  "k8s", "import-dotenv", "import-env", "get", "groups", "completion", "version",
];
const GIT = ["install", "textconv", "merge", "resolve", "log", "diff"];
const K8S = ["secret", "kustomize-plugin", "install-kustomize-plugin"];
const GROUPS = ["add", "delete"];

/** The argument lists whose output is pinned, each with the name of its file. */
const CASES: [name: string, args: string[]][] = [
  ["hush", ["--help"]],
  ...COMMANDS.map((c): [string, string[]] => [c, [c, "--help"]]),
  ...GIT.map((g): [string, string[]] => [`git-${g}`, ["git", g, "--help"]]),
  ...K8S.map((k): [string, string[]] => [`k8s-${k}`, ["k8s", k, "--help"]]),
  ...GROUPS.map((g): [string, string[]] => [`groups-${g}`, ["groups", g, "--help"]]),
];

function transcript(args: string[]): string {
  const r = runHush(args);
  return `$ hush ${args.join(" ")}\nexit ${r.status}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

describe("--help text", () => {
  it.each(CASES)("%s", async (name, args) => {
    await expect(transcript(args)).toMatchFileSnapshot(`./help/${name}.txt`);
  });

  it("pins every command `--help` lists (a new command needs its file here)", () => {
    const listed = (args: string[]) => {
      const out = runHush(args).stdout;
      const section = out.slice(out.indexOf("\nCommands:\n") + 11, out.indexOf("\n\n", out.indexOf("\nCommands:\n")));
      return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]).filter((c) => c !== "help");
    };
    expect(listed(["--help"])).toEqual(COMMANDS);
    expect(listed(["git", "--help"])).toEqual(GIT);
    expect(listed(["k8s", "--help"])).toEqual(K8S);
  });

  it("`hush help X` prints what `hush X --help` prints", () => {
    for (const c of ["decrypt", "git", "share"]) {
      const a = runHush(["help", c]);
      const b = runHush([c, "--help"]);
      expect(a.status).toBe(0);
      expect(a.stdout).toBe(b.stdout);
    }
  });

  it("without a command, the program's help goes to stderr with exit 8", async () => {
    const r = runHush([]);
    expect(r.status).toBe(8);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(runHush(["--help"]).stdout);
  });

  it("a mistyped command is suggested, with exit 8", () => {
    const r = runHush(["decryp"]);
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/^hush: error: unknown command 'decryp'\n\(Did you mean decrypt\?\)/);
  });
});
