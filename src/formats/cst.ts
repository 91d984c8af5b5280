/**
 * YAML and JSON documents edited through the `yaml` package's lossless CST: the walker finds every
 * leaf with its sops path, and rewriting a leaf replaces only that scalar's bytes. JSON is parsed
 * as YAML flow syntax (after a strict JSON check), so both formats share this file.
 */
import type { CST } from "yaml";
import { HushError } from "../errors.js";
import type { PlainValue } from "../model/value.js";
import type { MetadataBlock } from "../model/metadata.js";
import type { Dialect, ParsedCst, ScalarContext } from "./cst-dialect.js";
import { jsonValue } from "./emit.js";
import { blockStyleOf, flowRootAsBlock, type BlockStyle, isCrlf, restyleBlock, toCrlf } from "./cst-layout.js";
import type { FormatDocument, Leaf } from "./format.js";
import type { FormatName, TreeCell, TreeMap, TreeNode } from "../model/tree.js";
import { checkAliasExpansion } from "./limits.js";
import { insertJsonMember, isEmptyValue, isScalar, moveTrailing, tagRef, writeScalar, type ScalarToken, type TagRef } from "./cst-tokens.js";

type Token = CST.Token;
type SourceToken = CST.SourceToken;
type Item = CST.CollectionItem;

interface Container {
  readonly col: number;
  readonly path: readonly string[];
  readonly kind: "map" | "seq";
  /** sops's comment stack level for this container. */
  readonly level: string[];
}

interface DocInfo {
  readonly token: CST.Document;
  tree: TreeMap;
  /** The root map (block or flow), if the document is a map. */
  readonly root: CST.BlockMap | CST.FlowCollection | undefined;
  sopsItem: Item | undefined;
}

/** Parses and walks one YAML or JSON text. */
export class CstDocument implements FormatDocument {
  readonly format: FormatName;
  private readonly tokens: Token[];
  private readonly docs: DocInfo[] = [];
  private readonly leafList: Leaf[] = [];
  private readonly lineStarts: number[];
  /** The first document's `sops` block as plain JS (or why it cannot be read), see rawMetadata. */
  private readonly raw: { readonly value: unknown } | { readonly error: HushError };
  private readonly anchors = new Map<string, { token: Token; path: readonly string[] }>();
  /** Characters of anchored values copied by aliases so far, and how many aliases (limits.ts). */
  private expanded = 0;
  private aliasCount = 0;
  private trail: Container[] = [];
  private stack: Container[] = [];
  private rootLevel: string[] = [];
  private step = 0;
  /** Indentation seen in block scalar bodies and in the `sops` block, when no map shows one. */
  private blockStep = 0;
  private sopsStep = 0;
  private readonly crlf: boolean;
  private meta: MetadataBlock | undefined | null = null; // null: unchanged

  constructor(
    readonly text: string,
    private readonly dialect: Dialect,
    private readonly parsed: ParsedCst,
    indent?: number,
  ) {
    this.format = dialect.name;
    this.lineStarts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
    this.tokens = parsed.tokens;
    this.raw = parsed.raw;
    for (const t of this.tokens) {
      if (t.type === "document") this.walkDocument(t);
      else if (t.type === "comment") this.pendingTopComments.push(t);
    }
    // Evidence in order: nested maps, block scalar bodies, then the `sops` block (what this file's
    // writer used), else sops's 4. So a decrypted block is indented as the plaintext's were.
    this.step = indent && indent > 0 ? indent : this.step || this.blockStep || this.sopsStep || 4;
    this.crlf = isCrlf(text);
  }

  private pendingTopComments: SourceToken[] = [];

  get documentCount(): number {
    return this.docs.length;
  }

  leaves(): readonly Leaf[] {
    return this.leafList;
  }

  trees(): TreeMap[] {
    return this.docs.map((d) => d.tree);
  }

  rawMetadata(): unknown {
    if (this.docs.length === 0) return undefined;
    if ("error" in this.raw) throw this.raw.error;
    return this.raw.value;
  }

  setMetadata(meta: MetadataBlock | undefined): void {
    this.meta = meta;
  }

  /** The document's indentation step (detected, or the one given). */
  get indentStep(): number {
    return this.step;
  }

