/**
 * Token-level helpers for the CST document (cst.ts): what kind a token is, tags that can be
 * dropped, writing a rendered scalar into a token in place, and placing the `sops` member.
 */
import type { CST } from "yaml";
import { HushError } from "../errors.js";
import type { RenderedScalar } from "./cst-dialect.js";

type Token = CST.Token;
type SourceToken = CST.SourceToken;
/** A scalar token of any style. */
export type ScalarToken = CST.FlowScalar | CST.BlockScalar;
type Item = CST.CollectionItem;

/** True for a scalar token of any style (plain, quoted, block). */
export function isScalar(t: Token): t is ScalarToken {
  return t.type === "scalar" || t.type === "single-quoted-scalar" || t.type === "double-quoted-scalar" || t.type === "block-scalar";
}

/** True for the empty plain scalar the parser gives `key:` or an empty document. */
export function isEmptyValue(t: Token): boolean {
  return t.type === "scalar" && t.source === "";
}

/** A tag token where it sits (a key's separator, a list item's start, a block scalar's props). */
export interface TagRef {
  readonly source: string;
  /** Removes the tag and the space after it. */
  drop(): void;
}

export function tagRef(tokens: SourceToken[], i: number): TagRef {
  const t = tokens[i]!;
  return {
    source: t.source,
    drop() {
      const next = tokens[i + 1];
      if (next?.type === "space") next.source = "";
      t.source = "";
    },
  };
}

/** Writes a rendered scalar into a token in place (after `yaml`'s own `setScalarValue`). */
export function writeScalar(token: CST.FlowScalar | CST.BlockScalar, r: RenderedScalar): void {
  const tok = token as unknown as Record<string, unknown> & { type: string; offset: number };
  if (r.kind === "flow") {
    if (tok.type === "block-scalar") {
      const props = tok["props"] as SourceToken[];
      const end = props.slice(1);
      delete tok["props"];
      Object.assign(tok, { type: r.type, source: r.source, end });
    } else {
      tok.type = r.type;
      tok["source"] = r.source;
    }
    return;
  }
  const body = r.body.endsWith("\n") ? r.body : `${r.body}\n`;
  if (tok.type === "block-scalar") {
    const props = tok["props"] as SourceToken[];
    props[0]!.source = r.header;
    tok["source"] = body;
    return;
  }
  const indent = typeof tok["indent"] === "number" ? (tok["indent"] as number) : -1;
  const props: SourceToken[] = [{ type: "block-scalar-header", offset: tok.offset, indent, source: r.header }];
  // The token's trailing newline becomes the header's line end; later tokens (comments on later
  // lines) cannot follow a block scalar body in a flow scalar's `end`, so keep them after it.
  const end = (tok["end"] as SourceToken[] | undefined) ?? [];
  const nl = end.findIndex((t) => t.type === "newline");
  const before = nl === -1 ? end : end.slice(0, nl);
  for (const t of before) if (t.type === "space" || t.type === "comment") props.push(t);
  props.push({ type: "newline", offset: -1, indent, source: "\n" });
  const rest = nl === -1 ? [] : end.slice(nl + 1);
  for (const k of Object.keys(tok)) if (k !== "type" && k !== "offset") delete tok[k];
  Object.assign(tok, { type: "block-scalar", indent, props, source: body + rest.map((t) => t.source).join("") });
}

/** Moves whitespace that followed a removed flow item's value onto the item before it. */
export function moveTrailing(removed: Item, prev: Item | undefined): void {
  const v = removed.value as (Token & { end?: SourceToken[] }) | undefined;
  if (!v || !prev?.value) return;
  const end = v.end ?? [];
  const closer = v.type === "flow-collection" ? 1 : 0;
  const trailing = end.slice(closer).filter((t) => t.type === "newline" || t.type === "space");
  if (trailing.length === 0) return;
  const pv = prev.value as Token & { end?: SourceToken[] };
  if (pv.type !== "block-scalar") pv.end = [...(pv.end ?? []), ...trailing];
}

/** Inserts `"sops": …` as the last member of the top-level JSON object. */
export function insertJsonMember(text: string, member: string, hasMembers: boolean): string {
  const close = text.lastIndexOf("}");
  if (close === -1) throw new HushError("PARSE", "JSON document has no top-level object");
  let p = close;
  while (p > 0 && /\s/.test(text[p - 1]!)) p--;
  const ws = text.slice(p, close);
  return `${text.slice(0, p)}${hasMembers ? "," : ""}${member}${ws}${text.slice(close)}`;
}
