/**
 * Layout that rewriting a YAML or JSON document keeps (cst.ts): the file's line ends, the style and
 * indentation of a block scalar that gets a new value, and the block layout sops gives a document
 * whose top level is a flow mapping once it carries a `sops` block.
 */
import type { CST } from "yaml";
import type { PlainValue } from "../model/value.js";
import type { RenderedScalar } from "./cst-dialect.js";

// ---- line ends ---------------------------------------------------------------------------------

/** True when the text has line breaks and every one is CRLF (a mixed file is left as it is). */
export function isCrlf(text: string): boolean {
  const nl = text.indexOf("\n");
  return nl > 0 && text[nl - 1] === "\r" && !/(^|[^\r])\n/.test(text);
}

/** Every line break as CRLF (text hush generated has `\n` only; YAML reads both the same). */
export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

// ---- block scalars -----------------------------------------------------------------------------

/** How a block scalar was written: `|` or `>`, and the column of its body. */
export interface BlockStyle {
  readonly style: "|" | ">";
  readonly bodyCol: number;
}

/**
 * The style of a block scalar token, or undefined when its body column is not known from the text
 * (no content line) or is fixed by an indentation indicator relative to something else.
 */
export function blockStyleOf(token: CST.BlockScalar): BlockStyle | undefined {
  const header = (token.props.find((p) => p.type === "block-scalar-header") as CST.SourceToken | undefined)?.source ?? "";
  const style = header[0];
  if (style !== "|" && style !== ">") return undefined;
  const m = /^( *)[^ \r\n]/m.exec(token.source);
  if (!m) return undefined;
  return { style, bodyCol: m[1]!.length };
}

