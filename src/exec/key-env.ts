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

import { KEY_MATERIAL_ENV } from "../lib/key-services.js";

/**
 * Removed from the command's environment unless `--keep-key-env` (documented in the README): each
 * key service declares its own (`secretEnv` in `keys/<service>.ts`), e.g. `SOPS_AGE_KEY`,
 * `SOPS_AGE_KEY_CMD`, `VAULT_TOKEN`, `VAULT_SECRET_ID`, `AWS_SECRET_ACCESS_KEY`, `AZURE_CLIENT_SECRET`,
 * `HUAWEICLOUD_SDK_SK`. The AWS key id goes with its secret: one without the other only confuses an SDK.
 */
const KEY_ENV_VARIABLES: readonly string[] = KEY_MATERIAL_ENV;

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
