/**
 * The shape of a key service descriptor (`keys/<service>.ts`): everything the rest of hush needs
 * to know about one key service, as data, plus a lazy `load()` of its client file. Flags, `.sops.yaml`
 * parsing, the metadata tables, `--decryption-order`, rotate's `--add-*`/`--rm-*` and `--help` are
 * all derived from the list in `keys/index.ts`; nothing else names a service.
 *
 * Cheap to import: descriptors import no SDK, no openpgp, no age library.
 */
import type { KeyClient, KeyEntry, KeyKind, RecipientSpec } from "./key-source.js";

/** A KMS-style encryption context (`--encryption-context k:v,…`, or `context:` in a key group). */
export type KmsContext = Readonly<Record<string, string>>;

/**
 * Settings that travel with recipients named as strings: `--aws-profile` and `--encryption-context`
 * on the command line, `aws_profile` in a flat rule. Only services that use them read them.
 */
export interface SpecOptions {
  readonly context?: KmsContext;
  readonly awsProfile?: string;
}

/** One field of a `.sops.yaml` key group entry, read as sops's Go structs read it. */
export interface ConfigObject {
  /** A Go `string` field: the scalar's source text ("" when absent). */
  string(field: string): string;
  /** A Go `map[string]string` field ({} when absent). */
  map(field: string): Record<string, string>;
}

/** The value of one key field in a `key_groups` entry, with sops's readings of it. */
export interface ConfigList {
  /** A `[]string` field: each item's text. */
  strings(): string[];
  /** A list of mappings (`[{arn: …}]`): each mapping item. */
  objects(): ConfigObject[];
}

/** How a service appears in `.sops.yaml` creation rules (SOPS-FORMAT §11). */
interface ConfigNames {
  /** The field of a flat rule (`age`, `azure_keyvault`, `hc_vault_transit_uri`, …). */
  readonly flat: string;
  /**
   * `"csv"`: a comma-separated string or a list of them (sops's `parseKeyField`); `"list"`: a list
   * of strings only (`hckms`).
   */
  readonly flatForm: "csv" | "list";
  /** The field inside a `key_groups` entry (`age`, `azure_keyvault`, `hc_vault`, …). */
  readonly group: string;
  /** The specs of a `key_groups` field, in file order (sops's `extractMasterKeys`). */
  groupSpecs(value: ConfigList): RecipientSpec[];
}

/** A command-line option, as data (the CLI turns it into a commander `Option`). */
export interface FlagSpec {
  /** The long name without dashes: `age`, `gcp-kms`, `aws-profile`. */
  readonly name: string;
  readonly short?: string;
  /** The value placeholder in `--help`: `recipients`, `arns`. */
  readonly value: string;
  /** The help text, without the `(env …)` suffix, which is added from {@link KeyFlags.env}. */
  readonly help: string;
}

/** The command-line face of a service. */
interface KeyFlags {
  /** The recipients flag (`--age`, `--kms`, …): a comma-separated list. */
  readonly recipients: FlagSpec;
  /** Its environment variable (`SOPS_AGE_RECIPIENTS`, …): same effect as the flag. */
  readonly env: string;
  /** Options that qualify this service's recipients (`--aws-profile`, `--encryption-context`). */
  readonly extra?: readonly FlagSpec[];
  /** What rotate's `--add-<name>`/`--rm-<name>` take, in words: `age recipients`. */
  readonly listName: string;
}

/** Where a service stands in sops's own orders of services (lower first). */
interface SopsOrder {
  /** In-group load order (`internalGroupFrom`): also the default order of decryption attempts. */
  readonly load: number;
  /** The order a command-line group is built in (`keyGroups` in `cmd/sops/main.go`). */
  readonly flags: number;
  /** The order of a flat creation rule's keys (`getKeyGroupsFromCreationRule`). */
  readonly config: number;
}

/** One key service. */
export interface KeyService {
  /** The metadata list name under `sops:`, which is also the key kind. */
  readonly kind: KeyKind;
  /** The entry field that names the recipient (`recipient`, `fp`, `arn`, `key_id`, …). */
  readonly idField: string;
  /** The entry fields, in the order sops ≥ 3.13 writes them (sorted). */
  readonly entryFields: readonly string[];
  /** Fields written even when empty (`aws_profile`, azure's `version`). */
  readonly alwaysFields: readonly string[];
  /** Entry fields that are maps of strings rather than strings (`context`). */
  readonly mapFields?: readonly string[];
  /** In a `key_groups` entry the list is written even when empty (no `omitempty`: age, hc_vault). */
  readonly alwaysInGroup?: boolean;
  readonly order: SopsOrder;
  readonly config: ConfigNames;
  readonly flags: KeyFlags;
  /** Specs from a comma-separated list (a flag, its variable, a flat rule), normalised as sops does. */
  specsFromString(csv: string, options: SpecOptions): RecipientSpec[];
  /** The spec a stored entry was made from (rotate, updatekeys, the merge driver). */
  specFromEntry(entry: KeyEntry): RecipientSpec;
  /** A short identity of a spec, to print and to match `--rm-*` arguments (`arn+role` for KMS). */
  label?(spec: RecipientSpec): string;
  /**
   * Whether a stored entry (by its label) is the recipient a config spec names (by its label),
   * beyond equal labels: an Azure key named without a version matches any version of it.
   */
  sameRecipient?(entryLabel: string, specLabel: string): boolean;
  /** The identity sops deduplicates a key group by (`ToString()`), when it is not the spec itself. */
  dedupKey?(spec: RecipientSpec): string;
  /**
   * Environment variables whose value is key material or yields it (a secret, a token, a command
   * that prints an identity): `exec-env`/`exec-file` remove them from the command's environment
   * unless `--keep-key-env`. Paths to key files are not listed (the command, running as the same
   * user, can read the file anyway). Required, so a new service has to say what its secrets are.
   */
  readonly secretEnv: readonly string[];
  /** Imports the client file; the SDK or library it needs loads only now. */
  load(): Promise<KeyClient>;
}

/** Splits a comma-separated list, trimming each entry and dropping empty ones. */
export function splitList(csv: string): string[] {
  return csv
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** sops removes every space from fingerprints, ARNs and resource ids (`strings.Replace(s, " ", "", -1)`). */
export const noSpaces = (s: string): string => s.replace(/ /g, "");

/** A string field of an entry, or "" when absent. */
export function field(entry: KeyEntry, name: string): string {
  const v = entry[name];
  return typeof v === "string" ? v : "";
}

/** Declares a descriptor, keeping its literal kind (so `keys/index.ts` can check the list is complete). */
export function defineKeyService<K extends KeyKind>(service: KeyService & { readonly kind: K }): KeyService & { readonly kind: K } {
  return service;
}