  toString(): string {
    let out = "";
    const metaText = this.meta ? this.dialect.metadataText(this.meta, this.step) : undefined;
    const removing = this.meta !== null;
    // By token, not docs.find per document: that was quadratic in the number of `---` documents.
    const infos = new Map<Token, DocInfo>(this.docs.map((d) => [d.token, d]));
    for (const t of this.tokens) {
      if (t.type !== "document") {
        out += this.parsed.stringify(t);
        continue;
      }
      const info = infos.get(t)!;
      out += this.stringifyDocument(info, removing, metaText);
    }
    // sops ≥ 3.10 ends JSON output with a newline, whatever the input had.
    if (this.dialect.name === "json" && !out.endsWith("\n")) out += "\n";
    // New text (values, the sops block) is generated with `\n`: a CRLF file stays CRLF.
    return this.crlf ? toCrlf(out) : out;
  }

  private stringifyDocument(info: DocInfo, removing: boolean, metaText: string | undefined): string {
    const root = info.root;
    const sops = info.sopsItem;
    let idx = -1;
    if (removing && root && sops) {
      idx = (root.items as Item[]).indexOf(sops);
      const items = root.items as Item[];
      items.splice(idx, 1, ...(root.type === "block-map" ? [{ start: sops.start }] : []));
      if (root.type === "flow-collection") moveTrailing(sops, root.items[idx - 1]);
    }
    let text = this.parsed.stringify(info.token);
    if (idx !== -1) (root!.items as Item[]).splice(idx, root!.type === "block-map" ? 1 : 0, sops!);
    if (metaText === undefined) return text;
    const hasMembers = root !== undefined && root.items.some((i) => i !== sops && (i.key || i.value));
    if (this.dialect.name === "json") return insertJsonMember(text, metaText, hasMembers);
    if (root?.type === "flow-collection") {
      // A YAML document written as a flow mapping (`{a: 1}`) becomes a block mapping, as sops
      // writes it (and Flux finds `mac: ENC[`); when an entry is too unusual to move (anchors,
      // tags, aliases, multi-line keys) the block goes in as a flow member instead.
      if (this.dialect.name === "yaml") {
        const block = this.flowRootAsBlock(info, root);
        if (block !== undefined) return block + metaText;
      }
      return insertJsonMember(text, `${hasMembers ? " " : ""}sops: ${jsonValue(this.meta!, "    ", 0)}`, hasMembers);
    }
    // YAML: the block goes last in every document (SOPS-FORMAT §10.2.4).
    if (root === undefined && info.token.value && !isEmptyValue(info.token.value)) {
      throw new HushError("PARSE", "a YAML document that is not a mapping cannot carry sops metadata");
    }
    // Trailing comments stay above the block, where sops puts them too.
    if (text.length > 0 && !text.endsWith("\n")) text += "\n";
    return text + metaText;
  }

  /** The document with its top-level flow mapping written as a block mapping (see above). */
  private flowRootAsBlock(info: DocInfo, root: CST.FlowCollection): string | undefined {
    return flowRootAsBlock(info.token, root, info.sopsItem, {
      stringify: (t) => this.parsed.stringify(t),
      keyOf: (k) => this.keyOf(k),
      valueAt: (key) => {
        const cell = info.tree.get(key);
        return cell && !(cell instanceof Map) && !Array.isArray(cell) ? cell.value : undefined;
      },
      render: (v) => this.dialect.render(v, { inFlow: false, ownerCol: 0, step: this.step }),
      step: this.step,
    });
  }

  // ---- positions ---------------------------------------------------------------------------

  private col(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return offset - this.lineStarts[lo]!;
  }

  // ---- walking ------------------------------------------------------------------------------

