/**
 * JSON, parsed as YAML flow syntax through the lossless CST after a strict JSON check, typed as
 * sops 3.13.2's JSON store types it (integers that fit int64 are `int`, other numbers `float`).
 */
import { HushError } from "../errors.js";
import type { PlainValue } from "../model/value.js";
import type { MetadataBlock } from "../model/metadata.js";
import { formatFloatF, parseGoFloat } from "../model/go-number.js";
import { jsonNumber, jsonString, jsonStringOfValue } from "./json-scalars.js";
import { CstDocument } from "./cst.js";
import { type Dialect } from "./cst-dialect.js";
import { parseCst } from "./cst-parse.js";
import { jsonValue } from "./emit.js";
import type { Format, FormatOptions } from "./format.js";

const INT_RE = /^-?(0|[1-9]\d*)$/;

/** A JSON number's type and text as sops's JSON store reads it (int64 integers `int`, else `float`). */
export function typeJsonNumber(src: string): PlainValue {
  if (INT_RE.test(src)) {
    const n = BigInt(src);
    if (n <= 9223372036854775807n && n >= -9223372036854775808n) return { type: "int", text: n.toString() };
  }
  return { type: "float", text: formatFloatF(Number(src)) };
}

/**
 * A value's JSON text as a changed leaf is written (numbers and booleans bare, everything else a
 * string); also what the lean path (`json-lean.ts`) writes.
 */
export function jsonScalarSource(value: PlainValue): string {
  switch (value.type) {
    case "int":
      return value.text;
    case "bool":
      return value.text === "True" ? "true" : "false";
    case "float": {
      const n = parseGoFloat(value.text) ?? NaN;
      if (!Number.isFinite(n)) throw new HushError("CANNOT_DUMP_TREE", "JSON cannot hold NaN or infinite numbers");
      return jsonNumber(n);
    }
    default:
      return jsonStringOfValue(value);
  }
}

/** The `sops` member as it is added to a JSON document (after the last member, `unit` its indentation). */
export function jsonMetadataMember(meta: MetadataBlock, unit: string): string {
  return `\n${unit}${jsonString("sops")}: ${jsonValue(meta, unit, 1)}`;
}

/** Go's `encoding/json` text for a tree cell (used when converting documents). */
export function jsonCellText(cell: { value: PlainValue | null }): string {
  if (cell.value === null) return "null";
  const r = makeDialect("\t").render(cell.value, { inFlow: true, ownerCol: 0, step: 4 });
  return r.kind === "flow" ? r.source : jsonStringOfValue(cell.value);
}

function makeDialect(unit: string): Dialect {
  return {
    name: "json",
    typeScalar(token, resolved) {
      if (token.type === "double-quoted-scalar") return { type: "str", text: resolved };
      if (token.type !== "scalar") throw new HushError("PARSE", "invalid JSON: unexpected scalar");
      if (resolved === "null") return null;
      if (resolved === "true") return { type: "bool", text: "True" };
      if (resolved === "false") return { type: "bool", text: "False" };
      return typeJsonNumber(resolved);
    },
    render(value) {
      const source = jsonScalarSource(value);
      return { kind: "flow", type: value.type === "int" || value.type === "bool" || value.type === "float" ? "scalar" : "double-quoted-scalar", source };
    },
    metadataText(meta) {
      return jsonMetadataMember(meta, unit);
    },
  };
}

/**
 * Strict JSON check first: the YAML parser would accept YAML-only syntax in a .json file. Returns
 * the top-level `sops` value (the metadata, read here rather than by composing the whole file).
 */
function checkJson(text: string): { sops: unknown } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    // Node's message quotes the input; report only the position.
    const m = /position (\d+)/.exec(String((e as Error).message));
    let where = "";
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split("\n").length;
      where = ` at line ${line}, column ${pos - before.lastIndexOf("\n")}`;
    }
    throw new HushError("PARSE", `invalid JSON${where}`);
  }
  const first = /\S/.exec(text);
  if (!first || text[first.index] !== "{") {
    throw new HushError("PARSE", "JSON documents that are not objects are not supported");
  }
  const sops = parsed !== null && typeof parsed === "object" && Object.hasOwn(parsed, "sops") ? (parsed as { sops: unknown }).sops : undefined;
  return { sops };
}

/** The indentation unit of the first member line, or one tab (sops's default). */
export function detectUnit(text: string, indent?: number): string {
  if (indent !== undefined && indent >= 0) return " ".repeat(indent);
  const m = /^\{[ \t]*\r?\n([ \t]+)\S/.exec(text.trimStart());
  return m ? m[1]! : "\t";
}

export const jsonFormat: Format = {
  name: "json",
  parse(text: string, options?: FormatOptions) {
    const json = checkJson(text);
    return new CstDocument(text, makeDialect(detectUnit(text, options?.indent)), parseCst(text, "json", json));
  },
};
