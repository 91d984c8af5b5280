/**
 * The key services hush knows, one descriptor each (`keys/<service>.ts`). Every list of services
 * in hush is derived from {@link KEY_SERVICES}: metadata fields and order, `.sops.yaml` parsing,
 * the key flags and their variables, `--decryption-order`, rotate's `--add-*`/`--rm-*`, `--help`.
 *
 * Adding a service: write `keys/<service>.ts` (the descriptor) and `keys/<service>-client.ts`
 * (the implementation it loads lazily), add its kind to `KeyKind` (src/model/metadata.ts) and its descriptor below,
 * and its rule fields to schemas/sops-config.schema.json (a test checks the schema against the
 * descriptors).
 */
import type { KeyKind, RecipientSpec } from "./key-source.js";
import type { FlagSpec, KeyService } from "./service.js";
import { age } from "./age.js";
import { pgp } from "./pgp.js";
import { awsKms } from "./aws-kms.js";
import { gcpKms } from "./gcp-kms.js";
import { azureKv } from "./azure-kv.js";
import { vault } from "./vault.js";
import { hckms } from "./hckms.js";

// AWS's string syntax (`arn+role`, `--encryption-context`), which config and the CLI parse.
export { parseKmsContext } from "./aws-kms.js";

const LIST = [age, pgp, awsKms, gcpKms, azureKv, vault, hckms] as const;

/** Every key service, in the order hush lists them (`--help`, `--decryption-order`, rotate). */
export const KEY_SERVICES: readonly KeyService[] = LIST;

// The compiler checks that the list and the KeyKind union name the same services.
type Listed = (typeof LIST)[number]["kind"];
const everyKindListed: Exclude<KeyKind, Listed> extends never ? true : never = true;
void everyKindListed;

const BY_KIND = new Map<string, KeyService>(KEY_SERVICES.map((s) => [s.kind, s]));

/**
 * Every service's {@link KeyService.secretEnv}: the variables `exec-env`/`exec-file` take out of
 * the command's environment (unless `--keep-key-env`). Derived, so a new service cannot be left out.
 */
export const KEY_MATERIAL_ENV: readonly string[] = [...new Set(KEY_SERVICES.flatMap((s) => s.secretEnv))];

/** The descriptor of a kind. */
export function keyService(kind: KeyKind): KeyService {
  return BY_KIND.get(kind)!;
}

/** Whether a string names a key kind (`age`, `gcp_kms`, …). */
export function isKeyKind(s: string): s is KeyKind {
  return BY_KIND.has(s);
}

/** Every kind, in listing order. */
export const KEY_KINDS: readonly KeyKind[] = KEY_SERVICES.map((s) => s.kind);

const by = (o: keyof KeyService["order"]) => [...KEY_SERVICES].sort((a, b) => a.order[o] - b.order[o]);

/** Services in sops's in-group load order (`internalGroupFrom`), which is also the default decrypt order. */
export const SERVICES_LOAD_ORDER: readonly KeyService[] = by("load");

/** Services in the order sops builds a command-line key group. */
export const SERVICES_FLAG_ORDER: readonly KeyService[] = by("flags");

/** Services in the order of a flat creation rule's keys. */
export const SERVICES_CONFIG_ORDER: readonly KeyService[] = by("config");

/** The id of an entry, for messages (`age1…`, a fingerprint, an ARN, `region:uuid`). */
export function entryId(kind: KeyKind, entry: Readonly<Record<string, unknown>>): string {
  const v = entry[keyService(kind).idField];
  return typeof v === "string" ? v : "(unknown)";
}

/** A short identity of a spec: the string itself (trimmed), or what the service makes of an object. */
export function specLabel(kind: KeyKind, spec: RecipientSpec): string {
  const s = keyService(kind);
  if (s.label) return s.label(spec);
  return typeof spec === "string" ? spec.trim() : JSON.stringify(spec);
}

/** A command-line key option, as data: commander `flags` and `description`, and its value key. */
export interface KeyFlagOption {
  /** `-a, --age <recipients>` */
  readonly flags: string;
  readonly description: string;
  /** The camel-case key commander stores the value under (`gcpKms`). */
  readonly attribute: string;
  /** The service it belongs to. */
  readonly kind: KeyKind;
  /** The environment variable with the same effect, if any. */
  readonly env?: string;
}

/** `gcp-kms` → `gcpKms`, as commander names option values. */
export const camelCase = (s: string): string => s.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

function option(kind: KeyKind, f: FlagSpec, flagName: string, description: string, env?: string): KeyFlagOption {
  return {
    flags: `${f.short ? `-${f.short}, ` : ""}--${flagName} <${f.value}>`,
    description,
    attribute: camelCase(flagName),
    kind,
    ...(env ? { env } : {}),
  };
}

/**
 * The key options of `encrypt` and `edit` (recipients flags and their qualifiers), in `--help`
 * order; each recipients flag names its environment variable in its help.
 */
export function keyFlagOptions(): KeyFlagOption[] {
  return KEY_SERVICES.flatMap((s) => [
    option(s.kind, s.flags.recipients, s.flags.recipients.name, `${s.flags.recipients.help} (env ${s.flags.env})`, s.flags.env),
    ...(s.flags.extra ?? []).map((x) => option(s.kind, x, x.name, x.help)),
  ]);
}

/** rotate's `--add-<service>` and `--rm-<service>` options, in `--help` order. */
export function rotateFlagOptions(): { add: KeyFlagOption; rm: KeyFlagOption }[] {
  return KEY_SERVICES.map((s) => {
    const f = { ...s.flags.recipients, value: "list" };
    delete (f as { short?: string }).short;
    return {
      add: option(s.kind, f, `add-${f.name}`, `add ${s.flags.listName} (comma-separated) to the first key group`),
      rm: option(s.kind, f, `rm-${f.name}`, `remove ${s.flags.listName} (comma-separated) from every key group`),
    };
  });
}