  private walkDocument(doc: CST.Document): void {
    const value = doc.value;
    const root = value && (value.type === "block-map" || (value.type === "flow-collection" && value.start.source === "{")) ? value : undefined;
    const info: DocInfo = { token: doc, root, sopsItem: undefined, tree: new Map() };
    this.docs.push(info);
    if (value && !root && !isEmptyValue(value)) {
      const what = value.type === "block-seq" || value.type === "flow-collection" ? "sequences" : "values";
      throw new HushError("PARSE", `${this.dialect.name === "json" ? "JSON documents that are not objects" : `YAML documents that are ${what}`} are not supported`);
    }
    this.rootLevel = [];
    this.trail = [];
    this.stack = [];
    const rootContainer: Container = { col: 0, path: [], kind: "map", level: this.rootLevel };
    this.trail = [rootContainer];
    this.stack = [rootContainer];
    for (const c of this.pendingTopComments) this.comment(c, [rootContainer]);
    this.pendingTopComments = [];
    for (const t of doc.start) if (t.type === "comment") this.comment(t, this.trail);
    if (root) info.tree = this.walkMap(root, [], info, true);
    for (const t of doc.end ?? []) if (t.type === "comment") this.comment(t, this.trail);
  }

  private enter(kind: "map" | "seq", col: number, path: readonly string[], flow: boolean): Container {
    const c: Container = { col, path, kind, level: [] };
    const parent = this.stack[this.stack.length - 1];
    // The indentation step is what a key's nested block adds; a list item's map sits at dash + 2.
    // A flow collection's column says nothing about indentation.
    if (!flow && parent && parent.kind === "map" && col > parent.col && (this.step === 0 || col - parent.col < this.step)) {
      this.step = col - parent.col;
    }
    this.stack.push(c);
    this.trail = [...this.stack];
    return c;
  }

  private leave(): void {
    this.stack.pop();
  }

  private walkMap(
    map: CST.BlockMap | CST.FlowCollection,
    path: readonly string[],
    info: DocInfo | undefined,
    isRoot: boolean,
    pending: SourceToken[] = [],
  ): TreeMap {
    const node: TreeMap = new Map();
    const inFlow = map.type === "flow-collection";
    const firstKey = map.items.find((i) => i.key)?.key;
    const col = firstKey ? this.col(firstKey.offset) : this.col(map.offset);
    const c = isRoot ? this.stack[0]! : this.enter("map", col, path, inFlow);
    if (isRoot && firstKey) (c as { col: number }).col = col;
    for (const t of pending) this.comment(t, this.trail, c);
    // sops checks duplicate keys in YAML's first document only, and not in JSON (SOPS-FORMAT §14-Q11).
    const keys = this.dialect.name === "yaml" && this.docs.length === 1 ? new Set<string>() : undefined;
    for (const item of map.items) {
      if (!item.key && !item.value) {
        for (const t of item.start) if (t.type === "comment") this.comment(t, this.trail);
        continue;
      }
      for (const t of item.start) {
        if (t.type === "comment") this.comment(t, this.trail);
        else if (t.type === "explicit-key-ind") throw new HushError("PARSE", "complex YAML keys (`? key`) are not supported");
      }
      const key = this.keyOf(item.key);
      if (keys) {
        if (keys.has(key)) {
          const at = item.key!.offset;
          throw new HushError("PARSE", `invalid YAML at line ${this.lineOf(at)}, column ${this.col(at) + 1}: duplicate mapping key`);
        }
        keys.add(key);
      }
      if (isRoot && key === "sops") {
        const first = item.value?.type === "block-map" ? item.value.items.find((i) => i.key)?.key : undefined;
        if (first && this.sopsStep === 0) this.sopsStep = this.col(first.offset) - col;
        // Not walked, but its keys must be unique too (the Composer used to check them).
        if (keys && item.value) this.checkUniqueKeys(item.value);
        if (info && info.sopsItem === undefined) info.sopsItem = item;
        else if (info) info.sopsItem = info.sopsItem; // duplicates in later documents are ignored
        continue;
      }
      const childPath = [...path, key];
      const { anchor, tag, comments: sepComments, childComments } = this.scanSep(item.sep ?? [], item.key ? this.col(item.key.offset) : col);
      for (const t of sepComments) this.comment(t, this.trail, c);
      const child = this.value(item.value, childPath, c, {
        inFlow,
        ownerCol: item.key ? this.col(item.key.offset) : col,
        step: 0,
      }, anchor, childComments, tag);
      if (!node.has(key)) node.set(key, child);
      c.level.length = 0; // a non-comment item clears its level once walked (sops `walkBranch`)
    }
    if (inFlow) for (const t of (map as CST.FlowCollection).end) if (t.type === "comment") this.comment(t, this.trail);
    if (!isRoot) this.leave();
    return node;
  }

