// JSON's `sops` block is read from `JSON.parse` of the (strictly checked) text, not by composing
// the whole file with the yaml package (which was the memory peak of a large JSON decrypt): it
// must give what composing gave, and a second top-level `sops` member stays an error.
import { Composer, Parser } from "yaml";
import { describe, expect, it } from "vitest";
import { isHushError } from "../src/errors.js";
import { jsonFormat } from "../src/formats/json.js";
import { fixture } from "./helpers.js";

/** The sops block as the yaml package's Composer reads it (the previous way). */
function composedSops(text: string): unknown {
  const [doc] = [...new Composer({ keepSourceTokens: false, uniqueKeys: false }).compose(new Parser().parse(text))];
  return (doc!.toJS() as { sops?: unknown }).sops;
}

describe("JSON metadata without composing the file", () => {
  for (const name of ["age-json-v3.7.1-example.enc.json", "pgp-json-v3.13.1-format.enc.json", "pgp-json-v3.5.0-example.enc.json"]) {
    it(`${name}: the sops block equals the composed one`, () => {
      const text = fixture(name);
      const raw = jsonFormat.parse(text).rawMetadata();
      expect(raw).toBeTypeOf("object");
      expect(raw).toEqual(composedSops(text));
    });
  }

  it("escapes, numbers and nested values read the same", () => {
    const text = `{"a": "x", "sops": {"s": "\\u00e9\\/\\ud83d\\ude00\\n", "n": 1.5e3, "i": 12, "z": null, "l": [true, {"k": -0.25}]}}`;
    expect(jsonFormat.parse(text).rawMetadata()).toEqual(composedSops(text));
  });

  it("a second top-level sops member is refused", () => {
    const text = `{"a": 1, "sops": {"version": "3.7.1"}, "sops": {"version": "3.7.1"}}`;
    let err: unknown;
    try {
      jsonFormat.parse(text).rawMetadata();
    } catch (e) {
      err = e;
    }
    expect(isHushError(err) && err.code).toBe("INVALID_METADATA");
    expect(String((err as Error).message)).toMatch(/duplicate sops/);
  });

  it("a sops key inside a nested object is not metadata", () => {
    expect(jsonFormat.parse(`{"a": {"sops": 1}}`).rawMetadata()).toBeUndefined();
  });
});
