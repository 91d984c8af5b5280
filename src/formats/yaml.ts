/** YAML, read and rewritten through the lossless CST (see cst.ts), typed as yaml.v3 types it. */
import { HushError } from "../errors.js";
import { strFromBytes, type PlainValue } from "../model/value.js";
import { parseGoFloat } from "../model/go-number.js";
import { resolveYamlPlain } from "./yaml-resolve.js";
import { yamlBinaryBase64, yamlFloat, yamlScalar } from "./yaml-scalars.js";
import { CstDocument } from "./cst.js";
import { type Dialect, type RenderedScalar, type ScalarContext } from "./cst-dialect.js";
import { parseCst } from "./cst-parse.js";
import { parseFastYaml, shareLayoutTokens } from "./yaml-fast.js";
import { childIndent, yamlMetadataBlock } from "./emit.js";
import type { Format, FormatOptions } from "./format.js";

function resolvePlain(src: string, line: () => string): PlainValue | null {
  try {
    return resolveYamlPlain(src);
  } catch {
    throw new HushError("PARSE", `integer out of the int64 range sops supports (${line()})`);
  }
}

export const yamlDialect: Dialect = {
  name: "yaml",
  typeScalar(token, resolved, tag) {
    const where = () => `at offset ${token.offset}`;
    switch (tag) {
      case undefined:
        return token.type === "scalar" ? resolvePlain(resolved, where) : { type: "str", text: resolved };
      case "!!str":
      case "!":
        return { type: "str", text: resolved };
      case "!!binary":
        // yaml.v3 decodes it to a Go string of those bytes, which sops encrypts as they are.
        return strFromBytes(Buffer.from(resolved.replace(/\s+/g, ""), "base64"));
      case "!!null":
        return null;
      default: {
        // Other tags (`!!int`, `!!float`, `!!bool`, `!!timestamp`, custom ones): yaml.v3 resolves
        // the text; a custom tag on a quoted scalar stays a string.
        return token.type === "scalar" || tag.startsWith("!!") ? resolvePlain(resolved, where) : { type: "str", text: resolved };
      }
    }
  },
  render(value, ctx) {
    return renderYaml(value, ctx);
  },
  metadataText(meta, step) {
    return yamlMetadataBlock(meta, step);
  },
};

/** How yaml.v3 would print a value of sops's types at this place (SOPS-FORMAT §10.2.5). */
function renderYaml(value: PlainValue, ctx: ScalarContext): RenderedScalar {
  switch (value.type) {
    case "int":
    case "time":
      return { kind: "flow", type: "scalar", source: value.text };
    case "bool":
      return { kind: "flow", type: "scalar", source: value.text === "True" ? "true" : "false" };
    case "float":
      return { kind: "flow", type: "scalar", source: yamlFloat(parseGoFloat(value.text) ?? NaN) };
    default: {
      if (value.bytes) {
        // Not UTF-8: yaml.v3 writes it as `!!binary` base64 (plain, or a literal block when long).
        const b64 = yamlBinaryBase64(value.bytes);
        if (!b64.includes("\n")) return { kind: "flow", type: "scalar", source: `!!binary ${b64}` };
        const r = yamlScalar(b64, { indent: childIndent(ctx.ownerCol, ctx.step), bestIndent: ctx.step, inFlow: ctx.inFlow });
        if (r.style === "literal") {
          const nl = r.source.indexOf("\n");
          return { kind: "block", header: `!!binary ${r.source.slice(0, nl)}`, body: r.source.slice(nl + 1) };
        }
        return { kind: "flow", type: "double-quoted-scalar", source: `!!binary ${r.source}` };
      }
      const r = yamlScalar(value.text, { indent: childIndent(ctx.ownerCol, ctx.step), bestIndent: ctx.step, inFlow: ctx.inFlow });
      switch (r.style) {
        case "plain":
          return { kind: "flow", type: "scalar", source: r.source };
        case "single":
          return { kind: "flow", type: "single-quoted-scalar", source: r.source };
        case "double":
          return { kind: "flow", type: "double-quoted-scalar", source: r.source };
        case "literal": {
          const nl = r.source.indexOf("\n");
          return { kind: "block", header: r.source.slice(0, nl), body: r.source.slice(nl + 1) };
        }
      }
    }
  }
}

export const yamlFormat: Format = {
  name: "yaml",
  parse(text: string, options?: FormatOptions) {
    // Plain configuration files (and all that sops writes) take the fast reader; the rest, and
    // every error, the yaml package.
    const fast = parseFastYaml(text);
    if (fast) shareLayoutTokens(fast.tokens);
    return new CstDocument(text, yamlDialect, fast ?? parseCst(text, "yaml"), options?.indent);
  },
};

/** yaml.v3's text for a tree cell (used when converting documents). */
export function yamlCellText(cell: { value: PlainValue | null }, keyCol: number, step: number): string {
  if (cell.value === null) return "null";
  const r = renderYaml(cell.value, { inFlow: false, ownerCol: keyCol, step });
  return r.kind === "flow" ? r.source : `${r.header}\n${r.body}`;
}