  private walkSeq(seq: CST.BlockSequence | CST.FlowCollection, path: readonly string[], pending: SourceToken[] = []): TreeNode[] {
    const node: TreeNode[] = [];
    const inFlow = seq.type === "flow-collection";
    const c = this.enter("seq", this.col(seq.offset), path, inFlow);
    for (const t of pending) this.comment(t, this.trail, c);
    for (const item of seq.items) {
      let anchor: string | undefined;
      let tag: TagRef | undefined;
      let dashCol = c.col;
      for (const [i, t] of item.start.entries()) {
        if (t.type === "comment") this.comment(t, this.trail);
        else if (t.type === "anchor") anchor = t.source.slice(1);
        else if (t.type === "tag") tag = tagRef(item.start, i);
        else if (t.type === "seq-item-ind") dashCol = this.col(t.offset);
      }
      if (item.key) throw new HushError("PARSE", "flow mappings with implicit keys inside lists are not supported");
      if (!item.value) {
        node.push({ value: null });
        continue;
      }
      node.push(this.value(item.value, path, c, { inFlow, ownerCol: dashCol, step: 0 }, anchor, [], tag));
      c.level.length = 0;
    }
    if (inFlow) for (const t of (seq as CST.FlowCollection).end) if (t.type === "comment") this.comment(t, this.trail);
    this.leave();
    return node;
  }

  /** Duplicate keys anywhere under `token` (the `sops` block, which the walk skips) are an error. */
  private checkUniqueKeys(token: Token): void {
    const todo: Token[] = [token];
    for (let t = todo.pop(); t; t = todo.pop()) {
      if (t.type !== "block-map" && t.type !== "block-seq" && t.type !== "flow-collection") continue;
      const seen = t.type === "block-seq" || (t.type === "flow-collection" && t.start.source === "[") ? undefined : new Set<string>();
      for (const item of t.items as Item[]) {
        if (item.value) todo.push(item.value);
        if (!seen || !item.key || !isScalar(item.key)) continue;
        const k = this.parsed.resolve(item.key)?.value;
        if (k === undefined) continue;
        if (seen.has(k)) {
          throw new HushError("PARSE", `invalid YAML at line ${this.lineOf(item.key.offset)}, column ${this.col(item.key.offset) + 1}: duplicate mapping key`);
        }
        seen.add(k);
      }
    }
  }

  /** Splits a key's separator tokens: anchors, comments on the key's line, comments below it. */
  private scanSep(sep: SourceToken[], keyCol: number): { anchor?: string; tag?: TagRef; comments: SourceToken[]; childComments: SourceToken[] } {
    let anchor: string | undefined;
    let tag: TagRef | undefined;
    let sawNewline = false;
    const comments: SourceToken[] = [];
    const childComments: SourceToken[] = [];
    for (const [i, t] of sep.entries()) {
      if (t.type === "newline") sawNewline = true;
      else if (t.type === "anchor") anchor = t.source.slice(1);
      else if (t.type === "tag") tag = tagRef(sep, i);
      else if (t.type === "comment") {
        // `b: # c` is a comment before `b` in sops's tree; a comment on the following lines,
        // indented deeper than the key, is the head comment of the first nested key.
        if (sawNewline && this.col(t.offset) > keyCol) childComments.push(t);
        else comments.push(t);
      }
    }
    return { ...(anchor === undefined ? {} : { anchor }), ...(tag === undefined ? {} : { tag }), comments, childComments };
  }

  private keyOf(key: Token | null | undefined): string {
    if (!key) throw new HushError("PARSE", "a mapping entry has no key");
    if (key.type === "alias") throw new HushError("PARSE", "aliases as mapping keys are not supported");
    if (!isScalar(key)) throw new HushError("PARSE", "only string keys are supported (found a collection as a key)");
    const r = this.resolve(key);
    if (!r) throw new HushError("PARSE", "unreadable mapping key");
    if (key.type === "scalar") {
      const typed = this.dialect.typeScalar(key, r.value, undefined);
      if (typed === null || typed.type !== "str") {
        throw new HushError("PARSE", `only string keys are supported (line ${this.lineOf(key.offset)} has a ${typed === null ? "null" : typed.type} key)`);
      }
    }
    return r.value;
  }

