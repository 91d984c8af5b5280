/**
 * Whole operations on encrypted files that the CLI, the git drivers and the team commands share:
 * encrypting a new file as `.sops.yaml` (or the key flags) says, `encrypt --reuse`, and `set` /
 * `unset` of values. Each one holds the data key it needs and zero-fills it in its own `finally`;
 * none returns it.
 */
import { HushError } from "../errors.js";
import { encryptionOptions, encryptionSettings, type EncryptionOptions, type EncryptionRequest } from "../config/index.js";
import { formatTreePath, type TreePath } from "../model/tree-path.js";
import type { Metadata } from "../model/metadata.js";
import type { FormatName, TreeNode } from "../model/tree.js";
import { parseSetValue, setAtPath, unsetAtPath } from "../formats/cst-edit.js";
import { setFlatValue, unsetFlatValue } from "../formats/flat-edit.js";
import type { Keyring } from "../keys/registry.js";
import { decryptHeld, encryptText, parseDocument, type EncryptTextResult } from "./files.js";
import { rewriteText, type RewriteResult } from "./rewrite.js";
import { generateValue, specLike, type GenerateSpec } from "./generate.js";
import { findPath, pathLabel } from "./plain.js";
import { authorizeRewrap, ruleFor } from "./recipients.js";

/**
 * What a new file is encrypted with, worked out before there is anything to encrypt (so that `edit`
 * of a new file reports a config problem before it opens the editor). Opaque apart from
 * {@link EncryptionPlan.indent}.
 */
export interface EncryptionPlan {
  /** The format the encrypted file is written in. */
  readonly format: FormatName;
  /** The indentation for text generated in {@link format} (`--indent`, else `stores:`). */
  readonly indent: number | undefined;
  /** @internal the recipients and settings, built. */
  readonly options: EncryptionOptions;
}

/** {@link planEncryption}'s request: the command line's part plus the output format. */
export interface PlanRequest extends EncryptionRequest {
  /** The format the file is written in (its output format). */
  format: FormatName;
  /** `--indent`; else the config's `stores:` setting for {@link format}. */
  indent?: number | undefined;
}

/**
 * Combines the key flags, the selection options and the matching `.sops.yaml` creation rule (sops's
 * precedence, see `encryptionSettings`) and builds the recipients.
 */
export async function planEncryption(request: PlanRequest): Promise<EncryptionPlan> {
  const { format, indent, ...req } = request;
  const settings = await encryptionSettings(req);
  const options = await encryptionOptions(settings, format, req.env ?? process.env, indent);
  return { format, indent: options.indent, options };
}

/**
 * Encrypts plaintext `data` (bytes for binary content) in `inputFormat` with a plan; the result is
 * in the plan's format (converted when they differ, as `--output-type` does).
 */
export async function encryptPlanned(data: string | Uint8Array, plan: EncryptionPlan, inputFormat: FormatName = plan.format): Promise<EncryptTextResult> {
  return encryptText(data, { format: inputFormat, outputFormat: plan.format, ...plan.options });
}

/**
 * Encrypts a new file as `.sops.yaml` (or the key flags in `request`) says: the one path used by
 * `encrypt`, `edit` of a new file and `import` into a new file.
 */
export async function encryptAsConfigured(
  data: string | Uint8Array,
  request: PlanRequest & { inputFormat?: FormatName },
): Promise<EncryptTextResult> {
  const { inputFormat, ...plan } = request;
  return encryptPlanned(data, await planEncryption(plan), inputFormat ?? request.format);
}

/** Options of {@link encryptReusing}. */
export interface ReuseOptions {
  /** The plaintext's format. */
  format: FormatName;
  /** The result's format (the plaintext's by default). */
  outputFormat?: FormatName;
  /** The previous encrypted file's format. */
  previousFormat: FormatName;
  indent?: number;
  keyring?: Keyring;
  env?: NodeJS.ProcessEnv;
  /** The file being written (its `.sops.yaml` rule decides which of PREVIOUS's recipients are kept). */
  path?: string;
  /** `--config`. */
  configPath?: string;
  /** Receives the "unauthenticated recipients" warning when no rule applies. */
  warn?: (message: string) => void;
}

/**
 * `encrypt --reuse PREVIOUS`: encrypts `data` with PREVIOUS's data key, recipients and rules,
 * copying the ciphertext of every value whose path, type and plaintext are unchanged (stable
 * ciphertext for a decrypt → edit → encrypt workflow). Recipients change with updatekeys or rotate.
 */
