// Importing a Node-style .env (src/formats/dotenv-node.ts): the values are those the `dotenv`
// package gives the app (checked against the package itself), the output is sops's dotenv format,
// and the report says, per key and line, what differs from sops's reading, never a value.
import dotenv from "dotenv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import { importNodeDotenv, unwritableDotenvValue } from "../src/formats/dotenv-node.js";
import { dotenvFormat } from "../src/formats/dotenv.js";

const RUNS = Number(process.env["HUSH_PROPERTY_RUNS"] ?? 150);

/** The values sops's reader gets from the imported text (it must be valid sops dotenv). */
function sopsValues(text: string): Record<string, string> {
  const doc = dotenvFormat.parse(text);
  return Object.fromEntries(doc.leaves().filter((l) => l.kind === "value").map((l) => [l.path[0]!, l.value.text]));
}

describe("import-dotenv: reading a Node-style .env", () => {
  it("gives each key the value the dotenv package gives, and reports every difference from sops's reading", () => {
    const source = [
      "# database",
      "P=hunter2 #1",
      'Q="x y"',
      "export E=yes",
      "S='single # kept'",
      'D="multi',
      'line"',
      'N="a\\nb"',
      "foo = bar",
      "  # indented comment",
      "   ",
      "PLAIN=same",
      "KEY: colon",
      "junk line",
      "DUP=first",
      "DUP=second",
      "",
    ].join("\n");
    const r = importNodeDotenv(source);
    expect(sopsValues(r.text!)).toEqual(dotenv.parse(source));
    expect(r.text).toBe(
      "# database\nP=hunter2\nQ=x y\nE=yes\nS=single # kept\nD=multi\\nline\nN=a\\nb\nfoo=bar\n# indented comment\n\nPLAIN=same\nKEY=colon\nDUP=second\n",
    );
    expect(r.entries.map((e) => e.key)).toEqual(["P", "Q", "E", "S", "D", "N", "foo", "PLAIN", "KEY", "DUP"]);
    expect(r.changes.map((c) => `${c.line} ${c.key ?? "-"}: ${c.what}`)).toEqual([
      "2 P: inline comment dropped (sops would keep it in the value)",
      "3 Q: double quotes removed (sops would keep them)",
      '4 E: "export " dropped from the key',
      "5 S: single quotes removed (sops would keep them)",
      "6 D: quoted value spans lines 6-7: read as one value with newlines (sops reads line by line)",
      "6 D: double quotes removed (sops would keep them)",
      "8 N: double quotes removed (sops would keep them)",
      "9 foo: spaces around the key dropped",
      "9 foo: spaces around the value trimmed",
      '13 KEY: "KEY: value" read as KEY=value (sops would reject a line without "=")',
      "14 -: dropped: not a KEY=VALUE line (the dotenv package ignores it; sops would reject the file)",
      "15 DUP: dropped: line 16 sets DUP again (the dotenv package keeps the last)",
    ]);
    // Nothing of a value or a comment is in the report.
    const report = r.changes.map((c) => c.what).join("\n");
    for (const secret of ["hunter2", "#1", "x y", "# kept", "multi\n", "colon", "junk", "first", "second"]) expect(report).not.toContain(secret);
  });

  it("reads CRLF as LF and says so once", () => {
    const r = importNodeDotenv("A=1\r\nB=\"two\"\r\n");
    expect(r.text).toBe("A=1\nB=two\n");
    expect(r.changes[0]).toEqual({ line: 1, what: "CRLF line ends read as LF (sops would keep a \\r at the end of every value)" });
  });

  it("reports nothing for a file sops reads the same way", () => {
    const source = "# c\nA=1\nURL=https://x.test/?a=b\n\nEMPTY=\n";
    const r = importNodeDotenv(source);
    expect(r.changes).toEqual([]);
    expect(r.text).toBe(source);
  });

  it("marks a value holding a literal backslash-n (sops's dotenv would read a newline), without echoing it", () => {
    const r = importNodeDotenv("A=1\nB='hunter2\\nx'\n");
    expect(r.text).toBeUndefined();
    expect(r.unwritable).toEqual({ key: "B", line: 2 });
    expect(r.entries[1]).toEqual({ key: "B", value: "hunter2\\nx", line: 2 });
    const err = unwritableDotenvValue(r.unwritable!);
    expect(isHushError(err, "CANNOT_DUMP_TREE")).toBe(true);
    expect(err.message).toMatch(/value of B \(line 2\)/);
    expect(err.message).not.toContain("hunter2");
  });

  it("agrees with the dotenv package on arbitrary files, and writes valid sops dotenv (property)", () => {
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);
    const chunk = fc.string({ maxLength: 16 }).map((s) => s.replace(/\\n/g, "n"));
    const entry = fc
      .tuple(key, chunk, fc.constantFrom("raw", "double", "single", "backtick", "export", "spaced", "inline", "multi", "colon"))
      .map(([k, v, form]) => {
        const noQ = (q: string) => v.replace(new RegExp(`[${q}\\r\\n]`, "g"), "_");
        switch (form) {
          case "raw":
            return `${k}=${v.replace(/[\r\n]/g, "_")}`;
          case "double":
            return `${k}="${noQ('"')}"`;
          case "single":
            return `${k}='${noQ("'")}'`;
          case "backtick":
            return `${k}=\`${noQ("`")}\``;
          case "export":
            return `export ${k}="${noQ('"')}"`;
          case "spaced":
            return `  ${k} = ${v.replace(/[\r\n#]/g, "_")}  `;
          case "inline":
            return `${k}="${noQ('"')}" # ${v.replace(/[\r\n]/g, "_")}`;
          case "multi":
            return `${k}="${noQ('"')}\n${noQ('"')}"`;
          default:
            return `${k}: ${v.replace(/[\r\n#]/g, "_")}`;
        }
      });
    const line = fc.oneof({ weight: 6, arbitrary: entry }, { weight: 1, arbitrary: chunk.map((c) => `# ${c.replace(/[\r\n]/g, "")}`) }, { weight: 1, arbitrary: fc.constant("") });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom("\n", "\r\n"), (lines, eol) => {
        const source = lines.join(eol) + eol;
        const r = importNodeDotenv(source);
        expect(Object.fromEntries(r.entries.map((e) => [e.key, e.value]))).toEqual(dotenv.parse(source));
        if (r.text === undefined) expect(r.entries.some((e) => e.value.includes("\\n"))).toBe(true);
        else expect(sopsValues(r.text)).toEqual(dotenv.parse(source));
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
