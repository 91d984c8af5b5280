/**
 * What `exec-env` and `exec-file` take out of the command's environment: variables whose value is
 * key material, or yields it, that hush (or sops) used to open the file. The command gets the
 * decrypted values it was given, not the means to decrypt everything else (or to impersonate the
 * deployer at the key service). `--keep-key-env` keeps them, for a command that needs the same
 * credentials (e.g. a deploy script calling the AWS CLI).
 *
 * Paths are kept (SOPS_AGE_KEY_FILE, SOPS_PGP_KEY_FILE, GOOGLE_APPLICATION_CREDENTIALS, GNUPGHOME):
 * the command runs as the same user and can read those files whether or not it knows the name, so
 * removing them protects nothing and breaks tools that look there. A value the secrets file itself
 * defines is added after the removal: what the file gives the command, it gets.
 */

/** Removed from the command's environment unless `--keep-key-env` (documented in the README). */
const KEY_ENV_VARIABLES: readonly string[] = [
  // age (sops): the identity itself, and a command that prints it
  "SOPS_AGE_KEY",
  "SOPS_AGE_KEY_CMD",
  // HashiCorp Vault
  "VAULT_TOKEN",
  // AWS (the key id goes with its secret: one without the other only confuses an SDK)
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
  // Google Cloud (credentials as JSON, and a bearer token; sops reads both)
  "GOOGLE_CREDENTIALS",
  "GOOGLE_OAUTH_ACCESS_TOKEN",
  // Azure (a service principal's secret or certificate password, a user's password)
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PASSWORD",
  "AZURE_PASSWORD",
  "HUSH_AZURE_TOKEN",
  // Huawei Cloud KMS (hckms)
  "HUAWEICLOUD_SDK_AK",
  "HUAWEICLOUD_SDK_SK",
  "HUAWEICLOUD_SDK_SECURITY_TOKEN",
];

/** `env` without {@link KEY_ENV_VARIABLES}, and the names removed. */
export function withoutKeyEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; removed: string[] } {
  const out: NodeJS.ProcessEnv = { ...env };
  const removed: string[] = [];
  for (const name of KEY_ENV_VARIABLES) {
    if (out[name] !== undefined) {
      delete out[name];
      removed.push(name);
    }
  }
  return { env: out, removed };
}
