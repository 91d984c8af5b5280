/**
 * Formats by name and by file name (SOPS-FORMAT §10.1). Adding a format is one module plus one
 * line in {@link FORMATS}.
 */
import { HushError } from "../errors.js";
import type { Format, FormatDocument, FormatOptions } from "./format.js";
import type { FormatName, TreeNode } from "../model/tree.js";
import { emitJsonDocument, emitYamlDocuments, type CellRenderers } from "./emit.js";
import { yamlCellText, yamlFormat } from "./yaml.js";
import { jsonCellText, jsonFormat } from "./json.js";
import { dotenvFormat, emitDotenvTrees } from "./dotenv.js";
import { emitIniTrees, iniFormat } from "./ini.js";
import { binaryFormat, emitBinaryTrees, emitBinaryTreesBytes } from "./binary.js";
import { checkParseMemory } from "./limits.js";

const FORMATS: Partial<Record<FormatName, Format>> = {
  yaml: yamlFormat,
  json: jsonFormat,
  dotenv: dotenvFormat,
  ini: iniFormat,
  binary: binaryFormat,
};

export const FORMAT_NAMES: readonly FormatName[] = ["yaml", "json", "dotenv", "ini", "binary"];

/**
 * dotenv's and dotenvx's encrypted file names, read as dotenv (one rule for the CLI, the library
 * and `hush init`'s path_regex): `.env.enc`, `NAME.env.enc` and `.env.<environment>.enc`
 * (`.env.production.enc`; one name part, no dot). sops reads these names as binary; a sops user
 * names them `*.enc.env`, which hush reads as dotenv too.
 */
const DOTENV_ENC = /(\.env|(^|[/\\])\.env\.[^./\\]+)\.enc$/;

/**
 * The format sops would pick for a path: by extension, case-sensitive, binary otherwise; and
 * dotenv for dotenv's encrypted names ({@link DOTENV_ENC}).
 */
export function formatNameForPath(path: string): FormatName {
  if (path.endsWith(".yaml") || path.endsWith(".yml")) return "yaml";
  if (path.endsWith(".json")) return "json";
  if (path.endsWith(".env") || DOTENV_ENC.test(path)) return "dotenv";
  if (path.endsWith(".ini")) return "ini";
  return "binary";
}

export function isFormatName(s: string): s is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(s);
}

const GUARDED = new Map<FormatName, Format>();

/**
 * The format implementation, or a clear error for one hush cannot handle yet. Its `parse` first
 * checks that the text fits in memory (see limits.ts): a clean error instead of a heap crash.
 */
export function getFormat(name: FormatName): Format {
  const f = FORMATS[name];
  if (!f) {
    throw new HushError(
      "USAGE",
      `${name} files are not supported yet; use --input-type/--output-type yaml or json`,
    );
  }
  let g = GUARDED.get(name);
  if (!g) {
    const what = name === "binary" ? "data" : name === "dotenv" ? "dotenv" : name.toUpperCase();
    // The binary format checks its own one value (binary.ts), once it knows which way it goes.
    const check = name === "binary" ? () => {} : checkParseMemory;
    g = {
      name: f.name,
      parse(text, options) {
        check(text, what);
        return f.parse(text, options);
      },
    };
    if (f.parseBytes) {
      const parseBytes = f.parseBytes.bind(f);
      g.parseBytes = (bytes, options) => {
        check(bytes, what);
        return parseBytes(bytes, options);
      };
    }
    GUARDED.set(name, g);
  }
  return g;
}

export const CELL_RENDERERS: CellRenderers = { yaml: yamlCellText, json: jsonCellText };

/** Emits document trees in a format, as sops lays them out (used across formats and for --extract). */
export function emitTrees(name: FormatName, trees: readonly TreeNode[], indent?: number): string {
  switch (name) {
    case "yaml":
      return emitYamlDocuments(CELL_RENDERERS, trees, indent && indent > 0 ? indent : 4);
    case "json": {
      if (trees.length !== 1) throw new HushError("CANNOT_DUMP_TREE", "JSON output holds exactly one document");
      const unit = indent === undefined || indent < 0 ? "\t" : " ".repeat(indent);
      return `${emitJsonDocument(CELL_RENDERERS, trees[0]!, unit)}\n`;
    }
    case "dotenv":
      refuseBytes(trees, "dotenv");
      return emitDotenvTrees(trees);
    case "ini":
      refuseBytes(trees, "INI");
      return emitIniTrees(trees);
    case "binary":
      return emitBinaryTrees(trees);
    default:
      throw new HushError("USAGE", `${name} output is not supported yet`);
  }
}

/** True when a value in the trees holds bytes that are not UTF-8 (see PlainValue.bytes). */
export function treesHoldBytes(trees: readonly TreeNode[]): boolean {
  const todo: TreeNode[] = [...trees];
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    if (n instanceof Map) todo.push(...n.values());
    else if (Array.isArray(n)) todo.push(...n);
    else if (n.value?.bytes) return true;
  }
  return false;
}

/** dotenv and INI text cannot hold bytes that are not UTF-8: a clear error, not a lossy output. */
function refuseBytes(trees: readonly TreeNode[], what: string): void {
  if (treesHoldBytes(trees)) {
    throw new HushError("CANNOT_DUMP_TREE", `a value is not UTF-8 text, which ${what} output cannot hold; use --output-type binary, json or yaml`);
  }
}

/** {@link emitTrees} as bytes: binary output is the raw `data` bytes, which need not be UTF-8. */
export function emitTreesBytes(name: FormatName, trees: readonly TreeNode[], indent?: number): Uint8Array {
  return name === "binary" ? emitBinaryTreesBytes(trees) : Buffer.from(emitTrees(name, trees, indent), "utf8");
}

/** A document's output bytes ({@link FormatDocument.toBytes}, else its text as UTF-8). */
export function documentBytes(doc: FormatDocument): Uint8Array {
  return doc.toBytes ? doc.toBytes() : Buffer.from(doc.toString(), "utf8");
}

/**
 * Parses input in a format: bytes go to the format's byte parser when it has one (binary keeps
 * every byte), else they are read as UTF-8.
 */
export function parseInput(data: string | Uint8Array, name: FormatName, options: FormatOptions = {}): FormatDocument {
  const f = getFormat(name);
  if (typeof data === "string") return f.parse(data, options);
  if (f.parseBytes) return f.parseBytes(data, options);
  return f.parse(utf8(data), options);
}

/** Bytes as UTF-8 text (invalid sequences become U+FFFD). */
export function utf8(data: Uint8Array): string {
  return (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)).toString("utf8");
}

export type { Format, FormatDocument } from "./format.js";
export type { FormatName, TreeNode, TreeMap, TreeCell } from "../model/tree.js";