  /**
   * A scalar's value. JSON strings go through JSON.parse: the yaml package resolves a
   * double-quoted scalar one character at a time, which leaves a rope of ~30 bytes per character
   * in memory (the tree of a 100k-value JSON file took 500 MB). The text passed the strict JSON
   * check, so each such token is a JSON string literal.
   */
  private resolve(token: ScalarToken): { value: string } | null {
    if (this.dialect.name === "json" && token.type === "double-quoted-scalar") {
      try {
        const v: unknown = JSON.parse(token.source);
        if (typeof v === "string") return { value: v };
      } catch {
        // not a JSON string after all: let the yaml package read it
      }
    }
    return this.parsed.resolve(token);
  }

  private lineOf(offset: number): number {
    let n = 0;
    while (n + 1 < this.lineStarts.length && this.lineStarts[n + 1]! <= offset) n++;
    return n + 1;
  }

  private value(
    token: Token | undefined,
    path: readonly string[],
    owner: Container,
    ctx: ScalarContext,
    anchor: string | undefined,
    childComments: SourceToken[],
    tag?: TagRef,
  ): TreeNode {
    if (!token) return { value: null }; // `key:` with nothing: null
    if (token.type === "block-scalar") {
      for (const [i, p] of token.props.entries()) {
        if (p.type === "anchor") anchor = p.source.slice(1);
        else if (p.type === "tag") tag = tagRef(token.props as SourceToken[], i);
      }
    }
    if (anchor !== undefined) this.anchors.set(anchor, { token, path });
    switch (token.type) {
      case "block-map":
        return this.walkMap(token, path, undefined, false, childComments);
      case "block-seq":
        return this.walkSeq(token, path, childComments);
      case "flow-collection":
        return token.start.source === "{" ? this.walkMap(token, path, undefined, false, childComments) : this.walkSeq(token, path, childComments);
      case "alias":
        return this.alias(token, path, owner, ctx);
      case "scalar":
      case "single-quoted-scalar":
      case "double-quoted-scalar":
      case "block-scalar": {
        for (const t of childComments) this.comment(t, this.trail, owner);
        // An inline comment (`a: 1 # c`) comes before its value in sops's tree.
        const end = token.type === "block-scalar" ? [] : token.end ?? [];
        let sawNewline = false;
        const after: SourceToken[] = [];
        for (const t of end) {
          if (t.type === "newline") sawNewline = true;
          else if (t.type === "comment") {
            if (sawNewline) after.push(t);
            else this.comment(t, this.trail, owner);
          }
        }
        const cell = this.scalar(token, path, owner, ctx, tag);
        owner.level.length = 0;
        for (const t of after) this.comment(t, this.trail);
        return cell;
      }
      default:
        return { value: null };
    }
  }

  private scalar(token: ScalarToken, path: readonly string[], owner: Container, ctx: ScalarContext, tag: TagRef | undefined): TreeCell {
    const r = this.resolve(token);
    if (!r) throw new HushError("PARSE", `unreadable scalar at line ${this.lineOf(token.offset)}`);
    const typed = this.dialect.typeScalar(token, r.value, tag?.source);
    if (token.type === "block-scalar" && owner.kind === "map" && this.blockStep === 0) {
      // An indentation indicator (`|2`) is that step itself; else the body's column says it.
      const indicator = /\d/.exec((token.props[0] as SourceToken | undefined)?.source ?? "");
      const style = blockStyleOf(token);
      if (indicator) this.blockStep = Number(indicator[0]);
      else if (style && style.bodyCol > ctx.ownerCol) this.blockStep = style.bodyCol - ctx.ownerCol;
    }
    // A `!!binary` tag says how the text was written (base64), not what the value is: a new text
    // (an ENC[...] string, a decrypted value) goes without it, as sops writes it (its tree has no tags).
    return this.pushLeaf(token, typed, path, owner, ctx, tag?.source === "!!binary" ? tag : undefined);
  }

  private pushLeaf(token: ScalarToken, typed: PlainValue | null, path: readonly string[], owner: Container, ctx: ScalarContext, dropTag?: TagRef): TreeCell {
    const cell: TreeCell = { value: typed };
    if (typed === null) return cell;
    // A block scalar given a new string keeps its style and indentation (cst-layout.ts): the
    // style is read now, before any rewrite of the token.
    const block = token.type === "block-scalar" ? blockStyleOf(token) : undefined;
    this.leafList.push(new ValueLeaf(this, token, typed, path, this.stackComments(), owner.kind === "seq", ctx, cell, dropTag, block));
    return cell;
  }

