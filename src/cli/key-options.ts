/**
 * The key and config options shared by commands that name recipients (`encrypt`, `edit`, and
 * others to come), declared once. Each environment variable named here has the same effect as its
 * flag (read in `config/key-specs.ts`), as in sops. Cheap to import: commander `Option`s only.
 */
import { Option, type Command } from "commander";
import { HushError } from "../errors.js";

const KEY_OPTIONS = {
  age: () => new Option("-a, --age <recipients>", "age recipients, comma-separated (env SOPS_AGE_RECIPIENTS)"),
  pgp: () => new Option("-p, --pgp <fingerprints>", "PGP fingerprints, comma-separated (env SOPS_PGP_FP)"),
  kms: () => new Option("-k, --kms <arns>", "AWS KMS key ARNs, comma-separated; arn+arn:aws:iam::…:role/r assumes a role (env SOPS_KMS_ARN)"),
  awsProfile: () => new Option("--aws-profile <profile>", "AWS profile for the --kms keys"),
  encryptionContext: () => new Option("--encryption-context <pairs>", "KMS encryption context for the --kms keys and a rule's flat kms keys: key:value,…"),
  gcpKms: () => new Option("--gcp-kms <ids>", "GCP KMS resource ids, comma-separated (env SOPS_GCP_KMS_IDS)"),
  azureKv: () => new Option("--azure-kv <urls>", "Azure Key Vault key URLs, comma-separated (env SOPS_AZURE_KEYVAULT_URLS)"),
  hcVaultTransit: () => new Option("--hc-vault-transit <uris>", "Vault transit key URIs, comma-separated (env SOPS_VAULT_URIS)"),
  hckms: () => new Option("--hckms <ids>", "HuaweiCloud KMS key ids region:uuid, comma-separated (env SOPS_HUAWEICLOUD_KMS_IDS)"),
} as const;

/** One shared key option by its camel-case name (the key commander stores its value under). */
export function keyOption(name: keyof typeof KEY_OPTIONS): Option {
  return KEY_OPTIONS[name]();
}

/** Every key option, in the order `--help` lists them. */
export function keyOptions(): Option[] {
  return (Object.keys(KEY_OPTIONS) as (keyof typeof KEY_OPTIONS)[]).map(keyOption);
}

/** Adds every key option to a command (they come right after its arguments in `--help`). */
export function withKeyOptions(cmd: Command): Command {
  for (const o of keyOptions()) cmd.addOption(o);
  return cmd;
}

/** `--shamir-secret-sharing-threshold <n>`: a non-negative integer; 0 means "not given". */
export function thresholdOption(): Option {
  return new Option("--shamir-secret-sharing-threshold <n>", "key groups needed to decrypt (default: the rule's, else all groups)").argParser((v) => {
    if (!/^\d+$/.test(v)) throw new HushError("USAGE", `--shamir-secret-sharing-threshold takes a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  });
}

/** `--config <path>`: the `.sops.yaml` to use instead of searching for one (env SOPS_CONFIG). */
export function configOption(): Option {
  return new Option("--config <path>", "the .sops.yaml to use (env SOPS_CONFIG; default: the nearest one from the working directory up)");
}