const ENC_RE = /^ENC\[AES256_GCM,/;

/**
 * A new string value for a scalar that was a block scalar, written in that block's style (`|` or
 * `>`) at its body column, with the chomping indicator its trailing newlines need, when that
 * style can hold it; otherwise `rendered` (yaml.v3's choice). An `ENC[...]` value is always
 * `rendered`: sops writes it as a plain scalar.
 *
 * @param rendered what yaml.v3 would write for the value here
 * @param ownerCol the column of the key (an indentation indicator is relative to it)
 */
export function restyleBlock(text: string, was: BlockStyle, rendered: RenderedScalar, ownerCol: number): RenderedScalar {
  if (ENC_RE.test(text) || was.bodyCol <= ownerCol) return rendered;
  // Only what a literal block can hold: the renderer chose literal, or the value is one printable
  // line with no space at either end (a plain scalar for yaml.v3, a `|-` block as written).
  const literalOk = rendered.kind === "block" || (text !== "" && !/[\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(text) && !/^\s|\s$/.test(text));
  if (!literalOk) return rendered;
  const trailing = /\n*$/.exec(text)![0].length;
  const content = text.slice(0, text.length - trailing);
  if (content === "") return rendered;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  const pad = " ".repeat(was.bodyCol);
  if (was.style === ">") {
    const folded = foldedBody(content, pad);
    if (folded !== undefined) return { kind: "block", header: `>${chomp}`, body: folded + "\n".repeat(Math.max(trailing - 1, 0)) };
  }
  // Literal: the content as it is, each line at the body column; an indicator when it starts
  // with a space or a line break.
  if (content.startsWith(" ") || content.startsWith("\n")) {
    const ind = was.bodyCol - ownerCol;
    if (ind < 1 || ind > 9) return rendered;
    return { kind: "block", header: `|${ind}${chomp}`, body: indentLines(content, pad) + "\n".repeat(Math.max(trailing - 1, 0)) };
  }
  return { kind: "block", header: `|${chomp}`, body: indentLines(content, pad) + "\n".repeat(Math.max(trailing - 1, 0)) };
}

function indentLines(content: string, pad: string): string {
  return (
    content
      .split("\n")
      .map((l) => (l === "" ? "" : pad + l))
      .join("\n") + "\n"
  );
}

/**
 * A folded block body for `content`, or undefined when folding cannot hold it as it is: a line
 * starting with a space or tab (a "more indented" line keeps its breaks differently) or a leading
 * line break. Between text lines, a run of n line breaks in the value is n + 1 breaks in the
 * body (a single break folds into a space).
 */
function foldedBody(content: string, pad: string): string | undefined {
  if (content === "" || /(^|\n)[ \t]/.test(content) || content.startsWith("\n")) return undefined;
  return indentLines(content.replace(/\n+/g, (run) => `\n${run}`), pad);
}

// ---- a top-level flow mapping as a block mapping ------------------------------------------------

/** What {@link flowRootAsBlock} needs from the document. */
export interface FlowRootContext {
  stringify(token: CST.Token): string;
  /** The key's text (throws on keys the walker refuses). */
  keyOf(key: CST.Token): string;
  /** The current value of a top-level key (after encryption: its ENC[...] string). */
  valueAt(key: string): PlainValue | null | undefined;
  /** yaml.v3's text for a value in block context at the top level. */
  render(value: PlainValue): RenderedScalar;
  readonly step: number;
}

/** One top-level entry moved to block style: its comments, then its line. */
interface FlowEntry {
  readonly comments: readonly string[];
  readonly line?: string;
}

type SourceToken = CST.SourceToken;

function commentsOf(ts: readonly CST.Token[] | undefined): string[] {
  return (ts ?? []).filter((t): t is SourceToken => t.type === "comment").map((t) => t.source);
}

/**
 * A document whose top level is a flow mapping (`{a: 1, b: [2]}`), as block-mapping text: one
 * `key: value` line per entry (an `ENC[...]` value plain, as sops writes it; other scalars and
 * nested flow collections as written, continuation lines indented by the step), comments on their
 * own lines, `skip` (the old `sops` entry) left out. sops writes such a file in block style, and
 * tools look for its `mac: ENC[` line (Flux's kustomize-controller). Undefined when an entry is too
 * unusual to move (anchors, tags, aliases, multi-line keys or scalars) or there is no entry.
 */
export function flowRootAsBlock(doc: CST.Document, root: CST.FlowCollection, skip: CST.CollectionItem | undefined, ctx: FlowRootContext): string | undefined {
  const entries: FlowEntry[] = [];
  const isProp = (t: CST.Token) => t.type === "anchor" || t.type === "tag";
  for (const item of root.items) {
    if (item === skip) continue;
    const sep = item.sep ?? [];
    if (sep.some(isProp) || item.start.some(isProp)) return undefined;
    const comments = [...commentsOf(item.start), ...commentsOf(sep)];
    if (!item.key) {
      if (item.value) return undefined;
      entries.push({ comments });
      continue;
    }
    const key = item.key;
    if ((key.type !== "scalar" && key.type !== "single-quoted-scalar" && key.type !== "double-quoted-scalar") || /[\r\n]/.test(key.source)) return undefined;
    const v = item.value;
    let value = "";
    if (v && (v.type === "scalar" || v.type === "single-quoted-scalar" || v.type === "double-quoted-scalar")) {
      comments.push(...commentsOf(v.end));
      const typed = ctx.valueAt(ctx.keyOf(key));
      if (typed && typed.type === "str" && typed.text.startsWith("ENC[")) {
        const r = ctx.render(typed);
        if (r.kind !== "flow") return undefined;
        value = r.source;
      } else if (!/[\r\n]/.test(v.source)) {
        value = v.source;
      } else return undefined;
    } else if (v?.type === "flow-collection") {
      value = ctx.stringify(v).trimEnd().replace(/\r?\n/g, `\n${" ".repeat(ctx.step)}`);
    } else if (v) return undefined;
    entries.push({ comments, line: value === "" ? `${key.source}:` : `${key.source}: ${value}` });
  }
  // `{}` stays `{sops: …}`: as a block it would decrypt to an empty text, not to `{}`.
  if (!entries.some((e) => e.line !== undefined)) return undefined;
  let out = doc.start.map((t) => t.source).join("");
  for (const e of entries) {
    for (const c of e.comments) out += `${c}\n`;
    if (e.line !== undefined) out += `${e.line}\n`;
  }
  for (const c of [...commentsOf(root.end), ...commentsOf(doc.end)]) out += `${c}\n`;
  return out;
}