  /** Rewrites a value leaf's token with `next` (ValueLeaf.set). */
  writeValue(token: ScalarToken, next: PlainValue, ctx: ScalarContext, dropTag: TagRef | undefined, block: BlockStyle | undefined): void {
    let r = this.dialect.render(next, { ...ctx, step: this.step });
    if (block && next.type === "str" && !next.bytes && !ctx.inFlow) r = restyleBlock(next.text, block, r, ctx.ownerCol);
    writeScalar(token, r);
    dropTag?.drop();
  }

  private alias(token: CST.FlowScalar, path: readonly string[], owner: Container, ctx: ScalarContext): TreeNode {
    const name = token.source.slice(1);
    const target = this.anchors.get(name);
    if (!target) throw new HushError("PARSE", `unknown YAML alias *${name}`);
    if (!isScalar(target.token)) {
      throw new HushError(
        "PARSE",
        `the YAML alias *${name} refers to a mapping or list; sops expands aliases, which gives every copy its own ciphertext: write the copy out (or use a scalar alias)`,
      );
    }
    // sops expands aliases: the copy is a value of its own, at its own path. Counted: a short
    // `*x` can stand for a long value, many times over (an alias bomb).
    this.expanded += target.token.source.length;
    checkAliasExpansion(this.expanded, ++this.aliasCount, "YAML");
    const r = this.parsed.resolve(target.token);
    const typed = r ? this.dialect.typeScalar(target.token, r.value, undefined) : null;
    return this.pushLeaf(token, typed, path, owner, ctx);
  }

  /** The comments on the stack; one shared empty list when there are none (the common case). */
  private stackComments(): readonly string[] {
    let out: string[] | undefined;
    for (const c of this.stack) if (c.level.length > 0) (out ??= []).push(...c.level);
    return out ?? NO_COMMENTS;
  }

  /**
   * Records a comment leaf. Its sops path is the container it belongs to: `owner` when given,
   * else the deepest container on the trail whose column is at or left of the comment's.
   */
  private comment(token: SourceToken, trail: readonly Container[], owner?: Container): void {
    const col = this.col(token.offset);
    let home = owner;
    if (!home) {
      for (let i = trail.length - 1; i >= 0; i--) {
        if (trail[i]!.col <= col) {
          home = trail[i]!;
          break;
        }
      }
      home ??= trail[0] ?? { col: 0, path: [], kind: "map", level: this.rootLevel };
    }
    const text = token.source.slice(1);
    home.level.push(text);
    const alt = trail.filter((c) => c !== home).map((c) => c.path).reverse();
    if (home.path.length > 0) alt.push([]);
    this.leafList.push({
      path: home.path,
      kind: "comment",
      value: { type: "comment", text },
      altPaths: alt,
      commentStack: this.stack.includes(home) ? this.stackComments() : [...this.stackComments(), text],
      inList: home.kind === "seq",
      set(next: PlainValue) {
        // A decrypted comment is one line; never let one inject YAML.
        token.source = `#${next.text.replace(/\r?\n|\r/g, " ")}`;
      },
    });
  }
}

const NO_COMMENTS: readonly string[] = Object.freeze([]);

/**
 * A value leaf. A class rather than an object with a `set` closure: one object per value instead
 * of three (object, closure, its context), which showed in the memory of 100k-value files.
 */
class ValueLeaf implements Leaf {
  readonly kind = "value";
  constructor(
    private readonly doc: CstDocument,
    private readonly token: ScalarToken,
    readonly value: PlainValue,
    readonly path: readonly string[],
    readonly commentStack: readonly string[],
    readonly inList: boolean,
    private readonly ctx: ScalarContext,
    private readonly cell: TreeCell,
    private readonly dropTag: TagRef | undefined,
    private readonly block: BlockStyle | undefined,
  ) {}

  set(next: PlainValue): void {
    this.doc.writeValue(this.token, next, this.ctx, this.dropTag, this.block);
    this.cell.value = next;
  }
}