export async function encryptReusing(data: string | Uint8Array, previous: string | Uint8Array, opts: ReuseOptions): Promise<{ text: string; metadata: Metadata }> {
  const prev = await decryptHeld(previous, {
    format: opts.previousFormat,
    ...(opts.keyring ? { keyring: opts.keyring } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  try {
    const m = prev.metadata;
    // PREVIOUS's recipients are outside its MAC: only those the .sops.yaml rule names are kept.
    const rule = await ruleFor(opts.path, { ...(opts.configPath ? { configPath: opts.configPath } : {}), ...(opts.env ? { env: opts.env } : {}) });
    const allowed = await authorizeRewrap(m.keyGroups, {
      ruleGroups: rule?.groups,
      ...(rule ? { ruleName: rule.name } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.warn ? { warn: opts.warn } : {}),
    });
    return await encryptText(data, {
      format: opts.format,
      ...(opts.outputFormat ? { outputFormat: opts.outputFormat } : {}),
      groups: [],
      dataKey: prev.dataKey,
      stash: prev.stash,
      wrappedKeys: allowed.groups,
      rules: m.rules,
      macOnlyEncrypted: m.macOnlyEncrypted,
      shamirThreshold: m.shamirThreshold,
      ...(opts.indent !== undefined ? { indent: opts.indent } : {}),
    });
  } finally {
    prev.dataKey.fill(0);
  }
}

/** The formats `set`, `unset` and `import` change (dotenv and INI: flat, string values). */
export type EditableFormat = "yaml" | "json" | "dotenv" | "ini";

/** Whether `set` and `unset` can change a file of this format (binary files cannot). */
export function isEditableFormat(format: FormatName): format is EditableFormat {
  return format !== "binary";
}

function setIn(text: string, format: EditableFormat, path: TreePath, node: TreeNode, step: number | undefined): string {
  return format === "dotenv" || format === "ini" ? setFlatValue(text, format, path, node) : setAtPath(text, format, path, node, step);
}

function unsetIn(text: string, format: EditableFormat, path: TreePath): string | undefined {
  return format === "dotenv" || format === "ini" ? unsetFlatValue(text, format, path) : unsetAtPath(text, format, path);
}

/** Options of {@link setValues} and {@link unsetValue}. */
export interface ValueEditOptions {
  format: EditableFormat;
  ignoreMac?: boolean;
  /** Indentation of new YAML blocks (default: the file's own, else 4 as sops). */
  step?: number;
  keyring?: Keyring;
  env?: NodeJS.ProcessEnv;
  /** Prefix each failure with the path it concerns (`cannot import ["a"]: …`). */
  failurePrefix?: string;
}

/**
 * `hush set` (and `import` into an existing file): sets each node at its path in the encrypted
 * text, keeping the file's version and every other value's ciphertext. `changed` is false (and the
 * text the input) when every value already was what it is set to.
 */
export async function setValues(
  encrypted: string,
  entries: readonly { path: TreePath; node: TreeNode }[],
  opts: ValueEditOptions,
): Promise<RewriteResult> {
  return rewriteText(
    encrypted,
    (plain) => {
      let next = plain;
      for (const e of entries) {
        try {
          next = setIn(next, opts.format, e.path, e.node, opts.step);
        } catch (err) {
          if (opts.failurePrefix !== undefined && err instanceof HushError) {
            throw new HushError(err.code, `${opts.failurePrefix} ${formatTreePath(e.path)}: ${err.message}`);
          }
          throw err;
        }
      }
      return next;
    },
    rewriteOptions(opts),
  );
}

/**
 * `hush unset`: removes the value at `path`. A missing path is PATH_NOT_FOUND unless `idempotent`
 * (then nothing changes).
 */
export async function unsetValue(encrypted: string, path: TreePath, opts: ValueEditOptions & { idempotent?: boolean }): Promise<RewriteResult> {
  return rewriteText(
    encrypted,
    (plain) => {
      const next = unsetIn(plain, opts.format, path);
      if (next === undefined) {
        if (opts.idempotent) return plain;
        throw new HushError("PATH_NOT_FOUND", `${formatTreePath(path)} not found`);
      }
      return next;
    },
    rewriteOptions(opts),
  );
}

/**
 * `hush rotate-value`: gives each value at `exprs` (dotted or tree paths, as `get()` reads them) a
 * new random value of `spec`'s shape, or of the old value's shape ({@link specLike}). Returns the
 * new values by path (dotted form) for a caller that was asked to show them.
 */
export async function regenerateValues(
  encrypted: string,
  exprs: readonly string[],
  opts: ValueEditOptions & { spec?: GenerateSpec },
): Promise<RewriteResult & { values: Record<string, string> }> {
  const values: Record<string, string> = {};
  const res = await rewriteText(
    encrypted,
    (plain) => {
      let text = plain;
      for (const expr of exprs) {
        const trees = parseDocument(text, opts.format).trees();
        if (trees.length !== 1) throw new HushError("NEED_ONE_DOCUMENT", "rotate-value works on single-document files");
        const { node, path } = findPath(trees[0]!, expr);
        if (node instanceof Map || Array.isArray(node) || node.value === null) {
          throw new HushError("USAGE", `${pathLabel(path)} is not a single value`, "name each value to rotate (a leaf, not a map or list)");
        }
        const next = generateValue(opts.spec ?? specLike(node.value.text));
        text = setIn(text, opts.format, path, parseSetValue(JSON.stringify(next)), opts.step);
        values[pathLabel(path)] = next;
      }
      return text;
    },
    rewriteOptions(opts),
  );
  return { ...res, values };
}

function rewriteOptions(opts: ValueEditOptions) {
  return {
    format: opts.format,
    keepVersion: true,
    ...(opts.ignoreMac ? { ignoreMac: true } : {}),
    ...(opts.keyring ? { keyring: opts.keyring } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  };
}

/**
 * `hush filestatus`: whether `data` is a sops-encrypted file (it has a metadata block with a
 * `version` and a `mac`, as sops requires). Nothing is decrypted.
 */
export function isEncryptedFile(data: string | Uint8Array, format: FormatName): boolean {
  const raw = parseDocument(data, format).rawMetadata() as Record<string, unknown> | undefined;
  return !!raw && typeof raw === "object" && !!raw["version"] && !!raw["mac"];
}
