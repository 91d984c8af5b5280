/**
 * What the CST walker (cst.ts) is given: a text already read into the yaml package's token shapes
 * ({@link ParsedCst}) and the {@link Dialect} that types and renders scalars for YAML or JSON.
 */
import type { CST } from "yaml";
import type { HushError } from "../errors.js";
import type { MetadataBlock } from "../model/metadata.js";
import type { FormatName } from "../model/tree.js";
import type { PlainValue } from "../model/value.js";

type Token = CST.Token;
type ScalarToken = CST.FlowScalar | CST.BlockScalar;

/**
 * The deepest nesting of maps and lists hush reads in YAML and JSON. sops's parsers stop at 10,000
 * (yaml.v3's `max_indents`, encoding/json's `maxNestingDepth`); here the yaml package's Composer
 * recurses a few frames per level and overflows the stack at ~1,400, so the limit sits well below
 * that, far above any real configuration.
 */
export const MAX_DEPTH = 500;

/** Where a scalar sits, which decides how a new value may be written there. */
export interface ScalarContext {
  /** Inside `[...]`/`{...}`: block scalars are impossible, flow indicators need quoting. */
  readonly inFlow: boolean;
  /** Column of the key (map value) or of the `-` (list item) that owns the scalar. */
  readonly ownerCol: number;
  /** The document's indentation step (for the body of a block scalar). */
  readonly step: number;
}

/** A rendered scalar: a flow scalar token type with its source, or a block scalar. */
export type RenderedScalar =
  | { readonly kind: "flow"; readonly type: CST.FlowScalar["type"]; readonly source: string }
  | { readonly kind: "block"; readonly header: string; readonly body: string };

/** What differs between YAML and JSON. */
export interface Dialect {
  readonly name: FormatName;
  /** Types an untagged scalar; null for a null value (not a leaf). */
  typeScalar(token: ScalarToken, resolved: string, tag: string | undefined): PlainValue | null;
  /** Renders a value (plaintext or an `ENC[...]` str) for the given place. */
  render(value: PlainValue, ctx: ScalarContext): RenderedScalar;
  /** Text of the `sops` block to append (YAML) or insert (JSON); see `CstDocument.toString`. */
  metadataText(meta: MetadataBlock, step: number): string;
}

/**
 * A text read into the yaml package's CST token shapes, by the package itself (cst-parse.ts) or
 * by the fast reader for plain configuration files (yaml-fast.ts), which never loads it.
 */
export interface ParsedCst {
  readonly tokens: Token[];
  /** The first document's `sops` block as plain JS, or why it cannot be read. */
  readonly raw: { readonly value: unknown } | { readonly error: HushError };
  /** A scalar token's value, as the yaml package's `CST.resolveAsScalar`. */
  resolve(token: ScalarToken): { value: string } | null;
  /** A token's text, as the yaml package's `CST.stringify`. */
  stringify(token: Token): string;
}
