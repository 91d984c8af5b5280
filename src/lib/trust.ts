/**
 * The configuration half of the endpoint policy (keys/trust.ts): the Vault addresses, Azure Key
 * Vaults and AWS roles that the `.sops.yaml` in effect names in any creation rule. Importing this
 * module makes every keyring use them (the key layer cannot read `.sops.yaml` itself).
 *
 * The config is found as for encryption (`SOPS_CONFIG`, else upwards from the current directory)
 * and read once per keyring, only when a file names an endpoint.
 */
import type { SopsConfig } from "../config/index.js";
import { normaliseUrl, setDefaultConfiguredEndpoints, type ConfiguredEndpoints } from "../keys/trust.js";

/** The endpoints named by a config's creation rules. */
function configuredEndpoints(config: SopsConfig | undefined): ConfiguredEndpoints {
  const hcVault: string[] = [];
  const azureKv: string[] = [];
  const kmsRoles: string[] = [];
  for (const rule of config?.creationRules ?? []) {
    for (const group of rule.groups) {
      for (const { kind, spec } of group) {
        if (kind === "hc_vault" && typeof spec === "string") {
          const o = normaliseUrl(spec);
          if (o) hcVault.push(o);
        } else if (kind === "azure_kv") {
          const url = typeof spec === "string" ? spec : typeof spec["vaultUrl"] === "string" ? spec["vaultUrl"] : "";
          const o = normaliseUrl(url);
          if (o) azureKv.push(o);
        } else if (kind === "kms" && typeof spec !== "string" && typeof spec["role"] === "string" && spec["role"] !== "") {
          kmsRoles.push(spec["role"]);
        }
      }
    }
  }
  return { hcVault, azureKv, kmsRoles };
}

/** The endpoints of the `.sops.yaml` in effect for `cwd` (none without one). */
async function configuredEndpointsAt(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfiguredEndpoints> {
  try {
    // Imported here, when a file names an endpoint: the config module (and the yaml package it
    // parses with) is then not initialised by every decrypt that loads this module.
    const { loadEffectiveConfig } = await import("../config/index.js");
    return configuredEndpoints(await loadEffectiveConfig({ cwd, env, warn: () => {} }));
  } catch {
    // An unreadable or invalid config trusts no endpoint; the command reports the config itself.
    return configuredEndpoints(undefined);
  }
}

setDefaultConfiguredEndpoints(() => configuredEndpointsAt(process.cwd()));
