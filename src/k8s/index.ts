/**
 * Kubernetes: Secret manifests from hush files (`hush k8s secret`), the kustomize generator
 * (`hush k8s kustomize-plugin`, legacy exec plugin and KRM function) and its installer. See
 * docs/kubernetes.md. Decryption goes through the library; output goes to standard output only.
 */
import { secretEntries, type FormatName, type SecretEntry } from "../lib/internal.js";
import { checkSpec, manifestsYaml, secretObject, type SecretSpec } from "./secret.js";

export { parsePairs } from "./secret.js";
export { runKrmFunction, runLegacyPlugin } from "./generator.js";
export { installPlugin } from "./plugin.js";

/** Options of {@link secretManifest}: the Secret's shape and which values. */
export interface SecretManifestOptions extends SecretSpec {
  extract?: string;
  key?: string;
  format?: FormatName;
  env?: NodeJS.ProcessEnv;
}

/** Decrypts `files` (in memory, MAC verified) and returns one `v1/Secret` manifest as YAML. */
export async function secretManifest(files: readonly string[], options: SecretManifestOptions): Promise<string> {
  const { extract, key, format, env, ...spec } = options;
  checkSpec(spec); // a typo in --name fails before anything is decrypted
  const entries: SecretEntry[] = [];
  for (const file of files) {
    const got = await secretEntries(file, {
      ...(extract !== undefined ? { extract } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(format !== undefined ? { format } : {}),
      ...(env !== undefined ? { env } : {}),
    });
    // Messages name the file too: two files may hold the same key.
    entries.push(...got.map((e) => ({ ...e, from: e.from === file ? file : `${file} ${e.from}` })));
  }
  return manifestsYaml([secretObject(entries, spec)]);
}
